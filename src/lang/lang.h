/*
 * src/lang/lang.h: the .perch front end's public interface: text to program.
 *
 * lang_load_file() reads a .perch file, resolves its imports, expands its
 * templates and returns a struct lang_program: an abstract syntax tree that
 * lives in one arena, never changes after load and may be read by any number
 * of threads at once. Nothing here executes anything.
 *
 * Shape of the tree (every node carries file:line:col in a struct src_loc):
 *
 *   program   metadata (name, about, version), bindings, commands, catches,
 *             requires, bundle, hooks
 *   command   config (description, args, private, env, test modifiers ...)
 *             and a body
 *   body      a list of statements
 *   stmt      one line of a body: a call (`op "a" b`), a capture
 *             (`x = op ...`), a literal assignment (`n = 0`), or a block
 *             opener with its own body (`parallel ... end`) and, for
 *             if / match / try, a list of clauses
 *   word      one argument as written: its cooked text, how it was quoted,
 *             and the same text split into literal and interpolation parts
 *
 * Interpolation. A word's 'parts' are what the interpreter substitutes:
 * LITERAL parts are copied as they are; VAR parts (`${name}`, `${err.kind}`)
 * are looked up; CALL parts (`${sha256_file('go.sum')}`, `${path_base(f)}`)
 * call a pure op. An escaped `\${` in any delimiter is already turned into
 * the literal text "${" inside a LITERAL part, so the interpreter must never
 * re-scan literal text for "${". `$(...)` is not ours and stays literal.
 * Interpolation happens in every delimiter (double, single, backtick, bare);
 * the quoting kind is kept for diagnostics and for checks that care.
 *
 * Memory: everything reachable from a program is owned by it and freed by
 * lang_program_free(). Diagnostics own copies of what they print, so they
 * outlive a program that failed to load.
 */
#ifndef PERCH_LANG_LANG_H
#define PERCH_LANG_LANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

/* Limits: input that goes past them gets a diagnostic, never a crash.
 * LANG_MAX_DEPTH also bounds the not/and/or of one condition and the links
 * of one && / || chain, so every tree walker's recursion stays shallow. */
#define LANG_MAX_DEPTH          64          /* nested blocks in one body */
#define LANG_MAX_TEMPLATE_DEPTH 32          /* templates expanding templates */
#define LANG_MAX_IMPORT_DEPTH   32          /* chain of imports */
#define LANG_MAX_FILES          256         /* files one program may load */
#define LANG_MAX_DIAGS          20          /* diagnostics kept per run; the rest are counted */
#define LANG_MAX_FILE_SIZE      (16u << 20) /* bytes of one .perch file */
#define LANG_MAX_EXPANDED_STMTS 200000      /* statements one body may expand to */

/* ---- words -------------------------------------------------------------- */

enum lang_quote {
    LANG_QUOTE_BARE,     /* mkdir ./out */
    LANG_QUOTE_DOUBLE,   /* "a\tb": \n \t \r \\ \" \$ are escapes */
    LANG_QUOTE_SINGLE,   /* 'raw' */
    LANG_QUOTE_BACKTICK, /* `raw, may span lines` */
};

enum lang_part_kind {
    LANG_PART_LITERAL, /* text copied as is */
    LANG_PART_VAR,     /* ${name} or ${a.b}: 'text' is the (dotted) name */
    LANG_PART_CALL,    /* ${fn(arg, 'lit')}: 'text' is the function name */
};

/* One argument of a ${fn(...)} call. */
struct lang_call_arg {
    bool is_literal;  /* 'lit' or "lit" or a number: true; a variable name: false */
    const char *text; /* the literal's text, or the variable's name */
};

struct lang_part {
    enum lang_part_kind kind;
    const char *text;                 /* NUL-terminated; see the kinds above */
    size_t len;                       /* strlen(text) */
    const struct lang_call_arg *args; /* CALL only */
    size_t arg_count;
    const char *source; /* VAR/CALL: the text between "${" and "}" as written */
    struct src_loc loc; /* where the part starts ("${" for VAR/CALL) */
};

struct lang_word {
    /* The cooked text: quotes removed, escapes applied, interpolations left
     * as written ("${name}"). Meant for names, diagnostics and words that
     * have no interpolation; use 'parts' to build a runtime value. */
    const char *text;
    size_t len;
    enum lang_quote quote;
    const struct lang_part *parts; /* at least one part, except for "" */
    size_t part_count;
    bool has_interp; /* some part is VAR or CALL */
    struct src_loc loc;
};

/* ---- conditions (if / elif) --------------------------------------------- */

enum lang_cond_kind {
    LANG_COND_TRUTHY,  /* if flag | if "${x}": 'lhs' */
    LANG_COND_COMPARE, /* if x == "y": 'lhs' 'op' 'rhs' */
    LANG_COND_NOT,     /* if not COND: 'sub' */
    LANG_COND_CALL,    /* if exists "p": 'name' 'args' (a predicate op) */
    LANG_COND_AND,     /* COND and COND: 'sub' 'sub2' */
    LANG_COND_OR,      /* COND or COND: 'sub' 'sub2' */
};

enum lang_cmp_op {
    LANG_CMP_EQ, /* == */
    LANG_CMP_NE, /* != */
    LANG_CMP_LT, /* <  */
    LANG_CMP_LE, /* <= */
    LANG_CMP_GT, /* >  */
    LANG_CMP_GE, /* >= */
};

/*
 * For TRUTHY and COMPARE, a BARE 'lhs' names a binding (look it up; an
 * unknown name is unresolved_var); a quoted 'lhs' is a string to interpolate.
 * 'rhs' is always a value: a bare rhs is literal text (`if n > 3`).
 * Comparisons are numeric when both sides parse as numbers, version-aware
 * when both look like versions, else by bytes (the interpreter decides).
 */
struct lang_cond {
    enum lang_cond_kind kind;
    struct lang_word lhs;
    enum lang_cmp_op op;
    struct lang_word rhs;
    const char *name;             /* CALL */
    const struct lang_word *args; /* CALL */
    size_t arg_count;
    const struct lang_cond *sub;  /* NOT, AND, OR */
    const struct lang_cond *sub2; /* AND, OR */
    struct src_loc loc;
};

/* ---- statements --------------------------------------------------------- */

enum lang_stmt_kind {
    LANG_STMT_CALL,     /* name args: an op, a command, or a declared bin */
    LANG_STMT_ASSIGN,   /* target = WORD: literal assignment; args[0] is the value */
    LANG_STMT_BLOCK,    /* a block opener with a body; see enum lang_block_kind */
    LANG_STMT_IF,       /* clauses: IF, then ELIF..., then optional ELSE */
    LANG_STMT_FOR_EACH, /* for_each LIST ITEM: args[0] the list, args[1] the item name */
    LANG_STMT_MATCH,    /* match WORD: args[0] the subject; clauses: CASE..., optional ELSE */
    LANG_STMT_TRY,      /* try: 'body'; clauses: RESCUE..., optional FINALLY */
};

/* The block openers with a body (LANG_STMT_BLOCK), so the interpreter can
 * switch instead of comparing names. The opener's own arguments are in
 * 'args': `timeout "30s"`, `retry 5`, `cache "KEY" "TTL"`, `sandbox "flags"`,
 * `with_env "K=v"`, `with_cwd "dir"`, `wasm_run "m.wasm"`, `parallel 4`,
 * `os "linux"`, `arch "arm64"`. */
enum lang_block_kind {
    LANG_BLOCK_NONE, /* not a block (CALL, ASSIGN, IF, FOR_EACH, MATCH, TRY) */
    LANG_BLOCK_PARALLEL,
    LANG_BLOCK_TIMEOUT,
    LANG_BLOCK_RETRY,
    LANG_BLOCK_CACHE,
    LANG_BLOCK_SANDBOX,
    LANG_BLOCK_WITH_ENV,
    LANG_BLOCK_WITH_CWD,
    LANG_BLOCK_WASM_RUN, /* body: wasm_arg, wasm_env, wasm_mount_read ... as CALLs;
                          * `wasm_mount_write "p" at "/g"` has args [p, bare "at", "/g"] */
    LANG_BLOCK_PIPE,
    LANG_BLOCK_OS,
    LANG_BLOCK_ARCH,
};

/* `a && b || c`: a's 'chain' is AND with 'next' b; b's is OR with 'next' c.
 * Evaluated left to right as a shell does: after a statement, AND runs
 * 'next' only on success, OR only on failure. */
enum lang_chain {
    LANG_CHAIN_NONE,
    LANG_CHAIN_AND,
    LANG_CHAIN_OR,
};

struct lang_stmt;

struct lang_body {
    const struct lang_stmt *stmts;
    size_t count;
};

enum lang_clause_kind {
    LANG_CLAUSE_IF,
    LANG_CLAUSE_ELIF,
    LANG_CLAUSE_ELSE,
    LANG_CLAUSE_CASE,   /* args: the values this case matches (one or more) */
    LANG_CLAUSE_RESCUE, /* args: optional error kinds to catch; none = any */
    LANG_CLAUSE_FINALLY,
};

struct lang_clause {
    enum lang_clause_kind kind;
    const struct lang_cond *cond; /* IF, ELIF; NULL otherwise */
    const struct lang_word *args;
    size_t arg_count;
    struct lang_body body;
    struct src_loc loc;
};

struct lang_stmt {
    enum lang_stmt_kind kind;
    enum lang_block_kind block; /* BLOCK only; LANG_BLOCK_NONE otherwise */
    const char *name;           /* op / command / block word ("parallel", "if"); "=" for ASSIGN */
    const char *target;         /* `target = ...` (capture or ASSIGN); NULL when none */
    const struct lang_word *args;
    size_t arg_count;
    struct lang_body body;             /* BLOCK, FOR_EACH, TRY */
    const struct lang_clause *clauses; /* IF, MATCH, TRY */
    size_t clause_count;
    enum lang_chain chain;
    const struct lang_stmt *next; /* the chained statement; NULL unless 'chain' */
    /* The template a call was expanded from, on the statements the call
     * became (their nested bodies came from it too); NULL otherwise. The
     * location stays the one inside the template. */
    const char *from_template;
    struct src_loc loc;
};

/* ---- top level ---------------------------------------------------------- */

enum lang_type {
    LANG_TYPE_STRING,
    LANG_TYPE_INT,
    LANG_TYPE_FLOAT,
    LANG_TYPE_BOOL,
};

/* NAME = value at top level. The type is inferred from the value: a bare
 * true/false is bool, a bare integer int, a bare decimal float, anything
 * else (and any quoted value) string. Strings are interpolated when a
 * command starts. */
struct lang_binding {
    const char *name;
    enum lang_type type;
    struct lang_word value; /* value.text is the raw value text */
    bool is_exported;       /* UPPER_CASE names go to subprocess environments */
    struct src_loc loc;
};

/* arg NAME ... end inside a command (or a template). */
struct lang_arg {
    const char *name;
    enum lang_type type;                   /* default LANG_TYPE_STRING */
    const struct lang_word *default_value; /* NULL when none */
    const char *description;               /* NULL when none */
    bool is_optional;                      /* `optional`, or implied by a default */
    int index;                             /* `index N`: position among positionals; -1 when none */
    bool is_rest; /* `rest`: takes the remaining positionals, joined by newlines */
    struct src_loc loc;
};

struct lang_env_pair {
    const char *key;
    struct lang_word value;
    struct src_loc loc;
};

struct lang_command {
    const char *name;        /* "build", or "ns.build" for `import "x" as ns` */
    const char *description; /* NULL when none */
    const struct lang_arg *args;
    size_t arg_count;
    bool is_private;               /* callable from commands; hidden from --help and MCP */
    bool proxy_args;               /* unknown flags and extra positionals pass through */
    const char *const *require_os; /* the command fails elsewhere ("linux", "darwin") */
    size_t require_os_count;
    const char *const *require_arch;
    size_t require_arch_count;
    const struct lang_word *dir;     /* `dir "path"`: the cwd the body starts in; NULL */
    const struct lang_env_pair *env; /* `env KEY value` overlays */
    size_t env_count;

    /* Test modifiers (REFERENCE.md §5). */
    bool is_test;
    bool test_allow_shell;
    bool test_allow_network;
    bool test_allow_subprocess;
    bool test_allow_write;
    bool test_keep_cwd;
    const char *test_timeout; /* raw text ("30" seconds, or a duration); NULL = default */

    struct lang_body body;
    const char *file; /* the file that declared it */
    struct src_loc loc;
};

/* A template: expanded at load time wherever a body calls it, so the
 * interpreter never meets a template call. Kept for --check and help. */
struct lang_template {
    const char *name;
    const char *description;
    const struct lang_arg *params; /* in call order */
    size_t param_count;
    struct lang_body body;
    struct src_loc loc;
};

/* catch [KIND...] ... end at top level: runs when a command fails with one
 * of the kinds (any kind when none are listed), with err.* bound. */
struct lang_catch {
    const struct lang_word *kinds;
    size_t kind_count;
    struct lang_body body;
    struct src_loc loc;
};

enum lang_req_kind {
    LANG_REQ_BIN, /* bin "git" [hash "sha256:..."] */
    LANG_REQ_ENV,
    LANG_REQ_HOST,
    LANG_REQ_READ,
    LANG_REQ_WRITE,
    LANG_REQ_OS,
    LANG_REQ_ARCH,
};

struct lang_require {
    enum lang_req_kind kind;
    struct lang_word value;
    const char *hash; /* BIN only: "sha256:..."; NULL when none */
    struct src_loc loc;
};

/* include "PATH" [as ALIAS] inside bundle ... end. */
struct lang_bundle_item {
    const char *path;     /* as written, relative to the declaring file */
    const char *alias;    /* NULL when none */
    const char *base_dir; /* directory of the declaring file */
    struct src_loc loc;
};

/* hooks ... end: each line `EVENT body-statement`, e.g. `before print "x"`;
 * kept as EVENT + the statement. Events: before, after, on_error. */
struct lang_hook {
    const char *event;
    struct lang_stmt stmt;
    struct src_loc loc;
};

/* One loaded file, kept for diagnostics (source lines) and --build. */
struct lang_source {
    const char *path; /* as opened (relative paths resolved from the importer) */
    const char *text; /* its bytes, NUL-terminated */
    size_t len;
};

struct lang_arena;

struct lang_program {
    const char *path;    /* the main file ("<name>" for lang_load_string) */
    const char *dir;     /* its directory as given (may be relative; "." for "x.perch") */
    const char *name;    /* `name "..."`; NULL when absent */
    const char *about;   /* NULL when absent */
    const char *version; /* NULL when absent */

    const struct lang_binding *bindings;
    size_t binding_count;
    const struct lang_command *commands; /* declaration order, imports first */
    size_t command_count;
    const struct lang_template *templates;
    size_t template_count;
    const struct lang_catch *catches;
    size_t catch_count;

    /* NULL when no loaded file has a requires block: ambient access. With
     * imports, the entries of every file's block are merged. */
    const struct lang_require *requires;
    size_t require_count;
    bool has_requires;

    const struct lang_bundle_item *bundle;
    size_t bundle_count;
    const struct lang_hook *hooks;
    size_t hook_count;

    const struct lang_source *sources; /* [0] is the main file */
    size_t source_count;

    /* 'commands' sorted by name (command_count entries), so that
     * lang_find_command is a binary search. */
    const struct lang_command *const *commands_by_name;

    struct lang_arena *arena; /* owns everything above */
};

/* ---- diagnostics -------------------------------------------------------- */

enum lang_severity {
    LANG_SEV_ERROR,
    LANG_SEV_WARNING,
};

struct lang_diag {
    enum lang_severity severity;
    struct src_loc loc; /* loc.file points at 'file' below */
    uint32_t span;      /* bytes to underline; at least 1 */
    char *file;         /* owned copy */
    char *message;      /* owned */
    char *source_line;  /* owned copy of the line, without newline; NULL if unknown */
};

/* Collected diagnostics: at most LANG_MAX_DIAGS kept, the others counted. */
struct lang_diags {
    struct lang_diag *items;
    size_t count, cap;
    size_t error_count;   /* all errors, kept or not */
    size_t warning_count; /* all warnings, kept or not */
    size_t dropped;       /* not kept because of the cap */
};

void lang_diags_init(struct lang_diags *diags);
void lang_diags_release(struct lang_diags *diags);

/* Record a diagnostic. 'line_text' (may be NULL) is the source line, copied. */
void lang_diags_add(struct lang_diags *diags, enum lang_severity severity,
                    const struct src_loc *loc, uint32_t span, const char *line_text,
                    const char *fmt, ...) PRINTF_LIKE(6, 7);

/* Print every kept diagnostic as
 *     file:line:col: error: message
 *         source line
 *         ^~~~
 * then "... and N more" when some were dropped. */
void lang_diags_print(const struct lang_diags *diags, FILE *out);

/* Copy the first error into 'err' (kind ERR_PARSE, with its location) and
 * return false; returns true when there is no error. */
bool lang_diags_to_err(const struct lang_diags *diags, struct err *err);

/* ---- loading ------------------------------------------------------------ */

/* Reads one file for an import (a bundle serves them from memory). Returns
 * a malloc'ed NUL-terminated buffer and its length, or NULL with 'err' set. */
typedef char *lang_read_fn(void *user, const char *path, size_t *out_len, struct err *err);

struct lang_load_opts {
    lang_read_fn *read; /* NULL: read from the filesystem */
    void *read_user;
    bool warn_indent; /* --check: warn about inconsistent indentation */
};

/*
 * Load 'path' and everything it imports. Returns the program, or NULL when
 * any error was found; either way 'diags' holds the errors and warnings
 * (several, in source order per file, up to the cap). 'opts' may be NULL.
 * The caller frees the program with lang_program_free().
 */
struct lang_program *lang_load_file(const char *path, struct lang_diags *diags);
struct lang_program *lang_load_file_opts(const char *path, const struct lang_load_opts *opts,
                                         struct lang_diags *diags);

/* Same from memory: 'name' is used in diagnostics and as the path imports
 * resolve against (its directory). 'text' need not be NUL-terminated. */
struct lang_program *lang_load_string(const char *name, const char *text, size_t len,
                                      struct lang_diags *diags);
struct lang_program *lang_load_string_opts(const char *name, const char *text, size_t len,
                                           const struct lang_load_opts *opts,
                                           struct lang_diags *diags);

void lang_program_free(struct lang_program *prog);

/* ---- queries ------------------------------------------------------------ */

/* Borrowed pointers valid while 'prog' lives; NULL when not found. */
const struct lang_command *lang_find_command(const struct lang_program *prog, const char *name);
const struct lang_binding *lang_find_binding(const struct lang_program *prog, const char *name);
const struct lang_template *lang_find_template(const struct lang_program *prog, const char *name);
const struct lang_arg *lang_command_find_arg(const struct lang_command *cmd, const char *name);
/* The bundle include with this alias, NULL when none. */
const struct lang_bundle_item *lang_find_bundle_alias(const struct lang_program *prog,
                                                      const char *alias);

const char *lang_type_name(enum lang_type type); /* "string", "int", "float", "bool" */
bool lang_type_from_name(const char *name, enum lang_type *out_type);
const char *lang_block_name(enum lang_block_kind kind); /* "parallel" ... */
const char *lang_cmp_op_name(enum lang_cmp_op op);      /* "==" ... */

/* Print the tree in a stable indented text form (tests, debugging). */
void lang_program_dump(const struct lang_program *prog, FILE *out);

/* ---- static checks ------------------------------------------------------ */

/* Answers whether 'name' is a known op (the op registry). */
typedef bool lang_is_known_fn(void *user, const char *name);

/*
 * Static checks over a loaded program, adding to 'diags':
 *   - a call whose name is not an op (per 'is_op'; skipped when NULL), a
 *     command, or a bin declared in requires: error `unknown op 'x'`
 *   - `${name}` referring to nothing that can exist (not an arg, capture,
 *     binding, auto variable, loop item or err.*): warning, since the host
 *     environment may still provide it
 *   - `wasm_arg` and friends outside a wasm_run body: error
 * Returns true when no error was added.
 */
bool lang_check(const struct lang_program *prog, lang_is_known_fn *is_op, void *user,
                struct lang_diags *diags);

/* lang_check with more to go on: 'op_names' (op_count entries, may be NULL)
 * lists the ops so that an unknown name can get a "did you mean" from them
 * as well as from the commands. */
struct lang_check_opts {
    lang_is_known_fn *is_op; /* NULL: op names are not checked */
    void *user;
    const char *const *op_names;
    size_t op_count;
};
bool lang_check_opts(const struct lang_program *prog, const struct lang_check_opts *opts,
                     struct lang_diags *diags);

#endif
