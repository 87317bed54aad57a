#!/bin/sh
# tests/mcp/cli_test.sh PERCH_MCP PERCH FIXTURE_DIR: perch-mcp's command line:
# --help, --version, bad flags, finding commands.perch upward, a file that
# does not load, and `perch mcp` taking flags before and after 'mcp'.
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
req='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"who":"upward"}}}'
out=$(cd "$tmp/proj/a/b" && (echo "$req"; sleep 1) | "$mcp" 2>/dev/null)
case $out in
*'hello upward x1'*) ;;
*) fail "commands.perch upward: got $out" ;;
esac

# perch mcp: flags before and after the word are perch-mcp's.
req='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"both_streams","arguments":{}}}'
out=$(cd "$fixtures" && (echo "$req"; sleep 1) | "$perch" --no-shell mcp -f commands.perch 2>/dev/null)
case $out in
*'(sandbox_denied)'*) ;;
*) fail "perch --no-shell mcp: got $out" ;;
esac
expect 2 "unknown flag '--trace'" "perch --trace mcp" -- "$perch" --trace mcp

if [ "$failures" -ne 0 ]; then
    echo "$failures failed"
    exit 1
fi
echo "cli: all passed"
