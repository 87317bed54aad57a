#!/bin/sh
# tests/wasm/wasm_run_e2e.sh: the wasm_run block through the perch binary.
#   wasm_run_e2e.sh PERCH MODULE_DIR PERCH_FILE [REQUIRES_PERCH_FILE [NET_PERCH_FILE]]
# Copies the .perch file and tool.wasm into a scratch directory, runs each
# command and checks stdout, stderr and the exit status.
set -u
perch=$1 modules=$2 src=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/perch-wasm-run-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$src" "$tmp/commands.perch"
[ $# -ge 4 ] && cp "$4" "$tmp/req.perch"
cp "$modules/tool.wasm" "$tmp/tool.wasm"
mkdir -p "$tmp/posts" "$tmp/out" "$tmp/elsewhere" "$tmp/other/posts" "$tmp/elsewhere/a" "$tmp/elsewhere/b"
printf 'hello\n' > "$tmp/posts/a.md"
failures=0
total=0

# expect NAME STATUS STDOUT_PATTERN STDERR_PATTERN -- COMMAND...
expect() {
    name=$1 want_status=$2 out_pat=$3 err_pat=$4
    shift 5
    total=$((total + 1))
    (cd "$tmp/elsewhere" && GREETING=hi timeout 60 "$@" < /dev/null > "$tmp/o" 2> "$tmp/e")
    status=$?
    ok=1
    [ "$status" = "$want_status" ] || ok=0
    [ -z "$out_pat" ] || grep -q -- "$out_pat" "$tmp/o" || ok=0
    [ -z "$err_pat" ] || grep -q -- "$err_pat" "$tmp/e" || ok=0
    if [ $ok = 1 ]; then
        echo "ok $name"
    else
        echo "FAIL $name: status $status (want $want_status)"
        sed 's/^/  out: /' "$tmp/o" | head -10
        sed 's/^/  err: /' "$tmp/e" | head -10
        failures=$((failures + 1))
    fi
}

f="$tmp/commands.perch"
expect args 0 'env GREETING=hi' '' -- "$perch" -f "$f" args
expect args_only_allowed_env 0 '' '' -- sh -c "! \"$perch\" -f \"$f\" args | grep -q MISSING"
expect capture_trimmed 0 '^captured \[hello\]$' '' -- "$perch" -f "$f" cap
expect write_mount 0 '^wrote$' '' -- "$perch" -f "$f" writeit
total=$((total + 1))
if [ "$(cat "$tmp/out/r.txt" 2>/dev/null)" = data ]; then echo "ok written file"; else echo "FAIL written file"; failures=$((failures + 1)); fi
expect ro_mount_refuses 1 '' 'Read-only file system' -- "$perch" -f "$f" rowrite
expect exit_code 7 '' 'module exited with code 7 (wasm_exit)' -- "$perch" -f "$f" exit7
expect rescue 0 'kind=wasm_exit code=3' '' -- "$perch" -f "$f" trycatch
expect timeout 124 '' 'interrupted at the deadline (timeout "300ms") (timeout)' -- "$perch" -f "$f" loop
expect not_found 1 '' 'script_dir' -- "$perch" -f "$f" missing
expect missing_mount 1 '' "mount path '/does/not/exist' does not exist" -- "$perch" -f "$f" nomount
expect mount_at 0 '^hello$' '' -- "$perch" -f "$f" at
expect parallel 0 'argv\[2\]=d' '' -- "$perch" -f "$f" par
expect scope_env 0 'env secret_value=from scope' '' -- "$perch" -f "$f" scope_env
expect sandbox_no_write 1 '' 'sandbox_denied' -- "$perch" -f "$f" nowrite
expect trap 1 'before trap' 'wasm trap: unreachable' -- "$perch" -f "$f" trap
# Malformed and invalid modules are both wasm_invalid, naming section and offset.
printf '\000asm\001\000\000\000\001\005\001\140\000' > "$tmp/trunc.wasm"
printf 'not wasm' > "$tmp/notwasm.wasm"
printf '\000asm\001\000\000\000\001\004\001\140\000\000\003\002\001\000\012\006\001\004\000\101\000\013' > "$tmp/mismatch.wasm"
expect truncated_module 0 '^kind=wasm_invalid msg=.*length out of bounds (section type, at offset 0xa)$' '' -- "$perch" -f "$f" bad_module trunc.wasm
expect not_a_module 0 '^kind=wasm_invalid msg=.*magic header not detected (module header, at offset 0x0)$' '' -- "$perch" -f "$f" bad_module notwasm.wasm
expect invalid_module 0 '^kind=wasm_invalid msg=.*type mismatch (section code, function 0, at offset 0x19)$' '' -- "$perch" -f "$f" bad_module mismatch.wasm
expect cli_truncated 1 '' 'length out of bounds (section type, at offset 0xa) (wasm_invalid)$' -- "$perch" wasm run "$tmp/trunc.wasm"

# Two mounts at one guest path are refused, naming both host paths.
expect dup_mount 1 '' "two mounts at the guest path '/ro/posts': '$tmp/posts' (read-only) and '$tmp/other/posts' (read-only)" -- "$perch" -f "$f" dup_mount
expect dup_mount_at 1 '' "two mounts at the guest path '/ro/posts': '$tmp/out' (read-write) and '$tmp/posts' (read-only)" -- "$perch" -f "$f" dup_mount_at
expect cli_dup_mount 2 '' "two mounts at the guest path '/p/': 'a' (read-write) and 'b' (read-only); .*--dir HOST::GUEST" -- "$perch" wasm run --dir a::/p --ro-dir b::/p/ "$tmp/tool.wasm"

# argv[0] is the module file's name, for a bundle alias too (in a built binary as well).
expect argv0_path 0 '^argv\[0\]=tool.wasm$' '' -- "$perch" -f "$f" args
expect argv0_alias 0 '^argv\[0\]=tool.wasm$' '' -- "$perch" -f "$f" alias_argv
(cd "$tmp" && "$perch" --build -f commands.perch -o "$tmp/built" > /dev/null 2>&1)
expect argv0_alias_built 0 '^argv\[0\]=tool.wasm$' '' -- env XDG_CACHE_HOME="$tmp/xdg" "$tmp/built" alias_argv

# Declarations: an empty mount path, the host root without 'at', a name that is
# not a variable name; each error points at the declaration's own line.
expect empty_mount 1 '' 'commands.perch:207:13: error: wasm_mount_read: the host path is empty' -- "$perch" -f "$f" empty_mount
expect root_mount 1 '' "commands.perch:216:13: error: .*mount path '/' is the host's root directory; name its guest path" -- "$perch" -f "$f" root_mount
expect root_mount_at 0 '^hello$' '' -- "$perch" -f "$f" root_mount_at
expect env_pattern 1 '' "commands.perch:235:13: error: wasm_env: '\\*' is not a variable name" -- "$perch" -f "$f" env_pattern
expect env_dashed 0 '^env dry-run=yes$' '' -- "$perch" -f "$f" env_dashed
expect missing_mount_loc 1 '' "commands.perch:94:13: error: .*mount path '/does/not/exist' does not exist" -- "$perch" -f "$f" nomount

# A FIFO or a directory as the module is refused at once (a FIFO used to hang in open).
mkfifo "$tmp/fifo.wasm"
mkdir "$tmp/dir.wasm"
expect fifo_module 0 "^kind=io msg=.*fifo.wasm' is a FIFO; the module must be a regular .wasm file$" '' -- "$perch" -f "$f" bad_module fifo.wasm
expect dir_module 0 "^kind=io msg=.*dir.wasm' is a directory; the module must be a regular .wasm file$" '' -- "$perch" -f "$f" bad_module dir.wasm
expect cli_fifo_module 1 '' "is a FIFO; the module must be a regular .wasm file (io)" -- "$perch" wasm run "$tmp/fifo.wasm"

# The not-found hint is a clean path.
expect not_found_clean_hint 1 '' 'for a module next to the .perch file write "${script_dir}/nope.wasm")' -- "$perch" -f "$f" missing_dot

total=$((total + 1))
out=$(printf 'piped in\n' | (cd "$tmp/elsewhere" && "$perch" -f "$f" stdin 2>/dev/null))
if [ "$out" = "piped in" ]; then echo "ok stdin"; else echo "FAIL stdin: '$out'"; failures=$((failures + 1)); fi
expect cli_run 5 '' '' -- "$perch" wasm run "$tmp/tool.wasm" exit 5
expect cli_dir 0 '^hello$' '' -- "$perch" wasm run --ro-dir "$tmp/posts::/p" "$tmp/tool.wasm" read /p/a.md
expect cli_usage 2 '' 'missing MODULE' -- "$perch" wasm run
total=$((total + 1))
"$perch" wasm run "$tmp/tool.wasm" loop 2> "$tmp/e" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
status=$?
if [ "$status" = 130 ] && grep -q cancelled "$tmp/e"; then
    echo "ok cli_ctrl_c"
else
    echo "FAIL cli_ctrl_c: status $status"
    failures=$((failures + 1))
fi

if [ -f "$tmp/req.perch" ]; then
    r="$tmp/req.perch"
    expect requires_allowed 0 '^hello$' '' -- "$perch" -f "$r" ok
    expect requires_env 1 '' 'env_not_declared' -- "$perch" -f "$r" badenv
    expect requires_write 1 '' 'write_not_declared' -- "$perch" -f "$r" badmount
fi

# perch.http_get (wasm_allow_host) against a local HTTP server.
if [ $# -ge 5 ] && command -v python3 > /dev/null 2>&1; then
    cp "$5" "$tmp/net.perch"
    cp "$modules/net.wasm" "$tmp/net.wasm"
    python3 "$(dirname "$0")/http_server.py" "$tmp/port" &
    server=$!
    trap 'kill $server 2> /dev/null; rm -rf "$tmp"' EXIT
    i=0
    while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    port=$(cat "$tmp/port" 2> /dev/null)
    n="$tmp/net.perch"
    u="http://127.0.0.1:$port"
    # No proxy from the test environment may stand between perch and the server.
    np="env -u http_proxy -u HTTP_PROXY -u all_proxy -u ALL_PROXY no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost"
    expect net_get 0 '^hello from the server$' '' -- $np "$perch" -f "$n" get "$u/hi"
    expect net_status 0 '^errno=0 status=200 len=22$' '' -- $np "$perch" -f "$n" get "$u/hi"
    expect net_404 0 '^errno=0 status=404 len=9$' '' -- $np "$perch" -f "$n" get "$u/missing"
    expect net_enobufs 1 '^errno=42 status=200 len=10000$' '' -- $np "$perch" -f "$n" get "$u/big" 100
    expect net_fits 0 '^errno=0 status=200 len=10000$' '' -- $np "$perch" -f "$n" get "$u/big" 10000
    expect net_redirect_same 0 '^hello from the server$' '' -- $np "$perch" -f "$n" get "$u/to-same"
    expect net_redirect_other 1 '^errno=2 ' "perch.http_get 'http://localhost:$port/hi': refused: host 'localhost' is not allowed" -- $np "$perch" -f "$n" get "$u/to-other"
    expect net_other_host 1 '^errno=2 ' "host 'localhost' is not allowed (add wasm_allow_host \"localhost\")" -- $np "$perch" -f "$n" get "http://localhost:$port/hi"
    expect net_scheme 1 '^errno=28 ' 'only http and https URLs are allowed' -- $np "$perch" -f "$n" get "file:///etc/passwd"
    expect net_refused 1 '^errno=14 ' '' -- $np "$perch" -f "$n" get "http://127.0.0.1:1/"
    expect net_no_allow 1 '' 'net.perch:29:9: error: .*imports perch.s host module (perch.http_get) but the block allows no host.*(wasm_link)' -- $np "$perch" -f "$n" no_allow
    expect net_outer_policy 1 '' 'net.perch:39:13: error: .*example.com.*(host_not_declared)' -- $np "$perch" -f "$n" outer_refuses
    expect net_sandbox 1 '' "wasm_allow_host.*no_network.*(sandbox_denied)" -- $np "$perch" -f "$n" sandboxed
    expect net_no_network_flag 1 '' "wasm_allow_host.*(sandbox_denied)" -- $np "$perch" --no-network -f "$n" get "$u/hi"
    expect net_bad_host 1 '' "net.perch:59:13: error: wasm_allow_host: 'http://127.0.0.1/' is not a host name" -- $np "$perch" -f "$n" bad_host
    expect net_cli 1 '' "only a wasm_run block with wasm_allow_host \"HOST\" provides (wasm_link)" -- "$perch" wasm run "$tmp/net.wasm" "$u/hi"
    # A request in flight is interrupted at the deadline like the module itself.
    total=$((total + 1))
    start=$(date +%s)
    (cd "$tmp/elsewhere" && $np timeout 60 "$perch" --max-runtime 1s -f "$n" get "$u/slow" > "$tmp/o" 2> "$tmp/e")
    status=$?
    elapsed=$(($(date +%s) - start))
    if [ "$status" = 124 ] && [ "$elapsed" -lt 10 ]; then
        echo "ok net_deadline"
    else
        echo "FAIL net_deadline: status $status after ${elapsed}s"
        sed 's/^/  err: /' "$tmp/e" | head -5
        failures=$((failures + 1))
    fi
    kill $server 2> /dev/null
else
    echo "skip perch.http_get tests (no python3 or no net.perch)"
fi

echo "$((total - failures))/$total passed"
[ "$failures" -eq 0 ]
