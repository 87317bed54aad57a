/*
 * block_parallel.c: `parallel [N] ... end` (REFERENCE.md §4).
 *
 * Branches: each direct child statement is one; a `for_each` directly
 * inside contributes one branch per iteration (its item bound in the
 * branch). Every branch works on its own forked state (a flattened copy of
 * the scope chain), so what a branch binds does not survive the block. All
 * branches run even when some fail; one failure is reported as it is,
 * several as "parallel: N branches failed:" followed by each, in branch
 * order (deterministic, STYLE C.6).
 *
 * NEEDSWORK: branches run one after another on the calling thread. The
 * worker-pool version keeps this file's branch model and error rules and
 * only changes how branches are scheduled.
 */
#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"
#include "base/xalloc.h"
#include "exec/blocks.h"
#include "exec/exec.h"
#include "exec/exec_int.h"
#include "exec/value.h"

struct branch_errs {
    struct err *items;
    size_t count, cap;
    size_t branches;
};

static void
record(struct branch_errs *errs, const struct err *e)
{
    errs->items = xgrow(errs->items, &errs->cap, errs->count + 1, sizeof(*errs->items));
    errs->items[errs->count++] = *e;
}

/* Run one branch on a fork of 'st': a single statement, or a for_each body
 * with 'item' bound to 'value'. */
static void
run_branch(struct exec_state *st, const struct lang_stmt *stmt, const char *item,
           const char *value, struct branch_errs *errs)
{
    struct exec_state *b = exec_state_fork(st);
    struct err e = { 0 };
    bool ok;
    if (item) {
        exec_bind(b, item, value);
        ok = exec_run_body(b, &stmt->body, &e);
    } else {
        struct lang_body one = { stmt, 1 };
        ok = exec_run_body(b, &one, &e);
    }
    exec_state_free(b);
    errs->branches++;
    if (!ok)
        record(errs, &e);
}

static bool
run_for_each_branches(struct exec_state *st, const struct lang_stmt *stmt,
                      struct branch_errs *errs, struct err *err)
{
    if (stmt->arg_count < 2)
        return err_set(err, ERR_USAGE, "for_each: expected a list and an item name");
    char *list = exec_word(st, &stmt->args[0], err);
    if (!list)
        return false;
    char *save = NULL;
    for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (n)
            run_branch(st, stmt, stmt->args[1].text, line, errs);
    }
    free(list);
    return true;
}

bool
block_parallel(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
               struct err *err)
{
    (void)out;
    if (stmt->arg_count > 0) {
        /* The concurrency limit: checked now, used by the pooled version. */
        char *n = exec_word(st, &stmt->args[0], err);
        if (!n)
            return false;
        int64_t limit;
        bool ok = exec_text_int(n, &limit) && limit >= 1;
        if (!ok)
            err_set(err, ERR_USAGE, "parallel: the limit must be a positive number, got '%s'",
                    n);
        free(n);
        if (!ok)
            return false;
    }
    struct branch_errs errs = { 0 };
    bool ok = true;
    for (size_t i = 0; ok && i < stmt->body.count; i++) {
        const struct lang_stmt *child = &stmt->body.stmts[i];
        if (child->kind == LANG_STMT_FOR_EACH)
            ok = run_for_each_branches(st, child, &errs, err);
        else
            run_branch(st, child, NULL, NULL, &errs);
    }
    if (ok && errs.count == 1) {
        if (err && !err_is_set(err))
            *err = errs.items[0];
        ok = false;
    } else if (ok && errs.count > 1) {
        struct sbuf msg = SBUF_INIT;
        sbuf_addf(&msg, "parallel: %zu branches failed:", errs.count);
        for (size_t i = 0; i < errs.count; i++)
            sbuf_addf(&msg, "\n  - %s", errs.items[i].msg);
        err_set(err, ERR_PARALLEL, "%s", msg.buf);
        if (err)
            err->loc = errs.items[0].loc;
        sbuf_release(&msg);
        ok = false;
    }
    if (!ok) {
        /* Branches that failed because the deadline passed or the run was
         * cancelled make the block a timeout / cancellation. */
        exec_classify_stop(st, err);
    }
    free(errs.items);
    return ok;
}
