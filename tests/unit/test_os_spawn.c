/* test_os_spawn.c: child processes: exit codes and signals, whole-line
 * output forwarding, explicit env/cwd/stdin, deadline and interrupt kills
 * of the whole process group, and start-up errors. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "os/clock.h"
#include "os/fs.h"
#include "os/spawn.h"

/* Collected output: the concatenation per stream, and whether every chunk
 * but a stream's last ended with a newline. */
struct collect {
    struct sbuf out[3];
    int chunks;
    int torn_chunks;
};

static void
collect_output(void *arg, int stream, const char *data, size_t len)
{
    struct collect *c = arg;
    assert_true(stream == 1 || stream == 2);
    assert_true(len > 0);
    sbuf_add(&c->out[stream], data, len);
    c->chunks++;
    if (data[len - 1] != '\n')
        c->torn_chunks++;
}

static void
collect_release(struct collect *c)
{
    for (int i = 0; i < 3; i++)
        sbuf_release(&c->out[i]);
}

static const char *sh_env[] = { "PATH=/usr/bin:/bin", NULL };

/* Run `sh -c script` with the given options; returns the result. */
static struct os_spawn_result
run_sh(const char *script, const char *cwd, const char **envp, int64_t deadline_ns,
       struct collect *c)
{
    const char *argv[] = { "sh", "-c", script, NULL };
    struct os_spawn spec = {
        .program = "/bin/sh",
        .argv = argv,
        .envp = envp ? envp : sh_env,
        .cwd = cwd,
        .stdin_fd = -1,
        .deadline_ns = deadline_ns,
        .grace_ns = 300 * OS_NS_PER_MS,
        .on_output = collect_output,
        .output_arg = c,
    };
    struct os_spawn_result res;
    struct err err = { 0 };
    if (!os_spawn_run(&spec, &res, &err))
        fail_msg("os_spawn_run: %s", err.msg);
    return res;
}

static void
test_os_spawn_reports_exit_codes_and_signals(void **state)
{
    (void)state;
    struct collect c = { 0 };
    struct os_spawn_result r = run_sh("exit 0", NULL, NULL, 0, &c);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.signal, 0);
    r = run_sh("exit 3", NULL, NULL, 0, &c);
    assert_int_equal(r.exit_code, 3);
    assert_false(r.timed_out);
    r = run_sh("kill -KILL $$", NULL, NULL, 0, &c);
    assert_int_equal(r.signal, SIGKILL);
    assert_int_equal(r.exit_code, 128 + SIGKILL);
    collect_release(&c);
}

static void
test_os_spawn_forwards_whole_lines(void **state)
{
    (void)state;
    struct collect c = { 0 };
    /* Partial writes with pauses: the callback must still see whole lines. */
    run_sh("printf 'abc'; sleep 0.1; printf 'def\\nghi'; sleep 0.1; printf 'jkl\\n'; "
           "printf 'no newline at end'",
           NULL, NULL, 0, &c);
    assert_string_equal(c.out[1].buf, "abcdef\nghijkl\nno newline at end");
    assert_int_equal(c.torn_chunks, 1); /* only the final, unterminated chunk */
    collect_release(&c);
}

static void
test_os_spawn_very_long_lines_arrive_whole_in_order(void **state)
{
    (void)state;
    struct collect c = { 0 };
    /* 200 000 bytes without a newline, then one: forwarded in pieces, but
     * nothing is lost or reordered. */
    run_sh("head -c 200000 /dev/zero | tr '\\0' x; echo; echo after", NULL, NULL, 0, &c);
    assert_int_equal(c.out[1].len, 200000 + 1 + 6);
    for (size_t i = 0; i < 200000; i++)
        if (c.out[1].buf[i] != 'x')
            fail_msg("byte %zu is '%c'", i, c.out[1].buf[i]);
    assert_string_equal(c.out[1].buf + 200000, "\nafter\n");
    collect_release(&c);
}

static void
test_os_spawn_keeps_streams_apart_without_tearing(void **state)
{
    (void)state;
    struct collect c = { 0 };
    run_sh("i=0; while [ $i -lt 2000 ]; do echo \"out line $i with some padding text\"; "
           "echo \"err $i\" >&2; i=$((i+1)); done",
           NULL, NULL, 0, &c);
    assert_int_equal(c.torn_chunks, 0);
    /* Every line arrived, in order, on its own stream. */
    struct sbuf want_out = SBUF_INIT, want_err = SBUF_INIT;
    for (int i = 0; i < 2000; i++) {
        sbuf_addf(&want_out, "out line %d with some padding text\n", i);
        sbuf_addf(&want_err, "err %d\n", i);
    }
    assert_string_equal(c.out[1].buf, want_out.buf);
    assert_string_equal(c.out[2].buf, want_err.buf);
    sbuf_release(&want_out);
    sbuf_release(&want_err);
    collect_release(&c);
}

static void
test_os_spawn_uses_explicit_env_and_cwd(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/perch-spawn-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *dir = realpath(tmpl, NULL);
    setenv("PERCH_PARENT_ONLY", "leaked", 1);
    const char *envp[] = { "PATH=/usr/bin:/bin", "GREETING=hello there", NULL };
    char parent_cwd[4096];
    assert_non_null(getcwd(parent_cwd, sizeof(parent_cwd)));
    struct collect c = { 0 };
    struct os_spawn_result r = run_sh(
        "echo \"$GREETING\"; echo \"[${PERCH_PARENT_ONLY:-unset}]\"; pwd -P", dir, envp, 0, &c);
    assert_int_equal(r.exit_code, 0);
    char *want = xasprintf("hello there\n[unset]\n%s\n", dir);
    assert_string_equal(c.out[1].buf, want);
    /* The parent's own cwd never moved. */
    char after[4096];
    assert_non_null(getcwd(after, sizeof(after)));
    assert_string_equal(after, parent_cwd);
    free(want);
    collect_release(&c);
    rmdir(dir);
    free(dir);
    unsetenv("PERCH_PARENT_ONLY");
}

static void
test_os_spawn_reads_stdin_from_fd_or_dev_null(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "from the pipe\n", 14), 14);
    close(fds[1]);
    const char *argv[] = { "cat", NULL };
    struct collect c = { 0 };
    struct os_spawn spec = { .program = "/bin/cat",
                             .argv = argv,
                             .envp = sh_env,
                             .stdin_fd = fds[0],
                             .on_output = collect_output,
                             .output_arg = &c };
    struct os_spawn_result r;
    struct err err = { 0 };
    assert_true(os_spawn_run(&spec, &r, &err));
    close(fds[0]);
    assert_string_equal(c.out[1].buf, "from the pipe\n");
    /* -1: an empty stdin, so cat ends at once instead of waiting. */
    sbuf_reset(&c.out[1]);
    spec.stdin_fd = -1;
    spec.deadline_ns = os_clock_mono_ns() + 5 * OS_NS_PER_SEC;
    assert_true(os_spawn_run(&spec, &r, &err));
    assert_false(r.timed_out);
    assert_int_equal(c.out[1].len, 0);
    collect_release(&c);
}

static bool
process_alive(pid_t pid)
{
    return kill(pid, 0) == 0 || errno == EPERM;
}

static void
test_os_spawn_deadline_kills_the_process_group(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/perch-spawn-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *pidfile = xasprintf("%s/bg.pid", tmpl);
    /* A background grandchild and a foreground sleep, both for 100 s. */
    char *script = xasprintf("sleep 100 & echo $! > '%s'; sleep 100", pidfile);
    struct collect c = { 0 };
    int64_t start = os_clock_mono_ns();
    struct os_spawn_result r = run_sh(script, NULL, NULL, start + 300 * OS_NS_PER_MS, &c);
    int64_t took = os_clock_mono_ns() - start;
    assert_true(r.timed_out);
    assert_false(r.interrupted);
    assert_int_equal(r.signal, SIGTERM);
    assert_true(took < 3 * OS_NS_PER_SEC);
    struct sbuf pid_text = SBUF_INIT;
    struct err err = { 0 };
    assert_true(os_fs_read_file(pidfile, 0, &pid_text, &err));
    pid_t bg = (pid_t)atoi(pid_text.buf);
    if (bg <= 0)
        fail_msg("pid file holds '%s'", pid_text.buf);
    /* The grandchild went down with the group (allow time to be reaped). */
    bool alive = true;
    for (int i = 0; i < 100 && alive; i++) {
        alive = process_alive(bg);
        if (alive)
            os_sleep_ns(20 * OS_NS_PER_MS, 0, NULL);
    }
    assert_false(alive);
    sbuf_release(&pid_text);
    collect_release(&c);
    os_fs_remove_tree(tmpl, NULL);
    free(pidfile);
    free(script);
}

static void
test_os_spawn_sigkill_after_grace_when_sigterm_is_ignored(void **state)
{
    (void)state;
    struct collect c = { 0 };
    int64_t start = os_clock_mono_ns();
    struct os_spawn_result r = run_sh("trap '' TERM; while :; do sleep 0.05; done", NULL, NULL,
                                      start + 200 * OS_NS_PER_MS, &c);
    int64_t took = os_clock_mono_ns() - start;
    assert_true(r.timed_out);
    assert_int_equal(r.signal, SIGKILL);
    assert_true(took >= 450 * OS_NS_PER_MS); /* deadline + the 300 ms grace */
    assert_true(took < 3 * OS_NS_PER_SEC);
    collect_release(&c);
}

static void *
interrupt_later(void *arg)
{
    os_sleep_ns(150 * OS_NS_PER_MS, 0, NULL);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

static void
test_os_spawn_stops_on_interrupt(void **state)
{
    (void)state;
    atomic_int flag;
    atomic_init(&flag, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, interrupt_later, &flag), 0);
    const char *argv[] = { "sh", "-c", "sleep 100", NULL };
    struct os_spawn spec = {
        .program = "/bin/sh", .argv = argv, .envp = sh_env, .stdin_fd = -1, .interrupt = &flag
    };
    struct os_spawn_result r;
    struct err err = { 0 };
    int64_t start = os_clock_mono_ns();
    assert_true(os_spawn_run(&spec, &r, &err));
    assert_true(r.interrupted);
    assert_false(r.timed_out);
    assert_true(os_clock_mono_ns() - start < 3 * OS_NS_PER_SEC);
    pthread_join(t, NULL);
}

static void
test_os_spawn_background_child_holding_pipes_does_not_hang(void **state)
{
    (void)state;
    struct collect c = { 0 };
    int64_t start = os_clock_mono_ns();
    struct os_spawn_result r = run_sh("sleep 3 & echo started", NULL, NULL, 0, &c);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(c.out[1].buf, "started\n");
    assert_true(os_clock_mono_ns() - start < 2 * OS_NS_PER_SEC);
    collect_release(&c);
}

static void
test_os_spawn_start_errors(void **state)
{
    (void)state;
    struct err err = { 0 };
    char *p = os_spawn_find_program("perch-no-such-program", "/usr/bin:/bin", "/", &err);
    assert_null(p);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "perch-no-such-program"));

    err_clear(&err);
    p = os_spawn_find_program("sh", "/nonexistent:/bin", "/", &err);
    assert_string_equal(p, "/bin/sh");
    free(p);

    err_clear(&err);
    const char *argv[] = { "true", NULL };
    struct os_spawn spec = { .program = "/bin/true",
                             .argv = argv,
                             .envp = sh_env,
                             .cwd = "/nonexistent/perch/dir",
                             .stdin_fd = -1 };
    struct os_spawn_result r;
    assert_false(os_spawn_run(&spec, &r, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/perch/dir"));

    err_clear(&err);
    spec.cwd = NULL;
    spec.program = "/nonexistent/program";
    assert_false(os_spawn_run(&spec, &r, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
}

static void
test_os_spawn_pipeline_connects_stages(void **state)
{
    (void)state;
    const char *a1[] = { "printf", "b\\na\\nc\\na\\n", NULL };
    const char *a2[] = { "sort", NULL };
    const char *a3[] = { "uniq", "-c", NULL };
    struct collect c = { 0 };
    struct os_spawn st[3] = {
        { .program = "/usr/bin/printf",
          .argv = a1,
          .envp = sh_env,
          .stdin_fd = -1,
          .on_output = collect_output,
          .output_arg = &c },
        { .program = "/usr/bin/sort", .argv = a2, .envp = sh_env },
        { .program = "/usr/bin/uniq", .argv = a3, .envp = sh_env },
    };
    struct os_spawn_result r[3];
    struct err err = { 0 };
    assert_true(os_spawn_pipeline(st, 3, r, &err));
    for (int i = 0; i < 3; i++)
        assert_int_equal(r[i].exit_code, 0);
    /* uniq -c pads counts; compare without the padding. */
    struct sbuf norm = SBUF_INIT;
    for (const char *p = c.out[1].buf; *p; p++)
        if (*p != ' ')
            sbuf_addc(&norm, *p);
    assert_string_equal(norm.buf, "2a\n1b\n1c\n");
    sbuf_release(&norm);
    collect_release(&c);
}

static void
test_os_spawn_pipeline_reports_each_status_and_stderr(void **state)
{
    (void)state;
    const char *a1[] = { "sh", "-c", "echo one; echo warn >&2; exit 3", NULL };
    const char *a2[] = { "sh", "-c", "cat; exit 0", NULL };
    struct collect c = { 0 };
    struct os_spawn st[2] = {
        { .program = "/bin/sh",
          .argv = a1,
          .envp = sh_env,
          .stdin_fd = -1,
          .on_output = collect_output,
          .output_arg = &c },
        { .program = "/bin/sh", .argv = a2, .envp = sh_env },
    };
    struct os_spawn_result r[2];
    struct err err = { 0 };
    assert_true(os_spawn_pipeline(st, 2, r, &err));
    assert_int_equal(r[0].exit_code, 3);
    assert_int_equal(r[1].exit_code, 0);
    assert_string_equal(c.out[1].buf, "one\n");
    assert_string_equal(c.out[2].buf, "warn\n");
    collect_release(&c);
}

static void
test_os_spawn_pipeline_deadline_stops_every_stage(void **state)
{
    (void)state;
    const char *a1[] = { "sh", "-c", "while :; do echo tick; sleep 0.05; done", NULL };
    const char *a2[] = { "sh", "-c", "sleep 100", NULL };
    struct collect c = { 0 };
    int64_t start = os_clock_mono_ns();
    struct os_spawn st[2] = {
        { .program = "/bin/sh",
          .argv = a1,
          .envp = sh_env,
          .stdin_fd = -1,
          .deadline_ns = start + 200 * OS_NS_PER_MS,
          .grace_ns = 200 * OS_NS_PER_MS,
          .on_output = collect_output,
          .output_arg = &c },
        { .program = "/bin/sh", .argv = a2, .envp = sh_env },
    };
    struct os_spawn_result r[2];
    struct err err = { 0 };
    assert_true(os_spawn_pipeline(st, 2, r, &err));
    assert_true(r[0].timed_out && r[1].timed_out);
    assert_true(r[0].signal != 0 && r[1].signal != 0);
    assert_true(os_clock_mono_ns() - start < 3 * OS_NS_PER_SEC);
    collect_release(&c);
}

static void
test_os_spawn_pipeline_start_failure_stops_earlier_stages(void **state)
{
    (void)state;
    const char *a1[] = { "sh", "-c", "sleep 100", NULL };
    const char *a2[] = { "nope", NULL };
    struct os_spawn st[2] = {
        { .program = "/bin/sh", .argv = a1, .envp = sh_env, .stdin_fd = -1 },
        { .program = "/nonexistent/nope", .argv = a2, .envp = sh_env },
    };
    struct os_spawn_result r[2];
    struct err err = { 0 };
    int64_t start = os_clock_mono_ns();
    assert_false(os_spawn_pipeline(st, 2, r, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/nope"));
    assert_true(os_clock_mono_ns() - start < 2 * OS_NS_PER_SEC);
}

static void
test_os_envp_get(void **state)
{
    (void)state;
    const char *envp[] = { "A=1", "AB=2", "EMPTY=", NULL };
    assert_string_equal(os_envp_get(envp, "A"), "1");
    assert_string_equal(os_envp_get(envp, "AB"), "2");
    assert_string_equal(os_envp_get(envp, "EMPTY"), "");
    assert_null(os_envp_get(envp, "B"));
    assert_null(os_envp_get(NULL, "A"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_os_spawn_reports_exit_codes_and_signals),
        cmocka_unit_test(test_os_spawn_forwards_whole_lines),
        cmocka_unit_test(test_os_spawn_very_long_lines_arrive_whole_in_order),
        cmocka_unit_test(test_os_spawn_keeps_streams_apart_without_tearing),
        cmocka_unit_test(test_os_spawn_uses_explicit_env_and_cwd),
        cmocka_unit_test(test_os_spawn_reads_stdin_from_fd_or_dev_null),
        cmocka_unit_test(test_os_spawn_deadline_kills_the_process_group),
        cmocka_unit_test(test_os_spawn_sigkill_after_grace_when_sigterm_is_ignored),
        cmocka_unit_test(test_os_spawn_stops_on_interrupt),
        cmocka_unit_test(test_os_spawn_background_child_holding_pipes_does_not_hang),
        cmocka_unit_test(test_os_spawn_start_errors),
        cmocka_unit_test(test_os_spawn_pipeline_connects_stages),
        cmocka_unit_test(test_os_spawn_pipeline_reports_each_status_and_stderr),
        cmocka_unit_test(test_os_spawn_pipeline_deadline_stops_every_stage),
        cmocka_unit_test(test_os_spawn_pipeline_start_failure_stops_earlier_stages),
        cmocka_unit_test(test_os_envp_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
