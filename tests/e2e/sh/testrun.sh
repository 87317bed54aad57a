#!/bin/sh
# testrun.sh: `perch test` output, isolation and limits as a user sees them.
. "$(dirname "$0")/lib.sh"

cat >"$T/t.perch" <<'P'
command test_a_slow
    test
    do
        sleep "400ms"
    end
end
command test_b_slow
    test
    do
        sleep "400ms"
    end
end
command test_c_slow
    test
    do
        sleep "400ms"
    end
end
P

run -w "--max-runtime bounds the whole test session" --max-runtime 600ms -f t.perch test
expect_status 124
expect_out_timed "✓ test_a_slow (DUR)
✗ test_b_slow (DUR)
    t.perch:10:9: sleep DUR: the deadline passed first (--max-runtime DUR) (timeout)
1 passed, 1 failed in DUR."
expect_err "perch test: --max-runtime 600ms passed; 1 test not run"

run -w "within --max-runtime nothing changes" --max-runtime 10s -f t.perch test --filter _a_
expect_status 0
expect_out_timed "✓ test_a_slow (DUR)
1 passed, 0 failed in DUR."
expect_err ""

finish
