/* test_sbuf.c: the growable string every component builds text with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/sbuf.h"

static void
test_sbuf_grows_past_initial_capacity(void **state)
{
    (void)state;
    struct sbuf b = SBUF_INIT;
    for (int i = 0; i < 1000; i++)
        sbuf_addc(&b, 'x');
    assert_int_equal(b.len, 1000);
    assert_true(b.buf[b.len] == '\0');
    sbuf_release(&b);
}

static void
test_sbuf_addf_and_rtrim(void **state)
{
    (void)state;
    struct sbuf b = SBUF_INIT;
    sbuf_addf(&b, "%s=%d\n\n", "n", 42);
    sbuf_rtrim(&b, "\n");
    assert_string_equal(b.buf, "n=42");
    char *s = sbuf_detach(&b, NULL);
    assert_string_equal(s, "n=42");
    assert_int_equal(b.len, 0);
    free(s);
}

static void
test_err_first_failure_wins(void **state)
{
    (void)state;
    struct err e = { 0 };
    assert_false(err_set(&e, ERR_IO, "cannot open '%s'", "a"));
    err_set(&e, ERR_PARSE, "second");
    assert_int_equal(e.kind, ERR_IO);
    assert_string_equal(e.msg, "cannot open 'a'");
    assert_string_equal(err_kind_name(ERR_WASM_TRAP), "wasm_trap");
    assert_int_equal(err_kind_from_name("timeout"), ERR_TIMEOUT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sbuf_grows_past_initial_capacity),
        cmocka_unit_test(test_sbuf_addf_and_rtrim),
        cmocka_unit_test(test_err_first_failure_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
