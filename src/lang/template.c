/*
 * template.c: template expansion at load time, and renaming for namespaced
 * imports. Both are deep copies of a body with a transformation on the way.
 *
 * Expansion: a CALL whose name is a template is replaced, in place, by the
 * template's body. Inside that body, every ${param} is replaced by the word
 * the caller passed (part by part, so `tmpl "${f}"` keeps ${f} an
 * interpolation resolved at run time, and a literal stays a literal). A
 * bare condition name equal to a param (`if param == "x"`) becomes the
 * passed value. Templates may call templates; a template that reaches
 * itself again is an error naming the chain, and the total output is capped
 * (LANG_MAX_EXPANDED_STMTS) so a fan-out of small templates cannot blow up.
 *
 * Expanded statements keep their own source locations (inside the template)
 * and record the template's name in 'from_template'.
 */
#include <string.h>

#include "base/sbuf.h"
#include "lang/lang_int.h"

/* Parameter → value bindings of one template call. */
struct subst {
    const struct lang_template *tmpl;
    const struct lang_word *values; /* one per param */
};

struct copier {
    struct lang_arena *arena;
    struct lang_diags *diags;
    const struct lang_source *srcs;
    size_t src_count;
    /* expansion (env != NULL) */
    const struct lang_tmpl_env *env;
    const struct lang_template *stack[LANG_MAX_TEMPLATE_DEPTH];
    size_t stack_depth;
    size_t produced;
    bool too_big;
    int block_depth;
    /* renaming (prefix != NULL) */
    const char *prefix;
    const char *const *names;
    size_t name_count;
};

typedef VEC(struct lang_stmt) stmt_vec;

static struct lang_body copy_body(struct copier *c, const struct lang_body *body,
                                  const struct subst *sub);

const struct lang_source *
lang_source_for(const struct lang_source *srcs, size_t count, const char *file)
{
    if (!file)
        return NULL;
    for (size_t i = 0; i < count; i++)
        if (srcs[i].path == file || strcmp(srcs[i].path, file) == 0)
            return &srcs[i];
    return NULL;
}

static void copier_error(struct copier *c, const struct src_loc *loc, uint32_t span,
                         const char *fmt, ...) PRINTF_LIKE(4, 5);

static void
copier_error(struct copier *c, const struct src_loc *loc, uint32_t span, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lang_diag_vsrc(c->diags, LANG_SEV_ERROR, lang_source_for(c->srcs, c->src_count, loc->file), loc,
                   span, fmt, ap);
    va_end(ap);
}

static const struct lang_template *
find_template(const struct copier *c, const char *name)
{
    if (!c->env)
        return NULL;
    for (size_t i = 0; i < c->env->count; i++)
        if (strcmp(c->env->items[i]->name, name) == 0)
            return c->env->items[i];
    return NULL;
}

/* The value bound to parameter 'name', or NULL. */
static const struct lang_word *
lookup(const struct subst *sub, const char *name)
{
    if (!sub)
        return NULL;
    for (size_t i = 0; i < sub->tmpl->param_count; i++)
        if (strcmp(sub->tmpl->params[i].name, name) == 0)
            return &sub->values[i];
    return NULL;
}

static bool
word_uses_params(const struct lang_word *w, const struct subst *sub)
{
    if (!sub || !w->has_interp)
        return false;
    for (size_t i = 0; i < w->part_count; i++) {
        const struct lang_part *part = &w->parts[i];
        if (part->kind == LANG_PART_VAR && lookup(sub, part->text))
            return true;
        if (part->kind == LANG_PART_CALL)
            for (size_t j = 0; j < part->arg_count; j++)
                if (!part->args[j].is_literal && lookup(sub, part->args[j].text))
                    return true;
    }
    return false;
}

static struct lang_word
subst_word(struct copier *c, const struct lang_word *w, const struct subst *sub)
{
    if (!word_uses_params(w, sub))
        return *w;
    VEC(struct lang_part) parts = { 0 };
    for (size_t i = 0; i < w->part_count; i++) {
        const struct lang_part *part = &w->parts[i];
        const struct lang_word *val = part->kind == LANG_PART_VAR ? lookup(sub, part->text) : NULL;
        if (val) {
            for (size_t j = 0; j < val->part_count; j++)
                vec_push(&parts, val->parts[j]);
            continue;
        }
        if (part->kind == LANG_PART_CALL) {
            struct lang_part np = *part;
            struct lang_call_arg *args =
                lang_arena_dup(c->arena, part->args, part->arg_count * sizeof(*part->args));
            for (size_t j = 0; j < part->arg_count; j++) {
                const struct lang_word *v = args[j].is_literal ? NULL : lookup(sub, args[j].text);
                if (!v)
                    continue;
                if (!v->has_interp) {
                    args[j].is_literal = true;
                    args[j].text = v->text;
                } else if (v->part_count == 1 && v->parts[0].kind == LANG_PART_VAR) {
                    args[j].text = v->parts[0].text;
                } else {
                    copier_error(c, &part->loc, (uint32_t)strlen(part->source) + 3,
                                 "template argument '%s' is used inside ${%s(...)}: pass a "
                                 "plain value or a single ${name}",
                                 args[j].text, part->text);
                }
            }
            np.args = args;
            /* Re-render the source so diagnostics and 'text' show the result. */
            struct sbuf sb = SBUF_INIT;
            sbuf_addf(&sb, "%s(", part->text);
            for (size_t j = 0; j < part->arg_count; j++)
                sbuf_addf(&sb, args[j].is_literal ? "%s'%s'" : "%s%s", j ? ", " : "", args[j].text);
            sbuf_addc(&sb, ')');
            np.source = lang_arena_strndup(c->arena, sb.buf, sb.len);
            sbuf_release(&sb);
            vec_push(&parts, np);
            continue;
        }
        vec_push(&parts, *part);
    }
    struct lang_word out = *w;
    out.parts = lang_arena_dup(c->arena, parts.items, parts.count * sizeof(*parts.items));
    out.part_count = parts.count;
    vec_release(&parts);
    lang_word_render(c->arena, &out);
    if (out.quote == LANG_QUOTE_BARE)
        out.quote = LANG_QUOTE_DOUBLE; /* now a value, never a name */
    return out;
}

static const struct lang_word *
subst_words(struct copier *c, const struct lang_word *words, size_t count, const struct subst *sub)
{
    if (!sub || count == 0)
        return words;
    struct lang_word *out = lang_arena_alloc(c->arena, count * sizeof(*out));
    for (size_t i = 0; i < count; i++)
        out[i] = subst_word(c, &words[i], sub);
    return out;
}

/* A bare name in a condition that is a parameter becomes the passed value. */
static struct lang_word
subst_name(struct copier *c, const struct lang_word *w, const struct subst *sub)
{
    const struct lang_word *val;
    if (sub && w->quote == LANG_QUOTE_BARE && !w->has_interp && (val = lookup(sub, w->text))) {
        struct lang_word out = *val;
        if (out.quote == LANG_QUOTE_BARE)
            out.quote = LANG_QUOTE_DOUBLE;
        out.loc = w->loc;
        return out;
    }
    return subst_word(c, w, sub);
}

static const struct lang_cond *
copy_cond(struct copier *c, const struct lang_cond *cond, const struct subst *sub)
{
    if (!cond || !sub)
        return cond;
    struct lang_cond *out = lang_arena_dup(c->arena, cond, sizeof(*cond));
    switch (cond->kind) {
    case LANG_COND_TRUTHY:
    case LANG_COND_COMPARE:
        out->lhs = subst_name(c, &cond->lhs, sub);
        out->rhs = subst_word(c, &cond->rhs, sub);
        break;
    case LANG_COND_CALL:
        out->args = subst_words(c, cond->args, cond->arg_count, sub);
        break;
    case LANG_COND_NOT:
    case LANG_COND_AND:
    case LANG_COND_OR:
        out->sub = copy_cond(c, cond->sub, sub);
        out->sub2 = copy_cond(c, cond->sub2, sub);
        break;
    }
    return out;
}

static const char *
renamed(struct copier *c, const char *name)
{
    if (!c->prefix)
        return name;
    for (size_t i = 0; i < c->name_count; i++)
        if (strcmp(c->names[i], name) == 0)
            return lang_arena_printf(c->arena, "%s.%s", c->prefix, name);
    return name;
}

static void copy_stmt(struct copier *c, const struct lang_stmt *st, const struct subst *sub,
                      stmt_vec *out);

/* Replace a template call by the template's body, appended to 'out'. */
static void
expand_call(struct copier *c, const struct lang_template *t, const struct lang_stmt *st,
            const struct subst *sub, stmt_vec *out)
{
    uint32_t span = (uint32_t)strlen(st->name);
    if (st->target) {
        copier_error(c, &st->loc, span, "cannot capture the value of template '%s'", t->name);
        return;
    }
    if (st->chain != LANG_CHAIN_NONE) {
        copier_error(c, &st->loc, span, "template '%s' cannot be part of a '&&' / '||' chain",
                     t->name);
        return;
    }
    for (size_t i = 0; i < c->stack_depth; i++) {
        if (c->stack[i] != t)
            continue;
        struct sbuf chain = SBUF_INIT;
        for (size_t j = i; j < c->stack_depth; j++)
            sbuf_addf(&chain, "%s -> ", c->stack[j]->name);
        sbuf_adds(&chain, t->name);
        copier_error(c, &st->loc, span, "template recursion: %s", chain.buf);
        sbuf_release(&chain);
        return;
    }
    if (c->stack_depth >= LANG_MAX_TEMPLATE_DEPTH) {
        copier_error(c, &st->loc, span, "templates nested too deeply (at most %d)",
                     LANG_MAX_TEMPLATE_DEPTH);
        return;
    }
    if (st->arg_count > t->param_count) {
        copier_error(c, &st->args[t->param_count].loc, 1,
                     "too many arguments for template '%s' (it takes %zu)", t->name,
                     t->param_count);
        return;
    }
    struct lang_word *values =
        lang_arena_alloc(c->arena, (t->param_count ? t->param_count : 1) * sizeof(*values));
    for (size_t i = 0; i < t->param_count; i++) {
        if (i < st->arg_count) {
            values[i] = subst_word(c, &st->args[i], sub);
        } else if (t->params[i].default_value) {
            values[i] = subst_word(c, t->params[i].default_value, sub);
        } else {
            copier_error(c, &st->loc, span, "template '%s' needs argument '%s'", t->name,
                         t->params[i].name);
            return;
        }
    }
    struct subst inner = { t, values };
    c->stack[c->stack_depth++] = t;
    size_t first = out->count;
    for (size_t i = 0; i < t->body.count && !c->too_big; i++)
        copy_stmt(c, &t->body.stmts[i], &inner, out);
    c->stack_depth--;
    for (size_t i = first; i < out->count; i++)
        if (!out->items[i].from_template)
            out->items[i].from_template = t->name;
}

static void
copy_stmt(struct copier *c, const struct lang_stmt *st, const struct subst *sub, stmt_vec *out)
{
    if (c->too_big)
        return;
    if (++c->produced > LANG_MAX_EXPANDED_STMTS) {
        c->too_big = true;
        copier_error(c, &st->loc, 1, "template expansion too large (more than %d statements)",
                     LANG_MAX_EXPANDED_STMTS);
        return;
    }
    if (st->kind == LANG_STMT_CALL) {
        const struct lang_template *t = find_template(c, st->name);
        if (t) {
            expand_call(c, t, st, sub, out);
            return;
        }
    }
    struct lang_stmt n = *st;
    if (n.kind == LANG_STMT_CALL)
        n.name = renamed(c, st->name);
    n.args = subst_words(c, st->args, st->arg_count, sub);
    bool nests = st->kind != LANG_STMT_CALL && st->kind != LANG_STMT_ASSIGN;
    if (nests && ++c->block_depth > LANG_MAX_DEPTH) {
        copier_error(c, &st->loc, (uint32_t)strlen(st->name),
                     "blocks nested too deeply after template expansion (at most %d levels)",
                     LANG_MAX_DEPTH);
        c->block_depth--;
        return;
    }
    if (st->body.count)
        n.body = copy_body(c, &st->body, sub);
    if (st->clause_count) {
        struct lang_clause *cl =
            lang_arena_dup(c->arena, st->clauses, st->clause_count * sizeof(*st->clauses));
        for (size_t i = 0; i < st->clause_count; i++) {
            cl[i].cond = copy_cond(c, st->clauses[i].cond, sub);
            cl[i].args = subst_words(c, st->clauses[i].args, st->clauses[i].arg_count, sub);
            cl[i].body = copy_body(c, &st->clauses[i].body, sub);
        }
        n.clauses = cl;
    }
    if (nests)
        c->block_depth--;
    if (st->next) {
        if (find_template(c, st->next->name)) {
            copier_error(c, &st->next->loc, (uint32_t)strlen(st->next->name),
                         "template '%s' cannot be part of a '&&' / '||' chain", st->next->name);
            n.chain = LANG_CHAIN_NONE;
            n.next = NULL;
        } else {
            stmt_vec one = { 0 };
            copy_stmt(c, st->next, sub, &one);
            n.next = one.count ? lang_arena_dup(c->arena, one.items, sizeof(*one.items)) : NULL;
            if (!n.next)
                n.chain = LANG_CHAIN_NONE;
            vec_release(&one);
        }
    }
    vec_push(out, n);
}

static struct lang_body
copy_body(struct copier *c, const struct lang_body *body, const struct subst *sub)
{
    stmt_vec out = { 0 };
    for (size_t i = 0; i < body->count && !c->too_big; i++)
        copy_stmt(c, &body->stmts[i], sub, &out);
    struct lang_body b = { lang_arena_dup(c->arena, out.items, out.count * sizeof(*out.items)),
                           out.count };
    vec_release(&out);
    return b;
}

struct lang_body
lang_expand_body(struct lang_arena *arena, const struct lang_tmpl_env *env,
                 const struct lang_body *body, const struct lang_source *srcs, size_t src_count,
                 struct lang_diags *diags)
{
    struct copier c;
    memset(&c, 0, sizeof(c));
    c.arena = arena;
    c.diags = diags;
    c.srcs = srcs;
    c.src_count = src_count;
    c.env = env;
    return copy_body(&c, body, NULL);
}

struct lang_body
lang_body_rename(struct lang_arena *arena, const struct lang_body *body, const char *prefix,
                 const char *const *names, size_t name_count)
{
    struct copier c;
    memset(&c, 0, sizeof(c));
    c.arena = arena;
    c.prefix = prefix;
    c.names = names;
    c.name_count = name_count;
    return copy_body(&c, body, NULL);
}
