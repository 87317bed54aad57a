/* sbuf.c: growable strings (see sbuf.h). */
#include "base/sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/progname.h"
#include "base/xalloc.h"

char sbuf_empty[1];

void
sbuf_init(struct sbuf *sb)
{
    sb->buf = sbuf_empty;
    sb->len = 0;
    sb->cap = 0;
}

void
sbuf_release(struct sbuf *sb)
{
    if (sb->cap)
        free(sb->buf);
    sbuf_init(sb);
}

static void
die_too_large(void)
{
    fprintf(stderr, "%s: fatal: string too large\n", progname_get());
    abort();
}

void
sbuf_grow(struct sbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need < sb->len)
        die_too_large();
    if (need <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need) {
        if (cap > ((size_t)-1) / 2)
            die_too_large();
        cap *= 2;
    }
    if (sb->cap == 0) {
        sb->buf = xmalloc(cap);
        sb->buf[0] = '\0';
    } else {
        sb->buf = xrealloc(sb->buf, cap);
    }
    sb->cap = cap;
}

void
sbuf_add(struct sbuf *sb, const void *data, size_t len)
{
    if (len == 0)
        return;
    sbuf_grow(sb, len);
    memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void
sbuf_adds(struct sbuf *sb, const char *s)
{
    sbuf_add(sb, s, strlen(s));
}

void
sbuf_addc(struct sbuf *sb, char c)
{
    sbuf_grow(sb, 1);
    sb->buf[sb->len++] = c;
    sb->buf[sb->len] = '\0';
}

void
sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n <= 0)
        return;
    sbuf_grow(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void
sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

void
sbuf_reset(struct sbuf *sb)
{
    sbuf_setlen(sb, 0);
}

void
sbuf_setlen(struct sbuf *sb, size_t len)
{
    if (sb->cap == 0)
        return;
    if (len > sb->len)
        len = sb->len;
    sb->len = len;
    sb->buf[len] = '\0';
}

void
sbuf_rtrim(struct sbuf *sb, const char *chars)
{
    size_t n = sb->len;
    while (n > 0 && strchr(chars, sb->buf[n - 1]) && sb->buf[n - 1] != '\0')
        n--;
    sbuf_setlen(sb, n);
}

char *
sbuf_detach(struct sbuf *sb, size_t *out_len)
{
    char *p;
    if (out_len)
        *out_len = sb->len;
    if (sb->cap == 0)
        p = xstrdup("");
    else
        p = sb->buf;
    sbuf_init(sb);
    return p;
}
