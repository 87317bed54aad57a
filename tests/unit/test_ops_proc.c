/* test_ops_proc.c: shell, shell_output, try_shell, exec and print: output
 * through the ctx callback, the scope's cwd and env, exit statuses and
 * their error kinds, deadlines and `requires bin` checks. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>
#include <unistd.h>

#include "os/clock.h"
#include "test_ops_fixture.h"

static void
test_ops_proc_shell_streams_output(void **state)
{
    (void)state;
    RUN_STMT_OK("shell", "echo hello; echo oops >&2; printf 'no newline'");
    assert_string_equal(f.out[1].buf, "hello\nno newline");
    assert_string_equal(f.out[2].buf, "oops\n");
    assert_string_equal(out.buf, "");
}

static void
test_ops_proc_shell_failure_is_shell_failed_with_status(void **state)
{
    (void)state;
    struct err err = { 0 };
    assert_false(fake_run_uncaptured(&f, &out, &err, "shell", "echo partial; exit 7", NULL));
    assert_int_equal(err.kind, ERR_SHELL);
    assert_int_equal(err.code, 7);
    assert_string_equal(err.msg, "shell \"echo partial; exit 7\" failed with exit code 7");
    assert_string_equal(f.out[1].buf, "partial\n");
    assert_false(fake_run_uncaptured(&f, &out, &err, "shell", "kill -TERM $$", NULL));
    assert_int_equal(err.code, 128 + 15);
    assert_non_null(strstr(err.msg, "killed by signal 15"));
}

static void
test_ops_proc_shell_output_captures_and_trims(void **state)
{
    (void)state;
    EXPECT("a\nb", "shell_output", "printf 'a\\nb\\n\\n\\n'");
    EXPECT("  spaced", "shell_output", "echo '  spaced'");
    EXPECT("", "shell_output", "true");
    assert_int_equal(f.out[1].len, 0); /* stdout was captured, not printed */
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "shell_output", "echo x; exit 3", NULL));
    assert_int_equal(err.kind, ERR_SHELL);
    assert_int_equal(err.code, 3);
    /* A captured `shell` returns stdout as well. */
    EXPECT("value", "shell", "echo value");
}

static void
test_ops_proc_try_shell_returns_status(void **state)
{
    (void)state;
    EXPECT("0", "try_shell", "true");
    EXPECT("1", "try_shell", "false");
    EXPECT("42", "try_shell", "echo shown; exit 42");
    assert_string_equal(f.out[1].buf, "shown\n");
}

static void
test_ops_proc_uses_scope_cwd_and_env(void **state)
{
    (void)state;
    fake_write(&f, "sub/marker", "");
    char *sub = fake_path(&f, "sub");
    f.ctx.cwd = sub;
    fake_setenv(&f, "GREETING", "from the scope");
    EXPECT("marker", "shell_output", "ls");
    EXPECT("from the scope", "shell_output", "echo \"$GREETING\"");
    EXPECT("marker", "exec", "ls");
    f.ctx.cwd = f.dir;
    free(sub);
}

static void
test_ops_proc_exec_runs_argv_without_a_shell(void **state)
{
    (void)state;
    EXPECT("$HOME; not expanded", "exec", "echo", "$HOME;", "not", "expanded");
    RUN_STMT_OK("exec", "echo", "printed");
    assert_string_equal(f.out[1].buf, "printed\n");
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "exec", "sh", "-c", "exit 4", NULL));
    assert_int_equal(err.kind, ERR_PROCESS);
    assert_int_equal(err.code, 4);
    assert_string_equal(err.msg, "exec \"sh\" failed with exit code 4");
    err_clear(&err);
    assert_false(fake_run(&f, &out, &err, "exec", "perch-no-such-tool", NULL));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "perch-no-such-tool"));
    /* An empty name (an unset variable, typically) is a usage error. */
    err_clear(&err);
    assert_false(fake_run(&f, &out, &err, "exec", "", NULL));
    assert_int_equal(err.kind, ERR_USAGE);
    assert_string_equal(err.msg, "exec: the program name is empty");
}

static void
test_ops_proc_requires_bin_check(void **state)
{
    (void)state;
    f.has_deny = true;
    f.deny_what = OP_CHECK_BIN;
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "exec", "git", "status", NULL));
    assert_int_equal(err.kind, ERR_BIN_NOT_DECLARED);
    assert_string_equal(f.last_subject, "git");
    assert_false(fake_run(&f, &out, &err, "shell", "kubectl apply -f m.yaml", NULL));
    assert_int_equal(err.kind, ERR_BIN_NOT_DECLARED);
    assert_string_equal(f.last_subject, "kubectl");
    f.has_deny = false;
}

static void
test_ops_proc_deadline_stops_the_command(void **state)
{
    (void)state;
    f.ctx.deadline_ns = os_clock_mono_ns() + 200 * OS_NS_PER_MS;
    struct err err = { 0 };
    int64_t start = os_clock_mono_ns();
    assert_false(fake_run(&f, &out, &err, "try_shell", "sleep 100", NULL));
    assert_int_equal(err.kind, ERR_TIMEOUT);
    assert_true(os_clock_mono_ns() - start < 4 * OS_NS_PER_SEC);
    f.ctx.deadline_ns = 0;
}

static void
test_ops_proc_reads_the_ctx_stdin(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "piped in\n", 9), 9);
    close(fds[1]);
    f.ctx.stdin_fd = fds[0];
    EXPECT("piped in", "shell_output", "cat");
    close(fds[0]);
    /* -1: an empty stdin, so a reader ends at once. */
    f.ctx.stdin_fd = -1;
    EXPECT("0", "shell_output", "wc -c < /dev/stdin | tr -d ' '");
}

static void
test_ops_pipe_runs_stages_in_the_scope(void **state)
{
    (void)state;
    fake_write(&f, "words.txt", "pear\napple\npear\nfig\n");
    const char *cat[] = { "cat", "words.txt", NULL };
    const char *sort[] = { "sort", "-u", NULL };
    const char *upper[] = { "tr a-z A-Z", NULL };
    struct ops_pipe_stage stages[] = { { cat, false }, { sort, false }, { upper, true } };
    struct sbuf cap = SBUF_INIT;
    struct err err = { 0 };
    assert_true(ops_run_pipe(&f.ctx, stages, 3, &cap, &err));
    assert_string_equal(cap.buf, "APPLE\nFIG\nPEAR");
    /* Uncaptured: the last stage's output is printed. */
    assert_true(ops_run_pipe(&f.ctx, stages, 3, NULL, &err));
    assert_string_equal(f.out[1].buf, "APPLE\nFIG\nPEAR\n");
    sbuf_release(&cap);
}

static void
test_ops_pipe_reports_the_last_failing_stage(void **state)
{
    (void)state;
    const char *s1[] = { "echo data; exit 3", NULL };
    const char *s2[] = { "grep", "nomatch", NULL };
    const char *s3[] = { "cat", NULL };
    struct ops_pipe_stage stages[] = { { s1, true }, { s2, false }, { s3, false } };
    struct err err = { 0 };
    assert_false(ops_run_pipe(&f.ctx, stages, 3, NULL, &err));
    assert_int_equal(err.kind, ERR_PROCESS);
    assert_int_equal(err.code, 1);
    assert_string_equal(err.msg, "pipe stage 2 (exec \"grep\") failed with exit code 1");
    const char *ok2[] = { "cat", NULL };
    struct ops_pipe_stage first_fails[] = { { s1, true }, { ok2, false } };
    err_clear(&err);
    assert_false(ops_run_pipe(&f.ctx, first_fails, 2, NULL, &err));
    assert_int_equal(err.kind, ERR_SHELL);
    assert_int_equal(err.code, 3);
    const char *missing[] = { "perch-no-such-tool", NULL };
    struct ops_pipe_stage bad[] = { { ok2, false }, { missing, false } };
    err_clear(&err);
    assert_false(ops_run_pipe(&f.ctx, bad, 2, NULL, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "pipe stage 2"));
    f.has_deny = true;
    f.deny_what = OP_CHECK_BIN;
    f.deny_subject = "grep";
    err_clear(&err);
    assert_false(ops_run_pipe(&f.ctx, stages, 3, NULL, &err));
    assert_int_equal(err.kind, ERR_BIN_NOT_DECLARED);
    f.has_deny = false;
    f.deny_subject = NULL;
}

static void
test_ops_pipe_deadline_stops_all_stages(void **state)
{
    (void)state;
    const char *s1[] = { "yes", NULL };
    const char *s2[] = { "sleep 100", NULL };
    struct ops_pipe_stage stages[] = { { s1, false }, { s2, true } };
    f.ctx.deadline_ns = os_clock_mono_ns() + 200 * OS_NS_PER_MS;
    int64_t start = os_clock_mono_ns();
    struct err err = { 0 };
    assert_false(ops_run_pipe(&f.ctx, stages, 2, NULL, &err));
    assert_int_equal(err.kind, ERR_TIMEOUT);
    assert_true(os_clock_mono_ns() - start < 4 * OS_NS_PER_SEC);
    f.ctx.deadline_ns = 0;
}

static void
test_ops_proc_print(void **state)
{
    (void)state;
    RUN_STMT_OK("print", "hello", "world");
    RUN_STMT_OK("print");
    assert_string_equal(f.out[1].buf, "hello world\n\n");
}

static void
test_ops_proc_env_ops_and_list_commands(void **state)
{
    (void)state;
    EXPECT("", "get_env", "PERCH_UNSET_VAR");
    EXPECT("fallback", "get_env", "PERCH_UNSET_VAR", "fallback");
    RUN_STMT_OK("set_env", "PERCH_MODE", "release");
    EXPECT("release", "get_env", "PERCH_MODE");
    EXPECT("release", "shell_output", "echo $PERCH_MODE");
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "set_env", "BAD-NAME", "x", NULL));
    assert_int_equal(err.kind, ERR_USAGE);
    f.has_deny = true;
    f.deny_what = OP_CHECK_ENV;
    assert_false(fake_run(&f, &out, &err, "get_env", "SECRET", NULL));
    assert_int_equal(err.kind, ERR_ENV_NOT_DECLARED);
    f.has_deny = false;
    EXPECT("build\ntest", "list_commands");
}

static void
test_ops_time_now_and_sleep(void **state)
{
    (void)state;
    RUN_STMT_OK("now");
    assert_int_equal(out.len, 20);
    assert_true(out.buf[4] == '-' && out.buf[10] == 'T' && out.buf[19] == 'Z');
    RUN_STMT_OK("now", "unix");
    long long secs = atoll(out.buf);
    assert_true(secs > 1700000000LL);
    RUN_STMT_OK("now", "%Y");
    assert_int_equal(out.len, 4);
    int64_t start = os_clock_mono_ns();
    RUN_STMT_OK("sleep", "50ms");
    assert_true(os_clock_mono_ns() - start >= 50 * OS_NS_PER_MS);
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "sleep", "5 parsecs", NULL));
    assert_int_equal(err.kind, ERR_USAGE);
    assert_non_null(strstr(err.msg, "sleep: invalid duration"));
    /* The deadline wakes a sleep early, as a timeout. */
    f.ctx.deadline_ns = os_clock_mono_ns() + 100 * OS_NS_PER_MS;
    start = os_clock_mono_ns();
    assert_false(fake_run(&f, &out, &err, "sleep", "30s", NULL));
    assert_int_equal(err.kind, ERR_TIMEOUT);
    assert_true(os_clock_mono_ns() - start < 2 * OS_NS_PER_SEC);
    f.ctx.deadline_ns = 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ops_proc_shell_streams_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_proc_shell_failure_is_shell_failed_with_status,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_proc_shell_output_captures_and_trims, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ops_proc_try_shell_returns_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_proc_uses_scope_cwd_and_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_proc_exec_runs_argv_without_a_shell, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ops_proc_requires_bin_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_proc_deadline_stops_the_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_proc_reads_the_ctx_stdin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_pipe_runs_stages_in_the_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_pipe_reports_the_last_failing_stage, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ops_pipe_deadline_stops_all_stages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_proc_print, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_proc_env_ops_and_list_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_time_now_and_sleep, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    sbuf_release(&out);
    return rc;
}
