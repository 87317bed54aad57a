/*
 * testrun.c: discovery, isolation and reporting for `perch test`.
 *
 * Isolation per test: a new exec state (so no binding leaks between
 * tests), a fresh temp directory as cwd, a capability mask and a deadline.
 * Output is captured into a buffer and printed under the test's result
 * line, so a failing test shows exactly what it printed.
 */
#include "testrun/testrun.h"

#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/xalloc.h"
#include "exec/output.h"
#include "ops/ops.h"
#include "os/clock.h"
#include "os/fs.h"
#include "os/sysinfo.h"

static int
by_name(const void *a, const void *b)
{
    const struct lang_command *x = *(const struct lang_command *const *)a;
    const struct lang_command *y = *(const struct lang_command *const *)b;
    return strcmp(x->name, y->name);
}

/* Print 'text' with every line indented by 'indent'. */
static void
print_indented(FILE *out, const char *text, const char *indent)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "%s%.*s\n", indent, (int)n, p);
        p += n + (nl != NULL);
    }
}

static unsigned
test_denied_caps(const struct lang_command *t)
{
    unsigned deny = OP_CAP_SHELL | OP_CAP_NETWORK | OP_CAP_SUBPROCESS;
    if (t->test_allow_shell)
        deny &= ~(unsigned)OP_CAP_SHELL;
    if (t->test_allow_network)
        deny &= ~(unsigned)OP_CAP_NETWORK;
    if (t->test_allow_subprocess)
        deny &= ~(unsigned)OP_CAP_SUBPROCESS;
    /* A shell runs a subprocess: allowing the shell allows that much. */
    if (t->test_allow_shell)
        deny &= ~(unsigned)OP_CAP_SUBPROCESS;
    return deny;
}

static bool
run_one(const struct exec_app *app, const struct lang_command *t, const char *tmp_root,
        const struct testrun_opts *opts, int64_t session_start, FILE *out)
{
    struct err err = { 0 };
    int64_t timeout = TESTRUN_DEFAULT_TIMEOUT_NS;
    if (t->test_timeout && !duration_parse(t->test_timeout, &timeout, &err)) {
        err_prefix(&err, "test_timeout");
        timeout = 0;
    }
    char *dir = NULL;
    if (!err_is_set(&err) && !t->test_keep_cwd)
        dir = os_fs_mkdtemp(tmp_root, "perch-test-", &err);

    struct exec_capture_sink cap;
    exec_capture_sink_init(&cap, NULL);
    int64_t start = os_clock_mono_ns();
    bool ok = false;
    if (!err_is_set(&err)) {
        struct exec_run_opts ro = { 0 };
        ro.cwd = dir;
        ro.deny_caps = test_denied_caps(t);
        ro.timeout_ns = timeout;
        ro.sink = &cap.base;
        ro.max_runtime_since_ns = session_start; /* one --max-runtime for all tests */
        struct exec_args args = { 0 };
        ok = exec_run(app, t, &args, &ro, &err);
    }
    int64_t took = os_clock_mono_ns() - start;
    char dur[DURATION_FORMAT_MAX];
    duration_format(took, dur, sizeof(dur));
    fprintf(out, "%s %s (%s)\n", ok ? "\u2713" : "\u2717", t->name, dur);
    if (!ok) {
        struct sbuf msg = SBUF_INIT;
        if (err.loc.line) {
            sbuf_addf(&msg, "%s:%u:", err.loc.file ? err.loc.file : "", (unsigned)err.loc.line);
            if (err.loc.col)
                sbuf_addf(&msg, "%u:", (unsigned)err.loc.col);
            sbuf_adds(&msg, " ");
        }
        sbuf_addf(&msg, "%s (%s)", err.msg, err_kind_name(err.kind));
        print_indented(out, msg.buf, "    ");
        sbuf_release(&msg);
    }
    if ((!ok || opts->verbose) && cap.all.len) {
        fprintf(out, "    output:\n");
        print_indented(out, cap.all.buf, "      ");
    }
    if (dir) {
        if (opts->keep_tempdir) {
            fprintf(out, "    kept: %s\n", dir);
        } else {
            struct err ignored = { 0 };
            os_fs_remove_tree(dir, &ignored);
        }
    }
    fflush(out);
    exec_capture_sink_release(&cap);
    free(dir);
    return ok;
}

int
testrun_main(const struct exec_app *shared, const struct testrun_opts *opts, FILE *out)
{
    /* Tests never read perch's stdin: a test that waits for input would
     * hang CI. */
    struct exec_app test_app = *shared;
    test_app.stdin_fd = -1;
    const struct exec_app *app = &test_app;
    const struct lang_program *prog = app->prog;
    const struct lang_command **tests = xcalloc(prog->command_count + 1, sizeof(*tests));
    size_t count = 0, total = 0;
    for (size_t i = 0; i < prog->command_count; i++) {
        const struct lang_command *c = &prog->commands[i];
        if (!c->is_test)
            continue;
        total++;
        if (opts->filter && !strstr(c->name, opts->filter))
            continue;
        tests[count++] = c;
    }
    qsort(tests, count, sizeof(*tests), by_name);

    char *tmp_root = NULL;
    for (const char *const *e = app->host_env; e && *e; e++)
        if (!strncmp(*e, "TMPDIR=", 7))
            tmp_root = os_temp_dir(*e + 7);
    if (!tmp_root)
        tmp_root = os_temp_dir(NULL);

    int64_t start = os_clock_mono_ns();
    size_t passed = 0, failed = 0, not_run = 0;
    bool out_of_time = false;
    for (size_t i = 0; i < count; i++) {
        if (app->interrupt && atomic_load(app->interrupt))
            break;
        /* --max-runtime bounds the whole session: once it has passed, the
         * remaining tests are not started. */
        if (app->max_runtime_ns && os_clock_mono_ns() - start >= app->max_runtime_ns) {
            out_of_time = true;
            not_run = count - i;
            break;
        }
        if (run_one(app, tests[i], tmp_root, opts, start, out))
            passed++;
        else
            failed++;
    }
    /* The last test ran into the budget. */
    if (failed && app->max_runtime_ns && os_clock_mono_ns() - start >= app->max_runtime_ns)
        out_of_time = true;
    char dur[DURATION_FORMAT_MAX];
    duration_format(os_clock_mono_ns() - start, dur, sizeof(dur));
    int status = failed ? 1 : 0;
    const char *who = opts->name && *opts->name ? opts->name : "perch";
    if (!count && total && opts->filter) {
        fprintf(stderr, "%s test: no test name contains '%s' (%zu tests in the file)\n", who,
                opts->filter, total);
        status = 1;
    } else if (!total) {
        fprintf(stderr, "%s test: no commands marked `test` in %s\n", who, prog->path);
    }
    fprintf(out, "%zu passed, %zu failed in %s.\n", passed, failed, dur);
    if (out_of_time) {
        char limit[DURATION_FORMAT_MAX];
        duration_format(app->max_runtime_ns, limit, sizeof(limit));
        if (not_run)
            fprintf(stderr, "%s test: --max-runtime %s passed; %zu test%s not run\n", who,
                    limit, not_run, not_run == 1 ? "" : "s");
        else
            fprintf(stderr, "%s test: --max-runtime %s passed\n", who, limit);
        status = 124;
    }
    if (app->interrupt && atomic_load(app->interrupt)) {
        fprintf(stderr, "%s test: interrupted\n", who);
        status = 130;
    }
    free(tmp_root);
    free(tests);
    return status;
}
