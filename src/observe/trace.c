/*
 * trace.c: --trace, each span live on stderr through the shared output sink
 * (so trace lines and command output never tear each other), and the span
 * preview that trace and report lines share.
 */
#include "observe/observe_int.h"

#include <string.h>

#include "base/duration.h"
#include "exec/output.h"

void
observe_preview(struct sbuf *sb, const struct exec_span *span)
{
    bool is_command = !strcmp(span->kind, "command");
    const char *src = is_command ? span->name : span->argc ? span->argv[0] : NULL;
    if (!src)
        return;
    sbuf_addc(sb, ' ');
    if (!is_command)
        sbuf_addc(sb, '"');
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        bool starts_char = (*p & 0xC0) != 0x80; /* not a UTF-8 continuation byte */
        if (starts_char && chars++ == OBSERVE_PREVIEW_MAX) {
            sbuf_adds(sb, "\u2026");
            break;
        }
        if (*p == '\n')
            sbuf_adds(sb, "\\n");
        else if (*p == '\r')
            sbuf_adds(sb, "\\r");
        else if (*p == '\t')
            sbuf_adds(sb, "\\t");
        else if (*p < 0x20 || *p == 0x7F)
            sbuf_addf(sb, "\\x%02X", *p);
        else
            sbuf_addc(sb, (char)*p);
    }
    if (!is_command)
        sbuf_addc(sb, '"');
}

void
observe_add_err(struct sbuf *sb, const struct err *err)
{
    const char *nl = strchr(err->msg, '\n');
    sbuf_add(sb, err->msg, nl ? (size_t)(nl - err->msg) : strlen(err->msg));
}

static void
add_indent(struct sbuf *sb, int depth)
{
    for (int i = 0; i < depth; i++)
        sbuf_adds(sb, "  ");
}

void
observe_trace_start(struct observe *o, const struct exec_span *span)
{
    struct sbuf line = SBUF_INIT;
    add_indent(&line, span->depth);
    sbuf_addf(&line, "\u25b8 %s", span->kind);
    observe_preview(&line, span);
    sbuf_addc(&line, '\n');
    exec_sink_write(o->trace_sink, 2, line.buf, line.len);
    sbuf_release(&line);
}

void
observe_trace_end(struct observe *o, const struct exec_span *span, int64_t dur_ns,
                  const struct err *err)
{
    char dur[DURATION_FORMAT_MAX];
    duration_format(dur_ns, dur, sizeof(dur));
    struct sbuf line = SBUF_INIT;
    add_indent(&line, span->depth);
    if (err) {
        sbuf_adds(&line, "\u2717 ");
        observe_add_err(&line, err);
        sbuf_addf(&line, " (%s)\n", dur);
    } else {
        sbuf_addf(&line, "\u2713 (%s)\n", dur);
    }
    exec_sink_write(o->trace_sink, 2, line.buf, line.len);
    sbuf_release(&line);
}
