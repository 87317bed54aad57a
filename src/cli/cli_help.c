/*
 * cli_help.c: --help, COMMAND --help, `perch help [OP]` and shell
 * completion scripts. Everything here prints to stdout: help is output the
 * user asked for.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "base/progname.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "ops/ops.h"

void
cli_print_usage(FILE *out)
{
    fputs("Usage: perch [FLAGS] [-f FILE] COMMAND [ARGS]\n"
          "       perch [FLAGS] SCRIPT.perch [FLAGS] COMMAND [ARGS]\n"
          "       perch test [--filter S] [-v] [--keep-tempdir]\n"
          "       perch help [NAME]   (an op, block or declaration)\n"
          "       perch wasm run [--dir HOST[::GUEST]] [--env K=V] MODULE [ARGS]\n"
          "       perch mcp [FLAGS]   (the perch-mcp server on stdio)\n"
          "       perch cache list | perch cache clear [PREFIX | --wasm]\n"
          "                           (cache block entries and compiled modules)\n"
          "       perch --init [DIR]  (start a project: a commented commands.perch)\n"
          "\n"
          "Without -f, perch runs the nearest commands.perch in the current directory\n"
          "or its parents.\n"
          "\n"
          "Flags:\n"
          "  -f, --file FILE      the .perch file to use\n"
          "  --check              check the file and print diagnostics\n"
          "  --no-shell           deny shell ops\n"
          "  --no-network         deny network ops\n"
          "  --no-subprocess      deny running programs\n"
          "  --no-write           deny filesystem changes\n"
          "  --env A,B            only these host environment variables are visible\n"
          "  --max-runtime SECS   stop the run after SECS seconds (exit 124)\n"
          "  --jobs N             at most N parallel branches at once\n"
          "  --trace              print spans live to stderr\n"
          "  --report[=PATH]      print the span tree after the run\n"
          "  --audit FILE         append NDJSON audit events to FILE\n"
          "  --build -o OUT       bundle the file into one executable\n"
          "  --include PATH       with --build: embed PATH too (repeatable)\n"
          "  --completions SHELL  print a completion script (bash, zsh, fish)\n"
          "  --version            print the version\n"
          "  -h, --help           this help; COMMAND --help for a command's arguments\n"
          "\n"
          "Install from a source tree: make install (PREFIX=/usr/local, DESTDIR=...),\n"
          "make uninstall, or make deb then apt-get install ./perch_*.deb.\n"
          "Manuals: man perch, man 5 perch (the file format), man perch-mcp.\n",
          out);
}

static bool
is_listed(const struct lang_command *c)
{
    return !c->is_private && !c->is_test;
}

void
cli_print_program_help(FILE *out, const struct lang_program *prog)
{
    if (prog->name) {
        fprintf(out, "%s", prog->name);
        if (prog->version)
            fprintf(out, " %s", prog->version);
        if (prog->about)
            fprintf(out, ": %s", prog->about);
        fputs("\n\n", out);
    }
    fputs("Usage: perch [FLAGS] COMMAND [ARGS]\n\n", out);
    size_t width = 8;
    for (size_t i = 0; i < prog->command_count; i++)
        if (is_listed(&prog->commands[i]) && strlen(prog->commands[i].name) > width)
            width = strlen(prog->commands[i].name);
    fputs("Commands:\n", out);
    size_t shown = 0;
    for (size_t i = 0; i < prog->command_count; i++) {
        const struct lang_command *c = &prog->commands[i];
        if (!is_listed(c))
            continue;
        if (c->description && *c->description)
            fprintf(out, "  %-*s  %s\n", (int)width, c->name, c->description);
        else
            fprintf(out, "  %s\n", c->name);
        shown++;
    }
    if (!shown)
        fputs("  (none)\n", out);
    fputs("\nRun 'perch COMMAND --help' for a command's arguments, 'perch help' for the ops,\n"
          "blocks and declarations of the language, 'perch test' to run the tests.\n"
          "Flags (before COMMAND): --check, --no-shell, --no-network, --no-subprocess,\n"
          "--no-write, --env A,B, --max-runtime SECS, --jobs N, --trace, --report,\n"
          "--audit FILE, -f FILE, --version.\n",
          out);
}

/* Whether the command cannot run without this argument. A rest argument
 * takes zero or more values, so it is never required. */
static bool
arg_required(const struct lang_arg *a)
{
    return !a->is_rest && !a->is_optional && !a->default_value && a->type != LANG_TYPE_BOOL;
}

static void
print_arg_synopsis(FILE *out, const struct lang_arg *a)
{
    bool required = arg_required(a);
    if (a->index >= 0 || a->is_rest) {
        fprintf(out, required ? " <%s%s>" : " [%s%s]", a->name, a->is_rest ? "..." : "");
    } else if (a->type == LANG_TYPE_BOOL) {
        fprintf(out, " [--%s]", a->name);
    } else {
        fprintf(out, required ? " --%s <%s>" : " [--%s <%s>]", a->name,
                lang_type_name(a->type));
    }
}

/* The name a command's usage line shows: "perch", or a built binary's own. */
static const char *usage_name = "perch";

void
cli_set_usage_name(const char *name)
{
    usage_name = name && *name ? name : "perch";
    progname_set(usage_name); /* for messages from below the CLI */
}

const char *
cli_name(void)
{
    return usage_name;
}

void
cli_print_command_help(FILE *out, const struct lang_command *cmd)
{
    fprintf(out, "Usage: %s %s", usage_name, cmd->name);
    for (size_t i = 0; i < cmd->arg_count; i++)
        print_arg_synopsis(out, &cmd->args[i]);
    fputc('\n', out);
    if (cmd->description)
        fprintf(out, "\n%s\n", cmd->description);
    if (!cmd->arg_count)
        return;
    fputs("\nArguments:\n", out);
    size_t width = 8;
    for (size_t i = 0; i < cmd->arg_count; i++)
        if (strlen(cmd->args[i].name) + 2 > width)
            width = strlen(cmd->args[i].name) + 2;
    struct sbuf line;
    sbuf_init(&line);
    for (size_t i = 0; i < cmd->arg_count; i++) {
        const struct lang_arg *a = &cmd->args[i];
        sbuf_reset(&line);
        sbuf_addf(&line, "  %s%s", a->index >= 0 || a->is_rest ? "" : "--", a->name);
        size_t name_len = strlen(a->name) + (a->index >= 0 || a->is_rest ? 0 : 2);
        for (size_t k = name_len; k < width; k++)
            sbuf_addc(&line, ' ');
        sbuf_addf(&line, "  %-6s", lang_type_name(a->type));
        if (a->index >= 0)
            sbuf_addf(&line, "  position %d", a->index);
        if (a->is_rest)
            sbuf_adds(&line, "  the remaining arguments (zero or more)");
        if (a->default_value)
            sbuf_addf(&line, "  default: %s", a->default_value->text);
        else if (arg_required(a))
            sbuf_adds(&line, "  required");
        if (a->description)
            sbuf_addf(&line, "  %s", a->description);
        /* Padding never ends a line. */
        sbuf_rtrim(&line, " ");
        fprintf(out, "%s\n", line.buf);
    }
    sbuf_release(&line);
}

static const char *
ret_name(enum op_ret r)
{
    switch (r) {
    case OP_RET_STRING:
        return "string";
    case OP_RET_INT:
        return "int";
    case OP_RET_BOOL:
        return "bool";
    case OP_RET_LIST:
        return "list (one item per line)";
    case OP_RET_NONE:
        break;
    }
    return "nothing";
}

int
cli_help_main(int argc, char **argv)
{
    size_t count = 0;
    const struct op_def *ops = ops_all(&count);
    if (argc < 2) {
        size_t width = 8;
        for (size_t i = 0; i < count; i++)
            if (strlen(ops[i].name) > width)
                width = strlen(ops[i].name);
        printf("Ops (%zu):\n", count);
        for (size_t i = 0; i < count; i++)
            printf("  %-*s  %s\n", (int)width, ops[i].name, ops[i].doc ? ops[i].doc : "");
        cli_lang_help_list(stdout);
        printf("\nRun 'perch help NAME' for one op, block or declaration.\n");
        return CLI_EXIT_OK;
    }
    int status = CLI_EXIT_OK;
    for (int k = 1; k < argc; k++) {
        if (k > 1)
            putchar('\n');
        const struct op_def *d = ops_find(argv[k]);
        bool is_lang = false;
        if (d) {
            printf("%s %s\n", d->name, d->usage ? d->usage : "");
            if (d->doc)
                printf("  %s\n", d->doc);
            printf("  returns: %s\n", ret_name(d->ret));
            if (d->caps)
                printf("  needs: %s%s%s%s\n", d->caps & OP_CAP_SHELL ? "shell " : "",
                       d->caps & OP_CAP_SUBPROCESS ? "subprocess " : "",
                       d->caps & OP_CAP_NETWORK ? "network " : "",
                       d->caps & OP_CAP_WRITE ? "write" : "");
            if (d->is_pure)
                printf("  pure: usable inside ${...} as %s(...)\n", d->name);
        } else {
            is_lang = cli_lang_help(stdout, argv[k]);
        }
        if (d || is_lang)
            continue;
        size_t lang_count = cli_lang_help_count();
        const char **names = xcalloc(count + lang_count + 1, sizeof(char *));
        for (size_t i = 0; i < count; i++)
            names[i] = ops[i].name;
        size_t n = count + cli_lang_help_names(names + count, lang_count);
        const char *s = cli_suggest(argv[k], names, n);
        fprintf(stderr, "perch help: no op, block or declaration named '%s'", argv[k]);
        if (s)
            fprintf(stderr, "; did you mean '%s'?", s);
        fputs("\nrun 'perch help' to list them\n", stderr);
        free(names);
        status = CLI_EXIT_USAGE;
    }
    return status;
}

int
cli_completions(const char *shell)
{
    if (!strcmp(shell, "bash")) {
        fputs("# perch bash completion: eval \"$(perch --completions bash)\"\n"
              "_perch() {\n"
              "    local cur=${COMP_WORDS[COMP_CWORD]}\n"
              "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
              "        COMPREPLY=($(compgen -W \"$(perch --list-commands 2>/dev/null) test help "
              "--help --version --check\" -- \"$cur\"))\n"
              "    else\n"
              "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
              "    fi\n"
              "}\n"
              "complete -F _perch perch\n",
              stdout);
    } else if (!strcmp(shell, "zsh")) {
        fputs("#compdef perch\n"
              "# perch zsh completion: perch --completions zsh > \"${fpath[1]}/_perch\"\n"
              "_perch() {\n"
              "    if (( CURRENT == 2 )); then\n"
              "        local -a cmds\n"
              "        cmds=(${(f)\"$(perch --list-commands 2>/dev/null)\"} test help)\n"
              "        _describe 'command' cmds\n"
              "    else\n"
              "        _files\n"
              "    fi\n"
              "}\n"
              "compdef _perch perch\n",
              stdout);
    } else if (!strcmp(shell, "fish")) {
        fputs("# perch fish completion: perch --completions fish | source\n"
              "complete -c perch -f -n '__fish_is_first_arg' "
              "-a '(perch --list-commands 2>/dev/null) test help'\n",
              stdout);
    } else {
        fprintf(stderr, "perch: --completions: unknown shell '%s' (bash, zsh or fish)\n", shell);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}
