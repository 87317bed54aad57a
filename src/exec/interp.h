/*
 * src/exec/interp.h: string interpolation over a word's parts.
 *
 * The parser has already split each word into LITERAL, VAR (`${name}`) and
 * CALL (`${fn(a, 'lit')}`) parts, with `\${` turned into literal text. This
 * runs just before an op runs, once: literal parts and substituted values
 * are copied, never scanned again, so a value containing "${x}" stays
 * literally "${x}" and `$(...)` reaches the shell untouched.
 */
#ifndef PERCH_EXEC_INTERP_H
#define PERCH_EXEC_INTERP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "lang/lang.h"

/* Where interpolation gets its names and calls from. */
struct exec_interp_env {
    /* The text bound to 'name', or NULL when unbound. Borrowed: valid until
     * the next lookup or call. A lookup that is refused (not merely unbound)
     * returns NULL with 'err' set, and that error is reported instead. */
    const char *(*lookup)(void *self, const char *name, struct err *err);
    /* Call the pure op 'name'; its value goes to 'out'. Returns false with
     * 'err' filled when the op is unknown, not pure or fails. */
    bool (*call)(void *self, const char *name, size_t argc, char **argv, struct sbuf *out,
                 struct err *err);
    void *self;
};

/*
 * Append the value of 'word' to 'out'. An unknown name fails with
 * ERR_UNRESOLVED_VAR ("unresolved variable 'x'") located at the `${`, a
 * refused one with the lookup's error, located the same way.
 * 'out' may hold partial output on failure.
 */
bool exec_interp_word(const struct exec_interp_env *env, const struct lang_word *word,
                      struct sbuf *out, struct err *err);

#endif
