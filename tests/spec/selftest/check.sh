#!/usr/bin/env bash
# tests/spec/selftest/check.sh: tests perch-spectest itself (CTest: spec/selftest).
#
#   check.sh BUILD_DIR
#
# selftest.wast marks the commands that must fail (";; FAIL") or be skipped (";; SKIP") at
# the end of their first line; all others must pass. This converts it, runs the runner,
# and checks the failing lines, the counts, the two message mismatches and the exit status.
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
runner=${PERCH_SPECTEST:-$1/tests/spec/perch-spectest}
out=$1/spec-selftest
mkdir -p "$out"
wast2json "$here/selftest.wast" -o "$out/selftest.json" || exit 2

"$runner" --timeout 1 --list-failures "$out/failures" "$out/selftest.json" >"$out/output" 2>&1
rc=$?
status=0
bad() { echo "spec/selftest: $*"; status=1; }

[ $rc -eq 1 ] || bad "exit status $rc, expected 1 (some commands fail)"
grep -n ';; FAIL$' "$here/selftest.wast" | cut -d: -f1 | sed 's/^/selftest.wast:/' | sort >"$out/want"
sort "$out/failures" >"$out/got"
if ! diff -u "$out/want" "$out/got" >"$out/diff"; then
  bad "failed commands differ from the ';; FAIL' markers (- expected, + reported):"
  grep -E '^[-+]selftest' "$out/diff"
fi
fails=$(wc -l <"$out/want")
skips=$(grep -c ';; SKIP$' "$here/selftest.wast")
total=$(grep -c '^  {"type"' "$out/selftest.json")
passes=$((total - fails - skips))
grep -q -x "selftest.wast: $passes passed, $fails failed, $skips skipped" "$out/output" \
  || bad "no line 'selftest.wast: $passes passed, $fails failed, $skips skipped'"
[ "$(tail -1 "$out/output")" = "$passes passed, $fails failed, $skips skipped" ] \
  || bad "last line is '$(tail -1 "$out/output")'"
grep -q -x '2 assertions failed with the right kind of error but another message' "$out/output" \
  || bad "expected exactly 2 message mismatches"
[ $status -eq 0 ] && echo "spec/selftest: $passes passed, $fails failed, $skips skipped, as marked"
[ $status -eq 0 ] || { echo "runner output:"; cat "$out/output"; }
exit $status
