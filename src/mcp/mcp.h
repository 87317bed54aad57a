/*
 * src/mcp/mcp.h: perch-mcp's server, the Model Context Protocol over stdio.
 *
 * The server speaks newline-delimited JSON-RPC 2.0: one message a line on
 * the input, one message a line on the output (nothing else is ever written
 * there; logs go to 'log'). It exposes every public command of a loaded
 * program as a tool (plus perch_list and perch_run), checks arguments
 * against the generated schemas before anything runs, and runs each call on
 * its own thread so that ping and notifications/cancelled are served while
 * commands run.
 *
 * Typical use (main_mcp.c):
 *
 *     struct mcp_server *srv = mcp_server_new(&opts, &err);
 *     mcp_serve(srv, STDIN_FILENO);   // until EOF; running calls finish
 *     mcp_server_free(srv);
 *
 * Shutdown follows MCP's stdio transport: the client closes stdin, the
 * server stops reading, lets the calls in flight finish (each has its own
 * deadline), writes their responses and returns. A stop request (opts.stop,
 * set by perch-mcp on SIGINT / SIGTERM / SIGHUP) interrupts every call at
 * once instead: each answers with an error of kind cancelled.
 */
#ifndef PERCH_MCP_MCP_H
#define PERCH_MCP_MCP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "exec/exec.h"

/* Calls that may run at once; a call beyond this gets an isError result. */
#define MCP_MAX_CALLS_DEFAULT 8
/* Bytes of output (stdout then stderr) a tool result carries at most. */
#define MCP_MAX_RESULT_BYTES ((size_t)1 << 20)
/* Bytes of one input line; a longer message is refused (-32600). */
#define MCP_MAX_LINE_BYTES ((size_t)16 << 20)
/* Tools per tools/list page. */
#define MCP_PAGE_SIZE 100

struct mcp_server_opts {
    const struct exec_app *app; /* borrowed; app->prog is the program served */
    int out_fd;                 /* where protocol messages go (stdout) */
    FILE *log;                  /* diagnostics (stderr); NULL = silent */
    const char *audit_path;     /* --audit: NDJSON events appended; NULL = none */
    int max_calls;              /* 0 = MCP_MAX_CALLS_DEFAULT */
    /* Stop now (a signal): when *stop becomes non-zero, mcp_serve stops
     * reading, interrupts every call and returns once they have answered.
     * NULL = no stop requests. stop_fd (used only with 'stop'; -1 = none)
     * must become readable when *stop is set, so a waiting read wakes at
     * once; without it the flag is looked at every 50 ms. */
    const atomic_int *stop;
    int stop_fd;
};

struct mcp_server;

/* Build the tool table from the program (no command runs). Fails only when
 * the audit file cannot be opened. */
struct mcp_server *mcp_server_new(const struct mcp_server_opts *opts, struct err *err);
/* Interrupt every running call, wait for them, and free. Accepts NULL. */
void mcp_server_free(struct mcp_server *srv);

/* Handle one message ('line' without its newline; need not be
 * NUL-terminated). Responses are written to out_fd, whole, under one lock;
 * a tools/call starts a thread and returns at once. */
void mcp_server_handle_line(struct mcp_server *srv, const char *line, size_t len);

/* Read lines from 'in_fd' and handle them until EOF (or a read error),
 * then wait for the running calls to finish and answer (mcp_server_drain).
 * When opts.stop is set instead, stop reading at once, interrupt the
 * running calls and wait for them (mcp_server_shutdown). */
void mcp_serve(struct mcp_server *srv, int in_fd);

/* With --audit: the observer that logs every op and command span of the
 * runs (an "op" / "command" event each). Set it as the app's observer
 * before serving; NULL without an audit log. */
struct exec_observer *mcp_server_observer(struct mcp_server *srv);

/* Interrupt every running call and wait for them to finish (each still
 * sends its response: an error of kind cancelled unless it had finished). */
void mcp_server_shutdown(struct mcp_server *srv);
/* Wait for the running calls to finish on their own and send their
 * responses; if opts.stop is set meanwhile, interrupt them as
 * mcp_server_shutdown does. */
void mcp_server_drain(struct mcp_server *srv);

/* The protocol versions we speak, oldest first, NULL-terminated. */
extern const char *const mcp_protocol_versions[];

#endif
