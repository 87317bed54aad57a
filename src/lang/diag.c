/*
 * diag.c: collecting and printing diagnostics for .perch files.
 *
 * Format (STYLE C.4): `file:line:col: error: message`, then the source line
 * and a caret under the span. At most LANG_MAX_DIAGS are kept; the rest are
 * counted so the summary can say how many were left out. Every string is
 * copied, so diagnostics outlive the program (and its sources) they speak of.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"
#include "base/xalloc.h"
#include "lang/lang_int.h"

void
lang_diags_init(struct lang_diags *diags)
{
    memset(diags, 0, sizeof(*diags));
}

void
lang_diags_release(struct lang_diags *diags)
{
    if (!diags)
        return;
    for (size_t i = 0; i < diags->count; i++) {
        free(diags->items[i].file);
        free(diags->items[i].message);
        free(diags->items[i].source_line);
    }
    free(diags->items);
    memset(diags, 0, sizeof(*diags));
}

static void diags_vadd(struct lang_diags *diags, enum lang_severity severity,
                       const struct src_loc *loc, uint32_t span, const char *line_text,
                       size_t line_len, const char *fmt, va_list ap) PRINTF_LIKE(7, 0);

static void diags_vadd(struct lang_diags *diags, enum lang_severity severity,
                       const struct src_loc *loc, uint32_t span, const char *line_text,
                       size_t line_len, const char *fmt, va_list ap) PRINTF_LIKE(7, 0);

static void
diags_vadd(struct lang_diags *diags, enum lang_severity severity, const struct src_loc *loc,
           uint32_t span, const char *line_text, size_t line_len, const char *fmt, va_list ap)
{
    if (!diags)
        return;
    if (severity == LANG_SEV_ERROR)
        diags->error_count++;
    else
        diags->warning_count++;
    if (diags->count >= LANG_MAX_DIAGS) {
        diags->dropped++;
        return;
    }
    diags->items = xgrow(diags->items, &diags->cap, diags->count + 1, sizeof(*diags->items));
    struct lang_diag *d = &diags->items[diags->count++];
    memset(d, 0, sizeof(*d));
    d->severity = severity;
    d->span = span ? span : 1;
    d->file = xstrdup(loc && loc->file ? loc->file : "<input>");
    d->loc.file = d->file;
    d->loc.line = loc ? loc->line : 0;
    d->loc.col = loc ? loc->col : 0;
    struct sbuf msg = SBUF_INIT;
    sbuf_vaddf(&msg, fmt, ap);
    d->message = sbuf_detach(&msg, NULL);
    if (line_text)
        d->source_line = xstrndup(line_text, line_len);
}

void
lang_diags_add(struct lang_diags *diags, enum lang_severity severity, const struct src_loc *loc,
               uint32_t span, const char *line_text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(diags, severity, loc, span, line_text, line_text ? strlen(line_text) : 0, fmt, ap);
    va_end(ap);
}

void
lang_diag_vsrc(struct lang_diags *diags, enum lang_severity severity, const struct lang_source *src,
               const struct src_loc *loc, uint32_t span, const char *fmt, va_list ap)
{
    const char *line_text = NULL;
    size_t line_len = 0;
    /* Past the cap the line is never shown: skip the scan for it. */
    bool kept = diags && diags->count < LANG_MAX_DIAGS;
    if (kept && src && loc && loc->line > 0) {
        /* Find the start of line 'loc->line'. */
        const char *p = src->text, *end = src->text + src->len;
        for (uint32_t n = 1; n < loc->line && p < end; p++)
            if (*p == '\n')
                n++;
        if (p <= end) {
            const char *e = memchr(p, '\n', (size_t)(end - p));
            line_text = p;
            line_len = (size_t)((e ? e : end) - p);
            if (line_len && line_text[line_len - 1] == '\r')
                line_len--;
        }
    }
    diags_vadd(diags, severity, loc, span, line_text, line_len, fmt, ap);
}

void
lang_diag_src(struct lang_diags *diags, enum lang_severity severity, const struct lang_source *src,
              const struct src_loc *loc, uint32_t span, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lang_diag_vsrc(diags, severity, src, loc, span, fmt, ap);
    va_end(ap);
}

void
lang_diags_print(const struct lang_diags *diags, FILE *out)
{
    for (size_t i = 0; i < diags->count; i++) {
        const struct lang_diag *d = &diags->items[i];
        const char *sev = d->severity == LANG_SEV_ERROR ? "error" : "warning";
        if (d->loc.line == 0) /* about the whole file (cannot open it, ...) */
            fprintf(out, "%s: %s: %s\n", d->file, sev, d->message);
        else
            fprintf(out, "%s:%u:%u: %s: %s\n", d->file, (unsigned)d->loc.line, (unsigned)d->loc.col,
                    sev, d->message);
        if (!d->source_line || d->loc.col == 0)
            continue;
        fprintf(out, "    %s\n    ", d->source_line);
        /* Reproduce tabs so the caret lines up under tab-indented text. */
        size_t line_len = strlen(d->source_line);
        for (uint32_t c = 1; c < d->loc.col; c++) {
            size_t at = c - 1;
            fputc(at < line_len && d->source_line[at] == '\t' ? '\t' : ' ', out);
        }
        fputc('^', out);
        size_t avail = d->loc.col - 1 < line_len ? line_len - (d->loc.col - 1) : 1;
        for (uint32_t s = 1; s < d->span && s < avail; s++)
            fputc('~', out);
        fputc('\n', out);
    }
    if (diags->dropped)
        fprintf(out, "... and %zu more diagnostic%s not shown\n", diags->dropped,
                diags->dropped == 1 ? "" : "s");
}

bool
lang_diags_to_err(const struct lang_diags *diags, struct err *err)
{
    for (size_t i = 0; i < diags->count; i++) {
        const struct lang_diag *d = &diags->items[i];
        if (d->severity != LANG_SEV_ERROR)
            continue;
        if (d->loc.line == 0)
            err_set(err, ERR_PARSE, "%s: %s", d->file, d->message);
        else
            err_set(err, ERR_PARSE, "%s:%u:%u: %s", d->file, (unsigned)d->loc.line,
                    (unsigned)d->loc.col, d->message);
        if (err) {
            err->loc.line = d->loc.line;
            err->loc.col = d->loc.col;
        }
        return false;
    }
    if (diags->error_count)
        return err_set(err, ERR_PARSE, "parse errors");
    return true;
}
