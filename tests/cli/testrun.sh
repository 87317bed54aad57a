#!/bin/sh
# testrun.sh: `perch test`: discovery, order, isolation, output format,
# --filter, -v, --keep-tempdir, test_timeout, default sandbox.
. "$(dirname "$0")/lib.sh"

cat >"$T/commands.perch" <<'P'
command helper
    do
        print "not a test"
    end
end

command test_b_passes
    test
    do
        print "quiet unless -v"
        assert_eq "1" "1"
    end
end

command test_a_fresh_cwd
    test
    do
        write_file "marker.txt" "x"
        assert_neq "${cwd}" "${script_dir}"
        print "cwd=${cwd}"
    end
end

command test_c_fails
    test
    do
        print "output before failing"
        assert_eq "${script_dir}" "nowhere"
    end
end

command test_d_shell_denied_by_default
    test
    do
        try
            shell "echo hi"
        rescue
            k = "${err.kind}"
        end
        assert_eq "${k}" "sandbox_denied"
    end
end

command test_e_shell_allowed
    test
    test_allow_shell
    do
        out = shell_output "echo allowed"
        assert_eq "${out}" "allowed"
    end
end

command test_f_timeout
    test
    test_timeout 1
    do
        sleep "20s"
    end
end

command test_g_keep_cwd
    test
    test_keep_cwd
    do
        print "kept=${cwd}"
    end
end
P

start=$(date +%s)
run -f "$T/commands.perch" test
end=$(date +%s)
expect_status 1 "a failing test makes perch test fail"
expect_out "✓ test_a_fresh_cwd ("
expect_out "✓ test_b_passes ("
expect_out "✗ test_c_fails ("
expect_out "assert_eq" "the error is shown"
expect_out "output before failing" "a failing test's output is shown"
expect_no_out "quiet unless -v" "passing tests' output is hidden"
expect_out "✓ test_d_shell_denied_by_default ("
expect_out "✓ test_e_shell_allowed ("
expect_out "✗ test_f_timeout ("
expect_out "(timeout)"
expect_out "✓ test_g_keep_cwd ("
expect_out "5 passed, 2 failed in "
expect_no_out "helper" "only test commands run"
checks=$((checks + 1))
[ $((end - start)) -lt 10 ] || fail "test_timeout 1 should stop a 20s sleep"

# Sorted by name.
checks=$((checks + 1))
grep -o 'test_[a-z]_' "$T/out" | tr -d '\n' | grep -q '^test_a_test_b_test_c_test_d_test_e_test_f_test_g_$' ||
    fail "tests run sorted by name"

# The temp cwd is removed afterwards.
run -f "$T/commands.perch" test --filter fresh -v
expect_status 0 "--filter"
expect_out "1 passed, 0 failed"
expect_no_out "test_b_passes" "--filter skips others"
expect_out "cwd=" "-v shows output of passing tests"
dir=$(sed -n 's/.*cwd=//p' "$T/out")
checks=$((checks + 1))
[ -n "$dir" ] && [ ! -e "$dir" ] || fail "the temp dir '$dir' should be removed"

run -f "$T/commands.perch" test --filter fresh --keep-tempdir -v
expect_status 0 "--keep-tempdir"
expect_out "kept: "
dir=$(sed -n 's/.*kept: //p' "$T/out")
checks=$((checks + 1))
[ -f "$dir/marker.txt" ] || fail "--keep-tempdir keeps the files"
rm -rf "$dir"

run_in "$T" -f "$T/commands.perch" test --filter keep_cwd -v
real_t=$(cd "$T" && pwd -P)
expect_out "kept=$real_t" "test_keep_cwd runs in perch's cwd"

run -f "$T/commands.perch" test --filter nothing_matches
expect_status 1 "a filter that matches nothing"
expect_err "no test name contains 'nothing_matches'"

run -f "$T/commands.perch" test --bogus
expect_status 2 "unknown test flag"

# Ctrl-C stops the session: the running test fails, the rest do not run.
cat >"$T/slow.perch" <<'P'
command test_a_slow
    test
    do
        sleep "20s"
    end
end
command test_b_never
    test
    do
        print "x"
    end
end
P
"$PERCH" -f "$T/slow.perch" test >"$T/out" 2>"$T/err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
status=$?
expect_status 130 "perch test interrupted"
expect_out "✗ test_a_slow"
expect_no_out "test_b_never" "no test starts after Ctrl-C"

cat >"$T/allpass.perch" <<'P'
command test_one
    test
    do
        assert_eq "a" "a"
    end
end
P
run -f "$T/allpass.perch" test
expect_status 0 "all passing"
expect_out "1 passed, 0 failed in "

finish
