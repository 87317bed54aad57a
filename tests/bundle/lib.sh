# tests/bundle/lib.sh: helpers for the bundle tests (POSIX sh).
#
# Each script sources this file, builds its fixtures in $T (a fresh
# temporary directory, removed on exit), and checks exit status, stdout and
# stderr of perch and of built binaries with the expect_* helpers.
# $PERCH is the perch binary, $PERCH_SRC the source tree (set by CTest).

set -u
: "${PERCH:?set PERCH to the perch binary}"
case $PERCH in /*) ;; *) PERCH=$(pwd)/$PERCH ;; esac
: "${PERCH_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/perch-bundle-XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
failures=0
checks=0

# run CMD ARGS...: runs a command, leaving $status, $T/out and $T/err.
run() {
    "$@" >"$T/out" 2>"$T/err" </dev/null
    status=$?
}

# run_clean DIR HOME CMD ARGS...: runs CMD from DIR with nothing but HOME
# and a system PATH in the environment (no perch on PATH, no source tree).
run_clean() {
    dir=$1
    home=$2
    shift 2
    (cd "$dir" && env -i HOME="$home" PATH=/usr/bin:/bin "$@" >"$T/out" 2>"$T/err" </dev/null)
    status=$?
}

fail() {
    failures=$((failures + 1))
    echo "FAIL: $*" >&2
    echo "  status: $status" >&2
    echo "  stdout:" >&2
    sed 's/^/    | /' "$T/out" | head -40 >&2
    echo "  stderr:" >&2
    sed 's/^/    | /' "$T/err" | head -40 >&2
}

check() {
    checks=$((checks + 1))
    if ! eval "$1"; then
        fail "${2:-$1}"
    fi
}

expect_status() {
    checks=$((checks + 1))
    [ "$status" -eq "$1" ] || fail "${2:-}: expected exit status $1"
}
expect_out() {
    checks=$((checks + 1))
    grep -qF -- "$1" "$T/out" || fail "${2:-}: stdout should contain '$1'"
}
expect_err() {
    checks=$((checks + 1))
    grep -qF -- "$1" "$T/err" || fail "${2:-}: stderr should contain '$1'"
}
expect_no_err() {
    checks=$((checks + 1))
    ! grep -qF -- "$1" "$T/err" || fail "${2:-}: stderr should not contain '$1'"
}
# expect_same_out FILE [WHAT]: stdout is exactly FILE's content.
expect_same_out() {
    checks=$((checks + 1))
    cmp -s "$1" "$T/out" || fail "${2:-}: stdout differs from $1"
}

# file_size FILE
file_size() {
    wc -c <"$1" | tr -d ' '
}

# footer_field FILE OFFSET: the little-endian u64 at OFFSET in the last 80 bytes.
footer_u64() {
    tail -c 80 "$1" | od -An -tu8 -j "$2" -N 8 | tr -d ' '
}

# flip_byte FILE OFFSET: invert every bit of one byte in place.
flip_byte() {
    b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
    nb=$((255 - b))
    printf "\\$(printf '%03o' "$nb")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures of $checks checks failed" >&2
        exit 1
    fi
    echo "ok: $checks checks"
    exit 0
}
