/* src/base/xalloc.h: the two allocation families (STYLE C.5).
 * x*: the host's own bookkeeping; prints the size and aborts on failure.
 * try_*: sizes that untrusted input controls; returns NULL on failure, and
 *        honours PERCH_FAIL_ALLOC_AT=N (fail the Nth call) for fault injection. */
#ifndef PERCH_BASE_XALLOC_H
#define PERCH_BASE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size); /* checks count * size for overflow */
void *xrealloc(void *p, size_t size);
/* Grow-by-doubling helper: returns p resized to hold at least 'need'
 * elements of 'elem_size', updating *cap. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elem_size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
/* printf into a new heap string. */
char *xasprintf(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

void *try_malloc(size_t size);
void *try_calloc(size_t count, size_t size);
void *try_realloc(void *p, size_t size);

#endif
