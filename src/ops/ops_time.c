/* ops_time.c: now and sleep. sleep wakes early, with kind `timeout`, when
 * the run's deadline passes or it is interrupted. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/duration.h"
#include "base/err.h"
#include "ops/ops_int.h"
#include "os/clock.h"

bool
ops_do_now(struct op_call *call, struct sbuf *out, struct err *err)
{
    int64_t ns = os_clock_wall_ns();
    const char *fmt = call->argc ? call->argv[0] : "";
    if (strcmp(fmt, "unix") == 0) {
        ops_ret_int(out, ns / OS_NS_PER_SEC);
        return true;
    }
    if (strcmp(fmt, "unix_ms") == 0) {
        ops_ret_int(out, ns / OS_NS_PER_MS);
        return true;
    }
    time_t secs = (time_t)(ns / OS_NS_PER_SEC);
    struct tm tm;
    if (!gmtime_r(&secs, &tm))
        return err_set(err, ERR_IO, "now: cannot convert the clock");
    if (!fmt[0])
        fmt = "%Y-%m-%dT%H:%M:%SZ";
    char buf[256];
    /* The format is the script's, by design. */
#if defined(__GNUC__) || defined(__clang__)
# pragma GCC diagnostic push
# pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
    size_t n = strftime(buf, sizeof(buf), fmt, &tm);
#if defined(__GNUC__) || defined(__clang__)
# pragma GCC diagnostic pop
#endif
    if (n == 0 && fmt[0])
        return err_set(err, ERR_USAGE, "now: format '%s' gives no text or more than %zu bytes", fmt,
                       sizeof(buf) - 1);
    sbuf_add(out, buf, n);
    return true;
}

bool
ops_do_sleep(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    int64_t ns;
    if (!duration_parse(call->argv[0], &ns, err)) {
        err_prefix(err, "sleep");
        return false;
    }
    enum os_sleep_result r = os_sleep_ns(ns, call->ctx->deadline_ns, call->ctx->interrupt);
    if (r == OS_SLEEP_DONE)
        return true;
    return err_set(err, ERR_TIMEOUT, "sleep %s: %s", call->argv[0],
                   r == OS_SLEEP_DEADLINE ? "the deadline passed first"
                                          : "the run was interrupted");
}
