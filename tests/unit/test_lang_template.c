/* test_lang_template.c: templates expand at load time, substitute their
 * parameters part by part, and reject recursion and bad calls. */
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

static struct lang_program *
load(const char *text, struct lang_diags *diags)
{
    lang_diags_init(diags);
    return lang_load_string("t.perch", text, strlen(text), diags);
}

static char *
dump_command(const struct lang_program *prog, const char *name)
{
    /* Dump the whole program and keep the part from "command NAME". */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    lang_program_dump(prog, f);
    fclose(f);
    char key[128];
    snprintf(key, sizeof(key), "command %s\n", name);
    char *at = strstr(buf, key);
    assert_non_null(at);
    char *out = strdup(at);
    free(buf);
    return out;
}

static const char validate_tmpl[] = "template validate file mount\n"
                                    "    arg extra\n"
                                    "        default \"--strict\"\n"
                                    "    end\n"
                                    "    do\n"
                                    "        wasm_run \"${script_dir}/v.wasm\"\n"
                                    "            wasm_arg \"/ro/x/${file}\"\n"
                                    "            wasm_arg \"${extra}\"\n"
                                    "            wasm_mount_read \"${mount}\"\n"
                                    "        end\n"
                                    "        if file == \"skip\"\n"
                                    "            print \"skipping\"\n"
                                    "        end\n"
                                    "        print \"${path_base(file)}\"\n"
                                    "        log_line \"${file}\"\n"
                                    "    end\n"
                                    "end\n"
                                    "template log_line msg\n"
                                    "    print \"log: ${msg}\"\n"
                                    "end\n";

static void
test_lang_template_expands_with_substitution(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof(text),
             "%s"
             "command all\n"
             "    do\n"
             "        files = glob \"*.md\"\n"
             "        for_each \"${files}\" f\n"
             "            validate \"${f}\" \"${script_dir}/posts\"\n"
             "        end\n"
             "        validate literal.md ./m \"--loose\"\n"
             "    end\n"
             "end\n",
             validate_tmpl);
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    if (!p)
        lang_diags_print(&d, stderr);
    assert_non_null(p);
    char *got = dump_command(p, "all");
    const char *want = "command all\n"
                       "  files = call glob [\"*.md\"]\n"
                       "  for_each for_each [\"${files}\" bare:f]\n"
                       "    block wasm_run [\"${script_dir}/v.wasm\"] <validate>\n"
                       "      call wasm_arg [\"/ro/x/${f}\"]\n"
                       "      call wasm_arg [\"--strict\"]\n"
                       "      call wasm_mount_read [\"${script_dir}/posts\"]\n"
                       "    if if [] <validate>\n"
                       "    if (\"${f}\" == \"skip\")\n"
                       "      call print [\"skipping\"]\n"
                       "    call print [\"${path_base(f)}\"] <validate>\n"
                       "    call print [\"log: ${f}\"] <log_line>\n"
                       "  block wasm_run [\"${script_dir}/v.wasm\"] <validate>\n"
                       "    call wasm_arg [\"/ro/x/literal.md\"]\n"
                       "    call wasm_arg [\"--loose\"]\n"
                       "    call wasm_mount_read [\"./m\"]\n"
                       "  if if [] <validate>\n"
                       "  if (\"literal.md\" == \"skip\")\n"
                       "    call print [\"skipping\"]\n"
                       "  call print [\"${path_base('literal.md')}\"] <validate>\n"
                       "  call print [\"log: literal.md\"] <log_line>\n";
    if (strcmp(got, want) != 0)
        fprintf(stderr, "got:\n%s", got);
    assert_string_equal(got, want);
    /* The interpreter never sees a template call; the parts are real. */
    const struct lang_command *c = lang_find_command(p, "all");
    const struct lang_stmt *wr = &c->body.stmts[1].body.stmts[0];
    assert_string_equal(wr->from_template, "validate");
    const struct lang_word *w = &wr->body.stmts[0].args[0];
    assert_true(w->has_interp);
    assert_int_equal(w->part_count, 2);
    assert_int_equal(w->parts[1].kind, LANG_PART_VAR);
    assert_string_equal(w->parts[1].text, "f");
    /* Expanded statements keep their location inside the template. */
    assert_int_equal(wr->loc.line, 6);
    /* The templates stay listed for help and --check. */
    assert_non_null(lang_find_template(p, "validate"));
    assert_int_equal(lang_find_template(p, "validate")->param_count, 3);
    free(got);
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_template_escaped_text_stays_literal(void **state)
{
    (void)state;
    const char *text = "template t v\n"
                       "    print \"\\${v} ${v}\"\n"
                       "end\n"
                       "command c\n"
                       "    t \"\\${x}\"\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    const struct lang_word *w = &p->commands[0].body.stmts[0].args[0];
    assert_false(w->has_interp);
    /* Literal "${v} " from the template, then the caller's literal "${x}". */
    size_t total = 0;
    for (size_t i = 0; i < w->part_count; i++) {
        assert_int_equal(w->parts[i].kind, LANG_PART_LITERAL);
        total += w->parts[i].len;
    }
    assert_int_equal(total, strlen("${v} ${x}"));
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_template_recursion_is_rejected_with_chain(void **state)
{
    (void)state;
    const char *text = "template a\n"
                       "    b\n"
                       "end\n"
                       "template b\n"
                       "    if x\n"
                       "        c 1\n"
                       "    end\n"
                       "end\n"
                       "template c v\n"
                       "    a\n"
                       "end\n"
                       "command go\n"
                       "    a\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    assert_int_equal(d.error_count, 1);
    assert_string_equal(d.items[0].message, "template recursion: a -> b -> c -> a");
    assert_int_equal(d.items[0].loc.line, 10);
    lang_diags_release(&d);
}

static void
test_lang_template_self_recursion(void **state)
{
    (void)state;
    const char *text = "template loop n\n    loop \"${n}x\"\nend\ncommand go\n    loop 1\nend\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    assert_string_equal(d.items[0].message, "template recursion: loop -> loop");
    lang_diags_release(&d);
}

static void
test_lang_template_bad_calls(void **state)
{
    (void)state;
    const char *text = "template t x\n"
                       "    print \"${x}\"\n"
                       "end\n"
                       "command go\n"
                       "    do\n"
                       "        v = t 1\n"
                       "        t\n"
                       "        t 1 2\n"
                       "        t 1 && print 2\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    assert_int_equal(d.error_count, 4);
    assert_non_null(strstr(d.items[0].message, "cannot capture the value of template 't'"));
    assert_non_null(strstr(d.items[1].message, "template 't' needs argument 'x'"));
    assert_non_null(strstr(d.items[2].message, "too many arguments for template 't'"));
    assert_non_null(strstr(d.items[3].message, "chain"));
    lang_diags_release(&d);
}

static void
test_lang_template_parameters_cannot_be_rebound(void **state)
{
    (void)state;
    const char *text = "template t file items\n"
                       "    file = \"other\"\n" /* 2 */
                       "    if x\n"
                       "        for_each \"${items}\" items\n" /* 4 */
                       "        end\n"
                       "    end\n"
                       "    n = 0\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    assert_int_equal(d.error_count, 2);
    assert_int_equal(d.items[0].loc.line, 2);
    assert_string_equal(d.items[0].message,
                        "'file' is a parameter of template 't': bind another name");
    assert_int_equal(d.items[1].loc.line, 4);
    assert_int_equal(d.items[1].loc.col, 29);
    lang_diags_release(&d);
}

static void
test_lang_template_fan_out_is_capped(void **state)
{
    (void)state;
    /* Each level calls the next ten times: 10^8 statements if unchecked. */
    char text[8192] = "";
    for (int level = 0; level < 8; level++) {
        char line[256];
        snprintf(line, sizeof(line), "template t%d\n", level);
        strcat(text, line);
        for (int i = 0; i < 10; i++) {
            if (level == 7)
                snprintf(line, sizeof(line), "    print \"leaf\"\n");
            else
                snprintf(line, sizeof(line), "    t%d\n", level + 1);
            strcat(text, line);
        }
        strcat(text, "end\n");
    }
    strcat(text, "command go\n    t0\nend\n");
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    assert_int_equal(d.error_count, 1);
    assert_non_null(strstr(d.items[0].message, "template expansion too large"));
    lang_diags_release(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang_template_expands_with_substitution),
        cmocka_unit_test(test_lang_template_escaped_text_stays_literal),
        cmocka_unit_test(test_lang_template_recursion_is_rejected_with_chain),
        cmocka_unit_test(test_lang_template_self_recursion),
        cmocka_unit_test(test_lang_template_bad_calls),
        cmocka_unit_test(test_lang_template_parameters_cannot_be_rebound),
        cmocka_unit_test(test_lang_template_fan_out_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
