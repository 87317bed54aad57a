/* examples/02-jsonschema/regex.c: a small backtracking regular expression
 * engine for JSON Schema patterns (see regex.h for the syntax).
 *
 * Both the pattern and the subject are decoded to code points first. The
 * pattern compiles to a tree: a group holds alternatives, an alternative is
 * a sequence of nodes, and every node carries its own quantifier. Matching
 * is continuation-passing: each function gets "what must match next" as a
 * linked list of frames on the C stack, so backtracking is just returning
 * false. Each step is counted against a budget and the recursion depth is
 * bounded, which keeps hostile patterns such as (a*)*b from hanging or
 * overflowing the stack: they end with RE_TOO_COMPLEX.
 */
#include "regex.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 2000000
#define MAX_DEPTH 3000     /* continuation frames; each is a few C frames */
#define MAX_NESTING 64     /* groups inside groups, at compile time */
#define MAX_REPEAT 1000    /* largest {n,m} bound */

enum re_op { RE_CHAR, RE_ANY, RE_CLASS, RE_BOL, RE_EOL, RE_WORDB, RE_NWORDB, RE_GROUP, RE_LOOK };

/* Negated shorthands inside a class ([\W\d]) cannot be listed as ranges. */
enum { CLS_NOT_DIGIT = 1, CLS_NOT_WORD = 2, CLS_NOT_SPACE = 4 };

struct re_range {
    uint32_t lo, hi;
};

struct re_seq {
    struct re_node *nodes;
    size_t count;
    size_t cap;
};

struct re_node {
    enum re_op op;
    uint32_t ch;               /* RE_CHAR */
    struct re_range *ranges;   /* RE_CLASS */
    size_t range_count;
    unsigned flags;            /* RE_CLASS: CLS_NOT_* */
    bool negate;               /* RE_CLASS: [^...]; RE_LOOK: (?!...) */
    struct re_seq *alts;       /* RE_GROUP, RE_LOOK */
    size_t alt_count;
    int min, max;              /* quantifier; max < 0 is unbounded */
    bool greedy;
};

struct regex {
    struct re_node root; /* a group */
};

/* ---- building ---- */

static void
oom(void)
{
    fputs("regex: out of memory\n", stderr);
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

static void node_release(struct re_node *n);

static void
seq_release(struct re_seq *s)
{
    for (size_t i = 0; i < s->count; i++)
        node_release(&s->nodes[i]);
    free(s->nodes);
}

static void
node_release(struct re_node *n)
{
    free(n->ranges);
    for (size_t i = 0; i < n->alt_count; i++)
        seq_release(&n->alts[i]);
    free(n->alts);
}

void
regex_free(struct regex *re)
{
    if (re == NULL)
        return;
    node_release(&re->root);
    free(re);
}

static void
add_range(struct re_node *n, uint32_t lo, uint32_t hi)
{
    n->ranges = xrealloc(n->ranges, (n->range_count + 1) * sizeof(*n->ranges));
    n->ranges[n->range_count].lo = lo;
    n->ranges[n->range_count].hi = hi;
    n->range_count++;
}

static const struct re_range space_ranges[] = {
    { 0x09, 0x0d }, { 0x20, 0x20 }, { 0xa0, 0xa0 }, { 0x1680, 0x1680 }, { 0x2000, 0x200a },
    { 0x2028, 0x2029 }, { 0x202f, 0x202f }, { 0x205f, 0x205f }, { 0x3000, 0x3000 },
    { 0xfeff, 0xfeff },
};

static bool
is_digit_cp(uint32_t c)
{
    return c >= '0' && c <= '9';
}

static bool
is_word_cp(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit_cp(c) || c == '_';
}

static bool
is_space_cp(uint32_t c)
{
    for (size_t i = 0; i < sizeof(space_ranges) / sizeof(space_ranges[0]); i++)
        if (c >= space_ranges[i].lo && c <= space_ranges[i].hi)
            return true;
    return false;
}

/* Adds the set of shorthand 'c' (d, w, s and their negations) to a class. */
static void
add_shorthand(struct re_node *n, uint32_t c)
{
    switch (c) {
    case 'd': add_range(n, '0', '9'); break;
    case 'w':
        add_range(n, 'a', 'z');
        add_range(n, 'A', 'Z');
        add_range(n, '0', '9');
        add_range(n, '_', '_');
        break;
    case 's':
        for (size_t i = 0; i < sizeof(space_ranges) / sizeof(space_ranges[0]); i++)
            add_range(n, space_ranges[i].lo, space_ranges[i].hi);
        break;
    case 'D': n->flags |= CLS_NOT_DIGIT; break;
    case 'W': n->flags |= CLS_NOT_WORD; break;
    case 'S': n->flags |= CLS_NOT_SPACE; break;
    }
}

/* ---- parsing ---- */

struct rparser {
    const uint32_t *p;
    size_t n;
    size_t i;
    int nesting;
    char *msg;
    size_t msg_cap;
    bool failed;
};

static bool fail(struct rparser *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool
fail(struct rparser *rp, const char *fmt, ...)
{
    if (!rp->failed) {
        rp->failed = true;
        int used = snprintf(rp->msg, rp->msg_cap, "at offset %zu: ", rp->i);
        if (used > 0 && (size_t)used < rp->msg_cap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(rp->msg + used, rp->msg_cap - (size_t)used, fmt, ap);
            va_end(ap);
        }
    }
    return false;
}

static bool
peek_is(const struct rparser *rp, uint32_t c)
{
    return rp->i < rp->n && rp->p[rp->i] == c;
}

static int
hex_digit(uint32_t c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

static int escape_kind(struct rparser *rp, uint32_t c, uint32_t *out_cp, struct re_node *cls,
                       bool in_class);

/*
 * Reads the escape after a backslash (rp->i is past the '\'). A single code
 * point goes to '*out_cp' and returns 1; a shorthand class (d w s D W S) is
 * added to 'cls' (when given) and returns 2; \b \B return 3 and 4 (only
 * meaningful outside classes); 0 on error.
 */
static int
read_escape(struct rparser *rp, uint32_t *out_cp, struct re_node *cls, bool in_class)
{
    size_t start = rp->i - 1; /* the backslash: where errors point */
    if (rp->i >= rp->n)
        return fail(rp, "pattern ends with '\\'"), 0;
    uint32_t c = rp->p[rp->i++];
    int kind = escape_kind(rp, c, out_cp, cls, in_class);
    if (kind == 0 && rp->failed) {
        /* Point the message at the escape, not past it. */
        char tail[160];
        const char *colon = strstr(rp->msg, ": ");
        snprintf(tail, sizeof(tail), "%s", colon ? colon + 2 : rp->msg);
        snprintf(rp->msg, rp->msg_cap, "at offset %zu: %s", start, tail);
    }
    return kind;
}

static int
escape_kind(struct rparser *rp, uint32_t c, uint32_t *out_cp, struct re_node *cls,
            bool in_class)
{
    switch (c) {
    case 'd': case 'w': case 's': case 'D': case 'W': case 'S':
        if (cls)
            add_shorthand(cls, c);
        *out_cp = c;
        return 2;
    case 'b':
        if (in_class) {
            *out_cp = '\b';
            return 1;
        }
        return 3;
    case 'B':
        return in_class ? (fail(rp, "\\B inside a class"), 0) : 4;
    case 'n': *out_cp = '\n'; return 1;
    case 'r': *out_cp = '\r'; return 1;
    case 't': *out_cp = '\t'; return 1;
    case 'f': *out_cp = '\f'; return 1;
    case 'v': *out_cp = '\v'; return 1;
    case '0':
        if (rp->i < rp->n && is_digit_cp(rp->p[rp->i]))
            return fail(rp, "octal escapes are not supported"), 0;
        *out_cp = 0;
        return 1;
    case 'x': case 'u': {
        int digits = c == 'x' ? 2 : 4;
        uint32_t v = 0;
        for (int k = 0; k < digits; k++) {
            int h = rp->i < rp->n ? hex_digit(rp->p[rp->i]) : -1;
            if (h < 0)
                return fail(rp, "\\%c needs %d hex digits", (char)c, digits), 0;
            v = v * 16 + (uint32_t)h;
            rp->i++;
        }
        *out_cp = v;
        return 1;
    }
    case 'p': case 'P':
        return fail(rp, "Unicode property escapes (\\%c{...}) are not supported", (char)c), 0;
    case 'k':
        return fail(rp, "named backreferences are not supported"), 0;
    default:
        if (c >= '1' && c <= '9')
            return fail(rp, "backreferences are not supported"), 0;
        if (is_word_cp(c))
            return fail(rp, "unknown escape '\\%c'", (char)c), 0;
        *out_cp = c; /* escaped punctuation stands for itself */
        return 1;
    }
}

static bool
parse_class(struct rparser *rp, struct re_node *n)
{
    n->op = RE_CLASS;
    if (peek_is(rp, '^')) {
        n->negate = true;
        rp->i++;
    }
    bool first = true;
    for (;;) {
        if (rp->i >= rp->n)
            return fail(rp, "unterminated character class");
        uint32_t c = rp->p[rp->i];
        if (c == ']' && !first) {
            rp->i++;
            return true;
        }
        first = false;
        rp->i++;
        uint32_t lo = c;
        if (c == '\\') {
            int kind = read_escape(rp, &lo, n, true);
            if (kind == 0)
                return false;
            if (kind == 2)
                continue;
        }
        /* A range "lo-hi", unless the '-' is last ("[a-]"). */
        if (peek_is(rp, '-') && rp->i + 1 < rp->n && rp->p[rp->i + 1] != ']') {
            rp->i++;
            uint32_t hi = rp->p[rp->i++];
            if (hi == '\\') {
                int kind = read_escape(rp, &hi, NULL, true);
                if (kind == 0)
                    return false;
                if (kind == 2)
                    return fail(rp, "a class shorthand cannot end a range");
            }
            if (hi < lo)
                return fail(rp, "range out of order in character class");
            add_range(n, lo, hi);
        } else {
            add_range(n, lo, lo);
        }
    }
}

static bool parse_alternatives(struct rparser *rp, struct re_node *group);

/* Reads a quantifier after an atom, if any. */
static bool
parse_quantifier(struct rparser *rp, struct re_node *n)
{
    n->min = n->max = 1;
    n->greedy = true;
    if (rp->i >= rp->n)
        return true;
    uint32_t c = rp->p[rp->i];
    if (c == '*' || c == '+' || c == '?') {
        rp->i++;
        n->min = c == '+' ? 1 : 0;
        n->max = c == '?' ? 1 : -1;
    } else if (c == '{') {
        size_t save = rp->i++;
        long lo = -1, hi;
        long v = 0;
        bool any = false;
        while (rp->i < rp->n && is_digit_cp(rp->p[rp->i]) && v <= MAX_REPEAT) {
            v = v * 10 + (long)(rp->p[rp->i++] - '0');
            any = true;
        }
        if (!any) {
            rp->i = save; /* a literal '{' */
            return true;
        }
        lo = v;
        hi = v;
        if (peek_is(rp, ',')) {
            rp->i++;
            v = 0;
            any = false;
            while (rp->i < rp->n && is_digit_cp(rp->p[rp->i]) && v <= MAX_REPEAT) {
                v = v * 10 + (long)(rp->p[rp->i++] - '0');
                any = true;
            }
            hi = any ? v : -1;
        }
        if (!peek_is(rp, '}')) {
            rp->i = save;
            return true;
        }
        rp->i++;
        if (lo > MAX_REPEAT || hi > MAX_REPEAT)
            return fail(rp, "repetition count larger than %d", MAX_REPEAT);
        if (hi >= 0 && hi < lo)
            return fail(rp, "numbers out of order in {n,m}");
        n->min = (int)lo;
        n->max = (int)hi;
    } else {
        return true;
    }
    if (peek_is(rp, '?')) {
        rp->i++;
        n->greedy = false;
    }
    if (rp->i < rp->n && (rp->p[rp->i] == '*' || rp->p[rp->i] == '+' || rp->p[rp->i] == '?' ||
                          rp->p[rp->i] == '{'))
        return fail(rp, "nothing to repeat");
    return true;
}

static bool
parse_sequence(struct rparser *rp, struct re_seq *seq)
{
    while (rp->i < rp->n && rp->p[rp->i] != '|' && rp->p[rp->i] != ')') {
        struct re_node n;
        memset(&n, 0, sizeof(n));
        uint32_t c = rp->p[rp->i++];
        bool quantifiable = true;
        switch (c) {
        case '.': n.op = RE_ANY; break;
        case '^': n.op = RE_BOL; quantifiable = false; break;
        case '$': n.op = RE_EOL; quantifiable = false; break;
        case '[':
            if (!parse_class(rp, &n)) {
                node_release(&n);
                return false;
            }
            break;
        case '(': {
            size_t open = rp->i - 1;
            if (++rp->nesting > MAX_NESTING)
                return fail(rp, "groups nested deeper than %d", MAX_NESTING);
            n.op = RE_GROUP;
            if (peek_is(rp, '?')) {
                rp->i++;
                uint32_t k = rp->i < rp->n ? rp->p[rp->i++] : 0;
                if (k == '=' || k == '!') {
                    n.op = RE_LOOK;
                    n.negate = k == '!';
                    quantifiable = false;
                } else if (k == '<' && rp->i < rp->n &&
                           (rp->p[rp->i] == '=' || rp->p[rp->i] == '!')) {
                    rp->i = open;
                    return fail(rp, "lookbehind is not supported");
                } else if (k == '<') {
                    while (rp->i < rp->n && rp->p[rp->i] != '>')
                        rp->i++;
                    if (rp->i >= rp->n)
                        return fail(rp, "unterminated group name");
                    rp->i++;
                } else if (k != ':') {
                    rp->i = open;
                    return fail(rp, "unknown group syntax '(?%c'", (char)k);
                }
            }
            if (!parse_alternatives(rp, &n)) {
                node_release(&n);
                return false;
            }
            if (!peek_is(rp, ')')) {
                node_release(&n);
                return fail(rp, "missing ')'");
            }
            rp->i++;
            rp->nesting--;
            break;
        }
        case '\\': {
            int kind = read_escape(rp, &n.ch, NULL, false);
            if (kind == 0)
                return false;
            if (kind == 1) {
                n.op = RE_CHAR;
            } else if (kind == 2) {
                n.op = RE_CLASS;
                add_shorthand(&n, n.ch);
            } else {
                n.op = kind == 3 ? RE_WORDB : RE_NWORDB;
                quantifiable = false;
            }
            break;
        }
        case '*': case '+': case '?':
            return fail(rp, "nothing to repeat");
        case ']': case '}': default:
            n.op = RE_CHAR;
            n.ch = c;
            break;
        }
        if (quantifiable) {
            if (!parse_quantifier(rp, &n)) {
                node_release(&n);
                return false;
            }
        } else {
            n.min = n.max = 1;
            n.greedy = true;
        }
        if (seq->count == seq->cap) {
            seq->cap = seq->cap ? seq->cap * 2 : 8;
            seq->nodes = xrealloc(seq->nodes, seq->cap * sizeof(*seq->nodes));
        }
        seq->nodes[seq->count++] = n;
    }
    return true;
}

static bool
parse_alternatives(struct rparser *rp, struct re_node *group)
{
    for (;;) {
        group->alts = xrealloc(group->alts, (group->alt_count + 1) * sizeof(*group->alts));
        struct re_seq *seq = &group->alts[group->alt_count++];
        memset(seq, 0, sizeof(*seq));
        if (!parse_sequence(rp, seq))
            return false;
        if (!peek_is(rp, '|'))
            return true;
        rp->i++;
    }
}

/* Decodes UTF-8 into code points (invalid bytes map to themselves). */
static uint32_t *
decode(const char *s, size_t len, size_t *out_count)
{
    uint32_t *cps = xrealloc(NULL, (len + 1) * sizeof(*cps));
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        uint32_t cp = extra == 0 ? c : c & (0x3f >> extra);
        size_t k = 1;
        for (; k <= extra && i + k < len && ((unsigned char)s[i + k] & 0xc0) == 0x80; k++)
            cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
        if (k <= extra) { /* truncated sequence: take the byte alone */
            cp = c;
            k = 1;
        }
        cps[n++] = cp;
        i += k;
    }
    *out_count = n;
    return cps;
}

struct regex *
regex_compile(const char *pattern, size_t len, char *msg, size_t msg_cap)
{
    size_t n;
    uint32_t *cps = decode(pattern, len, &n);
    struct regex *re = xrealloc(NULL, sizeof(*re));
    memset(re, 0, sizeof(*re));
    re->root.op = RE_GROUP;
    re->root.min = re->root.max = 1;
    re->root.greedy = true;
    struct rparser rp = { .p = cps, .n = n, .msg = msg, .msg_cap = msg_cap };
    bool ok = parse_alternatives(&rp, &re->root);
    if (ok && rp.i < rp.n)
        ok = fail(&rp, "unmatched ')'");
    free(cps);
    if (!ok) {
        regex_free(re);
        return NULL;
    }
    return re;
}

/* ---- matching ---- */

struct matcher {
    const uint32_t *s;
    size_t len;
    long steps;
    int depth;
    bool too_complex;
};

/* What to match after the current node: the rest of a sequence, or one
 * more round of a repetition. */
struct cont {
    const struct re_seq *seq;   /* continue at seq->nodes[idx] ... */
    size_t idx;
    const struct re_node *rep;  /* ... or: 'rep' has matched 'count' times */
    int count;
    size_t rep_start;           /* where the last round of 'rep' started */
    const struct cont *next;
};

static bool m_seq(struct matcher *m, const struct re_seq *seq, size_t idx, size_t pos,
                  const struct cont *k);
static bool m_rep(struct matcher *m, const struct re_node *n, int count, size_t start,
                  size_t pos, const struct cont *k);

static bool
budget(struct matcher *m)
{
    if (m->too_complex)
        return false;
    if (++m->steps > MAX_STEPS || m->depth > MAX_DEPTH) {
        m->too_complex = true;
        return false;
    }
    return true;
}

static bool
m_cont(struct matcher *m, size_t pos, const struct cont *k)
{
    if (k == NULL)
        return true;
    if (k->rep != NULL)
        return m_rep(m, k->rep, k->count, k->rep_start, pos, k->next);
    return m_seq(m, k->seq, k->idx, pos, k->next);
}

static bool
class_has(const struct re_node *n, uint32_t c)
{
    bool in = false;
    for (size_t i = 0; i < n->range_count && !in; i++)
        in = c >= n->ranges[i].lo && c <= n->ranges[i].hi;
    if (!in && (n->flags & CLS_NOT_DIGIT) && !is_digit_cp(c))
        in = true;
    if (!in && (n->flags & CLS_NOT_WORD) && !is_word_cp(c))
        in = true;
    if (!in && (n->flags & CLS_NOT_SPACE) && !is_space_cp(c))
        in = true;
    return in != n->negate;
}

/* Matches one occurrence of node 'n' at 'pos', then 'k'. */
static bool
m_one(struct matcher *m, const struct re_node *n, size_t pos, const struct cont *k)
{
    switch (n->op) {
    case RE_CHAR:
        return pos < m->len && m->s[pos] == n->ch && m_cont(m, pos + 1, k);
    case RE_ANY:
        return pos < m->len && m->s[pos] != '\n' && m->s[pos] != '\r' &&
               m->s[pos] != 0x2028 && m->s[pos] != 0x2029 && m_cont(m, pos + 1, k);
    case RE_CLASS:
        return pos < m->len && class_has(n, m->s[pos]) && m_cont(m, pos + 1, k);
    case RE_BOL:
        return pos == 0 && m_cont(m, pos, k);
    case RE_EOL:
        return pos == m->len && m_cont(m, pos, k);
    case RE_WORDB:
    case RE_NWORDB: {
        bool before = pos > 0 && is_word_cp(m->s[pos - 1]);
        bool after = pos < m->len && is_word_cp(m->s[pos]);
        return ((before != after) == (n->op == RE_WORDB)) && m_cont(m, pos, k);
    }
    case RE_GROUP:
        for (size_t i = 0; i < n->alt_count; i++)
            if (m_seq(m, &n->alts[i], 0, pos, k))
                return true;
        return false;
    case RE_LOOK: {
        bool found = false;
        for (size_t i = 0; i < n->alt_count && !found; i++)
            found = m_seq(m, &n->alts[i], 0, pos, NULL);
        if (m->too_complex)
            return false;
        return found != n->negate && m_cont(m, pos, k);
    }
    }
    return false;
}

/* Node 'n' has matched 'count' times, the last round starting at 'start'
 * and ending at 'pos': match another round or go on with 'k'. */
static bool
m_rep(struct matcher *m, const struct re_node *n, int count, size_t start, size_t pos,
      const struct cont *k)
{
    if (!budget(m))
        return false;
    bool can_more = n->max < 0 || count < n->max;
    /* An empty round past the minimum would repeat for ever. */
    if (count > n->min && pos == start)
        can_more = false;
    bool can_stop = count >= n->min;
    struct cont again = { .rep = n, .count = count + 1, .rep_start = pos, .next = k };
    bool ok = false;
    m->depth++;
    if (n->greedy) {
        ok = (can_more && m_one(m, n, pos, &again)) ||
             (can_stop && !m->too_complex && m_cont(m, pos, k));
    } else {
        ok = (can_stop && m_cont(m, pos, k)) ||
             (can_more && !m->too_complex && m_one(m, n, pos, &again));
    }
    m->depth--;
    return ok && !m->too_complex;
}

/* One code point matches a single-character node (RE_CHAR, RE_ANY, RE_CLASS). */
static bool
char_matches(const struct re_node *n, uint32_t c)
{
    switch (n->op) {
    case RE_CHAR: return c == n->ch;
    case RE_ANY: return c != '\n' && c != '\r' && c != 0x2028 && c != 0x2029;
    case RE_CLASS: return class_has(n, c);
    default: return false;
    }
}

/* A repeated single-character node ("a*", "[0-9]{2,4}", ".+?"): count the
 * run once, then try the continuation at each length, longest first when
 * greedy. A loop instead of one recursion per character keeps long subjects
 * within the depth limit. */
static bool
m_run(struct matcher *m, const struct re_node *n, size_t pos, const struct cont *k)
{
    size_t run = 0;
    size_t limit = n->max < 0 ? m->len - pos : (size_t)n->max;
    while (run < limit && pos + run < m->len && char_matches(n, m->s[pos + run]))
        run++;
    if (run < (size_t)n->min)
        return false;
    for (size_t i = 0; i <= run - (size_t)n->min; i++) {
        size_t len = n->greedy ? run - i : (size_t)n->min + i;
        if (!budget(m))
            return false;
        if (m_cont(m, pos + len, k))
            return true;
    }
    return false;
}

static bool
m_seq(struct matcher *m, const struct re_seq *seq, size_t idx, size_t pos, const struct cont *k)
{
    if (!budget(m))
        return false;
    if (idx == seq->count)
        return m_cont(m, pos, k);
    struct cont after = { .seq = seq, .idx = idx + 1, .next = k };
    const struct re_node *n = &seq->nodes[idx];
    m->depth++;
    bool single = n->op == RE_CHAR || n->op == RE_ANY || n->op == RE_CLASS;
    bool ok = n->min == 1 && n->max == 1 ? m_one(m, n, pos, &after)
              : single                   ? m_run(m, n, pos, &after)
                                         : m_rep(m, n, 0, (size_t)-1, pos, &after);
    m->depth--;
    return ok;
}

enum re_result
regex_search(const struct regex *re, const char *s, size_t len)
{
    struct matcher m = { 0 };
    m.s = decode(s, len, &m.len);
    enum re_result result = RE_NO_MATCH;
    for (size_t start = 0; start <= m.len; start++) {
        if (m_one(&m, &re->root, start, NULL)) {
            result = RE_MATCH;
            break;
        }
        if (m.too_complex) {
            result = RE_TOO_COMPLEX;
            break;
        }
    }
    free((void *)m.s);
    return result;
}
