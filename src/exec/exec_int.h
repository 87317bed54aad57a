/*
 * src/exec/exec_int.h: the interpreter's private types, shared by the files
 * of src/exec only. Block handlers elsewhere use the accessors in blocks.h.
 */
#ifndef PERCH_EXEC_EXEC_INT_H
#define PERCH_EXEC_EXEC_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "exec/blocks.h"
#include "exec/exec.h"
#include "exec/output.h"
#include "exec/value.h"
#include "lang/lang.h"

/* Nesting cap for command calls and blocks: the tree walker recurses, so
 * bound it (STYLE C.6). The parser already caps block depth per body. */
#define EXEC_MAX_DEPTH 200

/* How long a `finally` body may run once the deadline that stopped its
 * `try` body has passed. */
#define EXEC_FINALLY_GRACE_NS (INT64_C(5) * 1000000000)

/* One environment overlay entry (with_env, command env, set_env). */
struct exec_env_entry {
    char *key;   /* owned */
    char *value; /* owned; NULL hides the variable */
};

/*
 * Everything that changes while commands run, owned by one thread.
 * A `parallel` branch gets its own (exec_state_fork).
 */
struct exec_state {
    const struct exec_app *app;      /* borrowed, read-only */
    const struct lang_program *prog; /* borrowed, read-only */
    struct exec_scope *autos;        /* owned: script_dir, os, ... (root of the chain) */
    struct exec_scope *globals;      /* owned: top-level bindings; parent = autos */
    struct exec_scope *scope;        /* innermost scope; a command call owns its own */
    char *cwd;                       /* owned, absolute */
    struct exec_env_entry *env;      /* overlays, oldest first; the last match wins */
    size_t env_count, env_cap;
    unsigned deny_caps;        /* enum op_cap bits denied; only ever grows inside a block */
    int64_t deadline_ns;       /* CLOCK_MONOTONIC; 0 = none */
    char deadline_label[48];   /* for messages: "timeout \"2s\"" or "--max-runtime 30" */
    atomic_int *interrupt;     /* borrowed; may be NULL */
    struct exec_out out_base;  /* this state's line buffer */
    struct exec_out *out;      /* where prints go now (a capture swaps it) */
    int depth;                 /* command calls + blocks currently active */
    const struct lang_command *cmd; /* the command whose body is running */
    char fail_op[64];          /* the op that produced the current error ("" = none) */
    int span_depth;            /* spans currently open in this state */
    struct exec_span *span;    /* innermost open span (only with an observer) */
    int stdin_fd;              /* what ops read as stdin (app's, or a pipe stage's input) */
    struct sbuf scratch;       /* lookup results that are computed (cwd) */
    int in_requires;           /* > 0 while a `requires` entry is interpolated: its own
                                * ${HOME} is the author's, not a checked env read */
};

/* exec.c */
struct exec_state *exec_state_new(const struct exec_app *app, const struct exec_run_opts *opts,
                                  struct err *err);
bool exec_run_stmt(struct exec_state *st, const struct lang_stmt *stmt, struct err *err);
bool exec_call_command(struct exec_state *st, const struct lang_command *cmd, int argc,
                       char *const *argv, struct sbuf *capture, struct err *err);
/* Bind err.kind / err.message / err.code / err.op in the current scope. */
void exec_bind_err(struct exec_state *st, const struct err *e);

/* Open / close an observer span (no-ops without an observer). */
void exec_span_begin(struct exec_state *st, struct exec_span *span, const char *kind,
                     const char *name, size_t argc, char *const *argv, const struct src_loc *loc,
                     int64_t *out_start_ns);
void exec_span_end(struct exec_state *st, struct exec_span *span, int64_t start_ns, bool ok,
                   const struct err *err);

/* Collect what the current body prints on stdout into 'into' (stderr
 * still goes out) until exec_capture_end. Nests. */
struct exec_capture {
    struct exec_sink base;
    pthread_mutex_t lock; /* protects 'into' (parallel branches may write) */
    struct sbuf *into;
    struct exec_sink *pass; /* where stderr goes */
    struct exec_out out;    /* the line buffer in front of this capture */
    struct exec_out *saved; /* the state's previous line buffer */
};
void exec_capture_begin(struct exec_state *st, struct exec_capture *cap, struct sbuf *into);
void exec_capture_end(struct exec_state *st, struct exec_capture *cap);
/* Run one statement; an op call that is not a capture appends its value
 * (if it has one) to 'value' instead of dropping it. Used by `pipe`. */
bool exec_run_stmt_value(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *value,
                         struct err *err);

/* caps.c: the absolute directory of the file that declared something
 * (a command's `dir`, a requirement path); new string. */
char *exec_declaring_dir(struct exec_state *st, const char *file);

/* After a failure: the kind becomes `cancelled` / `timeout` when the run
 * was interrupted or the deadline has passed (message and code kept). */
void exec_classify_stop(struct exec_state *st, struct err *err);
/* Is 'name' a bin declared in `requires` (callable as a statement)? */
bool exec_is_declared_bin(const struct lang_program *prog, const char *name);

/* args.c */
bool exec_args_bind(struct exec_state *st, const struct lang_command *cmd,
                    const struct exec_args *args, struct exec_scope *scope, struct err *err);

/* auto.c */
void exec_autos_fill(struct exec_state *st, struct exec_scope *autos);
const char *exec_host_env(const struct exec_app *app, const char *name);
const char *exec_os_name(void);
const char *exec_arch_name(void);

/* cond.c */
bool exec_cond(struct exec_state *st, const struct lang_cond *cond, bool *out, struct err *err);

#endif
