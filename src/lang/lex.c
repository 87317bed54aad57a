/*
 * lex.c: .perch text to tokens, one logical line at a time.
 *
 * Words come in four forms (REFERENCE.md §1, "Strings"):
 *   "double"   escapes \n \t \r \\ \" \$; any other backslash stays as is
 *   'single'   raw
 *   `backtick` raw, may span lines
 *   bare       up to the next blank (a ${...} inside may contain blanks)
 * In every form `\${` is the literal text "${", and an unescaped ${...} is an
 * interpolation. A word is lexed in two passes: first its extent (where the
 * closing delimiter is), then its content is cooked into literal and
 * interpolation parts. So an interpolation can never contain its own word's
 * delimiter, and an unterminated string is found before anything else.
 *
 * `#` at the start of a token begins a comment that runs to the end of the
 * line (a shebang is such a comment). Bare tokens that are exactly one of
 * = == != < <= > >= && || are operators.
 */
#include <string.h>

#include "base/sbuf.h"
#include "lang/lang_int.h"

void
lang_lexer_init(struct lang_lexer *lx, const struct lang_source *src, struct lang_arena *arena,
                struct lang_diags *diags)
{
    memset(lx, 0, sizeof(*lx));
    lx->src = src;
    lx->arena = arena;
    lx->diags = diags;
    lx->pos = src->text;
    lx->end = src->text + src->len;
    lx->line_start = src->text;
    lx->line = 1;
    /* A UTF-8 byte order mark is not text: skip it (columns start after it). */
    if (src->len >= 3 && memcmp(src->text, "\xEF\xBB\xBF", 3) == 0) {
        lx->pos += 3;
        lx->line_start += 3;
    }
}

void
lang_line_release(struct lang_line *line)
{
    vec_release(&line->toks);
}

static struct src_loc
loc_at(const struct lang_lexer *lx, uint32_t line, const char *line_start, const char *p)
{
    struct src_loc loc = { lx->src->path, line, (uint32_t)(p - line_start) + 1 };
    return loc;
}

static void lex_error(struct lang_lexer *lx, const struct src_loc *loc, uint32_t span,
                      const char *fmt, ...) PRINTF_LIKE(4, 5);

static void
lex_error(struct lang_lexer *lx, const struct src_loc *loc, uint32_t span, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lang_diag_vsrc(lx->diags, LANG_SEV_ERROR, lx->src, loc, span, fmt, ap);
    va_end(ap);
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '-';
}

bool
lang_is_ident(const char *s, bool dotted)
{
    if (!s || !is_ident_start(*s))
        return false;
    for (s++; *s; s++) {
        if (*s == '.' && dotted && is_ident_char(s[1]))
            continue;
        if (!is_ident_char(*s))
            return false;
    }
    return true;
}

/* ---- interpolation expressions -------------------------------------------- */

/* State while cooking one word's content into parts. */
struct cook {
    struct lang_lexer *lx;
    struct sbuf text; /* the cooked text */
    struct sbuf lit;  /* the literal part being built */
    struct src_loc lit_loc;
    VEC(struct lang_part) parts;
    bool has_interp;
    bool failed;
};

static void
flush_literal(struct cook *ck)
{
    if (ck->lit.len == 0)
        return;
    struct lang_part part = { 0 };
    part.kind = LANG_PART_LITERAL;
    part.text = lang_arena_strndup(ck->lx->arena, ck->lit.buf, ck->lit.len);
    part.len = ck->lit.len;
    part.loc = ck->lit_loc;
    vec_push(&ck->parts, part);
    sbuf_reset(&ck->lit);
}

static void
add_literal(struct cook *ck, const char *s, size_t len, const struct src_loc *loc)
{
    if (ck->lit.len == 0)
        ck->lit_loc = *loc;
    sbuf_add(&ck->lit, s, len);
    sbuf_add(&ck->text, s, len);
}

static const char *
skip_spaces(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* dotted_name -> IDENT ('.' IDENT)*  (segments after the first may start
 * with a digit: ${items.0}). Returns the end, or NULL when none. */
static const char *
scan_dotted(const char *p, const char *end)
{
    if (p >= end || !is_ident_start(*p))
        return NULL;
    p++;
    for (;;) {
        while (p < end && is_ident_char(*p))
            p++;
        if (p + 1 < end && *p == '.' && (is_ident_char(p[1])))
            p++;
        else
            return p;
    }
}

/*
 * interp -> dotted_name
 *         | dotted_name '(' [call_arg (',' call_arg)*] ')'
 * call_arg -> 'text' | "text" | NUMBER | dotted_name
 * Fills 'part' (VAR or CALL); returns false on a syntax error.
 */
static bool
parse_interp(struct lang_arena *arena, const char *s, const char *end, struct lang_part *part)
{
    const char *p = skip_spaces(s, end);
    const char *name_end = scan_dotted(p, end);
    if (!name_end)
        return false;
    const char *name = p;
    p = skip_spaces(name_end, end);
    if (p == end) {
        part->kind = LANG_PART_VAR;
        part->text = lang_arena_strndup(arena, name, (size_t)(name_end - name));
        part->len = (size_t)(name_end - name);
        return true;
    }
    if (*p != '(')
        return false;
    p = skip_spaces(p + 1, end);
    VEC(struct lang_call_arg) args = { 0 };
    if (p < end && *p == ')') {
        p++;
    } else {
        for (;;) {
            struct lang_call_arg arg = { 0 };
            if (p < end && (*p == '\'' || *p == '"')) {
                char q = *p++;
                const char *start = p;
                while (p < end && *p != q)
                    p++;
                if (p == end)
                    goto fail;
                arg.is_literal = true;
                arg.text = lang_arena_strndup(arena, start, (size_t)(p - start));
                p++;
            } else if (p < end && ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+')) {
                const char *start = p++;
                while (p < end && ((*p >= '0' && *p <= '9') || *p == '.'))
                    p++;
                arg.is_literal = true;
                arg.text = lang_arena_strndup(arena, start, (size_t)(p - start));
            } else {
                const char *e = scan_dotted(p, end);
                if (!e)
                    goto fail;
                arg.text = lang_arena_strndup(arena, p, (size_t)(e - p));
                p = e;
            }
            vec_push(&args, arg);
            p = skip_spaces(p, end);
            if (p < end && *p == ',') {
                p = skip_spaces(p + 1, end);
                continue;
            }
            if (p < end && *p == ')') {
                p++;
                break;
            }
            goto fail;
        }
    }
    if (skip_spaces(p, end) != end)
        goto fail;
    part->kind = LANG_PART_CALL;
    part->text = lang_arena_strndup(arena, name, (size_t)(name_end - name));
    part->len = (size_t)(name_end - name);
    part->args = lang_arena_dup(arena, args.items, args.count * sizeof(*args.items));
    part->arg_count = args.count;
    vec_release(&args);
    return true;
fail:
    vec_release(&args);
    return false;
}

/*
 * Cook the content [p, end) of a word. 'line' and 'line_start' describe the
 * physical line p is on (content may span lines in backtick strings).
 * Double-quoted content also gets escape processing.
 */
static void
cook_content(struct cook *ck, const char *p, const char *end, uint32_t line, const char *line_start,
             enum lang_quote quote)
{
    struct lang_lexer *lx = ck->lx;
    while (p < end) {
        struct src_loc loc = loc_at(lx, line, line_start, p);
        char c = *p;
        if (c == '\r' && p + 1 < end && p[1] == '\n') {
            /* CRLF files: a backtick string gets plain newlines. */
            p++;
            continue;
        }
        if (c == '\n') {
            add_literal(ck, p, 1, &loc);
            p++;
            line++;
            line_start = p;
            continue;
        }
        if (c == '\\' && p + 1 < end) {
            char n = p[1];
            if (n == '$' && p + 2 < end && p[2] == '{') {
                /* \${ is a literal "${" in every delimiter. */
                add_literal(ck, "${", 2, &loc);
                p += 3;
                continue;
            }
            if (quote == LANG_QUOTE_DOUBLE) {
                const char *rep = NULL;
                switch (n) {
                case 'n':
                    rep = "\n";
                    break;
                case 't':
                    rep = "\t";
                    break;
                case 'r':
                    rep = "\r";
                    break;
                case '\\':
                    rep = "\\";
                    break;
                case '"':
                    rep = "\"";
                    break;
                case '$':
                    rep = "$";
                    break;
                default:
                    break;
                }
                if (rep) {
                    add_literal(ck, rep, 1, &loc);
                    p += 2;
                    continue;
                }
            }
            add_literal(ck, p, 1, &loc);
            p++;
            continue;
        }
        if (c == '$' && p + 1 < end && p[1] == '{') {
            /* Find the closing brace, skipping quoted call arguments. */
            const char *q = p + 2;
            char in_quote = 0;
            while (q < end && *q != '\n') {
                if (in_quote) {
                    if (*q == in_quote)
                        in_quote = 0;
                } else if (*q == '\'' || *q == '"') {
                    in_quote = *q;
                } else if (*q == '}') {
                    break;
                }
                q++;
            }
            if (q >= end || *q != '}') {
                lex_error(lx, &loc, 2, "unterminated '${' (write '\\${' for a literal '${')");
                ck->failed = true;
                add_literal(ck, p, (size_t)(end - p), &loc);
                return;
            }
            struct lang_part part = { 0 };
            if (!parse_interp(lx->arena, p + 2, q, &part)) {
                lex_error(lx, &loc, (uint32_t)(q - p + 1),
                          "invalid interpolation '%.*s' (expected ${name}, ${a.b} or "
                          "${fn(arg, 'text')}; write '\\${' for a literal '${')",
                          (int)(q - p + 1), p);
                ck->failed = true;
                add_literal(ck, p, (size_t)(q - p + 1), &loc);
                p = q + 1;
                continue;
            }
            flush_literal(ck);
            part.source = lang_arena_strndup(lx->arena, p + 2, (size_t)(q - p - 2));
            part.loc = loc;
            vec_push(&ck->parts, part);
            ck->has_interp = true;
            sbuf_add(&ck->text, p, (size_t)(q - p + 1));
            p = q + 1;
            continue;
        }
        add_literal(ck, p, 1, &loc);
        p++;
    }
}

static void
cook_finish(struct cook *ck, struct lang_word *word)
{
    flush_literal(ck);
    word->text = lang_arena_strndup(ck->lx->arena, ck->text.buf, ck->text.len);
    word->len = ck->text.len;
    word->parts =
        lang_arena_dup(ck->lx->arena, ck->parts.items, ck->parts.count * sizeof(*ck->parts.items));
    word->part_count = ck->parts.count;
    word->has_interp = ck->has_interp;
    sbuf_release(&ck->text);
    sbuf_release(&ck->lit);
    vec_release(&ck->parts);
}

struct lang_word
lang_word_literal(struct lang_arena *arena, const char *text, enum lang_quote quote,
                  struct src_loc loc)
{
    struct lang_word w = { 0 };
    size_t len = strlen(text);
    w.text = lang_arena_strndup(arena, text, len);
    w.len = len;
    w.quote = quote;
    w.loc = loc;
    if (len) {
        struct lang_part *part = lang_arena_alloc(arena, sizeof(*part));
        part->kind = LANG_PART_LITERAL;
        part->text = w.text;
        part->len = len;
        part->loc = loc;
        w.parts = part;
        w.part_count = 1;
    }
    return w;
}

void
lang_word_render(struct lang_arena *arena, struct lang_word *word)
{
    struct sbuf sb = SBUF_INIT;
    bool has_interp = false;
    for (size_t i = 0; i < word->part_count; i++) {
        const struct lang_part *part = &word->parts[i];
        if (part->kind == LANG_PART_LITERAL) {
            sbuf_add(&sb, part->text, part->len);
        } else {
            has_interp = true;
            sbuf_addf(&sb, "${%s}", part->source ? part->source : part->text);
        }
    }
    word->text = lang_arena_strndup(arena, sb.buf, sb.len);
    word->len = sb.len;
    word->has_interp = has_interp;
    sbuf_release(&sb);
}

/* ---- tokens ---------------------------------------------------------------- */

static enum lang_tok_op
op_of(const char *s, size_t len)
{
    static const struct {
        const char *text;
        enum lang_tok_op op;
    } ops[] = {
        { "=", TOK_OP_ASSIGN }, { "==", TOK_OP_EQ },  { "!=", TOK_OP_NE },
        { "<", TOK_OP_LT },     { "<=", TOK_OP_LE },  { ">", TOK_OP_GT },
        { ">=", TOK_OP_GE },    { "&&", TOK_OP_AND }, { "||", TOK_OP_OR },
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strlen(ops[i].text) == len && memcmp(ops[i].text, s, len) == 0)
            return ops[i].op;
    return TOK_OP_NONE;
}

/* Skip the rest of a physical line (after an error or a comment). */
static void
skip_to_eol(struct lang_lexer *lx)
{
    while (lx->pos < lx->end && *lx->pos != '\n')
        lx->pos++;
}

/* Lex one token at lx->pos (not a blank, newline or comment). Returns false
 * after an error that ended the line. */
static bool
lex_token(struct lang_lexer *lx, struct lang_line *out)
{
    const char *start = lx->pos;
    uint32_t start_line = lx->line;
    const char *start_line_start = lx->line_start;
    struct src_loc loc = loc_at(lx, start_line, start_line_start, start);
    struct cook ck = { 0 };
    ck.lx = lx;
    ck.text = (struct sbuf)SBUF_INIT;
    ck.lit = (struct sbuf)SBUF_INIT;
    struct lang_tok tok = { 0 };
    tok.word.loc = loc;
    char c = *start;

    if (c == '"' || c == '\'') {
        /* Pass 1: find the closing quote on this line. */
        const char *p = start + 1;
        while (p < lx->end && *p != c && *p != '\n') {
            if (c == '"' && *p == '\\' && p + 1 < lx->end && p[1] != '\n')
                p++;
            p++;
        }
        if (p >= lx->end || *p != c) {
            lex_error(lx, &loc, 1, "unterminated %s-quoted string", c == '"' ? "double" : "single");
            lx->pos = p;
            return false;
        }
        tok.word.quote = c == '"' ? LANG_QUOTE_DOUBLE : LANG_QUOTE_SINGLE;
        cook_content(&ck, start + 1, p, start_line, start_line_start, tok.word.quote);
        lx->pos = p + 1;
    } else if (c == '`') {
        const char *p = start + 1;
        uint32_t line = lx->line;
        const char *line_start = lx->line_start;
        while (p < lx->end && *p != '`') {
            if (*p == '\n') {
                line++;
                line_start = p + 1;
            }
            p++;
        }
        if (p >= lx->end) {
            lex_error(lx, &loc, 1, "unterminated backtick string");
            lx->runaway = true;
            lx->pos = lx->end;
            lx->line = line;
            lx->line_start = line_start;
            return false;
        }
        tok.word.quote = LANG_QUOTE_BACKTICK;
        cook_content(&ck, start + 1, p, start_line, start_line_start, LANG_QUOTE_BACKTICK);
        lx->pos = p + 1;
        lx->line = line;
        lx->line_start = line_start;
    } else {
        /* Bare word: up to a blank, but a ${...} may hold blanks. */
        const char *p = start;
        while (p < lx->end && !is_blank(*p) && *p != '\n') {
            if (*p == '$' && p + 1 < lx->end && p[1] == '{' && (p == start || p[-1] != '\\')) {
                const char *q = p + 2;
                while (q < lx->end && *q != '}' && *q != '\n')
                    q++;
                p = (q < lx->end && *q == '}') ? q + 1 : q;
                continue;
            }
            p++;
        }
        tok.word.quote = LANG_QUOTE_BARE;
        tok.op = op_of(start, (size_t)(p - start));
        cook_content(&ck, start, p, start_line, start_line_start, LANG_QUOTE_BARE);
        lx->pos = p;
    }
    cook_finish(&ck, &tok.word);
    if (ck.failed)
        out->had_error = true;
    if (tok.word.quote != LANG_QUOTE_BARE && lx->pos < lx->end && !is_blank(*lx->pos)
        && *lx->pos != '\n') {
        /* "a"b would silently be two words: make the user choose. */
        struct src_loc at = loc_at(lx, lx->line, lx->line_start, lx->pos);
        lex_error(lx, &at, 1, "missing space after the closing quote (quote the whole word)");
        out->had_error = true;
    }
    tok.span = start_line == lx->line ? (uint32_t)(lx->pos - start) : 1;
    vec_push(&out->toks, tok);
    return true;
}

bool
lang_lex_line(struct lang_lexer *lx, struct lang_line *out)
{
    out->toks.count = 0;
    out->had_error = false;
    while (lx->pos < lx->end) {
        /* At the start of a physical line: measure its indentation. */
        const char *p = lx->pos;
        uint32_t indent = 0;
        bool saw_tab = false, saw_space = false;
        while (p < lx->end && (*p == ' ' || *p == '\t')) {
            if (*p == '\t')
                saw_tab = true;
            else
                saw_space = true;
            indent++;
            p++;
        }
        lx->pos = p;
        out->line = lx->line;
        out->indent = indent;
        out->indent_mixed = saw_tab && saw_space;
        out->indent_tabs = saw_tab && !saw_space;
        /* Tokens up to the end of the (logical) line. */
        for (;;) {
            while (lx->pos < lx->end && is_blank(*lx->pos))
                lx->pos++;
            if (lx->pos >= lx->end)
                break;
            if (*lx->pos == '\n')
                break;
            if (*lx->pos == '#') {
                skip_to_eol(lx);
                break;
            }
            if (!lex_token(lx, out)) {
                out->had_error = true;
                skip_to_eol(lx);
                break;
            }
        }
        if (lx->pos < lx->end && *lx->pos == '\n') {
            lx->pos++;
            lx->line++;
            lx->line_start = lx->pos;
        }
        if (out->toks.count > 0 || out->had_error)
            return true;
    }
    return false;
}
