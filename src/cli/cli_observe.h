/*
 * src/cli/cli_observe.h: the --trace / --report / --audit observers
 * (see cli_observe.c), one struct that the interpreter sees as a single
 * struct exec_observer.
 */
#ifndef PERCH_CLI_CLI_OBSERVE_H
#define PERCH_CLI_CLI_OBSERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "exec/exec.h"

struct report_node;

struct cli_observers {
    struct exec_observer base;     /* first: the interpreter's view */
    pthread_mutex_t lock;          /* protects the report nodes and audit writes */
    struct exec_sink *trace_sink;  /* --trace: where trace lines go; NULL = off */
    bool report;                   /* --report */
    const char *report_path;       /* NULL: stderr */
    struct report_node *nodes;     /* --report: spans in start order */
    size_t node_count, node_cap;
    int audit_fd;                  /* --audit: O_APPEND fd; -1 = off */
    int64_t start_ns;
};

/* False (after printing why) when the audit file cannot be opened. */
bool cli_observers_init(struct cli_observers *o, const struct cli_opts *opts,
                        struct exec_sink *sink);
bool cli_observers_active(const struct cli_observers *o);
void cli_observers_session_start(struct cli_observers *o, const char *file, int argc,
                                 char **argv);
/* Prints the report (when asked) and writes session_end. */
void cli_observers_session_end(struct cli_observers *o, int status, const struct err *err);
void cli_observers_release(struct cli_observers *o);

#endif
