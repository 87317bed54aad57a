/*
 * audit.c: --audit FILE, NDJSON appended to FILE: session_start, one "op"
 * (or "command") event per span with kind, args, file:line, dur_ms, ok,
 * error and the attributes the op attached, then session_end. One write()
 * per event on an O_APPEND descriptor, so lines from concurrent perch
 * processes do not interleave either.
 *
 * Strings are JSON-escaped by jansson; bytes that are not UTF-8 (a Latin-1
 * file name) become U+FFFD, so a value is never dropped from the event.
 */
#include "observe/observe_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "os/clock.h"
#include "perch_version.h"

/* Length of the valid UTF-8 sequence at s[0..len), or 0 if there is none. */
static size_t
utf8_seq_len(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n;
    unsigned min;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, min = 0x80, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, min = 0x800, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* A JSON string of 's', each byte that is not part of valid UTF-8 replaced
 * by U+FFFD. */
static json_t *
jstr(const char *s)
{
    if (!s)
        return NULL; /* json_object_set_new leaves the field out */
    json_t *v = json_string(s);
    if (v)
        return v;
    struct sbuf fixed = SBUF_INIT;
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(p + i, len - i);
        if (n) {
            sbuf_add(&fixed, p + i, n);
            i += n;
        } else {
            sbuf_adds(&fixed, "\xEF\xBF\xBD");
            i++;
        }
    }
    v = json_stringn(fixed.buf, fixed.len);
    sbuf_release(&fixed);
    return v ? v : json_string("");
}

static void
audit_write(struct observe *o, json_t *event)
{
    char *text = json_dumps(event, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(event);
    if (!text)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* over the NUL: json_dumps's buffer is ours */
    os_mutex_lock(&o->lock);
    ssize_t n = write(o->audit_fd, text, len + 1);
    (void)n;
    os_mutex_unlock(&o->lock);
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

void
observe_audit_span(struct observe *o, const struct exec_span *span, int64_t dur_ns,
                   const struct err *err)
{
    bool is_command = !strcmp(span->kind, "command");
    json_t *ev = json_object();
    json_object_set_new(ev, "event", json_string(is_command ? "command" : "op"));
    json_object_set_new(ev, "ts", now_json());
    json_object_set_new(ev, "kind", jstr(span->kind));
    if (is_command)
        json_object_set_new(ev, "name", jstr(span->name));
    json_t *args = json_array();
    for (size_t i = 0; i < span->argc; i++)
        json_array_append_new(args, jstr(span->argv[i]));
    json_object_set_new(ev, "args", args);
    if (span->loc.file) {
        json_object_set_new(ev, "file", jstr(span->loc.file));
        json_object_set_new(ev, "line", json_integer(span->loc.line));
        if (span->loc.col)
            json_object_set_new(ev, "column", json_integer(span->loc.col));
    }
    json_object_set_new(ev, "depth", json_integer(span->depth));
    json_object_set_new(ev, "dur_ms", json_real((double)dur_ns / 1e6));
    json_object_set_new(ev, "ok", json_boolean(err == NULL));
    if (err) {
        json_object_set_new(ev, "error", jstr(err->msg));
        json_object_set_new(ev, "error_kind", json_string(err_kind_name(err->kind)));
    }
    /* Details the op or block attached (wasm_run: sha256, argv, mounts...). */
    for (size_t i = 0; i < span->attr_count; i++) {
        const struct exec_span_attr *a = &span->attrs[i];
        json_t *v = a->is_json ? json_loads(a->value, JSON_DECODE_ANY, NULL) : NULL;
        json_object_set_new(ev, a->key, v ? v : jstr(a->value));
    }
    audit_write(o, ev);
}

void
observe_audit_session_start(struct observe *o, const char *file, int argc, char *const *argv)
{
    json_t *ev = json_object();
    json_object_set_new(ev, "event", json_string("session_start"));
    json_object_set_new(ev, "ts", now_json());
    json_object_set_new(ev, "perch", json_string(PERCH_VERSION));
    json_object_set_new(ev, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(ev, "file", jstr(file));
    json_t *a = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(a, jstr(argv[i]));
    json_object_set_new(ev, "argv", a);
    audit_write(o, ev);
}

void
observe_audit_session_end(struct observe *o, int status, const struct err *run_err)
{
    json_t *ev = json_object();
    json_object_set_new(ev, "event", json_string("session_end"));
    json_object_set_new(ev, "ts", now_json());
    json_object_set_new(ev, "ok", json_boolean(status == 0));
    json_object_set_new(ev, "exit_code", json_integer(status));
    json_object_set_new(ev, "dur_ms", json_real((double)(os_clock_mono_ns() - o->start_ns) / 1e6));
    if (run_err && err_is_set(run_err)) {
        json_object_set_new(ev, "error", jstr(run_err->msg));
        json_object_set_new(ev, "error_kind", json_string(err_kind_name(run_err->kind)));
    }
    audit_write(o, ev);
}
