/* test_observe_report.c: --report (src/observe/report.c): the span tree in
 * start order with marks, durations and errors, parallel branches under
 * their block; and the report file, written atomically: a new file renamed
 * over the old one, so a failed write leaves the old file whole and no
 * partial or temporary file behind. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "observe/observe.h"

#define MS INT64_C(1000000)

static struct exec_span
span(const char *kind, char **argv, size_t argc, int depth, struct exec_span *parent)
{
    struct exec_span s = { 0 };
    s.kind = kind;
    s.name = kind;
    s.argc = argc;
    s.argv = argv;
    s.depth = depth;
    s.parent = parent;
    return s;
}

/* A scratch directory, removed by rm_dir. */
static char *
make_dir(void)
{
    char tmpl[] = "/tmp/perch-test-report-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return xstrdup(tmpl);
}

static size_t
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void
rm_dir(char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rmdir(p);
        else
            unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
    free(dir);
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct sbuf sb = SBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        sbuf_add(&sb, buf, n);
    fclose(f);
    return sbuf_detach(&sb, NULL);
}

static void
spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Feed a small run to 'o': a command with an op, a parallel block whose
 * two branches interleave, and a failing op. */
static void
feed_run(struct exec_observer *o)
{
    char a_deploy[] = "deploy", a_one[] = "one", a_two[] = "two", a_path[] = "/etc/x";
    char *cmd_argv[] = { a_deploy };
    struct exec_span cmd = span("command", cmd_argv, 0, 0, NULL);
    cmd.name = "deploy";
    char *one[] = { a_one }, *two[] = { a_two }, *path[] = { a_path };
    struct exec_span p1 = span("print", one, 1, 1, &cmd);
    struct exec_span par = span("parallel", NULL, 0, 1, &cmd);
    struct exec_span b1 = span("print", one, 1, 2, &par);
    struct exec_span b2 = span("print", two, 1, 2, &par);
    struct exec_span rd = span("read_file", path, 1, 1, &cmd);
    struct err fail = { 0 };
    err_set(&fail, ERR_NOT_FOUND, "read_file: cannot open '/etc/x'\nmore detail");

    o->span_start(o, &cmd);
    o->span_start(o, &p1);
    o->span_end(o, &p1, 1 * MS, NULL);
    o->span_start(o, &par);
    o->span_start(o, &b2); /* the second branch starts first */
    o->span_start(o, &b1);
    o->span_end(o, &b1, 2 * MS, NULL);
    o->span_end(o, &b2, 3 * MS, NULL);
    o->span_end(o, &par, 4 * MS, NULL);
    o->span_start(o, &rd);
    o->span_end(o, &rd, 5 * MS, &fail);
    o->span_end(o, &cmd, 16 * MS, &fail);
}

static const char want_report[] = "report:\n"
                                  "  \u2717 command deploy (16ms): read_file: cannot open '/etc/x'\n"
                                  "    \u2713 print \"one\" (1ms)\n"
                                  "    \u2713 parallel (4ms)\n"
                                  "      \u2713 print \"two\" (3ms)\n"
                                  "      \u2713 print \"one\" (2ms)\n"
                                  "    \u2717 read_file \"/etc/x\" (5ms): read_file: cannot open '/etc/x'\n";

static void
test_report_is_the_span_tree_in_start_order(void **state)
{
    (void)state;
    FILE *out = tmpfile();
    assert_non_null(out);
    struct observe_opts opts = { 0 };
    opts.report = true;
    opts.report_out = out;
    struct err err = { 0 };
    struct observe *obs = observe_new(&opts, &err);
    assert_non_null(obs);
    feed_run(observe_observer(obs));
    assert_true(observe_session_end(obs, 1, NULL, &err));
    observe_free(obs);
    rewind(out);
    char text[2048];
    size_t n = fread(text, 1, sizeof(text) - 1, out);
    text[n] = '\0';
    fclose(out);
    assert_string_equal(text, want_report);
}

static void
test_report_file_replaces_the_old_one_whole(void **state)
{
    (void)state;
    char *dir = make_dir();
    char *path = xasprintf("%s/report.txt", dir);
    spit(path, "an older report\n");
    struct observe_opts opts = { 0 };
    opts.report = true;
    opts.report_path = path;
    struct err err = { 0 };
    struct observe *obs = observe_new(&opts, &err);
    assert_non_null(obs);
    /* Checking the path creates nothing and leaves the old report alone. */
    assert_int_equal(count_entries(dir), 1);
    feed_run(observe_observer(obs));
    assert_true(observe_session_end(obs, 1, NULL, &err));
    observe_free(obs);
    char *got = slurp(path);
    assert_string_equal(got, want_report);
    free(got);
    assert_int_equal(count_entries(dir), 1); /* no temporary file left */
    free(path);
    rm_dir(dir);
}

static void
test_unwritable_report_path_is_refused_before_the_run(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct observe_opts opts = { 0 };
    opts.report = true;
    struct err err = { 0 };

    char *missing = xasprintf("%s/no/such/dir/report.txt", dir);
    opts.report_path = missing;
    assert_null(observe_new(&opts, &err));
    assert_int_equal(err.kind, ERR_IO);
    char *want = xasprintf("--report: cannot write '%s': No such file or directory", missing);
    assert_string_equal(err.msg, want);
    free(want);

    /* A directory in the way. */
    char *sub = xasprintf("%s/report.d", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    opts.report_path = sub;
    err_clear(&err);
    assert_null(observe_new(&opts, &err));
    assert_non_null(strstr(err.msg, "--report: cannot write"));
    assert_non_null(strstr(err.msg, "Is a directory"));
    assert_int_equal(count_entries(dir), 1); /* just report.d */
    assert_int_equal(count_entries(sub), 0);

    free(missing);
    free(sub);
    rm_dir(dir);
}

static void
test_failed_write_leaves_the_old_report_and_no_partial_file(void **state)
{
    (void)state;
    char *dir = make_dir();
    char *path = xasprintf("%s/report.txt", dir);
    spit(path, "old\n");
    struct observe_opts opts = { 0 };
    opts.report = true;
    opts.report_path = path;
    struct err err = { 0 };
    struct observe *obs = observe_new(&opts, &err);
    assert_non_null(obs);
    feed_run(observe_observer(obs));

    /* A file size limit below the report's size: the write fails part way
     * (EFBIG; SIGXFSZ ignored as perch does). */
    struct rlimit old_limit, limit;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    limit = old_limit;
    limit.rlim_cur = 64;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct err report_err = { 0 };
    bool ok = observe_session_end(obs, 1, NULL, &report_err);
    setrlimit(RLIMIT_FSIZE, &old_limit);
    signal(SIGXFSZ, old_handler);
    observe_free(obs);

    assert_false(ok);
    assert_int_equal(report_err.kind, ERR_IO);
    char *want = xasprintf("--report: cannot write '%s': File too large", path);
    assert_string_equal(report_err.msg, want);
    free(want);
    char *got = slurp(path);
    assert_string_equal(got, "old\n");
    free(got);
    assert_int_equal(count_entries(dir), 1);
    free(path);
    rm_dir(dir);
}

static void
test_write_file_atomic_creates_and_replaces(void **state)
{
    (void)state;
    char *dir = make_dir();
    char *path = xasprintf("%s/out with 'odd' \xc3\xa9 name.txt", dir);
    struct err err = { 0 };
    assert_true(observe_write_file_atomic(path, "first\n", 6, &err));
    char *got = slurp(path);
    assert_string_equal(got, "first\n");
    free(got);
    assert_true(observe_write_file_atomic(path, "", 0, &err));
    got = slurp(path);
    assert_string_equal(got, "");
    free(got);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(count_entries(dir), 1);

    char *bad = xasprintf("%s/missing/out.txt", dir);
    assert_false(observe_write_file_atomic(bad, "x", 1, &err));
    assert_non_null(strstr(err.msg, "cannot write"));
    assert_int_equal(count_entries(dir), 1);
    free(bad);
    free(path);
    rm_dir(dir);
}

static void
test_report_through_a_symlink_replaces_its_target(void **state)
{
    (void)state;
    char *dir = make_dir();
    char *target = xasprintf("%s/real-report.txt", dir);
    char *link = xasprintf("%s/report.txt", dir);
    spit(target, "old\n");
    assert_int_equal(symlink("real-report.txt", link), 0);
    struct err err = { 0 };
    assert_true(observe_write_file_atomic(link, "new\n", 4, &err));
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode)); /* still a link */
    char *got = slurp(target);
    assert_string_equal(got, "new\n");
    free(got);
    assert_int_equal(count_entries(dir), 2);
    free(target);
    free(link);
    rm_dir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_is_the_span_tree_in_start_order),
        cmocka_unit_test(test_report_file_replaces_the_old_one_whole),
        cmocka_unit_test(test_unwritable_report_path_is_refused_before_the_run),
        cmocka_unit_test(test_failed_write_leaves_the_old_report_and_no_partial_file),
        cmocka_unit_test(test_write_file_atomic_creates_and_replaces),
        cmocka_unit_test(test_report_through_a_symlink_replaces_its_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
