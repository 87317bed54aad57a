/* examples/02-jsonschema/json.h: a small JSON reader and writer for the
 * example modules (jsonschema here; the agent-ops and pipeline examples
 * build it too). Standard C only, so it compiles for wasm32-wasi and
 * natively.
 *
 * Parsing follows RFC 8259 strictly: UTF-8 input only, no comments, no
 * trailing commas, no leading zeros, control characters must be escaped.
 * Nesting deeper than JSON_MAX_DEPTH is refused. Strings may hold NUL bytes
 * (from "\u0000"), so every string carries its length.
 */
#ifndef PERCH_EXAMPLES_JSON_H
#define PERCH_EXAMPLES_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 256

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json;

struct json_member {
    char *key; /* NUL-terminated; may also hold NULs, see key_len */
    size_t key_len;
    struct json *value;
};

/* One JSON value. A tree of them is owned by its root: json_free(root). */
struct json {
    enum json_type type;
    bool boolean;               /* JSON_BOOL */
    double number;              /* JSON_NUMBER */
    char *str;                  /* JSON_STRING: the text; JSON_NUMBER: the lexeme */
    size_t len;                 /* bytes in 'str' */
    struct json **items;        /* JSON_ARRAY */
    struct json_member *members; /* JSON_OBJECT, in document order */
    size_t count;               /* items or members */
    size_t cap;
};

/* Where and why parsing failed. */
struct json_error {
    unsigned line; /* 1-based */
    unsigned col;  /* 1-based, in bytes */
    char msg[160];
};

/* Parses 'len' bytes. Returns the root value, owned by the caller, or NULL
 * with 'err' filled (also when memory runs out). Text after the value other
 * than whitespace is an error. */
struct json *json_parse(const char *text, size_t len, struct json_error *err);

/* Reads a whole file (at most 'max_bytes'). Returns the bytes, NUL-terminated
 * and owned by the caller, or NULL with a message in 'msg'. */
char *json_read_file(const char *path, size_t max_bytes, size_t *out_len, char *msg,
                     size_t msg_cap);

void json_free(struct json *v);

/* Constructors; each returns a new value owned by the caller (aborts the
 * program with a message when memory runs out). */
struct json *json_new(enum json_type type);
struct json *json_new_string(const char *s, size_t len);
struct json *json_new_number(double n);
struct json *json_new_bool(bool b);

/* Sets obj[key] = value, replacing an existing member; takes 'value'. */
void json_object_set_take(struct json *obj, const char *key, struct json *value);
/* Appends 'value' to an array; takes 'value'. */
void json_array_push_take(struct json *arr, struct json *value);

/* The member 'key' of an object (the last one if repeated), or NULL.
 * Borrowed: valid while the object lives. */
const struct json *json_get(const struct json *obj, const char *key);

/* Deep equality as JSON Schema defines it: numbers compare by value (1 and
 * 1.0 are equal), objects ignore member order. */
bool json_equal(const struct json *a, const struct json *b);

/* Whether a number has no fractional part (JSON Schema's "integer"). */
bool json_is_integer(const struct json *v);

/* The type's name as JSON Schema spells it ("object", "number", ...). */
const char *json_type_name(enum json_type type);

/* Writes 'v' as compact JSON. */
void json_write(FILE *f, const struct json *v);
/* Writes 's' as a JSON string literal with quotes. */
void json_write_string(FILE *f, const char *s, size_t len);
/* Formats 'v' as compact JSON into 'out' (always NUL-terminated), cut with
 * "..." when it does not fit in 'cap' bytes; for messages. */
void json_format_short(const struct json *v, char *out, size_t cap);

/* Number of Unicode code points in valid UTF-8 text. */
size_t json_utf8_length(const char *s, size_t len);

#endif
