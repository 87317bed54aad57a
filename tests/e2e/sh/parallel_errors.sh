#!/bin/sh
# parallel_errors.sh: where a failed parallel block points. One failed
# branch is that branch's error, at its line; several are the block's error,
# at the `parallel` line, listing each branch's message in branch order.
. "$(dirname "$0")/lib.sh"

cat >"$T/p.perch" <<'P'
command one
    do
        parallel
            print "ok"
            fail "only this one"
        end
    end
end
command several
    do
        parallel
            fail "first"
            print "ok"
            fail "second"
        end
    end
end
P

run -w "one branch failed" -f p.perch one
expect_status 1
expect_out "ok"
expect_err "p.perch:5:13: error: only this one (fail)"

run -w "several branches failed" -f p.perch several
expect_status 1
expect_out "ok"
expect_err "p.perch:11:9: error: parallel: 2 branches failed:
  - first
  - second (parallel_failed)"

finish
