/* err.c: recording failures into struct err (see err.h). */
#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
#define ERR_KIND(name, script_name) script_name,
#include "base/err_kinds.def"
#undef ERR_KIND
};

bool
err_setv(struct err *err, enum err_kind kind, const char *fmt, va_list ap)
{
    if (!err || err->kind != ERR_NONE)
        return false;
    err->kind = kind;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return false;
}

bool
err_set(struct err *err, enum err_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_setv(err, kind, fmt, ap);
    va_end(ap);
    return false;
}

bool
err_set_code(struct err *err, enum err_kind kind, int code, const char *fmt, ...)
{
    if (!err || err->kind != ERR_NONE)
        return false;
    va_list ap;
    va_start(ap, fmt);
    err_setv(err, kind, fmt, ap);
    va_end(ap);
    err->code = code;
    return false;
}

bool
err_errno(struct err *err, int errnum, const char *fmt, ...)
{
    if (!err || err->kind != ERR_NONE)
        return false;
    char head[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    char buf[128] = "unknown error";
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    const char *s = strerror_r(errnum, buf, sizeof(buf));
#else
    const char *s = strerror_r(errnum, buf, sizeof(buf)) == 0 ? buf : "unknown error";
#endif
    err->kind = ERR_IO;
    err->code = errnum;
    snprintf(err->msg, sizeof(err->msg), "%s: %s", head, s);
    return false;
}

void
err_prefix(struct err *err, const char *fmt, ...)
{
    if (!err || err->kind == ERR_NONE)
        return;
    char head[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    char old[sizeof(err->msg)];
    memcpy(old, err->msg, sizeof(old));
    snprintf(err->msg, sizeof(err->msg), "%s: %s", head, old);
}

void
err_clear(struct err *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

const char *
err_kind_name(enum err_kind kind)
{
    if ((unsigned)kind >= ERR_KIND_COUNT)
        return "unknown";
    return kind_names[kind];
}

enum err_kind
err_kind_from_name(const char *name)
{
    for (int i = 0; i < ERR_KIND_COUNT; i++)
        if (strcmp(kind_names[i], name) == 0)
            return (enum err_kind)i;
    return ERR_NONE;
}

void
bug_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "BUG: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
