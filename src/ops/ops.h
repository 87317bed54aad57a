/*
 * src/ops/ops.h: the op registry and the context an op runs in.
 *
 * An op is a named, documented C function over already-interpolated string
 * arguments: `write_file "${dir}/x" "hi"` reaches the op as argv = {"/tmp/x",
 * "hi"}. It returns its value as text in 'out' (a capture `x = op ...` binds
 * it; the declared return type says how to read it), prints through the
 * context's output callback (never to fd 1/2 directly), and reports failure
 * through 'err'.
 *
 * Ops never touch process-wide state: no chdir, no setenv, no reading the C
 * environment directly. Relative paths resolve against ctx->cwd, the
 * environment comes from ctx callbacks, subprocesses get an explicit argv,
 * cwd and envp. That is what lets `parallel` branches run ops concurrently.
 *
 * The interpreter (src/exec) builds a struct op_ctx for each call and checks
 * the op's capability category against the sandbox mask before calling it;
 * unit tests can build one with their own callbacks.
 *
 * Block ops with bodies (if, for_each, parallel, wasm_run, ...) are not in
 * this registry: the interpreter runs them, with the AST in hand.
 */
#ifndef PERCH_OPS_OPS_H
#define PERCH_OPS_OPS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sbuf.h"

/* Capability categories. An op belongs to at most the ones it needs; the
 * sandbox mask (`sandbox "no_shell"`, --no-shell, perch test defaults) denies
 * categories. */
enum op_cap {
    OP_CAP_NONE = 0,
    OP_CAP_SHELL = 1 << 0,      /* runs /bin/sh -c */
    OP_CAP_SUBPROCESS = 1 << 1, /* spawns a program (shell ops have this too) */
    OP_CAP_NETWORK = 1 << 2,    /* talks to the network */
    OP_CAP_WRITE = 1 << 3,      /* changes the filesystem */
};

/* What a `requires` block can be asked about (see op_ctx_vtable.check). */
enum op_check {
    OP_CHECK_BIN,   /* subject: program name as written (e.g. "git") */
    OP_CHECK_ENV,   /* subject: variable name */
    OP_CHECK_HOST,  /* subject: host name of a URL */
    OP_CHECK_READ,  /* subject: absolute path about to be read */
    OP_CHECK_WRITE, /* subject: absolute path about to be written */
};

/* Type of an op's value, for captures and `perch help`. */
enum op_ret {
    OP_RET_NONE,   /* nothing useful; a capture gets "" */
    OP_RET_STRING,
    OP_RET_INT,    /* decimal text */
    OP_RET_BOOL,   /* "true" / "false"; predicates in `if` use this */
    OP_RET_LIST,   /* items one per line (what for_each iterates) */
};

struct op_ctx;

/* Callbacks the interpreter provides. 'self' is op_ctx.self. */
struct op_ctx_vtable {
    /* Variable lookup for the environment: with_env/command env overlays,
     * then the host environment (filtered by an --env allowlist). NULL when unset.
     * The pointer is valid until the op returns. */
    const char *(*getenv)(void *self, const char *name);
    /* set_env: set a variable in the current scope's environment overlay. */
    void (*setenv)(void *self, const char *name, const char *value);
    /* The full environment a subprocess should get, NULL-terminated
     * "K=V" strings; free with op_envp_free(). */
    char **(*envp)(void *self);
    /* Write command output: stream 1 = stdout, 2 = stderr. Data may be any
     * bytes; the sink buffers to whole lines. */
    void (*output)(void *self, int stream, const char *data, size_t len);
    /* `requires` enforcement: true when allowed (always true without a
     * requires block), else false with err kind *_NOT_DECLARED. */
    bool (*check)(void *self, enum op_check what, const char *subject, struct err *err);
    /* Newline-separated public command names (for list_commands). */
    void (*list_commands)(void *self, struct sbuf *out);
};

struct op_ctx {
    const char *cwd;          /* absolute working directory of this scope; never NULL */
    int64_t deadline_ns;      /* CLOCK_MONOTONIC deadline in ns; 0 = none */
    atomic_int *interrupt;    /* non-zero once the run is cancelled or timed out; may be NULL */
    int stdin_fd;             /* fd subprocesses read as stdin; -1 means empty stdin */
    const char *script_dir;   /* directory of the .perch file */
    const struct op_ctx_vtable *vt;
    void *self;
};

/* One call of an op. */
struct op_call {
    struct op_ctx *ctx;
    const struct op_def *def;
    size_t argc;
    char *const *argv;     /* interpolated arguments, argc of them */
    bool is_captured;      /* `x = op ...`: the value is wanted (e.g. don't print it) */
};

/* Returns false with 'err' filled on failure; 'out' receives the value. */
typedef bool op_fn(struct op_call *call, struct sbuf *out, struct err *err);

struct op_def {
    const char *name;   /* "write_file" */
    const char *usage;  /* argument synopsis: "PATH CONTENT" */
    enum op_ret ret;
    unsigned caps;      /* enum op_cap bits */
    const char *doc;    /* one line, lower-case start, no final period */
    int min_args;
    int max_args;       /* -1: unbounded */
    bool is_pure;       /* no effects: callable inside ${...} as name(args) */
    op_fn *fn;
};

/* The registry: every op, sorted by name. Immutable; safe from any thread. */
const struct op_def *ops_find(const char *name);
const struct op_def *ops_all(size_t *out_count);
/* The name of the first category in 'caps' ("shell", "subprocess", "network", "write"). */
const char *ops_cap_name(unsigned caps);

/*
 * One stage of a `pipe` block: a program with its arguments (argv[0] is the
 * program, looked up in the scope's PATH, as `exec` does), or, when
 * 'is_shell', a command line for /bin/sh -c in argv[0].
 */
struct ops_pipe_stage {
    const char *const *argv; /* NULL-terminated */
    bool is_shell;
};

/*
 * Run 'count' stages as a pipeline in the scope of 'ctx': each stage's
 * stdout feeds the next stage's stdin, the first reads ctx->stdin_fd, the
 * last one's stdout goes to 'capture' (trailing newlines trimmed) or, when
 * 'capture' is NULL, to the output callback; stderr of every stage goes to
 * the output callback. Each stage's program (a shell stage's first word) is
 * checked with OP_CHECK_BIN first; the caller checks capabilities. The
 * deadline and interrupt stop every stage (kind `timeout`). When stages
 * fail, the error names the last failing one, as `set -o pipefail` would:
 * kind `shell_failed` for a shell stage, `process_failed` otherwise, and
 * err.code = its exit status.
 */
bool ops_run_pipe(struct op_ctx *ctx, const struct ops_pipe_stage *stages, size_t count,
                  struct sbuf *capture, struct err *err);

/* Helpers for op implementations and callers. */
static inline const char *
op_getenv(struct op_ctx *ctx, const char *name)
{
    return ctx->vt && ctx->vt->getenv ? ctx->vt->getenv(ctx->self, name) : NULL;
}
static inline void
op_output(struct op_ctx *ctx, int stream, const char *data, size_t len)
{
    if (ctx->vt && ctx->vt->output)
        ctx->vt->output(ctx->self, stream, data, len);
}
static inline bool
op_check(struct op_ctx *ctx, enum op_check what, const char *subject, struct err *err)
{
    return ctx->vt && ctx->vt->check ? ctx->vt->check(ctx->self, what, subject, err) : true;
}
void op_envp_free(char **envp);

/*
 * Call 'def' with 'argc' arguments: checks the argument count against
 * min_args/max_args (ERR_USAGE with the op's usage line) and whether the
 * run must stop (ERR_TIMEOUT), then runs the op. 'out' receives the value.
 * The caller has already checked the op's capabilities against the sandbox.
 */
bool ops_call(const struct op_def *def, struct op_ctx *ctx, size_t argc, char *const *argv,
              bool is_captured, struct sbuf *out, struct err *err);
/* Resolve 'path' against ctx->cwd; returns a new string (caller frees). */
char *op_path_resolve(const struct op_ctx *ctx, const char *path);
/* True when the run has been interrupted or the deadline has passed. */
bool op_should_stop(const struct op_ctx *ctx);

#endif
