/*
 * src/lang/lang_int.h: declarations shared by the files of src/lang/ only.
 *
 * The pipeline is lex.c (text to tokens, one logical line at a time) →
 * parse.c (lines to a struct lang_unit per file) → import.c (loads files,
 * follows imports, merges units into one program) → template.c (expands
 * template calls) → check.c (static checks on a finished program).
 */
#ifndef PERCH_LANG_LANG_INT_H
#define PERCH_LANG_LANG_INT_H

#include <stdarg.h>

#include "base/vec.h"
#include "lang/lang.h"

/* ---- arena (arena.c) ----------------------------------------------------- */

/* Bump allocator: everything of one program, freed in one call. Sizes are
 * bounded by LANG_MAX_FILE_SIZE times a small factor, so it aborts on out of
 * memory like xmalloc. */
struct lang_arena;

struct lang_arena *lang_arena_new(void);
void lang_arena_free(struct lang_arena *arena);
void *lang_arena_alloc(struct lang_arena *arena, size_t size); /* zeroed, 16-aligned */
void *lang_arena_dup(struct lang_arena *arena, const void *data, size_t size);
char *lang_arena_strndup(struct lang_arena *arena, const char *s, size_t len);
char *lang_arena_strdup(struct lang_arena *arena, const char *s);
char *lang_arena_printf(struct lang_arena *arena, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* ---- diagnostics (diag.c) ------------------------------------------------ */

/* Record a diagnostic whose source line is taken from 'src' (may be NULL). */
void lang_diag_src(struct lang_diags *diags, enum lang_severity severity,
                   const struct lang_source *src, const struct src_loc *loc, uint32_t span,
                   const char *fmt, ...) PRINTF_LIKE(6, 7);
void lang_diag_vsrc(struct lang_diags *diags, enum lang_severity severity,
                    const struct lang_source *src, const struct src_loc *loc, uint32_t span,
                    const char *fmt, va_list ap) PRINTF_LIKE(6, 0);

/* ---- lexer (lex.c) ------------------------------------------------------- */

enum lang_tok_op {
    TOK_OP_NONE,
    TOK_OP_ASSIGN, /* = */
    TOK_OP_EQ,     /* == */
    TOK_OP_NE,     /* != */
    TOK_OP_LT,     /* < */
    TOK_OP_LE,     /* <= */
    TOK_OP_GT,     /* > */
    TOK_OP_GE,     /* >= */
    TOK_OP_AND,    /* && */
    TOK_OP_OR,     /* || */
};

struct lang_tok {
    enum lang_tok_op op;   /* TOK_OP_NONE for a word */
    struct lang_word word; /* the word (for an operator, its bare text) */
    uint32_t span;         /* bytes in the source, for carets */
};

/* One logical line: the tokens of a physical line (a backtick string can
 * carry it across several). */
struct lang_line {
    VEC(struct lang_tok) toks;
    uint32_t line;     /* line of the first token */
    uint32_t indent;   /* columns of leading whitespace (a tab counts 1) */
    bool indent_mixed; /* leading whitespace mixes tabs and spaces */
    bool indent_tabs;  /* leading whitespace is tabs */
    bool had_error;    /* the lexer reported an error on this line */
};

struct lang_lexer {
    const struct lang_source *src;
    struct lang_arena *arena;
    struct lang_diags *diags;
    const char *pos; /* next byte */
    const char *end;
    const char *line_start; /* start of the current physical line */
    uint32_t line;          /* 1-based number of the current physical line */
    bool runaway;           /* an unterminated backtick string ate the rest */
};

void lang_lexer_init(struct lang_lexer *lx, const struct lang_source *src, struct lang_arena *arena,
                     struct lang_diags *diags);
/* Read the next line that has at least one token into 'out' (cleared
 * first). Returns false at the end of the input. Errors (unterminated
 * strings, bad interpolations) are reported to the diagnostics and set
 * out->had_error; the tokens read so far are kept. */
bool lang_lex_line(struct lang_lexer *lx, struct lang_line *out);
void lang_line_release(struct lang_line *line);

/* Build a word from already-cooked literal text (no interpolation). */
struct lang_word lang_word_literal(struct lang_arena *arena, const char *text,
                                   enum lang_quote quote, struct src_loc loc);
/* Re-render a word's 'text' from its parts (after substitution). */
void lang_word_render(struct lang_arena *arena, struct lang_word *word);

/* ---- units (parse.c) ----------------------------------------------------- */

struct lang_import {
    struct lang_word path;
    const char *ns; /* NULL for a plain import */
    struct src_loc loc;
};

/* One parsed file before imports are merged. Pointer vectors keep each
 * node's address stable (nodes live in the arena). */
struct lang_unit {
    const struct lang_source *src;
    const char *path;
    const char *dir;
    const char *name, *about, *version;
    VEC(struct lang_binding *) bindings;
    VEC(struct lang_command *) commands;
    VEC(struct lang_template *) templates;
    VEC(struct lang_catch *) catches;
    VEC(struct lang_require) requires;
    bool has_requires;
    VEC(struct lang_bundle_item) bundle;
    VEC(struct lang_hook) hooks;
    VEC(struct lang_import) imports;
};

struct lang_parse_opts {
    bool warn_indent;
};

/* Parse one file into a unit allocated in 'arena'. Errors go to 'diags';
 * the unit holds whatever parsed cleanly. Returns the number of errors. */
size_t lang_parse_unit(struct lang_unit *unit, const struct lang_source *src,
                       struct lang_arena *arena, const struct lang_parse_opts *opts,
                       struct lang_diags *diags);
void lang_unit_release(struct lang_unit *unit);

/* True for identifiers: [A-Za-z_][A-Za-z0-9_-]* (dots allowed when 'dotted'). */
bool lang_is_ident(const char *s, bool dotted);
/* The candidate closest to 'word' by edit distance (a typo away), or NULL. */
const char *lang_suggest(const char *word, const char *const *candidates, size_t count);
/* Same with an explicit maximum distance. */
const char *lang_suggest_within(const char *word, const char *const *candidates, size_t count,
                                size_t limit);
/* The words of a command's configuration section: its settings, then
 * "arg" and "do" (always the last two). */
extern const char *const lang_command_settings[];
#define LANG_COMMAND_SETTING_COUNT 16
/* A whole number (seconds) or a duration such as 500ms, 30s, 1h30m, 7d, 2w. */
bool lang_is_duration_text(const char *s);
/* The block kind a statement name opens, LANG_BLOCK_NONE when none. */
enum lang_block_kind lang_block_from_name(const char *name);

/* ---- templates (template.c) ---------------------------------------------- */

/* A name → template lookup for expansion. */
struct lang_tmpl_env {
    struct lang_template *const *items;
    size_t count;
};

/* Expand template calls in 'body' (recursively), returning the new body.
 * Errors (recursion, arity) go to 'diags' with source lines from 'srcs'. */
struct lang_body lang_expand_body(struct lang_arena *arena, const struct lang_tmpl_env *env,
                                  const struct lang_body *body, const struct lang_source *srcs,
                                  size_t src_count, struct lang_diags *diags);

/* Deep-copy 'body', renaming every CALL whose name is in 'names' to
 * "prefix.name" (for `import "x" as prefix`). */
struct lang_body lang_body_rename(struct lang_arena *arena, const struct lang_body *body,
                                  const char *prefix, const char *const *names, size_t name_count);

/* The source a location belongs to (by file name), or NULL. */
const struct lang_source *lang_source_for(const struct lang_source *srcs, size_t count,
                                          const char *file);

#endif
