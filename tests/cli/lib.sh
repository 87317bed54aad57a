# tests/cli/lib.sh: helpers for the CLI contract tests (POSIX sh).
#
# Each test script sources this file, writes its fixtures into $T (a fresh
# temporary directory, removed on exit), runs perch with `run`, and checks
# the captured exit status, stdout and stderr with the expect_* helpers.
# The perch binary comes from $PERCH (set by CTest).

set -u
: "${PERCH:?set PERCH to the perch binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/perch-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

# run ARGS...: runs perch, leaving $status, $T/out and $T/err.
run() {
    "$PERCH" "$@" >"$T/out" 2>"$T/err" </dev/null
    status=$?
}

# run_in DIR ARGS...: same, from DIR.
run_in() {
    dir=$1
    shift
    (cd "$dir" && "$PERCH" "$@" >"$T/out" 2>"$T/err" </dev/null)
    status=$?
}

fail() {
    failures=$((failures + 1))
    echo "FAIL: $*" >&2
    echo "  status: $status" >&2
    echo "  stdout:" >&2
    sed 's/^/    | /' "$T/out" >&2
    echo "  stderr:" >&2
    sed 's/^/    | /' "$T/err" >&2
}

expect_status() {
    checks=$((checks + 1))
    [ "$status" -eq "$1" ] || fail "${2:-}: expected exit status $1"
}

# expect_out/expect_err TEXT [WHAT]: the stream contains TEXT (fixed string).
expect_out() {
    checks=$((checks + 1))
    grep -qF -- "$1" "$T/out" || fail "${2:-}: stdout should contain '$1'"
}
expect_err() {
    checks=$((checks + 1))
    grep -qF -- "$1" "$T/err" || fail "${2:-}: stderr should contain '$1'"
}
expect_no_out() {
    checks=$((checks + 1))
    ! grep -qF -- "$1" "$T/out" || fail "${2:-}: stdout should not contain '$1'"
}
expect_no_err() {
    checks=$((checks + 1))
    ! grep -qF -- "$1" "$T/err" || fail "${2:-}: stderr should not contain '$1'"
}
expect_out_empty() {
    checks=$((checks + 1))
    [ ! -s "$T/out" ] || fail "${1:-}: stdout should be empty"
}
expect_err_empty() {
    checks=$((checks + 1))
    [ ! -s "$T/err" ] || fail "${1:-}: stderr should be empty"
}
# expect_out_exact TEXT: stdout is exactly TEXT plus a final newline.
expect_out_exact() {
    checks=$((checks + 1))
    printf '%s\n' "$1" | cmp -s - "$T/out" || fail "${2:-}: stdout should be exactly '$1'"
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures of $checks checks failed" >&2
        exit 1
    fi
    echo "ok: $checks checks"
    exit 0
}
