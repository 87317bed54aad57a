/* test_duration.c: parsing durations as scripts write them and printing
 * them as reports and cache-hit lines show them. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "base/duration.h"
#include "base/err.h"

#define MS  INT64_C(1000000)
#define SEC INT64_C(1000000000)

static int64_t
parse_ok(const char *text)
{
    struct err err = { 0 };
    int64_t ns = -1;
    if (!duration_parse(text, &ns, &err))
        fail_msg("duration_parse(\"%s\") failed: %s", text, err.msg);
    return ns;
}

static void
test_duration_parses_every_unit(void **state)
{
    (void)state;
    assert_true(parse_ok("500ms") == 500 * MS);
    assert_true(parse_ok("30s") == 30 * SEC);
    assert_true(parse_ok("5m") == 300 * SEC);
    assert_true(parse_ok("2h") == 7200 * SEC);
    assert_true(parse_ok("7d") == 7 * 86400 * SEC);
    assert_true(parse_ok("2w") == 14 * 86400 * SEC);
    assert_true(parse_ok("250us") == 250000);
    assert_true(parse_ok("10ns") == 10);
}

static void
test_duration_parses_compound_fraction_and_bare_seconds(void **state)
{
    (void)state;
    assert_true(parse_ok("1h30m") == 5400 * SEC);
    assert_true(parse_ok("1m30s500ms") == 90 * SEC + 500 * MS);
    assert_true(parse_ok("1.5s") == 1500 * MS);
    assert_true(parse_ok("0.25h") == 900 * SEC);
    assert_true(parse_ok("45") == 45 * SEC);
    assert_true(parse_ok("2.5") == 2500 * MS);
    assert_true(parse_ok("  10s ") == 10 * SEC);
    assert_true(parse_ok("0") == 0);
}

static void
expect_error(const char *text, const char *fragment)
{
    struct err err = { 0 };
    int64_t ns = 42;
    assert_false(duration_parse(text, &ns, &err));
    assert_int_equal(err.kind, ERR_USAGE);
    assert_int_equal(ns, 42);
    if (!strstr(err.msg, fragment))
        fail_msg("message for \"%s\" is \"%s\", wanted \"%s\" in it", text, err.msg, fragment);
    assert_non_null(strstr(err.msg, text[0] ? text : "''"));
}

static void
test_duration_rejects_bad_input_clearly(void **state)
{
    (void)state;
    expect_error("", "empty");
    expect_error("   ", "empty");
    expect_error("5 minutes", "unknown unit");
    expect_error("5min", "unknown unit 'min'");
    expect_error("10x", "unknown unit 'x'");
    expect_error("-5s", "negative");
    expect_error("ms", "expected a number");
    expect_error("1h30", "missing unit");
    expect_error("99999999999999999999s", "too large");
    expect_error("9999999999w", "too large");
}

static void
test_duration_parse_ms_rounds_up(void **state)
{
    (void)state;
    struct err err = { 0 };
    int64_t ms = 0;
    assert_true(duration_parse_ms("1500us", &ms, &err));
    assert_int_equal(ms, 2);
    assert_true(duration_parse_ms("2s", &ms, &err));
    assert_int_equal(ms, 2000);
}

static void
expect_format(int64_t ns, const char *want)
{
    char buf[DURATION_FORMAT_MAX];
    duration_format(ns, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void
test_duration_format_is_compact(void **state)
{
    (void)state;
    expect_format(0, "0ms");
    expect_format(-5, "0ms");
    expect_format(340 * MS, "340ms");
    expect_format(1200 * MS, "1.2s");
    expect_format(59999 * MS, "59.9s");
    expect_format(330 * SEC, "5m30s");
    expect_format(300 * SEC, "5m");
    expect_format(5400 * SEC, "1h30m");
    expect_format((29 * 86400 + 23 * 3600 + 59 * 60) * SEC, "29d23h");
    expect_format(7 * 86400 * SEC, "7d");
    expect_format(850000, "850\xc2\xb5s");
    expect_format(12, "12ns");
}

static void
test_duration_format_round_trips_through_parse(void **state)
{
    (void)state;
    const char *texts[] = { "340ms", "5m30s", "1h30m", "29d23h", "7d" };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        char buf[DURATION_FORMAT_MAX];
        duration_format(parse_ok(texts[i]), buf, sizeof(buf));
        assert_string_equal(buf, texts[i]);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_parses_every_unit),
        cmocka_unit_test(test_duration_parses_compound_fraction_and_bare_seconds),
        cmocka_unit_test(test_duration_rejects_bad_input_clearly),
        cmocka_unit_test(test_duration_parse_ms_rounds_up),
        cmocka_unit_test(test_duration_format_is_compact),
        cmocka_unit_test(test_duration_format_round_trips_through_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
