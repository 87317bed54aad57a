/*
 * cli_observe.c: the observers behind --trace, --report and --audit.
 *
 *   --trace          each span live on stderr: "▸ kind "preview"" when it
 *                    starts, "✓ (dur)" or "✗ error (dur)" when it ends,
 *                    indented by depth; through the shared output sink, so
 *                    trace lines and command output never tear each other
 *   --report[=PATH]  the span tree with durations after the run (stderr or
 *                    PATH)
 *   --audit FILE     NDJSON appended to FILE: session_start, one "op" event
 *                    per op or block (kind, args, dur_ms, ok, error),
 *                    session_end
 *
 * Spans can arrive from several threads (parallel branches): every
 * observer takes its own lock.
 */
#include "cli/cli_observe.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#define PREVIEW_MAX 60
#define NO_NODE     SIZE_MAX

/* `"first argument"` shortened to PREVIEW_MAX characters, one line. */
static void
add_preview(struct sbuf *sb, const struct exec_span *span)
{
    const char *src = !strcmp(span->kind, "command") ? span->name
                      : span->argc                  ? span->argv[0]
                                                    : NULL;
    if (!src)
        return;
    bool quote = strcmp(span->kind, "command") != 0;
    sbuf_addc(sb, ' ');
    if (quote)
        sbuf_addc(sb, '"');
    size_t n = 0;
    for (const char *p = src; *p; p++, n++) {
        if (n == PREVIEW_MAX) {
            sbuf_adds(sb, "\u2026");
            break;
        }
        if (*p == '\n')
            sbuf_adds(sb, "\\n");
        else
            sbuf_addc(sb, *p);
    }
    if (quote)
        sbuf_addc(sb, '"');
}

static void
add_indent(struct sbuf *sb, int depth)
{
    for (int i = 0; i < depth; i++)
        sbuf_adds(sb, "  ");
}

/* First line of an error message (a parallel error lists the rest). */
static void
add_err(struct sbuf *sb, const struct err *err)
{
    const char *nl = strchr(err->msg, '\n');
    sbuf_add(sb, err->msg, nl ? (size_t)(nl - err->msg) : strlen(err->msg));
}

/* ---- --trace ------------------------------------------------------------ */

static void
trace_start(struct exec_observer *obs, const struct exec_span *span)
{
    struct cli_observers *o = (struct cli_observers *)obs;
    struct sbuf line = SBUF_INIT;
    add_indent(&line, span->depth);
    sbuf_addf(&line, "\u25b8 %s", span->kind);
    add_preview(&line, span);
    sbuf_addc(&line, '\n');
    exec_sink_write(o->trace_sink, 2, line.buf, line.len);
    sbuf_release(&line);
}

static void
trace_end(struct cli_observers *o, const struct exec_span *span, int64_t dur_ns,
          const struct err *err)
{
    char dur[DURATION_FORMAT_MAX];
    duration_format(dur_ns, dur, sizeof(dur));
    struct sbuf line = SBUF_INIT;
    add_indent(&line, span->depth);
    if (err) {
        sbuf_adds(&line, "\u2717 ");
        add_err(&line, err);
        sbuf_addf(&line, " (%s)\n", dur);
    } else {
        sbuf_addf(&line, "\u2713 (%s)\n", dur);
    }
    exec_sink_write(o->trace_sink, 2, line.buf, line.len);
    sbuf_release(&line);
}

/* ---- --report ----------------------------------------------------------- */

struct report_node {
    const struct exec_span *span; /* while open; NULL once closed */
    char *label;                  /* "kind preview" */
    int depth;
    size_t parent;             /* index of the enclosing span's node; NO_NODE at the top */
    size_t first_child, last_child, next_sibling; /* the tree, in start order */
    int64_t dur_ns;
    bool ok;
    char *error;
};

static void
report_start(struct cli_observers *o, const struct exec_span *span)
{
    struct sbuf label = SBUF_INIT;
    sbuf_adds(&label, span->kind);
    add_preview(&label, span);
    pthread_mutex_lock(&o->lock);
    o->nodes = xgrow(o->nodes, &o->node_cap, o->node_count + 1, sizeof(*o->nodes));
    struct report_node *n = &o->nodes[o->node_count++];
    memset(n, 0, sizeof(*n));
    n->span = span;
    n->label = sbuf_detach(&label, NULL);
    n->depth = span->depth;
    n->parent = n->first_child = n->last_child = n->next_sibling = NO_NODE;
    /* The parent is the open node of span->parent (parallel branches open
     * spans from other threads under the block's span). */
    size_t self = o->node_count - 1;
    for (size_t i = self; span->parent && i > 0; i--) {
        struct report_node *p = &o->nodes[i - 1];
        if (p->span != span->parent)
            continue;
        n->parent = i - 1;
        if (p->last_child == NO_NODE)
            p->first_child = self;
        else
            o->nodes[p->last_child].next_sibling = self;
        p->last_child = self;
        break;
    }
    pthread_mutex_unlock(&o->lock);
}

static void
report_end(struct cli_observers *o, const struct exec_span *span, int64_t dur_ns,
           const struct err *err)
{
    pthread_mutex_lock(&o->lock);
    for (size_t i = o->node_count; i > 0; i--) {
        struct report_node *n = &o->nodes[i - 1];
        if (n->span != span)
            continue;
        n->span = NULL;
        n->dur_ns = dur_ns;
        n->ok = err == NULL;
        if (err) {
            struct sbuf e = SBUF_INIT;
            add_err(&e, err);
            n->error = sbuf_detach(&e, NULL);
        }
        break;
    }
    pthread_mutex_unlock(&o->lock);
}

static void
report_print(struct cli_observers *o)
{
    FILE *f = stderr;
    if (o->report_path) {
        f = fopen(o->report_path, "w");
        if (!f) {
            fprintf(stderr, "perch: --report: cannot write '%s': %s\n", o->report_path,
                    strerror(errno));
            return;
        }
    }
    fputs("report:\n", f);
    /* Depth first along the tree: each span, then its children in start
     * order. Top-level spans are the nodes without a parent. */
    for (size_t top = 0; top < o->node_count; top++) {
        if (o->nodes[top].parent != NO_NODE)
            continue;
        size_t i = top;
        while (i != NO_NODE) {
            const struct report_node *n = &o->nodes[i];
            char dur[DURATION_FORMAT_MAX];
            duration_format(n->dur_ns, dur, sizeof(dur));
            fprintf(f, "%*s%s %s (%s)", 2 + 2 * n->depth, "", n->ok ? "\u2713" : "\u2717", n->label, dur);
            if (n->error)
                fprintf(f, ": %s", n->error);
            fputc('\n', f);
            /* Next: the first child, else the next sibling of this node or
             * of the nearest ancestor below 'top' that has one. */
            if (n->first_child != NO_NODE) {
                i = n->first_child;
                continue;
            }
            while (i != top && o->nodes[i].next_sibling == NO_NODE) {
                i = o->nodes[i].parent;
            }
            i = i == top ? NO_NODE : o->nodes[i].next_sibling;
        }
    }
    if (f != stderr)
        fclose(f);
}

/* ---- --audit ------------------------------------------------------------ */

static void
audit_write(struct cli_observers *o, json_t *event)
{
    char *text = json_dumps(event, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(event);
    if (!text)
        return;
    size_t len = strlen(text);
    text[len] = '\n';
    /* One write per event on an O_APPEND descriptor: lines from concurrent
     * perch processes do not interleave either. */
    pthread_mutex_lock(&o->lock);
    ssize_t n = write(o->audit_fd, text, len + 1);
    (void)n;
    pthread_mutex_unlock(&o->lock);
    free(text);
}

static json_t *
now_json(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[40];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             ts.tv_nsec / 1000000);
    return json_string(buf);
}

static void
audit_end(struct cli_observers *o, const struct exec_span *span, int64_t dur_ns,
          const struct err *err)
{
    json_t *ev = json_object();
    json_object_set_new(ev, "event", json_string(!strcmp(span->kind, "command") ? "command"
                                                                                : "op"));
    json_object_set_new(ev, "ts", now_json());
    json_object_set_new(ev, "kind", json_string(span->kind));
    if (!strcmp(span->kind, "command"))
        json_object_set_new(ev, "name", json_string(span->name));
    json_t *args = json_array();
    for (size_t i = 0; i < span->argc; i++)
        json_array_append_new(args, json_string(span->argv[i]));
    json_object_set_new(ev, "args", args);
    if (span->loc.file) {
        json_object_set_new(ev, "file", json_string(span->loc.file));
        json_object_set_new(ev, "line", json_integer(span->loc.line));
    }
    json_object_set_new(ev, "depth", json_integer(span->depth));
    json_object_set_new(ev, "dur_ms", json_real((double)dur_ns / 1e6));
    json_object_set_new(ev, "ok", json_boolean(err == NULL));
    if (err) {
        json_object_set_new(ev, "error", json_string(err->msg));
        json_object_set_new(ev, "error_kind", json_string(err_kind_name(err->kind)));
    }
    /* Details the op or block attached (wasm_run: sha256, argv, mounts...). */
    for (size_t i = 0; i < span->attr_count; i++) {
        const struct exec_span_attr *a = &span->attrs[i];
        json_t *v = a->is_json ? json_loads(a->value, JSON_DECODE_ANY, NULL) : NULL;
        json_object_set_new(ev, a->key, v ? v : json_string(a->value));
    }
    audit_write(o, ev);
}

/* ---- the multiplexer ---------------------------------------------------- */

static void
obs_start(struct exec_observer *obs, const struct exec_span *span)
{
    struct cli_observers *o = (struct cli_observers *)obs;
    if (o->trace_sink)
        trace_start(obs, span);
    if (o->report)
        report_start(o, span);
}

static void
obs_end(struct exec_observer *obs, const struct exec_span *span, int64_t dur_ns,
        const struct err *err)
{
    struct cli_observers *o = (struct cli_observers *)obs;
    if (o->trace_sink)
        trace_end(o, span, dur_ns, err);
    if (o->report)
        report_end(o, span, dur_ns, err);
    if (o->audit_fd >= 0)
        audit_end(o, span, dur_ns, err);
}

bool
cli_observers_init(struct cli_observers *o, const struct cli_opts *opts, struct exec_sink *sink)
{
    memset(o, 0, sizeof(*o));
    o->base.span_start = obs_start;
    o->base.span_end = obs_end;
    pthread_mutex_init(&o->lock, NULL);
    o->audit_fd = -1;
    if (opts->trace)
        o->trace_sink = sink;
    o->report = opts->report;
    o->report_path = opts->report_path;
    if (o->report_path) {
        /* Fail before anything runs rather than lose the report after the run. */
        int fd = open(o->report_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "perch: --report: cannot write '%s': %s\n", o->report_path,
                    strerror(errno));
            return false;
        }
        close(fd);
    }
    if (opts->audit_path) {
        o->audit_fd = open(opts->audit_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (o->audit_fd < 0) {
            fprintf(stderr, "perch: --audit: cannot open '%s': %s\n", opts->audit_path,
                    strerror(errno));
            return false;
        }
    }
    o->start_ns = exec_now_ns();
    return true;
}

bool
cli_observers_active(const struct cli_observers *o)
{
    return o->trace_sink || o->report || o->audit_fd >= 0;
}

void
cli_observers_session_start(struct cli_observers *o, const char *file, int argc, char **argv)
{
    if (o->audit_fd < 0)
        return;
    json_t *ev = json_object();
    json_object_set_new(ev, "event", json_string("session_start"));
    json_object_set_new(ev, "ts", now_json());
    json_object_set_new(ev, "perch", json_string(PERCH_VERSION));
    json_object_set_new(ev, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(ev, "file", json_string(file));
    json_t *a = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(a, json_string(argv[i]));
    json_object_set_new(ev, "argv", a);
    audit_write(o, ev);
}

void
cli_observers_session_end(struct cli_observers *o, int status, const struct err *err)
{
    if (o->report)
        report_print(o);
    if (o->audit_fd < 0)
        return;
    json_t *ev = json_object();
    json_object_set_new(ev, "event", json_string("session_end"));
    json_object_set_new(ev, "ts", now_json());
    json_object_set_new(ev, "ok", json_boolean(status == 0));
    json_object_set_new(ev, "exit_code", json_integer(status));
    json_object_set_new(ev, "dur_ms", json_real((double)(exec_now_ns() - o->start_ns) / 1e6));
    if (err && err_is_set(err)) {
        json_object_set_new(ev, "error", json_string(err->msg));
        json_object_set_new(ev, "error_kind", json_string(err_kind_name(err->kind)));
    }
    audit_write(o, ev);
}

void
cli_observers_release(struct cli_observers *o)
{
    for (size_t i = 0; i < o->node_count; i++) {
        free(o->nodes[i].label);
        free(o->nodes[i].error);
    }
    free(o->nodes);
    if (o->audit_fd >= 0)
        close(o->audit_fd);
    pthread_mutex_destroy(&o->lock);
}
