/* test_exec_args.c: command-line style arguments for commands (src/exec/args.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exec/exec.h"

/* command deploy: arg target (index 0), arg count (int, index 1, default 1),
 * arg verbose (bool), arg region (string, optional), arg tag (string). */
static struct lang_word default_count = { .text = "1", .len = 1 };
static struct lang_arg deploy_args[] = {
    { .name = "target", .type = LANG_TYPE_STRING, .index = 0 },
    { .name = "count", .type = LANG_TYPE_INT, .index = 1, .default_value = &default_count,
      .is_optional = true },
    { .name = "verbose", .type = LANG_TYPE_BOOL, .index = -1 },
    { .name = "region", .type = LANG_TYPE_STRING, .index = -1, .is_optional = true },
    { .name = "dry_run", .type = LANG_TYPE_BOOL, .index = -1 },
};
static struct lang_command deploy = {
    .name = "deploy", .args = deploy_args, .arg_count = 5,
};

static const char *
get(const struct exec_args *a, const char *name)
{
    for (size_t i = 0; i < a->count; i++)
        if (!strcmp(a->items[i].name, name))
            return a->items[i].value;
    return NULL;
}

static void
test_exec_args_positionals_and_flags_in_any_order(void **state)
{
    (void)state;
    const char *argv[] = { "--verbose", "prod", "-region=eu", "3" };
    struct exec_args a = { 0 };
    struct err err = { 0 };
    assert_true(exec_args_parse(&deploy, 4, argv, &a, &err));
    assert_string_equal(get(&a, "target"), "prod");
    assert_string_equal(get(&a, "count"), "3");
    assert_string_equal(get(&a, "verbose"), "true");
    assert_string_equal(get(&a, "region"), "eu");
    assert_true(exec_args_check(&deploy, &a, &err));
    exec_args_release(&a);
}

static void
test_exec_args_long_flag_takes_next_word(void **state)
{
    (void)state;
    const char *argv[] = { "--region", "us", "--dry-run", "--target=x", "--no-verbose" };
    struct exec_args a = { 0 };
    struct err err = { 0 };
    assert_true(exec_args_parse(&deploy, 5, argv, &a, &err));
    assert_string_equal(get(&a, "region"), "us");
    assert_string_equal(get(&a, "dry_run"), "true"); /* dashes match underscores */
    assert_string_equal(get(&a, "target"), "x");
    assert_string_equal(get(&a, "verbose"), "false");
    exec_args_release(&a);
}

static void
test_exec_args_double_dash_ends_flags(void **state)
{
    (void)state;
    const char *argv[] = { "--", "--weird-name" };
    struct exec_args a = { 0 };
    struct err err = { 0 };
    assert_true(exec_args_parse(&deploy, 2, argv, &a, &err));
    assert_string_equal(get(&a, "target"), "--weird-name");
    exec_args_release(&a);
}

static void
test_exec_args_negative_number_is_a_positional(void **state)
{
    (void)state;
    const char *argv[] = { "t", "-5" };
    struct exec_args a = { 0 };
    struct err err = { 0 };
    assert_true(exec_args_parse(&deploy, 2, argv, &a, &err));
    assert_string_equal(get(&a, "count"), "-5");
    exec_args_release(&a);
}

static void
test_exec_args_errors_name_the_problem(void **state)
{
    (void)state;
    struct exec_args a = { 0 };
    struct err err = { 0 };
    const char *unknown[] = { "--colour=red" };
    assert_false(exec_args_parse(&deploy, 1, unknown, &a, &err));
    assert_int_equal(err.kind, ERR_USAGE);
    assert_non_null(strstr(err.msg, "--colour=red"));
    exec_args_release(&a);

    err_clear(&err);
    const char *extra[] = { "a", "1", "b" };
    assert_false(exec_args_parse(&deploy, 3, extra, &a, &err));
    assert_non_null(strstr(err.msg, "'b'"));
    exec_args_release(&a);

    err_clear(&err);
    const char *missing_value[] = { "--region" };
    assert_false(exec_args_parse(&deploy, 1, missing_value, &a, &err));
    assert_non_null(strstr(err.msg, "needs a value"));
    exec_args_release(&a);

    /* A positional, then a flag for the same arg: not a silent override. */
    err_clear(&err);
    const char *twice[] = { "prod", "--target=staging" };
    assert_false(exec_args_parse(&deploy, 2, twice, &a, &err));
    assert_int_equal(err.kind, ERR_USAGE);
    assert_string_equal(err.msg, "argument 'target' of command 'deploy' is given twice: as a "
                                 "positional and as '--target=staging'");
    exec_args_release(&a);

    /* A flag repeated: the last one wins, as in most command lines. */
    err_clear(&err);
    const char *repeated[] = { "--region", "us", "--region=eu", "t" };
    assert_true(exec_args_parse(&deploy, 4, repeated, &a, &err));
    assert_string_equal(get(&a, "region"), "eu");
    exec_args_release(&a);
}

static void
test_exec_args_check_types_and_required(void **state)
{
    (void)state;
    struct exec_args a = { 0 };
    struct err err = { 0 };
    const char *bad_int[] = { "prod", "three" };
    assert_true(exec_args_parse(&deploy, 2, bad_int, &a, &err));
    assert_false(exec_args_check(&deploy, &a, &err));
    assert_int_equal(err.kind, ERR_USAGE);
    assert_non_null(strstr(err.msg, "'count'"));
    assert_non_null(strstr(err.msg, "'three'"));
    exec_args_release(&a);

    err_clear(&err);
    assert_false(exec_args_check(&deploy, &a, &err)); /* empty: target is required */
    assert_non_null(strstr(err.msg, "'target'"));

    err_clear(&err);
    const char *bad_bool[] = { "x", "--verbose=perhaps" };
    assert_true(exec_args_parse(&deploy, 2, bad_bool, &a, &err));
    assert_false(exec_args_check(&deploy, &a, &err));
    assert_non_null(strstr(err.msg, "'verbose'"));
    exec_args_release(&a);
}

static void
test_exec_args_rest_collects_remaining(void **state)
{
    (void)state;
    struct lang_arg args[] = {
        { .name = "first", .type = LANG_TYPE_STRING, .index = 0 },
        { .name = "files", .type = LANG_TYPE_STRING, .index = -1, .is_rest = true },
    };
    struct lang_command cmd = { .name = "fmt", .args = args, .arg_count = 2 };
    const char *argv[] = { "one", "two", "three" };
    struct exec_args a = { 0 };
    struct err err = { 0 };
    assert_true(exec_args_parse(&cmd, 3, argv, &a, &err));
    assert_string_equal(get(&a, "first"), "one");
    assert_string_equal(get(&a, "files"), "two\nthree");
    exec_args_release(&a);
}

static void
test_exec_args_without_index_take_positionals_in_order(void **state)
{
    (void)state;
    struct lang_arg args[] = {
        { .name = "file", .type = LANG_TYPE_STRING, .index = -1 },
        { .name = "schema", .type = LANG_TYPE_STRING, .index = -1 },
    };
    struct lang_command cmd = { .name = "validate", .args = args, .arg_count = 2 };
    const char *argv[] = { "--schema", "s.json", "doc.json" };
    struct exec_args a = { 0 };
    struct err err = { 0 };
    assert_true(exec_args_parse(&cmd, 3, argv, &a, &err));
    assert_string_equal(get(&a, "file"), "doc.json");
    assert_string_equal(get(&a, "schema"), "s.json");
    exec_args_release(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_args_positionals_and_flags_in_any_order),
        cmocka_unit_test(test_exec_args_long_flag_takes_next_word),
        cmocka_unit_test(test_exec_args_double_dash_ends_flags),
        cmocka_unit_test(test_exec_args_negative_number_is_a_positional),
        cmocka_unit_test(test_exec_args_errors_name_the_problem),
        cmocka_unit_test(test_exec_args_check_types_and_required),
        cmocka_unit_test(test_exec_args_rest_collects_remaining),
        cmocka_unit_test(test_exec_args_without_index_take_positionals_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
