/*
 * cond.c: conditions of `if` / `elif`.
 *
 * A bare left side names a binding (unknown → unresolved_var), a quoted one
 * is interpolated; the right side is always a value. == and != compare as
 * numbers when both sides are numbers ("1.0" == "1"), else as text; the
 * ordering operators use exec_text_compare (numeric, then version-aware).
 * A predicate call (`if exists "p"`) runs a pure-or-not op with a BOOL
 * result and reads its value's truthiness.
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "exec/exec_int.h"
#include "ops/ops.h"

/* The value of a condition's left side; a new string or NULL with err. */
static char *
lhs_value(struct exec_state *st, const struct lang_word *w, struct err *err)
{
    if (w->quote == LANG_QUOTE_BARE && !w->has_interp) {
        const char *v = exec_lookup(st, w->text);
        if (!v)
            v = exec_getenv_checked(st, w->text, err);
        /* `if true`, `while 0`-style literals: no binding has such a
         * name, so the word is its own value. */
        double num;
        if (!v && !err_is_set(err)
            && (!strcmp(w->text, "true") || !strcmp(w->text, "false")
                || exec_text_float(w->text, &num)))
            return xstrdup(w->text);
        if (!v) {
            err_set(err, ERR_UNRESOLVED_VAR, "unresolved variable '%s'", w->text);
            if (err && !err->loc.line)
                err->loc = w->loc;
            return NULL;
        }
        return xstrdup(v);
    }
    return exec_word(st, w, err);
}

static bool
compare(const char *a, enum lang_cmp_op op, const char *b)
{
    if (op == LANG_CMP_EQ || op == LANG_CMP_NE) {
        double x, y;
        bool eq = exec_text_float(a, &x) && exec_text_float(b, &y) ? x == y : !strcmp(a, b);
        return op == LANG_CMP_EQ ? eq : !eq;
    }
    int c = exec_text_compare(a, b);
    switch (op) {
    case LANG_CMP_LT:
        return c < 0;
    case LANG_CMP_LE:
        return c <= 0;
    case LANG_CMP_GT:
        return c > 0;
    case LANG_CMP_GE:
        return c >= 0;
    default:
        return false;
    }
}

static bool
predicate_run(struct exec_state *st, const struct lang_cond *cond, bool *out, struct err *err)
{
    const struct op_def *def = ops_find(cond->name);
    if (!def)
        return err_set(err, ERR_UNKNOWN_COMMAND, "unknown predicate '%s' in condition",
                       cond->name);
    if (def->ret == OP_RET_NONE)
        return err_set(err, ERR_USAGE, "'%s' returns nothing, so it cannot be a condition",
                       cond->name);
    size_t argc = cond->arg_count;
    if ((int)argc < def->min_args || (def->max_args >= 0 && (int)argc > def->max_args))
        return err_set(err, ERR_USAGE, "%s: expected %s", def->name, def->usage);
    if (!exec_caps_check(st, def->caps, def->name, err))
        return false;
    char **argv = xcalloc(argc + 1, sizeof(char *));
    bool ok = true;
    for (size_t i = 0; ok && i < argc; i++) {
        argv[i] = exec_word(st, &cond->args[i], err);
        ok = argv[i] != NULL;
    }
    struct sbuf value = SBUF_INIT;
    if (ok) {
        struct op_ctx ctx;
        exec_op_ctx(st, &ctx);
        struct op_call call = { &ctx, def, argc, argv, true };
        ok = def->fn(&call, &value, err);
    }
    if (ok) {
        sbuf_rtrim(&value, "\n");
        *out = exec_text_truthy(value.buf);
    }
    sbuf_release(&value);
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    return ok;
}

/* A failing predicate is located at its name, not at the `if`. */
static bool
predicate(struct exec_state *st, const struct lang_cond *cond, bool *out, struct err *err)
{
    bool ok = predicate_run(st, cond, out, err);
    if (!ok && err && !err->loc.line && cond->loc.line)
        err->loc = cond->loc;
    return ok;
}

bool
exec_cond(struct exec_state *st, const struct lang_cond *cond, bool *out, struct err *err)
{
    bool a, b;
    switch (cond->kind) {
    case LANG_COND_TRUTHY: {
        char *v = lhs_value(st, &cond->lhs, err);
        if (!v)
            return false;
        *out = exec_text_truthy(v);
        free(v);
        return true;
    }
    case LANG_COND_COMPARE: {
        char *l = lhs_value(st, &cond->lhs, err);
        if (!l)
            return false;
        char *r = exec_word(st, &cond->rhs, err);
        if (!r) {
            free(l);
            return false;
        }
        *out = compare(l, cond->op, r);
        free(l);
        free(r);
        return true;
    }
    case LANG_COND_NOT:
        if (!exec_cond(st, cond->sub, &a, err))
            return false;
        *out = !a;
        return true;
    case LANG_COND_AND:
        if (!exec_cond(st, cond->sub, &a, err))
            return false;
        if (!a) {
            *out = false;
            return true;
        }
        if (!exec_cond(st, cond->sub2, &b, err))
            return false;
        *out = b;
        return true;
    case LANG_COND_OR:
        if (!exec_cond(st, cond->sub, &a, err))
            return false;
        if (a) {
            *out = true;
            return true;
        }
        if (!exec_cond(st, cond->sub2, &b, err))
            return false;
        *out = b;
        return true;
    case LANG_COND_CALL:
        return predicate(st, cond, out, err);
    }
    return err_set(err, ERR_USAGE, "unknown condition");
}
