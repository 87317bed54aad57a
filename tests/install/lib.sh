# tests/install/lib.sh: helpers for the installation tests (POSIX sh).
# CTest sets PERCH (the built perch), SRC (the source tree) and BIN (the
# build tree). Each script gets a fresh $T,
# removed on exit, and ends with `finish`; exit 77 means skipped.

set -u
: "${PERCH:?set PERCH to the perch binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/perch-install-XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

check() { # check WHAT COMMAND...: the command succeeds
    what=$1
    shift
    checks=$((checks + 1))
    if ! "$@" >"$T/check.out" 2>&1; then
        failures=$((failures + 1))
        echo "FAIL: $what" >&2
        echo "  command: $*" >&2
        sed 's/^/    | /' "$T/check.out" >&2
    fi
}

check_not() { # check_not WHAT COMMAND...: the command fails
    what=$1
    shift
    checks=$((checks + 1))
    if "$@" >"$T/check.out" 2>&1; then
        failures=$((failures + 1))
        echo "FAIL: $what (should have failed)" >&2
        echo "  command: $*" >&2
        sed 's/^/    | /' "$T/check.out" >&2
    fi
}

contains() { grep -qF -- "$2" "$1"; } # contains FILE TEXT

skip() {
    echo "SKIP: $*"
    exit 77
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures of $checks checks failed" >&2
        exit 1
    fi
    echo "ok: $checks checks"
    exit 0
}
