/*
 * ast.c: read-only queries over a loaded program, and the names of enum
 * values as scripts spell them.
 */
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "lang/lang_int.h"

const struct lang_command *
lang_find_command(const struct lang_program *prog, const char *name)
{
    if (!prog->commands_by_name) {
        for (size_t i = 0; i < prog->command_count; i++)
            if (strcmp(prog->commands[i].name, name) == 0)
                return &prog->commands[i];
        return NULL;
    }
    size_t lo = 0, hi = prog->command_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(prog->commands_by_name[mid]->name, name);
        if (c == 0)
            return prog->commands_by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct lang_binding *
lang_find_binding(const struct lang_program *prog, const char *name)
{
    for (size_t i = 0; i < prog->binding_count; i++)
        if (strcmp(prog->bindings[i].name, name) == 0)
            return &prog->bindings[i];
    return NULL;
}

const struct lang_template *
lang_find_template(const struct lang_program *prog, const char *name)
{
    for (size_t i = 0; i < prog->template_count; i++)
        if (strcmp(prog->templates[i].name, name) == 0)
            return &prog->templates[i];
    return NULL;
}

const struct lang_arg *
lang_command_find_arg(const struct lang_command *cmd, const char *name)
{
    for (size_t i = 0; i < cmd->arg_count; i++)
        if (strcmp(cmd->args[i].name, name) == 0)
            return &cmd->args[i];
    return NULL;
}

const struct lang_bundle_item *
lang_find_bundle_alias(const struct lang_program *prog, const char *alias)
{
    for (size_t i = 0; i < prog->bundle_count; i++)
        if (prog->bundle[i].alias && strcmp(prog->bundle[i].alias, alias) == 0)
            return &prog->bundle[i];
    return NULL;
}

static const char *const type_names[] = { "string", "int", "float", "bool" };

const char *
lang_type_name(enum lang_type type)
{
    if ((size_t)type < sizeof(type_names) / sizeof(type_names[0]))
        return type_names[type];
    return "string";
}

bool
lang_type_from_name(const char *name, enum lang_type *out_type)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        if (strcmp(type_names[i], name) == 0) {
            *out_type = (enum lang_type)i;
            return true;
        }
    }
    if (strcmp(name, "integer") == 0 || strcmp(name, "number") == 0) {
        *out_type = strcmp(name, "number") == 0 ? LANG_TYPE_FLOAT : LANG_TYPE_INT;
        return true;
    }
    if (strcmp(name, "boolean") == 0) {
        *out_type = LANG_TYPE_BOOL;
        return true;
    }
    return false;
}

const char *
lang_cmp_op_name(enum lang_cmp_op op)
{
    switch (op) {
    case LANG_CMP_EQ:
        return "==";
    case LANG_CMP_NE:
        return "!=";
    case LANG_CMP_LT:
        return "<";
    case LANG_CMP_LE:
        return "<=";
    case LANG_CMP_GT:
        return ">";
    case LANG_CMP_GE:
        return ">=";
    }
    return "?";
}

/* Levenshtein distance, stopping early past 'limit'. Words here are short
 * (names), so two rows on the stack suffice; longer words never match. */
static size_t
edit_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32)
        return limit + 1;
    size_t prev[33], cur[33];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        size_t row_min = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            if (cur[j] < row_min)
                row_min = cur[j];
        }
        if (row_min > limit)
            return limit + 1;
        memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
    }
    return prev[lb];
}

const char *
lang_suggest(const char *word, const char *const *candidates, size_t count)
{
    size_t len = strlen(word);
    return lang_suggest_within(word, candidates, count, len < 4 ? 1 : len < 9 ? 2 : 3);
}

/* Shared by the parser (misspelled settings) and the checker (suggestions). */
const char *const lang_command_settings[LANG_COMMAND_SETTING_COUNT] = {
    "description",
    "private",
    "proxy_args",
    "require_os",
    "require_arch",
    "dir",
    "env",
    "test",
    "test_allow_shell",
    "test_allow_network",
    "test_allow_subprocess",
    "test_allow_write",
    "test_keep_cwd",
    "test_timeout",
    "arg",
    "do",
};

const char *
lang_suggest_within(const char *word, const char *const *candidates, size_t count, size_t limit)
{
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(candidates[i], word) == 0)
            continue;
        size_t d = edit_distance(word, candidates[i], limit);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

/* Durations are parsed by base/duration.c, the same code the runtime uses,
 * so a value accepted here is accepted when the block runs. */
bool
lang_is_duration_text(const char *s)
{
    int64_t ns;
    return duration_parse(s, &ns, NULL);
}
