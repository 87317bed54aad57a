#!/bin/sh
# tests/wasm/wasi_diff.sh: differential test against node's node:wasi.
# Runs a few tool.wasm invocations through our WASI (wasi_driver run) and
# through node, and compares stdout and the exit status byte for byte.
#   wasi_diff.sh WASI_DRIVER NODE NODE_RUN_MJS MODULE_DIR
set -u
driver=$1 node=$2 runner=$3 dir=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/perch-wasi-diff-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/data"
printf 'line one\nline two\n' > "$tmp/data/in.txt"
printf 'piped input\n' > "$tmp/stdin.txt"
failures=0
cases=0

check() { # name, then the module arguments
    name=$1
    shift
    cases=$((cases + 1))
    "$driver" run --ro-dir "$tmp/data::/ro/data" --env GREETING=hi "$dir/tool.wasm" "$@" \
        < "$tmp/stdin.txt" > "$tmp/ours.out" 2>/dev/null
    ours=$?
    "$node" --no-warnings "$runner" --dir "$tmp/data::/ro/data" --env GREETING=hi \
        "$dir/tool.wasm" "$@" < "$tmp/stdin.txt" > "$tmp/node.out" 2>/dev/null
    theirs=$?
    if [ "$ours" != "$theirs" ] || ! cmp -s "$tmp/ours.out" "$tmp/node.out"; then
        echo "DIFF $name: exit $ours vs node $theirs"
        diff "$tmp/ours.out" "$tmp/node.out" | head -20
        failures=$((failures + 1))
    else
        echo "same $name (exit $ours)"
    fi
}

check args args "two words" x
check exit exit 42
check return return 3
check big big 200000
check read read /ro/data/in.txt
check read_missing read /ro/data/missing.txt
check cat cat
check stderr stderr

echo "$((cases - failures))/$cases cases identical"
[ "$failures" -eq 0 ]
