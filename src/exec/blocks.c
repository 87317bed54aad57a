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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/duration.h"
#include "base/xalloc.h"
#include "exec/exec_int.h"
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
            *eq = '\0';
            exec_env_push(st, kv, eq + 1);
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
    if (stat(exec_cwd(st), &sb) != 0 || !S_ISDIR(sb.st_mode))
        ok = err_set(err, ERR_NOT_FOUND, "with_cwd: '%s' is not a directory", dir);
    else
        ok = exec_run_body(st, &stmt->body, err);
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
 * `pipe ... end`: the children run in order; what each prints on stdout
 * (plus the value of a value-returning op, such as read_file) becomes the
 * next one's stdin. The last child prints as usual, or, when the pipe is
 * captured (`x = pipe`), its output is the captured value.
 */
bool
block_pipe(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
           struct err *err)
{
    struct sbuf data = SBUF_INIT;
    int saved_stdin = st->stdin_fd;
    bool ok = true;
    for (size_t i = 0; ok && i < stmt->body.count; i++) {
        const struct lang_stmt *child = &stmt->body.stmts[i];
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
        bool last = i + 1 == stmt->body.count;
        if (!last || stmt->target) {
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
    }
    if (ok && stmt->target)
        sbuf_add(out, data.buf, data.len);
    sbuf_release(&data);
    return ok;
}
