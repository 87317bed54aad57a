/*
 * main_perch.c: main() of `perch`: global flags, finding the .perch file,
 * and dispatch to a command, `perch test`, `perch help`, `perch wasm` or
 * --check. The only place (with main_mcp.c) that decides the exit status.
 *
 * stdout carries only what commands print (and help the user asked for);
 * every message of perch's own goes to stderr.
 */
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/xalloc.h"
#include "bundle/bundle.h"
#include "cli/cli.h"
#include "cli/cli_bundle.h"
#include "cli/cli_init.h"
#include "cli/cli_version.h"
#include "exec/exec.h"
#include "exec/output.h"
#include "exec/value.h"
#include "lang/lang.h"
#include "observe/observe.h"
#include "ops/ops.h"
#include "os/path.h"
#include "os/sysinfo.h"
#include "testrun/testrun.h"

extern char **environ;

/* The name commands are run with in messages: "perch", or a built binary's. */
static const char *invoked_as = "perch";
/* The program a built binary carries (perch --build); NULL for plain perch. */
static const struct bundle *own_bundle;

/* Set to the signal number by SIGINT, SIGTERM or SIGHUP; the interpreter
 * stops between statements and subprocesses are stopped by their waits (so
 * `kill PID` leaves no orphans). A second signal kills perch outright. */
static atomic_int interrupted;

/* exec_app.bundle_file: an embedded file's bytes by its path under the
 * extraction directory, so `wasm_run ALIAS` runs from memory. */
static bool
bundle_file_bytes(void *user, const char *abs_path, const uint8_t **data, size_t *len)
{
    const struct bundle *b = user;
    if (!b || !b->dir)
        return false;
    char *clean = os_path_clean(abs_path);
    size_t dl = strlen(b->dir);
    const struct bundle_entry *e = NULL;
    if (strncmp(clean, b->dir, dl) == 0 && clean[dl] == '/')
        e = bundle_find(b, clean + dl + 1);
    free(clean);
    if (!e)
        return false;
    *data = e->data;
    *len = e->len;
    return true;
}

static void
on_sigint(int sig)
{
    atomic_store(&interrupted, sig);
}

static void
install_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* Past a file size limit (ulimit -f), writes fail with EFBIG and are
     * reported, instead of SIGXFSZ killing perch mid-write. Children get
     * the default back (os/spawn.c). */
    signal(SIGXFSZ, SIG_IGN);
}

static bool
is_known_op(void *user, const char *name)
{
    (void)user;
    return ops_find(name) != NULL || !strcmp(name, "fail");
}

/* What --check and the check before a run know: every op, by name, so an
 * unknown name gets a "did you mean". Free *names after use. */
static void
check_opts_init(struct lang_check_opts *co, const char ***names)
{
    size_t n = 0;
    const struct op_def *defs = ops_all(&n);
    *names = xcalloc(n + 1, sizeof(**names));
    for (size_t i = 0; i < n; i++)
        (*names)[i] = defs[i].name;
    (*names)[n] = "fail";
    memset(co, 0, sizeof(*co));
    co->is_op = is_known_op;
    co->op_names = *names;
    co->op_count = n + 1;
}

/* Public, non-test command names, for suggestions and --list-commands. */
static const char **
command_names(const struct lang_program *prog, size_t *out_count)
{
    const char **names = xcalloc(prog->command_count + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < prog->command_count; i++)
        if (!prog->commands[i].is_test && !prog->commands[i].is_private)
            names[n++] = prog->commands[i].name;
    *out_count = n;
    return names;
}

static int
unknown_command(const struct lang_program *prog, const char *name)
{
    size_t n;
    const char **names = command_names(prog, &n);
    const char *s = *name ? cli_suggest(name, names, n) : NULL;
    fprintf(stderr, "%s: unknown command '%s'", invoked_as, name);
    if (s)
        fprintf(stderr, "; did you mean '%s'?", s);
    if (own_bundle)
        fprintf(stderr, "\nrun '%s --help' to list its commands\n", invoked_as);
    else
        fprintf(stderr, "\nrun 'perch --help' to list the commands of %s\n", prog->path);
    free(names);
    return CLI_EXIT_USAGE;
}

/* Exit status for a program that did not load: a main file that cannot be
 * read at all (missing, a directory, unreadable) is an input error like a
 * missing commands.perch (2); a file with errors in it is a failure (1). */
static int
load_failure_status(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || S_ISDIR(sb.st_mode) || access(path, R_OK) != 0)
        return CLI_EXIT_USAGE;
    return CLI_EXIT_FAIL;
}

static int
run_check(const char *path)
{
    struct lang_diags diags;
    lang_diags_init(&diags);
    struct lang_load_opts lo = { 0 };
    lo.warn_indent = true;
    struct lang_program *prog = lang_load_file_opts(path, &lo, &diags);
    if (prog) {
        struct lang_check_opts co;
        const char **names;
        check_opts_init(&co, &names);
        lang_check_opts(prog, &co, &diags);
        free(names);
    }
    lang_diags_print(&diags, stderr);
    int status = diags.error_count ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    if (!prog)
        status = load_failure_status(path);
    if (!diags.error_count)
        fprintf(stderr, "%s: ok (%zu warning%s)\n", path, diags.warning_count,
                diags.warning_count == 1 ? "" : "s");
    lang_program_free(prog);
    lang_diags_release(&diags);
    return status;
}

/* Parse `perch test` flags. Returns -1 to go on or an exit status. */
static int
parse_test_flags(int argc, char **argv, struct testrun_opts *t)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            t->verbose = true;
        } else if (!strcmp(a, "--keep-tempdir")) {
            t->keep_tempdir = true;
        } else if (!strcmp(a, "--filter")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s test: --filter needs a value\n", invoked_as);
                return CLI_EXIT_USAGE;
            }
            t->filter = argv[++i];
        } else if (!strncmp(a, "--filter=", 9)) {
            t->filter = a + 9;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("Usage: %s test [--filter S] [-v] [--keep-tempdir]\n"
                   "Runs the commands marked `test`, sorted by name, each in a fresh\n"
                   "temporary directory with shell, network and subprocess denied unless\n"
                   "the test allows them (test_allow_shell ...), within test_timeout\n"
                   "(default 30s).\n",
                   invoked_as);
            return CLI_EXIT_OK;
        } else {
            fprintf(stderr, "%s test: unknown argument '%s' (--filter S, -v, --keep-tempdir)\n",
                    invoked_as, a);
            return CLI_EXIT_USAGE;
        }
    }
    return -1;
}

/* Does argv (a command's words) ask for help before any "--"? */
static bool
wants_help(const struct lang_command *cmd, int argc, char **argv)
{
    if (lang_command_find_arg(cmd, "help"))
        return false;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return false;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return true;
    }
    return false;
}

static bool
precheck(const struct lang_program *prog, const struct lang_command *cmd)
{
    struct lang_check_opts co;
    const char **names;
    check_opts_init(&co, &names);
    bool ok = cli_precheck_command(prog, cmd, &co, stderr);
    free(names);
    return ok;
}

static int
run_program(struct cli_opts *o, const char *path, int argc, char **argv)
{
    struct lang_diags diags;
    lang_diags_init(&diags);
    struct lang_program *prog =
        own_bundle ? bundle_load_program(own_bundle, &diags) : lang_load_file(path, &diags);
    if (!prog) {
        lang_diags_print(&diags, stderr);
        lang_diags_release(&diags);
        return own_bundle ? CLI_EXIT_FAIL : load_failure_status(path);
    }
    lang_diags_release(&diags);

    int status = CLI_EXIT_OK;
    if (o->list_commands) {
        size_t n;
        const char **names = command_names(prog, &n);
        for (size_t i = 0; i < n; i++)
            printf("%s\n", names[i]);
        free(names);
        goto done;
    }
    if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        o->help = true; /* `perch tool.perch --help` */
        argc = 0;
    }
    if (own_bundle && o->version) {
        cli_bundle_print_version(stdout, prog, invoked_as);
        goto done;
    }
    if (o->help || argc == 0) {
        FILE *hf = argc == 0 && !o->help ? stderr : stdout;
        if (own_bundle)
            cli_bundle_print_help(hf, prog, invoked_as);
        else
            cli_print_program_help(hf, prog);
        status = o->help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        goto done;
    }

    char *exe = os_self_exe_path(NULL);
    struct cli_fd_sink sink;
    cli_fd_sink_init(&sink);
    struct exec_app app = { 0 };
    app.prog = prog;
    app.sink = &sink.base;
    app.deny_caps = o->deny_caps;
    app.env_allow = (const char *const *)o->env_allow;
    app.env_allow_count = o->env_allow_count;
    app.has_env_allow = o->has_env_allow;
    app.max_runtime_ns = o->max_runtime_ns;
    app.jobs = o->jobs;
    if (!app.jobs) {
        /* PERCH_JOBS is the default for --jobs; a bad value is ignored with a note. */
        const char *env_jobs = getenv("PERCH_JOBS");
        int64_t n;
        if (env_jobs && *env_jobs) {
            if (exec_text_int(env_jobs, &n) && n >= 1 && n <= 4096)
                app.jobs = (int)n;
            else
                fprintf(stderr, "%s: ignoring PERCH_JOBS='%s' (expected 1 to 4096)\n",
                        invoked_as, env_jobs);
        }
    }
    app.stdin_fd = STDIN_FILENO;
    app.exe_path = exe;
    app.interrupt = &interrupted;
    app.host_env = (const char *const *)environ;
    if (own_bundle) {
        app.bundle_dir = own_bundle->dir;
        app.bundle_hash = own_bundle->hash;
        app.bundle_file = bundle_file_bytes;
        app.bundle_user = (void *)own_bundle;
    }
    install_sigint();
    struct err err = { 0 };
    struct observe_opts oo = { 0 };
    oo.trace_sink = o->trace ? &sink.base : NULL;
    oo.report = o->report;
    oo.report_path = o->report_path;
    oo.audit_path = o->audit_path;
    struct observe *obs = observe_new(&oo, &err);
    if (!obs) {
        fprintf(stderr, "%s: %s\n", invoked_as, err.msg);
        status = CLI_EXIT_USAGE;
        goto done_obs;
    }
    app.observer = observe_observer(obs);
    observe_session_start(obs, path ? path : prog->path, argc, argv);

    if (!strcmp(argv[0], "test")) {
        struct testrun_opts t = { 0 };
        t.name = invoked_as;
        status = parse_test_flags(argc - 1, argv + 1, &t);
        if (status < 0) {
            fflush(stdout);
            status = testrun_main(&app, &t, stdout);
        }
        goto done_app;
    }

    const struct lang_command *cmd = lang_find_command(prog, argv[0]);
    if (!cmd) {
        status = unknown_command(prog, argv[0]);
        goto done_app;
    }
    if (wants_help(cmd, argc - 1, argv + 1)) {
        cli_print_command_help(stdout, cmd);
        goto done_app;
    }
    struct exec_args args = { 0 };
    if (!exec_args_parse(cmd, argc - 1, (const char *const *)argv + 1, &args, &err) ||
        !exec_args_check(cmd, &args, &err)) {
        fprintf(stderr, "%s: %s\nrun '%s %s --help' for its arguments\n", invoked_as, err.msg,
                invoked_as, cmd->name);
        status = CLI_EXIT_USAGE;
    } else if (!precheck(prog, cmd)) {
        status = CLI_EXIT_FAIL;
    } else if (!exec_run(&app, cmd, &args, NULL, &err)) {
        cli_print_run_error(&err);
        status = exec_exit_status(&err);
    }
    exec_args_release(&args);
done_app:
    /* Stopped by SIGTERM or SIGHUP: 128+N as a shell reports it, not 130. */
    if (status == 130 && atomic_load(&interrupted) > 0 && atomic_load(&interrupted) != SIGINT)
        status = 128 + atomic_load(&interrupted);
    struct err report_err = { 0 };
    if (!observe_session_end(obs, status, &err, &report_err))
        fprintf(stderr, "%s: %s\n", invoked_as, report_err.msg);
done_obs:
    observe_free(obs);
    cli_fd_sink_release(&sink);
    free(exe);
done:
    lang_program_free(prog);
    return status;
}

int
main(int argc, char **argv)
{
    struct cli_opts o = { 0 };
    int next = 1;
    /* A built binary (perch --build) runs the program it carries, and
     * speaks under its own name from the first message on. */
    struct bundle bnd;
    char *shown = NULL;
    int has_bundle = cli_bundle_open_self(&bnd, argv[0]);
    if (has_bundle < 0)
        return CLI_EXIT_FAIL;
    if (has_bundle) {
        shown = os_path_base(argv[0] && *argv[0] ? argv[0] : "perch");
        invoked_as = shown;
        cli_set_usage_name(shown);
    } else if (argc > 1 && !strcmp(argv[1], "--init")) {
        /* `perch --init [DIR]`: write a starter commands.perch (cli_init.c). */
        return cli_init_main(argc - 1, argv + 1);
    }
    int status = cli_parse_globals(argc, argv, &o, &next);
    if (status >= 0) {
        if (has_bundle)
            bundle_release(&bnd);
        goto out;
    }
    status = CLI_EXIT_OK;
    if (has_bundle && !o.build) {
        own_bundle = &bnd;
        if (o.file || o.check) {
            fprintf(stderr, "%s: %s is for perch itself; this program runs its own commands\n",
                    shown, o.file ? "-f" : "--check");
            status = CLI_EXIT_USAGE;
        } else {
            status = run_program(&o, NULL, argc - next, argv + next);
        }
        own_bundle = NULL;
        bundle_release(&bnd);
        goto out;
    }
    if (has_bundle) {
        bundle_release(&bnd); /* --build from a built binary: only its executable part counts */
        cli_set_usage_name(NULL);
        invoked_as = "perch";
    }
    if (next < argc && !strcmp(argv[next], "mcp")) {
        /* `perch [FLAGS] mcp [FLAGS]` is perch-mcp with all of those flags. */
        char **words = xcalloc((size_t)argc, sizeof(char *));
        int n = 0;
        for (int i = 0; i < argc; i++)
            if (i != next)
                words[n++] = argv[i];
        status = cli_mcp_main(n, words);
        free(words);
        goto out;
    }
    if (o.version) {
        cli_print_version(stdout);
        goto out;
    }
    if (o.completions) {
        status = cli_completions(o.completions);
        goto out;
    }
    if (next < argc && !strcmp(argv[next], "wasm")) {
        status = cli_wasm_main(&o, argc - next, argv + next);
        goto out;
    }
    if (next < argc && !strcmp(argv[next], "cache")) {
        status = cli_cache_main(argc - next, argv + next);
        goto out;
    }
    if (next < argc && !strcmp(argv[next], "help")) {
        status = cli_help_main(argc - next, argv + next);
        goto out;
    }

    char *path = NULL;
    if (o.file) {
        path = xstrdup(o.file);
    } else if (next < argc && cli_looks_like_script_path(argv[next])) {
        /* A script path, even one that does not exist: loading it then
         * names the missing file. Global flags may follow it, as a shebang
         * script passes them (`./tool.perch --trace CMD`). */
        path = xstrdup(argv[next++]);
        status = cli_parse_globals_from(argc, argv, next, &o, &next);
        if (status < 0 && o.file) {
            fprintf(stderr, "perch: -f FILE and a script path cannot be combined\n");
            status = CLI_EXIT_USAGE;
        }
        if (status >= 0) {
            free(path);
            goto out;
        }
        status = CLI_EXIT_OK;
        if (o.version || o.completions) {
            if (o.version)
                cli_print_version(stdout);
            else
                status = cli_completions(o.completions);
            free(path);
            goto out;
        }
    } else {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof(cwd)))
            path = cli_find_commands_file(cwd);
    }
    if (o.build) {
        status = cli_build(&o, path, argc - next, argv + next);
    } else if (!path) {
        if (o.help) {
            cli_print_usage(stdout);
        } else if (next >= argc) {
            cli_print_usage(stderr);
            status = CLI_EXIT_USAGE;
        } else {
            fprintf(stderr,
                    "perch: no commands.perch in this directory or its parents "
                    "(use -f FILE or a path ending in .perch)\n");
            status = CLI_EXIT_USAGE;
        }
    } else if (o.check) {
        status = run_check(path);
    } else {
        status = run_program(&o, path, argc - next, argv + next);
    }
    free(path);
out:
    cli_opts_release(&o);
    status = cli_finish_stdout(status, cli_name());
    cli_set_usage_name(NULL);
    invoked_as = "perch";
    free(shown);
    return status;
}
