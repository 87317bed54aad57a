/* test_lang_lex.c: the .perch string rules, escapes, interpolation parts,
 * comments and lexical errors, seen through the loaded program. */
/* cmocka.h needs the headers before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "lang/lang.h"

/* Load 'body' as the body of command "c"; returns the program (or NULL)
 * and leaves the diagnostics in 'diags'. */
static struct lang_program *
load_body(const char *body, struct lang_diags *diags)
{
    char text[4096];
    snprintf(text, sizeof(text), "command c\n    do\n        %s\n    end\nend\n", body);
    lang_diags_init(diags);
    return lang_load_string("t.perch", text, strlen(text), diags);
}

/* The i-th argument of the first statement of command "c". */
static const struct lang_word *
arg0(const struct lang_program *prog, size_t i)
{
    const struct lang_command *c = lang_find_command(prog, "c");
    assert_non_null(c);
    assert_true(c->body.count >= 1);
    assert_true(c->body.stmts[0].arg_count > i);
    return &c->body.stmts[0].args[i];
}

static void
test_lang_lex_double_quote_escapes(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load_body("print \"a\\nb\\tc\\rd\\\\e\\\"f\\$g\\qh\"", &d);
    assert_non_null(p);
    const struct lang_word *w = arg0(p, 0);
    assert_int_equal(w->quote, LANG_QUOTE_DOUBLE);
    assert_string_equal(w->text, "a\nb\tc\rd\\e\"f$g\\qh");
    assert_false(w->has_interp);
    assert_int_equal(w->part_count, 1);
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_lex_single_and_backtick_are_raw(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load_body("print 'a\\nb' `x\\ty\nsecond line`", &d);
    assert_non_null(p);
    assert_int_equal(arg0(p, 0)->quote, LANG_QUOTE_SINGLE);
    assert_string_equal(arg0(p, 0)->text, "a\\nb");
    assert_int_equal(arg0(p, 1)->quote, LANG_QUOTE_BACKTICK);
    assert_string_equal(arg0(p, 1)->text, "x\\ty\nsecond line");
    /* The statement after a multi-line backtick string is on the right line. */
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_lex_backtick_spans_lines_and_keeps_line_numbers(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load_body("shell `echo 1\necho 2`\nprint done", &d);
    assert_non_null(p);
    const struct lang_command *c = lang_find_command(p, "c");
    assert_int_equal(c->body.count, 2);
    assert_int_equal(c->body.stmts[0].loc.line, 3);
    assert_int_equal(c->body.stmts[1].loc.line, 5);
    assert_string_equal(c->body.stmts[1].name, "print");
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_lex_interpolation_parts(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load_body(
        "print \"x=${x} kind=${err.kind} h=${sha256_file('go.sum')} b=${path_base(f)}\"", &d);
    assert_non_null(p);
    const struct lang_word *w = arg0(p, 0);
    assert_true(w->has_interp);
    assert_int_equal(w->part_count, 8);
    assert_int_equal(w->parts[0].kind, LANG_PART_LITERAL);
    assert_string_equal(w->parts[0].text, "x=");
    assert_int_equal(w->parts[1].kind, LANG_PART_VAR);
    assert_string_equal(w->parts[1].text, "x");
    assert_string_equal(w->parts[3].text, "err.kind");
    assert_int_equal(w->parts[5].kind, LANG_PART_CALL);
    assert_string_equal(w->parts[5].text, "sha256_file");
    assert_int_equal(w->parts[5].arg_count, 1);
    assert_true(w->parts[5].args[0].is_literal);
    assert_string_equal(w->parts[5].args[0].text, "go.sum");
    assert_int_equal(w->parts[7].kind, LANG_PART_CALL);
    assert_false(w->parts[7].args[0].is_literal);
    assert_string_equal(w->parts[7].args[0].text, "f");
    /* Column of the ${x} part: `        print "x=${x}` → col 18. */
    assert_int_equal(w->parts[1].loc.line, 3);
    assert_int_equal(w->parts[1].loc.col, 18);
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_lex_escaped_interpolation_is_literal_everywhere(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p =
        load_body("print \"\\${a}\" '\\${b}' `\\${c}` \\${d} \"$(date) $HOME\"", &d);
    assert_non_null(p);
    const char *expect[] = { "${a}", "${b}", "${c}", "${d}" };
    for (size_t i = 0; i < 4; i++) {
        const struct lang_word *w = arg0(p, i);
        assert_false(w->has_interp);
        assert_int_equal(w->part_count, 1);
        assert_int_equal(w->parts[0].kind, LANG_PART_LITERAL);
        assert_string_equal(w->parts[0].text, expect[i]);
    }
    /* $(...) and $NAME are not ours: they pass through as text. */
    assert_false(arg0(p, 4)->has_interp);
    assert_string_equal(arg0(p, 4)->text, "$(date) $HOME");
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_lex_interpolates_in_single_quotes_and_bare_words(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load_body("mkdir '${dir}/x' ${dir}/y ./out", &d);
    assert_non_null(p);
    assert_true(arg0(p, 0)->has_interp);
    assert_true(arg0(p, 1)->has_interp);
    assert_int_equal(arg0(p, 1)->quote, LANG_QUOTE_BARE);
    assert_string_equal(arg0(p, 1)->parts[1].text, "/y");
    assert_false(arg0(p, 2)->has_interp);
    assert_string_equal(arg0(p, 2)->text, "./out");
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_lex_unterminated_strings_report_line_and_col(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load_body("print \"abc\n        print 'x\nprint ok", &d);
    assert_null(p);
    assert_int_equal(d.error_count, 2);
    assert_int_equal(d.items[0].loc.line, 3);
    assert_int_equal(d.items[0].loc.col, 15);
    assert_non_null(strstr(d.items[0].message, "unterminated double-quoted string"));
    assert_int_equal(d.items[1].loc.line, 4);
    assert_int_equal(d.items[1].loc.col, 15);
    assert_non_null(strstr(d.items[1].message, "single-quoted"));
    lang_diags_release(&d);
}

static void
test_lang_lex_unterminated_backtick(void **state)
{
    (void)state;
    struct lang_diags d;
    const char *text = "command c\n    do\n        shell `echo\nend\n";
    lang_diags_init(&d);
    struct lang_program *p = lang_load_string("t.perch", text, strlen(text), &d);
    assert_null(p);
    assert_true(d.error_count >= 1);
    assert_int_equal(d.items[0].loc.line, 3);
    assert_int_equal(d.items[0].loc.col, 15);
    assert_non_null(strstr(d.items[0].message, "unterminated backtick"));
    lang_diags_release(&d);
}

static void
test_lang_lex_bad_interpolation(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load_body("print \"${VAR:-x}\"\nprint \"${open\"", &d);
    assert_null(p);
    assert_int_equal(d.error_count, 2);
    assert_non_null(strstr(d.items[0].message, "invalid interpolation '${VAR:-x}'"));
    assert_int_equal(d.items[0].loc.col, 16);
    assert_non_null(strstr(d.items[1].message, "unterminated '${'"));
    lang_diags_release(&d);
}

static void
test_lang_lex_comments_and_shebang(void **state)
{
    (void)state;
    const char *text = "#!/usr/bin/env perch\n"
                       "# a comment\n"
                       "name \"n\" # trailing\n"
                       "command c # here too\n"
                       "    do\n"
                       "        print \"# not a comment\" x#y # gone\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    lang_diags_init(&d);
    struct lang_program *p = lang_load_string("t.perch", text, strlen(text), &d);
    assert_non_null(p);
    assert_string_equal(p->name, "n");
    const struct lang_stmt *st = &lang_find_command(p, "c")->body.stmts[0];
    assert_int_equal(st->arg_count, 2);
    assert_string_equal(st->args[0].text, "# not a comment");
    assert_string_equal(st->args[1].text, "x#y");
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_lex_crlf_and_tabs(void **state)
{
    (void)state;
    const char *text = "command c\r\n\tdo\r\n\t\tprint \"a\" `x\r\ny`\r\n\tend\r\nend\r\n";
    struct lang_diags d;
    lang_diags_init(&d);
    struct lang_program *p = lang_load_string("t.perch", text, strlen(text), &d);
    assert_non_null(p);
    const struct lang_stmt *st = &lang_find_command(p, "c")->body.stmts[0];
    assert_string_equal(st->args[0].text, "a");
    assert_string_equal(st->args[1].text, "x\ny");
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_lex_errors_are_not_followed_by_parser_noise(void **state)
{
    (void)state;
    /* The opener's argument is cut off, and a backtick string runs to the
     * end of the file, eating every 'end': one error each, no cascade. */
    const char *text = "command c\n"
                       "    do\n"
                       "        timeout \"30s\n"
                       "            print \"x\"\n"
                       "        end\n"
                       "        wasm_run `abc\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    lang_diags_init(&d);
    struct lang_program *p = lang_load_string("t.perch", text, strlen(text), &d);
    assert_null(p);
    assert_int_equal(d.error_count, 2);
    assert_int_equal(d.items[0].loc.line, 3);
    assert_int_equal(d.items[1].loc.line, 6);
    assert_non_null(strstr(d.items[1].message, "unterminated backtick"));
    lang_diags_release(&d);
}

static void
test_lang_lex_unknown_error_kinds_warn(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load_body("try\n"
                                       "            print 1\n"
                                       "        rescue timeout tiemout\n"
                                       "            print 2\n"
                                       "        end",
                                       &d);
    assert_non_null(p); /* a warning only */
    assert_int_equal(d.warning_count, 1);
    assert_int_equal(d.items[0].severity, LANG_SEV_WARNING);
    assert_string_equal(d.items[0].message,
                        "unknown error kind 'tiemout' (did you mean 'timeout'?)");
    assert_int_equal(d.items[0].loc.line, 5);
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_lex_byte_order_mark_is_skipped(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBFname \"n\"\ncommand c\n    print \"a\n";
    struct lang_diags d;
    lang_diags_init(&d);
    struct lang_program *p = lang_load_string("t.perch", text, strlen(text), &d);
    assert_null(p);
    assert_int_equal(d.error_count, 2); /* the string and the missing end, nothing else */
    assert_int_equal(d.items[0].loc.line, 3);
    assert_int_equal(d.items[0].loc.col, 11);
    lang_diags_release(&d);
    const char *ok = "\xEF\xBB\xBFname \"n\"\n";
    lang_diags_init(&d);
    p = lang_load_string("t.perch", ok, strlen(ok), &d);
    assert_non_null(p);
    assert_string_equal(p->name, "n");
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_lex_nul_byte_rejected(void **state)
{
    (void)state;
    const char text[] = "name \"a\"\n\0command";
    struct lang_diags d;
    lang_diags_init(&d);
    struct lang_program *p = lang_load_string("t.perch", text, sizeof(text) - 1, &d);
    assert_null(p);
    assert_non_null(strstr(d.items[0].message, "NUL byte"));
    assert_int_equal(d.items[0].loc.line, 2);
    lang_diags_release(&d);
}

static void
test_lang_lex_text_glued_to_a_quote_is_an_error(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load_body("print \"a\"b 'c'd", &d);
    assert_null(p);
    assert_int_equal(d.error_count, 2);
    assert_int_equal(d.items[0].loc.col, 18);
    assert_non_null(strstr(d.items[0].message, "missing space after the closing quote"));
    assert_int_equal(d.items[1].loc.col, 23);
    lang_diags_release(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang_lex_double_quote_escapes),
        cmocka_unit_test(test_lang_lex_single_and_backtick_are_raw),
        cmocka_unit_test(test_lang_lex_backtick_spans_lines_and_keeps_line_numbers),
        cmocka_unit_test(test_lang_lex_interpolation_parts),
        cmocka_unit_test(test_lang_lex_escaped_interpolation_is_literal_everywhere),
        cmocka_unit_test(test_lang_lex_interpolates_in_single_quotes_and_bare_words),
        cmocka_unit_test(test_lang_lex_unterminated_strings_report_line_and_col),
        cmocka_unit_test(test_lang_lex_unterminated_backtick),
        cmocka_unit_test(test_lang_lex_bad_interpolation),
        cmocka_unit_test(test_lang_lex_comments_and_shebang),
        cmocka_unit_test(test_lang_lex_crlf_and_tabs),
        cmocka_unit_test(test_lang_lex_errors_are_not_followed_by_parser_noise),
        cmocka_unit_test(test_lang_lex_byte_order_mark_is_skipped),
        cmocka_unit_test(test_lang_lex_unknown_error_kinds_warn),
        cmocka_unit_test(test_lang_lex_nul_byte_rejected),
        cmocka_unit_test(test_lang_lex_text_glued_to_a_quote_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
