/*
 * src/os/spawn.h: run a program with an explicit argv, cwd and environment.
 *
 * The parent process never changes its own cwd or environment: the working
 * directory is applied in the child (posix_spawn_file_actions_addchdir_np
 * where available, else fork + chdir + exec) and the environment is passed
 * whole. The child runs in its own process group, so a timeout can stop it
 * and everything it started: SIGTERM to the group, then SIGKILL after a
 * grace period. (Exception: when stdin is a terminal the child stays in the
 * caller's group so that it may read the terminal; then only the child
 * itself is signalled.) stdout and stderr come back through pipes and are handed
 * to a callback in whole lines, so concurrent runs never tear a line.
 */
#ifndef PERCH_OS_SPAWN_H
#define PERCH_OS_SPAWN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

/* Time between SIGTERM and SIGKILL when a run is stopped. */
#define OS_SPAWN_GRACE_NS (INT64_C(2) * 1000000000)

/* Receives output of stream 1 (stdout) or 2 (stderr). 'data' holds one or
 * more whole lines ending in '\n'; only the final chunk of a stream may lack
 * the newline, and a line longer than 64 KiB arrives in pieces. */
typedef void os_spawn_output_fn(void *arg, int stream, const char *data, size_t len);

struct os_spawn {
    const char *program;           /* path to execute: absolute, or relative to 'cwd' */
    const char *const *argv;       /* NULL-terminated; argv[0] is what the program sees */
    const char *const *envp;       /* NULL-terminated "K=V"; NULL means an empty environment */
    const char *cwd;               /* working directory of the child; NULL = the parent's */
    int stdin_fd;                  /* becomes the child's fd 0; -1 = /dev/null */
    int64_t deadline_ns;           /* CLOCK_MONOTONIC; 0 = none */
    atomic_int *interrupt;         /* stop the child once non-zero; may be NULL */
    int64_t grace_ns;              /* SIGTERM → SIGKILL delay; 0 = OS_SPAWN_GRACE_NS */
    os_spawn_output_fn *on_output; /* NULL discards output */
    void *output_arg;
};

struct os_spawn_result {
    int exit_code;    /* the child's exit status when 'signal' is 0 */
    int signal;       /* signal that ended the child, or 0 */
    bool timed_out;   /* stopped because the deadline passed */
    bool interrupted; /* stopped because *interrupt was set */
};

/*
 * Start the program, forward its output, wait for it. Returns false only
 * when the program could not be started (kind ERR_NOT_FOUND for a missing
 * program or cwd, else ERR_IO); a non-zero exit, a signal, a timeout or an
 * interruption are reported in 'out' with a true return. Thread-safe: any
 * number of threads may run children at once.
 */
bool os_spawn_run(const struct os_spawn *spec, struct os_spawn_result *out, struct err *err);

/*
 * Run 'count' programs as a pipeline: each stage's stdout feeds the next
 * stage's stdin; stages[0].stdin_fd feeds the first; the last stage's
 * stdout and every stage's stderr reach the first stage's on_output. The
 * deadline, interrupt flag and grace period of stages[0] govern the whole
 * pipeline, and all stages share one process group, so a timeout stops
 * them together. Each stage's argv, envp and cwd are its own. out[i] is
 * stage i's result; timed_out / interrupted are set on all of them. Fails
 * like os_spawn_run when a stage cannot start (the started ones are killed).
 */
bool os_spawn_pipeline(const struct os_spawn *stages, size_t count, struct os_spawn_result *out,
                       struct err *err);

/*
 * Find 'name' the way a shell would: a name containing '/' is taken
 * relative to 'cwd'; otherwise each directory of 'path_env' (the PATH value
 * the child will see; NULL or "" → "/usr/local/bin:/usr/bin:/bin") is tried
 * for an executable regular file. Returns a new absolute path or NULL with
 * ERR_NOT_FOUND.
 */
char *os_spawn_find_program(const char *name, const char *path_env, const char *cwd,
                            struct err *err);

/* Value of 'name' in an envp array, or NULL. */
const char *os_envp_get(const char *const *envp, const char *name);

#endif
