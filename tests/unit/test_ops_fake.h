/*
 * test_ops_fake.h: a fake interpreter for op unit tests. It provides an
 * op_ctx whose cwd is a fresh temporary directory, an environment table,
 * output captured per stream, and a `requires` check that can be told to
 * deny one kind of subject. Included by the test_ops_*.c programs only.
 */
#ifndef PERCH_TESTS_UNIT_TEST_OPS_FAKE_H
#define PERCH_TESTS_UNIT_TEST_OPS_FAKE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "ops/ops.h"
#include "os/fs.h"

#define FAKE_MAX_ENV  32
#define FAKE_MAX_ARGS 16

struct fake {
    struct op_ctx ctx;
    char *dir;               /* the temporary cwd */
    char *env[FAKE_MAX_ENV]; /* "K=V" */
    size_t env_count;
    struct sbuf out[3]; /* [1] stdout, [2] stderr */
    int output_calls;
    bool has_deny; /* deny checks of 'deny_what' */
    enum op_check deny_what;
    const char *deny_subject; /* when set, deny only this subject */
    char last_subject[512];   /* subject of the last check */
    int check_count;
    atomic_int interrupt;
};

static const char *
fake_getenv(void *self, const char *name)
{
    struct fake *f = self;
    size_t n = strlen(name);
    for (size_t i = 0; i < f->env_count; i++)
        if (strncmp(f->env[i], name, n) == 0 && f->env[i][n] == '=')
            return f->env[i] + n + 1;
    return NULL;
}

static void
fake_setenv(void *self, const char *name, const char *value)
{
    struct fake *f = self;
    size_t n = strlen(name);
    for (size_t i = 0; i < f->env_count; i++) {
        if (strncmp(f->env[i], name, n) == 0 && f->env[i][n] == '=') {
            free(f->env[i]);
            f->env[i] = xasprintf("%s=%s", name, value);
            return;
        }
    }
    if (f->env_count < FAKE_MAX_ENV)
        f->env[f->env_count++] = xasprintf("%s=%s", name, value);
}

static char **
fake_envp(void *self)
{
    struct fake *f = self;
    char **envp = xcalloc(f->env_count + 1, sizeof(char *));
    for (size_t i = 0; i < f->env_count; i++)
        envp[i] = xstrdup(f->env[i]);
    return envp;
}

static void
fake_output(void *self, int stream, const char *data, size_t len)
{
    struct fake *f = self;
    if (stream == 1 || stream == 2)
        sbuf_add(&f->out[stream], data, len);
    f->output_calls++;
}

static bool
fake_check(void *self, enum op_check what, const char *subject, struct err *err)
{
    struct fake *f = self;
    f->check_count++;
    snprintf(f->last_subject, sizeof(f->last_subject), "%s", subject);
    if (f->has_deny && what == f->deny_what
        && (!f->deny_subject || strcmp(f->deny_subject, subject) == 0)) {
        static const enum err_kind kinds[] = { ERR_BIN_NOT_DECLARED, ERR_ENV_NOT_DECLARED,
                                               ERR_HOST_NOT_DECLARED, ERR_READ_NOT_DECLARED,
                                               ERR_WRITE_NOT_DECLARED };
        return err_set(err, kinds[what], "'%s' is not declared in requires", subject);
    }
    return true;
}

static void
fake_list_commands(void *self, struct sbuf *out)
{
    (void)self;
    sbuf_adds(out, "build\ntest\n");
}

static const struct op_ctx_vtable fake_vt = {
    .getenv = fake_getenv,
    .setenv = fake_setenv,
    .envp = fake_envp,
    .output = fake_output,
    .check = fake_check,
    .list_commands = fake_list_commands,
};

static inline void
fake_init(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    char *tmpl = xasprintf("%s/perch-test-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
    if (!mkdtemp(tmpl))
        abort();
    /* Resolve symlinks (macOS /tmp) so paths compare equal. */
    f->dir = realpath(tmpl, NULL);
    free(tmpl);
    for (int i = 0; i < 3; i++)
        sbuf_init(&f->out[i]);
    const char *path = getenv("PATH");
    f->env[f->env_count++] = xasprintf("PATH=%s", path ? path : "/usr/bin:/bin");
    f->env[f->env_count++] = xasprintf("TMPDIR=%s", f->dir);
    atomic_init(&f->interrupt, 0);
    f->ctx.cwd = f->dir;
    f->ctx.deadline_ns = 0;
    f->ctx.interrupt = &f->interrupt;
    f->ctx.stdin_fd = -1;
    f->ctx.script_dir = f->dir;
    f->ctx.vt = &fake_vt;
    f->ctx.self = f;
}

static inline void
fake_release(struct fake *f)
{
    if (f->dir) {
        os_fs_remove_tree(f->dir, NULL);
        free(f->dir);
    }
    for (size_t i = 0; i < f->env_count; i++)
        free(f->env[i]);
    for (int i = 0; i < 3; i++)
        sbuf_release(&f->out[i]);
    memset(f, 0, sizeof(*f));
}

/* Run op 'name' with the NULL-terminated string arguments that follow.
 * 'out' is reset first; 'err' is cleared first. */
static inline bool
fake_runv(struct fake *f, bool is_captured, struct sbuf *out, struct err *err, const char *name,
          va_list ap)
{
    const struct op_def *def = ops_find(name);
    if (!def) {
        fprintf(stderr, "no op '%s'\n", name);
        abort();
    }
    char *argv[FAKE_MAX_ARGS];
    size_t argc = 0;
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < FAKE_MAX_ARGS)
        argv[argc++] = (char *)a;
    sbuf_reset(out);
    err_clear(err);
    return ops_call(def, &f->ctx, argc, argv, is_captured, out, err);
}

static inline bool
fake_run(struct fake *f, struct sbuf *out, struct err *err, const char *name, ...)
{
    va_list ap;
    va_start(ap, name);
    bool ok = fake_runv(f, true, out, err, name, ap);
    va_end(ap);
    return ok;
}

/* Same, as a statement whose value is not captured. */
static inline bool
fake_run_uncaptured(struct fake *f, struct sbuf *out, struct err *err, const char *name, ...)
{
    va_list ap;
    va_start(ap, name);
    bool ok = fake_runv(f, false, out, err, name, ap);
    va_end(ap);
    return ok;
}

/* "<dir>/<rel>" as a new string. */
static inline char *
fake_path(const struct fake *f, const char *rel)
{
    return xasprintf("%s/%s", f->dir, rel);
}

/* Write a file below the fake cwd, creating its directory (test set-up;
 * aborts on failure). */
static inline void
fake_write(const struct fake *f, const char *rel, const char *content)
{
    char *p = fake_path(f, rel);
    struct err err = { 0 };
    char *slash = strrchr(p, '/');
    *slash = '\0';
    bool made = os_fs_mkdir_p(p, 0755, &err);
    *slash = '/';
    if (!made || !os_fs_write_atomic(p, content, strlen(content), &err)) {
        fprintf(stderr, "set-up: %s\n", err.msg);
        abort();
    }
    free(p);
}

#endif
