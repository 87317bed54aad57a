/*
 * cli_precheck.c: before a command runs, the errors `--check` finds on the
 * lines of that command (and of the commands it calls, and the templates
 * they expand) are reported and nothing runs. A mistake further down a
 * command then never leaves its first steps done; a broken command elsewhere
 * in the file does not stop an unrelated one.
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "cli/cli.h"

struct line_set {
    struct src_loc *items;
    size_t count, cap;
    const struct lang_command **seen;
    size_t seen_count, seen_cap;
};

static void
add_line(struct line_set *s, const struct src_loc *loc)
{
    if (!loc->file || !loc->line)
        return;
    if (s->count == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->items = xrealloc(s->items, s->cap * sizeof(*s->items));
    }
    s->items[s->count++] = *loc;
}

static void add_command(struct line_set *s, const struct lang_program *prog,
                        const struct lang_command *cmd);

static void
add_body(struct line_set *s, const struct lang_program *prog, const struct lang_body *body)
{
    for (size_t i = 0; i < body->count; i++) {
        for (const struct lang_stmt *st = &body->stmts[i]; st; st = st->next) {
            add_line(s, &st->loc);
            if (st->kind == LANG_STMT_CALL && st->name) {
                const struct lang_command *callee = lang_find_command(prog, st->name);
                if (callee)
                    add_command(s, prog, callee);
            }
            add_body(s, prog, &st->body);
            for (size_t c = 0; c < st->clause_count; c++) {
                add_line(s, &st->clauses[c].loc);
                add_body(s, prog, &st->clauses[c].body);
            }
        }
    }
}

static void
add_command(struct line_set *s, const struct lang_program *prog, const struct lang_command *cmd)
{
    for (size_t i = 0; i < s->seen_count; i++)
        if (s->seen[i] == cmd)
            return;
    if (s->seen_count == s->seen_cap) {
        s->seen_cap = s->seen_cap ? 2 * s->seen_cap : 16;
        s->seen = xrealloc(s->seen, s->seen_cap * sizeof(*s->seen));
    }
    s->seen[s->seen_count++] = cmd;
    add_line(s, &cmd->loc);
    add_body(s, prog, &cmd->body);
}

static bool
has_line(const struct line_set *s, const struct lang_diag *d)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->items[i].line == d->loc.line && strcmp(s->items[i].file, d->file) == 0)
            return true;
    return false;
}

bool
cli_precheck_command(const struct lang_program *prog, const struct lang_command *cmd,
                     const struct lang_check_opts *opts, FILE *out)
{
    struct lang_diags all, mine;
    lang_diags_init(&all);
    lang_diags_init(&mine);
    lang_check_opts(prog, opts, &all);
    if (all.error_count) {
        struct line_set s = { 0 };
        add_command(&s, prog, cmd);
        for (size_t i = 0; i < all.count; i++) {
            const struct lang_diag *d = &all.items[i];
            if (d->severity == LANG_SEV_ERROR && has_line(&s, d))
                lang_diags_add(&mine, d->severity, &d->loc, d->span, d->source_line, "%s",
                               d->message);
        }
        free(s.items);
        free(s.seen);
    }
    bool ok = mine.error_count == 0;
    if (!ok)
        lang_diags_print(&mine, out);
    lang_diags_release(&mine);
    lang_diags_release(&all);
    return ok;
}
