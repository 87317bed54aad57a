/* examples/01-frontmatter/frontmatter.c: the frontmatter validator of the
 * first walkthrough, as a WASI Preview 1 command.
 *
 *   frontmatter FILE
 *
 * Reads a markdown file, takes the YAML block between a first line '---'
 * and the next '---' (or '...') line, parses the YAML subset that real
 * posts use and checks that title, date and tags are present and not empty.
 *
 *   exit 0  "FILE: ok" on stdout
 *   exit 1  "FILE: missing: title, tags" on stderr
 *   exit 2  a parse error ("FILE:LINE: yaml: ...") or a usage or I/O error
 *
 * The YAML subset: block mappings and sequences (nested ones too), plain,
 * single- and double-quoted scalars (quoted ones may span lines), flow
 * sequences and mappings ("[a, b]", "{k: v}"), literal and folded block
 * scalars ('|', '>'), comments, and plain scalars continued on indented
 * lines. Anchors, aliases, tags ('!x'), complex keys ('? ') and multiple
 * documents are refused with a clear message. Tabs in indentation are an
 * error, as in YAML.
 *
 * Memory: the file is read whole (at most MAX_FILE_BYTES); the parsed tree is
 * owned by main() and freed before exit. The module has no other state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (16u * 1024 * 1024)
#define MAX_DEPTH 64 /* nesting of collections; deeper is refused */

enum yval_kind { YV_NULL, YV_SCALAR, YV_LIST, YV_MAP };

/* One YAML node. A map keeps its keys in 'keys', parallel to 'items'. */
struct yval {
    enum yval_kind kind;
    int line;           /* 1-based line in the file where the node starts */
    char *text;         /* YV_SCALAR: the scalar's value, NUL-terminated */
    struct yval **items;
    char **keys;        /* YV_MAP only */
    size_t count;
    size_t cap;
};

/* One line of the frontmatter block, with its indentation split off. */
struct line {
    const char *text; /* first character after the indentation */
    size_t len;       /* bytes after the indentation, without the newline */
    int indent;       /* number of leading spaces */
    int lineno;       /* 1-based line number in the file */
};

struct parser {
    struct line *lines;
    size_t count;
    size_t pos;
    int depth;
    int err_line;
    char err[256];
};

/* A growable byte buffer for building scalar values. */
struct buf {
    char *data;
    size_t len;
    size_t cap;
};

static void
die_oom(void)
{
    fputs("frontmatter: out of memory\n", stderr);
    exit(2);
}

static void *
xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (q == NULL)
        die_oom();
    return q;
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void
buf_addc(struct buf *b, char c)
{
    buf_add(b, &c, 1);
}

/* Returns the buffer's text, owned by the caller (never NULL). */
static char *
buf_take(struct buf *b)
{
    if (b->data == NULL)
        buf_add(b, "", 0);
    char *s = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

static struct yval *
yval_new(enum yval_kind kind, int line)
{
    struct yval *v = calloc(1, sizeof(*v));
    if (v == NULL)
        die_oom();
    v->kind = kind;
    v->line = line;
    return v;
}

static void
yval_free(struct yval *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->count; i++) {
        yval_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    free(v);
}

/* Appends 'item' (and 'key' for a map; both owned by 'v' afterwards). */
static void
yval_push(struct yval *v, char *key, struct yval *item)
{
    if (v->count == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4;
        v->items = xrealloc(v->items, v->cap * sizeof(*v->items));
        if (v->kind == YV_MAP)
            v->keys = xrealloc(v->keys, v->cap * sizeof(*v->keys));
    }
    if (v->kind == YV_MAP)
        v->keys[v->count] = key;
    v->items[v->count++] = item;
}

static const struct yval *
yval_get(const struct yval *map, const char *key)
{
    if (map == NULL || map->kind != YV_MAP)
        return NULL;
    for (size_t i = 0; i < map->count; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->items[i];
    return NULL;
}

/* Records the first error and returns NULL, so callers can write
 *     return fail(p, line, "...");                                     */
static struct yval *fail(struct parser *p, int lineno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct yval *
fail(struct parser *p, int lineno, const char *fmt, ...)
{
    if (p->err[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, sizeof(p->err), fmt, ap);
        va_end(ap);
        p->err_line = lineno;
    }
    return NULL;
}

static bool
is_blank_or_comment(const struct line *l)
{
    return l->len == 0 || l->text[0] == '#';
}

static void
skip_blank(struct parser *p)
{
    while (p->pos < p->count && is_blank_or_comment(&p->lines[p->pos]))
        p->pos++;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool
isalnum_ascii(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A '-' that starts a block sequence item: followed by a space or nothing. */
static bool
is_seq_item(const char *s, size_t n)
{
    return n >= 1 && s[0] == '-' && (n == 1 || is_space(s[1]));
}

/* Trims spaces and tabs from both ends of [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
{
    while (*n > 0 && is_space((*s)[0])) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

/* The length of a plain scalar's text on one line: up to a " #" comment,
 * trailing spaces removed. */
static size_t
plain_len(const char *s, size_t n)
{
    size_t end = n;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '#' && (i == 0 || is_space(s[i - 1]))) {
            end = i;
            break;
        }
    }
    while (end > 0 && is_space(s[end - 1]))
        end--;
    return end;
}

static bool
has_comment(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '#' && (i == 0 || is_space(s[i - 1])))
            return true;
    return false;
}

/* Finds the ':' that ends a plain mapping key on this line (a ':' followed by
 * a space or the end of the line, outside quotes). Returns its offset, or -1
 * when the line is not a "key: value" line. */
static long
find_key_colon(const char *s, size_t n)
{
    size_t i = 0;
    if (n > 0 && (s[0] == '"' || s[0] == '\'')) {
        char q = s[0];
        for (i = 1; i < n; i++) {
            if (q == '"' && s[i] == '\\') {
                i++;
                continue;
            }
            if (s[i] == q) {
                if (q == '\'' && i + 1 < n && s[i + 1] == '\'') {
                    i++;
                    continue;
                }
                break;
            }
        }
        if (i >= n)
            return -1;
        i++;
        while (i < n && is_space(s[i]))
            i++;
        if (i < n && s[i] == ':' && (i + 1 == n || is_space(s[i + 1])))
            return (long)i;
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (s[i] == '#' && i > 0 && is_space(s[i - 1]))
            return -1;
        if (s[i] == ':' && (i + 1 == n || is_space(s[i + 1])))
            return (long)i;
    }
    return -1;
}

/* Appends the UTF-8 encoding of code point 'cp' to 'b'. */
static void
put_utf8(struct buf *b, uint32_t cp)
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
    buf_add(b, out, n);
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Reads a quoted scalar that starts at s[0] (the quote). The text may run over
 * several lines; 'text' is the logical text with line breaks already folded
 * into single spaces by the caller. On success stores the value in
 * '*out_value', the bytes consumed (closing quote included) in '*out_used'.
 */
static bool
read_quoted(struct parser *p, int lineno, const char *s, size_t n, char **out_value,
            size_t *out_used)
{
    char q = s[0];
    struct buf b = { 0 };
    size_t i = 1;
    for (;;) {
        if (i >= n) {
            free(b.data);
            fail(p, lineno, "unterminated %s-quoted string", q == '"' ? "double" : "single");
            return false;
        }
        char c = s[i];
        if (c == q) {
            if (q == '\'' && i + 1 < n && s[i + 1] == '\'') {
                buf_addc(&b, '\'');
                i += 2;
                continue;
            }
            i++;
            break;
        }
        if (q == '"' && c == '\\') {
            if (i + 1 >= n) {
                free(b.data);
                fail(p, lineno, "unterminated double-quoted string");
                return false;
            }
            char e = s[i + 1];
            i += 2;
            int digits = 0;
            switch (e) {
            case '0': buf_addc(&b, '\0'); break;
            case 'a': buf_addc(&b, '\a'); break;
            case 'b': buf_addc(&b, '\b'); break;
            case 't': case '\t': buf_addc(&b, '\t'); break;
            case 'n': buf_addc(&b, '\n'); break;
            case 'v': buf_addc(&b, '\v'); break;
            case 'f': buf_addc(&b, '\f'); break;
            case 'r': buf_addc(&b, '\r'); break;
            case 'e': buf_addc(&b, 0x1b); break;
            case ' ': buf_addc(&b, ' '); break;
            case '"': buf_addc(&b, '"'); break;
            case '/': buf_addc(&b, '/'); break;
            case '\\': buf_addc(&b, '\\'); break;
            case 'N': put_utf8(&b, 0x85); break;
            case '_': put_utf8(&b, 0xa0); break;
            case 'L': put_utf8(&b, 0x2028); break;
            case 'P': put_utf8(&b, 0x2029); break;
            case 'x': digits = 2; break;
            case 'u': digits = 4; break;
            case 'U': digits = 8; break;
            default:
                free(b.data);
                fail(p, lineno, "unknown escape '\\%c' in double-quoted string", e);
                return false;
            }
            if (digits > 0) {
                uint32_t cp = 0;
                for (int k = 0; k < digits; k++) {
                    int h = i < n ? hex_value(s[i]) : -1;
                    if (h < 0) {
                        free(b.data);
                        fail(p, lineno, "escape '\\%c' needs %d hex digits", e, digits);
                        return false;
                    }
                    cp = cp * 16 + (uint32_t)h;
                    i++;
                }
                if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                    free(b.data);
                    fail(p, lineno, "escape '\\%c' is not a valid code point", e);
                    return false;
                }
                put_utf8(&b, cp);
            }
            continue;
        }
        buf_addc(&b, c);
        i++;
    }
    *out_value = buf_take(&b);
    *out_used = i;
    return true;
}

/* A plain scalar 'null', '~' or empty reads as null. */
static struct yval *
plain_scalar(const char *s, size_t n, int lineno)
{
    if (n == 0 || (n == 1 && s[0] == '~') ||
        (n == 4 && (!strncmp(s, "null", 4) || !strncmp(s, "Null", 4) || !strncmp(s, "NULL", 4))))
        return yval_new(YV_NULL, lineno);
    struct yval *v = yval_new(YV_SCALAR, lineno);
    struct buf b = { 0 };
    buf_add(&b, s, n);
    v->text = buf_take(&b);
    return v;
}

static struct yval *parse_flow(struct parser *p, int lineno, const char *s, size_t n,
                               size_t *io_pos);

/* Parses one flow node (scalar or collection) at s[*io_pos]. Plain scalars in
 * flow context end at ',', ']', '}' or ": ". */
static struct yval *
parse_flow_node(struct parser *p, int lineno, const char *s, size_t n, size_t *io_pos,
                bool is_key)
{
    size_t i = *io_pos;
    while (i < n && is_space(s[i]))
        i++;
    if (i < n && (s[i] == '[' || s[i] == '{')) {
        *io_pos = i;
        return parse_flow(p, lineno, s, n, io_pos);
    }
    if (i < n && (s[i] == '"' || s[i] == '\'')) {
        char *text;
        size_t used;
        if (!read_quoted(p, lineno, s + i, n - i, &text, &used))
            return NULL;
        struct yval *v = yval_new(YV_SCALAR, lineno);
        v->text = text;
        *io_pos = i + used;
        return v;
    }
    size_t start = i;
    while (i < n && s[i] != ',' && s[i] != ']' && s[i] != '}') {
        if (is_key && s[i] == ':' && (i + 1 == n || is_space(s[i + 1]) || s[i + 1] == ','))
            break;
        if (s[i] == '[' || s[i] == '{')
            return fail(p, lineno, "unexpected '%c' inside a flow collection", s[i]);
        if (s[i] == '#' && i > start && is_space(s[i - 1]))
            return fail(p, lineno, "comment inside a flow collection");
        i++;
    }
    const char *t = s + start;
    size_t tn = i - start;
    trim(&t, &tn);
    *io_pos = i;
    return plain_scalar(t, tn, lineno);
}

/* Parses a flow sequence or mapping starting at s[*io_pos] ('[' or '{'). */
static struct yval *
parse_flow(struct parser *p, int lineno, const char *s, size_t n, size_t *io_pos)
{
    char open = s[*io_pos];
    char close = open == '[' ? ']' : '}';
    if (++p->depth > MAX_DEPTH)
        return fail(p, lineno, "nesting deeper than %d levels", MAX_DEPTH);
    struct yval *v = yval_new(open == '[' ? YV_LIST : YV_MAP, lineno);
    size_t i = *io_pos + 1;
    for (;;) {
        while (i < n && is_space(s[i]))
            i++;
        if (i >= n) {
            yval_free(v);
            return fail(p, lineno, "unterminated flow %s (missing '%c')",
                        open == '[' ? "sequence" : "mapping", close);
        }
        if (s[i] == close) {
            i++;
            break;
        }
        if (open == '[') {
            struct yval *item = parse_flow_node(p, lineno, s, n, &i, false);
            if (item == NULL) {
                yval_free(v);
                return NULL;
            }
            yval_push(v, NULL, item);
        } else {
            struct yval *key = parse_flow_node(p, lineno, s, n, &i, true);
            if (key == NULL) {
                yval_free(v);
                return NULL;
            }
            if (key->kind != YV_SCALAR) {
                yval_free(key);
                yval_free(v);
                return fail(p, lineno, "flow mapping keys must be scalars");
            }
            while (i < n && is_space(s[i]))
                i++;
            struct yval *val;
            if (i < n && s[i] == ':') {
                i++;
                val = parse_flow_node(p, lineno, s, n, &i, false);
            } else {
                val = yval_new(YV_NULL, lineno);
            }
            if (val == NULL) {
                yval_free(key);
                yval_free(v);
                return NULL;
            }
            char *k = key->text;
            key->text = NULL;
            yval_free(key);
            yval_push(v, k, val);
        }
        while (i < n && is_space(s[i]))
            i++;
        if (i >= n) {
            yval_free(v);
            return fail(p, lineno, "unterminated flow %s (missing '%c')",
                        open == '[' ? "sequence" : "mapping", close);
        }
        if (s[i] == ',') {
            i++;
            continue;
        }
        if (i < n && s[i] == close) {
            i++;
            break;
        }
        yval_free(v);
        return fail(p, lineno, "expected ',' or '%c' in flow collection", close);
    }
    p->depth--;
    *io_pos = i;
    return v;
}

/* Joins the current line's rest 's' with following lines (indented deeper
 * than 'parent_indent') until the flow collection or quoted scalar that
 * starts 's' is closed. Line breaks become spaces. Advances p->pos past
 * every line used. */
static char *
join_continuation(struct parser *p, int parent_indent, const char *s, size_t n)
{
    struct buf b = { 0 };
    buf_add(&b, s, n);
    /* Scan state carried across lines: quote char and bracket depth. */
    char quote = 0;
    int depth = 0;
    size_t scanned = 0;
    for (;;) {
        for (; scanned < b.len; scanned++) {
            char c = b.data[scanned];
            if (quote) {
                if (quote == '"' && c == '\\' && scanned + 1 < b.len) {
                    scanned++;
                } else if (c == quote) {
                    if (quote == '\'' && scanned + 1 < b.len && b.data[scanned + 1] == '\'')
                        scanned++;
                    else
                        quote = 0;
                }
                if (!quote && depth == 0)
                    return buf_take(&b);
                continue;
            }
            if (c == '"' || c == '\'') {
                if (depth == 0 || scanned == 0 || !isalnum_ascii(b.data[scanned - 1]))
                    quote = c;
            } else if (c == '[' || c == '{') {
                depth++;
            } else if (c == ']' || c == '}') {
                if (--depth <= 0)
                    return buf_take(&b);
            } else if (c == '#' && scanned > 0 && is_space(b.data[scanned - 1]) && !quote) {
                /* A comment ends the line: drop it. */
                b.len = scanned;
                b.data[b.len] = '\0';
                break;
            }
        }
        if (p->pos >= p->count)
            return buf_take(&b);
        const struct line *l = &p->lines[p->pos];
        if (l->len > 0 && l->indent <= parent_indent && !quote)
            return buf_take(&b);
        p->pos++;
        buf_addc(&b, ' ');
        if (l->len == 0 && quote)
            b.data[b.len - 1] = '\n';
        buf_add(&b, l->text, l->len);
    }
}

static struct yval *parse_block_map(struct parser *p, int indent);
static struct yval *parse_block_seq(struct parser *p, int indent);

/* The value of "key:" or "- " with nothing after it on the line: a nested
 * block collection on the following lines, or null. A mapping value may be a
 * sequence written at the key's own indentation ("tags:\n- a"). */
static struct yval *
parse_nested(struct parser *p, int parent_indent, int lineno, bool is_map_value)
{
    skip_blank(p);
    if (p->pos >= p->count)
        return yval_new(YV_NULL, lineno);
    const struct line *l = &p->lines[p->pos];
    if (l->indent > parent_indent)
        return is_seq_item(l->text, l->len) ? parse_block_seq(p, l->indent)
                                            : parse_block_map(p, l->indent);
    if (is_map_value && l->indent == parent_indent && is_seq_item(l->text, l->len))
        return parse_block_seq(p, l->indent);
    return yval_new(YV_NULL, lineno);
}

/* A literal ('|') or folded ('>') block scalar; 's' is its header. */
static struct yval *
parse_block_scalar(struct parser *p, int parent_indent, const char *s, size_t n, int lineno)
{
    bool folded = s[0] == '>';
    char chomp = 'c'; /* clip: one final newline */
    int explicit_indent = 0;
    size_t i = 1;
    for (; i < n && !is_space(s[i]) && s[i] != '#'; i++) {
        if (s[i] == '-' || s[i] == '+')
            chomp = s[i];
        else if (s[i] >= '1' && s[i] <= '9')
            explicit_indent = s[i] - '0';
        else
            return fail(p, lineno, "invalid block scalar header '%.*s'", (int)n, s);
    }
    while (i < n && is_space(s[i]))
        i++;
    if (i < n && s[i] != '#')
        return fail(p, lineno, "unexpected text after block scalar header");

    int content_indent = explicit_indent ? parent_indent + explicit_indent : -1;
    struct buf b = { 0 };
    size_t pending_newlines = 0; /* blank lines not yet written */
    bool any = false;
    while (p->pos < p->count) {
        const struct line *l = &p->lines[p->pos];
        if (l->len == 0) {
            pending_newlines++;
            p->pos++;
            continue;
        }
        if (content_indent < 0) {
            if (l->indent <= parent_indent)
                break;
            content_indent = l->indent;
        }
        if (l->indent < content_indent)
            break;
        if (any) {
            /* Folding turns one line break into a space; blank lines stay
             * line breaks. Literal scalars keep every line break. */
            if (folded && pending_newlines == 0)
                buf_addc(&b, ' ');
            else
                buf_addc(&b, '\n');
        }
        for (size_t k = 0; k < pending_newlines; k++)
            buf_addc(&b, '\n');
        pending_newlines = 0;
        for (int k = content_indent; k < l->indent; k++)
            buf_addc(&b, ' ');
        buf_add(&b, l->text, l->len);
        any = true;
        p->pos++;
    }
    if (any && chomp != '-')
        buf_addc(&b, '\n');
    if (any && chomp == '+')
        for (size_t k = 0; k < pending_newlines; k++)
            buf_addc(&b, '\n');
    struct yval *v = yval_new(YV_SCALAR, lineno);
    v->text = buf_take(&b);
    return v;
}

/*
 * Parses the value that follows "key:" or "- " on line 'lineno'; 's' is the
 * rest of that line and p->pos already points past it. 'parent_indent' is
 * the indentation of the mapping or sequence that holds the value: deeper
 * lines belong to the value.
 */
static struct yval *
parse_value(struct parser *p, int parent_indent, const char *s, size_t n, int lineno,
            bool is_map_value)
{
    trim(&s, &n);
    if (n == 0 || s[0] == '#')
        return parse_nested(p, parent_indent, lineno, is_map_value);
    if (s[0] == '&' || s[0] == '*' || s[0] == '!')
        return fail(p, lineno, "anchors, aliases and tags ('%c') are not supported", s[0]);
    if (s[0] == '|' || s[0] == '>')
        return parse_block_scalar(p, parent_indent, s, n, lineno);
    if (s[0] == '[' || s[0] == '{' || s[0] == '"' || s[0] == '\'') {
        char *text = join_continuation(p, parent_indent, s, n);
        size_t tn = strlen(text);
        size_t used = 0;
        struct yval *v = NULL;
        if (s[0] == '[' || s[0] == '{') {
            v = parse_flow(p, lineno, text, tn, &used);
        } else {
            char *value;
            if (read_quoted(p, lineno, text, tn, &value, &used)) {
                v = yval_new(YV_SCALAR, lineno);
                v->text = value;
            }
        }
        if (v != NULL) {
            while (used < tn && is_space(text[used]))
                used++;
            if (used < tn && text[used] != '#') {
                yval_free(v);
                v = fail(p, lineno, "unexpected text after %s",
                         s[0] == '[' || s[0] == '{' ? "flow collection" : "quoted string");
            }
        }
        free(text);
        return v;
    }

    /* A plain scalar: this line up to a comment, folded with deeper lines. */
    size_t len = plain_len(s, n);
    bool ended = has_comment(s, n);
    struct buf b = { 0 };
    buf_add(&b, s, len);
    while (!ended && p->pos < p->count) {
        const struct line *l = &p->lines[p->pos];
        if (l->len == 0 || l->indent <= parent_indent || l->text[0] == '#')
            break;
        size_t ln = plain_len(l->text, l->len);
        buf_addc(&b, ' ');
        buf_add(&b, l->text, ln);
        p->pos++;
        ended = has_comment(l->text, l->len);
    }
    for (size_t i = 0; i < b.len; i++) {
        if (b.data[i] == ':' && (i + 1 == b.len || is_space(b.data[i + 1]))) {
            free(b.data);
            return fail(p, lineno, "mapping values are not allowed here "
                                   "(put the value in quotes)");
        }
    }
    struct yval *v = plain_scalar(b.data ? b.data : "", b.len, lineno);
    free(b.data);
    return v;
}

static struct yval *
parse_block_map(struct parser *p, int indent)
{
    if (++p->depth > MAX_DEPTH)
        return fail(p, p->lines[p->pos].lineno, "nesting deeper than %d levels", MAX_DEPTH);
    struct yval *map = yval_new(YV_MAP, p->lines[p->pos].lineno);
    for (;;) {
        skip_blank(p);
        if (p->pos >= p->count)
            break;
        const struct line *l = &p->lines[p->pos];
        if (l->indent < indent)
            break;
        if (l->indent > indent) {
            yval_free(map);
            return fail(p, l->lineno, "bad indentation of a mapping entry");
        }
        if (is_seq_item(l->text, l->len)) {
            if (indent == 0 && map->count == 0) {
                yval_free(map);
                return fail(p, l->lineno, "frontmatter must be a mapping of 'key: value' lines");
            }
            break; /* the caller decides whether a sequence may be here */
        }
        if (l->text[0] == '?' && (l->len == 1 || is_space(l->text[1]))) {
            yval_free(map);
            return fail(p, l->lineno, "complex keys ('? ') are not supported");
        }
        long colon = find_key_colon(l->text, l->len);
        if (colon < 0) {
            yval_free(map);
            return fail(p, l->lineno, "expected 'key: value'");
        }
        char *key;
        if (l->text[0] == '"' || l->text[0] == '\'') {
            size_t used;
            if (!read_quoted(p, l->lineno, l->text, (size_t)colon, &key, &used)) {
                yval_free(map);
                return NULL;
            }
        } else {
            const char *k = l->text;
            size_t kn = (size_t)colon;
            trim(&k, &kn);
            struct buf b = { 0 };
            buf_add(&b, k, kn);
            key = buf_take(&b);
        }
        if (yval_get(map, key) != NULL) {
            struct yval *r = fail(p, l->lineno, "duplicate key '%s'", key);
            free(key);
            yval_free(map);
            return r;
        }
        p->pos++;
        struct yval *val = parse_value(p, indent, l->text + colon + 1,
                                       l->len - (size_t)colon - 1, l->lineno, true);
        if (val == NULL) {
            free(key);
            yval_free(map);
            return NULL;
        }
        yval_push(map, key, val);
    }
    p->depth--;
    return map;
}

static struct yval *
parse_block_seq(struct parser *p, int indent)
{
    if (++p->depth > MAX_DEPTH)
        return fail(p, p->lines[p->pos].lineno, "nesting deeper than %d levels", MAX_DEPTH);
    struct yval *list = yval_new(YV_LIST, p->lines[p->pos].lineno);
    for (;;) {
        skip_blank(p);
        if (p->pos >= p->count)
            break;
        struct line *l = &p->lines[p->pos];
        if (l->indent < indent)
            break;
        if (l->indent > indent) {
            yval_free(list);
            return fail(p, l->lineno, "bad indentation of a sequence item");
        }
        if (!is_seq_item(l->text, l->len))
            break;
        size_t off = 1;
        while (off < l->len && is_space(l->text[off]))
            off++;
        const char *rest = l->text + off;
        size_t rest_len = l->len - off;
        struct yval *item;
        if (rest_len > 0 && rest[0] != '#' &&
            (is_seq_item(rest, rest_len) || find_key_colon(rest, rest_len) >= 0)) {
            /* "- key: v" or "- - x": a collection that starts on this line.
             * Re-read the line as if it began at the item's column. */
            l->text = rest;
            l->len = rest_len;
            l->indent = indent + (int)off;
            item = is_seq_item(rest, rest_len) ? parse_block_seq(p, l->indent)
                                               : parse_block_map(p, l->indent);
        } else {
            p->pos++;
            item = parse_value(p, indent, rest, rest_len, l->lineno, false);
        }
        if (item == NULL) {
            yval_free(list);
            return NULL;
        }
        yval_push(list, NULL, item);
    }
    p->depth--;
    return list;
}

/* Parses the frontmatter lines into a mapping (an empty block is an empty
 * mapping). Returns NULL with p->err set on a syntax error. */
static struct yval *
parse_document(struct parser *p)
{
    skip_blank(p);
    if (p->pos >= p->count)
        return yval_new(YV_MAP, 1);
    const struct line *first = &p->lines[p->pos];
    if (is_seq_item(first->text, first->len))
        return fail(p, first->lineno, "frontmatter must be a mapping of 'key: value' lines");
    struct yval *doc = parse_block_map(p, first->indent);
    if (doc == NULL)
        return NULL;
    skip_blank(p);
    if (p->pos < p->count) {
        int lineno = p->lines[p->pos].lineno;
        yval_free(doc);
        return fail(p, lineno, "bad indentation (this line is left of the first key)");
    }
    return doc;
}

/* Reads the whole file; NULL with a message on stderr on failure. */
static char *
read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return NULL;
    }
    struct buf b = { 0 };
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + got > MAX_FILE_BYTES) {
            fprintf(stderr, "%s: file is larger than %u bytes\n", path, MAX_FILE_BYTES);
            fclose(f);
            free(b.data);
            return NULL;
        }
        buf_add(&b, chunk, got);
    }
    bool bad = ferror(f);
    int saved_errno = errno;
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(saved_errno));
        free(b.data);
        return NULL;
    }
    *out_len = b.len;
    return buf_take(&b);
}

/* The end of the raw line starting at 'start' (the '\n' or the text's end). */
static size_t
line_end(const char *text, size_t len, size_t start)
{
    const char *nl = memchr(text + start, '\n', len - start);
    return nl ? (size_t)(nl - text) : len;
}

/* Whether the raw line [s, s + n) is the marker 'm' with optional trailing
 * spaces or '\r'. */
static bool
is_marker(const char *s, size_t n, const char *m)
{
    size_t mn = strlen(m);
    if (n < mn || memcmp(s, m, mn) != 0)
        return false;
    for (size_t i = mn; i < n; i++)
        if (!is_space(s[i]) && s[i] != '\r')
            return false;
    return true;
}

enum field_state { FIELD_OK, FIELD_MISSING, FIELD_WRONG_TYPE };

static const char *
kind_name(enum yval_kind kind)
{
    switch (kind) {
    case YV_NULL: return "null";
    case YV_SCALAR: return "a string";
    case YV_LIST: return "a list";
    case YV_MAP: return "a mapping";
    }
    return "?";
}

static bool
is_empty_text(const char *s)
{
    for (; *s; s++)
        if (!is_space(*s) && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* title and date: a non-empty scalar. */
static enum field_state
check_string(const char *path, const struct yval *doc, const char *key)
{
    const struct yval *v = yval_get(doc, key);
    if (v == NULL || v->kind == YV_NULL)
        return FIELD_MISSING;
    if (v->kind != YV_SCALAR) {
        fprintf(stderr, "%s:%d: %s: expected a string, got %s\n", path, v->line, key,
                kind_name(v->kind));
        return FIELD_WRONG_TYPE;
    }
    return is_empty_text(v->text) ? FIELD_MISSING : FIELD_OK;
}

/* tags: a list with at least one non-empty string. */
static enum field_state
check_list(const char *path, const struct yval *doc, const char *key)
{
    const struct yval *v = yval_get(doc, key);
    if (v == NULL || v->kind == YV_NULL)
        return FIELD_MISSING;
    if (v->kind == YV_SCALAR && is_empty_text(v->text))
        return FIELD_MISSING;
    if (v->kind != YV_LIST) {
        fprintf(stderr, "%s:%d: %s: expected a list like [a, b], got %s\n", path, v->line, key,
                kind_name(v->kind));
        return FIELD_WRONG_TYPE;
    }
    size_t present = 0;
    for (size_t i = 0; i < v->count; i++) {
        const struct yval *item = v->items[i];
        if (item->kind == YV_LIST || item->kind == YV_MAP) {
            fprintf(stderr, "%s:%d: %s: expected a list of strings, item %zu is %s\n", path,
                    item->line, key, i + 1, kind_name(item->kind));
            return FIELD_WRONG_TYPE;
        }
        if (item->kind == YV_SCALAR && !is_empty_text(item->text))
            present++;
    }
    return present > 0 ? FIELD_OK : FIELD_MISSING;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: frontmatter FILE\n"
              "Checks that a markdown file's YAML frontmatter has title, date and tags.\n"
              "Exit status: 0 ok, 1 fields missing, 2 parse or usage error.\n",
              stderr);
        return 2;
    }
    const char *path = argv[1];
    size_t len;
    char *text = read_file(path, &len);
    if (text == NULL)
        return 2;
    if (memchr(text, '\0', len) != NULL) {
        fprintf(stderr, "%s: not a text file (contains a NUL byte)\n", path);
        free(text);
        return 2;
    }
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        pos = 3; /* UTF-8 byte order mark */

    int rc = 2;
    struct line *lines = NULL;
    struct yval *doc = NULL;
    size_t end = line_end(text, len, pos);
    if (!is_marker(text + pos, end - pos, "---")) {
        /* No frontmatter at all: every field is missing. */
        fprintf(stderr, "%s: missing: title, date, tags\n", path);
        rc = 1;
        goto done;
    }

    /* Collect the lines up to the closing marker. */
    size_t count = 0, cap = 0;
    int lineno = 1;
    bool closed = false;
    for (pos = end < len ? end + 1 : len; pos < len;) {
        end = line_end(text, len, pos);
        lineno++;
        const char *s = text + pos;
        size_t n = end - pos;
        pos = end < len ? end + 1 : len;
        if (is_marker(s, n, "---") || is_marker(s, n, "...")) {
            closed = true;
            break;
        }
        while (n > 0 && (s[n - 1] == '\r' || is_space(s[n - 1])))
            n--;
        int indent = 0;
        while ((size_t)indent < n && (s[indent] == ' ' || s[indent] == '\t')) {
            if (s[indent] == '\t' && (size_t)indent + 1 < n) {
                /* A whitespace-only line may hold tabs; indentation may not. */
                size_t k = (size_t)indent;
                while (k < n && is_space(s[k]))
                    k++;
                if (k < n) {
                    fprintf(stderr, "%s:%d: yaml: tab character in indentation "
                                    "(YAML indents with spaces)\n", path, lineno);
                    goto done;
                }
            }
            indent++;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            lines = xrealloc(lines, cap * sizeof(*lines));
        }
        lines[count].text = s + indent;
        lines[count].len = n - (size_t)indent;
        lines[count].indent = (size_t)indent == n ? 0 : indent;
        lines[count].lineno = lineno;
        count++;
    }
    if (!closed) {
        fprintf(stderr, "%s:1: yaml: frontmatter is never closed (no '---' line after line 1)\n",
                path);
        goto done;
    }

    struct parser p = { .lines = lines, .count = count };
    doc = parse_document(&p);
    if (doc == NULL) {
        fprintf(stderr, "%s:%d: yaml: %s\n", path, p.err_line, p.err);
        goto done;
    }

    enum field_state title = check_string(path, doc, "title");
    enum field_state date = check_string(path, doc, "date");
    enum field_state tags = check_list(path, doc, "tags");
    if (title == FIELD_WRONG_TYPE || date == FIELD_WRONG_TYPE || tags == FIELD_WRONG_TYPE)
        goto done; /* already reported; exit 2 */
    if (title == FIELD_MISSING || date == FIELD_MISSING || tags == FIELD_MISSING) {
        fprintf(stderr, "%s: missing: %s%s%s%s%s\n", path,
                title == FIELD_MISSING ? "title" : "",
                title == FIELD_MISSING && (date == FIELD_MISSING || tags == FIELD_MISSING) ? ", " : "",
                date == FIELD_MISSING ? "date" : "",
                date == FIELD_MISSING && tags == FIELD_MISSING ? ", " : "",
                tags == FIELD_MISSING ? "tags" : "");
        rc = 1;
        goto done;
    }
    printf("%s: ok\n", path);
    rc = 0;
done:
    yval_free(doc);
    free(lines);
    free(text);
    if (fflush(stdout) != 0 && rc == 0)
        rc = 2;
    return rc;
}
