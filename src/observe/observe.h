/*
 * src/observe/observe.h: the run observers behind perch's --trace, --report
 * and --audit, as one struct exec_observer for the interpreter.
 *
 *   trace   each span live, through an output sink (stream 2): "▸ kind
 *           "preview"" when it starts, "✓ (dur)" or "✗ error (dur)" when it
 *           ends, indented by depth (trace.c)
 *   report  the span tree with durations, written once the run is over, to
 *           a FILE or atomically to a path (report.c)
 *   audit   NDJSON appended to a file: session_start, one "op" or
 *           "command" event per span, session_end (audit.c)
 *
 * Typical use (src/cli/main_perch.c):
 *
 *     struct observe *obs = observe_new(&opts, &err);   // NULL: say why, exit 2
 *     app.observer = observe_observer(obs);             // NULL when all are off
 *     observe_session_start(obs, file, argc, argv);
 *     ... exec_run(&app, ...) ...
 *     observe_session_end(obs, status, &run_err, &err); // prints the report
 *     observe_free(obs);
 *
 * Spans may arrive from several threads at once (parallel branches); the
 * observer locks what it keeps. The other calls are made by one thread.
 */
#ifndef PERCH_OBSERVE_OBSERVE_H
#define PERCH_OBSERVE_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "exec/exec.h"

/* Characters of a span's first argument shown in trace and report lines. */
#define OBSERVE_PREVIEW_MAX 60

struct observe_opts {
    struct exec_sink *trace_sink; /* trace lines go here (stream 2); NULL = no trace */
    bool report;                  /* keep the span tree and print it at the end */
    const char *report_path;      /* the report's file; NULL = report_out */
    FILE *report_out;             /* without a path; NULL = stderr */
    const char *audit_path;       /* NDJSON appended here; NULL = no audit */
};

struct observe;

/*
 * Start observing. Fails before anything runs, with an ERR_IO 'err'
 * ("--report: cannot write 'PATH': reason" or "--audit: cannot open 'PATH':
 * reason"), when the report file could not be written (it is not created
 * yet; only checked) or the audit file cannot be opened for appending.
 */
struct observe *observe_new(const struct observe_opts *opts, struct err *err);
/* The observer to set as exec_app.observer; NULL when nothing is on. */
struct exec_observer *observe_observer(struct observe *o);
/* Audit: the session_start event (perch's version, pid, file, argv). */
void observe_session_start(struct observe *o, const char *file, int argc, char *const *argv);
/*
 * The run is over with exit 'status' ('run_err' its error, if any): print
 * the report (when on) and write the session_end event. False with 'err'
 * when the report could not be written; a report file is then left as it
 * was (never half-written).
 */
bool observe_session_end(struct observe *o, int status, const struct err *run_err,
                         struct err *err);
/* Close the audit file and free. Accepts NULL. */
void observe_free(struct observe *o);

/*
 * The pieces, for reuse and tests.
 *
 * observe_preview: append " NAME" (a command) or " \"FIRST ARGUMENT\"" (an
 * op or block with arguments; nothing without) to 'sb', on one line and
 * safe for a terminal: newline, carriage return and tab as \n \r \t, other
 * control characters as \xNN, and cut after OBSERVE_PREVIEW_MAX characters
 * (never inside a UTF-8 sequence) with "…".
 */
void observe_preview(struct sbuf *sb, const struct exec_span *span);
/*
 * Replace the file at 'path' with 'len' bytes of 'data' atomically: the
 * bytes go to a new file next to it (same directory, mode 0644 less the
 * umask), which is renamed over 'path' only once written whole. A symlink
 * at 'path' stays: its target is replaced. On any failure the new file is
 * removed, 'path' is as before, and 'err' says why.
 */
bool observe_write_file_atomic(const char *path, const char *data, size_t len, struct err *err);

#endif
