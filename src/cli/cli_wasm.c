/*
 * cli_wasm.c: `perch wasm run [--dir HOST[::GUEST]]... [--ro-dir HOST[::GUEST]]...
 * [--env K[=V]]... [--real-clock] [--real-random] MODULE [ARGS...]`, running a
 * WASI Preview 1 module directly, like `wasmtime run`, and exiting with its
 * exit code.
 *
 * Deny by default, as in a .perch file: the module sees only the mounted
 * directories (or files), the listed variables, and its arguments. Without
 * ::GUEST a mount appears under its host path as written (so `--dir .` lets
 * the module open relative paths). stdin, stdout and stderr are perch's own.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "exec/exec.h"
#include "exec/output.h"
#include "observe/observe.h"
#include "ops/ops.h"
#include "ops/ops_wasm.h"

/* Set by Ctrl-C: the running module is interrupted and perch exits with 130.
 * A second Ctrl-C kills perch outright (SA_RESETHAND). */
static atomic_int wasm_interrupted;

static void
on_sigint(int sig)
{
    (void)sig;
    atomic_store(&wasm_interrupted, 1);
}

static void
usage(FILE *out)
{
    fputs("usage: perch wasm run [--dir HOST[::GUEST]]... [--ro-dir HOST[::GUEST]]...\n"
          "                      [--env K[=V]]... [--real-clock] [--real-random]\n"
          "                      MODULE [ARGS...]\n"
          "\n"
          "Run a WASI Preview 1 command module and exit with its exit code.\n"
          "\n"
          "  --dir HOST[::GUEST]     mount HOST read-write (at GUEST, default HOST)\n"
          "  --ro-dir HOST[::GUEST]  mount HOST read-only\n"
          "  --env K=V               set K in the module's environment (--env K: perch's value)\n"
          "  --real-clock            the host clock instead of the deterministic one\n"
          "  --real-random           host entropy instead of a seeded generator\n"
          "\n"
          "perch's global flags apply too, before 'wasm' or after 'run':\n"
          "  --max-runtime SECS      stop the module after SECS seconds (exit 124)\n"
          "  --no-write              refuse --dir (read-write) mounts; --ro-dir still works\n"
          "  --no-shell, --no-network, --no-subprocess  (a module can do none of these)\n"
          "  --env A,B (before 'wasm' only): --env K may pass only these host variables\n"
          "  --trace, --report[=PATH], --audit FILE  observe the run as one wasm_run span\n"
          "-f, --check, --build, -o, --include, --jobs do not apply and are refused.\n",
          out);
}

static void
cli_output(void *self, int stream, const char *data, size_t len)
{
    (void)self;
    cli_write_all(stream == 2 ? 2 : 1, data, len);
}

/* The value of --flag=VALUE or --flag VALUE; NULL when missing. */
static const char *
flag_value(int argc, char **argv, int *i, const char *flag)
{
    size_t n = strlen(flag);
    if (strncmp(argv[*i], flag, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (strcmp(argv[*i], flag) == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static bool
is_flag(const char *arg, const char *flag)
{
    size_t n = strlen(flag);
    return strncmp(arg, flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* A global flag that has no meaning for a module run, or NULL. */
static const char *
inapplicable_flag(const struct cli_opts *o)
{
    if (o->file)
        return "-f";
    if (o->check)
        return "--check";
    if (o->build)
        return "--build";
    if (o->out_path)
        return "-o";
    if (o->include_count)
        return "--include";
    if (o->list_commands)
        return "--list-commands";
    if (o->completions)
        return "--completions";
    if (o->jobs)
        return "--jobs";
    if (o->version)
        return "--version";
    return NULL;
}

static bool
env_allowed(const struct cli_opts *g, const char *name)
{
    if (!g->has_env_allow)
        return true;
    for (size_t k = 0; k < g->env_allow_count; k++)
        if (!strcmp(g->env_allow[k], name))
            return true;
    return false;
}

static int64_t
mono_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The exit status for a module's exit code: 1..255 as is; 0 never stands
 * for a failure, and a code a process status cannot hold (above 255, or
 * negative) is 1, with a message giving the real code. */
static int
module_exit_status(const struct err *err)
{
    if (err->code > 0 && err->code < 256)
        return err->code;
    fprintf(stderr, "perch: error: %s (%s); exit status 1 (only 1 to 255 pass through)\n",
            err->msg, err_kind_name(err->kind));
    return CLI_EXIT_FAIL;
}

/* Run the request with the merged flags, observed when --trace, --report
 * or --audit asks for it. */
static int
run_module(const struct cli_opts *o, struct op_ctx *ctx, const struct ops_wasm_request *req,
           int argc, char **argv)
{
    struct cli_fd_sink sink;
    cli_fd_sink_init(&sink);
    struct err err = { 0 };
    struct observe_opts oo = { 0 };
    oo.trace_sink = o->trace ? &sink.base : NULL;
    oo.report = o->report;
    oo.report_path = o->report_path;
    oo.audit_path = o->audit_path;
    struct observe *obs = observe_new(&oo, &err);
    if (!obs) {
        fprintf(stderr, "perch: %s\n", err.msg);
        cli_fd_sink_release(&sink);
        return CLI_EXIT_USAGE;
    }
    struct exec_observer *ob = observe_observer(obs);
    observe_session_start(obs, req->module_path, argc, argv);

    /* One span for the whole run: kind wasm_run, the module and its args. */
    size_t span_argc = req->arg_count + 1;
    char **span_argv = xcalloc(span_argc, sizeof(char *));
    span_argv[0] = (char *)req->module_path;
    for (size_t k = 0; k < req->arg_count; k++)
        span_argv[k + 1] = (char *)req->args[k];
    struct exec_span span = { 0 };
    span.kind = "wasm_run";
    span.name = "wasm_run";
    span.argc = span_argc;
    span.argv = span_argv;
    if (ob && ob->span_start)
        ob->span_start(ob, &span);

    if (o->max_runtime_ns)
        ctx->deadline_ns = mono_now_ns() + o->max_runtime_ns;
    int64_t started = mono_now_ns();
    int status;
    int code = -1;
    bool ok = ops_wasm_run(ctx, req, NULL, &code, &err);
    /* The span closes first, so --trace's last line comes before the error. */
    if (ob && ob->span_end)
        ob->span_end(ob, &span, mono_now_ns() - started, ok ? NULL : &err);
    if (ok) {
        status = CLI_EXIT_OK;
    } else if (err.kind == ERR_WASM_EXIT) {
        status = module_exit_status(&err);
    } else {
        if (err.kind == ERR_TIMEOUT && o->max_runtime_ns) {
            char dur[32];
            duration_format(o->max_runtime_ns, dur, sizeof(dur));
            fprintf(stderr, "perch: error: %s (--max-runtime %s) (%s)\n", err.msg, dur,
                    err_kind_name(err.kind));
        } else {
            fprintf(stderr, "perch: error: %s (%s)\n", err.msg, err_kind_name(err.kind));
        }
        status = err.kind == ERR_CANCELLED ? 130
                 : err.kind == ERR_USAGE   ? CLI_EXIT_USAGE
                 : err.kind == ERR_TIMEOUT ? CLI_EXIT_TIMEOUT
                                           : CLI_EXIT_FAIL;
    }
    for (size_t k = 0; k < span.attr_count; k++) {
        free(span.attrs[k].key);
        free(span.attrs[k].value);
    }
    free(span.attrs);
    free(span_argv);
    struct err report_err = { 0 };
    if (!observe_session_end(obs, status, err_is_set(&err) ? &err : NULL, &report_err)) {
        fprintf(stderr, "perch: %s\n", report_err.msg);
        if (status == CLI_EXIT_OK)
            status = CLI_EXIT_FAIL;
    }
    observe_free(obs);
    cli_fd_sink_release(&sink);
    return status;
}

int
cli_wasm_main(const struct cli_opts *globals, int argc, char **argv)
{
    if (globals->help) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "run") != 0) {
        fprintf(stderr, "perch wasm: unknown subcommand '%s' (try 'perch wasm run')\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    struct ops_wasm_mount *mounts = xcalloc((size_t)argc, sizeof(*mounts));
    char **owned = xcalloc((size_t)argc * 2 + 1, sizeof(char *));
    const char **env = xcalloc((size_t)argc, sizeof(char *));
    size_t mount_count = 0, owned_count = 0, env_count = 0;
    const char **mount_words = xcalloc((size_t)argc, sizeof(char *));
    struct ops_wasm_request req = { 0 };
    /* Global flags given after `wasm run` (before MODULE). */
    struct cli_opts late = { 0 };
    int status = CLI_EXIT_USAGE;
    int i = 2;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            status = CLI_EXIT_OK;
            goto done;
        }
        if (is_flag(arg, "--dir") || is_flag(arg, "--ro-dir")) {
            bool writable = is_flag(arg, "--dir");
            const char *v = flag_value(argc, argv, &i, writable ? "--dir" : "--ro-dir");
            if (!v || !*v) {
                fprintf(stderr, "perch wasm run: %s needs HOST[::GUEST]\n", arg);
                goto done;
            }
            const char *sep = strstr(v, "::");
            char *host = sep ? xstrndup(v, (size_t)(sep - v)) : xstrdup(v);
            char *guest = xstrdup(sep ? sep + 2 : v);
            owned[owned_count++] = host;
            owned[owned_count++] = guest;
            if (!*host || !*guest) {
                fprintf(stderr, "perch wasm run: %s '%s': empty host or guest path\n", arg, v);
                goto done;
            }
            mount_words[mount_count] = v;
            mounts[mount_count++] = (struct ops_wasm_mount){ host, guest, writable };
        } else if (is_flag(arg, "--env")) {
            const char *v = flag_value(argc, argv, &i, "--env");
            if (!v || !*v || *v == '=') {
                fprintf(stderr, "perch wasm run: --env needs K=V or K\n");
                goto done;
            }
            if (strchr(v, '=')) {
                env[env_count++] = v;
            } else if (!env_allowed(globals, v)) {
                fprintf(stderr,
                        "perch wasm run: --env %s: '%s' is not in the --env allowlist given "
                        "before 'wasm' (pass a value with --env %s=VALUE)\n",
                        v, v, v);
                goto done;
            } else {
                const char *value = getenv(v);
                if (value) {
                    char *kv = xasprintf("%s=%s", v, value);
                    owned[owned_count++] = kv;
                    env[env_count++] = kv;
                }
            }
        } else if (strcmp(arg, "--real-clock") == 0) {
            req.real_clock = true;
        } else if (strcmp(arg, "--real-random") == 0) {
            req.real_random = true;
        } else {
            int r = cli_parse_global_flag(argc, argv, &i, &late);
            if (r == 1)
                continue;
            if (r == 0) {
                fprintf(stderr, "perch wasm run: unknown flag '%s'\n", arg);
                usage(stderr);
            }
            goto done;
        }
    }
    const char *bad = inapplicable_flag(globals);
    if (!bad)
        bad = inapplicable_flag(&late);
    if (bad) {
        fprintf(stderr,
                "perch wasm run: %s does not apply to running a module (it is for .perch "
                "files)\n",
                bad);
        goto done;
    }
    /* The merged flags: given before `wasm` or after `wasm run`. */
    struct cli_opts o = *globals;
    o.deny_caps |= late.deny_caps;
    if (late.max_runtime_ns)
        o.max_runtime_ns = late.max_runtime_ns;
    o.trace = o.trace || late.trace;
    if (late.report) {
        o.report = true;
        o.report_path = late.report_path;
    }
    if (late.audit_path)
        o.audit_path = late.audit_path;
    if (i >= argc) {
        fprintf(stderr, "perch wasm run: missing MODULE\n");
        usage(stderr);
        goto done;
    }
    /* --no-write: a read-write mount is refused, as a wasm_mount_write
     * declaration is inside a .perch file; --ro-dir mounts still work.
     * --no-shell, --no-network and --no-subprocess hold by construction: a
     * WASI Preview 1 module can do none of those. */
    if (o.deny_caps & OP_CAP_WRITE) {
        for (size_t k = 0; k < mount_count; k++) {
            if (!mounts[k].is_writable)
                continue;
            fprintf(stderr,
                    "perch: error: sandbox: '--dir %s' needs write (denied by --no-write); "
                    "use --ro-dir to mount it read-only (sandbox_denied)\n",
                    mount_words[k]);
            status = CLI_EXIT_FAIL;
            goto done;
        }
    }
    char *cwd = getcwd(NULL, 0);
    if (!cwd) {
        fprintf(stderr, "perch wasm run: cannot read the current directory: %s\n", strerror(errno));
        status = CLI_EXIT_FAIL;
        goto done;
    }
    owned[owned_count++] = cwd;
    req.module_path = argv[i];
    req.from_command_line = true;
    req.args = (const char *const *)argv + i + 1;
    req.arg_count = (size_t)(argc - i - 1);
    req.env = env;
    req.env_count = env_count;
    req.mounts = mounts;
    req.mount_count = mount_count;

    static const struct op_ctx_vtable vt = { .output = cli_output };
    struct op_ctx ctx = { 0 };
    ctx.cwd = cwd;
    ctx.stdin_fd = 0;
    ctx.vt = &vt;
    ctx.interrupt = &wasm_interrupted;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    status = run_module(&o, &ctx, &req, argc, argv);
done:
    cli_opts_release(&late);
    for (size_t k = 0; k < owned_count; k++)
        free(owned[k]);
    free(owned);
    free(mounts);
    free(mount_words);
    free(env);
    return status;
}
