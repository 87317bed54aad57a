/*
 * blocks.c: the block handler registry and the small context blocks:
 * with_env, with_cwd, sandbox, timeout, os / arch, pipe.
 *
 * Every handler here follows one shape: evaluate its own words, narrow
 * the state, run the body in the enclosing scope (so bindings made inside
 * stay visible), then restore exactly what it changed, on success and on
 * failure alike.
 */
#include "exec/blocks.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/duration.h"
#include "base/xalloc.h"
#include "exec/exec_int.h"
#include "ops/ops.h"
#include "os/clock.h"

static const struct exec_block_def block_table[] = {
    { LANG_BLOCK_PARALLEL, "parallel", block_parallel },
    { LANG_BLOCK_TIMEOUT, "timeout", block_timeout },
    { LANG_BLOCK_RETRY, "retry", block_retry },
    { LANG_BLOCK_CACHE, "cache", block_cache },
    { LANG_BLOCK_SANDBOX, "sandbox", block_sandbox },
    { LANG_BLOCK_WITH_ENV, "with_env", block_with_env },
    { LANG_BLOCK_WITH_CWD, "with_cwd", block_with_cwd },
    { LANG_BLOCK_WASM_RUN, "wasm_run", block_wasm_run },
    { LANG_BLOCK_PIPE, "pipe", block_pipe },
    { LANG_BLOCK_OS, "os", block_os_arch },
    { LANG_BLOCK_ARCH, "arch", block_os_arch },
};

const struct exec_block_def *
exec_block_find(enum lang_block_kind kind)
{
    for (size_t i = 0; i < sizeof(block_table) / sizeof(block_table[0]); i++)
        if (block_table[i].kind == kind)
            return &block_table[i];
    return NULL;
}

/* The block's first word, interpolated; NULL with err when missing/bad. */
static char *
first_word(struct exec_state *st, const struct lang_stmt *stmt, const char *usage,
           struct err *err)
{
    if (!stmt->arg_count) {
        err_set(err, ERR_USAGE, "%s: expected %s", stmt->name, usage);
        return NULL;
    }
    return exec_word(st, &stmt->args[0], err);
}

bool
block_with_env(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
               struct err *err)
{
    (void)out;
    size_t mark = exec_env_mark(st);
    bool ok = true;
    /* Every word may hold several K=v pairs separated by commas. */
    for (size_t w = 0; ok && w < stmt->arg_count; w++) {
        char *spec = exec_word(st, &stmt->args[w], err);
        if (!spec) {
            ok = false;
            break;
        }
        char *save = NULL;
        for (char *kv = strtok_r(spec, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            while (*kv == ' ')
                kv++;
            if (!*kv)
                continue;
            char *eq = strchr(kv, '=');
            if (!eq || eq == kv) {
                ok = err_set(err, ERR_USAGE, "with_env: expected K=v, got '%s'", kv);
                break;
            }
            /* Spaces around the key and the value are layout: "A=1, B = 2". */
            char *key_end = eq;
            while (key_end > kv && key_end[-1] == ' ')
                key_end--;
            *key_end = '\0';
            char *value = eq + 1;
            while (*value == ' ')
                value++;
            size_t vlen = strlen(value);
            while (vlen && value[vlen - 1] == ' ')
                value[--vlen] = '\0';
            bool name_ok = *kv && !isdigit((unsigned char)*kv);
            for (const char *c = kv; *c && name_ok; c++)
                name_ok = isalnum((unsigned char)*c) || *c == '_';
            if (!name_ok) {
                ok = err_set(err, ERR_USAGE, "with_env: invalid variable name '%s'", kv);
                break;
            }
            exec_env_push(st, kv, value);
        }
        free(spec);
    }
    if (ok && !stmt->arg_count)
        ok = err_set(err, ERR_USAGE, "with_env: expected \"K=v,K2=v2\"");
    if (ok)
        ok = exec_run_body(st, &stmt->body, err);
    exec_env_pop(st, mark);
    return ok;
}

bool
block_with_cwd(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
               struct err *err)
{
    (void)out;
    char *dir = first_word(st, stmt, "a directory", err);
    if (!dir)
        return false;
    char *saved = exec_cwd_dup(st);
    exec_set_cwd(st, dir);
    struct stat sb;
    bool ok;
    if (stat(exec_cwd(st), &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        /* A relative dir is relative to the current cwd: say which. */
        if (dir[0] == '/')
            ok = err_set(err, ERR_NOT_FOUND, "with_cwd: '%s' is not a directory", dir);
        else
            ok = err_set(err, ERR_NOT_FOUND, "with_cwd: '%s' (%s) is not a directory", dir,
                         exec_cwd(st));
    } else {
        ok = exec_run_body(st, &stmt->body, err);
    }
    exec_set_cwd(st, saved);
    free(saved);
    free(dir);
    return ok;
}

bool
block_sandbox(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
              struct err *err)
{
    (void)out;
    unsigned add = 0;
    for (size_t w = 0; w < stmt->arg_count; w++) {
        char *flags = exec_word(st, &stmt->args[w], err);
        if (!flags)
            return false;
        unsigned caps;
        bool ok = exec_caps_parse(flags, &caps, err);
        free(flags);
        if (!ok)
            return false;
        add |= caps;
    }
    unsigned saved = exec_caps_denied(st);
    exec_caps_set_denied(st, saved | add); /* narrows, never widens */
    bool ok = exec_run_body(st, &stmt->body, err);
    exec_caps_set_denied(st, saved);
    return ok;
}

bool
block_timeout(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
              struct err *err)
{
    (void)out;
    char *text = first_word(st, stmt, "a duration such as \"30s\"", err);
    if (!text)
        return false;
    int64_t ns;
    if (!duration_parse(text, &ns, err)) {
        err_prefix(err, "timeout");
        free(text);
        return false;
    }
    int64_t saved = exec_deadline(st);
    char saved_label[sizeof(st->deadline_label)];
    memcpy(saved_label, st->deadline_label, sizeof(saved_label));
    char label[sizeof(st->deadline_label)];
    snprintf(label, sizeof(label), "timeout \"%s\"", text);
    exec_deadline_narrow(st, os_clock_mono_ns() + ns, label);
    bool ok = exec_run_body(st, &stmt->body, err);
    exec_deadline_restore(st, saved, saved_label);
    free(text);
    return ok;
}

/* `os "linux"` / `arch "arm64"`: the body runs only on a match. Each word
 * may list several names separated by commas. */
bool
block_os_arch(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
              struct err *err)
{
    (void)out;
    const char *have = stmt->block == LANG_BLOCK_OS ? exec_os_name() : exec_arch_name();
    bool match = false;
    for (size_t w = 0; !match && w < stmt->arg_count; w++) {
        char *names = exec_word(st, &stmt->args[w], err);
        if (!names)
            return false;
        char *save = NULL;
        for (char *n = strtok_r(names, ", ", &save); n && !match; n = strtok_r(NULL, ", ", &save))
            match = !strcmp(n, have);
        free(names);
    }
    return match ? exec_run_body(st, &stmt->body, err) : true;
}

/* A temporary file holding 'data', positioned at its start: the stdin of
 * the next pipe stage. A file rather than a pipe, so a stage that never
 * reads its input cannot block the one before it. */
static FILE *
stage_input(const struct sbuf *data, struct err *err)
{
    FILE *f = tmpfile();
    if (!f) {
        err_errno(err, errno, "pipe: cannot create a temporary file");
        return NULL;
    }
    if ((data->len && fwrite(data->buf, 1, data->len, f) != data->len) || fflush(f) != 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        err_errno(err, errno, "pipe: cannot write a temporary file");
        fclose(f);
        return NULL;
    }
    return f;
}

/*
 * If 'child' is a process stage (`shell "LINE"`, `exec PROG ARGS...` or a
 * declared bin, not captured, not chained), fill 'stage' with its
 * interpolated argv (caller frees with free_stage) and return true. On an
 * interpolation or capability failure, return true with 'err' set.
 */
static bool
process_stage(struct exec_state *st, const struct lang_stmt *child, struct ops_pipe_stage *stage,
              struct err *err)
{
    if (child->kind != LANG_STMT_CALL || child->target || child->chain != LANG_CHAIN_NONE)
        return false;
    const struct op_def *def = NULL;
    bool is_shell = false, is_bin = false;
    if (!lang_find_command(exec_program(st), child->name)) {
        if (!strcmp(child->name, "shell") && child->arg_count == 1) {
            def = ops_find("shell");
            is_shell = true;
        } else if (!strcmp(child->name, "exec") && child->arg_count >= 1) {
            def = ops_find("exec");
        } else if (!ops_find(child->name) && exec_is_declared_bin(exec_program(st), child->name)) {
            def = ops_find("exec");
            is_bin = true;
        }
    }
    if (!def)
        return false;
    char **argv = xcalloc(child->arg_count + 2, sizeof(char *));
    size_t n = 0;
    if (is_bin)
        argv[n++] = xstrdup(child->name);
    for (size_t i = 0; i < child->arg_count; i++) {
        argv[n] = exec_word(st, &child->args[i], err);
        if (!argv[n])
            break;
        n++;
    }
    stage->argv = (const char *const *)argv;
    stage->is_shell = is_shell;
    if (!err_is_set(err))
        exec_caps_check(st, def->caps, is_bin ? child->name : def->name, err);
    return true;
}

static void
free_stage(struct ops_pipe_stage *stage)
{
    char **argv = (char **)stage->argv;
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
    stage->argv = NULL;
}

/*
 * Run children [from, to) of a pipe, all process stages, as one OS
 * pipeline (concurrent, streaming, pipefail-style errors) reading
 * st->stdin_fd. Output goes to 'into' (newline-terminated) or, when NULL,
 * to the state's output.
 */
static bool
run_process_group(struct exec_state *st, const struct lang_stmt *stmt, size_t from, size_t to,
                  struct sbuf *into, struct err *err)
{
    size_t count = to - from;
    struct ops_pipe_stage *stages = xcalloc(count, sizeof(*stages));
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        process_stage(st, &stmt->body.stmts[from + i], &stages[i], err);
        if (err_is_set(err)) {
            if (err->loc.line == 0)
                err->loc = stmt->body.stmts[from + i].loc;
            ok = false;
            break;
        }
    }
    if (ok) {
        struct op_ctx ctx;
        exec_op_ctx(st, &ctx);
        size_t mark = into ? into->len : 0;
        ok = ops_run_pipe(&ctx, stages, count, into, err);
        if (!ok) {
            exec_classify_stop(st, err);
            if (err && err->loc.line == 0)
                err->loc = stmt->body.stmts[to - 1].loc;
        } else if (into && into->len > mark) {
            sbuf_addc(into, '\n'); /* the capture trimmed it; the next stage reads lines */
        }
    }
    for (size_t i = 0; i < count; i++)
        free_stage(&stages[i]);
    free(stages);
    return ok;
}

/* Is child 'i' of the pipe a process stage (without evaluating it)? */
static bool
is_process_stage(struct exec_state *st, const struct lang_stmt *child)
{
    if (child->kind != LANG_STMT_CALL || child->target || child->chain != LANG_CHAIN_NONE ||
        lang_find_command(exec_program(st), child->name))
        return false;
    if (!strcmp(child->name, "shell"))
        return child->arg_count == 1;
    if (!strcmp(child->name, "exec"))
        return child->arg_count >= 1;
    return !ops_find(child->name) && exec_is_declared_bin(exec_program(st), child->name);
}

/*
 * `pipe ... end`: what each child prints on stdout (plus the value of a
 * value-returning op, such as read_file) becomes the next one's stdin. The
 * last child prints as usual, or, when the pipe is captured (`x = pipe`),
 * its output is the captured value.
 *
 * Consecutive process stages (shell, exec, declared bins) run together as
 * one OS pipeline: concurrently, streaming, and failing like
 * `set -o pipefail`. Any other child (an op, a command call, wasm_run)
 * runs on its own with the previous output as its stdin, from a temporary
 * file, and its output is collected for the next stage.
 */
bool
block_pipe(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
           struct err *err)
{
    struct sbuf data = SBUF_INIT;
    int saved_stdin = st->stdin_fd;
    bool ok = true;
    size_t count = stmt->body.count;
    for (size_t i = 0; ok && i < count;) {
        const struct lang_stmt *child = &stmt->body.stmts[i];
        size_t end = i + 1;
        if (is_process_stage(st, child))
            while (end < count && is_process_stage(st, &stmt->body.stmts[end]))
                end++;
        FILE *in = NULL;
        if (i > 0) {
            in = stage_input(&data, err);
            if (!in) {
                ok = false;
                break;
            }
            st->stdin_fd = fileno(in);
        }
        struct sbuf next = SBUF_INIT;
        bool last = end == count;
        bool collect = !last || stmt->target;
        if (is_process_stage(st, child)) {
            ok = run_process_group(st, stmt, i, end, collect ? &next : NULL, err);
        } else if (collect) {
            struct exec_capture cap;
            exec_capture_begin(st, &cap, &next);
            ok = exec_run_stmt_value(st, child, &next, err);
            exec_capture_end(st, &cap);
        } else {
            ok = exec_run_stmt_value(st, child, &next, err);
            if (ok && next.len)
                exec_print(st, 1, next.buf, next.len);
        }
        st->stdin_fd = saved_stdin;
        if (in)
            fclose(in);
        sbuf_release(&data);
        data = next;
        i = end;
    }
    if (ok && stmt->target)
        sbuf_add(out, data.buf, data.len);
    sbuf_release(&data);
    return ok;
}
