/*
 * check.c: static checks over a loaded program (what `perch --check` adds to
 * the parser's own errors). Nothing is executed and nothing is resolved
 * against the host: names that the host environment may still provide give
 * warnings, not errors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xalloc.h"
#include "lang/lang_int.h"

/* Calls of commands with more positional args than this are not judged. */
#define LANG_MAX_CHECKED_ARGS 64

static const char *const auto_vars[] = {
    "script_dir", "script_path", "cwd",  "os",       "arch",     "home",    "temp_dir", "cache_dir",
    "cpu_count",  "pid",         "user", "hostname", "exe_path", "exe_dir", "err",
    "bundle_dir", "bundle_hash",
};

static const char *const wasm_decls[] = {
    "wasm_arg",   "wasm_env",    "wasm_mount_read", "wasm_mount_write",
    "wasm_clock", "wasm_random", "wasm_allow_host",
};

struct checker {
    const struct lang_program *prog;
    lang_is_known_fn *is_op;
    void *user;
    struct lang_diags *diags;
    size_t errors;
    VEC(const char *) known;     /* variable names of the command being checked */
    VEC(const char *) warned;    /* unknown names already reported in it */
    VEC(char *) owned;           /* names copied out of with_env texts */
    const char *const *op_names; /* for suggestions; may be NULL */
    size_t op_count;
};

static void report(struct checker *ck, enum lang_severity sev, const struct src_loc *loc,
                   uint32_t span, const char *fmt, ...) PRINTF_LIKE(5, 6);

static void
report(struct checker *ck, enum lang_severity sev, const struct src_loc *loc, uint32_t span,
       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lang_diag_vsrc(ck->diags, sev,
                   lang_source_for(ck->prog->sources, ck->prog->source_count, loc->file), loc, span,
                   fmt, ap);
    va_end(ap);
    if (sev == LANG_SEV_ERROR)
        ck->errors++;
}

static bool
in_list(const char *const *list, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

#define IN_ARRAY(arr, name) in_list((arr), sizeof(arr) / sizeof((arr)[0]), (name))

static bool
is_wasm_decl(const char *name)
{
    return IN_ARRAY(wasm_decls, name);
}

static bool
is_declared_bin(const struct lang_program *prog, const char *name)
{
    for (size_t i = 0; i < prog->require_count; i++)
        if (prog->requires[i].kind == LANG_REQ_BIN
            && strcmp(prog->requires[i].value.text, name) == 0)
            return true;
    return false;
}

static bool
has_upper(const char *s)
{
    for (; *s && *s != '.'; s++)
        if (*s >= 'A' && *s <= 'Z')
            return true;
    return false;
}

/* Is the first segment of dotted 'name' a variable that can exist? */
static bool
var_known(struct checker *ck, const char *name)
{
    size_t seg = strcspn(name, ".");
    for (size_t i = 0; i < ck->known.count; i++)
        if (strlen(ck->known.items[i]) == seg && strncmp(ck->known.items[i], name, seg) == 0)
            return true;
    for (size_t i = 0; i < sizeof(auto_vars) / sizeof(auto_vars[0]); i++)
        if (strlen(auto_vars[i]) == seg && strncmp(auto_vars[i], name, seg) == 0)
            return true;
    for (size_t i = 0; i < ck->prog->binding_count; i++)
        if (strlen(ck->prog->bindings[i].name) == seg
            && strncmp(ck->prog->bindings[i].name, name, seg) == 0)
            return true;
    return false;
}

static void
check_var(struct checker *ck, const char *name, const struct src_loc *loc, uint32_t span)
{
    /* Upper-case names are usually host environment variables. */
    if (var_known(ck, name) || has_upper(name))
        return;
    size_t seg = strcspn(name, ".");
    for (size_t i = 0; i < ck->warned.count; i++)
        if (strlen(ck->warned.items[i]) == seg && strncmp(ck->warned.items[i], name, seg) == 0)
            return;
    vec_push(&ck->warned, name);
    report(ck, LANG_SEV_WARNING, loc, span,
           "unknown variable '%s' (not an argument, capture, binding or auto variable)", name);
}

static void
check_word(struct checker *ck, const struct lang_word *w)
{
    for (size_t i = 0; i < w->part_count; i++) {
        const struct lang_part *part = &w->parts[i];
        uint32_t span = part->source ? (uint32_t)strlen(part->source) + 3 : 1;
        if (part->kind == LANG_PART_VAR) {
            check_var(ck, part->text, &part->loc, span);
        } else if (part->kind == LANG_PART_CALL) {
            if (ck->is_op && !ck->is_op(ck->user, part->text)) {
                const char *guess =
                    ck->op_count ? lang_suggest(part->text, ck->op_names, ck->op_count) : NULL;
                report(ck, LANG_SEV_ERROR, &part->loc, span,
                       "unknown function '%s' in '${%s}'%s%s%s", part->text, part->source,
                       guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
            }
            for (size_t j = 0; j < part->arg_count; j++)
                if (!part->args[j].is_literal)
                    check_var(ck, part->args[j].text, &part->loc, span);
        }
    }
}

static void
check_words(struct checker *ck, const struct lang_word *words, size_t count)
{
    for (size_t i = 0; i < count; i++)
        check_word(ck, &words[i]);
}

static bool literal_fits(enum lang_type type, const char *text);

static void
check_cond(struct checker *ck, const struct lang_cond *c)
{
    if (!c)
        return;
    switch (c->kind) {
    case LANG_COND_TRUTHY:
    case LANG_COND_COMPARE:
        /* A bare true, false or number is a literal (`if true`). */
        if (c->lhs.quote == LANG_QUOTE_BARE && !c->lhs.has_interp) {
            if (strcmp(c->lhs.text, "true") && strcmp(c->lhs.text, "false")
                && !literal_fits(LANG_TYPE_FLOAT, c->lhs.text))
                check_var(ck, c->lhs.text, &c->lhs.loc, (uint32_t)c->lhs.len);
        } else
            check_word(ck, &c->lhs);
        if (c->kind == LANG_COND_COMPARE)
            check_word(ck, &c->rhs);
        break;
    case LANG_COND_CALL:
        if (ck->is_op && !ck->is_op(ck->user, c->name))
            report(ck, LANG_SEV_ERROR, &c->loc, (uint32_t)strlen(c->name), "unknown predicate '%s'",
                   c->name);
        check_words(ck, c->args, c->arg_count);
        break;
    case LANG_COND_NOT:
    case LANG_COND_AND:
    case LANG_COND_OR:
        check_cond(ck, c->sub);
        check_cond(ck, c->sub2);
        break;
    }
}

/* Names a body can bind: captures, assignments, loop items, with_env keys. */
static void
collect_known(struct checker *ck, const struct lang_body *body)
{
    for (size_t i = 0; i < body->count; i++) {
        const struct lang_stmt *st = &body->stmts[i];
        if (st->target)
            vec_push(&ck->known, st->target);
        if (st->kind == LANG_STMT_FOR_EACH && st->arg_count == 2)
            vec_push(&ck->known, st->args[1].text);
        if (st->kind == LANG_STMT_BLOCK && st->block == LANG_BLOCK_WITH_ENV) {
            /* with_env "K=v,K2=v2": the keys are names the body may use. */
            for (size_t a = 0; a < st->arg_count; a++) {
                const char *t = st->args[a].text;
                while (*t) {
                    while (*t == ' ')
                        t++;
                    size_t n = strcspn(t, ",");
                    const char *eq = memchr(t, '=', n);
                    const char *key_end = eq;
                    while (key_end && key_end > t && key_end[-1] == ' ')
                        key_end--;
                    if (key_end && key_end > t) {
                        char *key = xstrndup(t, (size_t)(key_end - t));
                        vec_push(&ck->owned, key);
                        vec_push(&ck->known, key);
                    }
                    t += n;
                    if (*t == ',')
                        t++;
                }
            }
        }
        collect_known(ck, &st->body);
        for (size_t j = 0; j < st->clause_count; j++)
            collect_known(ck, &st->clauses[j].body);
    }
}

static bool
is_plain_count(const struct lang_word *w)
{
    if (w->has_interp)
        return true; /* decided at run time */
    if (!*w->text)
        return false;
    for (const char *s = w->text; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static void check_body(struct checker *ck, const struct lang_body *body, bool in_wasm);

/* os and arch names are Go's, as the runtime reports them. A name outside
 * these never matches: warn, with the usual mix-ups spelled out. */
static void
check_platform_names(struct checker *ck, bool is_os, const char *text, const struct src_loc *loc,
                     uint32_t span)
{
    static const char *const oses[] = {
        "linux", "darwin", "freebsd", "openbsd", "netbsd", "windows"
    };
    static const char *const arches[] = { "amd64", "arm64", "386", "arm", "riscv64" };
    static const struct {
        const char *alias, *name;
    } aliases[] = {
        { "macos", "darwin" }, { "osx", "darwin" },    { "mac", "darwin" }, { "x86_64", "amd64" },
        { "x64", "amd64" },    { "aarch64", "arm64" }, { "i386", "386" },   { "x86", "386" },
    };
    const char *const *known = is_os ? oses : arches;
    size_t count = is_os ? sizeof(oses) / sizeof(oses[0]) : sizeof(arches) / sizeof(arches[0]);
    while (*text) {
        size_t skip = strspn(text, ", ");
        text += skip;
        size_t n = strcspn(text, ", ");
        if (n == 0)
            break;
        char name[64];
        size_t len = n < sizeof(name) - 1 ? n : sizeof(name) - 1;
        memcpy(name, text, len);
        name[len] = '\0';
        text += n;
        if (in_list(known, count, name))
            continue;
        const char *guess = NULL;
        for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]) && !guess; i++)
            if (strcmp(aliases[i].alias, name) == 0)
                guess = aliases[i].name;
        if (!guess)
            guess = lang_suggest(name, known, count);
        report(ck, LANG_SEV_WARNING, loc, span, "'%s' is not an %s name perch uses%s%s%s", name,
               is_os ? "os" : "arch", guess ? " (did you mean '" : "", guess ? guess : "",
               guess ? "'?)" : "");
    }
}

/*
 * A call of a command with more positional words than it has positional
 * arguments. Mirrors the runtime's rule (args with `index`, or when none
 * has one, every non-rest arg) and stays out of the way of anything it
 * cannot judge: flags, `--`, rest arguments, proxy_args.
 */
/* Is literal 'text' a value of 'type'? (The run checks everything again;
 * this mirrors exec_value_parse closely enough to catch plain mistakes.) */
static bool
literal_fits(enum lang_type type, const char *text)
{
    char *end = NULL;
    errno = 0;
    if (type == LANG_TYPE_INT)
        (void)strtoll(text, &end, 10);
    else if (type == LANG_TYPE_FLOAT)
        (void)strtod(text, &end);
    else if (type == LANG_TYPE_BOOL) {
        static const char *const words[] = { "true", "1", "yes", "on", "false", "0", "no", "off" };
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
            if (!strcasecmp(text, words[i]))
                return true;
        return false;
    } else
        return true;
    while (end && (*end == ' ' || *end == '\t'))
        end++;
    return end && end != text && !*end && errno == 0;
}

static bool
arg_required(const struct lang_arg *a)
{
    return !a->default_value && !a->is_optional && !a->is_rest && a->type != LANG_TYPE_BOOL;
}

/* A call of a command with positional words only (calls with flags are
 * judged when they run): too many words, a missing required argument, a
 * literal that is not a number where the argument is an int or a float. */
static void
check_command_call(struct checker *ck, const struct lang_stmt *st, const struct lang_command *cmd)
{
    for (size_t i = 0; i < st->arg_count; i++)
        if (st->args[i].text[0] == '-')
            return;
    bool any_index = false, has_rest = false;
    for (size_t i = 0; i < cmd->arg_count; i++) {
        has_rest = has_rest || cmd->args[i].is_rest;
        any_index = any_index || cmd->args[i].index >= 0;
    }
    if (cmd->arg_count > LANG_MAX_CHECKED_ARGS)
        return;
    /* The positional slots, in order (as exec/args.c fills them). */
    const struct lang_arg *slot[LANG_MAX_CHECKED_ARGS];
    size_t slots = 0;
    for (size_t i = 0; i < cmd->arg_count && slots < LANG_MAX_CHECKED_ARGS; i++) {
        const struct lang_arg *a = &cmd->args[i];
        if (a->is_rest || (any_index && a->index < 0))
            continue;
        size_t j = slots++;
        while (any_index && j > 0 && slot[j - 1]->index > a->index) {
            slot[j] = slot[j - 1];
            j--;
        }
        slot[j] = a;
    }
    if (!cmd->proxy_args && !has_rest && st->arg_count > slots) {
        report(ck, LANG_SEV_ERROR, &st->args[slots].loc, (uint32_t)st->args[slots].len,
               "too many arguments for command '%s' (it takes %zu positional argument%s)",
               cmd->name, slots, slots == 1 ? "" : "s");
        return;
    }
    for (size_t i = 0; i < slots && i < st->arg_count; i++) {
        const struct lang_word *w = &st->args[i];
        if (!w->has_interp && !literal_fits(slot[i]->type, w->text))
            report(ck, LANG_SEV_ERROR, &w->loc, (uint32_t)w->len,
                   "argument '%s' of command '%s' is %s %s, not '%s'", slot[i]->name, cmd->name,
                   slot[i]->type == LANG_TYPE_INT ? "an" : "a", lang_type_name(slot[i]->type),
                   w->text);
    }
    for (size_t i = 0; i < cmd->arg_count; i++) {
        const struct lang_arg *a = &cmd->args[i];
        if (!arg_required(a))
            continue;
        bool given = false;
        for (size_t k = 0; k < slots && k < st->arg_count; k++)
            given = given || slot[k] == a;
        if (!given) {
            report(ck, LANG_SEV_ERROR, &st->loc, (uint32_t)strlen(st->name),
                   "command '%s' needs its argument '%s' (%s)", cmd->name, a->name,
                   lang_type_name(a->type));
            return;
        }
    }
}

/* Literal opener arguments that can be judged before running: durations,
 * sandbox flags, with_env pairs, bundle aliases. Interpolated ones are the
 * runtime's business. */
static void
check_block_args(struct checker *ck, const struct lang_stmt *st)
{
    const struct lang_word *a = st->arg_count ? &st->args[0] : NULL;
    const struct lang_word *ttl = st->arg_count > 1 ? &st->args[1] : NULL;
    switch (st->block) {
    case LANG_BLOCK_TIMEOUT:
        if (a && !a->has_interp && !lang_is_duration_text(a->text))
            report(ck, LANG_SEV_ERROR, &a->loc, (uint32_t)a->len + 2,
                   "'timeout' takes a duration such as 30s or 5m, not '%s'", a->text);
        break;
    case LANG_BLOCK_CACHE:
        if (ttl && !ttl->has_interp && !lang_is_duration_text(ttl->text))
            report(ck, LANG_SEV_ERROR, &ttl->loc, (uint32_t)ttl->len + 2,
                   "the 'cache' time to live is a duration such as 7d or 12h, not '%s'", ttl->text);
        break;
    case LANG_BLOCK_RETRY:
        /* retry N "BASE": the backoff before the second attempt. */
        if (ttl && !ttl->has_interp && !lang_is_duration_text(ttl->text))
            report(ck, LANG_SEV_ERROR, &ttl->loc, (uint32_t)ttl->len + 2,
                   "the 'retry' backoff is a duration such as 1s or 500ms, not '%s'", ttl->text);
        break;
    case LANG_BLOCK_SANDBOX: {
        static const char *const flags[] = { "no_shell", "no_network", "no_subprocess",
                                             "no_write" };
        if (!a || a->has_interp)
            break;
        const char *s = a->text;
        while (*s) {
            size_t n = strcspn(s, ",");
            char flag[64];
            size_t fl = n < sizeof(flag) - 1 ? n : sizeof(flag) - 1;
            memcpy(flag, s, fl);
            flag[fl] = '\0';
            /* Spaces around commas are fine. */
            char *f = flag;
            while (*f == ' ')
                f++;
            size_t end = strlen(f);
            while (end && f[end - 1] == ' ')
                f[--end] = '\0';
            if (*f && !in_list(flags, sizeof(flags) / sizeof(flags[0]), f)) {
                const char *guess = lang_suggest(f, flags, sizeof(flags) / sizeof(flags[0]));
                report(ck, LANG_SEV_ERROR, &a->loc, (uint32_t)a->len + 2,
                       "unknown sandbox flag '%s'%s%s%s (flags: no_shell, no_network, "
                       "no_subprocess, no_write)",
                       f, guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
            }
            s += n;
            if (*s == ',')
                s++;
        }
        break;
    }
    case LANG_BLOCK_WITH_ENV:
        for (size_t i = 0; i < st->arg_count; i++) {
            const struct lang_word *w = &st->args[i];
            if (w->has_interp)
                continue;
            /* The same reading as the run (exec/blocks.c): items split at
             * commas, spaces around keys and values, empty items skipped. */
            const char *s = w->text;
            while (*s) {
                while (*s == ' ')
                    s++;
                size_t n = strcspn(s, ",");
                const char *eq = memchr(s, '=', n);
                if (n && (!eq || eq == s)) {
                    report(ck, LANG_SEV_ERROR, &w->loc, (uint32_t)w->len + 2,
                           "'with_env' takes KEY=value pairs separated by commas, not '%.*s'",
                           (int)n, s);
                    break;
                }
                if (n) {
                    size_t klen = (size_t)(eq - s);
                    while (klen && s[klen - 1] == ' ')
                        klen--;
                    bool name_ok = klen && !isdigit((unsigned char)s[0]);
                    for (size_t k = 0; k < klen && name_ok; k++)
                        name_ok = isalnum((unsigned char)s[k]) || s[k] == '_';
                    if (!name_ok) {
                        report(ck, LANG_SEV_ERROR, &w->loc, (uint32_t)w->len + 2,
                               "'with_env': '%.*s' is not a variable name", (int)klen, s);
                        break;
                    }
                }
                s += n;
                if (*s == ',')
                    s++;
            }
        }
        break;
    case LANG_BLOCK_OS:
    case LANG_BLOCK_ARCH:
        for (size_t i = 0; i < st->arg_count; i++)
            if (!st->args[i].has_interp)
                check_platform_names(ck, st->block == LANG_BLOCK_OS, st->args[i].text,
                                     &st->args[i].loc, (uint32_t)st->args[i].len + 2);
        break;
    case LANG_BLOCK_WASM_RUN:
        /* A bare word without '/' or '.' names a bundle include. */
        if (a && a->quote == LANG_QUOTE_BARE && !a->has_interp && !strchr(a->text, '/')
            && !strchr(a->text, '.') && !lang_find_bundle_alias(ck->prog, a->text))
            report(ck, LANG_SEV_ERROR, &a->loc, (uint32_t)a->len,
                   "unknown bundle alias '%s' (declare it with 'include \"PATH\" as %s' in a "
                   "bundle block, or give a path)",
                   a->text, a->text);
        break;
    default:
        break;
    }
}

/* A close name for an unknown call: a command, or a command setting that a
 * body line became because it was misspelled. */
static const char *
suggest_name(struct checker *ck, const char *name)
{
    VEC(const char *) names = { 0 };
    for (size_t i = 0; i < ck->prog->command_count; i++)
        vec_push(&names, ck->prog->commands[i].name);
    /* The settings themselves, not 'arg' and 'do' (the last two). */
    for (size_t i = 0; i + 2 < LANG_COMMAND_SETTING_COUNT; i++)
        vec_push(&names, lang_command_settings[i]);
    for (size_t i = 0; i < ck->op_count; i++)
        vec_push(&names, ck->op_names[i]);
    const char *guess = lang_suggest(name, names.items, names.count);
    vec_release(&names);
    return guess;
}

/* `process "$(basename ${f} .xml)"`: perch leaves `$(...)` alone, so an
 * argument of a command call or a `wasm_arg` gets it as literal text, which
 * is rarely what was meant (ops that take free text, such as print or
 * write_file, may well mean it). A warning, once per statement. */
static void
check_command_substitution(struct checker *ck, const struct lang_stmt *st)
{
    if (strcmp(st->name, "wasm_arg") != 0 && !lang_find_command(ck->prog, st->name))
        return;
    for (size_t i = 0; i < st->arg_count; i++) {
        const struct lang_word *w = &st->args[i];
        const char *at = w->text ? strstr(w->text, "$(") : NULL;
        if (!at)
            continue;
        report(ck, LANG_SEV_WARNING, &w->loc, (uint32_t)w->len,
               "'$(...)' is only run by a shell (shell, shell_output, try_shell): '%s' gets it "
               "as literal text",
               st->name);
        return;
    }
}

static void
check_call(struct checker *ck, const struct lang_stmt *st, bool in_wasm)
{
    uint32_t span = (uint32_t)strlen(st->name);
    if (is_wasm_decl(st->name)) {
        if (!in_wasm)
            report(ck, LANG_SEV_ERROR, &st->loc, span, "'%s' belongs inside a 'wasm_run' block",
                   st->name);
        if (st->target)
            report(ck, LANG_SEV_ERROR, &st->loc, span, "'%s' has no value to capture", st->name);
    } else if (in_wasm) {
        report(ck, LANG_SEV_ERROR, &st->loc, span,
               "'%s' cannot appear in a 'wasm_run' block (only wasm_arg, wasm_env, "
               "wasm_mount_read, wasm_mount_write, wasm_clock, wasm_random, wasm_allow_host)",
               st->name);
    } else if (lang_find_command(ck->prog, st->name)) {
        check_command_call(ck, st, lang_find_command(ck->prog, st->name));
    } else if (ck->is_op && !ck->is_op(ck->user, st->name) && !lang_find_command(ck->prog, st->name)
               && !is_declared_bin(ck->prog, st->name)) {
        const char *guess = suggest_name(ck, st->name);
        if (guess)
            report(ck, LANG_SEV_ERROR, &st->loc, span,
                   "unknown op or command '%s' (did you mean '%s'?)", st->name, guess);
        else
            report(ck, LANG_SEV_ERROR, &st->loc, span, "unknown op or command '%s'", st->name);
    }
    check_words(ck, st->args, st->arg_count);
    check_command_substitution(ck, st);
}

static void
check_stmt(struct checker *ck, const struct lang_stmt *st, bool in_wasm)
{
    switch (st->kind) {
    case LANG_STMT_CALL:
        for (const struct lang_stmt *s = st; s; s = s->next)
            check_call(ck, s, in_wasm);
        return;
    case LANG_STMT_ASSIGN:
        if (in_wasm)
            report(ck, LANG_SEV_ERROR, &st->loc, 1,
                   "assignments cannot appear in a 'wasm_run' block");
        check_words(ck, st->args, st->arg_count);
        return;
    default:
        break;
    }
    if (in_wasm)
        report(ck, LANG_SEV_ERROR, &st->loc, (uint32_t)strlen(st->name),
               "'%s' cannot appear in a 'wasm_run' block", st->name);
    check_words(ck, st->args, st->arg_count);
    /* `for_each files f` / `match v`: a bare word is literal text, so the
     * loop sees one item "files". When the word names a variable, that is
     * almost certainly not what was meant. */
    if ((st->kind == LANG_STMT_FOR_EACH || st->kind == LANG_STMT_MATCH) && st->arg_count >= 1) {
        const struct lang_word *w = &st->args[0];
        if (w->quote == LANG_QUOTE_BARE && !w->has_interp && w->text && var_known(ck, w->text))
            report(ck, LANG_SEV_WARNING, &w->loc, (uint32_t)w->len,
                   "'%s' %s the literal text '%s', not the variable: write \"${%s}\"",
                   st->name, st->kind == LANG_STMT_FOR_EACH ? "iterates" : "matches", w->text,
                   w->text);
    }
    if (st->kind == LANG_STMT_BLOCK
        && (st->block == LANG_BLOCK_PARALLEL || st->block == LANG_BLOCK_RETRY) && st->arg_count == 1
        && !is_plain_count(&st->args[0]))
        report(ck, LANG_SEV_ERROR, &st->args[0].loc, (uint32_t)st->args[0].len,
               "'%s' takes a whole number, not '%s'", st->name, st->args[0].text);
    if (st->kind == LANG_STMT_BLOCK)
        check_block_args(ck, st);
    check_body(ck, &st->body, st->kind == LANG_STMT_BLOCK && st->block == LANG_BLOCK_WASM_RUN);
    for (size_t i = 0; i < st->clause_count; i++) {
        check_cond(ck, st->clauses[i].cond);
        check_words(ck, st->clauses[i].args, st->clauses[i].arg_count);
        check_body(ck, &st->clauses[i].body, false);
    }
}

static void
check_body(struct checker *ck, const struct lang_body *body, bool in_wasm)
{
    for (size_t i = 0; i < body->count; i++)
        check_stmt(ck, &body->stmts[i], in_wasm);
}

bool
lang_check(const struct lang_program *prog, lang_is_known_fn *is_op, void *user,
           struct lang_diags *diags)
{
    struct lang_check_opts opts = { 0 };
    opts.is_op = is_op;
    opts.user = user;
    return lang_check_opts(prog, &opts, diags);
}

bool
lang_check_opts(const struct lang_program *prog, const struct lang_check_opts *opts,
                struct lang_diags *diags)
{
    struct checker ck = { 0 };
    ck.prog = prog;
    ck.is_op = opts->is_op;
    ck.user = opts->user;
    ck.op_names = opts->op_names;
    ck.op_count = opts->op_names ? opts->op_count : 0;
    ck.diags = diags;
    for (size_t i = 0; i < prog->command_count; i++) {
        const struct lang_command *cmd = &prog->commands[i];
        ck.known.count = 0;
        ck.warned.count = 0;
        if (!cmd->is_test
            && (cmd->test_allow_shell || cmd->test_allow_network || cmd->test_allow_subprocess
                || cmd->test_allow_write || cmd->test_keep_cwd || cmd->test_timeout))
            report(&ck, LANG_SEV_WARNING, &cmd->loc, 7,
                   "command '%s' has test settings but is not marked 'test': perch test will "
                   "not run it (add a 'test' line)",
                   cmd->name);
        if (ck.is_op && ck.is_op(ck.user, cmd->name))
            report(&ck, LANG_SEV_WARNING, &cmd->loc, 7,
                   "command '%s' has the name of a built-in op: every call of '%s' in this "
                   "program runs the command, not the op",
                   cmd->name, cmd->name);
        for (size_t j = 0; j < cmd->arg_count; j++) {
            const struct lang_arg *a = &cmd->args[j];
            vec_push(&ck.known, a->name);
            const struct lang_word *dv = a->default_value;
            if (dv && !dv->has_interp && !literal_fits(a->type, dv->text))
                report(&ck, LANG_SEV_ERROR, &dv->loc, (uint32_t)dv->len,
                       "the default of argument '%s' is not %s %s: '%s'", a->name,
                       a->type == LANG_TYPE_INT ? "an" : "a", lang_type_name(a->type), dv->text);
        }
        for (size_t j = 0; j < cmd->env_count; j++)
            vec_push(&ck.known, cmd->env[j].key);
        if (cmd->proxy_args)
            vec_push(&ck.known, "args"); /* the passed-through words */
        collect_known(&ck, &cmd->body);
        for (size_t j = 0; j < cmd->require_os_count; j++)
            check_platform_names(&ck, true, cmd->require_os[j], &cmd->loc, 7);
        for (size_t j = 0; j < cmd->require_arch_count; j++)
            check_platform_names(&ck, false, cmd->require_arch[j], &cmd->loc, 7);
        if (cmd->dir)
            check_word(&ck, cmd->dir);
        for (size_t j = 0; j < cmd->env_count; j++)
            check_word(&ck, &cmd->env[j].value);
        check_body(&ck, &cmd->body, false);
    }
    /* Top-level bindings see only the auto variables, other bindings and
     * the environment. */
    ck.known.count = 0;
    ck.warned.count = 0;
    for (size_t i = 0; i < prog->binding_count; i++)
        check_word(&ck, &prog->bindings[i].value);
    for (size_t i = 0; i < prog->require_count; i++) {
        const struct lang_require *r = &prog->requires[i];
        if ((r->kind == LANG_REQ_OS || r->kind == LANG_REQ_ARCH) && !r->value.has_interp)
            check_platform_names(&ck, r->kind == LANG_REQ_OS, r->value.text, &r->value.loc,
                                 (uint32_t)r->value.len);
    }
    for (size_t i = 0; i < prog->catch_count; i++) {
        ck.known.count = 0;
        ck.warned.count = 0;
        collect_known(&ck, &prog->catches[i].body);
        check_body(&ck, &prog->catches[i].body, false);
    }
    for (size_t i = 0; i < prog->hook_count; i++) {
        ck.known.count = 0;
        check_stmt(&ck, &prog->hooks[i].stmt, false);
    }
    vec_release(&ck.known);
    vec_release(&ck.warned);
    for (size_t i = 0; i < ck.owned.count; i++)
        free(ck.owned.items[i]);
    vec_release(&ck.owned);
    return ck.errors == 0;
}
