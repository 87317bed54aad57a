#!/bin/sh
# deadlines.sh: a run stopped by a deadline says which one passed (a
# `timeout` block, a test's test_timeout, --max-runtime) and exits 124.
. "$(dirname "$0")/lib.sh"

cat >"$T/d.perch" <<'P'
command block_sleep
    do
        timeout "200ms"
            sleep "5s"
        end
    end
end
command block_shell
    do
        timeout "200ms"
            shell "sleep 5"
        end
    end
end
command plain_shell
    do
        shell "sleep 5"
    end
end
command test_slow
    test
    test_timeout 300ms
    do
        sleep "5s"
    end
end
P

run -w "timeout block around sleep" -f d.perch block_sleep
expect_status 124
expect_err 'd.perch:4:13: error: sleep 5s: the deadline passed first (timeout "200ms") (timeout)'

run -w "timeout block around a shell" -f d.perch block_shell
expect_status 124
expect_err 'd.perch:11:13: error: shell "sleep 5" timed out and was stopped (timeout "200ms") (timeout)'

run -w "--max-runtime" --max-runtime 300ms -f d.perch plain_shell
expect_status 124
expect_err 'd.perch:17:9: error: shell "sleep 5" timed out and was stopped (--max-runtime 300ms) (timeout)'

run -w "test_timeout" -f d.perch test
expect_status 1
expect_out_timed '✗ test_slow (DUR)
    d.perch:24:9: sleep DUR: the deadline passed first (test_timeout DUR) (timeout)
0 passed, 1 failed in DUR.'

finish
