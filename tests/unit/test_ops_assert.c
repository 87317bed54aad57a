/* test_ops_assert.c: assertion ops pass silently and fail with kind
 * `assertion_failed` and a message showing expected and actual values. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "test_ops_fixture.h"

#define PASS(...)                                           \
 do {                                                       \
  struct err err_ = { 0 };                                  \
  if (!fake_run(&f, &out, &err_, __VA_ARGS__, NULL))        \
   fail_msg("assertion failed unexpectedly: %s", err_.msg); \
 } while (0)

/* Fail with exactly 'want' as the message. */
#define FAILS(want, ...)                                      \
 do {                                                         \
  struct err err_ = { 0 };                                    \
  assert_false(fake_run(&f, &out, &err_, __VA_ARGS__, NULL)); \
  assert_int_equal(err_.kind, ERR_ASSERTION);                 \
  assert_string_equal(err_.msg, want);                        \
 } while (0)

static void
test_ops_assert_eq_and_neq(void **state)
{
    (void)state;
    PASS("assert_eq", "same", "same");
    PASS("assert_neq", "1", "0");
    FAILS("assert_eq: expected \"b\", got \"a\"", "assert_eq", "a", "b");
    FAILS("assert_eq: expected \"x\\n\", got \"x\"", "assert_eq", "x", "x\n");
    FAILS("assert_neq: expected a value other than \"0\"", "assert_neq", "0", "0");
    FAILS("exit status: expected \"0\", got \"2\"", "assert_eq", "2", "0", "exit status");
    FAILS("assert_eq: expected \"tab\\there\", got \"say \\\"hi\\\"\"", "assert_eq", "say \"hi\"",
          "tab\there");
}

static void
test_ops_assert_long_values_are_shortened(void **state)
{
    (void)state;
    char *long_text = xmalloc(1001);
    memset(long_text, 'y', 1000);
    long_text[1000] = '\0';
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "assert_eq", long_text, "short", NULL));
    assert_int_equal(err.kind, ERR_ASSERTION);
    assert_non_null(strstr(err.msg, "expected \"short\", got \"yyyy"));
    assert_non_null(strstr(err.msg, "\xe2\x80\xa6\""));
    free(long_text);
}

static void
test_ops_assert_contains(void **state)
{
    (void)state;
    PASS("assert_contains", "build ok: 3 files", "ok");
    PASS("assert_not_contains", "build ok", "error");
    FAILS("assert_contains: \"build failed\" does not contain \"ok\"", "assert_contains",
          "build failed", "ok");
    FAILS("assert_not_contains: \"an error here\" contains \"error\"", "assert_not_contains",
          "an error here", "error");
}

static void
test_ops_assert_exists(void **state)
{
    (void)state;
    fake_write(&f, "out/result.json", "{}");
    PASS("assert_exists", "out/result.json");
    PASS("assert_exists", "out");
    PASS("assert_not_exists", "out/missing");
    char *want = xasprintf("assert_exists: '%s/out/missing' does not exist", f.dir);
    FAILS(want, "assert_exists", "out/missing");
    free(want);
    want = xasprintf("cleanup: '%s/out' exists", f.dir);
    FAILS(want, "assert_not_exists", "out", "cleanup");
    free(want);
}

static void
test_ops_assert_match(void **state)
{
    (void)state;
    PASS("assert_match", "version 1.2.3", "[0-9]+\\.[0-9]+\\.[0-9]+");
    FAILS("assert_match: \"version x\" does not match /[0-9]+$/", "assert_match", "version x",
          "[0-9]+$");
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "assert_match", "x", "(", NULL));
    assert_int_equal(err.kind, ERR_USAGE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_assert_eq_and_neq),
        cmocka_unit_test(test_ops_assert_long_values_are_shortened),
        cmocka_unit_test(test_ops_assert_contains),
        cmocka_unit_test(test_ops_assert_exists),
        cmocka_unit_test(test_ops_assert_match),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
