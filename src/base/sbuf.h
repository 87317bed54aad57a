/* src/base/sbuf.h: a growable, always NUL-terminated byte string (git's strbuf). */
#ifndef PERCH_BASE_SBUF_H
#define PERCH_BASE_SBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct sbuf {
    char *buf;  /* never NULL after sbuf_init; buf[len] == '\0' */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated; 0 while buf points at the shared empty string */
};

extern char sbuf_empty[];
#define SBUF_INIT { sbuf_empty, 0, 0 }

void sbuf_init(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
/* Make room for 'extra' more bytes (aborts on out of memory). */
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_add(struct sbuf *sb, const void *data, size_t len);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addc(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 0)))
#endif
    ;
void sbuf_reset(struct sbuf *sb);           /* len = 0, keeps the allocation */
void sbuf_setlen(struct sbuf *sb, size_t len);
/* Remove trailing characters in 'chars' (e.g. "\n" or " \t\r\n"). */
void sbuf_rtrim(struct sbuf *sb, const char *chars);
/* Hand the buffer to the caller (free with free()); sb is re-initialised. */
char *sbuf_detach(struct sbuf *sb, size_t *out_len);

#endif
