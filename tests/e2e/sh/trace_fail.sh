#!/bin/sh
# trace_fail.sh: `fail` is a span like any op, so --trace shows where a run
# was failed, not only that the enclosing block failed.
. "$(dirname "$0")/lib.sh"

cat >"$T/f.perch" <<'P'
command boom
    do
        print "before"
        fail "kaboom"
    end
end
P

run -w "--trace shows the fail statement" --trace -f f.perch boom
expect_status 1
expect_out "before"
sed -E 's/\([0-9.]+(ns|µs|ms|s)\)/(DUR)/' "$T/.err" >"$T/.err2"
same "$T/.err2" '▸ command boom
  ▸ print "before"
  ✓ (DUR)
  ▸ fail "kaboom"
  ✗ kaboom (DUR)
✗ kaboom (DUR)
f.perch:4:9: error: kaboom (fail)' stderr

finish
