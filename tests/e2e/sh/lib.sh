# tests/e2e/sh/lib.sh: helpers for the end-to-end scripts (POSIX sh).
#
# A script sources this file, writes .perch files into $T (a fresh temporary
# directory, removed on exit; also the cwd of every run), runs perch with
# `run ARGS...`, and checks the exit status and the exact text of stdout and
# stderr. In expected text, the literal word @T@ stands for $T.
# The perch binary comes from $PERCH (set by CTest).

set -u
: "${PERCH:?set PERCH to the perch binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/perch-e2e-XXXXXX")
T=$(cd "$T" && pwd -P) # messages name resolved paths
trap 'rm -rf "$T"' EXIT
failures=0
checks=0
status=0
what=""

# run ARGS...: runs perch in $T with stdin from /dev/null, leaving $status,
# $T/.out and $T/.err. The first argument may be `-w WHAT` to name the case.
run() {
    if [ "$1" = "-w" ]; then
        what=$2
        shift 2
    fi
    (cd "$T" && "$PERCH" "$@" >"$T/.out" 2>"$T/.err" </dev/null)
    status=$?
}

fail() {
    failures=$((failures + 1))
    echo "FAIL: ${what}: $*" >&2
    echo "  status: $status" >&2
    echo "  stdout:" >&2
    sed 's/^/    | /' "$T/.out" >&2
    echo "  stderr:" >&2
    sed 's/^/    | /' "$T/.err" >&2
}

expect_status() {
    checks=$((checks + 1))
    [ "$status" -eq "$1" ] || fail "expected exit status $1"
}

# same FILE EXPECTED: FILE's text equals EXPECTED (with @T@ replaced) plus a
# final newline; an empty EXPECTED means an empty file.
same() {
    checks=$((checks + 1))
    if [ -z "$2" ]; then
        [ ! -s "$1" ] && return 0
    else
        printf '%s\n' "$2" | sed "s|@T@|$T|g" | cmp -s - "$1" && return 0
    fi
    fail "$3 should be exactly:"
    printf '%s\n' "$2" | sed "s|@T@|$T|g; s/^/    > /" >&2
}
expect_out() { same "$T/.out" "$1" stdout; }
# expect_out_timed TEXT: like expect_out, with every duration in stdout
# ("(12ms)", "in 1.2s.") written as DUR.
expect_out_timed() {
    sed -E 's/[0-9]+(\.[0-9]+)?(ns|µs|ms|s|m|h)([0-9]+(\.[0-9]+)?(ms|s|m))*/DUR/g' "$T/.out" >"$T/.timed"
    same "$T/.timed" "$1" stdout
}
expect_err() { same "$T/.err" "$1" stderr; }

# expect_err_has TEXT: stderr contains TEXT (fixed string, @T@ replaced).
expect_err_has() {
    checks=$((checks + 1))
    t=$(printf '%s' "$1" | sed "s|@T@|$T|g")
    grep -qF -- "$t" "$T/.err" || fail "stderr should contain '$t'"
}
expect_out_has() {
    checks=$((checks + 1))
    t=$(printf '%s' "$1" | sed "s|@T@|$T|g")
    grep -qF -- "$t" "$T/.out" || fail "stdout should contain '$t'"
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures of $checks checks failed" >&2
        exit 1
    fi
    echo "ok: $checks checks"
    exit 0
}
