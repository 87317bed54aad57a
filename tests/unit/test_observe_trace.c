/* test_observe_trace.c: --trace lines (src/observe/trace.c) as a user sees
 * them on stderr: indentation by depth, ▸ / ✓ / ✗ marks, durations, the
 * first-argument preview with odd characters escaped and long values cut
 * after 60 characters (never inside a UTF-8 sequence). */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "exec/output.h"
#include "observe/observe.h"

#define MS  INT64_C(1000000)
#define SEC INT64_C(1000000000)

/* A sink that keeps what arrives on stream 2 (and fails on stream 1). */
struct keep_sink {
    struct exec_sink base;
    struct sbuf text;
};

static void
keep_write(struct exec_sink *sink, int stream, const char *data, size_t len)
{
    struct keep_sink *k = (struct keep_sink *)sink;
    assert_int_equal(stream, 2);
    sbuf_add(&k->text, data, len);
}

struct fixture {
    struct keep_sink sink;
    struct observe *obs;
    struct exec_observer *o;
};

static void
start(struct fixture *f)
{
    f->sink.base.write = keep_write;
    sbuf_init(&f->sink.text);
    struct observe_opts opts = { 0 };
    opts.trace_sink = &f->sink.base;
    struct err err = { 0 };
    f->obs = observe_new(&opts, &err);
    assert_non_null(f->obs);
    f->o = observe_observer(f->obs);
    assert_non_null(f->o);
}

static void
stop(struct fixture *f)
{
    observe_free(f->obs);
    sbuf_release(&f->sink.text);
}

static struct exec_span
op_span(const char *kind, size_t argc, char *const *argv, int depth, struct exec_span *parent)
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

static void
test_trace_lines_nest_by_depth_with_marks_and_durations(void **state)
{
    (void)state;
    struct fixture f;
    start(&f);
    struct exec_span cmd = op_span("command", 0, NULL, 0, NULL);
    cmd.name = "build";
    char print_arg[] = "hello";
    char *print_args[] = { print_arg };
    struct exec_span print = op_span("print", 1, print_args, 1, &cmd);
    char read_arg[] = "/data/missing.txt";
    char *read_args[] = { read_arg };
    struct exec_span read = op_span("read_file", 1, read_args, 1, &cmd);
    struct err fail = { 0 };
    err_set(&fail, ERR_NOT_FOUND, "read_file: cannot open '/data/missing.txt'\nsecond line");

    f.o->span_start(f.o, &cmd);
    f.o->span_start(f.o, &print);
    f.o->span_end(f.o, &print, 1 * MS, NULL);
    f.o->span_start(f.o, &read);
    f.o->span_end(f.o, &read, 2 * SEC, &fail);
    f.o->span_end(f.o, &cmd, 2 * SEC, &fail);
    assert_string_equal(f.sink.text.buf,
                        "\u25b8 command build\n"
                        "  \u25b8 print \"hello\"\n"
                        "  \u2713 (1ms)\n"
                        "  \u25b8 read_file \"/data/missing.txt\"\n"
                        "  \u2717 read_file: cannot open '/data/missing.txt' (2.0s)\n"
                        "\u2717 read_file: cannot open '/data/missing.txt' (2.0s)\n");
    stop(&f);
}

static void
test_trace_without_arguments_shows_only_the_kind(void **state)
{
    (void)state;
    struct fixture f;
    start(&f);
    struct exec_span par = op_span("parallel", 0, NULL, 2, NULL);
    f.o->span_start(f.o, &par);
    f.o->span_end(f.o, &par, 0, NULL);
    assert_string_equal(f.sink.text.buf, "    \u25b8 parallel\n    \u2713 (0ms)\n");
    stop(&f);
}

static char *
preview_of(const char *kind, const char *arg)
{
    char *argv[] = { (char *)arg };
    struct exec_span s = op_span(kind, 1, argv, 0, NULL);
    if (!strcmp(kind, "command"))
        s.name = arg;
    struct sbuf sb = SBUF_INIT;
    observe_preview(&sb, &s);
    return sbuf_detach(&sb, NULL);
}

static void
test_preview_escapes_control_characters(void **state)
{
    (void)state;
    char *p = preview_of("write_file", "a\nb\rc\td\x01" "e\x7f" "f\x1b[31mred");
    assert_string_equal(p, " \"a\\nb\\rc\\td\\x01e\\x7Ff\\x1B[31mred\"");
    free(p);
    /* Quotes, backslashes and non-ASCII text are shown as they are. */
    p = preview_of("print", "say \"hi\" \\ caf\xc3\xa9");
    assert_string_equal(p, " \"say \"hi\" \\ caf\xc3\xa9\"");
    free(p);
    /* A command is shown by name, unquoted. */
    p = preview_of("command", "deploy");
    assert_string_equal(p, " deploy");
    free(p);
}

static void
test_preview_cuts_after_60_characters(void **state)
{
    (void)state;
    char sixty[61], sixty_one[62];
    memset(sixty, 'x', 60);
    sixty[60] = '\0';
    memset(sixty_one, 'y', 61);
    sixty_one[61] = '\0';
    char *p = preview_of("print", sixty);
    assert_int_equal(strlen(p), 60 + 3);
    assert_null(strstr(p, "\u2026"));
    free(p);
    p = preview_of("print", sixty_one);
    char want[80];
    snprintf(want, sizeof(want), " \"%.60s\u2026\"", sixty_one);
    assert_string_equal(p, want);
    free(p);
}

static void
test_preview_counts_characters_not_bytes(void **state)
{
    (void)state;
    /* 70 two-byte characters: 60 of them stay whole, then the ellipsis. */
    struct sbuf in = SBUF_INIT, want = SBUF_INIT;
    for (int i = 0; i < 70; i++)
        sbuf_adds(&in, "\xc3\xa9");
    sbuf_adds(&want, " \"");
    for (int i = 0; i < 60; i++)
        sbuf_adds(&want, "\xc3\xa9");
    sbuf_adds(&want, "\u2026\"");
    char *p = preview_of("print", in.buf);
    assert_string_equal(p, want.buf);
    free(p);
    sbuf_release(&in);
    sbuf_release(&want);
}

static void
test_nothing_on_means_no_observer(void **state)
{
    (void)state;
    struct observe_opts opts = { 0 };
    struct err err = { 0 };
    struct observe *obs = observe_new(&opts, &err);
    assert_non_null(obs);
    assert_null(observe_observer(obs));
    struct err report_err = { 0 };
    assert_true(observe_session_end(obs, 0, NULL, &report_err));
    observe_free(obs);
    observe_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_lines_nest_by_depth_with_marks_and_durations),
        cmocka_unit_test(test_trace_without_arguments_shows_only_the_kind),
        cmocka_unit_test(test_preview_escapes_control_characters),
        cmocka_unit_test(test_preview_cuts_after_60_characters),
        cmocka_unit_test(test_preview_counts_characters_not_bytes),
        cmocka_unit_test(test_nothing_on_means_no_observer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
