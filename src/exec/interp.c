/*
 * interp.c: substituting a word's VAR and CALL parts (see interp.h).
 *
 * Errors carry the location of the `${` that failed, so a message points at
 * the exact reference even in a word with several.
 */
#include "exec/interp.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define INTERP_MAX_ARGS 16

/* The value of 'name', or NULL with err set (unresolved or refused) and
 * located at the part. */
static const char *
lookup(const struct exec_interp_env *env, const struct lang_part *part, const char *name,
       struct err *err)
{
    struct err refused = { 0 };
    const char *v = env->lookup ? env->lookup(env->self, name, &refused) : NULL;
    if (v)
        return v;
    if (err_is_set(&refused)) {
        if (err && !err_is_set(err))
            *err = refused;
    } else {
        err_set(err, ERR_UNRESOLVED_VAR, "unresolved variable '%s'", name);
    }
    if (err && !err->loc.line)
        err->loc = part->loc;
    return NULL;
}

static bool
interp_call(const struct exec_interp_env *env, const struct lang_part *part, struct sbuf *out,
            struct err *err)
{
    if (part->arg_count > INTERP_MAX_ARGS)
        return err_set(err, ERR_USAGE, "too many arguments in ${%s(...)}", part->text);
    char *argv[INTERP_MAX_ARGS];
    size_t argc = 0;
    bool ok = false;
    for (; argc < part->arg_count; argc++) {
        const struct lang_call_arg *a = &part->args[argc];
        const char *v = a->is_literal ? a->text : lookup(env, part, a->text, err);
        if (!v)
            goto done;
        argv[argc] = xstrdup(v);
    }
    if (!env->call) {
        err_set(err, ERR_UNRESOLVED_VAR, "unknown function '%s'", part->text);
        goto done;
    }
    ok = env->call(env->self, part->text, argc, argv, out, err);
done:
    if (!ok && err && !err->loc.line)
        err->loc = part->loc;
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    return ok;
}

bool
exec_interp_word(const struct exec_interp_env *env, const struct lang_word *word,
                 struct sbuf *out, struct err *err)
{
    if (!word->part_count) {
        /* A word without parts ("") is its cooked text. */
        sbuf_add(out, word->text ? word->text : "", word->text ? word->len : 0);
        return true;
    }
    for (size_t i = 0; i < word->part_count; i++) {
        const struct lang_part *part = &word->parts[i];
        switch (part->kind) {
        case LANG_PART_LITERAL:
            sbuf_add(out, part->text, part->len);
            break;
        case LANG_PART_VAR: {
            const char *v = lookup(env, part, part->text, err);
            if (!v)
                return false;
            sbuf_adds(out, v);
            break;
        }
        case LANG_PART_CALL:
            if (!interp_call(env, part, out, err))
                return false;
            break;
        }
    }
    return true;
}
