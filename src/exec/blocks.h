/*
 * src/exec/blocks.h: block ops (statements with a body) and what their
 * handlers may use from the interpreter.
 *
 * `parallel`, `retry`, `timeout`, `cache`, `sandbox`, `with_env`,
 * `with_cwd`, `wasm_run`, `pipe` are not in the op registry (src/ops): they
 * need the AST of their body. Each is a handler in a small registry keyed by
 * enum lang_block_kind. A handler receives the per-thread exec state, the
 * statement (its own words in stmt->args, its body in stmt->body) and, when
 * the statement is a capture (`x = wasm_run ...`, stmt->target != NULL), an
 * 'out' buffer whose text becomes the captured value. It may run its body
 * with exec_run_body() as often as it likes, narrow the state (deadline,
 * capability mask, cwd, environment) around that call, and restores what it
 * changed before returning.
 *
 * Errors: a handler fills 'err' and returns false; the interpreter adds the
 * statement's location when the handler did not set one.
 *
 * Threads: an exec state belongs to one thread. A handler that runs work on
 * other threads gives each a state of its own (exec_state_fork).
 */
#ifndef PERCH_EXEC_BLOCKS_H
#define PERCH_EXEC_BLOCKS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "lang/lang.h"
#include "ops/ops.h"

struct exec_state;

typedef bool exec_block_fn(struct exec_state *st, const struct lang_stmt *stmt,
                           struct sbuf *out, struct err *err);

struct exec_block_def {
    enum lang_block_kind kind;
    const char *name; /* as written: "parallel" */
    exec_block_fn *fn;
};

/* The handler for a block kind; NULL for LANG_BLOCK_NONE. Immutable table. */
const struct exec_block_def *exec_block_find(enum lang_block_kind kind);

/* ---- the handlers ------------------------------------------------------ */

bool block_parallel(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
                    struct err *err);
bool block_timeout(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
                   struct err *err);
bool block_retry(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
                 struct err *err);
bool block_cache(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
                 struct err *err);
bool block_sandbox(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
                   struct err *err);
bool block_with_env(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
                    struct err *err);
bool block_with_cwd(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
                    struct err *err);
bool block_pipe(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
                struct err *err);
bool block_os_arch(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
                   struct err *err);
/* `wasm_run "m.wasm" | ALIAS ... end` (src/exec/block_wasm.c). Its body's
 * wasm_arg / wasm_env / wasm_mount_read / wasm_mount_write ... lines are
 * LANG_STMT_CALL statements that the handler reads itself (it interpolates
 * their words with exec_word and never runs them as ops). */
bool block_wasm_run(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
                    struct err *err);

/* ---- what handlers may use --------------------------------------------- */

/* Run the statements of 'body' in the current scope. Stops at the first
 * failure. Also fails with ERR_TIMEOUT / ERR_CANCELLED between statements
 * once the deadline has passed or the run is interrupted. */
bool exec_run_body(struct exec_state *st, const struct lang_body *body, struct err *err);

/* Interpolate a word. Returns a new string (caller frees) or NULL with err
 * (ERR_UNRESOLVED_VAR naming the variable, with the word's location). */
char *exec_word(struct exec_state *st, const struct lang_word *word, struct err *err);

/* Build the context an op (or a handler acting like one) runs in: cwd,
 * deadline, interrupt flag, stdin, output and env callbacks of this state.
 * Valid while 'st' is and its cwd is unchanged. */
void exec_op_ctx(struct exec_state *st, struct op_ctx *ctx);

/* Print through the state's line buffer: stream 1 stdout, 2 stderr. */
void exec_print(struct exec_state *st, int stream, const char *data, size_t len);

/* Fail with ERR_SANDBOX_DENIED when 'caps' (enum op_cap bits) intersect
 * the denied mask: "sandbox: 'WHAT' needs shell (denied by no_shell)". */
bool exec_caps_check(struct exec_state *st, unsigned caps, const char *what, struct err *err);
/* The denied mask (enum op_cap bits). A handler narrows it (sets a superset)
 * around its body and puts the saved mask back afterwards. */
unsigned exec_caps_denied(const struct exec_state *st);
void exec_caps_set_denied(struct exec_state *st, unsigned denied);

/* `requires` enforcement for anything (ops, modules). True when allowed or
 * when the program has no requires block. */
bool exec_check_required(struct exec_state *st, enum op_check what, const char *subject,
                         struct err *err);

/* The absolute cwd of this state (borrowed) and a replacement ('dir' is
 * resolved against the current one; the old string is freed, so callers
 * that restore it keep a copy with exec_cwd_dup). */
const char *exec_cwd(const struct exec_state *st);
char *exec_cwd_dup(const struct exec_state *st);
void exec_set_cwd(struct exec_state *st, const char *dir);

/* Environment overlays (with_env, command env): push K=V (value NULL
 * hides K), and pop back to a mark. */
size_t exec_env_mark(const struct exec_state *st);
void exec_env_push(struct exec_state *st, const char *key, const char *value);
void exec_env_pop(struct exec_state *st, size_t mark);
/* Lookup through the overlays, then the (allowlisted) host environment.
 * Borrowed; NULL when unset. */
const char *exec_getenv(struct exec_state *st, const char *name);
/* exec_getenv for a name the script reads (`${NAME}`, `if NAME ...`): with a
 * `requires` block, a host variable that no `env` line declares fails with
 * ERR_ENV_NOT_DECLARED (overlays are the file's own and always visible).
 * NULL without err when the name is unset. */
const char *exec_getenv_checked(struct exec_state *st, const char *name, struct err *err);
/* The environment for a subprocess or module: host (allowlisted), then
 * exported UPPER_CASE bindings, then overlays. Free with op_envp_free. */
char **exec_envp(struct exec_state *st);

/* Deadline (CLOCK_MONOTONIC ns, 0 = none) and interrupt flag. Setting a
 * later deadline than the current one has no effect (deadlines only
 * narrow); exec_deadline_restore puts back a saved value. */
int64_t exec_deadline(const struct exec_state *st);
void exec_deadline_narrow(struct exec_state *st, int64_t deadline_ns, const char *label);
void exec_deadline_restore(struct exec_state *st, int64_t deadline_ns, const char *label);
atomic_int *exec_interrupt(struct exec_state *st);
/* Fails with ERR_TIMEOUT / ERR_CANCELLED when the run must stop. */
bool exec_check_stop(struct exec_state *st, struct err *err);

/* The loaded program, the directory of its main file, perch's stdin fd. */
const struct lang_program *exec_program(const struct exec_state *st);
const char *exec_script_dir(const struct exec_state *st);
int exec_stdin_fd(const struct exec_state *st);

/* Bind a name in the innermost scope (a capture or loop variable). */
void exec_bind(struct exec_state *st, const char *name, const char *text);
/* The text bound to 'name' along the scope chain, or NULL. Borrowed. */
const char *exec_lookup(struct exec_state *st, const char *name);

/* A new state for another thread (a `parallel` branch): same app, program,
 * cwd, overlays, mask and deadline, with a flattened copy of the scope
 * chain and its own line buffer. Free with exec_state_free. */
struct exec_state *exec_state_fork(struct exec_state *st);
void exec_state_free(struct exec_state *st);

/* Attach a detail to the innermost open span (what --audit records for
 * the block or op: e.g. exec_span_attr(st, "sha256", hex) and
 * exec_span_attr_json(st, "argv", "[\"a\",\"b\"]")). No-ops when nothing
 * observes the run. 'json' must be valid JSON text. */
void exec_span_attr(struct exec_state *st, const char *key, const char *value);
void exec_span_attr_json(struct exec_state *st, const char *key, const char *json);

/* Sleep up to 'ns', waking early when the run must stop. False with err
 * when it stopped early. */
bool exec_sleep(struct exec_state *st, int64_t ns, struct err *err);

#endif
