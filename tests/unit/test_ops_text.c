/* test_ops_text.c: text ops (trim, case, replace, split, join, contains,
 * lines, format, regex_match, regex_replace) and the hash ops. */
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

static void
test_ops_text_trim_and_case(void **state)
{
    (void)state;
    EXPECT("hello world", "trim", "  \thello world\n\n");
    EXPECT("", "trim", " \n ");
    EXPECT("v1.2", "trim", "--v1.2--", "-");
    EXPECT("mixed case 123 \xc3\x89", "lower", "MiXeD CaSe 123 \xc3\x89");
    EXPECT("MIXED CASE", "upper", "mixed case");
}

static void
test_ops_text_replace_and_contains(void **state)
{
    (void)state;
    EXPECT("a-b-c", "replace", "a b c", " ", "-");
    EXPECT("xyxy", "replace", "abab", "ab", "xy");
    EXPECT("no change", "replace", "no change", "zzz", "y");
    EXPECT("", "replace", "aaa", "a", "");
    EXPECT_FAIL(ERR_USAGE, "empty", "replace", "abc", "", "x");
    EXPECT("true", "contains", "hello world", "lo w");
    EXPECT("false", "contains", "hello", "world");
    EXPECT("true", "contains", "anything", "");
}

static void
test_ops_text_split_join_lines(void **state)
{
    (void)state;
    EXPECT("a\nb\nc", "split", "a,b,c", ",");
    EXPECT("a\n\nb", "split", "a,,b", ",");
    EXPECT("one\ntwo\nthree", "split", "  one two\t\nthree  ");
    EXPECT("key\nvalue", "split", "key::value", "::");
    EXPECT("h\n\xc3\xa9\ny", "split", "h\xc3\xa9y", "");
    EXPECT("a, b, c", "join", "a\nb\nc\n", ", ");
    EXPECT("a+c", "join", "a\r\n\nc", "+");
    EXPECT("", "join", "", ",");
    EXPECT("l1\nl2\n\nl4", "lines", "l1\r\nl2\n\nl4\n");
    EXPECT("", "lines", "");
}

static void
test_ops_text_format(void **state)
{
    (void)state;
    EXPECT("hello, world!", "format", "{}, {}!", "hello", "world");
    EXPECT("b a b", "format", "{1} {0} {1}", "a", "b");
    EXPECT("{literal} x", "format", "{{literal}} {}", "x");
    EXPECT("no placeholders", "format", "no placeholders");
    EXPECT_FAIL(ERR_USAGE, "needs 2 arguments, got 1", "format", "{} {}", "only");
    EXPECT_FAIL(ERR_USAGE, "unclosed", "format", "oops {", "x");
    EXPECT_FAIL(ERR_USAGE, "invalid placeholder '{name}'", "format", "{name}", "x");
    EXPECT_FAIL(ERR_USAGE, "unmatched '}'", "format", "a } b");
}

static void
test_ops_text_regex(void **state)
{
    (void)state;
    EXPECT("true", "regex_match", "v1.22.3", "^v[0-9]+\\.[0-9]+\\.[0-9]+$");
    EXPECT("false", "regex_match", "v1.x", "^v[0-9]+\\.[0-9]+$");
    EXPECT("true", "regex_match", "anything", "");
    EXPECT("2026/11/24", "regex_replace", "2026-11-24", "-", "/");
    EXPECT("24.11.2026", "regex_replace", "2026-11-24", "([0-9]+)-([0-9]+)-([0-9]+)",
           "\\3.\\2.\\1");
    EXPECT("[a][b]", "regex_replace", "ab", "[a-z]", "[\\0]");
    EXPECT("x-y-z", "regex_replace", "x  y   z", " +", "-");
    EXPECT("Xbc", "regex_replace", "abc", "^a", "X");
    EXPECT("ab", "regex_replace", "ab", "^b", "X"); /* ^ anchors at the start only */
    EXPECT_FAIL(ERR_USAGE, "invalid regular expression '(unclosed'", "regex_match", "x",
                "(unclosed");
    EXPECT_FAIL(ERR_USAGE, "regex_replace", "regex_replace", "x", "[z", "y");
}

static void
test_ops_hash(void **state)
{
    (void)state;
    EXPECT("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256", "");
    EXPECT("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256", "abc");
    fake_write(&f, "go.sum", "abc");
    EXPECT("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256_file",
           "go.sum");
    EXPECT_FAIL(ERR_NOT_FOUND, "missing.sum", "sha256_file", "missing.sum");
    /* The READ check sees the absolute path. */
    f.has_deny = true;
    f.deny_what = OP_CHECK_READ;
    EXPECT_FAIL(ERR_READ_NOT_DECLARED, "go.sum", "sha256_file", "go.sum");
    char *abs = fake_path(&f, "go.sum");
    assert_string_equal(f.last_subject, abs);
    free(abs);
    f.has_deny = false;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_text_trim_and_case),
        cmocka_unit_test(test_ops_text_replace_and_contains),
        cmocka_unit_test(test_ops_text_split_join_lines),
        cmocka_unit_test(test_ops_text_format),
        cmocka_unit_test(test_ops_text_regex),
        cmocka_unit_test(test_ops_hash),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
