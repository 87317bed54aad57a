/*
 * cli_opts.c: perch's global flags (REFERENCE.md §5) and locating the
 * .perch file to run.
 */
#include "cli/cli.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/xalloc.h"
#include "exec/exec.h"
#include "exec/value.h"
#include "ops/ops.h"
#include "os/path.h"

static int usage_error(const char *fmt, ...) PRINTF_LIKE(1, 2);

static int
usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cli_name());
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nrun '%s --help' for usage\n", cli_name());
    va_end(ap);
    return CLI_EXIT_USAGE;
}

void
cli_parse_env_list(const char *list, bool *out_has, char ***names, size_t *count)
{
    *out_has = true;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        if (n) {
            *names = xrealloc(*names, (*count + 1) * sizeof(char *));
            (*names)[(*count)++] = xstrndup(p, n);
        }
        if (!e)
            break;
        p = e + 1;
    }
}

static void
parse_env_list(struct cli_opts *o, const char *list)
{
    cli_parse_env_list(list, &o->has_env_allow, &o->env_allow, &o->env_allow_count);
}

/* The value of a flag that takes one: "--flag=v" or "--flag v". */
static const char *
flag_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static bool
is_flag(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

int
cli_parse_global_flag(int argc, char **argv, int *ip, struct cli_opts *o)
{
    int i = *ip;
    const char *a = argv[i];
    const char *v;
    int handled = 1;
    if (!strcmp(a, "--no-shell")) {
        o->deny_caps |= OP_CAP_SHELL;
    } else if (!strcmp(a, "--no-network")) {
        o->deny_caps |= OP_CAP_NETWORK;
    } else if (!strcmp(a, "--no-subprocess")) {
        o->deny_caps |= OP_CAP_SUBPROCESS;
    } else if (!strcmp(a, "--no-write")) {
        o->deny_caps |= OP_CAP_WRITE;
    } else if (!strcmp(a, "--trace")) {
        o->trace = true;
    } else if (is_flag(a, "--report")) {
        o->report = true;
        if (a[8] == '=')
            o->report_path = a + 9;
    } else if (!strcmp(a, "--check")) {
        o->check = true;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
        o->help = true;
    } else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
        o->version = true;
    } else if (!strcmp(a, "--build")) {
        o->build = true;
    } else if (!strcmp(a, "--list-commands")) {
        o->list_commands = true;
    } else if (is_flag(a, "-f") || is_flag(a, "--file")) {
        if (!(v = flag_value(argc, argv, &i, a[1] == 'f' ? "-f" : "--file")))
            return usage_error("%s needs a file", a);
        o->file = v;
    } else if (is_flag(a, "-o")) {
        if (!(v = flag_value(argc, argv, &i, "-o")))
            return usage_error("%s needs a path", a);
        o->out_path = v;
    } else if (is_flag(a, "--include")) {
        if (!(v = flag_value(argc, argv, &i, "--include")))
            return usage_error("%s needs a path", a);
        o->includes = xrealloc(o->includes, (o->include_count + 1) * sizeof(char *));
        o->includes[o->include_count++] = v;
    } else if (is_flag(a, "--env")) {
        if (!(v = flag_value(argc, argv, &i, "--env")))
            return usage_error("%s needs a list of names (A,B; \"\" for none)", a);
        parse_env_list(o, v);
    } else if (is_flag(a, "--audit")) {
        if (!(v = flag_value(argc, argv, &i, "--audit")))
            return usage_error("%s needs a file", a);
        o->audit_path = v;
    } else if (is_flag(a, "--completions")) {
        if (!(v = flag_value(argc, argv, &i, "--completions")))
            return usage_error("%s needs a shell (bash, zsh or fish)", a);
        o->completions = v;
    } else if (is_flag(a, "--jobs") || is_flag(a, "-j")) {
        if (!(v = flag_value(argc, argv, &i, a[1] == 'j' ? "-j" : "--jobs")))
            return usage_error("%s needs a number", a);
        int64_t n;
        if (!exec_text_int(v, &n) || n < 1 || n > 4096)
            return usage_error("--jobs: expected a number from 1 to 4096, got '%s'", v);
        o->jobs = (int)n;
    } else if (is_flag(a, "--max-runtime")) {
        if (!(v = flag_value(argc, argv, &i, "--max-runtime")))
            return usage_error("%s needs a number of seconds", a);
        struct err err = { 0 };
        int64_t ns;
        if (!duration_parse(v, &ns, &err) || ns <= 0)
            return usage_error("--max-runtime: expected seconds (or a duration like 90s), "
                               "got '%s'",
                               v);
        o->max_runtime_ns = ns;
    } else {
        handled = 0;
    }
    *ip = i;
    return handled;
}

int
cli_parse_globals(int argc, char **argv, struct cli_opts *o, int *out_next)
{
    return cli_parse_globals_from(argc, argv, 1, o, out_next);
}

int
cli_parse_globals_from(int argc, char **argv, int start, struct cli_opts *o, int *out_next)
{
    int i = start;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !strcmp(a, "-"))
            break;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        int r = cli_parse_global_flag(argc, argv, &i, o);
        if (r == 0)
            return usage_error("unknown flag '%s'", a);
        if (r != 1)
            return r;
    }
    *out_next = i;
    return -1;
}

void
cli_opts_release(struct cli_opts *o)
{
    for (size_t i = 0; i < o->env_allow_count; i++)
        free(o->env_allow[i]);
    free(o->env_allow);
    free(o->includes);
}

char *
cli_find_commands_file(const char *dir)
{
    char *cur = xstrdup(dir);
    for (;;) {
        char *candidate = os_path_join(cur, "commands.perch");
        struct stat sb;
        if (stat(candidate, &sb) == 0 && S_ISREG(sb.st_mode)) {
            free(cur);
            return candidate;
        }
        free(candidate);
        if (!strcmp(cur, "/"))
            break;
        char *parent = os_path_dir(cur);
        free(cur);
        cur = parent;
    }
    free(cur);
    return NULL;
}

bool
cli_looks_like_script_path(const char *arg)
{
    size_t n = strlen(arg);
    return n >= 7 && !strcmp(arg + n - 6, ".perch");
}

bool
cli_is_script_path(const char *arg)
{
    if (!cli_looks_like_script_path(arg))
        return false;
    struct stat sb;
    return stat(arg, &sb) == 0 && S_ISREG(sb.st_mode);
}

const char *
cli_suggest(const char *word, const char *const *candidates, size_t count)
{
    return exec_suggest(word, candidates, count);
}

void
cli_print_run_error(const struct err *err)
{
    if (err->loc.file && err->loc.line && err->loc.col)
        fprintf(stderr, "%s:%u:%u: ", err->loc.file, (unsigned)err->loc.line,
                (unsigned)err->loc.col);
    else if (err->loc.file && err->loc.line)
        fprintf(stderr, "%s:%u: ", err->loc.file, (unsigned)err->loc.line);
    else
        fprintf(stderr, "%s: ", cli_name());
    fprintf(stderr, "error: %s (%s)\n", err->msg, err_kind_name(err->kind));
}
