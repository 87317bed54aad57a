/* xalloc.c: allocation wrappers (see xalloc.h). */
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/progname.h"

static void
die_oom(size_t size)
{
    fprintf(stderr, "%s: fatal: out of memory allocating %zu bytes\n", progname_get(), size);
    abort();
}

void *
xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        die_oom(size);
    return p;
}

void *
xcalloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        die_oom(SIZE_MAX);
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        die_oom(count * size);
    return p;
}

void *
xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        die_oom(size);
    return q;
}

void *
xgrow(void *p, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            die_oom(SIZE_MAX);
        n *= 2;
    }
    if (elem_size && n > SIZE_MAX / elem_size)
        die_oom(SIZE_MAX);
    p = xrealloc(p, n * elem_size);
    *cap = n;
    return p;
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t len)
{
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        die_oom(0);
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* Fault injection: PERCH_FAIL_ALLOC_AT=N makes the Nth try_* call fail. */
static atomic_long fail_countdown = -2; /* -2: not read yet; -1: off */

static int
should_fail(void)
{
    long v = atomic_load(&fail_countdown);
    if (v == -2) {
        const char *s = getenv("PERCH_FAIL_ALLOC_AT");
        long n = s ? strtol(s, NULL, 10) : 0;
        long expected = -2;
        atomic_compare_exchange_strong(&fail_countdown, &expected, n > 0 ? n : -1);
        v = atomic_load(&fail_countdown);
    }
    if (v < 0)
        return 0;
    return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

void *
try_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *
try_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    if (size && count > SIZE_MAX / size)
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *
try_realloc(void *p, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(p, size ? size : 1);
}
