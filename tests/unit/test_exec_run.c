/*
 * test_exec_run.c: the interpreter through its public API (exec_run), on
 * programs loaded from strings: conditions, scopes, captures, errors and
 * their locations, run options (cwd, capability mask, timeout, sink) and
 * observer spans.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/sbuf.h"
#include "exec/exec.h"
#include "exec/exec_int.h"
#include "exec/output.h"
#include "lang/lang.h"
#include "ops/ops.h"

static const char *const no_env[] = { "PERCH_TEST_HOST=host-value", NULL };

struct fixture {
    struct lang_program *prog;
    struct exec_capture_sink sink;
    struct exec_app app;
};

static void
load(struct fixture *f, const char *text)
{
    struct lang_diags diags;
    lang_diags_init(&diags);
    f->prog = lang_load_string("t.perch", text, strlen(text), &diags);
    if (!f->prog)
        lang_diags_print(&diags, stderr);
    assert_non_null(f->prog);
    lang_diags_release(&diags);
    exec_capture_sink_init(&f->sink, NULL);
    memset(&f->app, 0, sizeof(f->app));
    f->app.prog = f->prog;
    f->app.sink = &f->sink.base;
    f->app.stdin_fd = -1;
    f->app.host_env = no_env;
}

static void
unload(struct fixture *f)
{
    exec_capture_sink_release(&f->sink);
    lang_program_free(f->prog);
}

/* Run 'cmd' with no args; returns ok and fills err. */
static bool
run(struct fixture *f, const char *cmd, const struct exec_run_opts *opts, struct err *err)
{
    const struct lang_command *c = lang_find_command(f->prog, cmd);
    assert_non_null(c);
    struct exec_args args = { 0 };
    bool ok = exec_run(&f->app, c, &args, opts, err);
    exec_args_release(&args);
    return ok;
}

/* `if` over a table of comparisons: each prints T or F. */
static void
test_exec_run_conditions(void **state)
{
    (void)state;
    static const struct {
        const char *cond;
        char expect;
    } cases[] = {
        { "n == 10", 'T' },          { "n == \"10.0\"", 'T' }, { "n != 10", 'F' },
        { "n > 9", 'T' },            { "n < 9", 'F' },         { "n >= 10", 'T' },
        { "n <= 9.5", 'F' },         { "v > \"1.9.9\"", 'T' }, { "v < \"1.10.1\"", 'T' },
        { "v == \"1.10.0\"", 'T' },  { "s == \"abc\"", 'T' },  { "s < \"abd\"", 'T' },
        { "flag", 'T' },             { "not flag", 'F' },      { "off", 'F' },
        { "empty", 'F' },            { "not empty", 'T' },     { "\"${s}\"", 'T' },
        { "flag and off", 'F' },     { "flag or off", 'T' },   { "not off and flag", 'T' },
        { "PERCH_TEST_HOST == \"host-value\"", 'T' },
    };
    struct sbuf text = SBUF_INIT;
    sbuf_adds(&text, "command c\n    do\n        n = 10\n        v = \"1.10.0\"\n"
                     "        s = \"abc\"\n        flag = true\n        off = false\n"
                     "        empty = \"\"\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        sbuf_addf(&text, "        if %s\n            print \"T\"\n        else\n"
                         "            print \"F\"\n        end\n",
                  cases[i].cond);
    sbuf_adds(&text, "    end\nend\n");
    struct fixture f;
    load(&f, text.buf);
    struct err err = { 0 };
    assert_true(run(&f, "c", NULL, &err));
    const char *p = f.sink.out.buf;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (p[0] != cases[i].expect)
            fail_msg("if %s: expected %c, got %c", cases[i].cond, cases[i].expect, p[0]);
        p += 2;
    }
    unload(&f);
    sbuf_release(&text);
}

static void
test_exec_run_condition_on_unknown_name_is_unresolved(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "command c\n    do\n        if nothing_here > 1\n            print \"x\"\n"
             "        end\n    end\nend\n");
    struct err err = { 0 };
    assert_false(run(&f, "c", NULL, &err));
    assert_int_equal(err.kind, ERR_UNRESOLVED_VAR);
    assert_non_null(strstr(err.msg, "nothing_here"));
    assert_int_equal(err.loc.line, 3);
    unload(&f);
}

static void
test_exec_run_error_location_and_exit_status(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "command c\n    do\n        print \"one\"\n        fail \"broke\"\n"
             "        print \"never\"\n    end\nend\n");
    struct err err = { 0 };
    assert_false(run(&f, "c", NULL, &err));
    assert_int_equal(err.kind, ERR_FAIL);
    assert_string_equal(err.msg, "broke");
    assert_int_equal(err.loc.line, 4);
    assert_string_equal(err.loc.file, "t.perch");
    assert_string_equal(f.sink.out.buf, "one\n");
    assert_int_equal(exec_exit_status(&err), 1);

    struct err t = { 0 };
    err_set(&t, ERR_TIMEOUT, "x");
    assert_int_equal(exec_exit_status(&t), 124);
    struct err w = { 0 };
    err_set_code(&w, ERR_WASM_EXIT, 3, "module exited with code 3");
    assert_int_equal(exec_exit_status(&w), 3);
    unload(&f);
}

static void
test_exec_run_opts_cwd_and_mask(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "command where\n    do\n        print \"${cwd}\"\n    end\nend\n"
             "command sh\n    do\n        shell \"echo hi\"\n    end\nend\n");
    struct exec_run_opts opts = { 0 };
    opts.cwd = "/";
    struct err err = { 0 };
    assert_true(run(&f, "where", &opts, &err));
    assert_string_equal(f.sink.out.buf, "/\n");

    opts.deny_caps = OP_CAP_SHELL;
    assert_false(run(&f, "sh", &opts, &err));
    assert_int_equal(err.kind, ERR_SANDBOX_DENIED);
    assert_non_null(strstr(err.msg, "no_shell"));

    /* The app-wide mask applies as well. */
    err_clear(&err);
    f.app.deny_caps = OP_CAP_SUBPROCESS;
    assert_false(run(&f, "sh", NULL, &err));
    assert_int_equal(err.kind, ERR_SANDBOX_DENIED);
    unload(&f);
}

static void
test_exec_run_timeout_option(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "command slow\n    do\n        sleep \"10s\"\n    end\nend\n");
    struct exec_run_opts opts = { 0 };
    opts.timeout_ns = 100 * 1000000LL;
    struct err err = { 0 };
    int64_t t0 = exec_now_ns();
    assert_false(run(&f, "slow", &opts, &err));
    assert_int_equal(err.kind, ERR_TIMEOUT);
    assert_true(exec_now_ns() - t0 < 5000 * 1000000LL);
    unload(&f);
}

static void
test_exec_run_interrupt_flag_cancels(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "command c\n    do\n        print \"x\"\n    end\nend\n");
    atomic_int flag = 1;
    struct exec_run_opts opts = { 0 };
    opts.interrupt = &flag;
    struct err err = { 0 };
    assert_false(run(&f, "c", &opts, &err));
    assert_int_equal(err.kind, ERR_CANCELLED);
    assert_int_equal(f.sink.out.len, 0);
    unload(&f);
}

static void
test_exec_run_bindings_and_scopes(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "BASE = \"/srv\"\nDIR = \"${BASE}/app\"\n"
             "command inner\n    private\n    do\n        local = \"inner\"\n"
             "        print \"${DIR}\"\n    end\nend\n"
             "command outer\n    do\n        local = \"outer\"\n        got = inner\n"
             "        print \"${got} ${local}\"\n        parallel\n"
             "            local = \"branch\"\n        end\n        print \"${local}\"\n"
             "    end\nend\n");
    struct err err = { 0 };
    assert_true(run(&f, "outer", NULL, &err));
    assert_string_equal(f.sink.out.buf, "/srv/app outer\nouter\n");
    unload(&f);
}

struct recorder {
    struct exec_observer base;
    struct sbuf events;
};

static void
rec_start(struct exec_observer *obs, const struct exec_span *span)
{
    struct recorder *r = (struct recorder *)obs;
    sbuf_addf(&r->events, "+%s@%d ", span->name, span->depth);
}

static void
rec_end(struct exec_observer *obs, const struct exec_span *span, int64_t dur_ns,
        const struct err *err)
{
    (void)dur_ns;
    struct recorder *r = (struct recorder *)obs;
    sbuf_addf(&r->events, "-%s%s ", span->name, err ? "!" : "");
}

static void
test_exec_run_observer_spans_nest(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "command c\n    do\n        print \"a\"\n        timeout \"5s\"\n"
             "            print \"b\"\n        end\n        read_file \"/nonexistent/x\"\n"
             "    end\nend\n");
    struct recorder rec = { { rec_start, rec_end }, SBUF_INIT };
    f.app.observer = &rec.base;
    struct err err = { 0 };
    assert_false(run(&f, "c", NULL, &err));
    assert_string_equal(rec.events.buf, "+c@0 +print@1 -print +timeout@1 +print@2 -print -timeout "
                                        "+read_file@1 -read_file! -c! ");
    sbuf_release(&rec.events);
    unload(&f);
}

struct attr_recorder {
    struct exec_observer base;
    struct sbuf seen;
};

static void
attr_end(struct exec_observer *obs, const struct exec_span *span, int64_t dur_ns,
         const struct err *err)
{
    (void)dur_ns;
    (void)err;
    struct attr_recorder *r = (struct attr_recorder *)obs;
    for (size_t i = 0; i < span->attr_count; i++)
        sbuf_addf(&r->seen, "%s:%s=%s%s ", span->name, span->attrs[i].key, span->attrs[i].value,
                  span->attrs[i].is_json ? "(json)" : "");
}

/* Handlers attach details to the innermost open span; --audit records them. */
static void
test_exec_run_span_attributes_reach_observers(void **state)
{
    (void)state;
    struct fixture f;
    load(&f, "command c\n    do\n        print \"x\"\n    end\nend\n");
    struct attr_recorder rec = { { NULL, attr_end }, SBUF_INIT };
    f.app.observer = &rec.base;
    struct err err = { 0 };
    struct exec_state *st = exec_state_new(&f.app, NULL, &err);
    assert_non_null(st);
    struct exec_span outer, inner;
    int64_t t_outer, t_inner;
    exec_span_begin(st, &outer, "wasm_run", NULL, 0, NULL, NULL, &t_outer);
    exec_span_attr(st, "sha256", "abc");
    exec_span_begin(st, &inner, "print", NULL, 0, NULL, NULL, &t_inner);
    exec_span_attr_json(st, "argv", "[\"a\"]");
    exec_span_end(st, &inner, t_inner, true, NULL);
    exec_span_attr(st, "exit_code", "0");
    exec_span_end(st, &outer, t_outer, true, NULL);
    exec_span_attr(st, "ignored", "no span is open");
    assert_string_equal(rec.seen.buf,
                        "print:argv=[\"a\"](json) wasm_run:sha256=abc wasm_run:exit_code=0 ");
    exec_state_free(st);
    sbuf_release(&rec.seen);
    unload(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_run_conditions),
        cmocka_unit_test(test_exec_run_condition_on_unknown_name_is_unresolved),
        cmocka_unit_test(test_exec_run_error_location_and_exit_status),
        cmocka_unit_test(test_exec_run_opts_cwd_and_mask),
        cmocka_unit_test(test_exec_run_timeout_option),
        cmocka_unit_test(test_exec_run_interrupt_flag_cancels),
        cmocka_unit_test(test_exec_run_bindings_and_scopes),
        cmocka_unit_test(test_exec_run_observer_spans_nest),
        cmocka_unit_test(test_exec_run_span_attributes_reach_observers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
