/* examples/02-jsonschema/json.c: the small JSON reader and writer declared in
 * json.h. A recursive-descent parser over a byte range that tracks line and
 * column for messages; a writer that builds text in a growable buffer. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct reader {
    const char *s;
    size_t len;
    size_t pos;
    unsigned line;
    size_t line_start; /* offset of the current line's first byte */
    int depth;
    struct json_error *err;
    bool failed;
};

/* A growable byte buffer. */
struct jbuf {
    char *data;
    size_t len;
    size_t cap;
};

static void
oom(void)
{
    fputs("out of memory\n", stderr);
    exit(2);
}

static void
jbuf_add(struct jbuf *b, const char *s, size_t n)
{
    if (n > SIZE_MAX - b->len - 1)
        oom();
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1)
            cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            oom();
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void
jbuf_addc(struct jbuf *b, char c)
{
    jbuf_add(b, &c, 1);
}

static void jbuf_addf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
jbuf_addf(struct jbuf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        jbuf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static bool fail_at(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first error at the current position; returns false. */
static bool
fail_at(struct reader *r, const char *fmt, ...)
{
    if (!r->failed) {
        r->failed = true;
        r->err->line = r->line;
        r->err->col = (unsigned)(r->pos - r->line_start + 1);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
        va_end(ap);
    }
    return false;
}

struct json *
json_new(enum json_type type)
{
    struct json *v = calloc(1, sizeof(*v));
    if (v == NULL)
        oom();
    v->type = type;
    return v;
}

struct json *
json_new_string(const char *s, size_t len)
{
    struct json *v = json_new(JSON_STRING);
    v->str = malloc(len + 1);
    if (v->str == NULL)
        oom();
    memcpy(v->str, s, len);
    v->str[len] = '\0';
    v->len = len;
    return v;
}

struct json *
json_new_number(double n)
{
    struct json *v = json_new(JSON_NUMBER);
    v->number = n;
    return v;
}

struct json *
json_new_bool(bool b)
{
    struct json *v = json_new(JSON_BOOL);
    v->boolean = b;
    return v;
}

void
json_free(struct json *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->count; i++) {
        if (v->type == JSON_ARRAY) {
            json_free(v->items[i]);
        } else {
            free(v->members[i].key);
            json_free(v->members[i].value);
        }
    }
    free(v->items);
    free(v->members);
    free(v->str);
    free(v);
}

static void
grow(struct json *v)
{
    if (v->count < v->cap)
        return;
    size_t cap = v->cap ? v->cap * 2 : 4;
    if (v->type == JSON_ARRAY) {
        struct json **items = realloc(v->items, cap * sizeof(*items));
        if (items == NULL)
            oom();
        v->items = items;
    } else {
        struct json_member *members = realloc(v->members, cap * sizeof(*members));
        if (members == NULL)
            oom();
        v->members = members;
    }
    v->cap = cap;
}

void
json_array_push_take(struct json *arr, struct json *value)
{
    grow(arr);
    arr->items[arr->count++] = value;
}

/* Appends a member without looking for an existing one; takes key and value. */
static void
object_append(struct json *obj, char *key, size_t key_len, struct json *value)
{
    grow(obj);
    obj->members[obj->count].key = key;
    obj->members[obj->count].key_len = key_len;
    obj->members[obj->count].value = value;
    obj->count++;
}

void
json_object_set_take(struct json *obj, const char *key, struct json *value)
{
    size_t key_len = strlen(key);
    for (size_t i = 0; i < obj->count; i++) {
        struct json_member *m = &obj->members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) {
            json_free(m->value);
            m->value = value;
            return;
        }
    }
    char *k = malloc(key_len + 1);
    if (k == NULL)
        oom();
    memcpy(k, key, key_len + 1);
    object_append(obj, k, key_len, value);
}

const struct json *
json_get(const struct json *obj, const char *key)
{
    if (obj == NULL || obj->type != JSON_OBJECT)
        return NULL;
    size_t key_len = strlen(key);
    for (size_t i = obj->count; i-- > 0;) {
        const struct json_member *m = &obj->members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0)
            return m->value;
    }
    return NULL;
}

/* ---- parsing ---- */

static void
skip_ws(struct reader *r)
{
    while (r->pos < r->len) {
        char c = r->s[r->pos];
        if (c == '\n') {
            r->line++;
            r->line_start = r->pos + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            break;
        }
        r->pos++;
    }
}

static void
put_utf8(struct jbuf *b, uint32_t cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    jbuf_add(b, out, n);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid (overlong
 * forms, surrogates and code points past U+10FFFF are invalid). */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t need;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

size_t
json_utf8_length(const char *s, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            count++;
    return count;
}

static bool
read_hex4(struct reader *r, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (r->pos >= r->len)
            return fail_at(r, "unterminated \\u escape");
        char c = r->s[r->pos];
        int h;
        if (c >= '0' && c <= '9')
            h = c - '0';
        else if (c >= 'a' && c <= 'f')
            h = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            h = c - 'A' + 10;
        else
            return fail_at(r, "\\u escape needs 4 hex digits");
        v = v * 16 + (uint32_t)h;
        r->pos++;
    }
    *out = v;
    return true;
}

/* Reads a string literal at r->pos (the opening quote) into 'b'. */
static bool
read_string(struct reader *r, struct jbuf *b)
{
    r->pos++; /* opening quote */
    for (;;) {
        if (r->pos >= r->len)
            return fail_at(r, "unterminated string");
        unsigned char c = (unsigned char)r->s[r->pos];
        if (c == '"') {
            r->pos++;
            if (b->data == NULL)
                jbuf_add(b, "", 0);
            return true;
        }
        if (c < 0x20)
            return fail_at(r, "control character in string (escape it as \\u%04x)", c);
        if (c == '\\') {
            r->pos++;
            if (r->pos >= r->len)
                return fail_at(r, "unterminated string");
            char e = r->s[r->pos++];
            switch (e) {
            case '"': jbuf_addc(b, '"'); break;
            case '\\': jbuf_addc(b, '\\'); break;
            case '/': jbuf_addc(b, '/'); break;
            case 'b': jbuf_addc(b, '\b'); break;
            case 'f': jbuf_addc(b, '\f'); break;
            case 'n': jbuf_addc(b, '\n'); break;
            case 'r': jbuf_addc(b, '\r'); break;
            case 't': jbuf_addc(b, '\t'); break;
            case 'u': {
                uint32_t cp;
                if (!read_hex4(r, &cp))
                    return false;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    uint32_t lo;
                    if (r->pos + 1 >= r->len || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u')
                        return fail_at(r, "lone high surrogate in \\u escape");
                    r->pos += 2;
                    if (!read_hex4(r, &lo))
                        return false;
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return fail_at(r, "high surrogate not followed by a low surrogate");
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    return fail_at(r, "lone low surrogate in \\u escape");
                }
                put_utf8(b, cp);
                break;
            }
            default:
                r->pos--;
                return fail_at(r, "invalid escape '\\%c'", e);
            }
            continue;
        }
        size_t n = utf8_seq_len((const unsigned char *)r->s + r->pos, r->len - r->pos);
        if (n == 0)
            return fail_at(r, "invalid UTF-8 in string");
        jbuf_add(b, r->s + r->pos, n);
        r->pos += n;
    }
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static struct json *
read_number(struct reader *r)
{
    size_t start = r->pos;
    const char *s = r->s;
    size_t i = r->pos;
    if (i < r->len && s[i] == '-')
        i++;
    if (i >= r->len || !is_digit(s[i])) {
        r->pos = i;
        fail_at(r, "invalid number");
        return NULL;
    }
    if (s[i] == '0') {
        i++;
        if (i < r->len && is_digit(s[i])) {
            r->pos = i;
            fail_at(r, "leading zeros are not allowed in numbers");
            return NULL;
        }
    } else {
        while (i < r->len && is_digit(s[i]))
            i++;
    }
    if (i < r->len && s[i] == '.') {
        i++;
        if (i >= r->len || !is_digit(s[i])) {
            r->pos = i;
            fail_at(r, "expected a digit after '.'");
            return NULL;
        }
        while (i < r->len && is_digit(s[i]))
            i++;
    }
    if (i < r->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < r->len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= r->len || !is_digit(s[i])) {
            r->pos = i;
            fail_at(r, "expected a digit in the exponent");
            return NULL;
        }
        while (i < r->len && is_digit(s[i]))
            i++;
    }
    struct json *v = json_new(JSON_NUMBER);
    v->len = i - start;
    v->str = malloc(v->len + 1);
    if (v->str == NULL)
        oom();
    memcpy(v->str, s + start, v->len);
    v->str[v->len] = '\0';
    errno = 0;
    v->number = strtod(v->str, NULL);
    if (!isfinite(v->number)) {
        json_free(v);
        fail_at(r, "number out of range");
        return NULL;
    }
    r->pos = i;
    return v;
}

static bool
match_word(struct reader *r, const char *word)
{
    size_t n = strlen(word);
    if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0)
        return false;
    r->pos += n;
    return true;
}

static struct json *read_value(struct reader *r);

static struct json *
read_array(struct reader *r)
{
    struct json *arr = json_new(JSON_ARRAY);
    r->pos++; /* '[' */
    skip_ws(r);
    if (r->pos < r->len && r->s[r->pos] == ']') {
        r->pos++;
        return arr;
    }
    for (;;) {
        struct json *item = read_value(r);
        if (item == NULL) {
            json_free(arr);
            return NULL;
        }
        json_array_push_take(arr, item);
        skip_ws(r);
        if (r->pos < r->len && r->s[r->pos] == ',') {
            r->pos++;
            continue;
        }
        if (r->pos < r->len && r->s[r->pos] == ']') {
            r->pos++;
            return arr;
        }
        json_free(arr);
        fail_at(r, r->pos >= r->len ? "unterminated array" : "expected ',' or ']' in array");
        return NULL;
    }
}

static struct json *
read_object(struct reader *r)
{
    struct json *obj = json_new(JSON_OBJECT);
    r->pos++; /* '{' */
    skip_ws(r);
    if (r->pos < r->len && r->s[r->pos] == '}') {
        r->pos++;
        return obj;
    }
    for (;;) {
        skip_ws(r);
        if (r->pos >= r->len || r->s[r->pos] != '"') {
            json_free(obj);
            fail_at(r, r->pos >= r->len ? "unterminated object" : "expected a string key");
            return NULL;
        }
        struct jbuf key = { 0 };
        if (!read_string(r, &key)) {
            free(key.data);
            json_free(obj);
            return NULL;
        }
        skip_ws(r);
        if (r->pos >= r->len || r->s[r->pos] != ':') {
            free(key.data);
            json_free(obj);
            fail_at(r, "expected ':' after object key");
            return NULL;
        }
        r->pos++;
        struct json *value = read_value(r);
        if (value == NULL) {
            free(key.data);
            json_free(obj);
            return NULL;
        }
        object_append(obj, key.data, key.len, value);
        skip_ws(r);
        if (r->pos < r->len && r->s[r->pos] == ',') {
            r->pos++;
            continue;
        }
        if (r->pos < r->len && r->s[r->pos] == '}') {
            r->pos++;
            return obj;
        }
        json_free(obj);
        fail_at(r, r->pos >= r->len ? "unterminated object" : "expected ',' or '}' in object");
        return NULL;
    }
}

static struct json *
read_value(struct reader *r)
{
    skip_ws(r);
    if (r->pos >= r->len) {
        fail_at(r, "unexpected end of input");
        return NULL;
    }
    char c = r->s[r->pos];
    struct json *v = NULL;
    if (c == '{' || c == '[') {
        if (++r->depth > JSON_MAX_DEPTH) {
            fail_at(r, "nesting deeper than %d levels", JSON_MAX_DEPTH);
            return NULL;
        }
        v = c == '{' ? read_object(r) : read_array(r);
        r->depth--;
    } else if (c == '"') {
        struct jbuf b = { 0 };
        if (!read_string(r, &b)) {
            free(b.data);
            return NULL;
        }
        v = json_new(JSON_STRING);
        v->str = b.data;
        v->len = b.len;
    } else if (c == '-' || is_digit(c)) {
        v = read_number(r);
    } else if (match_word(r, "true")) {
        v = json_new_bool(true);
    } else if (match_word(r, "false")) {
        v = json_new_bool(false);
    } else if (match_word(r, "null")) {
        v = json_new(JSON_NULL);
    } else if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f) {
        fail_at(r, "unexpected character '%c'", c);
    } else {
        fail_at(r, "unexpected byte 0x%02x", (unsigned char)c);
    }
    return v;
}

struct json *
json_parse(const char *text, size_t len, struct json_error *err)
{
    struct reader r = { .s = text, .len = len, .line = 1, .err = err };
    memset(err, 0, sizeof(*err));
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        r.pos = r.line_start = 3; /* tolerate a UTF-8 byte order mark */
    struct json *v = read_value(&r);
    if (v == NULL)
        return NULL;
    skip_ws(&r);
    if (r.pos < r.len) {
        json_free(v);
        fail_at(&r, "unexpected text after the JSON value");
        return NULL;
    }
    return v;
}

char *
json_read_file(const char *path, size_t max_bytes, size_t *out_len, char *msg, size_t msg_cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(msg, msg_cap, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct jbuf b = { 0 };
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + got > max_bytes) {
            snprintf(msg, msg_cap, "file is larger than %zu bytes", max_bytes);
            free(b.data);
            fclose(f);
            return NULL;
        }
        jbuf_add(&b, chunk, got);
    }
    if (ferror(f)) {
        snprintf(msg, msg_cap, "cannot read: %s", strerror(errno));
        free(b.data);
        fclose(f);
        return NULL;
    }
    fclose(f);
    if (b.data == NULL)
        jbuf_add(&b, "", 0);
    *out_len = b.len;
    return b.data;
}

/* ---- comparison ---- */

bool
json_is_integer(const struct json *v)
{
    return v->type == JSON_NUMBER && v->number == floor(v->number);
}

const char *
json_type_name(enum json_type type)
{
    switch (type) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "boolean";
    case JSON_NUMBER: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "?";
}

static const struct json *
get_member(const struct json *obj, const char *key, size_t key_len)
{
    for (size_t i = obj->count; i-- > 0;) {
        const struct json_member *m = &obj->members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0)
            return m->value;
    }
    return NULL;
}

bool
json_equal(const struct json *a, const struct json *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case JSON_NULL: return true;
    case JSON_BOOL: return a->boolean == b->boolean;
    case JSON_NUMBER: return a->number == b->number;
    case JSON_STRING: return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    case JSON_ARRAY:
        if (a->count != b->count)
            return false;
        for (size_t i = 0; i < a->count; i++)
            if (!json_equal(a->items[i], b->items[i]))
                return false;
        return true;
    case JSON_OBJECT: {
        /* Distinct keys on each side must match one to one. */
        size_t distinct_a = 0;
        for (size_t i = 0; i < a->count; i++) {
            const struct json_member *m = &a->members[i];
            if (get_member(a, m->key, m->key_len) != m->value)
                continue; /* an earlier duplicate; the last one counts */
            distinct_a++;
            const struct json *other = get_member(b, m->key, m->key_len);
            if (other == NULL || !json_equal(m->value, other))
                return false;
        }
        size_t distinct_b = 0;
        for (size_t i = 0; i < b->count; i++)
            if (get_member(b, b->members[i].key, b->members[i].key_len) == b->members[i].value)
                distinct_b++;
        return distinct_a == distinct_b;
    }
    }
    return false;
}

/* ---- writing ---- */

static void
emit_string(struct jbuf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    jbuf_addc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': jbuf_add(b, "\\\"", 2); break;
        case '\\': jbuf_add(b, "\\\\", 2); break;
        case '\n': jbuf_add(b, "\\n", 2); break;
        case '\r': jbuf_add(b, "\\r", 2); break;
        case '\t': jbuf_add(b, "\\t", 2); break;
        case '\b': jbuf_add(b, "\\b", 2); break;
        case '\f': jbuf_add(b, "\\f", 2); break;
        default:
            if (c < 0x20) {
                char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                jbuf_add(b, esc, 6);
            } else {
                jbuf_addc(b, (char)c);
            }
        }
    }
    jbuf_addc(b, '"');
}

static void
emit_number(struct jbuf *b, const struct json *v)
{
    if (v->str != NULL) {
        jbuf_add(b, v->str, v->len); /* as written in the input */
        return;
    }
    if (!isfinite(v->number)) {
        jbuf_add(b, "null", 4);
    } else if (v->number == floor(v->number) && fabs(v->number) < 1e15) {
        jbuf_addf(b, "%.0f", v->number);
    } else {
        /* The shortest of %.15g .. %.17g that reads back exactly. */
        char tmp[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(tmp, sizeof(tmp), "%.*g", prec, v->number);
            if (strtod(tmp, NULL) == v->number)
                break;
        }
        jbuf_add(b, tmp, strlen(tmp));
    }
}

static void
emit(struct jbuf *b, const struct json *v)
{
    switch (v->type) {
    case JSON_NULL: jbuf_add(b, "null", 4); break;
    case JSON_BOOL: v->boolean ? jbuf_add(b, "true", 4) : jbuf_add(b, "false", 5); break;
    case JSON_NUMBER: emit_number(b, v); break;
    case JSON_STRING: emit_string(b, v->str, v->len); break;
    case JSON_ARRAY:
        jbuf_addc(b, '[');
        for (size_t i = 0; i < v->count; i++) {
            if (i > 0)
                jbuf_addc(b, ',');
            emit(b, v->items[i]);
        }
        jbuf_addc(b, ']');
        break;
    case JSON_OBJECT:
        jbuf_addc(b, '{');
        for (size_t i = 0; i < v->count; i++) {
            if (i > 0)
                jbuf_addc(b, ',');
            emit_string(b, v->members[i].key, v->members[i].key_len);
            jbuf_addc(b, ':');
            emit(b, v->members[i].value);
        }
        jbuf_addc(b, '}');
        break;
    }
}

void
json_write(FILE *f, const struct json *v)
{
    struct jbuf b = { 0 };
    emit(&b, v);
    fwrite(b.data, 1, b.len, f);
    free(b.data);
}

void
json_write_string(FILE *f, const char *s, size_t len)
{
    struct jbuf b = { 0 };
    emit_string(&b, s, len);
    fwrite(b.data, 1, b.len, f);
    free(b.data);
}

void
json_format_short(const struct json *v, char *out, size_t cap)
{
    if (cap == 0)
        return;
    struct jbuf b = { 0 };
    emit(&b, v);
    if (b.len < cap) {
        memcpy(out, b.data, b.len + 1);
    } else if (cap < 8) {
        memcpy(out, b.data, cap - 1);
        out[cap - 1] = '\0';
    } else {
        /* Leave room for "..." and cut on a UTF-8 boundary. */
        size_t cut = cap - 4;
        while (cut > 0 && ((unsigned char)b.data[cut] & 0xc0) == 0x80)
            cut--;
        memcpy(out, b.data, cut);
        memcpy(out + cut, "...", 4);
    }
    free(b.data);
}
