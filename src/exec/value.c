/*
 * value.c: values (typed text) and scopes (name → value maps chained to a
 * parent). See value.h for the model.
 *
 * Scopes are small (a command's args and locals: tens of names), so a flat
 * array with linear search beats a hash map on both code size and speed.
 */
#include "exec/value.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xalloc.h"

void
exec_value_string(struct exec_value *out, const char *text)
{
    out->type = EXEC_V_STRING;
    out->text = xstrdup(text ? text : "");
    out->as.i = 0;
}

void
exec_value_string_take(struct exec_value *out, char *text)
{
    out->type = EXEC_V_STRING;
    out->text = text ? text : xstrdup("");
    out->as.i = 0;
}

void
exec_value_bool(struct exec_value *out, bool b)
{
    out->type = EXEC_V_BOOL;
    out->text = xstrdup(b ? "true" : "false");
    out->as.b = b;
}

void
exec_value_int(struct exec_value *out, int64_t i)
{
    out->type = EXEC_V_INT;
    out->text = xasprintf("%" PRId64, i);
    out->as.i = i;
}

/* Shortest text that reads back as the same double ("1.5", not "1.500000"). */
static char *
float_text(double f)
{
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    /* Plain decimals where people write them so: 1e3 is "1000.0", not
     * "1e+03" (tiny and huge values keep the exponent). */
    if (strpbrk(buf, "eE") && isfinite(f) && fabs(f) >= 1e-4 && fabs(f) < 1e16) {
        for (int dec = 0; dec <= 17; dec++) {
            snprintf(buf, sizeof(buf), "%.*f", dec, f);
            if (strtod(buf, NULL) == f)
                break;
        }
    }
    /* Keep a float looking like a float when it has no fraction. */
    if (isfinite(f) && !strpbrk(buf, ".eE"))
        strcat(buf, ".0");
    return xstrdup(buf);
}

void
exec_value_float(struct exec_value *out, double f)
{
    out->type = EXEC_V_FLOAT;
    out->text = float_text(f);
    out->as.f = f;
}

static const char *
skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static bool
only_blanks(const char *s)
{
    return *skip_blanks(s) == '\0';
}

bool
exec_text_int(const char *text, int64_t *out)
{
    const char *s = skip_blanks(text);
    if (!*s)
        return false;
    /* Only decimal: "010" is ten, "0x10" is not a number. */
    const char *d = s + (*s == '-' || *s == '+');
    if (!isdigit((unsigned char)*d))
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || !only_blanks(end))
        return false;
    for (const char *p = d; p < end; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    *out = (int64_t)v;
    return true;
}

bool
exec_text_float(const char *text, double *out)
{
    const char *s = skip_blanks(text);
    if (!*s)
        return false;
    /* Refuse hex floats, inf and nan: users mean words by those. */
    const char *d = s + (*s == '-' || *s == '+');
    if (!isdigit((unsigned char)*d) && !(*d == '.' && isdigit((unsigned char)d[1])))
        return false;
    if (strpbrk(d, "xXnN"))
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno == ERANGE || end == s || !only_blanks(end))
        return false;
    *out = v;
    return true;
}

void
exec_value_literal(struct exec_value *out, const char *text)
{
    int64_t i;
    double f;
    if (!strcmp(text, "true") || !strcmp(text, "false")) {
        exec_value_bool(out, text[0] == 't');
    } else if (exec_text_int(text, &i)) {
        out->type = EXEC_V_INT;
        out->text = xstrdup(text);
        out->as.i = i;
    } else if (exec_text_float(text, &f)) {
        out->type = EXEC_V_FLOAT;
        out->text = xstrdup(text);
        out->as.f = f;
    } else {
        exec_value_string(out, text);
    }
}

void
exec_value_dup(struct exec_value *out, const struct exec_value *v)
{
    *out = *v;
    out->text = xstrdup(v->text ? v->text : "");
}

void
exec_value_release(struct exec_value *v)
{
    if (!v)
        return;
    free(v->text);
    v->text = NULL;
}

const char *
exec_vtype_name(enum exec_vtype type)
{
    switch (type) {
    case EXEC_V_BOOL:
        return "bool";
    case EXEC_V_INT:
        return "int";
    case EXEC_V_FLOAT:
        return "float";
    case EXEC_V_STRING:
        break;
    }
    return "string";
}

bool
exec_vtype_from_name(const char *name, enum exec_vtype *out)
{
    static const struct {
        const char *name;
        enum exec_vtype type;
    } names[] = {
        { "string", EXEC_V_STRING }, { "str", EXEC_V_STRING },   { "int", EXEC_V_INT },
        { "integer", EXEC_V_INT },   { "float", EXEC_V_FLOAT },  { "number", EXEC_V_FLOAT },
        { "bool", EXEC_V_BOOL },     { "boolean", EXEC_V_BOOL },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!strcmp(name, names[i].name)) {
            *out = names[i].type;
            return true;
        }
    }
    return false;
}

static bool
parse_bool_text(const char *text, bool *out)
{
    static const char *const yes[] = { "true", "1", "yes", "on" };
    static const char *const no[] = { "false", "0", "no", "off" };
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(text, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcasecmp(text, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

bool
exec_value_parse(struct exec_value *out, enum exec_vtype type, const char *text,
                 const char *what, struct err *err)
{
    int64_t i;
    double f;
    bool b;
    switch (type) {
    case EXEC_V_STRING:
        exec_value_string(out, text);
        return true;
    case EXEC_V_INT:
        if (!exec_text_int(text, &i))
            return err_set(err, ERR_TYPE, "%s: expected an int, got '%s'", what, text);
        exec_value_int(out, i);
        return true;
    case EXEC_V_FLOAT:
        if (!exec_text_float(text, &f))
            return err_set(err, ERR_TYPE, "%s: expected a float, got '%s'", what, text);
        exec_value_float(out, f);
        return true;
    case EXEC_V_BOOL:
        if (!parse_bool_text(text, &b))
            return err_set(err, ERR_TYPE, "%s: expected a bool (true/false), got '%s'", what,
                           text);
        exec_value_bool(out, b);
        return true;
    }
    return err_set(err, ERR_TYPE, "%s: unknown type", what);
}

bool
exec_text_truthy(const char *text)
{
    if (!text || !*text)
        return false;
    static const char *const falsy[] = { "0", "false", "no", "off" };
    for (size_t i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++)
        if (!strcasecmp(text, falsy[i]))
            return false;
    return true;
}

/* Next part of a version string: [*s, *out_end). Separators are . - + */
static const char *
version_part(const char *s, const char **out_end)
{
    const char *e = s;
    while (*e && *e != '.' && *e != '-' && *e != '+')
        e++;
    *out_end = e;
    return s;
}

static int
compare_parts(const char *a, size_t alen, const char *b, size_t blen)
{
    bool a_num = alen > 0, b_num = blen > 0;
    for (size_t i = 0; i < alen; i++)
        a_num = a_num && isdigit((unsigned char)a[i]);
    for (size_t i = 0; i < blen; i++)
        b_num = b_num && isdigit((unsigned char)b[i]);
    if (a_num && b_num) {
        /* Compare digit strings without overflow: strip zeros, then length. */
        while (alen > 1 && *a == '0')
            a++, alen--;
        while (blen > 1 && *b == '0')
            b++, blen--;
        if (alen != blen)
            return alen < blen ? -1 : 1;
        return memcmp(a, b, alen);
    }
    if (a_num != b_num)
        return a_num ? 1 : -1; /* 1.0.0 > 1.0.0-rc: a number beats a word */
    /* Words compare like `sort -V`: runs of digits inside them as numbers,
     * so rc10 > rc9 and build2 < build10. */
    size_t i = 0, j = 0;
    while (i < alen && j < blen) {
        if (isdigit((unsigned char)a[i]) && isdigit((unsigned char)b[j])) {
            size_t ie = i, je = j;
            while (ie < alen && isdigit((unsigned char)a[ie]))
                ie++;
            while (je < blen && isdigit((unsigned char)b[je]))
                je++;
            int c = compare_parts(a + i, ie - i, b + j, je - j);
            if (c)
                return c;
            i = ie, j = je;
            continue;
        }
        if (a[i] != b[j])
            return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
        i++, j++;
    }
    return i < alen ? 1 : (j < blen ? -1 : 0);
}

int
exec_text_compare(const char *a, const char *b)
{
    double fa, fb;
    if (exec_text_float(a, &fa) && exec_text_float(b, &fb))
        return fa < fb ? -1 : fa > fb;
    if ((a[0] == 'v' || a[0] == 'V') && isdigit((unsigned char)a[1]))
        a++;
    if ((b[0] == 'v' || b[0] == 'V') && isdigit((unsigned char)b[1]))
        b++;
    while (*a || *b) {
        if (!*a)
            return -1;
        if (!*b)
            return 1;
        const char *ae, *be;
        version_part(a, &ae);
        version_part(b, &be);
        int c = compare_parts(a, (size_t)(ae - a), b, (size_t)(be - b));
        if (c)
            return c < 0 ? -1 : 1;
        if (*ae != *be) {
            /* 1.0.0-rc1 < 1.0.0 < 1.0.0.1: a pre-release suffix sorts
             * before the release, any other continuation after it. */
            if (!*be)
                return *ae == '-' ? -1 : 1;
            if (!*ae)
                return *be == '-' ? 1 : -1;
            return (unsigned char)*ae < (unsigned char)*be ? -1 : 1;
        }
        a = *ae ? ae + 1 : ae;
        b = *be ? be + 1 : be;
    }
    return 0;
}

/* ---- scopes ---------------------------------------------------------- */

struct exec_scope *
exec_scope_new(struct exec_scope *parent)
{
    struct exec_scope *s = xcalloc(1, sizeof(*s));
    s->parent = parent;
    return s;
}

void
exec_scope_free(struct exec_scope *scope)
{
    if (!scope)
        return;
    for (size_t i = 0; i < scope->count; i++) {
        free(scope->items[i].name);
        exec_value_release(&scope->items[i].value);
    }
    free(scope->items);
    free(scope);
}

static struct exec_binding *
find_local(const struct exec_scope *scope, const char *name)
{
    for (size_t i = 0; i < scope->count; i++)
        if (!strcmp(scope->items[i].name, name))
            return &scope->items[i];
    return NULL;
}

void
exec_scope_set_take(struct exec_scope *scope, const char *name, struct exec_value *value)
{
    struct exec_binding *b = find_local(scope, name);
    if (b) {
        exec_value_release(&b->value);
    } else {
        scope->items = xgrow(scope->items, &scope->cap, scope->count + 1, sizeof(*scope->items));
        b = &scope->items[scope->count++];
        b->name = xstrdup(name);
    }
    b->value = *value;
    value->text = NULL;
}

void
exec_scope_set_text(struct exec_scope *scope, const char *name, const char *text)
{
    struct exec_value v;
    exec_value_string(&v, text);
    exec_scope_set_take(scope, name, &v);
}

const struct exec_value *
exec_scope_get(const struct exec_scope *scope, const char *name)
{
    for (; scope; scope = scope->parent) {
        const struct exec_binding *b = find_local(scope, name);
        if (b)
            return &b->value;
    }
    return NULL;
}

const struct exec_value *
exec_scope_get_local(const struct exec_scope *scope, const char *name)
{
    const struct exec_binding *b = find_local(scope, name);
    return b ? &b->value : NULL;
}

void
exec_scope_unset_local(struct exec_scope *scope, const char *name)
{
    struct exec_binding *b = find_local(scope, name);
    if (!b)
        return;
    free(b->name);
    exec_value_release(&b->value);
    size_t idx = (size_t)(b - scope->items);
    memmove(b, b + 1, (scope->count - idx - 1) * sizeof(*b));
    scope->count--;
}

struct exec_scope *
exec_scope_dup_flat(const struct exec_scope *scope, struct exec_scope *stop)
{
    struct exec_scope *copy = exec_scope_new(stop);
    for (const struct exec_scope *s = scope; s && s != stop; s = s->parent) {
        for (size_t i = 0; i < s->count; i++) {
            if (find_local(copy, s->items[i].name))
                continue; /* an inner binding already won */
            struct exec_value v;
            exec_value_dup(&v, &s->items[i].value);
            exec_scope_set_take(copy, s->items[i].name, &v);
        }
    }
    return copy;
}
