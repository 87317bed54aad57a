#!/bin/sh
# policy.sh: --no-shell and friends, --env allowlists, exported bindings.
. "$(dirname "$0")/lib.sh"

cat >"$T/commands.perch" <<'P'
EXPORTED_NAME = "from-binding"
lower_name = "not exported"

command sh
    do
        shell "echo shell ran"
    end
end

command write
    do
        write_file "${script_dir}/written.txt" "x"
    end
end

command envs
    do
        h = get_env "PERCH_CLI_VISIBLE" "hidden"
        o = get_env "PERCH_CLI_OTHER" "hidden"
        print "${h} ${o}"
    end
end

command exported
    do
        out = shell_output "echo $EXPORTED_NAME/${lower_name}/$lower_name."
        print "${out}"
    end
end

command sandboxed
    do
        sandbox "no_shell"
            shell "echo nope"
        end
    end
end
P

run -f "$T/commands.perch" sh
expect_status 0
expect_out_exact "shell ran"

run --no-shell -f "$T/commands.perch" sh
expect_status 1 "--no-shell"
expect_err "(sandbox_denied)"
expect_err "no_shell"
expect_out_empty "--no-shell"

run --no-subprocess -f "$T/commands.perch" sh
expect_status 1 "--no-subprocess also stops shells"
expect_err "(sandbox_denied)"

run --no-write -f "$T/commands.perch" write
expect_status 1 "--no-write"
expect_err "no_write"
checks=$((checks + 1))
[ ! -e "$T/written.txt" ] || fail "--no-write must not write"

run -f "$T/commands.perch" sandboxed
expect_status 1 "sandbox block"
expect_err "sandbox: 'shell' needs shell (denied by no_shell)"

PERCH_CLI_VISIBLE=v PERCH_CLI_OTHER=o run -f "$T/commands.perch" envs
expect_out_exact "v o" "no allowlist: everything visible"
PERCH_CLI_VISIBLE=v PERCH_CLI_OTHER=o run --env PERCH_CLI_VISIBLE -f "$T/commands.perch" envs
expect_status 0
expect_out_exact "v hidden" "--env hides what is not listed"
PERCH_CLI_VISIBLE=v PERCH_CLI_OTHER=o run --env "" -f "$T/commands.perch" envs
expect_out_exact "hidden hidden" "--env '' hides everything"

run -f "$T/commands.perch" exported
expect_status 0
expect_out_exact "from-binding/not exported/." "UPPER_CASE bindings reach subprocesses"

# stdin: a pipe into perch reaches subprocesses; perch test never reads it.
cat >"$T/stdin.perch" <<'P'
command cat_in
    do
        shell "cat"
    end
end
command test_stdin_is_empty
    test
    test_allow_shell
    do
        out = shell_output "cat"
        assert_eq "${out}" ""
    end
end
P
echo "piped data" | "$PERCH" -f "$T/stdin.perch" cat_in >"$T/out" 2>"$T/err"
status=$?
expect_status 0 "stdin"
expect_out_exact "piped data" "a pipe into perch reaches the command"
echo "piped data" | "$PERCH" -f "$T/stdin.perch" test >"$T/out" 2>"$T/err"
status=$?
expect_status 0 "tests read an empty stdin"

finish
