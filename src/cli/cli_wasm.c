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
#include <unistd.h>

#include "base/xalloc.h"
#include "cli/cli.h"
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
          "  --real-random           host entropy instead of a seeded generator\n",
          out);
}

static void
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void
cli_output(void *self, int stream, const char *data, size_t len)
{
    (void)self;
    write_all(stream == 2 ? 2 : 1, data, len);
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

int
cli_wasm_main(int argc, char **argv)
{
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
    struct ops_wasm_request req = { 0 };
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
            mounts[mount_count++] = (struct ops_wasm_mount){ host, guest, writable };
        } else if (is_flag(arg, "--env")) {
            const char *v = flag_value(argc, argv, &i, "--env");
            if (!v || !*v || *v == '=') {
                fprintf(stderr, "perch wasm run: --env needs K=V or K\n");
                goto done;
            }
            if (strchr(v, '=')) {
                env[env_count++] = v;
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
            fprintf(stderr, "perch wasm run: unknown flag '%s'\n", arg);
            usage(stderr);
            goto done;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "perch wasm run: missing MODULE\n");
        usage(stderr);
        goto done;
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
    struct err err = { 0 };
    int code = -1;
    if (ops_wasm_run(&ctx, &req, NULL, &code, &err)) {
        status = CLI_EXIT_OK;
    } else if (err.kind == ERR_WASM_EXIT) {
        status = err.code;
    } else {
        fprintf(stderr, "perch: error: %s (%s)\n", err.msg, err_kind_name(err.kind));
        status = err.kind == ERR_CANCELLED ? 130
                 : err.kind == ERR_USAGE   ? CLI_EXIT_USAGE
                 : err.kind == ERR_TIMEOUT ? CLI_EXIT_TIMEOUT
                                           : CLI_EXIT_FAIL;
    }
done:
    for (size_t k = 0; k < owned_count; k++)
        free(owned[k]);
    free(owned);
    free(mounts);
    free(env);
    return status;
}
