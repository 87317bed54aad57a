/*
 * src/observe/observe_int.h: what observe.c, trace.c, report.c and audit.c
 * share; private to src/observe/.
 */
#ifndef PERCH_OBSERVE_OBSERVE_INT_H
#define PERCH_OBSERVE_OBSERVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "observe/observe.h"
#include "os/thread.h"

struct report_node;

struct observe {
    struct exec_observer base;    /* first: the interpreter's view */
    struct os_mutex lock;         /* the report nodes and audit writes */
    struct exec_sink *trace_sink; /* NULL = no trace */
    bool report;
    const char *report_path;      /* borrowed; NULL = report_out */
    FILE *report_out;
    struct report_node *nodes;    /* the report's spans, in start order */
    size_t node_count, node_cap;
    int audit_fd;                 /* O_APPEND; -1 = no audit */
    int64_t start_ns;
};

/* The first line of an error message (a parallel error lists the rest). */
void observe_add_err(struct sbuf *sb, const struct err *err);

/* trace.c */
void observe_trace_start(struct observe *o, const struct exec_span *span);
void observe_trace_end(struct observe *o, const struct exec_span *span, int64_t dur_ns,
                       const struct err *err);

/* report.c */
bool observe_report_check_path(const char *path, struct err *err);
void observe_report_start(struct observe *o, const struct exec_span *span);
void observe_report_end(struct observe *o, const struct exec_span *span, int64_t dur_ns,
                        const struct err *err);
/* The tree as text, "report:\n" first. */
void observe_report_format(const struct observe *o, struct sbuf *out);
bool observe_report_print(struct observe *o, struct err *err);
void observe_report_release(struct observe *o);

/* audit.c */
void observe_audit_span(struct observe *o, const struct exec_span *span, int64_t dur_ns,
                        const struct err *err);
void observe_audit_session_start(struct observe *o, const char *file, int argc,
                                 char *const *argv);
void observe_audit_session_end(struct observe *o, int status, const struct err *run_err);

#endif
