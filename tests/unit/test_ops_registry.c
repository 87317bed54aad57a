/* test_ops_registry.c: the op table: sorted for binary search, complete
 * entries, argument-count errors with usage, capability names, and the
 * ctx helpers (path resolution, stop checks, envp freeing). */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "os/clock.h"
#include "test_ops_fake.h"

static void
test_ops_registry_is_sorted_and_complete(void **state)
{
    (void)state;
    size_t count = 0;
    const struct op_def *all = ops_all(&count);
    assert_true(count >= 55);
    for (size_t i = 0; i < count; i++) {
        const struct op_def *d = &all[i];
        if (i > 0 && strcmp(all[i - 1].name, d->name) >= 0)
            fail_msg("registry not sorted at '%s' after '%s'", d->name, all[i - 1].name);
        assert_non_null(d->fn);
        assert_non_null(d->usage);
        assert_non_null(d->doc);
        assert_true(d->doc[0] >= 'a' && d->doc[0] <= 'z');
        assert_true(d->doc[strlen(d->doc) - 1] != '.');
        assert_true(d->min_args >= 0);
        assert_true(d->max_args == -1 || d->max_args >= d->min_args);
        assert_ptr_equal(ops_find(d->name), d);
        /* Pure ops are callable inside ${...}: they must not write. */
        if (d->is_pure)
            assert_int_equal(d->caps, 0);
    }
    assert_null(ops_find("mkdri"));
    assert_null(ops_find(""));
    assert_null(ops_find("zzz"));
}

static void
test_ops_registry_has_every_reference_op(void **state)
{
    (void)state;
    const char *names[] = {
        "glob",
        "sha256_file",
        "sha256",
        "write_file",
        "append_file",
        "read_file",
        "rm",
        "cp",
        "mv",
        "mkdir",
        "exists",
        "is_dir",
        "file_size",
        "list_dir",
        "mktemp_dir",
        "mktemp_file",
        "chmod",
        "touch",
        "path_join",
        "path_base",
        "path_dir",
        "path_ext",
        "path_stem",
        "path_abs",
        "path_rel",
        "trim",
        "lower",
        "upper",
        "replace",
        "split",
        "join",
        "contains",
        "lines",
        "format",
        "regex_match",
        "regex_replace",
        "json_get",
        "json_parse",
        "json_stringify",
        "get_env",
        "set_env",
        "shell",
        "shell_output",
        "try_shell",
        "exec",
        "print",
        "now",
        "sleep",
        "assert_eq",
        "assert_neq",
        "assert_contains",
        "assert_not_contains",
        "assert_exists",
        "assert_not_exists",
        "assert_match",
        "http_get",
        "download",
        "list_commands",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!ops_find(names[i]))
            fail_msg("op '%s' missing from the registry", names[i]);
}

static void
test_ops_registry_categories(void **state)
{
    (void)state;
    assert_true(ops_find("shell")->caps & OP_CAP_SHELL);
    assert_true(ops_find("shell")->caps & OP_CAP_SUBPROCESS);
    assert_int_equal(ops_find("exec")->caps, OP_CAP_SUBPROCESS);
    assert_true(ops_find("http_get")->caps & OP_CAP_NETWORK);
    assert_true(ops_find("download")->caps & OP_CAP_WRITE);
    assert_int_equal(ops_find("write_file")->caps, OP_CAP_WRITE);
    assert_int_equal(ops_find("read_file")->caps, 0);
    assert_int_equal(ops_find("try_shell")->ret, OP_RET_INT);
    assert_int_equal(ops_find("glob")->ret, OP_RET_LIST);
    assert_int_equal(ops_find("exists")->ret, OP_RET_BOOL);
    assert_true(ops_find("sha256_file")->is_pure);
    assert_true(ops_find("path_base")->is_pure);
    assert_string_equal(ops_cap_name(OP_CAP_SHELL | OP_CAP_SUBPROCESS), "shell");
    assert_string_equal(ops_cap_name(OP_CAP_SUBPROCESS), "subprocess");
    assert_string_equal(ops_cap_name(OP_CAP_NETWORK | OP_CAP_WRITE), "network");
    assert_string_equal(ops_cap_name(OP_CAP_WRITE), "write");
    assert_string_equal(ops_cap_name(0), "none");
}

static void
test_ops_call_checks_argument_counts(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "write_file", "only-path", NULL));
    assert_int_equal(err.kind, ERR_USAGE);
    assert_string_equal(err.msg, "write_file takes exactly 2 arguments, got 1 "
                                 "(usage: write_file PATH CONTENT)");
    assert_false(fake_run(&f, &out, &err, "list_commands", "x", NULL));
    assert_string_equal(err.msg, "list_commands takes exactly 0 arguments, got 1 "
                                 "(usage: list_commands)");
    assert_false(fake_run(&f, &out, &err, "path_rel", "a", "b", "c", NULL));
    assert_non_null(strstr(err.msg, "at most 2 arguments"));
    assert_false(fake_run(&f, &out, &err, "mkdir", NULL));
    assert_non_null(strstr(err.msg, "at least 1 argument,"));
    sbuf_release(&out);
    fake_release(&f);
}

static void
test_ops_call_refuses_to_start_after_the_deadline(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    f.ctx.deadline_ns = os_clock_mono_ns() - 1;
    assert_true(op_should_stop(&f.ctx));
    assert_false(fake_run(&f, &out, &err, "print", "late", NULL));
    assert_int_equal(err.kind, ERR_TIMEOUT);
    assert_int_equal(f.out[1].len, 0);
    f.ctx.deadline_ns = 0;
    assert_false(op_should_stop(&f.ctx));
    atomic_store(&f.interrupt, 1);
    assert_true(op_should_stop(&f.ctx));
    sbuf_release(&out);
    fake_release(&f);
}

/* Call 'def' with 'argc' copies of 'arg'; it must succeed or fail with a
 * kind and a message, and never crash or hang. */
static void
call_with(struct fake *f, const struct op_def *def, size_t argc, const char *arg)
{
    char *argv[8];
    for (size_t i = 0; i < argc && i < 8; i++)
        argv[i] = (char *)arg;
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    f->ctx.deadline_ns = os_clock_mono_ns() + 3 * OS_NS_PER_SEC;
    bool ok = ops_call(def, &f->ctx, argc, argv, true, &out, &err);
    if (!ok && (err.kind == ERR_NONE || !err.msg[0]))
        fail_msg("%s failed without an error", def->name);
    if (ok && err.kind != ERR_NONE)
        fail_msg("%s succeeded but set an error: %s", def->name, err.msg);
    f->ctx.deadline_ns = 0;
    sbuf_release(&out);
}

static void
test_ops_every_op_survives_odd_arguments(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    size_t count = 0;
    const struct op_def *all = ops_all(&count);
    const char *odd[] = { "",        "[{*?", "\xff\xfe\x01", "../../../../../../", "a b\nc\td",
                          "{}{1}{{", "-" };
    for (size_t i = 0; i < count; i++) {
        const struct op_def *d = &all[i];
        if (!strcmp(d->name, "sleep") || !strcmp(d->name, "download")
            || !strcmp(d->name, "http_get"))
            continue; /* covered with their own servers and clocks */
        size_t n = d->max_args < 0 ? (size_t)d->min_args + 2 : (size_t)d->max_args;
        for (size_t j = 0; j < sizeof(odd) / sizeof(odd[0]); j++) {
            call_with(&f, d, (size_t)d->min_args, odd[j]);
            call_with(&f, d, n, odd[j]);
        }
    }
    fake_release(&f);
}

static void
test_ops_path_resolve_and_envp_free(void **state)
{
    (void)state;
    struct op_ctx ctx = { .cwd = "/work/dir" };
    char *p = op_path_resolve(&ctx, "sub/../x.txt");
    assert_string_equal(p, "/work/dir/x.txt");
    free(p);
    p = op_path_resolve(&ctx, "/abs/y");
    assert_string_equal(p, "/abs/y");
    free(p);
    char **envp = xcalloc(3, sizeof(char *));
    envp[0] = xstrdup("A=1");
    envp[1] = xstrdup("B=2");
    op_envp_free(envp);
    op_envp_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_registry_is_sorted_and_complete),
        cmocka_unit_test(test_ops_registry_has_every_reference_op),
        cmocka_unit_test(test_ops_registry_categories),
        cmocka_unit_test(test_ops_call_checks_argument_counts),
        cmocka_unit_test(test_ops_call_refuses_to_start_after_the_deadline),
        cmocka_unit_test(test_ops_every_op_survives_odd_arguments),
        cmocka_unit_test(test_ops_path_resolve_and_envp_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
