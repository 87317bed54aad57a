/*
 * output.c: line buffers and sinks (see output.h).
 *
 * The invariant that keeps lines whole: a sink only ever receives text that
 * ends in '\n' (apart from the final flush, which adds one), and the fd sink
 * writes each batch under its lock, retrying short writes. Everything above
 * the sink is owned by one thread, so only the sink needs a lock.
 */
#include "exec/output.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void
write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* a closed pipe: nothing useful left to do with output */
        }
        data += n;
        len -= (size_t)n;
    }
}

static void
fd_sink_write(struct exec_sink *base, int stream, const char *data, size_t len)
{
    struct exec_fd_sink *s = (struct exec_fd_sink *)base;
    pthread_mutex_lock(&s->lock);
    write_all(stream == 1 ? s->fd_out : s->fd_err, data, len);
    pthread_mutex_unlock(&s->lock);
}

void
exec_fd_sink_init(struct exec_fd_sink *sink, int fd_out, int fd_err)
{
    sink->base.write = fd_sink_write;
    pthread_mutex_init(&sink->lock, NULL);
    sink->fd_out = fd_out;
    sink->fd_err = fd_err;
}

void
exec_fd_sink_release(struct exec_fd_sink *sink)
{
    if (sink)
        pthread_mutex_destroy(&sink->lock);
}

static void
capture_sink_write(struct exec_sink *base, int stream, const char *data, size_t len)
{
    struct exec_capture_sink *s = (struct exec_capture_sink *)base;
    pthread_mutex_lock(&s->lock);
    sbuf_add(stream == 1 ? &s->out : &s->err, data, len);
    sbuf_add(&s->all, data, len);
    pthread_mutex_unlock(&s->lock);
    exec_sink_write(s->next, stream, data, len);
}

void
exec_capture_sink_init(struct exec_capture_sink *sink, struct exec_sink *next)
{
    sink->base.write = capture_sink_write;
    pthread_mutex_init(&sink->lock, NULL);
    sbuf_init(&sink->out);
    sbuf_init(&sink->err);
    sbuf_init(&sink->all);
    sink->next = next;
}

void
exec_capture_sink_release(struct exec_capture_sink *sink)
{
    if (!sink)
        return;
    pthread_mutex_destroy(&sink->lock);
    sbuf_release(&sink->out);
    sbuf_release(&sink->err);
    sbuf_release(&sink->all);
}

void
exec_out_init(struct exec_out *o, struct exec_sink *sink)
{
    o->sink = sink;
    sbuf_init(&o->partial[0]);
    sbuf_init(&o->partial[1]);
}

void
exec_out_release(struct exec_out *o)
{
    if (!o)
        return;
    exec_out_flush(o);
    sbuf_release(&o->partial[0]);
    sbuf_release(&o->partial[1]);
}

void
exec_out_write(struct exec_out *o, int stream, const char *data, size_t len)
{
    if (stream != 1)
        stream = 2;
    struct sbuf *part = &o->partial[stream - 1];
    const char *last_nl = NULL;
    for (size_t i = len; i > 0; i--) {
        if (data[i - 1] == '\n') {
            last_nl = data + i - 1;
            break;
        }
    }
    if (!last_nl) {
        sbuf_add(part, data, len);
        /* A "line" that never ends (a module printing a huge blob without
         * newlines) must not grow without bound: pass it on in pieces. */
        if (part->len >= EXEC_OUT_MAX_PARTIAL) {
            exec_sink_write(o->sink, stream, part->buf, part->len);
            sbuf_reset(part);
        }
        return;
    }
    size_t head = (size_t)(last_nl + 1 - data);
    if (part->len) {
        /* Join the pending piece with the completed lines: one sink call. */
        sbuf_add(part, data, head);
        exec_sink_write(o->sink, stream, part->buf, part->len);
        sbuf_reset(part);
    } else {
        exec_sink_write(o->sink, stream, data, head);
    }
    sbuf_add(part, data + head, len - head);
}

void
exec_out_flush(struct exec_out *o)
{
    for (int i = 0; i < 2; i++) {
        struct sbuf *part = &o->partial[i];
        if (!part->len)
            continue;
        sbuf_addc(part, '\n');
        exec_sink_write(o->sink, i + 1, part->buf, part->len);
        sbuf_reset(part);
    }
}
