/*
 * parse.c: lines of tokens to one file's unit (top level, commands,
 * templates, bodies, conditions).
 *
 * The grammar is line-oriented: every line starts with a word that says what
 * it is, and every block runs to its matching `end`. That makes recovery
 * simple and keeps `--check` useful: a bad line is reported and skipped; a
 * bad block opener is reported and its body is still parsed (and dropped),
 * so the `end`s stay paired and later errors are real ones. Nesting is
 * bounded by LANG_MAX_DEPTH; deeper blocks are skipped without recursion.
 *
 * Indentation is never significant. With warn_indent, a line whose leading
 * whitespace is not (nesting depth × the file's first indentation step), or
 * that mixes tabs and spaces, gets a warning (a few per file).
 */
#include <stdlib.h>
#include <string.h>

#include "lang/lang_int.h"

#define MAX_INDENT_WARNINGS 3

/* Words that end or split a body. */
enum stop {
    STOP_END = 1 << 0,
    STOP_ELIF = 1 << 1,
    STOP_ELSE = 1 << 2,
    STOP_CASE = 1 << 3,
    STOP_RESCUE = 1 << 4,
    STOP_FINALLY = 1 << 5,
};

struct parser {
    struct lang_lexer lx;
    struct lang_arena *arena;
    struct lang_diags *diags;
    const struct lang_source *src;
    struct lang_unit *unit;
    struct lang_line line; /* the current line */
    bool have_line;        /* 'line' is read and not yet consumed */
    bool at_eof;
    size_t errors;
    bool warn_indent;
    uint32_t indent_unit; /* first non-zero indentation seen at depth 1 */
    uint32_t indent_line; /* the line that set indent_unit */
    bool indent_tabs;     /* that line was indented with tabs */
    int nesting;          /* blocks open inside the current body */
    int indent_warnings;
};

#define ARENA_VEC(p, v) lang_arena_dup((p)->arena, (v).items, (v).count * sizeof(*(v).items))

static const struct {
    const char *name;
    enum lang_block_kind kind;
    int min_args, max_args; /* max -1: any */
} block_words[] = {
    { "parallel", LANG_BLOCK_PARALLEL, 0, 1 }, { "timeout", LANG_BLOCK_TIMEOUT, 1, 1 },
    { "retry", LANG_BLOCK_RETRY, 0, 2 },       { "cache", LANG_BLOCK_CACHE, 1, 2 },
    { "sandbox", LANG_BLOCK_SANDBOX, 1, 1 },   { "with_env", LANG_BLOCK_WITH_ENV, 1, -1 },
    { "with_cwd", LANG_BLOCK_WITH_CWD, 1, 1 }, { "wasm_run", LANG_BLOCK_WASM_RUN, 1, 1 },
    { "pipe", LANG_BLOCK_PIPE, 0, 0 },         { "os", LANG_BLOCK_OS, 1, -1 },
    { "arch", LANG_BLOCK_ARCH, 1, -1 },
};
#define BLOCK_WORD_COUNT (sizeof(block_words) / sizeof(block_words[0]))

enum lang_block_kind
lang_block_from_name(const char *name)
{
    for (size_t i = 0; i < BLOCK_WORD_COUNT; i++)
        if (strcmp(block_words[i].name, name) == 0)
            return block_words[i].kind;
    return LANG_BLOCK_NONE;
}

const char *
lang_block_name(enum lang_block_kind kind)
{
    for (size_t i = 0; i < BLOCK_WORD_COUNT; i++)
        if (block_words[i].kind == kind)
            return block_words[i].name;
    return "";
}

/* ---- line access ----------------------------------------------------------- */

/* Make the next non-empty line current. Returns false at the end. */
static bool
peek(struct parser *p)
{
    while (!p->have_line) {
        if (p->at_eof)
            return false;
        if (!lang_lex_line(&p->lx, &p->line)) {
            p->at_eof = true;
            return false;
        }
        if (p->line.had_error)
            p->errors++;
        if (p->line.toks.count > 0)
            p->have_line = true;
    }
    return true;
}

static void
consume(struct parser *p)
{
    p->have_line = false;
}

static size_t
ntok(const struct parser *p)
{
    return p->line.toks.count;
}

static const struct lang_tok *
tok(const struct parser *p, size_t i)
{
    return &p->line.toks.items[i];
}

/* The i-th token is the bare word 'w' (not an operator, not quoted). */
static bool
tok_is(const struct parser *p, size_t i, const char *w)
{
    if (i >= ntok(p))
        return false;
    const struct lang_tok *t = tok(p, i);
    return t->op == TOK_OP_NONE && t->word.quote == LANG_QUOTE_BARE && !t->word.has_interp
           && strcmp(t->word.text, w) == 0;
}

/* The first word of the current line when it is a bare word (and not the
 * target of `x = ...`), else "". */
static const char *
head(const struct parser *p)
{
    const struct lang_tok *t = tok(p, 0);
    if (t->op != TOK_OP_NONE || t->word.quote != LANG_QUOTE_BARE)
        return "";
    if (p->line.toks.count >= 2 && p->line.toks.items[1].op == TOK_OP_ASSIGN)
        return "";
    return t->word.text;
}

/* Words the grammar gives a meaning at the start of a line: they cannot
 * name a variable ('all' = false) nor a command or template ('all' = true,
 * which adds the block openers, since `parallel` would open a block). */
static bool
is_reserved(const char *w, bool all)
{
    static const char *const words[] = {
        "end",      "do",     "arg",      "if",      "elif",  "else",  "for_each", "match",
        "case",     "try",    "rescue",   "finally", "not",   "and",   "or",       "command",
        "template", "import", "requires", "bundle",  "hooks", "catch",
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(words[i], w) == 0)
            return true;
    return all && lang_block_from_name(w) != LANG_BLOCK_NONE;
}

static void error_at(struct parser *p, const struct src_loc *loc, uint32_t span, const char *fmt,
                     ...) PRINTF_LIKE(4, 5);

static void
error_at(struct parser *p, const struct src_loc *loc, uint32_t span, const char *fmt, ...)
{
    p->errors++;
    /* The lexer already reported this line (an unterminated string, say):
     * what the parser finds missing on it is a consequence, not news. */
    if (p->have_line && p->line.had_error && loc->line >= p->line.line)
        return;
    va_list ap;
    va_start(ap, fmt);
    lang_diag_vsrc(p->diags, LANG_SEV_ERROR, p->src, loc, span, fmt, ap);
    va_end(ap);
}

#define ERROR_TOK(p, i, ...) \
 error_at((p), &tok((p), (i))->word.loc, tok((p), (i))->span, __VA_ARGS__)

static void
check_indent(struct parser *p, int depth)
{
    if (!p->warn_indent || p->indent_warnings >= MAX_INDENT_WARNINGS)
        return;
    struct src_loc loc = { p->src->path, p->line.line, 1 };
    if (p->line.indent_mixed) {
        p->indent_warnings++;
        lang_diag_src(p->diags, LANG_SEV_WARNING, p->src, &loc, p->line.indent,
                      "indentation mixes tabs and spaces");
        return;
    }
    if (p->indent_unit == 0 && depth == 1 && p->line.indent > 0) {
        p->indent_unit = p->line.indent;
        p->indent_line = p->line.line;
        p->indent_tabs = p->line.indent_tabs;
    } else if (p->indent_unit && p->line.indent > 0 && p->line.indent_tabs != p->indent_tabs) {
        /* Tabs here, spaces there: column counts would only confuse. */
        p->indent_warnings++;
        lang_diag_src(p->diags, LANG_SEV_WARNING, p->src, &loc, p->line.indent,
                      "indentation uses %s here but %s on line %u",
                      p->line.indent_tabs ? "tabs" : "spaces", p->indent_tabs ? "tabs" : "spaces",
                      (unsigned)p->indent_line);
        return;
    }
    uint32_t unit = p->indent_unit ? p->indent_unit : 4;
    uint32_t expected = (uint32_t)depth * unit;
    if (p->line.indent != expected) {
        p->indent_warnings++;
        lang_diag_src(p->diags, LANG_SEV_WARNING, p->src, &loc, p->line.indent ? p->line.indent : 1,
                      "inconsistent indentation: expected %u column%s, found %u", expected,
                      expected == 1 ? "" : "s", p->line.indent);
    }
}

/* The word on the line that says what a body line is: the first, or the
 * third after `x =`. NULL when there is none. */
static const char *
stmt_head(const struct parser *p)
{
    size_t i = (ntok(p) >= 2 && tok(p, 1)->op == TOK_OP_ASSIGN) ? 2 : 0;
    if (i >= ntok(p))
        return NULL;
    const struct lang_tok *t = tok(p, i);
    if (t->op != TOK_OP_NONE || t->word.quote != LANG_QUOTE_BARE)
        return NULL;
    return t->word.text;
}

/* Words that only make sense at the top level. Met inside a block, they
 * mean the block lacks its 'end': the block stops there, so the missing
 * 'end' is reported at its opener and the top level resumes cleanly. */
static bool
is_top_keyword(const struct parser *p)
{
    static const char *const words[] = { "command", "template", "requires", "bundle",
                                         "hooks",   "catch",    "import" };
    if (ntok(p) >= 2 && tok(p, 1)->op == TOK_OP_ASSIGN)
        return false;
    const char *w = head(p);
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(words[i], w) == 0)
            return true;
    return false;
}

static bool
opens_body_block(const char *w)
{
    return w
           && (strcmp(w, "if") == 0 || strcmp(w, "for_each") == 0 || strcmp(w, "match") == 0
               || strcmp(w, "try") == 0 || lang_block_from_name(w) != LANG_BLOCK_NONE);
}

/*
 * Skip a block whose opener is the current line (already reported), without
 * recursion: count openers and ends. Used past the nesting cap.
 */
static void
skip_block(struct parser *p)
{
    size_t open = 1;
    consume(p);
    while (open > 0 && peek(p)) {
        const char *w = stmt_head(p);
        if (w && strcmp(w, "end") == 0)
            open--;
        else if (opens_body_block(w)
                 || (w
                     && (strcmp(w, "command") == 0 || strcmp(w, "template") == 0
                         || strcmp(w, "arg") == 0 || strcmp(w, "do") == 0
                         || strcmp(w, "catch") == 0)))
            open++;
        consume(p);
    }
}

/* ---- words ---------------------------------------------------------------- */

static struct lang_word *
copy_words(struct parser *p, size_t from, size_t to, size_t *out_count)
{
    *out_count = to > from ? to - from : 0;
    if (*out_count == 0)
        return NULL;
    struct lang_word *words = lang_arena_alloc(p->arena, *out_count * sizeof(*words));
    for (size_t i = from; i < to; i++)
        words[i - from] = tok(p, i)->word;
    return words;
}

/* A word that must be plain text (a name, a number): no interpolation. */
static bool
expect_plain(struct parser *p, size_t i, const char *what)
{
    if (i >= ntok(p)) {
        const struct lang_tok *last = tok(p, ntok(p) - 1);
        struct src_loc loc = last->word.loc;
        loc.col += last->span;
        error_at(p, &loc, 1, "missing %s", what);
        return false;
    }
    if (tok(p, i)->word.has_interp) {
        ERROR_TOK(p, i, "%s cannot use ${...} interpolation", what);
        return false;
    }
    return true;
}

static bool
expect_ident(struct parser *p, size_t i, const char *what)
{
    if (!expect_plain(p, i, what))
        return false;
    const struct lang_tok *t = tok(p, i);
    if (t->op != TOK_OP_NONE || !lang_is_ident(t->word.text, false)) {
        ERROR_TOK(p, i, "invalid %s '%s' (letters, digits, '_' and '-', starting with a letter)",
                  what, t->word.text);
        return false;
    }
    return true;
}

static bool
expect_count(struct parser *p, const char *what, size_t min_args, long max_args)
{
    size_t args = ntok(p) - 1;
    if (args < min_args) {
        ERROR_TOK(p, 0, "'%s' needs %s%zu argument%s", what, max_args < 0 ? "at least " : "",
                  min_args, min_args == 1 ? "" : "s");
        return false;
    }
    if (max_args >= 0 && args > (size_t)max_args) {
        ERROR_TOK(p, 1 + (size_t)max_args, "too many arguments for '%s' (at most %ld)", what,
                  max_args);
        return false;
    }
    return true;
}

static bool
parse_int_text(const char *s, long *out)
{
    if (!*s)
        return false;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end)
        return false;
    *out = v;
    return true;
}

/* ---- conditions ------------------------------------------------------------- */

struct cond_parser {
    struct parser *p;
    size_t pos, end; /* token range */
    int ops;         /* not/and/or so far: bounds the tree's depth */
};

/* Count one operator; the tree is at most as deep as its operators, and
 * every walker recurses on it, so their number is capped. */
static bool
count_op(struct cond_parser *cp)
{
    if (++cp->ops <= LANG_MAX_DEPTH)
        return true;
    if (cp->ops == LANG_MAX_DEPTH + 1)
        ERROR_TOK(cp->p, cp->pos, "condition too complex (at most %d of not / and / or)",
                  LANG_MAX_DEPTH);
    return false;
}

static enum lang_cmp_op
cmp_of(enum lang_tok_op op, bool *out_ok)
{
    *out_ok = true;
    switch (op) {
    case TOK_OP_EQ:
        return LANG_CMP_EQ;
    case TOK_OP_NE:
        return LANG_CMP_NE;
    case TOK_OP_LT:
        return LANG_CMP_LT;
    case TOK_OP_LE:
        return LANG_CMP_LE;
    case TOK_OP_GT:
        return LANG_CMP_GT;
    case TOK_OP_GE:
        return LANG_CMP_GE;
    default:
        *out_ok = false;
        return LANG_CMP_EQ;
    }
}

static bool
cp_is_word(struct cond_parser *cp, size_t i, const char *w)
{
    return i < cp->end && tok_is(cp->p, i, w);
}

static struct lang_cond *parse_or(struct cond_parser *cp);

/*
 * primary -> WORD CMP WORD        (comparison)
 *          | NAME WORD+           (predicate call: exists "p")
 *          | WORD                 (truthiness)
 */
static struct lang_cond *
parse_primary(struct cond_parser *cp)
{
    struct parser *p = cp->p;
    if (cp->pos >= cp->end) {
        const struct lang_tok *last = tok(p, cp->end - 1);
        struct src_loc loc = last->word.loc;
        loc.col += last->span;
        error_at(p, &loc, 1, "missing condition");
        return NULL;
    }
    const struct lang_tok *first = tok(p, cp->pos);
    if (first->op != TOK_OP_NONE) {
        ERROR_TOK(p, cp->pos, "expected a name or a value before '%s'", first->word.text);
        return NULL;
    }
    struct lang_cond *c = lang_arena_alloc(p->arena, sizeof(*c));
    c->loc = first->word.loc;
    size_t next = cp->pos + 1;
    bool is_cmp = false;
    if (next < cp->end)
        cmp_of(tok(p, next)->op, &is_cmp);
    if (is_cmp) {
        if (next + 1 >= cp->end || tok(p, next + 1)->op != TOK_OP_NONE) {
            error_at(p, &tok(p, next)->word.loc, tok(p, next)->span,
                     "missing right-hand side of '%s'", tok(p, next)->word.text);
            return NULL;
        }
        bool ok;
        c->kind = LANG_COND_COMPARE;
        c->lhs = first->word;
        c->op = cmp_of(tok(p, next)->op, &ok);
        c->rhs = tok(p, next + 1)->word;
        cp->pos = next + 2;
        return c;
    }
    /* A bare name followed by values (up to and/or): a predicate call. */
    size_t stop = next;
    while (stop < cp->end && tok(p, stop)->op == TOK_OP_NONE && !cp_is_word(cp, stop, "and")
           && !cp_is_word(cp, stop, "or"))
        stop++;
    if (stop > next) {
        if (first->word.quote != LANG_QUOTE_BARE || !lang_is_ident(first->word.text, false)) {
            ERROR_TOK(p, cp->pos, "expected a predicate name, found '%s'", first->word.text);
            return NULL;
        }
        c->kind = LANG_COND_CALL;
        c->name = first->word.text;
        c->args = copy_words(p, next, stop, &c->arg_count);
        cp->pos = stop;
        return c;
    }
    if (first->word.quote == LANG_QUOTE_BARE) {
        /* `if x=="a"` is one word: say so instead of testing its truth. */
        static const char *const ops[] = { "==", "!=", "<=", ">=", "<", ">" };
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            const char *at = strstr(first->word.text, ops[i]);
            if (at && at > first->word.text) {
                ERROR_TOK(p, cp->pos, "'%s': put spaces around '%s' to compare", first->word.text,
                          ops[i]);
                return NULL;
            }
        }
    }
    c->kind = LANG_COND_TRUTHY;
    c->lhs = first->word;
    cp->pos = next;
    return c;
}

/* unary -> 'not' unary | primary */
static struct lang_cond *
parse_unary(struct cond_parser *cp)
{
    if (cp_is_word(cp, cp->pos, "not")) {
        struct src_loc loc = tok(cp->p, cp->pos)->word.loc;
        if (!count_op(cp))
            return NULL;
        cp->pos++;
        struct lang_cond *sub = parse_unary(cp);
        if (!sub)
            return NULL;
        struct lang_cond *c = lang_arena_alloc(cp->p->arena, sizeof(*c));
        c->kind = LANG_COND_NOT;
        c->sub = sub;
        c->loc = loc;
        return c;
    }
    return parse_primary(cp);
}

/* operand (OP_WORD operand)*, folded to the left into nodes of 'kind'. */
static struct lang_cond *
parse_left_assoc(struct cond_parser *cp, const char *op_word, enum lang_cond_kind kind,
                 struct lang_cond *(*operand)(struct cond_parser *))
{
    struct lang_cond *left = operand(cp);
    while (left && cp_is_word(cp, cp->pos, op_word)) {
        if (!count_op(cp))
            return NULL;
        cp->pos++;
        struct lang_cond *right = operand(cp);
        if (!right)
            return NULL;
        struct lang_cond *c = lang_arena_alloc(cp->p->arena, sizeof(*c));
        c->kind = kind;
        c->sub = left;
        c->sub2 = right;
        c->loc = left->loc;
        left = c;
    }
    return left;
}

/* and_expr -> unary ('and' unary)* */
static struct lang_cond *
parse_and(struct cond_parser *cp)
{
    return parse_left_assoc(cp, "and", LANG_COND_AND, parse_unary);
}

/* or_expr -> and_expr ('or' and_expr)* */
static struct lang_cond *
parse_or(struct cond_parser *cp)
{
    return parse_left_assoc(cp, "or", LANG_COND_OR, parse_and);
}

/* Parse the condition in tokens [from, ntok) of the current line. */
static struct lang_cond *
parse_condition(struct parser *p, size_t from)
{
    struct cond_parser cp = { p, from, ntok(p), 0 };
    struct lang_cond *c = parse_or(&cp);
    if (c && cp.pos < cp.end) {
        ERROR_TOK(p, cp.pos, "unexpected '%s' in condition", tok(p, cp.pos)->word.text);
        return NULL;
    }
    return c;
}

/* ---- bodies ----------------------------------------------------------------- */

static bool parse_stmt(struct parser *p, struct lang_stmt *out, int depth);

static unsigned
stop_of(const char *w)
{
    if (strcmp(w, "end") == 0)
        return STOP_END;
    if (strcmp(w, "elif") == 0)
        return STOP_ELIF;
    if (strcmp(w, "else") == 0)
        return STOP_ELSE;
    if (strcmp(w, "case") == 0)
        return STOP_CASE;
    if (strcmp(w, "rescue") == 0)
        return STOP_RESCUE;
    if (strcmp(w, "finally") == 0)
        return STOP_FINALLY;
    return 0;
}

/*
 * body -> stmt*
 * Stops (without consuming) at a line starting with a word in 'stops', or at
 * the end of the input. Other stop words found here are errors.
 */
static struct lang_body
parse_body(struct parser *p, unsigned stops, int depth)
{
    VEC(struct lang_stmt) stmts = { 0 };
    while (peek(p)) {
        unsigned s = stop_of(head(p));
        if ((s & stops) || is_top_keyword(p))
            break;
        if ((strcmp(head(p), "arg") == 0 || strcmp(head(p), "do") == 0)
            && !(ntok(p) >= 2 && tok(p, 1)->op == TOK_OP_ASSIGN)) {
            /* Settings belong before the body; both own an 'end'. */
            ERROR_TOK(p, 0, "'%s' inside a body (settings and 'arg' come before 'do')", head(p));
            skip_block(p);
            continue;
        }
        if (s) {
            ERROR_TOK(p, 0, "'%s' without a matching %s", head(p),
                      s == STOP_CASE                          ? "'match'"
                      : s == STOP_RESCUE || s == STOP_FINALLY ? "'try'"
                      : s == STOP_END                         ? "block"
                                                              : "'if'");
            consume(p);
            continue;
        }
        check_indent(p, depth);
        struct lang_stmt st;
        if (parse_stmt(p, &st, depth))
            vec_push(&stmts, st);
    }
    struct lang_body body = { ARENA_VEC(p, stmts), stmts.count };
    vec_release(&stmts);
    return body;
}

/* Expect the `end` of a block opened at 'open_loc'; report when missing. */
static bool
expect_end(struct parser *p, const char *what, const struct src_loc *open_loc, int depth)
{
    if (peek(p) && tok_is(p, 0, "end")) {
        check_indent(p, depth);
        if (ntok(p) > 1)
            ERROR_TOK(p, 1, "unexpected '%s' after 'end'", tok(p, 1)->word.text);
        consume(p);
        return true;
    }
    if (p->lx.runaway) {
        /* The 'end' is inside the runaway string, already reported. */
        p->errors++;
        return false;
    }
    error_at(p, open_loc, (uint32_t)strlen(what), "missing 'end' for '%s' opened here", what);
    return false;
}

/* Fill a CALL statement from tokens [from, to) of the current line. */
static bool
fill_call(struct parser *p, struct lang_stmt *st, size_t from, size_t to)
{
    const struct lang_tok *t = tok(p, from);
    st->kind = LANG_STMT_CALL;
    st->loc = t->word.loc;
    if (t->op != TOK_OP_NONE || t->word.quote != LANG_QUOTE_BARE
        || !lang_is_ident(t->word.text, true)) {
        const char *eq = t->word.quote == LANG_QUOTE_BARE ? strchr(t->word.text, '=') : NULL;
        if (eq && eq > t->word.text)
            ERROR_TOK(p, from, "'%s': write '%.*s = %s' with spaces around '='", t->word.text,
                      (int)(eq - t->word.text), t->word.text, eq + 1);
        else
            ERROR_TOK(p, from, "a statement must start with a name, found '%s'", t->word.text);
        return false;
    }
    st->name = t->word.text;
    st->args = copy_words(p, from + 1, to, &st->arg_count);
    return true;
}

/* call_chain -> call (('&&' | '||') call)* */
static bool
parse_chain(struct parser *p, struct lang_stmt *out, size_t from)
{
    size_t n = ntok(p);
    struct lang_stmt *cur = out;
    size_t start = from;
    int links = 0;
    bool ok = true;
    for (size_t i = from; i <= n; i++) {
        bool at_end = i == n;
        enum lang_tok_op op = at_end ? TOK_OP_NONE : tok(p, i)->op;
        if (!at_end && op != TOK_OP_AND && op != TOK_OP_OR)
            continue;
        if (i == start) {
            ERROR_TOK(p, at_end ? n - 1 : i, "missing statement %s '%s'",
                      at_end ? "after" : "before", tok(p, at_end ? n - 1 : i)->word.text);
            return false;
        }
        if (!fill_call(p, cur, start, i))
            ok = false;
        if (at_end)
            break;
        const char *w = tok(p, i + 1 < n ? i + 1 : i)->word.text;
        if (i + 1 < n && (opens_body_block(w) || stop_of(w))) {
            ERROR_TOK(p, i + 1, "'%s' cannot follow '%s'", w, tok(p, i)->word.text);
            return false;
        }
        if (++links > LANG_MAX_DEPTH) {
            /* Walkers may recurse along the chain: keep it short. */
            ERROR_TOK(p, i, "'&&' / '||' chain too long (at most %d links)", LANG_MAX_DEPTH);
            return false;
        }
        cur->chain = op == TOK_OP_AND ? LANG_CHAIN_AND : LANG_CHAIN_OR;
        struct lang_stmt *next = lang_arena_alloc(p->arena, sizeof(*next));
        cur->next = next;
        cur = next;
        start = i + 1;
    }
    return ok;
}

/* if_stmt -> 'if' cond NL body ('elif' cond NL body)* ['else' NL body] 'end' */
static bool
parse_if(struct parser *p, struct lang_stmt *st, int depth)
{
    VEC(struct lang_clause) clauses = { 0 };
    struct src_loc open_loc = st->loc;
    bool ok = true;
    enum lang_clause_kind kind = LANG_CLAUSE_IF;
    bool seen_else = false;
    for (;;) {
        struct lang_clause cl = { 0 };
        cl.kind = kind;
        cl.loc = tok(p, 0)->word.loc;
        if (kind != LANG_CLAUSE_ELSE) {
            cl.cond = parse_condition(p, 1);
            if (!cl.cond)
                ok = false;
        } else if (ntok(p) > 1) {
            ERROR_TOK(p, 1, "'else' takes no condition (use 'elif')");
            ok = false;
        }
        consume(p);
        cl.body = parse_body(p, STOP_END | STOP_ELIF | STOP_ELSE, depth + 1);
        vec_push(&clauses, cl);
        if (!peek(p))
            break;
        const char *w = head(p);
        if (strcmp(w, "end") == 0 || is_top_keyword(p))
            break;
        check_indent(p, depth);
        if (seen_else) {
            ERROR_TOK(p, 0, "'%s' after 'else'", w);
            ok = false;
        }
        kind = strcmp(w, "elif") == 0 ? LANG_CLAUSE_ELIF : LANG_CLAUSE_ELSE;
        if (kind == LANG_CLAUSE_ELSE)
            seen_else = true;
    }
    if (!expect_end(p, "if", &open_loc, depth))
        ok = false;
    st->kind = LANG_STMT_IF;
    st->name = "if";
    st->clauses = ARENA_VEC(p, clauses);
    st->clause_count = clauses.count;
    vec_release(&clauses);
    return ok;
}

/* match_stmt -> 'match' WORD NL ('case' WORD+ NL body)* ['else' NL body] 'end' */
static bool
parse_match(struct parser *p, struct lang_stmt *st, int depth)
{
    struct src_loc open_loc = st->loc;
    bool ok = expect_count(p, "match", 1, 1);
    st->kind = LANG_STMT_MATCH;
    st->name = "match";
    st->args = copy_words(p, 1, ntok(p) > 2 ? 2 : ntok(p), &st->arg_count);
    consume(p);
    VEC(struct lang_clause) clauses = { 0 };
    bool seen_else = false;
    while (peek(p)) {
        const char *w = head(p);
        if (strcmp(w, "end") == 0 || is_top_keyword(p))
            break;
        check_indent(p, depth + 1);
        bool is_case = strcmp(w, "case") == 0;
        if (!is_case && strcmp(w, "else") != 0) {
            ERROR_TOK(p, 0, "expected 'case', 'else' or 'end' in 'match', found '%s'",
                      tok(p, 0)->word.text);
            ok = false;
            /* Keep block structure: a stray opener still owns an 'end'. */
            if (opens_body_block(stmt_head(p)))
                skip_block(p);
            else
                consume(p);
            continue;
        }
        struct lang_clause cl = { 0 };
        cl.kind = is_case ? LANG_CLAUSE_CASE : LANG_CLAUSE_ELSE;
        cl.loc = tok(p, 0)->word.loc;
        if (seen_else) {
            ERROR_TOK(p, 0, "'%s' after 'else' in 'match'", w);
            ok = false;
        }
        if (is_case) {
            if (ntok(p) < 2) {
                ERROR_TOK(p, 0, "'case' needs at least one value");
                ok = false;
            }
            cl.args = copy_words(p, 1, ntok(p), &cl.arg_count);
        } else {
            seen_else = true;
            if (ntok(p) > 1) {
                ERROR_TOK(p, 1, "'else' takes no value");
                ok = false;
            }
        }
        consume(p);
        cl.body = parse_body(p, STOP_END | STOP_CASE | STOP_ELSE, depth + 2);
        vec_push(&clauses, cl);
    }
    if (!expect_end(p, "match", &open_loc, depth))
        ok = false;
    st->clauses = ARENA_VEC(p, clauses);
    st->clause_count = clauses.count;
    vec_release(&clauses);
    return ok;
}

static void
warn_unknown_kinds(struct parser *p, const struct lang_word *words, size_t count)
{
    const char *names[ERR_KIND_COUNT];
    for (size_t k = 0; k < ERR_KIND_COUNT; k++)
        names[k] = err_kind_name((enum err_kind)k);
    for (size_t i = 0; i < count; i++) {
        const char *k = words[i].text;
        if (words[i].has_interp || err_kind_from_name(k) != ERR_NONE || strcmp(k, "none") == 0)
            continue;
        const char *guess = lang_suggest(k, names, ERR_KIND_COUNT);
        lang_diag_src(p->diags, LANG_SEV_WARNING, p->src, &words[i].loc, (uint32_t)words[i].len,
                      "unknown error kind '%s'%s%s%s", k, guess ? " (did you mean '" : "",
                      guess ? guess : "", guess ? "'?)" : "");
    }
}

/* try_stmt -> 'try' NL body ('rescue' [KIND...] NL body)* ['finally' NL body] 'end' */
static bool
parse_try(struct parser *p, struct lang_stmt *st, int depth)
{
    struct src_loc open_loc = st->loc;
    bool ok = true;
    if (ntok(p) > 1) {
        ERROR_TOK(p, 1, "'try' takes no arguments");
        ok = false;
    }
    consume(p);
    st->kind = LANG_STMT_TRY;
    st->name = "try";
    st->body = parse_body(p, STOP_END | STOP_RESCUE | STOP_FINALLY, depth + 1);
    VEC(struct lang_clause) clauses = { 0 };
    bool seen_finally = false;
    while (peek(p) && !tok_is(p, 0, "end") && !is_top_keyword(p)) {
        check_indent(p, depth);
        struct lang_clause cl = { 0 };
        cl.loc = tok(p, 0)->word.loc;
        if (tok_is(p, 0, "rescue")) {
            cl.kind = LANG_CLAUSE_RESCUE;
            cl.args = copy_words(p, 1, ntok(p), &cl.arg_count);
            warn_unknown_kinds(p, cl.args, cl.arg_count);
            if (seen_finally) {
                ERROR_TOK(p, 0, "'rescue' after 'finally'");
                ok = false;
            }
        } else {
            cl.kind = LANG_CLAUSE_FINALLY;
            if (seen_finally) {
                ERROR_TOK(p, 0, "more than one 'finally'");
                ok = false;
            }
            if (ntok(p) > 1) {
                ERROR_TOK(p, 1, "'finally' takes no arguments");
                ok = false;
            }
            seen_finally = true;
        }
        consume(p);
        cl.body = parse_body(p, STOP_END | STOP_RESCUE | STOP_FINALLY, depth + 1);
        vec_push(&clauses, cl);
    }
    if (!expect_end(p, "try", &open_loc, depth))
        ok = false;
    st->clauses = ARENA_VEC(p, clauses);
    st->clause_count = clauses.count;
    vec_release(&clauses);
    return ok;
}

/*
 * stmt -> [NAME '='] call_chain
 *       | NAME '=' VALUE                       (literal assignment)
 *       | [NAME '='] BLOCK_WORD args NL body 'end'
 *       | if_stmt | match_stmt | try_stmt
 *       | 'for_each' WORD NAME NL body 'end'
 * Returns true when 'out' holds a statement worth keeping.
 */
static bool
parse_stmt(struct parser *p, struct lang_stmt *out, int depth)
{
    memset(out, 0, sizeof(*out));
    out->loc = tok(p, 0)->word.loc;
    bool ok = true;
    size_t h = 0;
    if (ntok(p) >= 2 && tok(p, 1)->op == TOK_OP_ASSIGN) {
        if (!expect_ident(p, 0, "variable name")) {
            ok = false;
        } else if (is_reserved(tok(p, 0)->word.text, false)) {
            ERROR_TOK(p, 0, "'%s' is a reserved word and cannot name a variable",
                      tok(p, 0)->word.text);
            ok = false;
        }
        out->target = tok(p, 0)->word.text;
        h = 2;
        if (ntok(p) == 2) {
            ERROR_TOK(p, 1, "missing value after '='");
            consume(p);
            return false;
        }
        const struct lang_tok *v = tok(p, 2);
        bool literal =
            v->op == TOK_OP_NONE
            && (v->word.quote != LANG_QUOTE_BARE || v->word.has_interp
                || strcmp(v->word.text, "true") == 0 || strcmp(v->word.text, "false") == 0
                || ((v->word.text[0] >= '0' && v->word.text[0] <= '9')
                    || (v->word.text[0] == '-' && v->word.text[1] >= '0'
                        && v->word.text[1] <= '9')));
        if (literal) {
            if (ntok(p) > 3) {
                ERROR_TOK(p, 3, "unexpected '%s' after the value (quote the whole value)",
                          tok(p, 3)->word.text);
                ok = false;
            }
            out->kind = LANG_STMT_ASSIGN;
            out->name = "=";
            out->args = copy_words(p, 2, 3, &out->arg_count);
            consume(p);
            return ok;
        }
    }
    const struct lang_tok *ht = tok(p, h);
    const char *w =
        (ht->op == TOK_OP_NONE && ht->word.quote == LANG_QUOTE_BARE) ? ht->word.text : "";
    bool is_opener = opens_body_block(w);
    if (is_opener) {
        out->loc = ht->word.loc;
        if (p->nesting >= LANG_MAX_DEPTH) {
            ERROR_TOK(p, h, "blocks nested too deeply (at most %d levels)", LANG_MAX_DEPTH);
            skip_block(p);
            return false;
        }
        p->nesting++;
        /* Only wasm_run and pipe have a value (their standard output);
         * a capture of any other block would silently bind "". */
        if (h && strcmp(w, "wasm_run") != 0 && strcmp(w, "pipe") != 0) {
            ERROR_TOK(p, h, "cannot capture the value of '%s' (only 'wasm_run' and 'pipe' "
                            "blocks have one)",
                      w);
            ok = false;
        }
        /* The opener's own words are tokens h+1..; shift the view so the
         * helpers below see the opener as token 0. */
        if (h) {
            memmove(p->line.toks.items, p->line.toks.items + h,
                    (ntok(p) - h) * sizeof(*p->line.toks.items));
            p->line.toks.count -= h;
        }
        if (strcmp(w, "if") == 0) {
            if (!parse_if(p, out, depth))
                ok = false;
        } else if (strcmp(w, "match") == 0) {
            if (!parse_match(p, out, depth))
                ok = false;
        } else if (strcmp(w, "try") == 0) {
            if (!parse_try(p, out, depth))
                ok = false;
        } else {
            struct src_loc open_loc = out->loc;
            if (strcmp(w, "for_each") == 0) {
                out->kind = LANG_STMT_FOR_EACH;
                if (!expect_count(p, "for_each", 2, 2) || !expect_ident(p, 2, "loop variable"))
                    ok = false;
            } else {
                out->kind = LANG_STMT_BLOCK;
                out->block = lang_block_from_name(w);
                for (size_t i = 0; i < BLOCK_WORD_COUNT; i++)
                    if (block_words[i].kind == out->block
                        && !expect_count(p, w, (size_t)block_words[i].min_args,
                                         block_words[i].max_args))
                        ok = false;
            }
            out->name = tok(p, 0)->word.text;
            out->args = copy_words(p, 1, ntok(p), &out->arg_count);
            consume(p);
            out->body = parse_body(p, STOP_END, depth + 1);
            if (!expect_end(p, w, &open_loc, depth))
                ok = false;
        }
        p->nesting--;
        return ok;
    }
    if (ht->op != TOK_OP_NONE) {
        ERROR_TOK(p, h, "unexpected '%s'", ht->word.text);
        consume(p);
        return false;
    }
    if (!parse_chain(p, out, h))
        ok = false;
    if (out->target && out->chain != LANG_CHAIN_NONE) {
        ERROR_TOK(p, 0, "cannot capture the value of a '&&' / '||' chain");
        ok = false;
    }
    consume(p);
    return ok;
}

/* ---- commands and templates ------------------------------------------------ */

/*
 * arg_block -> 'arg' NAME NL arg_line* 'end'
 * arg_line  -> 'type' TYPE | 'default' WORD | 'description' WORD | 'optional'
 *            | 'index' INT | 'rest'
 */
static bool
parse_arg(struct parser *p, struct lang_arg *arg, int depth)
{
    memset(arg, 0, sizeof(*arg));
    arg->index = -1;
    arg->loc = tok(p, 0)->word.loc;
    struct src_loc open_loc = arg->loc;
    bool ok = expect_ident(p, 1, "argument name") && expect_count(p, "arg", 1, 1);
    arg->name = ntok(p) > 1 ? tok(p, 1)->word.text : "";
    consume(p);
    while (peek(p) && !tok_is(p, 0, "end") && !is_top_keyword(p)) {
        check_indent(p, depth + 1);
        const char *w = head(p);
        if (strcmp(w, "type") == 0) {
            if (expect_count(p, "type", 1, 1) && expect_plain(p, 1, "type")) {
                if (!lang_type_from_name(tok(p, 1)->word.text, &arg->type)) {
                    ERROR_TOK(p, 1, "unknown type '%s' (expected string, int, float or bool)",
                              tok(p, 1)->word.text);
                    ok = false;
                }
            } else {
                ok = false;
            }
        } else if (strcmp(w, "default") == 0) {
            if (expect_count(p, "default", 1, 1)) {
                struct lang_word *d = lang_arena_alloc(p->arena, sizeof(*d));
                *d = tok(p, 1)->word;
                arg->default_value = d;
                arg->is_optional = true;
            } else {
                ok = false;
            }
        } else if (strcmp(w, "description") == 0) {
            if (expect_count(p, "description", 1, 1))
                arg->description = tok(p, 1)->word.text;
            else
                ok = false;
        } else if (strcmp(w, "optional") == 0 || strcmp(w, "rest") == 0) {
            if (!expect_count(p, w, 0, 0))
                ok = false;
            else if (w[0] == 'o')
                arg->is_optional = true;
            else
                arg->is_rest = true;
        } else if (strcmp(w, "index") == 0) {
            long v;
            if (!expect_count(p, "index", 1, 1) || !expect_plain(p, 1, "index")) {
                ok = false;
            } else if (!parse_int_text(tok(p, 1)->word.text, &v) || v < 0 || v > 1000) {
                ERROR_TOK(p, 1, "index must be a whole number from 0 to 1000, not '%s'",
                          tok(p, 1)->word.text);
                ok = false;
            } else {
                arg->index = (int)v;
            }
        } else if (strcmp(w, "arg") == 0 || strcmp(w, "do") == 0
                   || opens_body_block(stmt_head(p))) {
            /* Another arg, the body or a statement: the arg lacks its 'end'. */
            error_at(p, &open_loc, 3, "missing 'end' for 'arg' opened here");
            return false;
        } else {
            static const char *const settings[] = { "type",     "default", "description",
                                                    "optional", "index",   "rest" };
            const char *guess = lang_suggest(w, settings, sizeof(settings) / sizeof(settings[0]));
            if (guess)
                ERROR_TOK(p, 0, "unknown arg setting '%s' (did you mean '%s'?)",
                          tok(p, 0)->word.text, guess);
            else
                ERROR_TOK(p, 0,
                          "unknown arg setting '%s' (expected type, default, description, "
                          "optional, index or rest)",
                          tok(p, 0)->word.text);
            ok = false;
        }
        consume(p);
    }
    if (!expect_end(p, "arg", &open_loc, depth))
        ok = false;
    return ok;
}

struct command_like {
    bool is_template;
    struct lang_command *cmd;   /* command */
    struct lang_template *tmpl; /* template */
};

static void
check_args(struct parser *p, const struct lang_arg *args, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(args[i].name, args[j].name) == 0)
                error_at(p, &args[i].loc, 3, "duplicate argument '%s'", args[i].name);
            else if (args[i].index >= 0 && args[i].index == args[j].index)
                error_at(p, &args[i].loc, 3, "arguments '%s' and '%s' both have index %d",
                         args[j].name, args[i].name, args[i].index);
        }
        if (args[i].is_rest && args[i].type != LANG_TYPE_STRING)
            error_at(p, &args[i].loc, 3, "a 'rest' argument must be a string");
    }
}

/* Config words that take no value. */
static bool *
flag_field(struct lang_command *cmd, const char *w)
{
    static const struct {
        const char *name;
        size_t offset;
    } flags[] = {
        { "private", offsetof(struct lang_command, is_private) },
        { "proxy_args", offsetof(struct lang_command, proxy_args) },
        { "test", offsetof(struct lang_command, is_test) },
        { "test_allow_shell", offsetof(struct lang_command, test_allow_shell) },
        { "test_allow_network", offsetof(struct lang_command, test_allow_network) },
        { "test_allow_subprocess", offsetof(struct lang_command, test_allow_subprocess) },
        { "test_allow_write", offsetof(struct lang_command, test_allow_write) },
        { "test_keep_cwd", offsetof(struct lang_command, test_keep_cwd) },
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (strcmp(flags[i].name, w) == 0)
            return (bool *)((char *)cmd + flags[i].offset);
    return NULL;
}

static const char **
plain_list(struct parser *p, size_t from, size_t *out_count)
{
    size_t n = ntok(p) - from;
    const char **list = lang_arena_alloc(p->arena, (n ? n : 1) * sizeof(*list));
    for (size_t i = 0; i < n; i++)
        list[i] = tok(p, from + i)->word.text;
    *out_count = n;
    return list;
}

/* Inside a template, ${param} always means the parameter (expansion
 * replaces it), so binding the same name would be silently ignored:
 * refuse captures, assignments and loop items named like a parameter. */
static bool
check_param_reuse(struct parser *p, const struct lang_template *t, const struct lang_body *body)
{
    bool ok = true;
    for (size_t i = 0; i < body->count; i++) {
        const struct lang_stmt *st = &body->stmts[i];
        const char *bound = st->target;
        struct src_loc loc = st->loc;
        if (st->kind == LANG_STMT_FOR_EACH && st->arg_count == 2) {
            bound = st->args[1].text;
            loc = st->args[1].loc;
        }
        for (size_t j = 0; bound && j < t->param_count; j++) {
            if (strcmp(t->params[j].name, bound) == 0) {
                error_at(p, &loc, (uint32_t)strlen(bound),
                         "'%s' is a parameter of template '%s': bind another name", bound, t->name);
                ok = false;
            }
        }
        if (!check_param_reuse(p, t, &st->body))
            ok = false;
        for (size_t j = 0; j < st->clause_count; j++)
            if (!check_param_reuse(p, t, &st->clauses[j].body))
                ok = false;
    }
    return ok;
}


/*
 * command  -> 'command' NAME NL config* ('do' NL body 'end' | body) 'end'
 * template -> 'template' NAME PARAM* NL config* ('do' NL body 'end' | body) 'end'
 * config   -> 'description' WORD | arg_block | 'private' | 'proxy_args'
 *           | 'require_os' WORD+ | 'require_arch' WORD+ | 'dir' WORD
 *           | 'env' KEY WORD | 'test' | 'test_allow_shell' | 'test_allow_network'
 *           | 'test_allow_subprocess' | 'test_allow_write' | 'test_keep_cwd'
 *           | 'test_timeout' WORD
 * A line that is not config starts the body without 'do'.
 */
static void
parse_command(struct parser *p, bool is_template)
{
    const char *what = is_template ? "template" : "command";
    struct src_loc open_loc = tok(p, 0)->word.loc;
    bool ok = expect_ident(p, 1, is_template ? "template name" : "command name");
    if (ok && is_reserved(tok(p, 1)->word.text, true)) {
        ERROR_TOK(p, 1, "'%s' is a reserved word and cannot name a %s", tok(p, 1)->word.text,
                  is_template ? "template" : "command");
        ok = false;
    }
    const char *name = ntok(p) > 1 ? tok(p, 1)->word.text : "";
    struct lang_command *cmd = lang_arena_alloc(p->arena, sizeof(*cmd));
    cmd->name = name;
    cmd->loc = open_loc;
    cmd->file = p->src->path;
    VEC(struct lang_arg) args = { 0 };
    if (is_template) {
        for (size_t i = 2; i < ntok(p); i++) {
            if (!expect_ident(p, i, "template parameter")) {
                ok = false;
                continue;
            }
            struct lang_arg a = { 0 };
            a.name = tok(p, i)->word.text;
            a.index = (int)(i - 2);
            a.loc = tok(p, i)->word.loc;
            vec_push(&args, a);
        }
    } else if (ntok(p) > 2) {
        ERROR_TOK(p, 2, "unexpected '%s' after the command name (declare arguments with 'arg')",
                  tok(p, 2)->word.text);
        ok = false;
    }
    consume(p);
    VEC(struct lang_env_pair) env = { 0 };
    bool have_body = false;
    const char *guess;
    while (peek(p) && !tok_is(p, 0, "end") && !is_top_keyword(p)) {
        const char *w = head(p);
        bool *flag = is_template ? NULL : flag_field(cmd, w);
        if (strcmp(w, "do") == 0) {
            check_indent(p, 1);
            struct src_loc do_loc = tok(p, 0)->word.loc;
            if (have_body) {
                ERROR_TOK(p, 0, "second 'do' block in %s '%s'", what, name);
                ok = false;
            }
            if (ntok(p) > 1) {
                ERROR_TOK(p, 1, "'do' takes no arguments");
                ok = false;
            }
            consume(p);
            struct lang_body body = parse_body(p, STOP_END, 2);
            if (!have_body)
                cmd->body = body;
            have_body = true;
            if (!expect_end(p, "do", &do_loc, 1)) {
                ok = false;
                break;
            }
            continue;
        }
        if (strcmp(w, "description") == 0) {
            check_indent(p, 1);
            if (expect_count(p, "description", 1, 1))
                cmd->description = tok(p, 1)->word.text;
            else
                ok = false;
        } else if (strcmp(w, "arg") == 0) {
            check_indent(p, 1);
            struct lang_arg a;
            if (parse_arg(p, &a, 1)) {
                if (is_template)
                    a.index = (int)args.count;
                vec_push(&args, a);
            } else {
                ok = false;
            }
            continue;
        } else if (flag) {
            check_indent(p, 1);
            if (expect_count(p, w, 0, 0))
                *flag = true;
            else
                ok = false;
        } else if (!is_template
                   && (strcmp(w, "require_os") == 0 || strcmp(w, "require_arch") == 0)) {
            check_indent(p, 1);
            if (!expect_count(p, w, 1, -1)) {
                ok = false;
            } else if (w[8] == 'o') {
                cmd->require_os = plain_list(p, 1, &cmd->require_os_count);
            } else {
                cmd->require_arch = plain_list(p, 1, &cmd->require_arch_count);
            }
        } else if (!is_template && strcmp(w, "dir") == 0) {
            check_indent(p, 1);
            if (expect_count(p, "dir", 1, 1)) {
                struct lang_word *d = lang_arena_alloc(p->arena, sizeof(*d));
                *d = tok(p, 1)->word;
                cmd->dir = d;
            } else {
                ok = false;
            }
        } else if (!is_template && strcmp(w, "env") == 0) {
            check_indent(p, 1);
            if (expect_count(p, "env", 2, 2) && expect_ident(p, 1, "environment variable name")) {
                struct lang_env_pair e = { tok(p, 1)->word.text, tok(p, 2)->word,
                                           tok(p, 0)->word.loc };
                vec_push(&env, e);
            } else {
                ok = false;
            }
        } else if (!is_template && strcmp(w, "test_timeout") == 0) {
            check_indent(p, 1);
            if (!expect_count(p, "test_timeout", 1, 1) || !expect_plain(p, 1, "test_timeout")) {
                ok = false;
            } else if (!lang_is_duration_text(tok(p, 1)->word.text)) {
                ERROR_TOK(p, 1,
                          "test_timeout takes seconds or a duration such as 90s or 2m, not '%s'",
                          tok(p, 1)->word.text);
                ok = false;
            } else {
                cmd->test_timeout = tok(p, 1)->word.text;
            }
        } else if (!have_body && ntok(p) <= 2 && strlen(w) >= 4
                   && (guess =
                           lang_suggest_within(w, lang_command_settings, LANG_COMMAND_SETTING_COUNT,
                                               strlen(w) >= 8 ? 2 : 1))
                   && !opens_body_block(stmt_head(p))) {
            /* Most likely a misspelled setting, not the start of a body. */
            ERROR_TOK(p, 0, "unknown %s setting '%s' (did you mean '%s'?)", what, w, guess);
            ok = false;
        } else {
            /* Not config: the body starts here, without 'do'. */
            if (have_body) {
                ERROR_TOK(p, 0, "unexpected '%s' after the 'do' block of %s '%s'",
                          tok(p, 0)->word.text, what, name);
                ok = false;
                if (opens_body_block(stmt_head(p)))
                    skip_block(p);
                else
                    consume(p);
                continue;
            }
            cmd->body = parse_body(p, STOP_END, 1);
            have_body = true;
            continue;
        }
        consume(p);
    }
    if (!expect_end(p, what, &open_loc, 0))
        ok = false;
    check_args(p, args.items, args.count);
    if (is_template) {
        struct lang_template *t = lang_arena_alloc(p->arena, sizeof(*t));
        t->name = name;
        t->description = cmd->description;
        t->params = ARENA_VEC(p, args);
        t->param_count = args.count;
        t->body = cmd->body;
        t->loc = open_loc;
        if (!check_param_reuse(p, t, &t->body))
            ok = false;
        if (ok && *name)
            vec_push(&p->unit->templates, t);
    } else {
        cmd->args = ARENA_VEC(p, args);
        cmd->arg_count = args.count;
        cmd->env = ARENA_VEC(p, env);
        cmd->env_count = env.count;
        if (ok && *name)
            vec_push(&p->unit->commands, cmd);
    }
    vec_release(&args);
    vec_release(&env);
}

/* ---- top level ---------------------------------------------------------------- */

static enum lang_type
infer_type(const struct lang_word *w)
{
    if (w->quote != LANG_QUOTE_BARE || w->has_interp)
        return LANG_TYPE_STRING;
    const char *s = w->text;
    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
        return LANG_TYPE_BOOL;
    const char *q = s;
    if (*q == '-' || *q == '+')
        q++;
    if (!(*q >= '0' && *q <= '9'))
        return LANG_TYPE_STRING;
    while (*q >= '0' && *q <= '9')
        q++;
    if (!*q)
        return LANG_TYPE_INT;
    if (*q != '.' || !(q[1] >= '0' && q[1] <= '9'))
        return LANG_TYPE_STRING;
    for (q++; *q >= '0' && *q <= '9'; q++)
        ;
    return *q ? LANG_TYPE_STRING : LANG_TYPE_FLOAT;
}

static bool
is_upper_name(const char *s)
{
    bool has_letter = false;
    for (; *s; s++) {
        if (*s >= 'a' && *s <= 'z')
            return false;
        if (*s >= 'A' && *s <= 'Z')
            has_letter = true;
    }
    return has_letter;
}

/* binding -> NAME '=' WORD */
static void
parse_binding(struct parser *p)
{
    bool ok = expect_ident(p, 0, "binding name");
    if (ok && is_reserved(tok(p, 0)->word.text, false)) {
        ERROR_TOK(p, 0, "'%s' is a reserved word and cannot name a binding", tok(p, 0)->word.text);
        ok = false;
    }
    if (ntok(p) < 3) {
        ERROR_TOK(p, 1, "missing value after '='");
        ok = false;
    } else if (ntok(p) > 3) {
        ERROR_TOK(p, 3,
                  "a top-level binding takes one value (quote it, or capture op results "
                  "inside a command)");
        ok = false;
    } else if (tok(p, 2)->op != TOK_OP_NONE) {
        ERROR_TOK(p, 2, "unexpected '%s'", tok(p, 2)->word.text);
        ok = false;
    }
    if (ok) {
        struct lang_binding *b = lang_arena_alloc(p->arena, sizeof(*b));
        b->name = tok(p, 0)->word.text;
        b->value = tok(p, 2)->word;
        b->type = infer_type(&b->value);
        b->is_exported = is_upper_name(b->name);
        b->loc = tok(p, 0)->word.loc;
        vec_push(&p->unit->bindings, b);
    }
    consume(p);
}

static bool
is_sha256_ref(const char *s)
{
    if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
        return false;
    for (s += 7; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
            return false;
    return true;
}

/* requires -> 'requires' NL req* 'end'
 * req -> 'bin' WORD ['hash' WORD] | ('env'|'host'|'read'|'write'|'os'|'arch') WORD+ */
static void
parse_requires(struct parser *p)
{
    struct src_loc open_loc = tok(p, 0)->word.loc;
    if (ntok(p) > 1)
        ERROR_TOK(p, 1, "'requires' takes no arguments");
    p->unit->has_requires = true;
    consume(p);
    static const struct {
        const char *name;
        enum lang_req_kind kind;
    } kinds[] = {
        { "bin", LANG_REQ_BIN },   { "env", LANG_REQ_ENV },     { "host", LANG_REQ_HOST },
        { "read", LANG_REQ_READ }, { "write", LANG_REQ_WRITE }, { "os", LANG_REQ_OS },
        { "arch", LANG_REQ_ARCH },
    };
    while (peek(p) && !tok_is(p, 0, "end") && !is_top_keyword(p)) {
        check_indent(p, 1);
        const char *w = head(p);
        size_t k = 0;
        while (k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(kinds[k].name, w) != 0)
            k++;
        if (k == sizeof(kinds) / sizeof(kinds[0])) {
            ERROR_TOK(p, 0,
                      "unknown requirement '%s' (expected bin, env, host, read, write, os or "
                      "arch)",
                      tok(p, 0)->word.text);
            if (opens_body_block(stmt_head(p))) {
                error_at(p, &open_loc, 8, "missing 'end' for 'requires' opened here");
                return;
            }
            consume(p);
            continue;
        }
        if (kinds[k].kind == LANG_REQ_BIN) {
            bool has_hash = ntok(p) == 4 && tok_is(p, 2, "hash");
            if (ntok(p) != 2 && !has_hash) {
                ERROR_TOK(p, 0, "expected 'bin NAME' or 'bin NAME hash \"sha256:...\"'");
            } else if (expect_plain(p, 1, "bin name")) {
                struct lang_require r = { 0 };
                r.kind = LANG_REQ_BIN;
                r.value = tok(p, 1)->word;
                r.loc = tok(p, 0)->word.loc;
                if (has_hash) {
                    r.hash = tok(p, 3)->word.text;
                    if (!is_sha256_ref(r.hash))
                        ERROR_TOK(p, 3, "a bin hash is \"sha256:\" and 64 hex digits");
                }
                vec_push(&p->unit->requires, r);
            }
        } else if (expect_count(p, w, 1, -1)) {
            for (size_t i = 1; i < ntok(p); i++) {
                struct lang_require r = { 0 };
                r.kind = kinds[k].kind;
                r.value = tok(p, i)->word;
                r.loc = tok(p, i)->word.loc;
                vec_push(&p->unit->requires, r);
            }
        }
        consume(p);
    }
    expect_end(p, "requires", &open_loc, 0);
}

/* bundle -> 'bundle' NL ('include' WORD ['as' NAME] NL)* 'end' */
static void
parse_bundle(struct parser *p)
{
    struct src_loc open_loc = tok(p, 0)->word.loc;
    if (ntok(p) > 1)
        ERROR_TOK(p, 1, "'bundle' takes no arguments");
    consume(p);
    while (peek(p) && !tok_is(p, 0, "end") && !is_top_keyword(p)) {
        check_indent(p, 1);
        if (!tok_is(p, 0, "include")) {
            ERROR_TOK(p, 0, "expected 'include \"PATH\" [as ALIAS]' in 'bundle', found '%s'",
                      tok(p, 0)->word.text);
            if (opens_body_block(stmt_head(p))) {
                error_at(p, &open_loc, 6, "missing 'end' for 'bundle' opened here");
                return;
            }
        } else if (!(ntok(p) == 2 || (ntok(p) == 4 && tok_is(p, 2, "as")))) {
            ERROR_TOK(p, 0, "expected 'include \"PATH\" [as ALIAS]'");
        } else if (expect_plain(p, 1, "include path")
                   && (ntok(p) == 2 || expect_ident(p, 3, "bundle alias"))) {
            struct lang_bundle_item it = { 0 };
            it.path = tok(p, 1)->word.text;
            it.alias = ntok(p) == 4 ? tok(p, 3)->word.text : NULL;
            it.base_dir = p->unit->dir;
            it.loc = tok(p, 0)->word.loc;
            if (!*it.path)
                ERROR_TOK(p, 1, "empty include path");
            else
                vec_push(&p->unit->bundle, it);
        }
        consume(p);
    }
    expect_end(p, "bundle", &open_loc, 0);
}

/* hooks -> 'hooks' NL (EVENT call NL)* 'end'; EVENT: before | after | on_error */
static void
parse_hooks(struct parser *p)
{
    struct src_loc open_loc = tok(p, 0)->word.loc;
    if (ntok(p) > 1)
        ERROR_TOK(p, 1, "'hooks' takes no arguments");
    consume(p);
    while (peek(p) && !tok_is(p, 0, "end") && !is_top_keyword(p)) {
        check_indent(p, 1);
        const char *w = head(p);
        if (strcmp(w, "before") != 0 && strcmp(w, "after") != 0 && strcmp(w, "on_error") != 0) {
            ERROR_TOK(p, 0, "unknown hook '%s' (expected before, after or on_error)",
                      tok(p, 0)->word.text);
            if (opens_body_block(stmt_head(p))) {
                error_at(p, &open_loc, 5, "missing 'end' for 'hooks' opened here");
                return;
            }
        } else if (ntok(p) < 2) {
            ERROR_TOK(p, 0, "'%s' needs a statement to run", w);
        } else if (opens_body_block(tok(p, 1)->word.text)) {
            ERROR_TOK(p, 1, "a hook runs one statement, not a block; call a command instead");
        } else {
            struct lang_hook hk = { 0 };
            hk.event = w;
            hk.loc = tok(p, 0)->word.loc;
            if (parse_chain(p, &hk.stmt, 1))
                vec_push(&p->unit->hooks, hk);
        }
        consume(p);
    }
    expect_end(p, "hooks", &open_loc, 0);
}

/* catch -> 'catch' [KIND...] NL body 'end' */
static void
parse_catch(struct parser *p)
{
    struct lang_catch *c = lang_arena_alloc(p->arena, sizeof(*c));
    c->loc = tok(p, 0)->word.loc;
    c->kinds = copy_words(p, 1, ntok(p), &c->kind_count);
    warn_unknown_kinds(p, c->kinds, c->kind_count);
    consume(p);
    c->body = parse_body(p, STOP_END, 1);
    if (expect_end(p, "catch", &c->loc, 0))
        vec_push(&p->unit->catches, c);
}

/* One top-level line. */
static void
parse_top(struct parser *p)
{
    check_indent(p, 0);
    if (ntok(p) >= 2 && tok(p, 1)->op == TOK_OP_ASSIGN) {
        parse_binding(p);
        return;
    }
    const char *w = head(p);
    if (strcmp(w, "command") == 0 || strcmp(w, "template") == 0) {
        parse_command(p, w[0] == 't');
    } else if (strcmp(w, "name") == 0 || strcmp(w, "about") == 0 || strcmp(w, "version") == 0) {
        if (expect_count(p, w, 1, 1)) {
            const char *v = tok(p, 1)->word.text;
            if (w[0] == 'n')
                p->unit->name = v;
            else if (w[0] == 'a')
                p->unit->about = v;
            else
                p->unit->version = v;
        }
        consume(p);
    } else if (strcmp(w, "import") == 0) {
        bool ok = (ntok(p) == 2 || (ntok(p) == 4 && tok_is(p, 2, "as")));
        if (!ok)
            ERROR_TOK(p, 0, "expected 'import \"PATH\"' or 'import \"PATH\" as NAME'");
        else if (expect_plain(p, 1, "import path")
                 && (ntok(p) == 2 || expect_ident(p, 3, "namespace"))) {
            struct lang_import im = { 0 };
            im.path = tok(p, 1)->word;
            im.ns = ntok(p) == 4 ? tok(p, 3)->word.text : NULL;
            im.loc = tok(p, 0)->word.loc;
            if (im.ns && strchr(im.ns, '.'))
                ERROR_TOK(p, 3, "a namespace cannot contain '.'");
            else
                vec_push(&p->unit->imports, im);
        }
        consume(p);
    } else if (strcmp(w, "requires") == 0) {
        parse_requires(p);
    } else if (strcmp(w, "bundle") == 0) {
        parse_bundle(p);
    } else if (strcmp(w, "hooks") == 0) {
        parse_hooks(p);
    } else if (strcmp(w, "catch") == 0) {
        parse_catch(p);
    } else if (strcmp(w, "end") == 0) {
        ERROR_TOK(p, 0, "'end' without a matching block");
        consume(p);
    } else if (strcmp(w, "arg") == 0 || strcmp(w, "do") == 0) {
        ERROR_TOK(p, 0, "'%s' outside a command", w);
        if (w[0] == 'a') {
            struct lang_arg a;
            parse_arg(p, &a, 0);
        } else {
            consume(p);
            parse_body(p, STOP_END, 1);
            if (peek(p))
                consume(p);
        }
    } else {
        static const char *const top_words[] = { "command", "template", "import", "requires",
                                                 "bundle",  "hooks",    "catch",  "name",
                                                 "about",   "version" };
        const char *guess = lang_suggest_within(
            w, top_words, sizeof(top_words) / sizeof(top_words[0]), strlen(w) >= 6 ? 2 : 1);
        if (guess) {
            ERROR_TOK(p, 0, "unexpected '%s' at top level (did you mean '%s'?)", w, guess);
            /* Read the block as what it most likely is, so its body does
             * not turn into a cascade of top-level errors. */
            if (strcmp(guess, "command") == 0 || strcmp(guess, "template") == 0) {
                parse_command(p, guess[0] == 't');
                return;
            }
            if (strcmp(guess, "requires") == 0) {
                parse_requires(p);
                return;
            }
            if (strcmp(guess, "bundle") == 0) {
                parse_bundle(p);
                return;
            }
            if (strcmp(guess, "hooks") == 0) {
                parse_hooks(p);
                return;
            }
            if (strcmp(guess, "catch") == 0) {
                parse_catch(p);
                return;
            }
        } else {
            ERROR_TOK(p, 0,
                      "unexpected '%s' at top level (expected command, template, import, "
                      "requires, bundle, hooks, catch, name, about, version or NAME = value)",
                      tok(p, 0)->word.text);
        }
        if (opens_body_block(stmt_head(p)))
            skip_block(p);
        else
            consume(p);
    }
}

size_t
lang_parse_unit(struct lang_unit *unit, const struct lang_source *src, struct lang_arena *arena,
                const struct lang_parse_opts *opts, struct lang_diags *diags)
{
    struct parser p;
    memset(&p, 0, sizeof(p));
    lang_lexer_init(&p.lx, src, arena, diags);
    p.arena = arena;
    p.diags = diags;
    p.src = src;
    p.unit = unit;
    p.warn_indent = opts && opts->warn_indent;
    unit->src = src;
    while (peek(&p))
        parse_top(&p);
    lang_line_release(&p.line);
    return p.errors;
}

void
lang_unit_release(struct lang_unit *unit)
{
    if (!unit)
        return;
    vec_release(&unit->bindings);
    vec_release(&unit->commands);
    vec_release(&unit->templates);
    vec_release(&unit->catches);
    vec_release(&unit->requires);
    vec_release(&unit->bundle);
    vec_release(&unit->hooks);
    vec_release(&unit->imports);
}
