#!/bin/sh
# version.sh: the version perch, perch-mcp and the audit log report comes
# from one generated header (perch_version.h in the build directory), not a
# compile definition on every file: a reconfigure after a commit then
# rebuilds only the few files that print the version.
. "$(dirname "$0")/lib.sh"
build=${PERCH_BUILD_DIR:-$(dirname "$PERCH")}
header="$build/generated/perch_version.h"
status=0

checks=$((checks + 1))
[ -f "$header" ] || fail "no generated $header"
version=$(sed -n 's/^#define PERCH_VERSION "\(.*\)"$/\1/p' "$header" 2>/dev/null)
checks=$((checks + 1))
[ -n "$version" ] || fail "$header defines no PERCH_VERSION"

run --version
expect_status 0 "--version"
checks=$((checks + 1))
[ "$(head -n 1 "$T/out")" = "perch $version" ] || fail "perch --version is not 'perch $version'"

mcp="$(dirname "$PERCH")/perch-mcp"
if [ -x "$mcp" ]; then
    checks=$((checks + 1))
    [ "$("$mcp" --version)" = "perch-mcp $version" ] || fail "perch-mcp --version is not 'perch-mcp $version'"
fi

# The audit log's session_start names the same version.
printf 'command hi\n    do\n        print "hi"\n    end\nend\n' >"$T/c.perch"
run --audit "$T/audit.ndjson" -f "$T/c.perch" hi
expect_status 0 "--audit"
checks=$((checks + 1))
grep -qF "\"perch\":\"$version\"" "$T/audit.ndjson" || fail "session_start does not carry $version"

# No source file is compiled with -DPERCH_VERSION=... any more.
if [ -f "$build/compile_commands.json" ]; then
    checks=$((checks + 1))
    ! grep -q 'PERCH_VERSION=' "$build/compile_commands.json" ||
        fail "PERCH_VERSION is still a compile definition (compile_commands.json)"
fi

finish
