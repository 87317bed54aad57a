/*
 * args.c: command arguments, shared by the CLI, command calls inside a
 * body and MCP: parse command-line style words into name → text pairs
 * (exec_args_parse), then check types, apply defaults and bind them into a
 * command's scope (exec_args_bind).
 */
#include "exec/exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"
#include "base/xalloc.h"
#include "exec/exec_int.h"

void
exec_args_release(struct exec_args *args)
{
    if (!args)
        return;
    for (size_t i = 0; i < args->count; i++)
        free(args->items[i].value);
    free(args->items);
    for (size_t i = 0; i < args->extra_count; i++)
        free(args->extra[i]);
    free(args->extra);
    memset(args, 0, sizeof(*args));
}

/* 'flag' names the arg when equal to it, with '-' and '_' interchangeable. */
static bool
flag_names(const char *flag, size_t len, const char *name)
{
    size_t n = strlen(name);
    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char a = flag[i] == '-' ? '_' : flag[i];
        char b = name[i] == '-' ? '_' : name[i];
        if (a != b)
            return false;
    }
    return true;
}

static const struct lang_arg *
find_arg(const struct lang_command *cmd, const char *flag, size_t len)
{
    for (size_t i = 0; i < cmd->arg_count; i++)
        if (flag_names(flag, len, cmd->args[i].name))
            return &cmd->args[i];
    return NULL;
}

static void
put(struct exec_args *args, const char *name, const char *value)
{
    for (size_t i = 0; i < args->count; i++) {
        if (!strcmp(args->items[i].name, name)) {
            free(args->items[i].value);
            args->items[i].value = xstrdup(value);
            return;
        }
    }
    args->items = xgrow(args->items, &args->cap, args->count + 1, sizeof(*args->items));
    args->items[args->count].name = name;
    args->items[args->count].value = xstrdup(value);
    args->count++;
}

bool
exec_args_set(struct exec_args *args, const struct lang_command *cmd, const char *name,
              const char *value, struct err *err)
{
    const struct lang_arg *a = lang_command_find_arg(cmd, name);
    if (!a)
        return err_set(err, ERR_USAGE, "command '%s' has no argument '%s'", cmd->name, name);
    put(args, a->name, value);
    return true;
}

static void
add_extra(struct exec_args *args, const char *word)
{
    args->extra = xgrow(args->extra, &args->extra_cap, args->extra_count + 1, sizeof(char *));
    args->extra[args->extra_count++] = xstrdup(word);
}

/* The args that take positionals, in order: those with `index` sorted by
 * it; when none has an index, every non-rest arg in declaration order. */
static size_t
positional_order(const struct lang_command *cmd, const struct lang_arg **out)
{
    size_t n = 0;
    bool any_index = false;
    for (size_t i = 0; i < cmd->arg_count; i++)
        any_index = any_index || cmd->args[i].index >= 0;
    for (size_t i = 0; i < cmd->arg_count; i++) {
        const struct lang_arg *a = &cmd->args[i];
        if (a->is_rest || (any_index && a->index < 0))
            continue;
        size_t j = n++;
        while (any_index && j > 0 && out[j - 1]->index > a->index) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = a;
    }
    return n;
}

static bool
looks_like_number(const char *s)
{
    double d;
    return exec_text_float(s, &d);
}

bool
exec_args_parse(const struct lang_command *cmd, int argc, const char *const *argv,
                struct exec_args *out, struct err *err)
{
    const struct lang_arg **order = xcalloc(cmd->arg_count + 1, sizeof(*order));
    size_t npos = positional_order(cmd, order);
    const struct lang_arg *rest = NULL;
    for (size_t i = 0; i < cmd->arg_count; i++)
        if (cmd->args[i].is_rest)
            rest = &cmd->args[i];
    struct sbuf rest_text = SBUF_INIT;
    bool have_rest = false;
    size_t next_pos = 0;
    bool flags_done = false;
    bool ok = false;
    /* Args that a positional word filled, so a later flag for the same arg
     * is an error rather than a silent override. */
    bool *by_pos = xcalloc(cmd->arg_count + 1, sizeof(bool));

    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        if (!flags_done && !strcmp(w, "--")) {
            flags_done = true;
            continue;
        }
        if (!flags_done && w[0] == '-' && w[1] && !looks_like_number(w)) {
            const char *f = w + 1 + (w[1] == '-');
            const char *eq = strchr(f, '=');
            size_t flen = eq ? (size_t)(eq - f) : strlen(f);
            const struct lang_arg *a = find_arg(cmd, f, flen);
            bool negated = false;
            if (!a && !eq && flen > 3 && !strncmp(f, "no-", 3)) {
                a = find_arg(cmd, f + 3, flen - 3);
                negated = a && a->type == LANG_TYPE_BOOL;
                if (!negated)
                    a = NULL;
            }
            if (!a) {
                if (cmd->proxy_args) {
                    add_extra(out, w);
                    continue;
                }
                err_set(err, ERR_USAGE, "unknown flag '%s' for command '%s'", w, cmd->name);
                goto done;
            }
            if (by_pos[a - cmd->args]) {
                err_set(err, ERR_USAGE,
                        "argument '%s' of command '%s' is given twice: as a positional and as "
                        "'%s'",
                        a->name, cmd->name, w);
                goto done;
            }
            if (eq) {
                put(out, a->name, eq + 1);
            } else if (a->type == LANG_TYPE_BOOL) {
                put(out, a->name, negated ? "false" : "true");
            } else if (i + 1 < argc) {
                put(out, a->name, argv[++i]);
            } else {
                err_set(err, ERR_USAGE, "flag '%s' needs a value (argument '%s', type %s)", w,
                        a->name, lang_type_name(a->type));
                goto done;
            }
            continue;
        }
        /* A positional. */
        while (next_pos < npos) {
            /* Skip slots already filled by a flag. */
            bool filled = false;
            for (size_t k = 0; k < out->count; k++)
                filled = filled || !strcmp(out->items[k].name, order[next_pos]->name);
            if (!filled)
                break;
            next_pos++;
        }
        if (next_pos < npos) {
            by_pos[order[next_pos] - cmd->args] = true;
            put(out, order[next_pos++]->name, w);
        } else if (rest) {
            if (have_rest)
                sbuf_addc(&rest_text, '\n');
            sbuf_adds(&rest_text, w);
            have_rest = true;
        } else if (cmd->proxy_args) {
            add_extra(out, w);
        } else {
            err_set(err, ERR_USAGE, "unexpected argument '%s' for command '%s' (it takes %zu)",
                    w, cmd->name, npos);
            goto done;
        }
    }
    if (have_rest)
        put(out, rest->name, rest_text.buf);
    ok = true;
done:
    sbuf_release(&rest_text);
    free(by_pos);
    free(order);
    return ok;
}

static enum exec_vtype
vtype_of(enum lang_type t)
{
    switch (t) {
    case LANG_TYPE_INT:
        return EXEC_V_INT;
    case LANG_TYPE_FLOAT:
        return EXEC_V_FLOAT;
    case LANG_TYPE_BOOL:
        return EXEC_V_BOOL;
    case LANG_TYPE_STRING:
        break;
    }
    return EXEC_V_STRING;
}

bool
exec_args_bind(struct exec_state *st, const struct lang_command *cmd,
               const struct exec_args *args, struct exec_scope *scope, struct err *err)
{
    for (size_t i = 0; i < cmd->arg_count; i++) {
        const struct lang_arg *a = &cmd->args[i];
        const char *given = NULL;
        for (size_t k = 0; k < args->count; k++)
            if (!strcmp(args->items[k].name, a->name))
                given = args->items[k].value;
        char *owned = NULL;
        if (!given && a->default_value) {
            owned = exec_word(st, a->default_value, err);
            if (!owned)
                return false;
            given = owned;
        }
        struct exec_value v;
        if (!given) {
            if (a->type == LANG_TYPE_BOOL) {
                exec_value_bool(&v, false);
            } else if (a->is_optional || a->is_rest) {
                exec_value_string(&v, "");
            } else {
                return err_set(err, ERR_USAGE, "command '%s': missing required argument '%s' (%s)",
                               cmd->name, a->name, lang_type_name(a->type));
            }
        } else {
            char what[160];
            snprintf(what, sizeof(what), "%sargument '%s' of command '%s'",
                     owned ? "the default of " : "", a->name, cmd->name);
            bool ok = exec_value_parse(&v, vtype_of(a->type), given, what, err);
            if (!ok && err && owned && !err->loc.line)
                err->loc = a->default_value->loc; /* the file is wrong, not the caller */
            free(owned);
            if (!ok) {
                if (err)
                    err->kind = ERR_USAGE;
                return false;
            }
        }
        exec_scope_set_take(scope, a->name, &v);
    }
    /* proxy_args: the pass-through words, one per line, as `args`. */
    if (cmd->proxy_args) {
        struct sbuf sb = SBUF_INIT;
        for (size_t i = 0; i < args->extra_count; i++) {
            if (i)
                sbuf_addc(&sb, '\n');
            sbuf_adds(&sb, args->extra[i]);
        }
        exec_scope_set_text(scope, "args", sb.buf);
        sbuf_release(&sb);
    }
    return true;
}

bool
exec_args_check(const struct lang_command *cmd, const struct exec_args *args, struct err *err)
{
    for (size_t i = 0; i < cmd->arg_count; i++) {
        const struct lang_arg *a = &cmd->args[i];
        const char *given = NULL;
        for (size_t k = 0; k < args->count; k++)
            if (!strcmp(args->items[k].name, a->name))
                given = args->items[k].value;
        if (!given) {
            if (!a->default_value && !a->is_optional && !a->is_rest &&
                a->type != LANG_TYPE_BOOL)
                return err_set(err, ERR_USAGE, "command '%s': missing required argument '%s' (%s)",
                               cmd->name, a->name, lang_type_name(a->type));
            continue;
        }
        char what[160];
        snprintf(what, sizeof(what), "argument '%s' of command '%s'", a->name, cmd->name);
        struct exec_value v;
        if (!exec_value_parse(&v, vtype_of(a->type), given, what, err)) {
            if (err)
                err->kind = ERR_USAGE;
            return false;
        }
        exec_value_release(&v);
    }
    return true;
}
