/*
 * ops_proc.c: process ops (shell, shell_output, try_shell, exec), the
 * pipeline runner behind `pipe` blocks (ops_run_pipe), and print.
 *
 * Subprocesses get an explicit argv, the scope's cwd and the scope's
 * environment (ctx->vt->envp), never the interpreter's own. Their output
 * reaches the ctx output callback in whole lines (os/spawn.c), so parallel
 * branches never tear each other's lines. Deadlines and interrupts stop
 * the child's whole process group.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "ops/ops_int.h"
#include "os/spawn.h"

/* Where a child's output goes. */
struct sink {
    struct op_ctx *ctx;
    struct sbuf *capture; /* stdout lands here when not NULL */
    bool is_over_limit;
};

static void
on_output(void *arg, int stream, const char *data, size_t len)
{
    struct sink *s = arg;
    if (stream == 1 && s->capture) {
        if (s->capture->len + len > OPS_MAX_CAPTURE_BYTES)
            s->is_over_limit = true;
        else
            sbuf_add(s->capture, data, len);
        return;
    }
    op_output(s->ctx, stream, data, len);
}

/* The environment for a child: the scope's, or just PATH when the
 * interpreter gave no envp callback. Free with op_envp_free(). */
static char **
child_env(struct op_ctx *ctx)
{
    if (ctx->vt && ctx->vt->envp)
        return ctx->vt->envp(ctx->self);
    char **envp = xcalloc(2, sizeof(char *));
    const char *path = op_getenv(ctx, "PATH");
    if (path)
        envp[0] = xasprintf("PATH=%s", path);
    return envp;
}

/* `shell "CMD"` for messages, with long commands shortened. */
static void
describe(struct op_call *call, struct sbuf *d)
{
    sbuf_adds(d, ops_name(call));
    sbuf_addc(d, ' ');
    ops_quote(d, call->argv[0], 120);
}

/*
 * Run 'program' with 'argv'; stdout goes to 'capture' when not NULL, else
 * to the output callback. Fails on start-up errors, timeouts and
 * interruptions; an exit status, whatever it is, lands in *out_status.
 */
static bool
run_child(struct op_call *call, const char *program, const char *const *argv, struct sbuf *capture,
          int *out_status, struct err *err)
{
    struct op_ctx *ctx = call->ctx;
    char **envp = child_env(ctx);
    char *resolved = os_spawn_find_program(program, os_envp_get((const char *const *)envp, "PATH"),
                                           ctx->cwd, err);
    if (!resolved) {
        op_envp_free(envp);
        err_prefix(err, "%s", ops_name(call));
        return false;
    }
    struct sink sink = { .ctx = ctx, .capture = capture };
    struct os_spawn spec = {
        .program = resolved,
        .argv = argv,
        .envp = (const char *const *)envp,
        .cwd = ctx->cwd,
        .stdin_fd = ctx->stdin_fd,
        .deadline_ns = ctx->deadline_ns,
        .interrupt = ctx->interrupt,
        .on_output = on_output,
        .output_arg = &sink,
    };
    struct os_spawn_result res;
    bool ok = os_spawn_run(&spec, &res, err);
    free(resolved);
    op_envp_free(envp);
    if (!ok) {
        err_prefix(err, "%s", ops_name(call));
        return false;
    }
    struct sbuf d = SBUF_INIT;
    describe(call, &d);
    if (res.timed_out || res.interrupted) {
        ok = err_set_code(err, ERR_TIMEOUT, res.exit_code, "%s %s", d.buf,
                          res.timed_out ? "timed out and was stopped" : "was interrupted");
    } else if (sink.is_over_limit) {
        ok =
            err_set(err, ERR_LIMIT, "%s printed more than %zu bytes", d.buf, OPS_MAX_CAPTURE_BYTES);
    }
    sbuf_release(&d);
    *out_status = res.exit_code;
    return ok;
}

/* Turn a non-zero exit status into an error of 'kind'. */
static bool
check_status(struct op_call *call, int status, enum err_kind kind, struct err *err)
{
    if (status == 0)
        return true;
    struct sbuf d = SBUF_INIT;
    describe(call, &d);
    if (status > 128 && status < 128 + 65)
        err_set_code(err, kind, status, "%s was killed by signal %d", d.buf, status - 128);
    else
        err_set_code(err, kind, status, "%s failed with exit code %d", d.buf, status);
    sbuf_release(&d);
    return false;
}

/* Shell reserved words and builtins that run no program of their own:
 * `shell "exit 3"` or `shell "if ...; fi"` asks nothing of `requires bin`. */
static const char *const shell_builtins[] = {
    "!",     "{",     "}",    ":",     ".",     "[",      "alias",  "break",
    "case",  "cd",    "continue", "do", "done",  "echo",   "elif",   "else",
    "esac",  "eval",  "exit", "export", "false", "fi",     "for",    "getopts",
    "if",    "local", "printf", "pwd", "read",  "readonly", "return", "set",
    "shift", "test",  "then", "trap",  "true",  "type",   "ulimit", "umask",
    "unalias", "unset", "until", "wait", "while",
};

static bool
is_shell_builtin(const char *word, size_t n)
{
    for (size_t i = 0; i < sizeof(shell_builtins) / sizeof(shell_builtins[0]); i++)
        if (strlen(shell_builtins[i]) == n && !strncmp(shell_builtins[i], word, n))
            return true;
    return false;
}

/* The first word of a shell command, when it is a plain program name
 * (what `requires bin` is asked about); NULL when it is not simple or is a
 * shell builtin or reserved word. */
static char *
first_word(const char *cmd)
{
    while (isspace((unsigned char)*cmd))
        cmd++;
    size_t n = 0;
    while (cmd[n] && !isspace((unsigned char)cmd[n]) && cmd[n] != ';' && cmd[n] != '|'
           && cmd[n] != '&' && cmd[n] != '>' && cmd[n] != '<' && cmd[n] != '(' && cmd[n] != ')')
        n++;
    if (n == 0 || is_shell_builtin(cmd, n))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = cmd[i];
        if (!(isalnum((unsigned char)c) || strchr("._-+/", c)))
            return NULL; /* quotes, $VAR, VAR=value, globs: not a plain name */
    }
    return xstrndup(cmd, n);
}

static bool
run_shell(struct op_call *call, struct sbuf *capture, int *out_status, struct err *err)
{
    const char *cmd = call->argv[0];
    char *word = first_word(cmd);
    bool allowed = !word || op_check(call->ctx, OP_CHECK_BIN, word, err);
    free(word);
    if (!allowed)
        return false;
    const char *argv[] = { "sh", "-c", cmd, NULL };
    return run_child(call, "/bin/sh", argv, capture, out_status, err);
}

bool
ops_do_shell(struct op_call *call, struct sbuf *out, struct err *err)
{
    int status = 0;
    /* Captured (`x = shell ...`): the value is stdout, like shell_output. */
    if (!run_shell(call, call->is_captured ? out : NULL, &status, err))
        return false;
    if (call->is_captured)
        sbuf_rtrim(out, "\n");
    return check_status(call, status, ERR_SHELL, err);
}

bool
ops_do_shell_output(struct op_call *call, struct sbuf *out, struct err *err)
{
    int status = 0;
    if (!run_shell(call, out, &status, err))
        return false;
    sbuf_rtrim(out, "\n");
    return check_status(call, status, ERR_SHELL, err);
}

bool
ops_do_try_shell(struct op_call *call, struct sbuf *out, struct err *err)
{
    int status = 0;
    if (!run_shell(call, NULL, &status, err))
        return false;
    ops_ret_int(out, status);
    return true;
}

bool
ops_do_exec(struct op_call *call, struct sbuf *out, struct err *err)
{
    const char *program = call->argv[0];
    if (!*program)
        return err_set(err, ERR_USAGE, "exec: the program name is empty");
    if (!op_check(call->ctx, OP_CHECK_BIN, program, err))
        return false;
    const char **argv = xcalloc(call->argc + 1, sizeof(char *));
    for (size_t i = 0; i < call->argc; i++)
        argv[i] = call->argv[i];
    int status = 0;
    bool ok = run_child(call, program, argv, call->is_captured ? out : NULL, &status, err);
    free(argv);
    if (!ok)
        return false;
    if (call->is_captured)
        sbuf_rtrim(out, "\n");
    return check_status(call, status, ERR_PROCESS, err);
}

/* `exec "git"` / `shell "grep x"` naming stage 'i' in messages. */
static void
describe_stage(const struct ops_pipe_stage *stage, size_t i, struct sbuf *d)
{
    sbuf_addf(d, "pipe stage %zu (%s ", i + 1, stage->is_shell ? "shell" : "exec");
    ops_quote(d, stage->argv[0] ? stage->argv[0] : "", 80);
    sbuf_addc(d, ')');
}

bool
ops_run_pipe(struct op_ctx *ctx, const struct ops_pipe_stage *stages, size_t count,
             struct sbuf *capture, struct err *err)
{
    if (count == 0)
        return err_set(err, ERR_USAGE, "pipe: no stages");
    for (size_t i = 0; i < count; i++) {
        if (!stages[i].argv || !stages[i].argv[0])
            return err_set(err, ERR_USAGE, "pipe: stage %zu has no program", i + 1);
        char *word =
            stages[i].is_shell ? first_word(stages[i].argv[0]) : xstrdup(stages[i].argv[0]);
        bool allowed = !word || op_check(ctx, OP_CHECK_BIN, word, err);
        free(word);
        if (!allowed)
            return false;
    }
    char **envp = child_env(ctx);
    const char *path_env = os_envp_get((const char *const *)envp, "PATH");
    struct os_spawn *specs = xcalloc(count, sizeof(*specs));
    char **programs = xcalloc(count, sizeof(char *));
    const char **shell_argvs = xcalloc(count * 4, sizeof(char *));
    struct os_spawn_result *results = xcalloc(count, sizeof(*results));
    struct sink sink = { .ctx = ctx, .capture = capture };
    size_t mark = capture ? capture->len : 0;
    bool ok = false;
    for (size_t i = 0; i < count; i++) {
        const char *const *argv = stages[i].argv;
        if (stages[i].is_shell) {
            const char **sh = shell_argvs + i * 4;
            sh[0] = "sh";
            sh[1] = "-c";
            sh[2] = stages[i].argv[0];
            argv = sh;
            programs[i] = xstrdup("/bin/sh");
        } else {
            programs[i] = os_spawn_find_program(argv[0], path_env, ctx->cwd, err);
            if (!programs[i]) {
                err_prefix(err, "pipe stage %zu", i + 1);
                goto done;
            }
        }
        specs[i] = (struct os_spawn){
            .program = programs[i],
            .argv = argv,
            .envp = (const char *const *)envp,
            .cwd = ctx->cwd,
            .stdin_fd = ctx->stdin_fd,
            .deadline_ns = ctx->deadline_ns,
            .interrupt = ctx->interrupt,
            .on_output = on_output,
            .output_arg = &sink,
        };
    }
    if (!os_spawn_pipeline(specs, count, results, err)) {
        err_prefix(err, "pipe");
        goto done;
    }
    if (results[0].timed_out || results[0].interrupted) {
        err_set_code(err, ERR_TIMEOUT, results[count - 1].exit_code, "pipe %s",
                     results[0].timed_out ? "timed out and was stopped" : "was interrupted");
        goto done;
    }
    if (sink.is_over_limit) {
        err_set(err, ERR_LIMIT, "pipe printed more than %zu bytes", OPS_MAX_CAPTURE_BYTES);
        goto done;
    }
    for (size_t i = count; i-- > 0;) {
        int status = results[i].exit_code;
        if (status == 0)
            continue;
        struct sbuf d = SBUF_INIT;
        describe_stage(&stages[i], i, &d);
        if (results[i].signal)
            err_set_code(err, stages[i].is_shell ? ERR_SHELL : ERR_PROCESS, status,
                         "%s was killed by signal %d", d.buf, results[i].signal);
        else
            err_set_code(err, stages[i].is_shell ? ERR_SHELL : ERR_PROCESS, status,
                         "%s failed with exit code %d", d.buf, status);
        sbuf_release(&d);
        goto done;
    }
    if (capture) {
        while (capture->len > mark && capture->buf[capture->len - 1] == '\n')
            sbuf_setlen(capture, capture->len - 1);
    }
    ok = true;
done:
    for (size_t i = 0; i < count; i++)
        free(programs[i]);
    free(programs);
    free(specs);
    free(shell_argvs);
    free(results);
    op_envp_free(envp);
    return ok;
}

bool
ops_do_print(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    (void)err;
    struct sbuf line = SBUF_INIT;
    for (size_t i = 0; i < call->argc; i++) {
        if (i)
            sbuf_addc(&line, ' ');
        sbuf_adds(&line, call->argv[i]);
    }
    sbuf_addc(&line, '\n');
    op_output(call->ctx, 1, line.buf, line.len);
    sbuf_release(&line);
    return true;
}
