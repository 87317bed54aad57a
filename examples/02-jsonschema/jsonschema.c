/* examples/02-jsonschema/jsonschema.c: the JSON Schema validator of the
 * second walkthrough, as a WASI Preview 1 command.
 *
 *   jsonschema SCHEMA.json DOCUMENT.json
 *
 *   exit 0  "DOCUMENT: valid" on stdout
 *   exit 1  one line per problem on stderr:
 *           "DOCUMENT: at '/items/2/qty': expected integer, got 1.5"
 *           (the quoted part is the JSON pointer of the offending value;
 *           '' is the whole document)
 *   exit 2  usage error, unreadable file, invalid JSON, or a schema that uses
 *           a keyword wrongly or one this validator does not implement
 *
 * Supported keywords (draft 2020-12 meaning; older drafts' forms noted):
 *   type (incl. "integer" and lists of types), enum, const, pattern,
 *   minimum, maximum, exclusiveMinimum, exclusiveMaximum (number, or the
 *   draft-4 boolean form), multipleOf,
 *   minLength, maxLength (in Unicode code points),
 *   items (a schema; an array of schemas is the pre-2020 tuple form),
 *   prefixItems, minItems, maxItems, uniqueItems,
 *   properties, patternProperties, required, additionalProperties (boolean
 *   or schema), propertyNames,
 *   minProperties, maxProperties,
 *   allOf, anyOf, oneOf, not, if/then/else,
 *   $ref to the same document ("#", "#/$defs/x", "#/definitions/x").
 * Annotations ($schema, $id, title, description, default, examples, format,
 * $comment, ...) are ignored, as the specification allows. pattern and
 * patternProperties use the ECMA-262 subset of regex.h; a pattern outside it
 * is a schema error (exit 2), as is a match too costly to decide.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "regex.h"

#define MAX_FILE_BYTES ((size_t)64 * 1024 * 1024)
#define MAX_PRINTED_ERRORS 50
#define MAX_VALIDATE_DEPTH 512 /* guards against $ref cycles */

/* A JSON pointer under construction ("/items/2/qty"). */
struct pointer {
    char *buf;
    size_t len;
    size_t cap;
};

struct validator {
    const struct json *root;   /* the whole schema, for $ref */
    const char *doc_path;      /* as given on the command line */
    struct pointer where;      /* pointer into the document */
    int quiet;                 /* > 0 inside anyOf/oneOf/not/if: count, do not print */
    size_t errors;             /* problems found (also while quiet) */
    size_t printed;
    int depth;
};

static void
oom(void)
{
    fputs("jsonschema: out of memory\n", stderr);
    exit(2);
}

static void
pointer_add(struct pointer *p, const char *s, size_t n)
{
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 64;
        while (cap < p->len + n + 1)
            cap *= 2;
        char *buf = realloc(p->buf, cap);
        if (buf == NULL)
            oom();
        p->buf = buf;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = '\0';
}

/* Appends "/key" with '~' and '/' escaped (RFC 6901); returns the old length
 * for pointer_pop. */
static size_t
pointer_push_key(struct pointer *p, const char *key, size_t key_len)
{
    size_t saved = p->len;
    pointer_add(p, "/", 1);
    for (size_t i = 0; i < key_len; i++) {
        if (key[i] == '~')
            pointer_add(p, "~0", 2);
        else if (key[i] == '/')
            pointer_add(p, "~1", 2);
        else
            pointer_add(p, key + i, 1);
    }
    return saved;
}

static size_t
pointer_push_index(struct pointer *p, size_t index)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "/%zu", index);
    size_t saved = p->len;
    pointer_add(p, tmp, (size_t)n);
    return saved;
}

static void
pointer_pop(struct pointer *p, size_t saved)
{
    p->len = saved;
    if (p->buf)
        p->buf[p->len] = '\0';
}

static const char *
pointer_text(const struct pointer *p)
{
    return p->buf ? p->buf : "";
}

static void report(struct validator *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records one problem at the current document pointer. */
static void
report(struct validator *v, const char *fmt, ...)
{
    v->errors++;
    if (v->quiet > 0)
        return;
    v->printed++;
    if (v->printed > MAX_PRINTED_ERRORS) {
        if (v->printed == MAX_PRINTED_ERRORS + 1)
            fprintf(stderr, "%s: more problems not shown\n", v->doc_path);
        return;
    }
    fprintf(stderr, "%s: at '%s': ", v->doc_path, pointer_text(&v->where));
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Short JSON text of a value, for messages. */
struct shown {
    char text[72];
};

static struct shown
show(const struct json *value)
{
    struct shown s;
    json_format_short(value, s.text, sizeof(s.text));
    return s;
}

/* Resolves a local reference: "#" or "#/a/b" (RFC 6901, with %-escapes).
 * Returns NULL when it does not resolve. */
static const struct json *
resolve_ref(const struct json *root, const char *ref)
{
    if (ref[0] != '#')
        return NULL;
    const struct json *cur = root;
    const char *s = ref + 1;
    if (*s == '\0')
        return cur;
    if (*s != '/')
        return NULL;
    char token[256];
    while (*s == '/') {
        s++;
        size_t n = 0;
        while (*s && *s != '/') {
            char c = *s++;
            if (c == '~') {
                if (*s == '0')
                    c = '~';
                else if (*s == '1')
                    c = '/';
                else
                    return NULL;
                s++;
            } else if (c == '%' && s[0] && s[1]) {
                char hex[3] = { s[0], s[1], 0 };
                char *end;
                long byte = strtol(hex, &end, 16);
                if (*end != '\0')
                    return NULL;
                c = (char)byte;
                s += 2;
            }
            if (n + 1 >= sizeof(token))
                return NULL;
            token[n++] = c;
        }
        token[n] = '\0';
        if (cur->type == JSON_OBJECT) {
            cur = json_get(cur, token);
        } else if (cur->type == JSON_ARRAY) {
            char *end;
            unsigned long idx = strtoul(token, &end, 10);
            if (n == 0 || *end != '\0' || idx >= cur->count)
                return NULL;
            cur = cur->items[idx];
        } else {
            return NULL;
        }
        if (cur == NULL)
            return NULL;
    }
    return cur;
}

/* ---- checking the schema itself (before any validation) ---- */

struct schema_check {
    const struct json *root;
    const char *path;
    struct pointer where;
    bool failed;
};

static bool bad_schema(struct schema_check *sc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool
bad_schema(struct schema_check *sc, const char *fmt, ...)
{
    if (!sc->failed) {
        sc->failed = true;
        fprintf(stderr, "%s: invalid schema at '%s': ", sc->path, pointer_text(&sc->where));
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    return false;
}

static bool check_schema(struct schema_check *sc, const struct json *schema, int depth);

/* A pattern must compile with regex.h's syntax. */
static bool
check_pattern(struct schema_check *sc, const char *pattern, size_t len)
{
    char msg[160];
    struct regex *re = regex_compile(pattern, len, msg, sizeof(msg));
    if (re == NULL)
        return bad_schema(sc, "invalid or unsupported regular expression: %s", msg);
    regex_free(re);
    return true;
}

static bool
is_type_name(const struct json *t)
{
    static const char *const names[] = { "null", "boolean", "object", "array",
                                         "number", "string", "integer" };
    if (t->type != JSON_STRING)
        return false;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(t->str, names[i]) == 0)
            return true;
    return false;
}

static bool
is_count(const struct json *v)
{
    return v->type == JSON_NUMBER && json_is_integer(v) && v->number >= 0;
}

/* Checks one keyword's value; recurses into subschemas. */
static bool
check_keyword(struct schema_check *sc, const char *kw, const struct json *val, int depth)
{
    if (!strcmp(kw, "type")) {
        if (val->type == JSON_ARRAY) {
            if (val->count == 0)
                return bad_schema(sc, "must list at least one type");
            for (size_t i = 0; i < val->count; i++)
                if (!is_type_name(val->items[i]))
                    return bad_schema(sc, "unknown type %s", show(val->items[i]).text);
            return true;
        }
        if (!is_type_name(val))
            return bad_schema(sc, "unknown type %s (expected null, boolean, object, array, "
                                  "number, string or integer)", show(val).text);
        return true;
    }
    if (!strcmp(kw, "enum"))
        return val->type == JSON_ARRAY || bad_schema(sc, "must be an array");
    if (!strcmp(kw, "minimum") || !strcmp(kw, "maximum"))
        return val->type == JSON_NUMBER || bad_schema(sc, "must be a number");
    if (!strcmp(kw, "exclusiveMinimum") || !strcmp(kw, "exclusiveMaximum"))
        return val->type == JSON_NUMBER || val->type == JSON_BOOL ||
               bad_schema(sc, "must be a number");
    if (!strcmp(kw, "multipleOf"))
        return (val->type == JSON_NUMBER && val->number > 0) ||
               bad_schema(sc, "must be a number greater than 0");
    if (!strcmp(kw, "minLength") || !strcmp(kw, "maxLength") || !strcmp(kw, "minItems") ||
        !strcmp(kw, "maxItems") || !strcmp(kw, "minProperties") || !strcmp(kw, "maxProperties"))
        return is_count(val) || bad_schema(sc, "must be a non-negative integer");
    if (!strcmp(kw, "uniqueItems"))
        return val->type == JSON_BOOL || bad_schema(sc, "must be true or false");
    if (!strcmp(kw, "required")) {
        if (val->type != JSON_ARRAY)
            return bad_schema(sc, "must be an array of property names");
        for (size_t i = 0; i < val->count; i++)
            if (val->items[i]->type != JSON_STRING)
                return bad_schema(sc, "must be an array of property names");
        return true;
    }
    if (!strcmp(kw, "pattern")) {
        if (val->type != JSON_STRING)
            return bad_schema(sc, "must be a string (a regular expression)");
        return check_pattern(sc, val->str, val->len);
    }
    if (!strcmp(kw, "patternProperties")) {
        if (val->type != JSON_OBJECT)
            return bad_schema(sc, "must be an object of schemas");
        for (size_t i = 0; i < val->count; i++) {
            const struct json_member *m = &val->members[i];
            size_t saved = pointer_push_key(&sc->where, m->key, m->key_len);
            if (!check_pattern(sc, m->key, m->key_len) || !check_schema(sc, m->value, depth + 1))
                return false;
            pointer_pop(&sc->where, saved);
        }
        return true;
    }
    if (!strcmp(kw, "$ref")) {
        if (val->type != JSON_STRING)
            return bad_schema(sc, "must be a string");
        if (val->str[0] != '#')
            return bad_schema(sc, "only references inside the schema ('#/...') are supported, "
                                  "not '%s'", val->str);
        if (resolve_ref(sc->root, val->str) == NULL)
            return bad_schema(sc, "'%s' does not resolve", val->str);
        return true;
    }
    /* Keywords whose value is one schema. */
    if (!strcmp(kw, "additionalProperties") || !strcmp(kw, "not") || !strcmp(kw, "if") ||
        !strcmp(kw, "then") || !strcmp(kw, "else") || !strcmp(kw, "contains") ||
        !strcmp(kw, "propertyNames") || !strcmp(kw, "additionalItems"))
        return check_schema(sc, val, depth + 1);
    if (!strcmp(kw, "items") && val->type != JSON_ARRAY)
        return check_schema(sc, val, depth + 1);
    /* Keywords whose value is an array of schemas. */
    if (!strcmp(kw, "items") || !strcmp(kw, "prefixItems") || !strcmp(kw, "allOf") ||
        !strcmp(kw, "anyOf") || !strcmp(kw, "oneOf")) {
        if (val->type != JSON_ARRAY || (val->count == 0 && strcmp(kw, "items") != 0))
            return bad_schema(sc, "must be a non-empty array of schemas");
        for (size_t i = 0; i < val->count; i++) {
            size_t saved = pointer_push_index(&sc->where, i);
            if (!check_schema(sc, val->items[i], depth + 1))
                return false;
            pointer_pop(&sc->where, saved);
        }
        return true;
    }
    /* Keywords whose value maps names to schemas. */
    if (!strcmp(kw, "properties") || !strcmp(kw, "$defs") || !strcmp(kw, "definitions") ||
        !strcmp(kw, "dependentSchemas")) {
        if (val->type != JSON_OBJECT)
            return bad_schema(sc, "must be an object of schemas");
        for (size_t i = 0; i < val->count; i++) {
            const struct json_member *m = &val->members[i];
            size_t saved = pointer_push_key(&sc->where, m->key, m->key_len);
            if (!check_schema(sc, m->value, depth + 1))
                return false;
            pointer_pop(&sc->where, saved);
        }
        return true;
    }
    return true; /* an annotation or a keyword we do not know: ignored */
}

static bool
check_schema(struct schema_check *sc, const struct json *schema, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return bad_schema(sc, "schema nested too deeply");
    if (schema->type == JSON_BOOL)
        return true;
    if (schema->type != JSON_OBJECT)
        return bad_schema(sc, "a schema must be an object or a boolean, not %s",
                          json_type_name(schema->type));
    for (size_t i = 0; i < schema->count; i++) {
        const struct json_member *m = &schema->members[i];
        size_t saved = pointer_push_key(&sc->where, m->key, m->key_len);
        if (!check_keyword(sc, m->key, m->value, depth))
            return false;
        pointer_pop(&sc->where, saved);
    }
    return true;
}

/* ---- validation ---- */

static bool validate(struct validator *v, const struct json *schema, const struct json *inst);

static bool
type_matches(const struct json *inst, const char *name)
{
    if (!strcmp(name, "integer"))
        return json_is_integer(inst);
    return !strcmp(name, json_type_name(inst->type));
}

/* Runs 'schema' on 'inst' without printing; returns whether it is valid. */
static bool
validate_quietly(struct validator *v, const struct json *schema, const struct json *inst)
{
    size_t errors = v->errors;
    v->quiet++;
    bool ok = validate(v, schema, inst);
    v->quiet--;
    v->errors = errors;
    return ok;
}

/* Whether 'pattern' (checked at load) matches 'text'. A match too costly to
 * decide ends the run with exit 2: the answer would be a guess. */
static bool
pattern_matches(struct validator *v, const struct json *pattern, const char *text, size_t len)
{
    char msg[160];
    struct regex *re = regex_compile(pattern->str, pattern->len, msg, sizeof(msg));
    enum re_result r = regex_search(re, text, len);
    regex_free(re);
    if (r == RE_TOO_COMPLEX) {
        fprintf(stderr, "%s: at '%s': pattern %s is too costly to match (too much "
                        "backtracking or too long a string)\n",
                v->doc_path, pointer_text(&v->where), show(pattern).text);
        exit(2);
    }
    return r == RE_MATCH;
}

static void
check_type(struct validator *v, const struct json *type, const struct json *inst)
{
    if (type->type == JSON_STRING) {
        if (!type_matches(inst, type->str))
            report(v, "expected %s, got %s %s", type->str, json_type_name(inst->type),
                   show(inst).text);
        return;
    }
    char want[160] = "";
    for (size_t i = 0; i < type->count; i++) {
        if (type_matches(inst, type->items[i]->str))
            return;
        size_t used = strlen(want);
        snprintf(want + used, sizeof(want) - used, "%s%s",
                 i == 0 ? "" : i + 1 == type->count ? " or " : ", ", type->items[i]->str);
    }
    report(v, "expected %s, got %s %s", want, json_type_name(inst->type), show(inst).text);
}

static void
check_number(struct validator *v, const struct json *schema, const struct json *inst)
{
    double x = inst->number;
    const struct json *min = json_get(schema, "minimum");
    const struct json *max = json_get(schema, "maximum");
    const struct json *xmin = json_get(schema, "exclusiveMinimum");
    const struct json *xmax = json_get(schema, "exclusiveMaximum");
    bool min_exclusive = xmin && xmin->type == JSON_BOOL && xmin->boolean; /* draft 4 */
    bool max_exclusive = xmax && xmax->type == JSON_BOOL && xmax->boolean;
    if (min) {
        if (min_exclusive ? !(x > min->number) : !(x >= min->number))
            report(v, "%s is %s the minimum %s", show(inst).text,
                   min_exclusive ? "not greater than" : "less than", show(min).text);
    }
    if (max) {
        if (max_exclusive ? !(x < max->number) : !(x <= max->number))
            report(v, "%s is %s the maximum %s", show(inst).text,
                   max_exclusive ? "not less than" : "greater than", show(max).text);
    }
    if (xmin && xmin->type == JSON_NUMBER && !(x > xmin->number))
        report(v, "%s must be greater than %s", show(inst).text, show(xmin).text);
    if (xmax && xmax->type == JSON_NUMBER && !(x < xmax->number))
        report(v, "%s must be less than %s", show(inst).text, show(xmax).text);
    const struct json *mult = json_get(schema, "multipleOf");
    if (mult) {
        double q = x / mult->number;
        if (!isfinite(q) || fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q)))
            report(v, "%s is not a multiple of %s", show(inst).text, show(mult).text);
    }
}

static void
check_string(struct validator *v, const struct json *schema, const struct json *inst)
{
    size_t n = json_utf8_length(inst->str, inst->len);
    const struct json *min = json_get(schema, "minLength");
    const struct json *max = json_get(schema, "maxLength");
    if (min && (double)n < min->number)
        report(v, "%s is shorter than %s characters", show(inst).text, show(min).text);
    if (max && (double)n > max->number)
        report(v, "%s is longer than %s characters", show(inst).text, show(max).text);
    const struct json *pattern = json_get(schema, "pattern");
    if (pattern && !pattern_matches(v, pattern, inst->str, inst->len))
        report(v, "%s does not match the pattern %s", show(inst).text, show(pattern).text);
}

static void
check_array(struct validator *v, const struct json *schema, const struct json *inst)
{
    const struct json *min = json_get(schema, "minItems");
    const struct json *max = json_get(schema, "maxItems");
    if (min && (double)inst->count < min->number)
        report(v, "has %zu items, fewer than minItems %s", inst->count, show(min).text);
    if (max && (double)inst->count > max->number)
        report(v, "has %zu items, more than maxItems %s", inst->count, show(max).text);
    const struct json *unique = json_get(schema, "uniqueItems");
    if (unique && unique->boolean) {
        for (size_t i = 0; i < inst->count; i++)
            for (size_t j = i + 1; j < inst->count; j++)
                if (json_equal(inst->items[i], inst->items[j])) {
                    report(v, "items %zu and %zu are equal (uniqueItems)", i, j);
                    i = j = inst->count; /* one report is enough */
                }
    }

    const struct json *prefix = json_get(schema, "prefixItems");
    const struct json *items = json_get(schema, "items");
    size_t first_rest = 0;
    const struct json *tuple = prefix;
    if (items && items->type == JSON_ARRAY) {
        tuple = items; /* the pre-2020 tuple form */
        items = json_get(schema, "additionalItems");
    }
    if (tuple) {
        for (size_t i = 0; i < tuple->count && i < inst->count; i++) {
            size_t saved = pointer_push_index(&v->where, i);
            validate(v, tuple->items[i], inst->items[i]);
            pointer_pop(&v->where, saved);
        }
        first_rest = tuple->count;
    }
    if (items) {
        for (size_t i = first_rest; i < inst->count; i++) {
            size_t saved = pointer_push_index(&v->where, i);
            if (items->type == JSON_BOOL && !items->boolean)
                report(v, "no item allowed here (the array has at most %zu items)", first_rest);
            else
                validate(v, items, inst->items[i]);
            pointer_pop(&v->where, saved);
        }
    }
    const struct json *contains = json_get(schema, "contains");
    if (contains) {
        bool found = false;
        for (size_t i = 0; i < inst->count && !found; i++)
            found = validate_quietly(v, contains, inst->items[i]);
        if (!found)
            report(v, "no item matches the 'contains' schema");
    }
}

static void
check_object(struct validator *v, const struct json *schema, const struct json *inst)
{
    const struct json *required = json_get(schema, "required");
    if (required) {
        for (size_t i = 0; i < required->count; i++) {
            const struct json *name = required->items[i];
            if (json_get(inst, name->str) == NULL)
                report(v, "missing required property '%s'", name->str);
        }
    }
    const struct json *min = json_get(schema, "minProperties");
    const struct json *max = json_get(schema, "maxProperties");
    if (min && (double)inst->count < min->number)
        report(v, "has %zu properties, fewer than minProperties %s", inst->count,
               show(min).text);
    if (max && (double)inst->count > max->number)
        report(v, "has %zu properties, more than maxProperties %s", inst->count,
               show(max).text);

    const struct json *props = json_get(schema, "properties");
    const struct json *additional = json_get(schema, "additionalProperties");
    const struct json *names = json_get(schema, "propertyNames");
    const struct json *pattern_props = json_get(schema, "patternProperties");
    for (size_t i = 0; i < inst->count; i++) {
        const struct json_member *m = &inst->members[i];
        size_t saved = pointer_push_key(&v->where, m->key, m->key_len);
        const struct json *sub = props ? json_get(props, m->key) : NULL;
        bool matched = sub != NULL;
        if (sub)
            validate(v, sub, m->value);
        for (size_t p = 0; pattern_props && p < pattern_props->count; p++) {
            const struct json_member *pp = &pattern_props->members[p];
            struct json key = { .type = JSON_STRING, .str = pp->key, .len = pp->key_len };
            if (pattern_matches(v, &key, m->key, m->key_len)) {
                matched = true;
                validate(v, pp->value, m->value);
            }
        }
        if (matched) {
            /* covered by properties or patternProperties */
        } else if (additional) {
            if (additional->type == JSON_BOOL && !additional->boolean)
                report(v, "property '%s' is not allowed (additionalProperties is false)",
                       m->key);
            else
                validate(v, additional, m->value);
        }
        if (names) {
            struct json key = { .type = JSON_STRING, .str = m->key, .len = m->key_len };
            if (!validate_quietly(v, names, &key))
                report(v, "property name '%s' does not match propertyNames", m->key);
        }
        pointer_pop(&v->where, saved);
    }
}

static bool
validate(struct validator *v, const struct json *schema, const struct json *inst)
{
    if (schema->type == JSON_BOOL) {
        if (!schema->boolean)
            report(v, "no value is allowed here (the schema is false)");
        return schema->boolean;
    }
    if (++v->depth > MAX_VALIDATE_DEPTH) {
        fprintf(stderr, "%s: schema recursion deeper than %d levels (a $ref cycle?)\n",
                v->doc_path, MAX_VALIDATE_DEPTH);
        exit(2);
    }
    size_t errors_before = v->errors;

    const struct json *ref = json_get(schema, "$ref");
    if (ref)
        validate(v, resolve_ref(v->root, ref->str), inst);

    const struct json *type = json_get(schema, "type");
    if (type)
        check_type(v, type, inst);
    const struct json *en = json_get(schema, "enum");
    if (en) {
        bool found = false;
        for (size_t i = 0; i < en->count && !found; i++)
            found = json_equal(en->items[i], inst);
        if (!found) {
            char list[160] = "";
            for (size_t i = 0; i < en->count; i++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                         show(en->items[i]).text);
            }
            report(v, "%s is not one of %s", show(inst).text, list);
        }
    }
    const struct json *cst = json_get(schema, "const");
    if (cst && !json_equal(cst, inst))
        report(v, "%s must be %s", show(inst).text, show(cst).text);

    switch (inst->type) {
    case JSON_NUMBER: check_number(v, schema, inst); break;
    case JSON_STRING: check_string(v, schema, inst); break;
    case JSON_ARRAY: check_array(v, schema, inst); break;
    case JSON_OBJECT: check_object(v, schema, inst); break;
    default: break;
    }

    const struct json *all = json_get(schema, "allOf");
    if (all)
        for (size_t i = 0; i < all->count; i++)
            validate(v, all->items[i], inst);
    const struct json *any = json_get(schema, "anyOf");
    if (any) {
        bool found = false;
        for (size_t i = 0; i < any->count && !found; i++)
            found = validate_quietly(v, any->items[i], inst);
        if (!found)
            report(v, "%s matches none of the %zu schemas in anyOf", show(inst).text,
                   any->count);
    }
    const struct json *one = json_get(schema, "oneOf");
    if (one) {
        size_t matched = 0;
        for (size_t i = 0; i < one->count; i++)
            matched += validate_quietly(v, one->items[i], inst);
        if (matched != 1)
            report(v, "%s matches %zu of the schemas in oneOf (exactly one expected)",
                   show(inst).text, matched);
    }
    const struct json *not = json_get(schema, "not");
    if (not && validate_quietly(v, not, inst))
        report(v, "%s must not match the schema in 'not'", show(inst).text);
    const struct json *cond = json_get(schema, "if");
    if (cond) {
        const struct json *branch = json_get(schema, validate_quietly(v, cond, inst) ? "then"
                                                                                    : "else");
        if (branch)
            validate(v, branch, inst);
    }
    v->depth--;
    return v->errors == errors_before;
}

/* Loads and parses a JSON file; exits 2 with a message on failure. */
static struct json *
load(const char *path, const char *what)
{
    char msg[200];
    size_t len;
    char *text = json_read_file(path, MAX_FILE_BYTES, &len, msg, sizeof(msg));
    if (text == NULL) {
        fprintf(stderr, "%s: %s\n", path, msg);
        exit(2);
    }
    struct json_error err;
    struct json *doc = json_parse(text, len, &err);
    free(text);
    if (doc == NULL) {
        fprintf(stderr, "%s:%u:%u: invalid JSON %s: %s\n", path, err.line, err.col, what,
                err.msg);
        exit(2);
    }
    return doc;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: jsonschema SCHEMA.json DOCUMENT.json\n"
              "Validates DOCUMENT against the JSON Schema in SCHEMA.\n"
              "Exit status: 0 valid, 1 invalid, 2 usage, load or schema error.\n",
              stderr);
        return 2;
    }
    struct json *schema = load(argv[1], "schema");
    struct schema_check sc = { .root = schema, .path = argv[1] };
    bool schema_ok = check_schema(&sc, schema, 0);
    free(sc.where.buf);
    if (!schema_ok) {
        json_free(schema);
        return 2;
    }
    struct json *doc = load(argv[2], "document");
    struct validator v = { .root = schema, .doc_path = argv[2] };
    bool ok = validate(&v, schema, doc);
    free(v.where.buf);
    json_free(doc);
    json_free(schema);
    if (!ok)
        return 1;
    printf("%s: valid\n", argv[2]);
    return fflush(stdout) == 0 ? 0 : 2;
}
