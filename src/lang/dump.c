/*
 * dump.c: a stable, indented text form of a program, for tests and for
 * looking at what the parser made of a file. One node per line:
 *     command build
 *       call print ["hi" bare:x ${name}]
 * Words print as their kind and cooked text: "double" 'single' `backtick`
 * or bare:text; interpolation parts show as ${...}.
 */
#include <string.h>

#include "lang/lang_int.h"

static void
indent(FILE *out, int depth)
{
    for (int i = 0; i < depth; i++)
        fputs("  ", out);
}

static void
dump_text(FILE *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c < 0x20)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
}

static void
dump_word(FILE *out, const struct lang_word *w)
{
    static const char *const open[] = { "bare:", "\"", "'", "`" };
    static const char *const close[] = { "", "\"", "'", "`" };
    fputs(open[w->quote], out);
    for (size_t i = 0; i < w->part_count; i++) {
        const struct lang_part *p = &w->parts[i];
        if (p->kind == LANG_PART_LITERAL) {
            dump_text(out, p->text, p->len);
        } else if (p->kind == LANG_PART_VAR) {
            fprintf(out, "${%s}", p->text);
        } else {
            fprintf(out, "${%s(", p->text);
            for (size_t j = 0; j < p->arg_count; j++)
                fprintf(out, p->args[j].is_literal ? "%s'%s'" : "%s%s", j ? ", " : "",
                        p->args[j].text);
            fputs(")}", out);
        }
    }
    fputs(close[w->quote], out);
}

static void
dump_words(FILE *out, const struct lang_word *words, size_t count)
{
    fputc('[', out);
    for (size_t i = 0; i < count; i++) {
        if (i)
            fputc(' ', out);
        dump_word(out, &words[i]);
    }
    fputc(']', out);
}

static void
dump_cond(FILE *out, const struct lang_cond *c)
{
    if (!c) {
        fputs("<none>", out);
        return;
    }
    switch (c->kind) {
    case LANG_COND_TRUTHY:
        fputs("(truthy ", out);
        dump_word(out, &c->lhs);
        break;
    case LANG_COND_COMPARE:
        fputc('(', out);
        dump_word(out, &c->lhs);
        fprintf(out, " %s ", lang_cmp_op_name(c->op));
        dump_word(out, &c->rhs);
        break;
    case LANG_COND_CALL:
        fprintf(out, "(call %s ", c->name);
        dump_words(out, c->args, c->arg_count);
        break;
    case LANG_COND_NOT:
        fputs("(not ", out);
        dump_cond(out, c->sub);
        break;
    case LANG_COND_AND:
    case LANG_COND_OR:
        fprintf(out, "(%s ", c->kind == LANG_COND_AND ? "and" : "or");
        dump_cond(out, c->sub);
        fputc(' ', out);
        dump_cond(out, c->sub2);
        break;
    }
    fputc(')', out);
}

static void dump_body(FILE *out, const struct lang_body *body, int depth);

static void
dump_stmt(FILE *out, const struct lang_stmt *st, int depth)
{
    static const char *const kinds[] = {
        "call", "assign", "block", "if", "for_each", "match", "try"
    };
    static const char *const clause_kinds[] = { "if", "elif", "else", "case", "rescue", "finally" };
    indent(out, depth);
    if (st->target)
        fprintf(out, "%s = ", st->target);
    fprintf(out, "%s %s ", kinds[st->kind], st->name);
    dump_words(out, st->args, st->arg_count);
    for (const struct lang_stmt *n = st->next, *prev = st; n; prev = n, n = n->next) {
        fprintf(out, " %s %s ", prev->chain == LANG_CHAIN_AND ? "&&" : "||", n->name);
        dump_words(out, n->args, n->arg_count);
    }
    if (st->from_template)
        fprintf(out, " <%s>", st->from_template);
    fputc('\n', out);
    dump_body(out, &st->body, depth + 1);
    for (size_t i = 0; i < st->clause_count; i++) {
        const struct lang_clause *cl = &st->clauses[i];
        indent(out, depth);
        fprintf(out, "%s", clause_kinds[cl->kind]);
        if (cl->cond) {
            fputc(' ', out);
            dump_cond(out, cl->cond);
        }
        if (cl->arg_count) {
            fputc(' ', out);
            dump_words(out, cl->args, cl->arg_count);
        }
        fputc('\n', out);
        dump_body(out, &cl->body, depth + 1);
    }
}

static void
dump_body(FILE *out, const struct lang_body *body, int depth)
{
    for (size_t i = 0; i < body->count; i++)
        dump_stmt(out, &body->stmts[i], depth);
}

void
lang_program_dump(const struct lang_program *prog, FILE *out)
{
    if (prog->name)
        fprintf(out, "name %s\n", prog->name);
    if (prog->about)
        fprintf(out, "about %s\n", prog->about);
    if (prog->version)
        fprintf(out, "version %s\n", prog->version);
    for (size_t i = 0; i < prog->binding_count; i++) {
        const struct lang_binding *b = &prog->bindings[i];
        fprintf(out, "binding %s %s%s ", b->name, lang_type_name(b->type),
                b->is_exported ? " exported" : "");
        dump_word(out, &b->value);
        fputc('\n', out);
    }
    if (prog->has_requires) {
        static const char *const rk[] = { "bin", "env", "host", "read", "write", "os", "arch" };
        fputs("requires\n", out);
        for (size_t i = 0; i < prog->require_count; i++) {
            fprintf(out, "  %s ", rk[prog->requires[i].kind]);
            dump_word(out, &prog->requires[i].value);
            if (prog->requires[i].hash)
                fprintf(out, " hash %s", prog->requires[i].hash);
            fputc('\n', out);
        }
    }
    for (size_t i = 0; i < prog->bundle_count; i++)
        fprintf(out, "include %s%s%s\n", prog->bundle[i].path, prog->bundle[i].alias ? " as " : "",
                prog->bundle[i].alias ? prog->bundle[i].alias : "");
    for (size_t i = 0; i < prog->hook_count; i++) {
        fprintf(out, "hook %s\n", prog->hooks[i].event);
        dump_stmt(out, &prog->hooks[i].stmt, 1);
    }
    for (size_t i = 0; i < prog->template_count; i++)
        fprintf(out, "template %s/%zu\n", prog->templates[i].name, prog->templates[i].param_count);
    for (size_t i = 0; i < prog->command_count; i++) {
        const struct lang_command *c = &prog->commands[i];
        fprintf(out, "command %s", c->name);
        if (c->is_private)
            fputs(" private", out);
        if (c->proxy_args)
            fputs(" proxy_args", out);
        if (c->is_test)
            fputs(" test", out);
        if (c->test_allow_shell)
            fputs(" allow_shell", out);
        if (c->test_allow_network)
            fputs(" allow_network", out);
        if (c->test_allow_subprocess)
            fputs(" allow_subprocess", out);
        if (c->test_allow_write)
            fputs(" allow_write", out);
        if (c->test_keep_cwd)
            fputs(" keep_cwd", out);
        if (c->test_timeout)
            fprintf(out, " timeout=%s", c->test_timeout);
        for (size_t j = 0; j < c->require_os_count; j++)
            fprintf(out, " os=%s", c->require_os[j]);
        for (size_t j = 0; j < c->require_arch_count; j++)
            fprintf(out, " arch=%s", c->require_arch[j]);
        fputc('\n', out);
        if (c->description)
            fprintf(out, "  description %s\n", c->description);
        for (size_t j = 0; j < c->arg_count; j++) {
            const struct lang_arg *a = &c->args[j];
            fprintf(out, "  arg %s %s index=%d%s%s", a->name, lang_type_name(a->type), a->index,
                    a->is_optional ? " optional" : "", a->is_rest ? " rest" : "");
            if (a->default_value) {
                fputs(" default=", out);
                dump_word(out, a->default_value);
            }
            fputc('\n', out);
        }
        if (c->dir) {
            fputs("  dir ", out);
            dump_word(out, c->dir);
            fputc('\n', out);
        }
        for (size_t j = 0; j < c->env_count; j++) {
            fprintf(out, "  env %s ", c->env[j].key);
            dump_word(out, &c->env[j].value);
            fputc('\n', out);
        }
        dump_body(out, &c->body, 1);
    }
    for (size_t i = 0; i < prog->catch_count; i++) {
        fputs("catch ", out);
        dump_words(out, prog->catches[i].kinds, prog->catches[i].kind_count);
        fputc('\n', out);
        dump_body(out, &prog->catches[i].body, 1);
    }
}
