/*
 * exec.c: the tree-walking interpreter: lookups and interpolation,
 * statements, op and command calls, creating and forking exec states, and
 * whole runs (hooks, catch blocks).
 *
 * DESIGN
 *
 * A run owns one struct exec_state (exec_int.h). Lookups walk
 *
 *     command scope (args, locals) → top-level bindings → auto variables
 *       → environment overlays (command env, with_env, set_env)
 *       → the host environment (minus what an --env allowlist hides)
 *
 * The bodies of if / for_each / try and of every block but `parallel` run
 * in the enclosing scope, so what they bind stays visible afterwards; a
 * command call gets a fresh scope whose parent is the top-level bindings, so
 * its captures never leak into the caller.
 *
 * Errors are struct err values travelling back up the C stack. The first
 * failure wins (err_set keeps it); the interpreter then adds the failing
 * statement's location if nothing deeper did, and remembers which op failed
 * (st->fail_op) so `rescue` can bind err.op.
 *
 * The interpreter never calls chdir() or setenv(): the cwd and the overlays
 * are fields of the state (state.c), handed to ops through struct op_ctx.
 * What a run may do (sandbox mask, requires) is checked in caps.c.
 */
#include "exec/exec.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/xalloc.h"
#include "exec/exec_int.h"
#include "exec/interp.h"
#include "ops/ops.h"
#include "os/clock.h"
#include "os/path.h"

int64_t
exec_now_ns(void)
{
    return os_clock_mono_ns();
}

/* ---- errors ------------------------------------------------------------ */

static void
locate(struct err *err, const struct src_loc *loc)
{
    if (err && err_is_set(err) && !err->loc.line && loc)
        err->loc = *loc;
}

int
exec_exit_status(const struct err *err)
{
    if (!err || !err_is_set(err))
        return 0;
    if (err->kind == ERR_TIMEOUT)
        return 124;
    if (err->kind == ERR_WASM_EXIT && err->code > 0 && err->code < 256)
        return err->code;
    if (err->kind == ERR_CANCELLED)
        return 130;
    if (err->exit_status > 0 && err->exit_status < 256)
        return err->exit_status;
    return 1;
}

void
exec_bind_err(struct exec_state *st, const struct err *e)
{
    char code[32];
    snprintf(code, sizeof(code), "%d", e->code);
    exec_scope_set_text(st->scope, "err.kind", err_kind_name(e->kind));
    exec_scope_set_text(st->scope, "err.message", e->msg);
    exec_scope_set_text(st->scope, "err.code", code);
    exec_scope_set_text(st->scope, "err.op", st->fail_op);
    char line[32] = "";
    if (e->loc.line)
        snprintf(line, sizeof(line), "%u", (unsigned)e->loc.line);
    exec_scope_set_text(st->scope, "err.line", line);
}

/* ---- lookups ----------------------------------------------------------- */

const char *
exec_lookup(struct exec_state *st, const char *name)
{
    const struct exec_value *v = exec_scope_get(st->scope, name);
    if (v)
        return v->text;
    if (!strcmp(name, "cwd"))
        return st->cwd; /* dynamic: follows with_cwd */
    return NULL;
}

/* Interpolation's view of names: scopes, then the environment. */
static const char *
interp_lookup(void *self, const char *name, struct err *err)
{
    struct exec_state *st = self;
    const char *v = exec_lookup(st, name);
    if (v)
        return v;
    return exec_getenv_checked(st, name, err);
}

/* ${fn(args)}: a pure op from the registry. */
static bool
interp_call(void *self, const char *name, size_t argc, char **argv, struct sbuf *out,
            struct err *err)
{
    struct exec_state *st = self;
    const struct op_def *def = ops_find(name);
    if (!def)
        return err_set(err, ERR_UNRESOLVED_VAR, "unknown function '%s' in ${...}", name);
    if (!def->is_pure)
        return err_set(err, ERR_USAGE,
                       "'%s' cannot be called inside ${...}: only pure ops can (it has effects)",
                       name);
    if ((int)argc < def->min_args || (def->max_args >= 0 && (int)argc > def->max_args))
        return err_set(err, ERR_USAGE, "%s: expected %s", name, def->usage ? def->usage : "");
    struct op_ctx ctx;
    exec_op_ctx(st, &ctx);
    struct op_call call = { &ctx, def, argc, argv, true };
    size_t mark = out->len;
    if (!def->fn(&call, out, err))
        return false;
    /* A value inside a string reads like a shell's $(...): no final newline. */
    while (out->len > mark && out->buf[out->len - 1] == '\n')
        sbuf_setlen(out, out->len - 1);
    return true;
}

char *
exec_word(struct exec_state *st, const struct lang_word *word, struct err *err)
{
    struct exec_interp_env env = { interp_lookup, interp_call, st };
    struct sbuf sb = SBUF_INIT;
    if (!exec_interp_word(&env, word, &sb, err)) {
        locate(err, &word->loc);
        sbuf_release(&sb);
        return NULL;
    }
    return sbuf_detach(&sb, NULL);
}

void
exec_bind(struct exec_state *st, const char *name, const char *text)
{
    exec_scope_set_text(st->scope, name, text);
}

/* ---- statements -------------------------------------------------------- */

static void
set_fail_op(struct exec_state *st, const char *name)
{
    if (!st->fail_op[0])
        snprintf(st->fail_op, sizeof(st->fail_op), "%s", name);
}

/* Interpolate every argument of 'stmt'. Returns argc or -1 on failure. */
static int
eval_args(struct exec_state *st, const struct lang_word *words, size_t count, char ***out_argv,
          struct err *err)
{
    char **argv = xcalloc(count + 1, sizeof(char *));
    for (size_t i = 0; i < count; i++) {
        argv[i] = exec_word(st, &words[i], err);
        if (!argv[i]) {
            for (size_t j = 0; j < i; j++)
                free(argv[j]);
            free(argv);
            return -1;
        }
    }
    *out_argv = argv;
    return (int)count;
}

static void
free_argv(char **argv, int argc)
{
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

static void
bind_capture(struct exec_state *st, const char *target, struct sbuf *value)
{
    while (value->len && value->buf[value->len - 1] == '\n')
        sbuf_setlen(value, value->len - 1);
    if (value->len && value->buf[value->len - 1] == '\r')
        sbuf_setlen(value, value->len - 1);
    exec_scope_set_text(st->scope, target, value->buf);
}

/* The capture sink: stdout is kept, stderr passes on to the outer sink. */
static void
capture_write(struct exec_sink *base, int stream, const char *data, size_t len)
{
    struct exec_capture *c = (struct exec_capture *)base;
    if (stream == 1) {
        pthread_mutex_lock(&c->lock);
        sbuf_add(c->into, data, len);
        pthread_mutex_unlock(&c->lock);
    } else {
        exec_sink_write(c->pass, stream, data, len);
    }
}

void
exec_capture_begin(struct exec_state *st, struct exec_capture *cap, struct sbuf *into)
{
    cap->base.write = capture_write;
    pthread_mutex_init(&cap->lock, NULL);
    cap->into = into;
    cap->pass = st->out->sink;
    cap->saved = st->out;
    exec_out_init(&cap->out, &cap->base);
    st->out = &cap->out;
}

void
exec_capture_end(struct exec_state *st, struct exec_capture *cap)
{
    exec_out_release(&cap->out); /* flushes an unterminated last line */
    st->out = cap->saved;
    pthread_mutex_destroy(&cap->lock);
}

/*
 * After a failure: when the run was cancelled or its deadline has passed,
 * the failure is that (kinds `cancelled` / `timeout`), whatever kind the op
 * or block that gave up used, so exit statuses and `rescue timeout` work.
 * The message and code (often the stopped child's status) are kept, and a
 * timeout names the deadline that passed ("(timeout \"2s\")",
 * "(test_timeout 30s)") when the message does not already.
 */
void
exec_classify_stop(struct exec_state *st, struct err *err)
{
    if (!err || !err_is_set(err) || err->kind == ERR_CANCELLED)
        return;
    if (st->interrupt && atomic_load(st->interrupt))
        err->kind = ERR_CANCELLED;
    else if (st->deadline_ns && os_clock_mono_ns() >= st->deadline_ns)
        err->kind = ERR_TIMEOUT;
    else
        return;
    if (err->kind == ERR_TIMEOUT && st->deadline_label[0] &&
        !strstr(err->msg, st->deadline_label)) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, " (%s)", st->deadline_label);
    }
}

static bool
run_op(struct exec_state *st, const struct lang_stmt *stmt, const struct op_def *def,
       struct sbuf *value, struct err *err)
{
    char **argv;
    int argc = eval_args(st, stmt->args, stmt->arg_count, &argv, err);
    if (argc < 0) {
        set_fail_op(st, def->name); /* err.op: the op whose arguments failed */
        return false;
    }
    bool ok = false;
    struct sbuf out = SBUF_INIT;
    if (argc < def->min_args || (def->max_args >= 0 && argc > def->max_args)) {
        err_set(err, ERR_USAGE, "%s: expected %s (got %d argument%s)", def->name,
                def->usage && *def->usage ? def->usage : "no arguments", argc,
                argc == 1 ? "" : "s");
        goto done;
    }
    if (stmt->target && def->ret == OP_RET_NONE) {
        err_set(err, ERR_USAGE, "'%s' has no value to capture in '%s' (it returns nothing)",
                def->name, stmt->target);
        goto done;
    }
    if (!exec_caps_check(st, def->caps, def->name, err))
        goto done;
    if (!exec_check_stop(st, err))
        goto done;
    struct op_ctx ctx;
    exec_op_ctx(st, &ctx);
    struct op_call call = { &ctx, def, (size_t)argc, argv, stmt->target != NULL };
    struct exec_span span;
    int64_t t0;
    exec_span_begin(st, &span, def->name, NULL, (size_t)argc, argv, &stmt->loc, &t0);
    ok = def->fn(&call, &out, err);
    exec_span_end(st, &span, t0, ok, err);
    if (!ok)
        exec_classify_stop(st, err);
    if (ok && stmt->target) {
        bind_capture(st, stmt->target, &out);
    } else if (ok && value && def->ret != OP_RET_NONE && out.len) {
        sbuf_add(value, out.buf, out.len);
        if (out.buf[out.len - 1] != '\n')
            sbuf_addc(value, '\n');
    }
done:
    if (!ok)
        set_fail_op(st, def->name);
    sbuf_release(&out);
    free_argv(argv, argc);
    return ok;
}

/* A call of a bin declared in `requires`: run it through the exec op. */
static bool
run_bin(struct exec_state *st, const struct lang_stmt *stmt, struct err *err)
{
    const struct op_def *def = ops_find("exec");
    if (!def)
        return err_set(err, ERR_UNKNOWN_COMMAND, "cannot run '%s': no exec op", stmt->name);
    char **argv;
    int argc = eval_args(st, stmt->args, stmt->arg_count, &argv, err);
    if (argc < 0)
        return false;
    char **full = xcalloc((size_t)argc + 2, sizeof(char *));
    full[0] = xstrdup(stmt->name);
    for (int i = 0; i < argc; i++)
        full[i + 1] = argv[i];
    free(argv);
    bool ok = false;
    struct sbuf out = SBUF_INIT;
    if (exec_caps_check(st, def->caps, stmt->name, err)) {
        struct op_ctx ctx;
        exec_op_ctx(st, &ctx);
        struct op_call call = { &ctx, def, (size_t)argc + 1, full, stmt->target != NULL };
        struct exec_span span;
        int64_t t0;
        exec_span_begin(st, &span, stmt->name, NULL, (size_t)argc + 1, full, &stmt->loc, &t0);
        ok = def->fn(&call, &out, err);
        exec_span_end(st, &span, t0, ok, err);
        if (!ok)
            exec_classify_stop(st, err);
        if (ok && stmt->target)
            bind_capture(st, stmt->target, &out);
    }
    if (!ok)
        set_fail_op(st, stmt->name);
    sbuf_release(&out);
    free_argv(full, argc + 1);
    return ok;
}

bool
exec_is_declared_bin(const struct lang_program *prog, const char *name)
{
    for (size_t i = 0; i < prog->require_count; i++) {
        const struct lang_require *r = &prog->requires[i];
        if (r->kind != LANG_REQ_BIN)
            continue;
        const char *t = r->value.text;
        const char *base = strrchr(t, '/');
        if (!strcmp(t, name) || (base && !strcmp(base + 1, name)))
            return true;
    }
    return false;
}

/* An unknown statement name, with the closest op or command as a hint. */
static bool
unknown_name(struct exec_state *st, const char *name, struct err *err)
{
    size_t op_count = 0;
    const struct op_def *ops = ops_all(&op_count);
    size_t n = 0;
    const char **names = xcalloc(op_count + st->prog->command_count + 1, sizeof(char *));
    for (size_t i = 0; i < op_count; i++)
        names[n++] = ops[i].name;
    for (size_t i = 0; i < st->prog->command_count; i++)
        names[n++] = st->prog->commands[i].name;
    const char *hint = exec_suggest(name, names, n);
    if (hint)
        err_set(err, ERR_UNKNOWN_COMMAND, "unknown op or command '%s'; did you mean '%s'?", name,
                hint);
    else
        err_set(err, ERR_UNKNOWN_COMMAND, "unknown op or command '%s'", name);
    free(names);
    return false;
}

static bool
run_call(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *value,
         struct err *err)
{
    const struct lang_command *cmd = lang_find_command(st->prog, stmt->name);
    if (cmd) {
        char **argv;
        int argc = eval_args(st, stmt->args, stmt->arg_count, &argv, err);
        if (argc < 0)
            return false;
        struct sbuf cap = SBUF_INIT;
        bool ok = exec_call_command(st, cmd, argc, argv, stmt->target ? &cap : NULL, err);
        if (ok && stmt->target)
            bind_capture(st, stmt->target, &cap);
        sbuf_release(&cap);
        free_argv(argv, argc);
        return ok;
    }
    const struct op_def *def = ops_find(stmt->name);
    if (def)
        return run_op(st, stmt, def, value, err);
    if (!strcmp(stmt->name, "fail")) {
        char **argv;
        int argc = eval_args(st, stmt->args, stmt->arg_count, &argv, err);
        if (argc < 0)
            return false;
        struct sbuf msg = SBUF_INIT;
        for (int i = 0; i < argc; i++) {
            if (i)
                sbuf_addc(&msg, ' ');
            sbuf_adds(&msg, argv[i]);
        }
        /* A span, so --trace and --audit show where the run was failed. */
        struct exec_span span;
        int64_t t0;
        exec_span_begin(st, &span, "fail", NULL, (size_t)argc, argv, &stmt->loc, &t0);
        err_set(err, ERR_FAIL, "%s", msg.len ? msg.buf : "failed");
        exec_span_end(st, &span, t0, false, err);
        set_fail_op(st, "fail");
        sbuf_release(&msg);
        free_argv(argv, argc);
        return false;
    }
    if (exec_is_declared_bin(st->prog, stmt->name))
        return run_bin(st, stmt, err);
    return unknown_name(st, stmt->name, err);
}

static bool
run_assign(struct exec_state *st, const struct lang_stmt *stmt, struct err *err)
{
    if (!stmt->arg_count) {
        exec_scope_set_text(st->scope, stmt->target, "");
        return true;
    }
    const struct lang_word *w = &stmt->args[0];
    struct exec_value v;
    if (w->quote == LANG_QUOTE_BARE && !w->has_interp) {
        exec_value_literal(&v, w->text);
    } else {
        char *text = exec_word(st, w, err);
        if (!text)
            return false;
        exec_value_string_take(&v, text);
    }
    exec_scope_set_take(st->scope, stmt->target, &v);
    return true;
}

static bool
run_if(struct exec_state *st, const struct lang_stmt *stmt, struct err *err)
{
    for (size_t i = 0; i < stmt->clause_count; i++) {
        const struct lang_clause *c = &stmt->clauses[i];
        bool take = true;
        if (c->kind != LANG_CLAUSE_ELSE) {
            if (!c->cond)
                continue;
            if (!exec_cond(st, c->cond, &take, err)) {
                locate(err, &c->loc);
                return false;
            }
        }
        if (take)
            return exec_run_body(st, &c->body, err);
    }
    return true;
}

static bool
run_for_each(struct exec_state *st, const struct lang_stmt *stmt, struct err *err)
{
    if (stmt->arg_count < 2)
        return err_set(err, ERR_USAGE, "for_each: expected a list and an item name");
    char *list = exec_word(st, &stmt->args[0], err);
    if (!list)
        return false;
    const char *item = stmt->args[1].text;
    bool ok = true;
    char *save = NULL;
    for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (!n)
            continue;
        exec_scope_set_text(st->scope, item, line);
        if (!exec_run_body(st, &stmt->body, err)) {
            ok = false;
            break;
        }
    }
    free(list);
    return ok;
}

static bool
case_matches(const char *pattern, const char *subject)
{
    if (strpbrk(pattern, "*?["))
        return fnmatch(pattern, subject, 0) == 0;
    return strcmp(pattern, subject) == 0;
}

static bool
run_match(struct exec_state *st, const struct lang_stmt *stmt, struct err *err)
{
    if (!stmt->arg_count)
        return err_set(err, ERR_USAGE, "match: expected a value");
    char *subject = exec_word(st, &stmt->args[0], err);
    if (!subject)
        return false;
    bool ok = true;
    for (size_t i = 0; i < stmt->clause_count; i++) {
        const struct lang_clause *c = &stmt->clauses[i];
        bool take = c->kind == LANG_CLAUSE_ELSE;
        for (size_t j = 0; !take && j < c->arg_count; j++) {
            char *v = exec_word(st, &c->args[j], err);
            if (!v) {
                ok = false;
                goto done;
            }
            take = case_matches(v, subject);
            free(v);
        }
        if (take) {
            ok = exec_run_body(st, &c->body, err);
            break;
        }
    }
done:
    free(subject);
    return ok;
}

static bool
rescue_matches(struct exec_state *st, const struct lang_clause *c, const struct err *e)
{
    if (!c->arg_count)
        return true;
    for (size_t j = 0; j < c->arg_count; j++) {
        struct err ignored = { 0 };
        char *kind = exec_word(st, &c->args[j], &ignored);
        bool hit = kind && !strcmp(kind, err_kind_name(e->kind));
        free(kind);
        if (hit)
            return true;
    }
    return false;
}

/* The names exec_bind_err sets. */
static const char *const err_fields[] = { "err.kind", "err.message", "err.code", "err.op",
                                          "err.line" };
#define ERR_FIELD_COUNT (sizeof(err_fields) / sizeof(err_fields[0]))

static bool
run_try(struct exec_state *st, const struct lang_stmt *stmt, struct err *err)
{
    struct err e = { 0 };
    st->fail_op[0] = '\0';
    bool ok = exec_run_body(st, &stmt->body, &e);
    if (!ok && e.kind != ERR_CANCELLED) {
        for (size_t i = 0; i < stmt->clause_count; i++) {
            const struct lang_clause *c = &stmt->clauses[i];
            if (c->kind != LANG_CLAUSE_RESCUE || !rescue_matches(st, c, &e))
                continue;
            /* A rescue nested in another one: the outer `err.*` come
             * back when the inner rescue ends. */
            char *outer[ERR_FIELD_COUNT] = { 0 };
            bool nested = exec_scope_get(st->scope, "err.kind") != NULL;
            for (size_t f = 0; nested && f < ERR_FIELD_COUNT; f++) {
                const struct exec_value *v = exec_scope_get(st->scope, err_fields[f]);
                outer[f] = xstrdup(v ? v->text : "");
            }
            exec_bind_err(st, &e);
            err_clear(&e);
            st->fail_op[0] = '\0';
            ok = exec_run_body(st, &c->body, &e);
            for (size_t f = 0; nested && f < ERR_FIELD_COUNT; f++) {
                exec_scope_set_text(st->scope, err_fields[f], outer[f]);
                free(outer[f]);
            }
            break;
        }
    }
    for (size_t i = 0; i < stmt->clause_count; i++) {
        const struct lang_clause *c = &stmt->clauses[i];
        if (c->kind != LANG_CLAUSE_FINALLY)
            continue;
        /* Cleanup still runs after a timeout: give `finally` a short grace
         * period past the deadline that stopped the body. */
        int64_t deadline = st->deadline_ns;
        char label[sizeof(st->deadline_label)];
        memcpy(label, st->deadline_label, sizeof(label));
        int64_t now = os_clock_mono_ns();
        if (deadline && now >= deadline)
            exec_deadline_restore(st, now + EXEC_FINALLY_GRACE_NS, "finally after a timeout");
        struct err fe = { 0 };
        if (!exec_run_body(st, &c->body, &fe) && ok) {
            ok = false;
            e = fe;
        }
        exec_deadline_restore(st, deadline, label);
    }
    if (!ok && err && !err_is_set(err))
        *err = e;
    return ok;
}

static bool
run_block(struct exec_state *st, const struct lang_stmt *stmt, struct err *err)
{
    const struct exec_block_def *def = exec_block_find(stmt->block);
    if (!def)
        return err_set(err, ERR_UNKNOWN_COMMAND, "unknown block '%s'", stmt->name);
    struct sbuf out = SBUF_INIT;
    struct exec_span span;
    int64_t t0;
    char **argv = NULL;
    int argc = 0;
    if (st->app->observer) {
        /* The block's own words, for the span; a word that does not
         * interpolate is shown as written. */
        argv = xcalloc(stmt->arg_count + 1, sizeof(char *));
        for (size_t i = 0; i < stmt->arg_count; i++) {
            struct err ignored = { 0 };
            argv[i] = exec_word(st, &stmt->args[i], &ignored);
            if (!argv[i])
                argv[i] = xstrdup(stmt->args[i].text);
        }
        argc = (int)stmt->arg_count;
    }
    exec_span_begin(st, &span, def->name, NULL, (size_t)argc, argv, &stmt->loc, &t0);
    bool ok = def->fn(st, stmt, &out, err);
    exec_span_end(st, &span, t0, ok, err);
    if (!ok && stmt->block == LANG_BLOCK_WASM_RUN)
        exec_classify_stop(st, err);
    if (argv)
        free_argv(argv, argc);
    if (!ok)
        set_fail_op(st, def->name);
    else if (stmt->target)
        bind_capture(st, stmt->target, &out);
    sbuf_release(&out);
    return ok;
}

static bool
run_one(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *value,
        struct err *err)
{
    switch (stmt->kind) {
    case LANG_STMT_CALL:
        return run_call(st, stmt, value, err);
    case LANG_STMT_ASSIGN:
        return run_assign(st, stmt, err);
    case LANG_STMT_BLOCK:
        return run_block(st, stmt, err);
    case LANG_STMT_IF:
        return run_if(st, stmt, err);
    case LANG_STMT_FOR_EACH:
        return run_for_each(st, stmt, err);
    case LANG_STMT_MATCH:
        return run_match(st, stmt, err);
    case LANG_STMT_TRY:
        return run_try(st, stmt, err);
    }
    return err_set(err, ERR_USAGE, "unknown statement");
}

bool
exec_run_stmt(struct exec_state *st, const struct lang_stmt *stmt, struct err *err)
{
    return exec_run_stmt_value(st, stmt, NULL, err);
}

bool
exec_run_stmt_value(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *value,
                    struct err *err)
{
    if (st->depth >= EXEC_MAX_DEPTH)
        return err_set(err, ERR_LIMIT, "nesting deeper than %d (runaway recursion?)",
                       EXEC_MAX_DEPTH);
    if (!exec_check_stop(st, err)) {
        locate(err, &stmt->loc);
        return false;
    }
    st->depth++;
    /* `a && b || c`: each link decides whether the next one runs. */
    struct err e = { 0 };
    bool ok = run_one(st, stmt, value, &e);
    locate(&e, &stmt->loc);
    for (const struct lang_stmt *cur = stmt; cur->chain != LANG_CHAIN_NONE && cur->next;
         cur = cur->next) {
        bool run_next = cur->chain == LANG_CHAIN_AND ? ok : !ok;
        if (!run_next)
            continue;
        if (e.kind == ERR_TIMEOUT || e.kind == ERR_CANCELLED)
            break;
        err_clear(&e);
        st->fail_op[0] = '\0';
        ok = run_one(st, cur->next, value, &e);
        locate(&e, &cur->next->loc);
    }
    st->depth--;
    if (!ok && err && !err_is_set(err))
        *err = e;
    return ok;
}

bool
exec_run_body(struct exec_state *st, const struct lang_body *body, struct err *err)
{
    for (size_t i = 0; i < body->count; i++)
        if (!exec_run_stmt(st, &body->stmts[i], err))
            return false;
    return true;
}

/* ---- commands ---------------------------------------------------------- */

static bool
name_in(const char *name, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

static bool
check_command_platform(const struct lang_command *cmd, struct err *err)
{
    if (cmd->require_os_count && !name_in(exec_os_name(), cmd->require_os, cmd->require_os_count))
        return err_set(err, ERR_REQUIREMENT_UNMET, "command '%s' requires os %s (this is %s)",
                       cmd->name, cmd->require_os[0], exec_os_name());
    if (cmd->require_arch_count &&
        !name_in(exec_arch_name(), cmd->require_arch, cmd->require_arch_count))
        return err_set(err, ERR_REQUIREMENT_UNMET, "command '%s' requires arch %s (this is %s)",
                       cmd->name, cmd->require_arch[0], exec_arch_name());
    return true;
}

/*
 * Run 'cmd' in a fresh scope whose parent is the top-level bindings, with
 * 'args' bound. Applies the command's `dir` and `env`, restores cwd and
 * overlays afterwards. With 'capture', stdout is collected there.
 */
static bool
run_command_args(struct exec_state *st, const struct lang_command *cmd,
                 const struct exec_args *args, struct sbuf *capture, struct err *err)
{
    if (!check_command_platform(cmd, err))
        return false;
    struct exec_scope *saved_scope = st->scope;
    const struct lang_command *saved_cmd = st->cmd;
    char *saved_cwd = xstrdup(st->cwd);
    size_t env_mark = exec_env_mark(st);
    struct exec_capture cap;
    bool ok = false;

    struct exec_scope *scope = exec_scope_new(st->globals);
    st->scope = scope;
    st->cmd = cmd;
    if (!exec_args_bind(st, cmd, args, scope, err))
        goto done;
    for (size_t i = 0; i < cmd->env_count; i++) {
        char *v = exec_word(st, &cmd->env[i].value, err);
        if (!v)
            goto done;
        exec_env_push(st, cmd->env[i].key, v);
        free(v);
    }
    if (cmd->dir) {
        char *d = exec_word(st, cmd->dir, err);
        if (!d)
            goto done;
        /* `dir` is relative to the file that declares the command. */
        char *base = exec_declaring_dir(st, cmd->file);
        char *abs = os_path_abs(base, d);
        free(base);
        free(d);
        exec_set_cwd(st, abs);
        free(abs);
    }
    if (capture)
        exec_capture_begin(st, &cap, capture);
    struct exec_span span;
    int64_t t0;
    exec_span_begin(st, &span, "command", cmd->name, 0, NULL, &cmd->loc, &t0);
    ok = exec_run_body(st, &cmd->body, err);
    exec_span_end(st, &span, t0, ok, err);
    if (capture)
        exec_capture_end(st, &cap);
done:
    exec_env_pop(st, env_mark);
    free(st->cwd);
    st->cwd = saved_cwd;
    st->scope = saved_scope;
    st->cmd = saved_cmd;
    exec_scope_free(scope);
    return ok;
}

bool
exec_call_command(struct exec_state *st, const struct lang_command *cmd, int argc,
                  char *const *argv, struct sbuf *capture, struct err *err)
{
    struct exec_args args = { 0 };
    bool ok = exec_args_parse(cmd, argc, (const char *const *)argv, &args, err) &&
              run_command_args(st, cmd, &args, capture, err);
    exec_args_release(&args);
    return ok;
}

/* ---- states ------------------------------------------------------------ */

/* Evaluate the top-level bindings into st->globals, in order, so a binding
 * may use earlier ones. */
static bool
eval_bindings(struct exec_state *st, struct err *err)
{
    for (size_t i = 0; i < st->prog->binding_count; i++) {
        const struct lang_binding *b = &st->prog->bindings[i];
        struct exec_value v;
        if (b->type == LANG_TYPE_STRING) {
            char *text = exec_word(st, &b->value, err);
            if (!text) {
                locate(err, &b->loc);
                return false;
            }
            exec_value_string_take(&v, text);
        } else {
            exec_value_literal(&v, b->value.text);
        }
        exec_scope_set_take(st->globals, b->name, &v);
    }
    return true;
}

static char *
process_cwd(void)
{
    char buf[PATH_MAX];
    if (getcwd(buf, sizeof(buf)))
        return xstrdup(buf);
    return xstrdup("/");
}

struct exec_state *
exec_state_new(const struct exec_app *app, const struct exec_run_opts *opts, struct err *err)
{
    struct exec_state *st = xcalloc(1, sizeof(*st));
    st->app = app;
    st->prog = app->prog;
    st->cwd = opts && opts->cwd ? xstrdup(opts->cwd) : process_cwd();
    st->deny_caps = app->deny_caps | (opts ? opts->deny_caps : 0);
    st->interrupt = opts && opts->interrupt ? opts->interrupt : app->interrupt;
    st->stdin_fd = app->stdin_fd;
    exec_out_init(&st->out_base, opts && opts->sink ? opts->sink : app->sink);
    st->out = &st->out_base;
    sbuf_init(&st->scratch);
    int64_t now = os_clock_mono_ns();
    char dur[DURATION_FORMAT_MAX], label[sizeof(st->deadline_label)];
    if (app->max_runtime_ns) {
        int64_t since = opts && opts->max_runtime_since_ns ? opts->max_runtime_since_ns : now;
        duration_format(app->max_runtime_ns, dur, sizeof(dur));
        snprintf(label, sizeof(label), "--max-runtime %s", dur);
        exec_deadline_narrow(st, since + app->max_runtime_ns, label);
    }
    if (opts && opts->timeout_ns) {
        duration_format(opts->timeout_ns, dur, sizeof(dur));
        snprintf(label, sizeof(label), "test_timeout %s", dur);
        exec_deadline_narrow(st, now + opts->timeout_ns, label);
    }
    st->autos = exec_scope_new(NULL);
    exec_autos_fill(st, st->autos);
    st->globals = exec_scope_new(st->autos);
    st->scope = st->globals;
    if (!eval_bindings(st, err)) {
        exec_state_free(st);
        return NULL;
    }
    return st;
}

struct exec_state *
exec_state_fork(struct exec_state *st)
{
    struct exec_state *f = xcalloc(1, sizeof(*f));
    f->app = st->app;
    f->prog = st->prog;
    f->autos = exec_scope_dup_flat(st->autos, NULL);
    f->globals = exec_scope_dup_flat(st->globals, NULL);
    f->globals->parent = f->autos;
    /* The branch's scope: a flattened copy of the command scope chain up to
     * (not including) the globals. */
    f->scope = st->scope == st->globals ? f->globals : exec_scope_dup_flat(st->scope, st->globals);
    if (f->scope != f->globals)
        f->scope->parent = f->globals;
    f->cwd = xstrdup(st->cwd);
    for (size_t i = 0; i < st->env_count; i++)
        exec_env_push(f, st->env[i].key, st->env[i].value);
    f->deny_caps = st->deny_caps;
    f->deadline_ns = st->deadline_ns;
    memcpy(f->deadline_label, st->deadline_label, sizeof(f->deadline_label));
    f->interrupt = st->interrupt;
    f->stdin_fd = st->stdin_fd;
    exec_out_init(&f->out_base, st->out->sink);
    f->out = &f->out_base;
    f->depth = st->depth;
    f->span_depth = st->span_depth;
    /* A branch's first spans hang under the block's span, which stays open
     * (and untouched by its thread) until every branch has finished: the
     * report can build the tree across threads. */
    f->span = st->span;
    f->cmd = st->cmd;
    sbuf_init(&f->scratch);
    return f;
}

void
exec_state_free(struct exec_state *st)
{
    if (!st)
        return;
    exec_out_release(&st->out_base);
    if (st->scope != st->globals)
        exec_scope_free(st->scope);
    exec_scope_free(st->globals);
    exec_scope_free(st->autos);
    exec_env_pop(st, 0);
    free(st->env);
    free(st->cwd);
    sbuf_release(&st->scratch);
    free(st);
}

/* ---- runs -------------------------------------------------------------- */

static bool
catch_matches(struct exec_state *st, const struct lang_catch *c, const struct err *e)
{
    if (!c->kind_count)
        return true;
    for (size_t i = 0; i < c->kind_count; i++) {
        struct err ignored = { 0 };
        char *k = exec_word(st, &c->kinds[i], &ignored);
        bool hit = k && !strcmp(k, err_kind_name(e->kind));
        free(k);
        if (hit)
            return true;
    }
    return false;
}

/* Top-level `catch` blocks: the first matching one runs with err.* bound.
 * The run still fails afterwards (a catch reports or cleans up; `try` is
 * the way to recover). */
static void
run_catches(struct exec_state *st, const struct err *e)
{
    for (size_t i = 0; i < st->prog->catch_count; i++) {
        const struct lang_catch *c = &st->prog->catches[i];
        if (!catch_matches(st, c, e))
            continue;
        struct exec_scope *scope = exec_scope_new(st->globals);
        struct exec_scope *saved = st->scope;
        st->scope = scope;
        exec_bind_err(st, e);
        struct err ignored = { 0 };
        /* A catch body still has to respect cancellation but not the
         * deadline that just fired. */
        int64_t deadline = st->deadline_ns;
        st->deadline_ns = 0;
        exec_run_body(st, &c->body, &ignored);
        st->deadline_ns = deadline;
        st->scope = saved;
        exec_scope_free(scope);
        break;
    }
}

/* Run the `hooks` statements for 'event' ("before", "after", "on_error")
 * in a scope of their own; with 'e', err.* is bound. */
static bool
run_hooks(struct exec_state *st, const char *event, const struct err *e, struct err *err)
{
    bool ok = true;
    for (size_t i = 0; ok && i < st->prog->hook_count; i++) {
        const struct lang_hook *h = &st->prog->hooks[i];
        if (strcmp(h->event, event) != 0)
            continue;
        struct exec_scope *scope = exec_scope_new(st->globals);
        struct exec_scope *saved = st->scope;
        st->scope = scope;
        if (e)
            exec_bind_err(st, e);
        ok = exec_run_stmt(st, &h->stmt, err);
        st->scope = saved;
        exec_scope_free(scope);
    }
    return ok;
}

bool
exec_run(const struct exec_app *app, const struct lang_command *cmd, const struct exec_args *args,
         const struct exec_run_opts *opts, struct err *err)
{
    struct exec_state *st = exec_state_new(app, opts, err);
    if (!st)
        return false;
    struct err e = { 0 };
    bool ok = true;
    /* requires os/arch: the whole file needs them. */
    for (size_t i = 0; ok && i < app->prog->require_count; i++) {
        const struct lang_require *r = &app->prog->requires[i];
        if (r->kind != LANG_REQ_OS && r->kind != LANG_REQ_ARCH)
            continue;
        const char *have = r->kind == LANG_REQ_OS ? exec_os_name() : exec_arch_name();
        if (strcmp(r->value.text, have)) {
            bool other = false; /* several os lines: any may match */
            for (size_t j = 0; j < app->prog->require_count; j++)
                other = other || (app->prog->requires[j].kind == r->kind &&
                                  !strcmp(app->prog->requires[j].value.text, have));
            if (!other) {
                err_set(&e, ERR_REQUIREMENT_UNMET, "this file requires %s %s (this is %s)",
                        r->kind == LANG_REQ_OS ? "os" : "arch", r->value.text, have);
                e.loc = r->loc;
                ok = false;
            }
        }
    }
    if (ok)
        ok = run_hooks(st, "before", NULL, &e);
    if (ok)
        ok = run_command_args(st, cmd, args, NULL, &e);
    if (ok)
        ok = run_hooks(st, "after", NULL, &e);
    if (!ok) {
        if (!e.loc.line)
            e.loc = cmd->loc;
        struct err ignored = { 0 };
        int64_t deadline = st->deadline_ns;
        st->deadline_ns = 0; /* reporting still runs after a timeout */
        run_hooks(st, "on_error", &e, &ignored);
        st->deadline_ns = deadline;
        run_catches(st, &e);
        if (err && !err_is_set(err))
            *err = e;
    }
    exec_state_free(st);
    return ok;
}
