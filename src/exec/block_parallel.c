/*
 * block_parallel.c: `parallel [N] ... end` (REFERENCE.md §4).
 *
 * Branches: each direct child statement is one; a `for_each` directly
 * inside contributes one branch per iteration (its item bound in the
 * branch). Every worker forks the state once (a flattened copy of the
 * scope chain, cwd, env overlays, mask, deadline; the program and modules
 * are shared and immutable) and runs each of its branches in a scope of
 * their own on that fork, restoring the rest after each (run_branch), so
 * what a branch binds or changes does not survive it. All branches run even when some fail; one failure is
 * reported as it is, several as "parallel: N branches failed:" followed by
 * each, in branch order (deterministic, STYLE C.6).
 *
 * Scheduling: each block has a pool of its own. The calling thread is a
 * worker too, and W - 1 more threads (W = min(N or --jobs or the CPU count,
 * branches)) take the next branch by index until none is left. A nested
 * `parallel` therefore never waits for a slot held by its own ancestors: it
 * cannot deadlock, it only adds threads. With one worker the branches run
 * in order on the calling thread, so `--jobs 1` prints exactly what a
 * sequential run prints. Each branch has its own line buffer, so its lines
 * reach the sink whole.
 *
 * Interruption and deadlines: forks share the interrupt flag and copy the
 * deadline, so Ctrl-C and an enclosing `timeout` stop every branch; a
 * branch that has not started yet when the run must stop fails at once.
 *
 * Progress: with more than PAR_PROGRESS_MIN branches and a terminal on
 * stderr (and neither NO_COLOR nor CI set), a one-line indicator
 * (src/observe/progress.h) shows done/total, failures and the elapsed
 * time, and is erased at the end. While it is on, the branches print
 * through a sink that erases the line before passing their lines on, so
 * output never lands behind the indicator.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "exec/blocks.h"
#include "exec/exec.h"
#include "exec/exec_int.h"
#include "exec/value.h"
#include "observe/progress.h"
#include "os/clock.h"
#include "os/thread.h"

/* Branch count above which the terminal progress line appears. */
#define PAR_PROGRESS_MIN 4
/* Most worker threads one block starts. */
#define PAR_MAX_WORKERS 256

struct branch {
    const struct lang_stmt *stmt; /* the statement, or the for_each */
    char *value;                  /* for_each: the item (owned); NULL otherwise */
    struct err err;
    bool ok;
};

struct pool {
    struct exec_state *st; /* the parent state: only read while branches run */
    struct branch *items;
    size_t count, cap;
    struct os_mutex lock; /* next */
    size_t next;
    bool progress;
    struct observe_progress bar;
};

/* The sink branches print through while the progress line is shown. */
struct progress_sink {
    struct exec_sink base;
    struct observe_progress *bar;
    struct exec_sink *next;
};

static void
progress_sink_write(struct exec_sink *base, int stream, const char *data, size_t len)
{
    struct progress_sink *ps = (struct progress_sink *)base;
    observe_progress_lock(ps->bar);
    observe_progress_clear_locked(ps->bar);
    exec_sink_write(ps->next, stream, data, len);
    observe_progress_unlock(ps->bar);
}

static void
add_branch(struct pool *p, const struct lang_stmt *stmt, char *value)
{
    p->items = xgrow(p->items, &p->cap, p->count + 1, sizeof(*p->items));
    struct branch *b = &p->items[p->count++];
    memset(b, 0, sizeof(*b));
    b->stmt = stmt;
    b->value = value;
}

static bool
add_for_each(struct pool *p, const struct lang_stmt *stmt, struct err *err)
{
    if (stmt->arg_count < 2)
        return err_set(err, ERR_USAGE, "for_each: expected a list and an item name");
    char *list = exec_word(p->st, &stmt->args[0], err);
    if (!list)
        return false;
    char *save = NULL;
    for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (n)
            add_branch(p, stmt, xstrdup(line));
    }
    free(list);
    return true;
}

/*
 * Run one branch on the worker's state 'f' (a fork of the parent made when
 * the worker started). The branch gets a fresh scope whose parent is the
 * fork's, so what it binds dies with it, and everything else it might
 * change (cwd, env overlays, mask, deadline) is put back afterwards: the
 * next branch on this worker starts from the same state as a new fork
 * would, without copying the scope chain again (a list of 5,000 paths
 * copied for each of 5,000 branches is most of the run otherwise).
 */
static void
run_branch(struct exec_state *f, struct branch *b)
{
    struct exec_scope *saved_scope = f->scope;
    struct exec_scope *scope = exec_scope_new(saved_scope);
    f->scope = scope;
    size_t env_mark = exec_env_mark(f);
    char *saved_cwd = exec_cwd_dup(f);
    unsigned saved_caps = f->deny_caps;
    int64_t saved_deadline = f->deadline_ns;
    char saved_label[sizeof(f->deadline_label)];
    memcpy(saved_label, f->deadline_label, sizeof(saved_label));
    f->fail_op[0] = '\0'; /* an earlier branch's failing op is not this one's */

    if (!exec_check_stop(f, &b->err)) {
        b->ok = false;
    } else if (b->value) {
        exec_bind(f, b->stmt->args[1].text, b->value);
        b->ok = exec_run_body(f, &b->stmt->body, &b->err);
    } else {
        struct lang_body one = { b->stmt, 1 };
        b->ok = exec_run_body(f, &one, &b->err);
    }

    exec_out_flush(f->out); /* a branch's last partial line ends with it */
    f->scope = saved_scope;
    exec_scope_free(scope);
    exec_env_pop(f, env_mark);
    exec_set_cwd(f, saved_cwd);
    free(saved_cwd);
    f->deny_caps = saved_caps;
    f->deadline_ns = saved_deadline;
    memcpy(f->deadline_label, saved_label, sizeof(saved_label));
}

static void *
worker(void *arg)
{
    struct pool *p = arg;
    struct exec_state *f = NULL;
    for (;;) {
        os_mutex_lock(&p->lock);
        size_t i = p->next < p->count ? p->next++ : p->count;
        os_mutex_unlock(&p->lock);
        if (i == p->count)
            break;
        if (!f)
            f = exec_state_fork(p->st);
        run_branch(f, &p->items[i]);
        if (p->progress)
            observe_progress_step(&p->bar, p->items[i].ok);
    }
    exec_state_free(f); /* flushes what is left */
    return NULL;
}

static bool
want_progress(size_t branches)
{
    return observe_progress_wanted(2, branches, PAR_PROGRESS_MIN, getenv("NO_COLOR"),
                                   getenv("CI"));
}

/* How many workers: the block's N, capped by --jobs; else --jobs, else the
 * CPU count; never more than there are branches. */
static size_t
worker_count(const struct exec_state *st, int64_t limit, size_t branches)
{
    int64_t jobs = st->app ? st->app->jobs : 0;
    int64_t w = limit > 0 ? limit : (jobs > 0 ? jobs : os_cpu_count());
    if (limit > 0 && jobs > 0 && jobs < w)
        w = jobs;
    if (w > PAR_MAX_WORKERS)
        w = PAR_MAX_WORKERS;
    if ((size_t)w > branches)
        w = (int64_t)branches;
    return w < 1 ? 1 : (size_t)w;
}

static bool
report(struct exec_state *st, struct pool *p, const struct src_loc *loc, struct err *err)
{
    size_t failed = 0;
    struct branch *first = NULL;
    for (size_t i = 0; i < p->count; i++) {
        if (!p->items[i].ok) {
            failed++;
            first = first ? first : &p->items[i];
        }
    }
    if (!failed)
        return true;
    if (failed == 1) {
        if (err && !err_is_set(err))
            *err = first->err;
    } else {
        struct sbuf msg = SBUF_INIT;
        sbuf_addf(&msg, "parallel: %zu branches failed:", failed);
        for (size_t i = 0; i < p->count; i++)
            if (!p->items[i].ok)
                sbuf_addf(&msg, "\n  - %s", p->items[i].err.msg);
        err_set(err, ERR_PARALLEL, "%s", msg.buf);
        /* Several failures: the error is the block's, located at it. */
        if (err && loc)
            err->loc = *loc;
        sbuf_release(&msg);
    }
    /* Branches that failed because the deadline passed or the run was
     * cancelled make the block a timeout / cancellation. */
    exec_classify_stop(st, err);
    return false;
}

bool
block_parallel(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
               struct err *err)
{
    (void)out;
    int64_t limit = 0;
    if (stmt->arg_count > 0) {
        char *n = exec_word(st, &stmt->args[0], err);
        if (!n)
            return false;
        bool ok = exec_text_int(n, &limit) && limit >= 1;
        if (!ok)
            err_set(err, ERR_USAGE, "parallel: the limit must be a positive number, got '%s'",
                    n);
        free(n);
        if (!ok)
            return false;
    }
    struct pool p = { 0 };
    p.st = st;
    bool ok = true;
    for (size_t i = 0; ok && i < stmt->body.count; i++) {
        const struct lang_stmt *child = &stmt->body.stmts[i];
        if (child->kind == LANG_STMT_FOR_EACH)
            ok = add_for_each(&p, child, err);
        else
            add_branch(&p, child, NULL);
    }
    if (ok && p.count) {
        os_mutex_init(&p.lock);
        p.progress = want_progress(p.count);
        struct progress_sink ps;
        struct exec_out ps_out;
        struct exec_out *saved_out = st->out;
        if (p.progress) {
            observe_progress_init(&p.bar, stderr, "parallel", p.count);
            ps.base.write = progress_sink_write;
            ps.bar = &p.bar;
            ps.next = st->out->sink;
            exec_out_init(&ps_out, &ps.base);
            st->out = &ps_out; /* what the forks print through */
        }
        size_t workers = worker_count(st, limit, p.count);
        struct os_thread *threads = workers > 1 ? xcalloc(workers - 1, sizeof(*threads)) : NULL;
        size_t started = 0;
        for (size_t i = 0; i + 1 < workers; i++) {
            struct err terr = { 0 };
            if (!os_thread_create(&threads[i], OS_THREAD_STACK_DEFAULT, worker, &p, &terr))
                break; /* fewer threads; the calling thread still runs the rest */
            started++;
        }
        worker(&p);
        for (size_t i = 0; i < started; i++)
            os_thread_join(&threads[i], NULL);
        free(threads);
        if (p.progress) {
            exec_out_release(&ps_out);
            st->out = saved_out;
            observe_progress_finish(&p.bar);
        }
        os_mutex_release(&p.lock);
        ok = report(st, &p, &stmt->loc, err);
    }
    for (size_t i = 0; i < p.count; i++)
        free(p.items[i].value);
    free(p.items);
    return ok;
}
