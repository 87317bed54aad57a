/*
 * cli_mcp.c: `perch-mcp` and `perch mcp`: parse perch-mcp's flags, load the
 * .perch file and serve MCP over stdin/stdout until stdin ends (src/mcp/
 * does the protocol). stdout carries only protocol messages; every message
 * of ours goes to stderr.
 *
 * Stopping: at stdin EOF the calls in flight finish and answer, then we
 * exit 0. SIGINT, SIGTERM and SIGHUP interrupt them at once (each answers
 * "cancelled"; subprocess groups are stopped) and we exit 128+N; a second
 * signal kills perch-mcp outright.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/xalloc.h"
#include "exec/exec.h"
#include "exec/output.h"
#include "lang/lang.h"
#include "mcp/mcp.h"
#include "ops/ops.h"
#include "os/sysinfo.h"
#include "perch_version.h"

extern char **environ;

/* The signal that asked us to stop (0: none), and a pipe whose read end
 * becomes readable at that moment (the server waits on it with stdin). */
static atomic_int stop_signal;
static int stop_pipe[2] = { -1, -1 };

static void
on_stop_signal(int sig)
{
    int saved = errno;
    atomic_store(&stop_signal, sig);
    if (stop_pipe[1] >= 0) {
        ssize_t n = write(stop_pipe[1], "", 1);
        (void)n;
    }
    errno = saved;
}

/* SA_RESETHAND: a second signal takes the default action (perch-mcp dies). */
static void
install_stop_signals(void)
{
    if (pipe(stop_pipe) == 0) {
        for (int i = 0; i < 2; i++) {
            fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC);
            fcntl(stop_pipe[i], F_SETFL, fcntl(stop_pipe[i], F_GETFL) | O_NONBLOCK);
        }
    } else {
        stop_pipe[0] = stop_pipe[1] = -1; /* the server looks at the flag instead */
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static void
remove_stop_signals(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    for (int i = 0; i < 2; i++) {
        if (stop_pipe[i] >= 0)
            close(stop_pipe[i]);
        stop_pipe[i] = -1;
    }
}

struct mcp_cli_opts {
    const char *file;
    unsigned deny_caps;
    bool has_env_allow;
    char **env_allow; /* owned */
    size_t env_allow_count;
    int64_t max_runtime_ns;
    const char *audit_path;
    bool help;
    bool version;
};

static void
print_usage(FILE *out)
{
    fprintf(out,
            "Usage: perch-mcp [-f FILE] [--no-shell] [--no-network] [--no-subprocess]\n"
            "                 [--no-write] [--env A,B] [--max-runtime SECS] [--audit FILE]\n"
            "\n"
            "Serves the commands of a .perch file to MCP clients over stdio\n"
            "(newline-delimited JSON-RPC 2.0 on stdin/stdout; logs on stderr).\n"
            "Every public command becomes a tool with a schema from its arg blocks,\n"
            "plus perch_list and perch_run {command, args}.\n"
            "\n"
            "  -f, --file FILE      the .perch file (default: the nearest commands.perch\n"
            "                       in this directory or its parents)\n"
            "  --no-shell           deny shell ops in every call\n"
            "  --no-network         deny network ops (and wasm_allow_host)\n"
            "  --no-subprocess      deny running programs\n"
            "  --no-write           deny filesystem writes (and wasm_mount_write)\n"
            "  --env A,B            only these host variables are visible; --env \"\"\n"
            "                       hides the whole host environment\n"
            "  --max-runtime SECS   bound each call (a number of seconds or a duration\n"
            "                       like 90s); a call past it fails with kind timeout\n"
            "  --audit FILE         append NDJSON events to FILE: session_start, one\n"
            "                       tool_call per call, op and command events for\n"
            "                       what the calls ran, session_end\n"
            "  --help, --version\n"
            "\n"
            "See docs/mcp.md for client configuration.\n");
}

static int usage_error(const char *fmt, ...) PRINTF_LIKE(1, 2);

static int
usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "perch-mcp: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nrun 'perch-mcp --help' for usage\n");
    va_end(ap);
    return CLI_EXIT_USAGE;
}

static void
parse_env_list(struct mcp_cli_opts *o, const char *list)
{
    cli_parse_env_list(list, &o->has_env_allow, &o->env_allow, &o->env_allow_count);
}

/* The value of "--flag=v" or "--flag v"; NULL when missing. */
static const char *
flag_value(int argc, char **argv, int *i, size_t name_len)
{
    if (argv[*i][name_len] == '=')
        return argv[*i] + name_len + 1;
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

/* Returns -1 to go on, or an exit status. */
static int
parse_args(int argc, char **argv, struct mcp_cli_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
        if (!strcmp(a, "--no-shell")) {
            o->deny_caps |= OP_CAP_SHELL;
        } else if (!strcmp(a, "--no-network")) {
            o->deny_caps |= OP_CAP_NETWORK;
        } else if (!strcmp(a, "--no-subprocess")) {
            o->deny_caps |= OP_CAP_SUBPROCESS;
        } else if (!strcmp(a, "--no-write")) {
            o->deny_caps |= OP_CAP_WRITE;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            o->help = true;
        } else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            o->version = true;
        } else if (is_flag(a, "-f") || is_flag(a, "--file")) {
            if (!(v = flag_value(argc, argv, &i, a[1] == 'f' ? 2 : 6)) || !*v)
                return usage_error("%s needs a file", a);
            o->file = v;
        } else if (is_flag(a, "--env")) {
            if (!(v = flag_value(argc, argv, &i, 5)))
                return usage_error("--env needs a list of names (A,B; \"\" for none)");
            parse_env_list(o, v);
        } else if (is_flag(a, "--audit")) {
            if (!(v = flag_value(argc, argv, &i, 7)) || !*v)
                return usage_error("--audit needs a file");
            o->audit_path = v;
        } else if (is_flag(a, "--max-runtime")) {
            if (!(v = flag_value(argc, argv, &i, 13)))
                return usage_error("--max-runtime needs a number of seconds");
            struct err err = { 0 };
            int64_t ns;
            if (!duration_parse(v, &ns, &err) || ns <= 0)
                return usage_error("--max-runtime: expected seconds (or a duration like 90s), "
                                   "got '%s'",
                                   v);
            o->max_runtime_ns = ns;
        } else if (a[0] == '-') {
            return usage_error("unknown flag '%s'", a);
        } else {
            return usage_error("unexpected argument '%s' (use -f FILE to name the .perch file)",
                               a);
        }
    }
    return -1;
}

static void
release_opts(struct mcp_cli_opts *o)
{
    for (size_t i = 0; i < o->env_allow_count; i++)
        free(o->env_allow[i]);
    free(o->env_allow);
}

static int
serve(const struct mcp_cli_opts *o, const char *path)
{
    struct lang_diags diags;
    lang_diags_init(&diags);
    struct lang_program *prog = lang_load_file(path, &diags);
    lang_diags_print(&diags, stderr);
    lang_diags_release(&diags);
    if (!prog)
        return CLI_EXIT_FAIL;

    char *exe = os_self_exe_path(NULL);
    /* Nothing of a run may reach stdout: the fallback sink is stderr only. */
    struct exec_fd_sink log_sink;
    exec_fd_sink_init(&log_sink, STDERR_FILENO, STDERR_FILENO);
    struct exec_app app = { 0 };
    app.prog = prog;
    app.sink = &log_sink.base;
    app.deny_caps = o->deny_caps;
    app.env_allow = (const char *const *)o->env_allow;
    app.env_allow_count = o->env_allow_count;
    app.has_env_allow = o->has_env_allow;
    app.max_runtime_ns = o->max_runtime_ns;
    app.stdin_fd = -1; /* modules and subprocesses never see the protocol stream */
    app.exe_path = exe;
    app.interrupt = NULL; /* each call has its own flag */
    app.host_env = (const char *const *)environ;

    struct mcp_server_opts so = { 0 };
    so.app = &app;
    so.out_fd = STDOUT_FILENO;
    so.log = stderr;
    so.audit_path = o->audit_path;
    so.stop = &stop_signal;
    so.stop_fd = stop_pipe[0];
    struct err err = { 0 };
    int status = CLI_EXIT_OK;
    struct mcp_server *srv = mcp_server_new(&so, &err);
    if (!srv) {
        fprintf(stderr, "perch-mcp: %s\n", err.msg);
        status = CLI_EXIT_FAIL;
    } else {
        app.observer = mcp_server_observer(srv); /* before any run reads the app */
        mcp_serve(srv, STDIN_FILENO);
        mcp_server_free(srv);
        int sig = atomic_load(&stop_signal);
        if (sig)
            status = 128 + sig;
    }
    exec_fd_sink_release(&log_sink);
    free(exe);
    lang_program_free(prog);
    return status;
}

int
cli_mcp_main(int argc, char **argv)
{
    /* A client that goes away must not kill us mid-write: write() reports it. */
    signal(SIGPIPE, SIG_IGN);
    struct mcp_cli_opts o = { 0 };
    int status = parse_args(argc, argv, &o);
    if (status >= 0)
        goto out;
    status = CLI_EXIT_OK;
    if (o.help) {
        print_usage(stdout);
        goto out;
    }
    if (o.version) {
        printf("perch-mcp %s\n", PERCH_VERSION);
        goto out;
    }
    char *path = NULL;
    if (o.file) {
        path = xstrdup(o.file);
    } else {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof(cwd)))
            path = cli_find_commands_file(cwd);
    }
    if (!path) {
        fprintf(stderr, "perch-mcp: no commands.perch in this directory or its parents "
                        "(use -f FILE)\n");
        status = CLI_EXIT_USAGE;
        goto out;
    }
    install_stop_signals();
    status = serve(&o, path);
    remove_stop_signals();
    free(path);
out:
    release_opts(&o);
    fflush(stdout);
    return status;
}
