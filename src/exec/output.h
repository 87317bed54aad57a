/*
 * src/exec/output.h: output sinks.
 *
 * Ops never write to fd 1/2: they print through their op_ctx, which lands
 * in the exec state's line buffer (struct exec_out). The buffer hands only
 * whole lines to a sink, so output from concurrent branches never tears a
 * line. Sinks:
 *
 *   - exec_fd_sink: the shared, locked sink that writes to two file
 *     descriptors (perch's stdout and stderr);
 *   - exec_capture_sink: collects what was printed (a capture `x = cmd`,
 *     `perch test` output, later MCP results), optionally passing it on.
 *
 * `--trace`, the audit log and MCP progress plug in as further sinks.
 */
#ifndef PERCH_EXEC_OUTPUT_H
#define PERCH_EXEC_OUTPUT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/sbuf.h"

/* Longest unterminated line a line buffer holds before passing it on in
 * pieces (bounded memory beats whole lines for multi-megabyte lines). */
#define EXEC_OUT_MAX_PARTIAL (64u * 1024)

/* Where lines go. 'write' receives one or more whole lines (each ending in
 * '\n', except possibly the last piece at a final flush), for stream 1
 * (stdout) or 2 (stderr). A sink may be called from several threads. */
struct exec_sink {
    void (*write)(struct exec_sink *sink, int stream, const char *data, size_t len);
};

static inline void
exec_sink_write(struct exec_sink *sink, int stream, const char *data, size_t len)
{
    if (sink && sink->write && len)
        sink->write(sink, stream, data, len);
}

/* Writes to fd_out / fd_err under one lock. */
struct exec_fd_sink {
    struct exec_sink base;
    pthread_mutex_t lock; /* held while a batch of lines is written */
    int fd_out;
    int fd_err;
};

void exec_fd_sink_init(struct exec_fd_sink *sink, int fd_out, int fd_err);
void exec_fd_sink_release(struct exec_fd_sink *sink);

/* Collects output. 'out' holds stream 1, 'err' stream 2 and 'all' both in
 * order. When 'next' is set, everything is also passed on to it, and when
 * 'capture_stdout' is false, stream 1 is passed on but not kept. */
struct exec_capture_sink {
    struct exec_sink base;
    pthread_mutex_t lock; /* protects the three buffers */
    struct sbuf out;
    struct sbuf err;
    struct sbuf all;
    struct exec_sink *next; /* borrowed; may be NULL */
};

void exec_capture_sink_init(struct exec_capture_sink *sink, struct exec_sink *next);
void exec_capture_sink_release(struct exec_capture_sink *sink);

/* The per-thread line buffer in front of a sink (one per exec state). */
struct exec_out {
    struct exec_sink *sink; /* borrowed */
    struct sbuf partial[2]; /* [0] stdout, [1] stderr: text after the last '\n' */
};

void exec_out_init(struct exec_out *o, struct exec_sink *sink);
/* Flushes what is left, then frees the buffers. */
void exec_out_release(struct exec_out *o);
/* Buffer 'data' for 'stream' (1 or 2; anything else means 2) and pass on
 * every completed line. */
void exec_out_write(struct exec_out *o, int stream, const char *data, size_t len);
/* Pass on any unterminated text, adding a newline. */
void exec_out_flush(struct exec_out *o);

#endif
