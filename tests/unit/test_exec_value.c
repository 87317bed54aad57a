/* test_exec_value.c: interpreter values, comparisons and scopes (src/exec/value.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exec/value.h"

static void
test_exec_value_literal_types(void **state)
{
    (void)state;
    struct exec_value v;
    exec_value_literal(&v, "42");
    assert_int_equal(v.type, EXEC_V_INT);
    assert_int_equal(v.as.i, 42);
    assert_string_equal(v.text, "42");
    exec_value_release(&v);

    exec_value_literal(&v, "1.5");
    assert_int_equal(v.type, EXEC_V_FLOAT);
    assert_true(v.as.f == 1.5);
    exec_value_release(&v);

    exec_value_literal(&v, "true");
    assert_int_equal(v.type, EXEC_V_BOOL);
    assert_true(v.as.b);
    exec_value_release(&v);

    /* Words that merely start like numbers stay strings. */
    exec_value_literal(&v, "1.2.3");
    assert_int_equal(v.type, EXEC_V_STRING);
    exec_value_release(&v);
    exec_value_literal(&v, "0x10");
    assert_int_equal(v.type, EXEC_V_STRING);
    exec_value_release(&v);
    exec_value_literal(&v, "nan");
    assert_int_equal(v.type, EXEC_V_STRING);
    exec_value_release(&v);
}

static void
test_exec_value_parse_reports_arg_and_value(void **state)
{
    (void)state;
    struct exec_value v;
    struct err err = { 0 };
    assert_false(exec_value_parse(&v, EXEC_V_INT, "abc", "argument 'n'", &err));
    assert_int_equal(err.kind, ERR_TYPE);
    assert_non_null(strstr(err.msg, "argument 'n'"));
    assert_non_null(strstr(err.msg, "'abc'"));

    err_clear(&err);
    assert_true(exec_value_parse(&v, EXEC_V_FLOAT, "2", "x", &err));
    assert_int_equal(v.type, EXEC_V_FLOAT);
    assert_string_equal(v.text, "2.0");
    exec_value_release(&v);
    /* Ordinary magnitudes read as plain decimals, not in exponent form. */
    static const char *const floats[][2] = {
        { "1e3", "1000.0" }, { "2.50", "2.5" }, { "0.001", "0.001" },
        { "123456789.5", "123456789.5" }, { "1e-7", "1e-07" }, { "1e20", "1e+20" },
    };
    for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
        assert_true(exec_value_parse(&v, EXEC_V_FLOAT, floats[i][0], "x", &err));
        assert_string_equal(v.text, floats[i][1]);
        exec_value_release(&v);
    }

    assert_true(exec_value_parse(&v, EXEC_V_BOOL, "yes", "x", &err));
    assert_true(v.as.b);
    assert_string_equal(v.text, "true");
    exec_value_release(&v);
    assert_false(exec_value_parse(&v, EXEC_V_BOOL, "maybe", "flag 'f'", &err));
}

static void
test_exec_value_int_overflow_is_not_an_int(void **state)
{
    (void)state;
    int64_t i;
    assert_true(exec_text_int("9223372036854775807", &i));
    assert_false(exec_text_int("9223372036854775808", &i));
    assert_false(exec_text_int("", &i));
    assert_false(exec_text_int("12abc", &i));
    assert_true(exec_text_int(" -7 ", &i));
    assert_int_equal(i, -7);
}

static void
test_exec_value_truthiness(void **state)
{
    (void)state;
    assert_false(exec_text_truthy(""));
    assert_false(exec_text_truthy("0"));
    assert_false(exec_text_truthy("false"));
    assert_false(exec_text_truthy("FALSE"));
    assert_false(exec_text_truthy("no"));
    assert_true(exec_text_truthy("1"));
    assert_true(exec_text_truthy("true"));
    assert_true(exec_text_truthy("anything"));
    assert_true(exec_text_truthy(" "));
}

static void
test_exec_value_compare_numeric_and_versions(void **state)
{
    (void)state;
    assert_true(exec_text_compare("10", "9") > 0); /* numbers, not bytes */
    assert_true(exec_text_compare("2.5", "10") < 0);
    assert_true(exec_text_compare("-1", "0") < 0);
    assert_int_equal(exec_text_compare("1.0", "1"), 0);
    assert_true(exec_text_compare("1.10.0", "1.9.3") > 0); /* versions */
    assert_true(exec_text_compare("v2.0.0", "1.99.99") > 0);
    assert_int_equal(exec_text_compare("v1.2.3", "1.2.3"), 0);
    assert_true(exec_text_compare("1.2", "1.2.1") < 0);
    assert_true(exec_text_compare("1.0.0-rc1", "1.0.0") < 0);
    assert_true(exec_text_compare("apple", "banana") < 0);
    /* Digits inside words count as numbers, like `sort -V`. */
    assert_true(exec_text_compare("a10", "a9") > 0);
    assert_true(exec_text_compare("1.0.0-rc10", "1.0.0-rc9") > 0);
    assert_true(exec_text_compare("build2", "build10") < 0);
    assert_int_equal(exec_text_compare("x07y", "x7y"), 0);
    assert_true(exec_text_compare("ab", "abc") < 0);
    assert_int_equal(exec_text_compare("same", "same"), 0);
    /* Long digit runs compare without overflow. */
    assert_true(exec_text_compare("1.99999999999999999999999.0", "1.100000000000000000000000.0") <
                0);
}

static void
test_exec_scope_chain_and_shadowing(void **state)
{
    (void)state;
    struct exec_scope *root = exec_scope_new(NULL);
    struct exec_scope *inner = exec_scope_new(root);
    exec_scope_set_text(root, "a", "root-a");
    exec_scope_set_text(root, "b", "root-b");
    exec_scope_set_text(inner, "a", "inner-a");
    assert_string_equal(exec_scope_get(inner, "a")->text, "inner-a");
    assert_string_equal(exec_scope_get(inner, "b")->text, "root-b");
    assert_string_equal(exec_scope_get(root, "a")->text, "root-a");
    assert_null(exec_scope_get(inner, "c"));
    assert_null(exec_scope_get_local(inner, "b"));

    /* Rebinding replaces in place. */
    exec_scope_set_text(inner, "a", "again");
    assert_string_equal(exec_scope_get(inner, "a")->text, "again");
    assert_int_equal(inner->count, 1);

    exec_scope_unset_local(inner, "a");
    assert_string_equal(exec_scope_get(inner, "a")->text, "root-a");
    exec_scope_free(inner);
    exec_scope_free(root);
}

static void
test_exec_scope_flat_copy_is_independent(void **state)
{
    (void)state;
    struct exec_scope *globals = exec_scope_new(NULL);
    struct exec_scope *cmd = exec_scope_new(globals);
    struct exec_scope *local = exec_scope_new(cmd);
    exec_scope_set_text(globals, "g", "1");
    exec_scope_set_text(cmd, "x", "outer");
    exec_scope_set_text(local, "x", "inner");
    exec_scope_set_text(local, "y", "2");

    struct exec_scope *copy = exec_scope_dup_flat(local, globals);
    assert_ptr_equal(copy->parent, globals);
    assert_int_equal(copy->count, 2); /* x (inner wins) and y; g stays in globals */
    assert_string_equal(exec_scope_get(copy, "x")->text, "inner");
    assert_string_equal(exec_scope_get(copy, "g")->text, "1");

    /* A branch's binding does not reach the original. */
    exec_scope_set_text(copy, "y", "changed");
    exec_scope_set_text(copy, "z", "new");
    assert_string_equal(exec_scope_get(local, "y")->text, "2");
    assert_null(exec_scope_get(local, "z"));

    exec_scope_free(copy);
    exec_scope_free(local);
    exec_scope_free(cmd);
    exec_scope_free(globals);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_value_literal_types),
        cmocka_unit_test(test_exec_value_parse_reports_arg_and_value),
        cmocka_unit_test(test_exec_value_int_overflow_is_not_an_int),
        cmocka_unit_test(test_exec_value_truthiness),
        cmocka_unit_test(test_exec_value_compare_numeric_and_versions),
        cmocka_unit_test(test_exec_scope_chain_and_shadowing),
        cmocka_unit_test(test_exec_scope_flat_copy_is_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
