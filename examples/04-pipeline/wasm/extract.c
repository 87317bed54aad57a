/* examples/04-pipeline/wasm/extract.c: stage 1 of the pipeline walkthrough.
 * Reads an XML file and writes one JSON object per <record> element, one per
 * line (JSON Lines). A WASI Preview 1 command.
 *
 *   extract INPUT.xml OUTPUT.jsonl
 *
 * For each <record> (at any depth; records do not nest):
 *   - its attributes become fields: <record id="7"> -> "id": "7";
 *   - each child element becomes a field named after it, holding its text;
 *     a child's attributes become "CHILD.ATTR" fields and grandchildren
 *     "CHILD.GRANDCHILD" fields; a name seen twice becomes an array.
 * Values are strings exactly as written (entities and CDATA decoded,
 * surrounding whitespace kept): cleaning them is the transform stage's job.
 *
 * XML handled: the prolog, comments, processing instructions, a DOCTYPE
 * without an internal subset, CDATA sections, the five predefined entities
 * and character references. A document that is not well-formed (mismatched
 * or unclosed tags, bad entities, duplicate attributes) is an error.
 *
 * Exit status: 0 (prints "extract: N records -> OUTPUT"); 2 on a usage,
 * I/O or XML error ("INPUT:LINE: message" on stderr).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../02-jsonschema/json.h"

#define MAX_FILE_BYTES ((size_t)64 * 1024 * 1024)
#define MAX_DEPTH 256

struct xattr {
    char *name;
    char *value;
    size_t value_len;
};

/* An element; its text is the concatenation of its direct text children. */
struct xelem {
    char *name;
    struct xattr *attrs;
    size_t attr_count;
    struct xelem **kids;
    size_t kid_count;
    size_t kid_cap;
    char *text;
    size_t text_len;
    size_t text_cap;
    int line;
};

struct xparser {
    const char *s;
    size_t len;
    size_t pos;
    int line;
    const char *path;
    int depth;
};

static void
oom(void)
{
    fputs("extract: out of memory\n", stderr);
    exit(2);
}

static void *
xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (p == NULL)
        oom();
    return p;
}

static void die(struct xparser *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports a well-formedness error at the current line and exits 2. */
static void
die(struct xparser *x, const char *fmt, ...)
{
    fprintf(stderr, "%s:%d: ", x->path, x->line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void
elem_free(struct xelem *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->attr_count; i++) {
        free(e->attrs[i].name);
        free(e->attrs[i].value);
    }
    for (size_t i = 0; i < e->kid_count; i++)
        elem_free(e->kids[i]);
    free(e->attrs);
    free(e->kids);
    free(e->text);
    free(e->name);
    free(e);
}

static void
text_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static bool
starts(const struct xparser *x, const char *lit)
{
    size_t n = strlen(lit);
    return x->len - x->pos >= n && memcmp(x->s + x->pos, lit, n) == 0;
}

/* Advances past 'n' bytes, counting lines. */
static void
advance(struct xparser *x, size_t n)
{
    for (size_t i = 0; i < n && x->pos < x->len; i++)
        if (x->s[x->pos++] == '\n')
            x->line++;
}

/* Skips to just past 'end'; dies with 'what' if it never comes. */
static void
skip_past(struct xparser *x, const char *end, const char *what)
{
    int start_line = x->line;
    size_t n = strlen(end);
    while (x->pos < x->len) {
        if (starts(x, end)) {
            advance(x, n);
            return;
        }
        advance(x, 1);
    }
    x->line = start_line;
    die(x, "unterminated %s", what);
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_space(struct xparser *x)
{
    while (x->pos < x->len && is_space(x->s[x->pos]))
        advance(x, 1);
}

static bool
is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (unsigned char)c >= 0x80;
}

static bool
is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static char *
read_name(struct xparser *x)
{
    size_t start = x->pos;
    if (x->pos >= x->len || !is_name_start(x->s[x->pos]))
        die(x, "expected a name");
    while (x->pos < x->len && is_name_char(x->s[x->pos]))
        x->pos++;
    size_t n = x->pos - start;
    char *name = xrealloc(NULL, n + 1);
    memcpy(name, x->s + start, n);
    name[n] = '\0';
    return name;
}

static void
put_utf8(char **buf, size_t *len, size_t *cap, uint32_t cp)
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
    text_add(buf, len, cap, out, n);
}

/* Decodes the entity at x->pos ('&') into the buffer. */
static void
read_entity(struct xparser *x, char **buf, size_t *len, size_t *cap)
{
    static const struct {
        const char *name;
        char c;
    } named[] = { { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
                  { "&quot;", '"' }, { "&apos;", '\'' } };
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        if (starts(x, named[i].name)) {
            text_add(buf, len, cap, &named[i].c, 1);
            advance(x, strlen(named[i].name));
            return;
        }
    }
    if (starts(x, "&#")) {
        size_t i = x->pos + 2;
        int base = 10;
        if (i < x->len && x->s[i] == 'x') {
            base = 16;
            i++;
        }
        uint32_t cp = 0;
        size_t digits = 0;
        for (; i < x->len && x->s[i] != ';' && digits < 8; i++, digits++) {
            char c = x->s[i];
            int d = c >= '0' && c <= '9' ? c - '0'
                    : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
                    : -1;
            if (d < 0)
                die(x, "bad character reference");
            cp = cp * (uint32_t)base + (uint32_t)d;
        }
        if (digits == 0 || i >= x->len || x->s[i] != ';' || cp == 0 || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            die(x, "bad character reference");
        put_utf8(buf, len, cap, cp);
        advance(x, i + 1 - x->pos);
        return;
    }
    die(x, "unknown entity (only &lt; &gt; &amp; &quot; &apos; and &#N; are defined)");
}

static void
read_attrs(struct xparser *x, struct xelem *e)
{
    for (;;) {
        skip_space(x);
        if (x->pos >= x->len)
            die(x, "unterminated start tag <%s>", e->name);
        char c = x->s[x->pos];
        if (c == '>' || c == '/')
            return;
        char *name = read_name(x);
        skip_space(x);
        if (x->pos >= x->len || x->s[x->pos] != '=')
            die(x, "attribute '%s' needs a value", name);
        advance(x, 1);
        skip_space(x);
        if (x->pos >= x->len || (x->s[x->pos] != '"' && x->s[x->pos] != '\''))
            die(x, "attribute '%s': value must be quoted", name);
        char q = x->s[x->pos];
        advance(x, 1);
        char *val = NULL;
        size_t len = 0, cap = 0;
        text_add(&val, &len, &cap, "", 0);
        while (x->pos < x->len && x->s[x->pos] != q) {
            if (x->s[x->pos] == '<')
                die(x, "'<' in attribute value");
            if (x->s[x->pos] == '&') {
                read_entity(x, &val, &len, &cap);
            } else {
                /* Attribute-value normalisation: whitespace becomes a space. */
                char ch = is_space(x->s[x->pos]) ? ' ' : x->s[x->pos];
                text_add(&val, &len, &cap, &ch, 1);
                advance(x, 1);
            }
        }
        if (x->pos >= x->len)
            die(x, "unterminated attribute value");
        advance(x, 1);
        for (size_t i = 0; i < e->attr_count; i++)
            if (strcmp(e->attrs[i].name, name) == 0)
                die(x, "duplicate attribute '%s'", name);
        e->attrs = xrealloc(e->attrs, (e->attr_count + 1) * sizeof(*e->attrs));
        e->attrs[e->attr_count].name = name;
        e->attrs[e->attr_count].value = val;
        e->attrs[e->attr_count].value_len = len;
        e->attr_count++;
    }
}

/* Parses an element at x->pos ('<' of its start tag). */
static struct xelem *
read_element(struct xparser *x)
{
    if (++x->depth > MAX_DEPTH)
        die(x, "elements nested deeper than %d levels", MAX_DEPTH);
    struct xelem *e = xrealloc(NULL, sizeof(*e));
    memset(e, 0, sizeof(*e));
    e->line = x->line;
    advance(x, 1);
    e->name = read_name(x);
    read_attrs(x, e);
    if (starts(x, "/>")) {
        advance(x, 2);
        x->depth--;
        return e;
    }
    advance(x, 1); /* '>' */
    text_add(&e->text, &e->text_len, &e->text_cap, "", 0);
    for (;;) {
        if (x->pos >= x->len)
            die(x, "<%s> (line %d) is never closed", e->name, e->line);
        if (starts(x, "</")) {
            advance(x, 2);
            int line = x->line;
            char *name = read_name(x);
            skip_space(x);
            if (x->pos >= x->len || x->s[x->pos] != '>')
                die(x, "unterminated end tag </%s>", name);
            if (strcmp(name, e->name) != 0) {
                x->line = line;
                die(x, "expected </%s> (opened on line %d), found </%s>", e->name, e->line, name);
            }
            advance(x, 1);
            free(name);
            x->depth--;
            return e;
        }
        if (starts(x, "<!--")) {
            skip_past(x, "-->", "comment");
        } else if (starts(x, "<![CDATA[")) {
            advance(x, 9);
            size_t start = x->pos;
            skip_past(x, "]]>", "CDATA section");
            text_add(&e->text, &e->text_len, &e->text_cap, x->s + start, x->pos - 3 - start);
        } else if (starts(x, "<?")) {
            skip_past(x, "?>", "processing instruction");
        } else if (starts(x, "<")) {
            struct xelem *kid = read_element(x);
            if (e->kid_count == e->kid_cap) {
                e->kid_cap = e->kid_cap ? e->kid_cap * 2 : 8;
                e->kids = xrealloc(e->kids, e->kid_cap * sizeof(*e->kids));
            }
            e->kids[e->kid_count++] = kid;
        } else if (x->s[x->pos] == '&') {
            read_entity(x, &e->text, &e->text_len, &e->text_cap);
        } else {
            size_t start = x->pos;
            while (x->pos < x->len && x->s[x->pos] != '<' && x->s[x->pos] != '&')
                advance(x, 1);
            text_add(&e->text, &e->text_len, &e->text_cap, x->s + start, x->pos - start);
        }
    }
}

static bool
is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space(s[i]))
            return false;
    return true;
}

/* Adds key = value to the record; a repeated key turns into an array. */
static void
record_add(struct json *rec, const char *key, const char *value, size_t len)
{
    const struct json *old = json_get(rec, key);
    struct json *v = json_new_string(value, len);
    if (old == NULL) {
        json_object_set_take(rec, key, v);
    } else if (old->type == JSON_ARRAY) {
        json_array_push_take((struct json *)old, v);
    } else {
        struct json *arr = json_new(JSON_ARRAY);
        json_array_push_take(arr, json_new_string(old->str, old->len));
        json_array_push_take(arr, v);
        json_object_set_take(rec, key, arr);
    }
}

/* Flattens a record's child element into fields prefixed with 'prefix'. */
static void
flatten(struct json *rec, const struct xelem *e, const char *prefix)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < e->attr_count; i++) {
        size_t n = plen + 1 + strlen(e->attrs[i].name) + 1;
        char *key = xrealloc(NULL, n);
        snprintf(key, n, "%s.%s", prefix, e->attrs[i].name);
        record_add(rec, key, e->attrs[i].value, e->attrs[i].value_len);
        free(key);
    }
    if (e->kid_count == 0 || !is_blank(e->text, e->text_len))
        record_add(rec, prefix, e->text, e->text_len);
    for (size_t i = 0; i < e->kid_count; i++) {
        size_t n = plen + 1 + strlen(e->kids[i]->name) + 1;
        char *key = xrealloc(NULL, n);
        snprintf(key, n, "%s.%s", prefix, e->kids[i]->name);
        flatten(rec, e->kids[i], key);
        free(key);
    }
}

/* Writes every <record> under 'e' (depth first); returns how many. */
static size_t
emit_records(FILE *out, const struct xelem *e)
{
    if (strcmp(e->name, "record") == 0) {
        struct json *rec = json_new(JSON_OBJECT);
        for (size_t i = 0; i < e->attr_count; i++)
            record_add(rec, e->attrs[i].name, e->attrs[i].value, e->attrs[i].value_len);
        for (size_t i = 0; i < e->kid_count; i++)
            flatten(rec, e->kids[i], e->kids[i]->name);
        json_write(out, rec);
        fputc('\n', out);
        json_free(rec);
        return 1;
    }
    size_t n = 0;
    for (size_t i = 0; i < e->kid_count; i++)
        n += emit_records(out, e->kids[i]);
    return n;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: extract INPUT.xml OUTPUT.jsonl\n"
              "Writes one JSON object per <record> element of INPUT to OUTPUT.\n", stderr);
        return 2;
    }
    char msg[200];
    size_t len;
    char *text = json_read_file(argv[1], MAX_FILE_BYTES, &len, msg, sizeof(msg));
    if (text == NULL) {
        fprintf(stderr, "%s: %s\n", argv[1], msg);
        return 2;
    }
    struct xparser x = { .s = text, .len = len, .line = 1, .path = argv[1] };
    if (starts(&x, "\xef\xbb\xbf"))
        x.pos = 3;
    /* Prolog: XML declaration, comments, PIs, DOCTYPE, whitespace. */
    struct xelem *root = NULL;
    for (;;) {
        skip_space(&x);
        if (x.pos >= x.len)
            break;
        if (starts(&x, "<?")) {
            skip_past(&x, "?>", "processing instruction");
        } else if (starts(&x, "<!--")) {
            skip_past(&x, "-->", "comment");
        } else if (starts(&x, "<!DOCTYPE")) {
            while (x.pos < x.len && x.s[x.pos] != '>') {
                if (x.s[x.pos] == '[')
                    die(&x, "DOCTYPE internal subsets are not supported");
                advance(&x, 1);
            }
            if (x.pos >= x.len)
                die(&x, "unterminated DOCTYPE");
            advance(&x, 1);
        } else if (x.s[x.pos] == '<' && root == NULL) {
            root = read_element(&x);
        } else if (x.s[x.pos] == '<') {
            die(&x, "a second root element");
        } else {
            die(&x, "text outside the root element");
        }
    }
    if (root == NULL) {
        x.line = 1;
        die(&x, "no root element");
    }

    FILE *out = fopen(argv[2], "w");
    if (out == NULL) {
        fprintf(stderr, "%s: cannot create: %s\n", argv[2], strerror(errno));
        return 2;
    }
    size_t count = emit_records(out, root);
    if (fclose(out) != 0) {
        fprintf(stderr, "%s: cannot write: %s\n", argv[2], strerror(errno));
        return 2;
    }
    elem_free(root);
    free(text);
    printf("extract: %zu record%s -> %s\n", count, count == 1 ? "" : "s", argv[2]);
    return fflush(stdout) == 0 ? 0 : 2;
}
