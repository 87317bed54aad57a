/* test_exec_interp.c: interpolation of a word's parts (src/exec/interp.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exec/interp.h"

/* A fixed table of names for lookups. */
static const char *const names[][2] = {
    { "name", "world" },
    { "err.kind", "timeout" },
    { "tricky", "${name}" },
    { "f", "dir/file.txt" },
};

static int call_count;

static const char *
lookup(void *self, const char *name, struct err *err)
{
    (void)self;
    (void)err;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(names[i][0], name))
            return names[i][1];
    return NULL;
}

/* upper(x) and join(a, b) as stand-ins for pure ops. */
static bool
call(void *self, const char *name, size_t argc, char **argv, struct sbuf *out, struct err *err)
{
    (void)self;
    call_count++;
    if (!strcmp(name, "upper") && argc == 1) {
        for (const char *p = argv[0]; *p; p++)
            sbuf_addc(out, (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
        return true;
    }
    if (!strcmp(name, "join") && argc == 2) {
        sbuf_addf(out, "%s+%s", argv[0], argv[1]);
        return true;
    }
    return err_set(err, ERR_UNRESOLVED_VAR, "unknown function '%s'", name);
}

static const struct exec_interp_env env = { lookup, call, NULL };

static struct lang_part
lit(const char *text)
{
    struct lang_part p = { 0 };
    p.kind = LANG_PART_LITERAL;
    p.text = text;
    p.len = strlen(text);
    return p;
}

static struct lang_part
var(const char *name, uint32_t line)
{
    struct lang_part p = { 0 };
    p.kind = LANG_PART_VAR;
    p.text = name;
    p.len = strlen(name);
    p.loc.line = line;
    p.loc.col = 7;
    return p;
}

static struct lang_word
word(const struct lang_part *parts, size_t count)
{
    struct lang_word w = { 0 };
    w.parts = parts;
    w.part_count = count;
    w.text = "";
    return w;
}

static void
test_exec_interp_substitutes_vars(void **state)
{
    (void)state;
    struct lang_part parts[] = { lit("hello, "), var("name", 1), lit("! kind="),
                                 var("err.kind", 1) };
    struct lang_word w = word(parts, 4);
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    assert_true(exec_interp_word(&env, &w, &out, &err));
    assert_string_equal(out.buf, "hello, world! kind=timeout");
    sbuf_release(&out);
}

static void
test_exec_interp_never_rescans_values(void **state)
{
    (void)state;
    /* A value that looks like a reference and literal text that does
     * (an escaped \${ the parser already cooked) both stay as they are. */
    struct lang_part parts[] = { var("tricky", 1), lit(" ${name} $(date)") };
    struct lang_word w = word(parts, 2);
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    assert_true(exec_interp_word(&env, &w, &out, &err));
    assert_string_equal(out.buf, "${name} ${name} $(date)");
    sbuf_release(&out);
}

static void
test_exec_interp_unknown_name_is_located(void **state)
{
    (void)state;
    struct lang_part parts[] = { lit("x="), var("missing", 12) };
    struct lang_word w = word(parts, 2);
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    assert_false(exec_interp_word(&env, &w, &out, &err));
    assert_int_equal(err.kind, ERR_UNRESOLVED_VAR);
    assert_non_null(strstr(err.msg, "'missing'"));
    assert_int_equal(err.loc.line, 12);
    assert_int_equal(err.loc.col, 7);
    sbuf_release(&out);
}

static void
test_exec_interp_calls_with_literal_and_variable_args(void **state)
{
    (void)state;
    struct lang_call_arg args1[] = { { false, "f" } };
    struct lang_call_arg args2[] = { { true, "lit" }, { false, "name" } };
    struct lang_part parts[3] = { 0 };
    parts[0].kind = LANG_PART_CALL;
    parts[0].text = "upper";
    parts[0].args = args1;
    parts[0].arg_count = 1;
    parts[1] = lit("/");
    parts[2].kind = LANG_PART_CALL;
    parts[2].text = "join";
    parts[2].args = args2;
    parts[2].arg_count = 2;
    struct lang_word w = word(parts, 3);
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    call_count = 0;
    assert_true(exec_interp_word(&env, &w, &out, &err));
    assert_string_equal(out.buf, "DIR/FILE.TXT/lit+world");
    assert_int_equal(call_count, 2);
    sbuf_release(&out);
}

static void
test_exec_interp_call_with_unknown_variable_fails_before_calling(void **state)
{
    (void)state;
    struct lang_call_arg args[] = { { false, "nope" } };
    struct lang_part part = { 0 };
    part.kind = LANG_PART_CALL;
    part.text = "upper";
    part.args = args;
    part.arg_count = 1;
    part.loc.line = 3;
    struct lang_word w = word(&part, 1);
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    call_count = 0;
    assert_false(exec_interp_word(&env, &w, &out, &err));
    assert_int_equal(err.kind, ERR_UNRESOLVED_VAR);
    assert_non_null(strstr(err.msg, "'nope'"));
    assert_int_equal(err.loc.line, 3);
    assert_int_equal(call_count, 0);
    sbuf_release(&out);
}

static void
test_exec_interp_empty_word(void **state)
{
    (void)state;
    struct lang_word w = { 0 };
    w.text = "";
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    assert_true(exec_interp_word(&env, &w, &out, &err));
    assert_string_equal(out.buf, "");
    sbuf_release(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_interp_substitutes_vars),
        cmocka_unit_test(test_exec_interp_never_rescans_values),
        cmocka_unit_test(test_exec_interp_unknown_name_is_located),
        cmocka_unit_test(test_exec_interp_calls_with_literal_and_variable_args),
        cmocka_unit_test(test_exec_interp_call_with_unknown_variable_fails_before_calling),
        cmocka_unit_test(test_exec_interp_empty_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
