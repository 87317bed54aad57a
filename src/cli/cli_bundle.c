/*
 * cli_bundle.c: `perch --build`, and what a built binary does at start-up
 * (find its payload, extract it once, print its own --help / --version).
 */
#include "cli/cli_bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "lang/lang.h"
#include "os/fs.h"
#include "os/path.h"
#include "os/sysinfo.h"
#include "perch_version.h"

int
cli_build(const struct cli_opts *o, const char *path, int extra_count, char **extra)
{
    if (extra_count > 0) {
        fprintf(stderr,
                "perch --build: unexpected '%s' (usage: perch --build [-f FILE] "
                "[--include PATH]... [-o OUT])\n",
                extra[0]);
        return CLI_EXIT_USAGE;
    }
    if (!path) {
        fprintf(stderr, "perch --build: no .perch file: give -f FILE, or run it where "
                        "commands.perch is (or below)\n");
        return CLI_EXIT_USAGE;
    }
    struct err err = { 0 };
    char *exe = os_self_exe_path(&err);
    if (!exe) {
        fprintf(stderr, "perch --build: cannot find the perch executable: %s\n", err.msg);
        return CLI_EXIT_FAIL;
    }
    struct bundle_build_opts bo = { 0 };
    bo.file = path;
    bo.includes = o->includes;
    bo.include_count = o->include_count;
    bo.out_path = o->out_path;
    bo.exe_path = exe;
    bo.log = stderr;
    int status = CLI_EXIT_OK;
    if (!bundle_build(&bo, &err)) {
        fprintf(stderr, "perch: %s\n", err.msg);
        status = err.kind == ERR_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    free(exe);
    return status;
}

int
cli_bundle_open_self(struct bundle *b, const char *argv0)
{
    /* Messages here are about a built binary: under its own name. */
    char *shown = os_path_base(argv0 && *argv0 ? argv0 : "perch");
    struct err err = { 0 };
    char *exe = os_self_exe_path(&err);
    if (!exe) {
        free(shown);
        return 0; /* cannot look: behave as plain perch */
    }
    int rc = bundle_open(exe, b, &err);
    free(exe);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", shown, err.msg);
        free(shown);
        return -1;
    }
    if (rc == 0) {
        free(shown);
        return 0;
    }
    char *root = bundle_cache_root(getenv("XDG_CACHE_HOME"), getenv("HOME"));
    bool ok = bundle_extract(b, root, &err);
    free(root);
    if (!ok) {
        /* No usable cache directory (read-only home...): a private
         * directory under the temporary directory instead. */
        struct err err2 = { 0 };
        char *tmp = os_temp_dir(getenv("TMPDIR"));
        char *alt = xasprintf("%s/perch-bundles-%ld", tmp, (long)getuid());
        free(tmp);
        struct stat st;
        if ((mkdir(alt, 0700) == 0 || errno == EEXIST) && lstat(alt, &st) == 0
            && S_ISDIR(st.st_mode) && os_fs_stat_is_private(&st))
            ok = bundle_extract(b, alt, &err2);
        free(alt);
    }
    if (!ok) {
        fprintf(stderr, "%s: %s\n", shown, err.msg);
        bundle_release(b);
        free(shown);
        return -1;
    }
    free(shown);
    return 1;
}

static bool
is_listed(const struct lang_command *c)
{
    return !c->is_private && !c->is_test;
}

void
cli_bundle_print_help(FILE *out, const struct lang_program *prog, const char *invoked)
{
    fprintf(out, "%s", prog->name ? prog->name : invoked);
    if (prog->version)
        fprintf(out, " %s", prog->version);
    if (prog->about)
        fprintf(out, ": %s", prog->about);
    fprintf(out, "\n\nUsage: %s [FLAGS] COMMAND [ARGS]\n       %s test [--filter S] [-v]\n\n",
            invoked, invoked);
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
        fprintf(out, "  %-*s  %s\n", (int)width, c->name, c->description ? c->description : "");
        shown++;
    }
    if (!shown)
        fputs("  (none)\n", out);
    fprintf(out,
            "\nRun '%s COMMAND --help' for a command's arguments, '%s test' to run the "
            "tests.\nFlags (before COMMAND): --no-shell, --no-network, --no-subprocess, "
            "--no-write,\n--env A,B, --max-runtime SECS, --jobs N, --trace, --report, "
            "--audit FILE, --version.\n(Built with perch %s.)\n",
            invoked, invoked, PERCH_VERSION);
}

void
cli_bundle_print_version(FILE *out, const struct lang_program *prog, const char *invoked)
{
    fprintf(out, "%s", prog->name ? prog->name : invoked);
    if (prog->version)
        fprintf(out, " %s", prog->version);
    fprintf(out, " (perch %s)\n", PERCH_VERSION);
}
