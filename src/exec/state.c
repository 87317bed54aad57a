/*
 * state.c: the per-thread exec state's pieces that ops and block handlers
 * reach through blocks.h: environment overlays and the environment a
 * subprocess gets, the cwd, deadlines and cancellation, the op context
 * callbacks, and observer spans.
 *
 * The environment is layered: overlays (command `env`, `with_env`,
 * `set_env`) pushed on a stack in the state, newest first, over the host
 * environment captured at start-up (minus what an --env allowlist hides).
 * Nothing here touches the process's own environment or cwd.
 */
#include "exec/exec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "ops/ops.h"
#include "os/clock.h"
#include "os/path.h"

/* ---- environment ------------------------------------------------------- */

size_t
exec_env_mark(const struct exec_state *st)
{
    return st->env_count;
}

void
exec_env_push(struct exec_state *st, const char *key, const char *value)
{
    st->env = xgrow(st->env, &st->env_cap, st->env_count + 1, sizeof(*st->env));
    st->env[st->env_count].key = xstrdup(key);
    st->env[st->env_count].value = value ? xstrdup(value) : NULL;
    st->env_count++;
}

void
exec_env_pop(struct exec_state *st, size_t mark)
{
    while (st->env_count > mark) {
        st->env_count--;
        free(st->env[st->env_count].key);
        free(st->env[st->env_count].value);
    }
}

static bool
env_allowed(const struct exec_app *app, const char *name)
{
    if (!app->has_env_allow)
        return true;
    for (size_t i = 0; i < app->env_allow_count; i++)
        if (!strcmp(app->env_allow[i], name))
            return true;
    return false;
}

const char *
exec_getenv(struct exec_state *st, const char *name)
{
    for (size_t i = st->env_count; i > 0; i--)
        if (!strcmp(st->env[i - 1].key, name))
            return st->env[i - 1].value;
    if (!env_allowed(st->app, name))
        return NULL;
    return exec_host_env(st->app, name);
}

const char *
exec_getenv_checked(struct exec_state *st, const char *name, struct err *err)
{
    for (size_t i = st->env_count; i > 0; i--)
        if (!strcmp(st->env[i - 1].key, name))
            return st->env[i - 1].value;
    if (!env_allowed(st->app, name))
        return NULL;
    const char *v = exec_host_env(st->app, name);
    if (v && !st->in_requires && !exec_check_required(st, OP_CHECK_ENV, name, err))
        return NULL;
    return v;
}

/* Append K=V to an envp under construction, replacing an earlier K. */
static void
envp_set(char ***envp, size_t *count, size_t *cap, const char *key, const char *value)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < *count; i++) {
        if (!strncmp((*envp)[i], key, klen) && (*envp)[i][klen] == '=') {
            free((*envp)[i]);
            if (value) {
                (*envp)[i] = xasprintf("%s=%s", key, value);
            } else {
                memmove(&(*envp)[i], &(*envp)[i + 1], (*count - i) * sizeof(char *));
                (*count)--;
            }
            return;
        }
    }
    if (!value)
        return;
    *envp = xgrow(*envp, cap, *count + 2, sizeof(char *));
    (*envp)[(*count)++] = xasprintf("%s=%s", key, value);
    (*envp)[*count] = NULL;
}

char **
exec_envp(struct exec_state *st)
{
    char **envp = NULL;
    size_t count = 0, cap = 0;
    envp = xgrow(envp, &cap, 1, sizeof(char *));
    envp[0] = NULL;
    for (const char *const *e = st->app->host_env; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        char *key = xstrndup(*e, (size_t)(eq - *e));
        if (env_allowed(st->app, key))
            envp_set(&envp, &count, &cap, key, eq + 1);
        free(key);
    }
    /* UPPER_CASE top-level bindings, as evaluated at command start. */
    for (size_t i = 0; i < st->prog->binding_count; i++) {
        const struct lang_binding *b = &st->prog->bindings[i];
        if (!b->is_exported)
            continue;
        const struct exec_value *v = exec_scope_get_local(st->globals, b->name);
        if (v)
            envp_set(&envp, &count, &cap, b->name, v->text);
    }
    for (size_t i = 0; i < st->env_count; i++)
        envp_set(&envp, &count, &cap, st->env[i].key, st->env[i].value);
    return envp;
}

/* ---- cwd, deadlines, accessors ---------------------------------------------- */

const char *
exec_cwd(const struct exec_state *st)
{
    return st->cwd;
}

char *
exec_cwd_dup(const struct exec_state *st)
{
    return xstrdup(st->cwd);
}

void
exec_set_cwd(struct exec_state *st, const char *dir)
{
    char *abs = os_path_abs(st->cwd, dir);
    free(st->cwd);
    st->cwd = abs;
}

int64_t
exec_deadline(const struct exec_state *st)
{
    return st->deadline_ns;
}

void
exec_deadline_narrow(struct exec_state *st, int64_t deadline_ns, const char *label)
{
    if (!deadline_ns || (st->deadline_ns && st->deadline_ns <= deadline_ns))
        return;
    st->deadline_ns = deadline_ns;
    snprintf(st->deadline_label, sizeof(st->deadline_label), "%s", label ? label : "deadline");
}

void
exec_deadline_restore(struct exec_state *st, int64_t deadline_ns, const char *label)
{
    st->deadline_ns = deadline_ns;
    snprintf(st->deadline_label, sizeof(st->deadline_label), "%s", label ? label : "");
}

atomic_int *
exec_interrupt(struct exec_state *st)
{
    return st->interrupt;
}

bool
exec_check_stop(struct exec_state *st, struct err *err)
{
    if (st->interrupt && atomic_load(st->interrupt))
        return err_set(err, ERR_CANCELLED, "run cancelled");
    if (st->deadline_ns && os_clock_mono_ns() >= st->deadline_ns)
        return err_set(err, ERR_TIMEOUT, "timed out (%s)", st->deadline_label);
    return true;
}

bool
exec_sleep(struct exec_state *st, int64_t ns, struct err *err)
{
    enum os_sleep_result r = os_sleep_ns(ns, st->deadline_ns, st->interrupt);
    if (r == OS_SLEEP_DONE)
        return true;
    if (!exec_check_stop(st, err))
        return false;
    return err_set(err, ERR_CANCELLED, "run cancelled");
}

const struct lang_program *
exec_program(const struct exec_state *st)
{
    return st->prog;
}

const char *
exec_script_dir(const struct exec_state *st)
{
    const struct exec_value *v = exec_scope_get_local(st->autos, "script_dir");
    return v ? v->text : st->prog->dir;
}

int
exec_stdin_fd(const struct exec_state *st)
{
    return st->stdin_fd;
}

void
exec_print(struct exec_state *st, int stream, const char *data, size_t len)
{
    exec_out_write(st->out, stream, data, len);
}

/* ---- op context callbacks ---------------------------------------------- */

static const char *
vt_getenv(void *self, const char *name)
{
    return exec_getenv(self, name);
}

static void
vt_setenv(void *self, const char *name, const char *value)
{
    exec_env_push(self, name, value);
}

static char **
vt_envp(void *self)
{
    return exec_envp(self);
}

static void
vt_output(void *self, int stream, const char *data, size_t len)
{
    exec_print(self, stream, data, len);
}

static bool
vt_check(void *self, enum op_check what, const char *subject, struct err *err)
{
    return exec_check_required(self, what, subject, err);
}

static void
vt_list_commands(void *self, struct sbuf *out)
{
    struct exec_state *st = self;
    for (size_t i = 0; i < st->prog->command_count; i++) {
        const struct lang_command *c = &st->prog->commands[i];
        if (c->is_private || c->is_test)
            continue;
        sbuf_adds(out, c->name);
        sbuf_addc(out, '\n');
    }
}

static const struct op_ctx_vtable exec_vtable = {
    vt_getenv, vt_setenv, vt_envp, vt_output, vt_check, vt_list_commands,
};

static void
op_ctx_init(struct exec_state *st, struct op_ctx *ctx)
{
    ctx->cwd = st->cwd;
    ctx->deadline_ns = st->deadline_ns;
    ctx->interrupt = st->interrupt;
    ctx->stdin_fd = st->stdin_fd;
    ctx->script_dir = exec_script_dir(st);
    ctx->vt = &exec_vtable;
    ctx->self = st;
}

void
exec_op_ctx(struct exec_state *st, struct op_ctx *ctx)
{
    op_ctx_init(st, ctx);
}

/* ---- observer spans ---------------------------------------------------- */

void
exec_span_begin(struct exec_state *st, struct exec_span *span, const char *kind,
                const char *name, size_t argc, char *const *argv, const struct src_loc *loc,
                int64_t *out_start_ns)
{
    struct exec_observer *obs = st->app->observer;
    *out_start_ns = 0;
    if (!obs)
        return;
    memset(span, 0, sizeof(*span));
    span->kind = kind;
    span->name = name ? name : kind;
    span->argc = argc;
    span->argv = argv;
    span->depth = st->span_depth++;
    if (loc)
        span->loc = *loc;
    span->parent = st->span;
    st->span = span;
    *out_start_ns = os_clock_mono_ns();
    if (obs->span_start)
        obs->span_start(obs, span);
}

void
exec_span_end(struct exec_state *st, struct exec_span *span, int64_t start_ns, bool ok,
              const struct err *err)
{
    struct exec_observer *obs = st->app->observer;
    if (!obs)
        return;
    st->span_depth--;
    st->span = span->parent;
    if (obs->span_end)
        obs->span_end(obs, span, os_clock_mono_ns() - start_ns, ok ? NULL : err);
    for (size_t i = 0; i < span->attr_count; i++) {
        free(span->attrs[i].key);
        free(span->attrs[i].value);
    }
    free(span->attrs);
    span->attrs = NULL;
    span->attr_count = span->attr_cap = 0;
}

static void
span_attr(struct exec_state *st, const char *key, const char *value, bool is_json)
{
    struct exec_span *span = st->span;
    if (!span)
        return;
    span->attrs = xgrow(span->attrs, &span->attr_cap, span->attr_count + 1, sizeof(*span->attrs));
    struct exec_span_attr *a = &span->attrs[span->attr_count++];
    a->key = xstrdup(key);
    a->value = xstrdup(value ? value : "");
    a->is_json = is_json;
}

void
exec_span_attr(struct exec_state *st, const char *key, const char *value)
{
    span_attr(st, key, value, false);
}

void
exec_span_attr_json(struct exec_state *st, const char *key, const char *json)
{
    span_attr(st, key, json, true);
}

