# tests/realworld/lib.sh: helpers shared by the real-world module tests.
# Sourced by bash scripts run from CTest with PERCH (the perch binary),
# PERCH_SRC (the source tree) and RW_WORK (a scratch directory in the build
# tree) in the environment. Exit status 77 means "skipped" (SKIP_RETURN_CODE).

set -u

: "${PERCH:?PERCH must name the perch binary}"
: "${PERCH_SRC:?PERCH_SRC must name the source tree}"
: "${RW_WORK:?RW_WORK must name a scratch directory}"

rw_fails=0
rw_passes=0

rw_skip() {
    echo "SKIP: $*"
    exit 77
}

rw_ok() {
    rw_passes=$((rw_passes + 1))
    echo "ok: $*"
}

rw_fail() {
    rw_fails=$((rw_fails + 1))
    echo "FAIL: $*"
}

# rw_check DESCRIPTION COMMAND...: passes when the command succeeds.
rw_check() {
    local what=$1
    shift
    if "$@"; then rw_ok "$what"; else rw_fail "$what"; fi
}

# rw_same DESCRIPTION FILE1 FILE2: byte-identical files.
rw_same() {
    if cmp -s "$2" "$3"; then
        rw_ok "$1"
    else
        rw_fail "$1 ($2 and $3 differ)"
        diff "$2" "$3" | head -n 20
    fi
}

rw_sha() {
    sha256sum "$1" | cut -d' ' -f1
}

# rw_done: the summary line and the exit status.
rw_done() {
    echo "${rw_passes} passed, ${rw_fails} failed"
    [ "$rw_fails" -eq 0 ]
}

# The node binary when it has node:wasi (node 20+), else empty.
rw_node() {
    if command -v node >/dev/null 2>&1 &&
        node -e 'require("node:wasi")' >/dev/null 2>&1; then
        command -v node
    fi
}
