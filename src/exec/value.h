/*
 * src/exec/value.h: interpreter values and scopes.
 *
 * A value is a bool, int, float or string. Values are immutable and copied
 * (a copy is one strdup): every value keeps its canonical text, because
 * interpolation, op arguments and subprocess environments all want text,
 * and the typed view is only needed for comparisons and argument checks.
 *
 * A scope maps names to values and points at its parent. Lookups walk the
 * chain outwards; assignments always land in the innermost scope. Scopes
 * belong to one thread; `parallel` branches get a flattened copy
 * (exec_scope_dup_flat).
 */
#ifndef PERCH_EXEC_VALUE_H
#define PERCH_EXEC_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum exec_vtype {
    EXEC_V_STRING,
    EXEC_V_BOOL,
    EXEC_V_INT,
    EXEC_V_FLOAT,
};

struct exec_value {
    enum exec_vtype type;
    char *text; /* owned, NUL-terminated canonical text; never NULL once set */
    union {
        bool b;
        int64_t i;
        double f;
    } as; /* the typed view, matching 'type' (unused for strings) */
};

/* Constructors fill *out with a new value; release it with exec_value_release. */
void exec_value_string(struct exec_value *out, const char *text);
/* Takes ownership of 'text' (a malloc'd string). */
void exec_value_string_take(struct exec_value *out, char *text);
void exec_value_bool(struct exec_value *out, bool b);
void exec_value_int(struct exec_value *out, int64_t i);
void exec_value_float(struct exec_value *out, double f);
/* A literal as written in a binding (`n = 0`, `ok = true`, `x = 1.5`):
 * true/false → bool, a decimal integer → int, a decimal float → float,
 * anything else → string. Quoted literals should use exec_value_string. */
void exec_value_literal(struct exec_value *out, const char *text);
void exec_value_dup(struct exec_value *out, const struct exec_value *v);
void exec_value_release(struct exec_value *v);

/* Parse 'text' as the given type; false with ERR_TYPE naming 'what' when
 * the text is not a valid value of that type. */
bool exec_value_parse(struct exec_value *out, enum exec_vtype type, const char *text,
                      const char *what, struct err *err);
/* Type names as written in `arg` blocks: "string", "int", "float", "bool". */
const char *exec_vtype_name(enum exec_vtype type);
bool exec_vtype_from_name(const char *name, enum exec_vtype *out);

/* Truthiness of text: false for "", "0", "false", "no", "off" (any case);
 * true otherwise. */
bool exec_text_truthy(const char *text);
/* Strict number parsing of the whole string (leading/trailing blanks allowed). */
bool exec_text_int(const char *text, int64_t *out);
bool exec_text_float(const char *text, double *out);
/*
 * Compare two texts the way `if a < b` does: numerically when both are
 * numbers, else version-aware (split on '.', '-', '+'; a leading 'v' is
 * ignored; numeric parts compare as numbers, others as strings; a missing
 * part is smaller), which for plain words is plain string order.
 * Returns <0, 0 or >0.
 */
int exec_text_compare(const char *a, const char *b);

/* ---- scopes ---------------------------------------------------------- */

struct exec_binding {
    char *name; /* owned */
    struct exec_value value;
};

struct exec_scope {
    struct exec_scope *parent; /* borrowed; outlives this scope; NULL at the root */
    struct exec_binding *items;
    size_t count, cap;
};

struct exec_scope *exec_scope_new(struct exec_scope *parent);
void exec_scope_free(struct exec_scope *scope);
/* Bind 'name' in this scope (replacing an existing binding here); takes
 * ownership of *value (which is left empty). */
void exec_scope_set_take(struct exec_scope *scope, const char *name, struct exec_value *value);
void exec_scope_set_text(struct exec_scope *scope, const char *name, const char *text);
/* Look 'name' up along the chain. Borrowed; valid until the binding changes. */
const struct exec_value *exec_scope_get(const struct exec_scope *scope, const char *name);
/* Only this scope, not its parents. */
const struct exec_value *exec_scope_get_local(const struct exec_scope *scope, const char *name);
void exec_scope_unset_local(struct exec_scope *scope, const char *name);
/* A new root scope holding every binding visible from 'scope' (inner ones
 * winning), stopping before 'stop' (which may be NULL): the copy a
 * `parallel` branch works on. Its parent is 'stop'. */
struct exec_scope *exec_scope_dup_flat(const struct exec_scope *scope,
                                       struct exec_scope *stop);

#endif
