/*
 * src/exec/exec.h: the interpreter's public interface, for the front ends
 * (cli, testrun, mcp).
 *
 * A front end fills a struct exec_app once (the loaded program, where
 * output goes, the process-wide policy from the command line) and then runs
 * commands with exec_run(). The app is read-only during runs, so several
 * threads may run commands from one app at once (MCP does); everything that
 * changes during a run lives in a per-thread struct exec_state (see
 * blocks.h), never in globals.
 */
#ifndef PERCH_EXEC_EXEC_H
#define PERCH_EXEC_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "exec/output.h"
#include "lang/lang.h"

/*
 * What observers (--trace, --report, --audit, MCP progress) see: one span
 * per command call, op call and block, opened when it starts and closed
 * when it ends. Every pointer is borrowed for the duration of the callback;
 * a span's address is the same in its start and end calls and unique among
 * the spans open at that moment.
 */
/* A detail a block handler or op caller attaches to the span it runs in
 * (wasm_run: the module's sha256, argv, env names, mounts, exit code). */
struct exec_span_attr {
    char *key;    /* owned */
    char *value;  /* owned; text, or JSON when 'is_json' */
    bool is_json;
};

struct exec_span {
    const char *kind;          /* op or block name ("write_file", "parallel"), or "command" */
    const char *name;          /* the command's name for kind "command"; else = kind */
    size_t argc;               /* interpolated arguments (ops; blocks: their own words) */
    char *const *argv;
    int depth;                 /* nesting among this run's spans; 0 = the top command */
    struct src_loc loc;        /* the statement */
    struct exec_span_attr *attrs; /* added while the span is open; seen by span_end */
    size_t attr_count, attr_cap;
    struct exec_span *parent;  /* the enclosing span in this state; NULL at the top */
};

/* Observer callbacks; any may be NULL. They can be called from several
 * threads at once (parallel branches), so an observer locks what it keeps. */
struct exec_observer {
    void (*span_start)(struct exec_observer *obs, const struct exec_span *span);
    /* 'err' is NULL on success. */
    void (*span_end)(struct exec_observer *obs, const struct exec_span *span, int64_t dur_ns,
                     const struct err *err);
};

/* Process-wide facts and policy, set up once by main(). */
struct exec_app {
    const struct lang_program *prog; /* borrowed; outlives every run */
    struct exec_sink *sink;          /* where output lines go (borrowed) */
    unsigned deny_caps;              /* enum op_cap bits denied everywhere (--no-shell ...) */
    /* --env A,B: only these host variables are visible (has_env_allow);
     * an empty list hides the whole host environment. */
    const char *const *env_allow;
    size_t env_allow_count;
    bool has_env_allow;
    int64_t max_runtime_ns; /* --max-runtime; 0 = none */
    int jobs;               /* --jobs; 0 = CPU count */
    int stdin_fd;           /* what subprocesses and modules read; -1 = empty */
    const char *exe_path;   /* absolute path of the perch binary; may be NULL */
    atomic_int *interrupt;  /* set by Ctrl-C / cancellation; may be NULL */
    const char *const *host_env; /* the host environment ("K=V"), NULL-terminated; borrowed */
    struct exec_observer *observer; /* spans go here; may be NULL */
    /* A built binary (perch --build): where its files were extracted and the
     * payload's SHA-256, for the bundle_dir / bundle_hash auto variables.
     * NULL outside a bundle (both are then ""). */
    const char *bundle_dir;
    const char *bundle_hash;
    /* A built binary: the bytes of an embedded file, by its absolute path
     * under bundle_dir (true, with data and len set, when the bundle holds it).
     * `wasm_run ALIAS` runs such a module straight from these bytes, which
     * live as long as the process. NULL outside a bundle. */
    bool (*bundle_file)(void *user, const char *abs_path, const uint8_t **data, size_t *len);
    void *bundle_user;
};

/* Arguments for one command, by name, before type checks. */
struct exec_arg_value {
    const char *name;  /* borrowed: the lang_arg's name */
    char *value;       /* owned text */
};

struct exec_args {
    struct exec_arg_value *items;
    size_t count, cap;
    char **extra; /* proxy_args: words passed through, owned */
    size_t extra_count, extra_cap;
};

void exec_args_release(struct exec_args *args);
/* Set (or replace) an argument by its declared name; false with ERR_USAGE
 * when the command has no such argument. */
bool exec_args_set(struct exec_args *args, const struct lang_command *cmd, const char *name,
                   const char *value, struct err *err);

/*
 * Read command-line style arguments for 'cmd': positionals by `index`,
 * `-name=value`, `--name=value`, `--name value`, `--flag` for bools (and
 * `--no-flag`), any order, `--` ends flags; a `rest` arg takes the remaining
 * positionals joined by newlines. Fails with ERR_USAGE naming the arg.
 * (Types are checked later, by exec_run.)
 */
bool exec_args_parse(const struct lang_command *cmd, int argc, const char *const *argv,
                     struct exec_args *out, struct err *err);

/* Check given arguments against 'cmd' before running: types, and required
 * args that have no default. ERR_USAGE naming the arg and the value. The
 * same checks happen again in exec_run; this lets a front end reject bad
 * input (exit 2, MCP error) before anything runs. */
bool exec_args_check(const struct lang_command *cmd, const struct exec_args *args,
                     struct err *err);

/* Per-run options; zero-initialise and set what you need. */
struct exec_run_opts {
    const char *cwd;        /* absolute starting directory; NULL = process cwd */
    unsigned deny_caps;     /* denied in addition to app->deny_caps */
    int64_t timeout_ns;     /* 0 = none (app->max_runtime_ns still applies) */
    struct exec_sink *sink; /* NULL = app->sink */
    atomic_int *interrupt;  /* NULL = app->interrupt */
    /* CLOCK_MONOTONIC start of what app->max_runtime_ns bounds, when that
     * is more than this one run (`perch test` runs every test under one
     * budget); 0 = this run's start. */
    int64_t max_runtime_since_ns;
};

/*
 * Run 'cmd' with 'args' (type-checked against its arg blocks, defaults
 * applied). Output goes to the sink. Returns false with 'err' on failure:
 * err->loc is the failing statement, err->kind the script-visible kind,
 * err->code a module's exit code for ERR_WASM_EXIT. Top-level `catch`
 * blocks have run by then.
 */
bool exec_run(const struct exec_app *app, const struct lang_command *cmd,
              const struct exec_args *args, const struct exec_run_opts *opts, struct err *err);

/* The exit status a front end should use for a failed run: 124 for a
 * timeout, the module's code for wasm_exit, 130 when cancelled, else 1. */
int exec_exit_status(const struct err *err);

/* The candidate closest to 'word' (a typo away: edit distance at most a
 * third of its length, and at least 2), or NULL. Borrowed from 'candidates'. */
const char *exec_suggest(const char *word, const char *const *candidates, size_t count);

/* CLOCK_MONOTONIC now, in ns. */
int64_t exec_now_ns(void);

/* Parse "no_shell,no_network,no_subprocess,no_write" into enum op_cap
 * bits; ERR_USAGE naming an unknown flag. */
bool exec_caps_parse(const char *flags, unsigned *out_caps, struct err *err);

#endif
