#!/bin/sh
# tests/mcp/cli_test.sh PERCH_MCP PERCH FIXTURE_DIR: perch-mcp's command line:
# --help, --version, bad flags, finding commands.perch upward, a file that
# does not load, `perch mcp` taking flags before and after 'mcp', and
# stopping: stdin EOF lets running calls finish (piped one-shot use), SIGTERM
# and SIGINT interrupt them at once (exit 128+N).
mcp=$1 perch=$2 fixtures=$3
failures=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect STATUS PATTERN DESCRIPTION -- COMMAND...: run, check status and output
expect() {
    want_status=$1 pattern=$2 what=$3
    shift 4
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    status=$?
    [ "$status" -eq "$want_status" ] || fail "$what: exit $status, expected $want_status"
    grep -q -e "$pattern" "$tmp/out" "$tmp/err" || {
        fail "$what: no '$pattern' in the output"
        cat "$tmp/out" "$tmp/err"
    }
}

expect 0 'Usage: perch-mcp \[-f FILE\]' "--help" -- "$mcp" --help
expect 0 '^perch-mcp [0-9]' "--version" -- "$mcp" --version
expect 2 "unknown flag '--bogus'" "unknown flag" -- "$mcp" --bogus
expect 2 "expected seconds" "bad --max-runtime" -- "$mcp" --max-runtime soon
expect 2 "needs a file" "-f without a file" -- "$mcp" -f
expect 2 "unexpected argument 'extra'" "stray word" -- "$mcp" extra
expect 1 "no-such.perch" "a file that does not exist" -- "$mcp" -f "$tmp/no-such.perch"
printf 'command broken\n    do\n' >"$tmp/broken.perch"
expect 1 "broken.perch:" "a file that does not load" -- "$mcp" -f "$tmp/broken.perch"
mkdir -p "$tmp/empty"
(cd "$tmp/empty" && expect 2 "no commands.perch" "no file anywhere" -- "$mcp") || true

# Without -f: the nearest commands.perch upward, as perch does.
mkdir -p "$tmp/proj/a/b"
cp "$fixtures/commands.perch" "$fixtures/lib.perch" "$tmp/proj/"
hello='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}'
req='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"greet","arguments":{"who":"upward"}}}'
out=$(cd "$tmp/proj/a/b" && (echo "$hello"; echo "$req"; sleep 1) | "$mcp" 2>/dev/null)
case $out in
*'hello upward x1'*) ;;
*) fail "commands.perch upward: got $out" ;;
esac

# perch mcp: flags before and after the word are perch-mcp's.
req='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"both_streams","arguments":{}}}'
out=$(cd "$fixtures" && (echo "$hello"; echo "$req"; sleep 1) | "$perch" --no-shell mcp -f commands.perch 2>/dev/null)
case $out in
*'(sandbox_denied)'*) ;;
*) fail "perch --no-shell mcp: got $out" ;;
esac
expect 2 "unknown flag '--trace'" "perch --trace mcp" -- "$perch" --trace mcp

# Where a call failed: file:line:col in the text, the structured error and
# the --audit events (boom's `fail` is at commands.perch:50:9).
boom='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"boom","arguments":{}}}'
out=$(cd "$fixtures" && printf '%s\n%s\n' "$hello" "$boom" |
    "$mcp" -f commands.perch --audit "$tmp/audit.ndjson" 2>/dev/null)
case $out in
*'commands.perch:50:9: error: it broke (fail)'*) ;;
*) fail "error text names file:line:col: got $out" ;;
esac
case $out in
*'"error":{"kind":"fail","message":"it broke","file":"commands.perch","line":50,"column":9}'*) ;;
*) fail "structured error has file, line and column: got $out" ;;
esac
grep '"event":"tool_call"' "$tmp/audit.ndjson" | grep -q '"line":50.*"column":9\|"column":9.*"line":50' ||
    fail "audit tool_call error has line and column: $(cat "$tmp/audit.ndjson")"
grep '"event":"op"' "$tmp/audit.ndjson" | grep '"kind":"fail"' |
    grep -q '"file":"commands.perch","line":50,"column":9' ||
    fail "audit op event has file, line and column: $(cat "$tmp/audit.ndjson")"

# Stopping (MCP's stdio shutdown): at stdin EOF the calls in flight finish
# and answer, then perch-mcp exits 0, so piped one-shot use works.
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}'
slow() { echo '{"jsonrpc":"2.0","id":'"$1"',"method":"tools/call","params":{"name":"slow","arguments":{"seconds":"'"$2"'"}}}'; }
greet='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"greet","arguments":{"who":"piped"}}}'
start=$(date +%s)
(cd "$fixtures" && printf '%s\n%s\n%s\n' "$init" "$(slow 2 1.5)" "$greet" |
    "$mcp" -f commands.perch >"$tmp/out" 2>"$tmp/err")
status=$?
[ "$status" -eq 0 ] || fail "piped one-shot: exit $status, expected 0"
grep -q '"id":2,"result":{"content":\[{"type":"text","text":"started\\nfinished\\n"}' "$tmp/out" ||
    fail "piped one-shot: the slow call's result is missing: $(cat "$tmp/out")"
grep -q '"id":3,.*hello piped x1' "$tmp/out" || fail "piped one-shot: no greet result"
grep -q 'cancelled' "$tmp/out" && fail "piped one-shot: a call was cancelled at EOF"
[ "$(wc -l <"$tmp/out")" -eq 3 ] || fail "piped one-shot: expected 3 responses: $(cat "$tmp/out")"
[ $(($(date +%s) - start)) -lt 20 ] || fail "piped one-shot: took too long"

# `sleep SECONDS` still running anywhere?
sleep_running() { ps -eo args | grep -qx "sleep $1"; }
# wait_gone PID: up to 5 s for PID to exit; its status in $status.
wait_gone() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    kill -0 "$1" 2>/dev/null && { fail "pid $1 still running 5 s after the signal"; kill -9 "$1"; }
    wait "$1"
    status=$?
}
# wait_for CMD...: up to 5 s for CMD to succeed.
wait_for() {
    i=0
    while ! "$@" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}

# SIGTERM while stdin is open and a call runs: the call is interrupted at
# once (its subprocess stopped), answers "cancelled", exit 128+15.
mkfifo "$tmp/in"
(cd "$fixtures" && exec "$mcp" -f commands.perch <"$tmp/in" >"$tmp/out" 2>"$tmp/err") &
pid=$!
exec 3>"$tmp/in"
printf '%s\n%s\n' "$init" "$(slow 2 91.25)" >&3
wait_for sleep_running 91.25
sleep_running 91.25 || fail "SIGTERM: the call did not start"
kill -TERM "$pid"
wait_gone "$pid"
exec 3>&-
[ "$status" -eq 143 ] || fail "SIGTERM: exit $status, expected 143"
grep -q '"id":2,.*"kind":"cancelled"' "$tmp/out" || fail "SIGTERM: no cancelled answer: $(cat "$tmp/out")"
wait_for eval '! sleep_running 91.25'
sleep_running 91.25 && fail "SIGTERM: the subprocess survived"

# SIGINT after stdin ended, while the last call finishes: it stops waiting.
printf '%s\n%s\n' "$init" "$(slow 2 91.5)" |
    (cd "$fixtures" && exec "$mcp" -f commands.perch >"$tmp/out" 2>"$tmp/err") &
pid=$!
wait_for sleep_running 91.5
sleep_running 91.5 || fail "SIGINT after EOF: the call did not start"
kill -INT "$pid"
wait_gone "$pid"
[ "$status" -eq 130 ] || fail "SIGINT after EOF: exit $status, expected 130"
grep -q '"id":2,.*"kind":"cancelled"' "$tmp/out" || fail "SIGINT after EOF: no cancelled answer: $(cat "$tmp/out")"
wait_for eval '! sleep_running 91.5'
sleep_running 91.5 && fail "SIGINT after EOF: the subprocess survived"

if [ "$failures" -ne 0 ]; then
    echo "$failures failed"
    exit 1
fi
echo "cli: all passed"
