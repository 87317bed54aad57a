/* src/base/err.h: the one error idiom. A function that can fail returns bool
 * (or NULL) and fills a caller-provided struct err; err_set() returns false so
 * the error call is also the return statement. */
#ifndef PERCH_BASE_ERR_H
#define PERCH_BASE_ERR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
# define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
# define NORETURN __attribute__((noreturn))
#else
# define PRINTF_LIKE(fmt, args)
# define NORETURN
#endif

enum err_kind {
#define ERR_KIND(name, script_name) ERR_##name,
#include "base/err_kinds.def"
#undef ERR_KIND
    ERR_KIND_COUNT
};

struct src_loc {
    const char *file; /* borrowed; lives as long as the loaded program */
    uint32_t line;    /* 1-based; 0 when unknown */
    uint32_t col;     /* 1-based byte column; 0 when unknown */
};

struct err {
    enum err_kind kind; /* ERR_NONE until something fails */
    int code;           /* kind-specific: exit status, errno, byte offset, trap number */
    struct src_loc loc;
    /* Nonzero: the process exit status this failure carries through a
     * wrapper that changes its kind (a module's exit code under `retry`). */
    int exit_status;
    char msg[512]; /* lower-case, no trailing period */
};

/*
 * Record a failure and return false, so that callers can write
 *     return err_set(err, ERR_IO, "cannot open '%s'", path);
 * The first failure wins: if 'err' already holds one, it is kept.
 * 'err' may be NULL (the failure is then only returned).
 */
bool err_set(struct err *err, enum err_kind kind, const char *fmt, ...) PRINTF_LIKE(3, 4);
bool err_setv(struct err *err, enum err_kind kind, const char *fmt, va_list ap) PRINTF_LIKE(3, 0);
/* Like err_set, and also records 'code' (exit status, errno, offset...). */
bool err_set_code(struct err *err, enum err_kind kind, int code, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
/* err_set with kind ERR_IO, code = errnum and ": strerror(errnum)" appended. */
bool err_errno(struct err *err, int errnum, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Prefix the existing message with "prefix: " (no-op when err holds nothing). */
void err_prefix(struct err *err, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Forget any recorded failure. */
void err_clear(struct err *err);
static inline bool
err_is_set(const struct err *err)
{
    return err && err->kind != ERR_NONE;
}
/* The stable script-visible name of a kind ("wasm_trap"). */
const char *err_kind_name(enum err_kind kind);
/* Reverse of err_kind_name; ERR_NONE when unknown. */
enum err_kind err_kind_from_name(const char *name);

/* Programmer errors: print file:line and the message, then abort. */
NORETURN void bug_at(const char *file, int line, const char *fmt, ...) PRINTF_LIKE(3, 4);
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)

#endif
