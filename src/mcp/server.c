/*
 * src/mcp/server.c: the MCP server: lifecycle (initialize with version
 * negotiation, server/discover, ping), tools/list with pagination,
 * tools/call on one thread per call with progress and cancellation, the
 * --audit log, and the stdin reader loop.
 *
 * Threads. The reader (mcp_serve's caller) parses every line and answers
 * everything but a command run itself; each tools/call that runs a command
 * gets a detached thread (at most max_calls at once). Locks, always taken
 * in this order when nested:
 *   call->out_lock   the call's captured output and progress counter
 *   srv->write_lock  one whole message on out_fd
 * srv->lock guards the list of running calls, their 'responded' flags and
 * the count the shutdown waits on; it is never held while writing.
 */
#include "mcp/mcp.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "mcp/mcp_int.h"
#include "os/thread.h"
#include "perch_version.h"

#define META_VERSION_KEY "io.modelcontextprotocol/protocolVersion"
#define PROGRESS_MESSAGE_MAX 16384 /* bytes of one line sent as a progress message */
#define STOP_POLL_MS         50    /* how often a wait looks at the stop flag */

struct mcp_server;

struct mcp_call {
    struct exec_sink sink; /* first member: the run's output arrives here */
    struct mcp_server *srv;
    struct mcp_call *next; /* srv->calls */
    json_t *id;
    json_t *progress_token; /* NULL: no progress notifications */
    enum mcp_version version;
    bool stateless;         /* the request carried a 2026-07-28 _meta */
    const struct lang_command *cmd;
    char tool[MCP_TOOL_NAME_MAX + 1];
    struct exec_args args;
    json_t *arguments; /* as the client sent them, for --audit */
    struct mcp_batch *batch; /* the batch its response belongs to; NULL = none */
    atomic_int interrupt;
    atomic_bool cancelled;
    pthread_mutex_t out_lock;
    struct sbuf out, err; /* kept output, at most MCP_MAX_RESULT_BYTES together */
    size_t dropped;       /* bytes not kept */
    int64_t progress;
    int64_t start_ns;
};

struct mcp_server {
    const struct exec_app *app;
    const struct lang_program *prog;
    struct mcp_tools tools;
    int out_fd;
    FILE *log;
    int max_calls;

    pthread_mutex_t write_lock;
    bool write_failed;

    pthread_mutex_t lock;
    pthread_cond_t idle;
    struct mcp_call *calls;
    int active;
    const atomic_int *stop; /* opts->stop: non-zero = interrupt everything now */
    int stop_fd;            /* readable once *stop is set; -1 = none */

    atomic_int version; /* negotiated by initialize; latest until then */
    atomic_bool initialized; /* an initialize request has been answered */

    FILE *audit;
    pthread_mutex_t audit_lock;
    struct exec_observer audit_observer; /* op and command spans, with --audit */
};

/* The call whose run this thread executes (NULL on other threads, such as
 * parallel branches): ties audit events to the request. */
static _Thread_local const struct mcp_call *current_call;

/*
 * A JSON-RPC batch (2024-11-05 and 2025-03-26 only): the responses to its
 * requests are collected and written as one array once the last one is in
 * (calls answer later, from their threads). 'pending' counts the reader's
 * own reference plus one per call still running.
 */
struct mcp_batch {
    pthread_mutex_t lock;
    json_t *responses;
    int pending;
};

/* Where responses made on this thread go; NULL = straight to the client. */
static _Thread_local struct mcp_batch *current_batch;

/* ---- output ------------------------------------------------------------- */

static bool
write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* Write one message, whole, and free it. */
static void
write_msg(struct mcp_server *srv, json_t *msg)
{
    size_t len;
    char *line = mcp_encode_line(msg, &len);
    json_decref(msg);
    pthread_mutex_lock(&srv->write_lock);
    if (!srv->write_failed && !write_all(srv->out_fd, line, len)) {
        srv->write_failed = true;
        if (srv->log)
            fprintf(srv->log, "perch-mcp: cannot write to the client: %s\n", strerror(errno));
    }
    pthread_mutex_unlock(&srv->write_lock);
    free(line);
}

/* Answer a request: into the current batch when there is one. */
static void
send_msg(struct mcp_server *srv, json_t *msg)
{
    struct mcp_batch *b = current_batch;
    if (!b) {
        write_msg(srv, msg);
        return;
    }
    pthread_mutex_lock(&b->lock);
    json_array_append_new(b->responses, msg);
    pthread_mutex_unlock(&b->lock);
}

/* Drop one reference; the last writes the collected responses (nothing
 * when all were notifications or cancelled calls). */
static void
batch_release(struct mcp_server *srv, struct mcp_batch *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    bool last = --b->pending == 0;
    pthread_mutex_unlock(&b->lock);
    if (!last)
        return;
    if (json_array_size(b->responses))
        write_msg(srv, b->responses);
    else
        json_decref(b->responses);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static void
send_error(struct mcp_server *srv, json_t *id, int code, const char *message)
{
    send_msg(srv, mcp_make_error(id, code, message, NULL));
}

/* ---- audit -------------------------------------------------------------- */

static json_t *
audit_event(const char *name)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[64];
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    json_t *ev = json_object();
    json_object_set_new(ev, "event", json_string(name));
    json_object_set_new(ev, "ts", json_string(when));
    return ev;
}

static void
audit_write(struct mcp_server *srv, json_t *ev)
{
    if (!srv->audit) {
        json_decref(ev);
        return;
    }
    size_t len;
    char *line = mcp_encode_line(ev, &len);
    json_decref(ev);
    pthread_mutex_lock(&srv->audit_lock);
    fwrite(line, 1, len, srv->audit);
    fflush(srv->audit);
    pthread_mutex_unlock(&srv->audit_lock);
    free(line);
}

/* "file", "line" and "column" of 'loc', each only when known. */
static void
set_loc(json_t *obj, const struct src_loc *loc)
{
    if (loc->file && loc->line)
        json_object_set_new(obj, "file", mcp_json_str(loc->file));
    if (loc->line)
        json_object_set_new(obj, "line", json_integer(loc->line));
    if (loc->line && loc->col)
        json_object_set_new(obj, "column", json_integer(loc->col));
}

/* "op" (or "command") events for every span a run closes, like perch's own
 * --audit, plus "call": the request id when the span ran on the call's own
 * thread. */
static void
audit_span_end(struct exec_observer *obs, const struct exec_span *span, int64_t dur_ns,
               const struct err *err)
{
    struct mcp_server *srv =
        (struct mcp_server *)((char *)obs - offsetof(struct mcp_server, audit_observer));
    bool is_command = !strcmp(span->kind, "command");
    json_t *ev = audit_event(is_command ? "command" : "op");
    if (current_call)
        json_object_set(ev, "call", current_call->id);
    json_object_set_new(ev, "kind", mcp_json_str(span->kind));
    if (is_command)
        json_object_set_new(ev, "name", mcp_json_str(span->name));
    json_t *args = json_array();
    for (size_t i = 0; i < span->argc; i++)
        json_array_append_new(args, mcp_json_str(span->argv[i]));
    json_object_set_new(ev, "args", args);
    set_loc(ev, &span->loc);
    json_object_set_new(ev, "dur_ms", json_integer(dur_ns / 1000000));
    json_object_set_new(ev, "ok", json_boolean(!err));
    if (err) {
        json_object_set_new(ev, "error",
                            json_pack("{s:s,s:o}", "kind", err_kind_name(err->kind), "message",
                                      mcp_json_str(err->msg)));
    }
    audit_write(srv, ev);
}

struct exec_observer *
mcp_server_observer(struct mcp_server *srv)
{
    return srv->audit ? &srv->audit_observer : NULL;
}

/* ---- results ------------------------------------------------------------ */

static json_t *
text_content(const char *text, size_t len)
{
    json_t *item = json_object();
    json_object_set_new(item, "type", json_string("text"));
    json_object_set_new(item, "text", mcp_json_text(text, len));
    return json_pack("[o]", item);
}

/* A tools/call result; steals 'structured' (dropped before 2025-06-18). */
static json_t *
tool_result(const char *text, bool is_error, json_t *structured, enum mcp_version v,
            bool stateless)
{
    json_t *r = json_object();
    if (stateless)
        json_object_set_new(r, "resultType", json_string("complete"));
    json_object_set_new(r, "content", text_content(text, strlen(text)));
    if (structured && v >= MCP_V_2025_06_18)
        json_object_set_new(r, "structuredContent", structured);
    else
        json_decref(structured);
    json_object_set_new(r, "isError", json_boolean(is_error));
    return r;
}

static json_t *
plain_result(bool stateless)
{
    json_t *r = json_object();
    if (stateless)
        json_object_set_new(r, "resultType", json_string("complete"));
    return r;
}

/* ---- calls -------------------------------------------------------------- */

static void
call_free(struct mcp_call *c)
{
    if (!c)
        return;
    json_decref(c->id);
    json_decref(c->progress_token);
    json_decref(c->arguments);
    exec_args_release(&c->args);
    pthread_mutex_destroy(&c->out_lock);
    sbuf_release(&c->out);
    sbuf_release(&c->err);
    free(c);
}

static void
send_progress(struct mcp_call *c, const char *line, size_t len)
{
    json_t *params = json_object();
    json_object_set(params, "progressToken", c->progress_token);
    json_object_set_new(params, "progress", json_integer(++c->progress));
    if (c->version >= MCP_V_2025_03_26) {
        if (len > PROGRESS_MESSAGE_MAX) {
            struct sbuf sb;
            sbuf_init(&sb);
            mcp_utf8_append(&sb, line, PROGRESS_MESSAGE_MAX);
            sbuf_addf(&sb, " [line cut: %zu bytes]", len);
            json_object_set_new(params, "message", json_stringn(sb.buf, sb.len));
            sbuf_release(&sb);
        } else {
            json_object_set_new(params, "message", mcp_json_text(line, len));
        }
    }
    write_msg(c->srv, mcp_make_notification("notifications/progress", params));
}

/* The run's sink: keep the output (up to the cap) and stream it as
 * progress. Called with whole lines, possibly from several threads. */
static void
call_sink_write(struct exec_sink *sink, int stream, const char *data, size_t len)
{
    struct mcp_call *c = (struct mcp_call *)sink;
    pthread_mutex_lock(&c->out_lock);
    size_t kept = c->out.len + c->err.len;
    size_t room = kept < MCP_MAX_RESULT_BYTES ? MCP_MAX_RESULT_BYTES - kept : 0;
    size_t take = len < room ? len : room;
    sbuf_add(stream == 1 ? &c->out : &c->err, data, take);
    c->dropped += len - take;
    if (c->progress_token && !atomic_load(&c->cancelled)) {
        const char *p = data, *end = data + len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *stop = nl ? nl : end;
            send_progress(c, p, (size_t)(stop - p));
            p = nl ? nl + 1 : end;
        }
    }
    pthread_mutex_unlock(&c->out_lock);
}

static void
finish_call(struct mcp_call *c, bool ok, const struct err *err_in)
{
    /* A run we interrupted (cancel, a stop signal) may surface as a stopped
     * subprocess (kind timeout): report what happened, a cancellation. */
    struct err cancelled_err;
    const struct err *err = err_in;
    if (!ok && err_in->kind == ERR_TIMEOUT && atomic_load(&c->interrupt)) {
        cancelled_err = *err_in;
        cancelled_err.kind = ERR_CANCELLED;
        err = &cancelled_err;
    }
    struct mcp_server *srv = c->srv;
    int64_t dur_ns = exec_now_ns() - c->start_ns;

    /* Compose the text: stdout then stderr, the truncation note, the error. */
    pthread_mutex_lock(&c->out_lock);
    struct sbuf text;
    sbuf_init(&text);
    mcp_utf8_append(&text, c->out.buf, c->out.len);
    mcp_utf8_append(&text, c->err.buf, c->err.len);
    if (c->dropped) {
        if (text.len && text.buf[text.len - 1] != '\n')
            sbuf_addc(&text, '\n');
        sbuf_addf(&text, "[output truncated: %zu more bytes not shown; a result carries at "
                         "most 1 MiB]\n",
                  c->dropped);
    }
    json_t *structured = json_object();
    json_object_set_new(structured, "ok", json_boolean(ok));
    json_object_set_new(structured, "stdout", mcp_json_text(c->out.buf, c->out.len));
    json_object_set_new(structured, "stderr", mcp_json_text(c->err.buf, c->err.len));
    json_object_set_new(structured, "truncated", json_boolean(c->dropped != 0));
    pthread_mutex_unlock(&c->out_lock);

    json_t *audit = srv->audit ? audit_event("tool_call") : NULL;
    if (!ok) {
        if (text.len && text.buf[text.len - 1] != '\n')
            sbuf_addc(&text, '\n');
        /* Where it failed, as perch's CLI says it: FILE:LINE:COL: error: ... */
        if (err->loc.file && err->loc.line && err->loc.col)
            sbuf_addf(&text, "%s:%u:%u: ", err->loc.file, (unsigned)err->loc.line,
                      (unsigned)err->loc.col);
        else if (err->loc.file && err->loc.line)
            sbuf_addf(&text, "%s:%u: ", err->loc.file, (unsigned)err->loc.line);
        sbuf_addf(&text, "error: %s (%s)\n", err->msg, err_kind_name(err->kind));
        json_t *e = json_object();
        json_object_set_new(e, "kind", json_string(err_kind_name(err->kind)));
        json_object_set_new(e, "message", mcp_json_str(err->msg));
        if (err->code)
            json_object_set_new(e, "code", json_integer(err->code));
        set_loc(e, &err->loc);
        if (audit)
            json_object_set(audit, "error", e);
        json_object_set_new(structured, "error", e);
    }

    bool cancelled = atomic_load(&c->cancelled);
    if (!cancelled) {
        json_t *result = tool_result(text.buf, !ok, structured, c->version, c->stateless);
        send_msg(srv, mcp_make_result(c->id, result));
    } else {
        json_decref(structured);
    }
    sbuf_release(&text);

    if (audit) {
        json_object_set(audit, "call", c->id);
        json_object_set_new(audit, "tool", json_string(c->tool));
        json_object_set_new(audit, "command", mcp_json_str(c->cmd->name));
        json_object_set_new(audit, "args",
                            c->arguments ? json_incref(c->arguments) : json_object());
        json_object_set_new(audit, "dur_ms", json_integer(dur_ns / 1000000));
        json_object_set_new(audit, "ok", json_boolean(ok));
        json_object_set_new(audit, "cancelled", json_boolean(cancelled));
        audit_write(srv, audit);
    }
}

static void *
call_main(void *arg)
{
    struct mcp_call *c = arg;
    struct mcp_server *srv = c->srv;
    struct exec_run_opts opts = { 0 };
    opts.sink = &c->sink;
    opts.interrupt = &c->interrupt;
    struct err err = { 0 };
    current_call = c;
    bool ok = exec_run(srv->app, c->cmd, &c->args, &opts, &err);
    current_call = NULL;
    current_batch = c->batch;
    finish_call(c, ok, &err);
    current_batch = NULL;
    batch_release(srv, c->batch);

    pthread_mutex_lock(&srv->lock);
    for (struct mcp_call **pp = &srv->calls; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    srv->active--;
    pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->lock);
    call_free(c);
    return NULL;
}

/* Start a run on its own thread; on failure answers the request itself.
 * Takes 'args' (moved into the call). */
static void
start_call(struct mcp_server *srv, json_t *id, json_t *progress_token, enum mcp_version v,
           bool stateless, const struct mcp_tool *tool, const struct lang_command *cmd,
           struct exec_args *args, json_t *arguments)
{
    struct mcp_call *c = xcalloc(1, sizeof(*c));
    c->sink.write = call_sink_write;
    c->srv = srv;
    c->id = json_incref(id);
    c->progress_token = progress_token ? json_incref(progress_token) : NULL;
    c->version = v;
    c->stateless = stateless;
    c->cmd = cmd;
    snprintf(c->tool, sizeof(c->tool), "%s", tool->name);
    c->args = *args;
    memset(args, 0, sizeof(*args));
    c->arguments = arguments ? json_deep_copy(arguments) : NULL;
    c->batch = current_batch;
    atomic_init(&c->interrupt, 0);
    atomic_init(&c->cancelled, false);
    pthread_mutex_init(&c->out_lock, NULL);
    sbuf_init(&c->out);
    sbuf_init(&c->err);
    c->start_ns = exec_now_ns();

    pthread_mutex_lock(&srv->lock);
    for (struct mcp_call *o = srv->calls; o; o = o->next) {
        if (json_equal(o->id, id)) {
            pthread_mutex_unlock(&srv->lock);
            call_free(c);
            send_error(srv, id, MCP_INVALID_REQUEST,
                       "invalid request: a request with this id is still running");
            return;
        }
    }
    if (srv->active >= srv->max_calls) {
        int limit = srv->max_calls;
        pthread_mutex_unlock(&srv->lock);
        call_free(c);
        char text[160];
        snprintf(text, sizeof(text),
                 "server busy: %d calls are already running (the limit); try again when one "
                 "has finished\n",
                 limit);
        send_msg(srv, mcp_make_result(id, tool_result(text, true, NULL, v, stateless)));
        return;
    }
    if (c->batch) {
        pthread_mutex_lock(&c->batch->lock);
        c->batch->pending++;
        pthread_mutex_unlock(&c->batch->lock);
    }
    struct os_thread t;
    struct err err = { 0 };
    if (!os_thread_create(&t, 0, call_main, c, &err)) {
        pthread_mutex_unlock(&srv->lock);
        batch_release(srv, c->batch); /* not the last reference: the reader holds one */
        call_free(c);
        send_error(srv, id, MCP_INTERNAL_ERROR, err.msg);
        return;
    }
    pthread_detach(t.handle);
    c->next = srv->calls;
    srv->calls = c;
    srv->active++;
    pthread_mutex_unlock(&srv->lock);
}

static void
cancel_call(struct mcp_server *srv, const json_t *request_id)
{
    if (!request_id)
        return;
    pthread_mutex_lock(&srv->lock);
    for (struct mcp_call *c = srv->calls; c; c = c->next) {
        if (json_equal(c->id, (json_t *)request_id)) {
            atomic_store(&c->cancelled, true);
            atomic_store(&c->interrupt, 1);
        }
    }
    pthread_mutex_unlock(&srv->lock);
}

static bool
stop_requested(const struct mcp_server *srv)
{
    return srv->stop && atomic_load(srv->stop) != 0;
}

/* Interrupted, not cancelled: each still answers (kind cancelled), for a
 * client that is still reading. Called with srv->lock held. */
static void
interrupt_all_locked(struct mcp_server *srv)
{
    for (struct mcp_call *c = srv->calls; c; c = c->next)
        atomic_store(&c->interrupt, 1);
}

void
mcp_server_shutdown(struct mcp_server *srv)
{
    pthread_mutex_lock(&srv->lock);
    interrupt_all_locked(srv);
    while (srv->active > 0)
        pthread_cond_wait(&srv->idle, &srv->lock);
    pthread_mutex_unlock(&srv->lock);
}

void
mcp_server_drain(struct mcp_server *srv)
{
    pthread_mutex_lock(&srv->lock);
    bool interrupted = false;
    while (srv->active > 0) {
        if (!interrupted && stop_requested(srv)) {
            interrupt_all_locked(srv);
            interrupted = true;
        }
        if (srv->stop && !interrupted) {
            /* A signal handler cannot wake a condition variable: look at
             * the stop flag every STOP_POLL_MS meanwhile. */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += STOP_POLL_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&srv->idle, &srv->lock, &until);
        } else {
            pthread_cond_wait(&srv->idle, &srv->lock);
        }
    }
    pthread_mutex_unlock(&srv->lock);
}

/* ---- methods ------------------------------------------------------------ */

static json_t *
server_info(const struct mcp_server *srv, enum mcp_version v)
{
    json_t *info = json_object();
    json_object_set_new(info, "name", json_string("perch-mcp"));
    if (v >= MCP_V_2025_06_18) {
        const char *name = srv->prog->name ? srv->prog->name : "perch";
        json_object_set_new(info, "title", mcp_json_str(name));
    }
    json_object_set_new(info, "version", json_string(PERCH_VERSION));
    return info;
}

static json_t *
capabilities(void)
{
    return json_pack("{s:{s:b}}", "tools", "listChanged", 0);
}

static json_t *
instructions(const struct mcp_server *srv)
{
    const struct lang_program *prog = srv->prog;
    char *text = xasprintf("%s%sEach tool runs one command of %s; perch_list lists them and "
                           "perch_run runs one by name.",
                           prog->about ? prog->about : "", prog->about ? "\n" : "", prog->path);
    json_t *j = mcp_json_str(text);
    free(text);
    return j;
}

static void
do_initialize(struct mcp_server *srv, json_t *id, json_t *params)
{
    json_t *pv = params ? json_object_get(params, "protocolVersion") : NULL;
    if (!json_is_object(params) || !json_is_string(pv)) {
        send_error(srv, id, MCP_INVALID_PARAMS,
                   "invalid params: initialize needs \"protocolVersion\" (a string)");
        return;
    }
    enum mcp_version v;
    if (!mcp_version_from_name(json_string_value(pv), &v) || v > MCP_V_LATEST_HANDSHAKE)
        v = MCP_V_LATEST_HANDSHAKE;
    atomic_store(&srv->version, (int)v);
    json_t *r = json_object();
    json_object_set_new(r, "protocolVersion", json_string(mcp_version_name(v)));
    json_object_set_new(r, "capabilities", capabilities());
    json_object_set_new(r, "serverInfo", server_info(srv, v));
    json_object_set_new(r, "instructions", instructions(srv));
    send_msg(srv, mcp_make_result(id, r));
    atomic_store(&srv->initialized, true);
}

static void
do_discover(struct mcp_server *srv, json_t *id, bool stateless)
{
    json_t *r = plain_result(stateless);
    json_t *versions = json_array();
    for (size_t i = 0; mcp_protocol_versions[i]; i++)
        json_array_append_new(versions, json_string(mcp_protocol_versions[i]));
    json_object_set_new(r, "supportedVersions", versions);
    json_object_set_new(r, "capabilities", capabilities());
    json_object_set_new(r, "serverInfo", server_info(srv, MCP_V_2026_07_28));
    json_object_set_new(r, "instructions", instructions(srv));
    send_msg(srv, mcp_make_result(id, r));
}

/* Cursors are "o<offset>" into the tool list. */
static bool
parse_cursor(const json_t *cursor, size_t count, size_t *out_offset)
{
    if (!cursor || json_is_null(cursor)) {
        *out_offset = 0;
        return true;
    }
    if (!json_is_string(cursor))
        return false;
    const char *s = json_string_value(cursor);
    if (s[0] != 'o' || s[1] < '1' || s[1] > '9')
        return false;
    size_t off = 0;
    for (const char *p = s + 1; *p; p++) {
        if (*p < '0' || *p > '9' || off > count)
            return false;
        off = off * 10 + (size_t)(*p - '0');
    }
    if (off >= count)
        return false;
    *out_offset = off;
    return true;
}

static void
do_tools_list(struct mcp_server *srv, json_t *id, json_t *params, enum mcp_version v,
              bool stateless)
{
    size_t offset;
    if (!parse_cursor(params ? json_object_get(params, "cursor") : NULL, srv->tools.count,
                      &offset)) {
        send_error(srv, id, MCP_INVALID_PARAMS, "invalid params: unknown cursor");
        return;
    }
    size_t end = offset + MCP_PAGE_SIZE;
    if (end > srv->tools.count)
        end = srv->tools.count;
    json_t *list = json_array();
    for (size_t i = offset; i < end; i++)
        json_array_append_new(list,
                              mcp_tool_describe(&srv->tools.items[i], &srv->tools, srv->prog, v));
    json_t *r = plain_result(stateless);
    json_object_set_new(r, "tools", list);
    if (end < srv->tools.count) {
        char next[32];
        snprintf(next, sizeof(next), "o%zu", end);
        json_object_set_new(r, "nextCursor", json_string(next));
    }
    send_msg(srv, mcp_make_result(id, r));
}

static void
tool_error(struct mcp_server *srv, json_t *id, const char *message, enum mcp_version v,
           bool stateless)
{
    char *text = xasprintf("%s\n", message);
    send_msg(srv, mcp_make_result(id, tool_result(text, true, NULL, v, stateless)));
    free(text);
}

static void
do_tools_call(struct mcp_server *srv, json_t *id, json_t *params, enum mcp_version v,
              bool stateless)
{
    json_t *name = params ? json_object_get(params, "name") : NULL;
    if (!json_is_string(name)) {
        send_error(srv, id, MCP_INVALID_PARAMS,
                   "invalid params: tools/call needs \"name\" (a string)");
        return;
    }
    json_t *arguments = json_object_get(params, "arguments");
    if (json_is_null(arguments))
        arguments = NULL;
    if (arguments && !json_is_object(arguments)) {
        send_error(srv, id, MCP_INVALID_PARAMS,
                   "invalid params: \"arguments\" must be an object");
        return;
    }
    const struct mcp_tool *tool = mcp_tools_find_call(&srv->tools, json_string_value(name));
    if (!tool || strlen(json_string_value(name)) != json_string_length(name)) {
        char *msg = xasprintf("invalid params: unknown tool \"%s\": command \"%s\" not declared",
                              json_string_value(name), json_string_value(name));
        send_error(srv, id, MCP_INVALID_PARAMS, msg);
        free(msg);
        return;
    }
    json_t *meta = json_object_get(params, "_meta");
    json_t *token = meta ? json_object_get(meta, "progressToken") : NULL;
    if (token && !json_is_string(token) && !json_is_integer(token))
        token = NULL;

    struct err err = { 0 };
    const struct lang_command *cmd = NULL;
    json_t *cmd_args = arguments;
    if (tool->kind == MCP_TOOL_LIST) {
        if (arguments && json_object_size(arguments)) {
            tool_error(srv, id, "perch_list takes no arguments", v, stateless);
            return;
        }
        char *text = mcp_list_text(srv->prog, &srv->tools);
        json_t *structured = mcp_list_structured(srv->prog, &srv->tools);
        send_msg(srv, mcp_make_result(id, tool_result(text, false, structured, v, stateless)));
        free(text);
        return;
    }
    json_t *merged = NULL;
    if (tool->kind == MCP_TOOL_RUN) {
        /* perch_run {"command": "X", "args": {...}}; "name" is accepted for
         * "command", and arguments may also sit flat beside it. */
        const char *name_key = "command";
        json_t *command = arguments ? json_object_get(arguments, "command") : NULL;
        if (!command && arguments && (command = json_object_get(arguments, "name")))
            name_key = "name";
        if (!command) {
            tool_error(srv, id,
                       "missing required argument \"command\" (or \"name\"): the command to run "
                       "(string)",
                       v, stateless);
            return;
        }
        if (!json_is_string(command)) {
            char *msg = xasprintf("argument \"%s\": expected string", name_key);
            tool_error(srv, id, msg, v, stateless);
            free(msg);
            return;
        }
        json_t *nested = json_object_get(arguments, "args");
        if (json_is_null(nested))
            nested = NULL;
        if (nested && !json_is_object(nested)) {
            tool_error(srv, id, "argument \"args\": expected object", v, stateless);
            return;
        }
        cmd = mcp_find_public_command(srv->prog, &srv->tools, json_string_value(command));
        if (!cmd || strlen(json_string_value(command)) != json_string_length(command)) {
            char *msg = xasprintf("command \"%s\" not declared", json_string_value(command));
            tool_error(srv, id, msg, v, stateless);
            free(msg);
            return;
        }
        merged = nested ? json_copy(nested) : json_object();
        const char *key;
        json_t *value;
        json_object_foreach(arguments, key, value) {
            if (!strcmp(key, name_key) || !strcmp(key, "args"))
                continue;
            if (json_object_get(merged, key)) {
                struct sbuf sb;
                sbuf_init(&sb);
                sbuf_adds(&sb, "argument \"");
                mcp_utf8_append(&sb, key, strlen(key));
                sbuf_adds(&sb, "\" given twice (beside the command and in \"args\")");
                tool_error(srv, id, sb.buf, v, stateless);
                sbuf_release(&sb);
                json_decref(merged);
                return;
            }
            json_object_set(merged, key, value);
        }
        cmd_args = merged;
    } else {
        cmd = tool->cmd;
    }

    struct exec_args args = { 0 };
    if (!mcp_args_from_json(cmd, cmd_args, &args, &err)) {
        exec_args_release(&args);
        json_decref(merged);
        tool_error(srv, id, err.msg, v, stateless);
        return;
    }
    start_call(srv, id, token, v, stateless, tool, cmd, &args, cmd_args);
    exec_args_release(&args);
    json_decref(merged);
}

/*
 * The revision a request speaks: its 2026-07-28 style
 * _meta["io.modelcontextprotocol/protocolVersion"] when present, else the
 * one initialize negotiated. False (after answering) for a bad _meta.
 */
static bool
request_version(struct mcp_server *srv, json_t *id, json_t *params, enum mcp_version *out_v,
                bool *out_stateless)
{
    *out_v = (enum mcp_version)atomic_load(&srv->version);
    *out_stateless = false;
    json_t *meta = json_is_object(params) ? json_object_get(params, "_meta") : NULL;
    if (!meta)
        return true;
    if (!json_is_object(meta)) {
        send_error(srv, id, MCP_INVALID_PARAMS, "invalid params: \"_meta\" must be an object");
        return false;
    }
    json_t *pv = json_object_get(meta, META_VERSION_KEY);
    if (!pv)
        return true;
    if (!json_is_string(pv)) {
        send_error(srv, id, MCP_INVALID_PARAMS,
                   "invalid params: \"" META_VERSION_KEY "\" must be a string");
        return false;
    }
    enum mcp_version v;
    if (!mcp_version_from_name(json_string_value(pv), &v)) {
        json_t *supported = json_array();
        for (size_t i = 0; mcp_protocol_versions[i]; i++)
            json_array_append_new(supported, json_string(mcp_protocol_versions[i]));
        json_t *data = json_pack("{s:o,s:O}", "supported", supported, "requested", pv);
        send_msg(srv, mcp_make_error(id, MCP_UNSUPPORTED_VERSION,
                                     "unsupported protocol version", data));
        return false;
    }
    *out_v = v;
    *out_stateless = v >= MCP_V_2026_07_28;
    return true;
}

static void
handle_request(struct mcp_server *srv, const struct mcp_msg *msg)
{
    json_t *id = msg->id;
    json_t *params = msg->params;
    const char *method = msg->method;
    if (params && !json_is_object(params)) {
        send_error(srv, id, MCP_INVALID_PARAMS, "invalid params: \"params\" must be an object");
        return;
    }
    if (!strcmp(method, "initialize")) {
        do_initialize(srv, id, params);
        return;
    }
    enum mcp_version v;
    bool stateless;
    if (!request_version(srv, id, params, &v, &stateless))
        return;
    /* The lifecycle: before initialize only ping (and the stateless
     * 2026-07-28 style: server/discover, or a request that carries its
     * revision in _meta) is served; anything else is refused, not run. */
    if (!atomic_load(&srv->initialized) && !stateless && strcmp(method, "ping") != 0 &&
        strcmp(method, "server/discover") != 0) {
        struct sbuf sb;
        sbuf_init(&sb);
        sbuf_adds(&sb, "invalid request: \"");
        mcp_utf8_append(&sb, method, strlen(method));
        sbuf_adds(&sb, "\" before initialize (send initialize first; only ping may come before "
                       "it)");
        send_error(srv, id, MCP_INVALID_REQUEST, sb.buf);
        sbuf_release(&sb);
        return;
    }
    if (!strcmp(method, "ping")) {
        send_msg(srv, mcp_make_result(id, plain_result(stateless)));
    } else if (!strcmp(method, "server/discover")) {
        do_discover(srv, id, stateless);
    } else if (!strcmp(method, "tools/list")) {
        do_tools_list(srv, id, params, v, stateless);
    } else if (!strcmp(method, "tools/call")) {
        if (!params) {
            send_error(srv, id, MCP_INVALID_PARAMS,
                       "invalid params: tools/call needs \"name\" (a string)");
            return;
        }
        do_tools_call(srv, id, params, v, stateless);
    } else {
        struct sbuf sb;
        sbuf_init(&sb);
        sbuf_adds(&sb, "method not found: ");
        sbuf_adds(&sb, method);
        send_error(srv, id, MCP_METHOD_NOT_FOUND, sb.buf);
        sbuf_release(&sb);
    }
}

static void
handle_notification(struct mcp_server *srv, const struct mcp_msg *msg)
{
    if (!strcmp(msg->method, "notifications/cancelled")) {
        json_t *rid = json_is_object(msg->params) ? json_object_get(msg->params, "requestId")
                                                  : NULL;
        cancel_call(srv, rid);
    }
    /* notifications/initialized and anything else: nothing to do, no reply. */
}

static void dispatch(struct mcp_server *srv, const struct mcp_msg *msg);

/* A batch: every element handled as a message of its own, the answers
 * collected into one array. Only the revisions that have batches take one. */
static void
handle_batch(struct mcp_server *srv, json_t *array)
{
    enum mcp_version v = (enum mcp_version)atomic_load(&srv->version);
    if (v >= MCP_V_2025_06_18) {
        char text[160];
        snprintf(text, sizeof(text),
                 "invalid request: protocol revision %s has no batches (send one message a "
                 "line)",
                 mcp_version_name(v));
        send_error(srv, NULL, MCP_INVALID_REQUEST, text);
        return;
    }
    struct mcp_batch *b = xcalloc(1, sizeof(*b));
    pthread_mutex_init(&b->lock, NULL);
    b->responses = json_array();
    b->pending = 1;
    current_batch = b;
    size_t i;
    json_t *element;
    json_array_foreach(array, i, element) {
        struct mcp_msg msg;
        mcp_msg_classify(element, &msg);
        if (msg.kind == MCP_MSG_REQUEST && !strcmp(msg.method, "initialize"))
            send_error(srv, msg.id, MCP_INVALID_REQUEST,
                       "invalid request: initialize cannot be part of a batch");
        else
            dispatch(srv, &msg);
        mcp_msg_release(&msg);
    }
    current_batch = NULL;
    batch_release(srv, b);
}

static void
dispatch(struct mcp_server *srv, const struct mcp_msg *msg)
{
    switch (msg->kind) {
    case MCP_MSG_INVALID:
        send_error(srv, msg->id, msg->error_code, msg->error_msg);
        break;
    case MCP_MSG_REQUEST:
        handle_request(srv, msg);
        break;
    case MCP_MSG_NOTIFICATION:
        handle_notification(srv, msg);
        break;
    case MCP_MSG_RESPONSE:
        break;
    case MCP_MSG_INVALID_NOTIFICATION:
        if (srv->log)
            fprintf(srv->log, "perch-mcp: ignoring a malformed notification\n");
        break;
    case MCP_MSG_BATCH:
        handle_batch(srv, msg->root);
        break;
    }
}

void
mcp_server_handle_line(struct mcp_server *srv, const char *line, size_t len)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    size_t start = 0;
    while (start < len && (line[start] == ' ' || line[start] == '\t'))
        start++;
    if (start == len)
        return; /* blank line */
    struct mcp_msg msg;
    mcp_msg_parse(line + start, len - start, &msg);
    dispatch(srv, &msg);
    mcp_msg_release(&msg);
}

/* ---- lifecycle ---------------------------------------------------------- */

struct mcp_server *
mcp_server_new(const struct mcp_server_opts *opts, struct err *err)
{
    FILE *audit = NULL;
    if (opts->audit_path) {
        audit = fopen(opts->audit_path, "ae");
        if (!audit) {
            err_errno(err, errno, "cannot open audit log '%s'", opts->audit_path);
            return NULL;
        }
    }
    struct mcp_server *srv = xcalloc(1, sizeof(*srv));
    srv->app = opts->app;
    srv->prog = opts->app->prog;
    srv->out_fd = opts->out_fd;
    srv->log = opts->log;
    srv->max_calls = opts->max_calls > 0 ? opts->max_calls : MCP_MAX_CALLS_DEFAULT;
    srv->stop = opts->stop;
    srv->stop_fd = opts->stop ? opts->stop_fd : -1;
    srv->audit = audit;
    srv->audit_observer.span_end = audit_span_end;
    pthread_mutex_init(&srv->write_lock, NULL);
    pthread_mutex_init(&srv->lock, NULL);
    pthread_mutex_init(&srv->audit_lock, NULL);
    pthread_cond_init(&srv->idle, NULL);
    atomic_init(&srv->version, (int)MCP_V_LATEST_HANDSHAKE);
    atomic_init(&srv->initialized, false);
    mcp_tools_build(&srv->tools, srv->prog, srv->log);
    if (audit) {
        json_t *ev = audit_event("session_start");
        json_object_set_new(ev, "server", json_string("perch-mcp"));
        json_object_set_new(ev, "version", json_string(PERCH_VERSION));
        json_object_set_new(ev, "file", mcp_json_str(srv->prog->path));
        json_object_set_new(ev, "pid", json_integer((json_int_t)getpid()));
        json_object_set_new(ev, "tools", json_integer((json_int_t)srv->tools.count));
        audit_write(srv, ev);
    }
    return srv;
}

void
mcp_server_free(struct mcp_server *srv)
{
    if (!srv)
        return;
    mcp_server_shutdown(srv);
    if (srv->audit) {
        audit_write(srv, audit_event("session_end"));
        fclose(srv->audit);
    }
    mcp_tools_release(&srv->tools);
    pthread_cond_destroy(&srv->idle);
    pthread_mutex_destroy(&srv->audit_lock);
    pthread_mutex_destroy(&srv->lock);
    pthread_mutex_destroy(&srv->write_lock);
    free(srv);
}

/* Wait until 'in_fd' has input (or EOF, or an error); false once a stop is
 * requested. Without a stop flag the read itself waits. */
static bool
wait_readable(const struct mcp_server *srv, int in_fd)
{
    if (!srv->stop)
        return true;
    for (;;) {
        if (stop_requested(srv))
            return false;
        struct pollfd p[2] = { { .fd = in_fd, .events = POLLIN },
                               { .fd = srv->stop_fd, .events = POLLIN } };
        nfds_t nfds = srv->stop_fd >= 0 ? 2 : 1;
        int r = poll(p, nfds, srv->stop_fd >= 0 ? -1 : STOP_POLL_MS);
        if (stop_requested(srv))
            return false;
        if (r < 0 && errno != EINTR)
            return true; /* let read() report it */
        if (r > 0 && p[0].revents)
            return true;
    }
}

void
mcp_serve(struct mcp_server *srv, int in_fd)
{
    size_t cap = 65536, len = 0;
    char *buf = xmalloc(cap);
    bool skipping = false; /* inside a line that went past MCP_MAX_LINE_BYTES */
    for (;;) {
        if (len == cap) {
            size_t ncap = cap * 2;
            char *nbuf = ncap <= MCP_MAX_LINE_BYTES + 1 ? try_realloc(buf, ncap) : NULL;
            if (!nbuf) {
                /* Too long (or no memory): refuse it and skip to its end. */
                if (!skipping)
                    send_error(srv, NULL, MCP_INVALID_REQUEST,
                               "invalid request: message too large (limit 16 MiB a line)");
                skipping = true;
                len = 0;
            } else {
                buf = nbuf;
                cap = ncap;
            }
        }
        if (!wait_readable(srv, in_fd))
            break;
        ssize_t n = read(in_fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t scan = len;
        len += (size_t)n;
        size_t start = 0;
        for (size_t i = scan; i < len; i++) {
            if (buf[i] != '\n')
                continue;
            if (!skipping)
                mcp_server_handle_line(srv, buf + start, i - start);
            skipping = false;
            start = i + 1;
        }
        if (start) {
            memmove(buf, buf + start, len - start);
            len -= start;
        }
    }
    if (stop_requested(srv)) {
        free(buf);
        mcp_server_shutdown(srv);
        return;
    }
    if (len && !skipping)
        mcp_server_handle_line(srv, buf, len);
    free(buf);
    /* The client closed its end (MCP's stdio shutdown): no more requests,
     * but the calls in flight finish (each bounded by its own deadline)
     * and their responses are written before we return. */
    mcp_server_drain(srv);
}
