/*
 * block_retry.c: `retry [N] ["BASE"] ... end` (REFERENCE.md §4).
 *
 * Up to N attempts (default 3) of the body, in the enclosing scope. Between
 * attempts it sleeps BASE (default 1s), doubling each time, capped at five
 * minutes and never past the enclosing deadline. Cancellation and the
 * enclosing deadline end the block at once; an inner `timeout` that fires
 * is a failure like any other and is retried.
 *
 * The final error has kind retry_exhausted; when the last attempt failed
 * because a module exited with N, it carries exit status N so that perch
 * still exits N.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/duration.h"
#include "exec/blocks.h"
#include "exec/exec.h"
#include "exec/value.h"
#include "os/clock.h"

#define RETRY_DEFAULT_ATTEMPTS 3
#define RETRY_MAX_ATTEMPTS     1000
#define RETRY_MAX_BACKOFF_NS   (5 * 60 * OS_NS_PER_SEC)

bool
block_retry(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
            struct err *err)
{
    (void)out;
    int64_t attempts = RETRY_DEFAULT_ATTEMPTS;
    int64_t backoff = OS_NS_PER_SEC;
    if (stmt->arg_count > 0) {
        char *n = exec_word(st, &stmt->args[0], err);
        if (!n)
            return false;
        bool ok = exec_text_int(n, &attempts) && attempts >= 1 && attempts <= RETRY_MAX_ATTEMPTS;
        if (!ok)
            err_set(err, ERR_USAGE, "retry: attempts must be a number from 1 to %d, got '%s'",
                    RETRY_MAX_ATTEMPTS, n);
        free(n);
        if (!ok)
            return false;
    }
    if (stmt->arg_count > 1) {
        char *b = exec_word(st, &stmt->args[1], err);
        if (!b)
            return false;
        bool ok = duration_parse(b, &backoff, err);
        if (!ok)
            err_prefix(err, "retry: backoff");
        free(b);
        if (!ok)
            return false;
    }
    struct err last = { 0 };
    for (int64_t i = 0; i < attempts; i++) {
        err_clear(&last);
        if (exec_run_body(st, &stmt->body, &last))
            return true;
        /* Cancellation, or the enclosing deadline passing, ends the block
         * at once; a timeout of an inner `timeout` block is retried like
         * any other failure. */
        struct err stop = { 0 };
        if (last.kind == ERR_CANCELLED || !exec_check_stop(st, &stop)) {
            if (err && !err_is_set(err))
                *err = last;
            return false;
        }
        if (i + 1 == attempts)
            break;
        int64_t wait = backoff;
        int64_t deadline = exec_deadline(st);
        if (deadline) {
            int64_t left = deadline - os_clock_mono_ns();
            if (left < wait)
                wait = left > 0 ? left : 0;
        }
        if (!exec_sleep(st, wait, err))
            return false;
        backoff = backoff > RETRY_MAX_BACKOFF_NS / 2 ? RETRY_MAX_BACKOFF_NS : backoff * 2;
    }
    err_set(err, ERR_RETRY_EXHAUSTED, "retry: %lld attempts failed; last error: %s",
            (long long)attempts, last.msg);
    if (err && !err->loc.line)
        err->loc = last.loc;
    if (err)
        err->code = last.code;
    /* The kind stays retry_exhausted (so `rescue retry_exhausted` works),
     * but a module's exit status still becomes perch's (REFERENCE.md §3). */
    if (err && (last.kind == ERR_WASM_EXIT || last.exit_status))
        err->exit_status = exec_exit_status(&last);
    return false;
}
