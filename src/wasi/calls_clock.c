/*
 * src/wasi/calls_clock.c: clock_res_get, clock_time_get and poll_oneoff.
 *
 * Determinism: unless the config grants the real clock, time is virtual.
 * The wall clock starts at WASI_DETERMINISTIC_EPOCH_NS, the monotonic clock
 * at 1 s, both move forward 1 us on every read (so loops that wait for time
 * to pass end), and a sleep in poll_oneoff advances virtual time at once
 * instead of waiting. Two runs of the same module with the same inputs
 * therefore see the same times.
 *
 * Real waits (real clock, or a blocking read of stdin) sleep in slices of at
 * most WAIT_SLICE_MS and check the interrupt flag between slices, so a
 * deadline stops a sleeping guest too.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/check.h"
#include "base/xalloc.h"
#include "wasi/wasi_int.h"

#define WAIT_SLICE_MS              50
#define VIRTUAL_TICK_NS            1000u
#define VIRTUAL_MONOTONIC_START_NS 1000000000u

bool
wasi_interrupted(const struct wasi_ctx *ctx)
{
    return ctx->cfg->interrupt && atomic_load(ctx->cfg->interrupt) != 0;
}

static uint64_t
host_clock_ns(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
wasi_clock_advance(struct wasi_ctx *ctx, uint64_t ns)
{
    uint64_t sum;
    ctx->virtual_ns = check_add_u64(ctx->virtual_ns, ns, &sum) ? sum : UINT64_MAX / 2;
}

bool
wasi_clock_now(struct wasi_ctx *ctx, uint32_t clock_id, uint64_t *out_ns)
{
    if (clock_id > WASI_CLOCK_THREAD_CPUTIME)
        return false;
    if (ctx->cfg->real_clock) {
        switch (clock_id) {
        case WASI_CLOCK_REALTIME:
            *out_ns = host_clock_ns(CLOCK_REALTIME);
            break;
        case WASI_CLOCK_MONOTONIC:
            *out_ns = host_clock_ns(CLOCK_MONOTONIC);
            break;
        case WASI_CLOCK_PROCESS_CPUTIME:
            *out_ns = host_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
            break;
        default:
            *out_ns = host_clock_ns(CLOCK_THREAD_CPUTIME_ID);
            break;
        }
        return true;
    }
    wasi_clock_advance(ctx, VIRTUAL_TICK_NS);
    switch (clock_id) {
    case WASI_CLOCK_REALTIME:
        *out_ns = WASI_DETERMINISTIC_EPOCH_NS + ctx->virtual_ns;
        break;
    case WASI_CLOCK_MONOTONIC:
        *out_ns = VIRTUAL_MONOTONIC_START_NS + ctx->virtual_ns;
        break;
    default:
        *out_ns = ctx->virtual_ns;
        break;
    }
    return true;
}

/* clock_res_get(id: clockid) -> (errno, timestamp) */
static bool
h_clock_res_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                void *user, struct err *err)
{
    (void)err;
    struct wasi_ctx *ctx = wasi_ctx_of(user);
    if (args[0].i32 > WASI_CLOCK_THREAD_CPUTIME)
        return wasi_ret(results, WASI_EINVAL);
    uint64_t res = VIRTUAL_TICK_NS;
    if (ctx->cfg->real_clock) {
        static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                         CLOCK_THREAD_CPUTIME_ID };
        struct timespec ts;
        if (clock_getres(ids[args[0].i32], &ts) == 0)
            res = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    if (!wasi_store_u64(call, args[1].i32, res))
        return wasi_ret(results, WASI_EFAULT);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* clock_time_get(id: clockid, precision: timestamp) -> (errno, timestamp) */
static bool
h_clock_time_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                 void *user, struct err *err)
{
    (void)err;
    struct wasi_ctx *ctx = wasi_ctx_of(user);
    if (!wasm_call_mem_check(call, args[2].i32, 8))
        return wasi_ret(results, WASI_EFAULT);
    uint64_t now;
    if (!wasi_clock_now(ctx, args[0].i32, &now))
        return wasi_ret(results, WASI_EINVAL);
    wasi_store_u64(call, args[2].i32, now);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* One subscription, decoded. */
struct sub {
    uint64_t userdata;
    uint8_t type;        /* WASI_EVENTTYPE_* */
    uint16_t error;      /* set when the subscription is invalid: reported at once */
    uint64_t timeout_ns; /* clock: relative time left */
    uint32_t fd;
    bool is_ready;
    uint64_t nbytes;
    uint16_t rwflags;
};

/* Sleep up to 'ns' of real time; false when interrupted first. */
static bool
real_sleep(struct wasi_ctx *ctx, uint64_t ns)
{
    uint64_t end = host_clock_ns(CLOCK_MONOTONIC) + ns;
    for (;;) {
        if (wasi_interrupted(ctx))
            return false;
        uint64_t now = host_clock_ns(CLOCK_MONOTONIC);
        if (now >= end)
            return true;
        uint64_t left = end - now;
        uint64_t slice = (uint64_t)WAIT_SLICE_MS * 1000000u;
        if (left > slice)
            left = slice;
        struct timespec ts = { (time_t)(left / 1000000000u), (long)(left % 1000000000u) };
        nanosleep(&ts, NULL);
    }
}

/*
 * Wait until stdin is readable (or at end), at most 'wait_ns' (UINT64_MAX:
 * no limit). Returns 1 when readable, 0 on timeout, -1 when interrupted.
 */
static int
wait_stdin(struct wasi_ctx *ctx, uint64_t wait_ns)
{
    uint64_t start = host_clock_ns(CLOCK_MONOTONIC);
    for (;;) {
        if (wasi_interrupted(ctx))
            return -1;
        struct pollfd pfd = { .fd = ctx->cfg->stdin_fd, .events = POLLIN };
        int slice = WAIT_SLICE_MS;
        if (wait_ns != UINT64_MAX) {
            uint64_t spent = host_clock_ns(CLOCK_MONOTONIC) - start;
            if (spent >= wait_ns)
                slice = 0;
            else if (wait_ns - spent < (uint64_t)WAIT_SLICE_MS * 1000000u)
                slice = (int)((wait_ns - spent + 999999u) / 1000000u);
        }
        int r = poll(&pfd, 1, slice);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return 1; /* let the read report the error */
        if (slice == 0)
            return 0;
    }
}

static void
decode_sub(struct wasi_ctx *ctx, const uint8_t *in, struct sub *s)
{
    memset(s, 0, sizeof(*s));
    s->userdata = wasi_get_u64(in);
    s->type = in[8];
    switch (s->type) {
    case WASI_EVENTTYPE_CLOCK: {
        uint32_t id = wasi_get_u32(in + 16);
        uint64_t timeout = wasi_get_u64(in + 24);
        uint16_t flags = wasi_get_u16(in + 40);
        if (flags & WASI_SUBCLOCK_ABSTIME) {
            uint64_t now;
            if (!wasi_clock_now(ctx, id, &now)) {
                s->error = WASI_EINVAL;
                return;
            }
            s->timeout_ns = timeout > now ? timeout - now : 0;
        } else {
            if (id > WASI_CLOCK_THREAD_CPUTIME) {
                s->error = WASI_EINVAL;
                return;
            }
            s->timeout_ns = timeout;
        }
        return;
    }
    case WASI_EVENTTYPE_FD_READ:
    case WASI_EVENTTYPE_FD_WRITE: {
        s->fd = wasi_get_u32(in + 16);
        struct wasi_fd *e = wasi_fdtable_get(ctx, s->fd);
        if (!e) {
            s->error = WASI_EBADF;
            return;
        }
        if (!(e->rights_base & WASI_RIGHT_POLL_FD_READWRITE)) {
            s->error = WASI_ENOTCAPABLE;
            return;
        }
        bool is_read = s->type == WASI_EVENTTYPE_FD_READ;
        if (e->kind == WASI_FD_STDIN) {
            if (!is_read) {
                s->error = WASI_EBADF;
            } else if (ctx->cfg->stdin_fd < 0 || ctx->stdin_eof) {
                s->is_ready = true;
                s->rwflags = WASI_EVENTRW_HANGUP;
            }
            /* else: decided by polling the host fd */
            return;
        }
        if ((e->kind == WASI_FD_STDOUT || e->kind == WASI_FD_STDERR) && is_read) {
            s->error = WASI_EBADF;
            return;
        }
        s->is_ready = true; /* files, directories and output streams never block */
        return;
    }
    default:
        s->error = WASI_EINVAL;
        return;
    }
}

/* poll_oneoff(in: ptr<subscription>, out: ptr<event>, nsubscriptions: size) -> (errno, size) */
static bool
h_poll_oneoff(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
              void *user, struct err *err)
{
    (void)err;
    struct wasi_ctx *ctx = wasi_ctx_of(user);
    uint32_t in_ptr = args[0].i32, out_ptr = args[1].i32, n = args[2].i32;
    if (n == 0 || n > WASI_MAX_SUBSCRIPTIONS)
        return wasi_ret(results, WASI_EINVAL);
    const uint8_t *in = wasi_mem(call, in_ptr, (uint64_t)n * 48);
    if (!in || !wasi_mem(call, out_ptr, (uint64_t)n * 32)
        || !wasm_call_mem_check(call, args[3].i32, 4))
        return wasi_ret(results, WASI_EFAULT);
    struct sub *subs = try_calloc(n, sizeof(*subs));
    if (!subs)
        return wasi_ret(results, WASI_ENOMEM);

    bool any_ready = false, has_clock = false, has_stdin = false;
    uint64_t min_timeout = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        decode_sub(ctx, in + (size_t)i * 48, &subs[i]);
        struct sub *s = &subs[i];
        if (s->error || s->is_ready)
            any_ready = true;
        else if (s->type == WASI_EVENTTYPE_CLOCK) {
            has_clock = true;
            if (s->timeout_ns < min_timeout)
                min_timeout = s->timeout_ns;
        } else
            has_stdin = true;
    }
    if (has_clock && min_timeout == 0)
        any_ready = true;

    uint16_t rc = WASI_ESUCCESS;
    bool fire_clocks = false;
    if (has_stdin) {
        /* Deterministic time never waits in real time when a clock could
         * fire instead: peek at stdin, then let the clock win. */
        uint64_t wait = UINT64_MAX;
        if (any_ready || (has_clock && !ctx->cfg->real_clock))
            wait = 0;
        else if (has_clock)
            wait = min_timeout;
        int r = wait_stdin(ctx, wait);
        if (r < 0)
            rc = WASI_EINTR;
        else if (r > 0) {
            for (uint32_t i = 0; i < n; i++)
                if (!subs[i].error && subs[i].type == WASI_EVENTTYPE_FD_READ && !subs[i].is_ready) {
                    subs[i].is_ready = true;
                    subs[i].nbytes = 1;
                }
            any_ready = true;
        } else if (has_clock && !any_ready) {
            fire_clocks = true;
        }
    } else if (has_clock && !any_ready) {
        fire_clocks = true;
    }
    if (rc == WASI_ESUCCESS && fire_clocks) {
        if (ctx->cfg->real_clock) {
            if (!real_sleep(ctx, min_timeout))
                rc = WASI_EINTR;
        } else {
            wasi_clock_advance(ctx, min_timeout);
        }
    }
    if (rc != WASI_ESUCCESS) {
        free(subs);
        return wasi_ret(results, rc);
    }

    uint8_t *out = wasi_mem(call, out_ptr, (uint64_t)n * 32);
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct sub *s = &subs[i];
        bool fires = s->error || s->is_ready
                     || (s->type == WASI_EVENTTYPE_CLOCK
                         && (s->timeout_ns == 0 || (fire_clocks && s->timeout_ns <= min_timeout)));
        if (!fires)
            continue;
        uint8_t *ev = out + (size_t)count * 32;
        memset(ev, 0, 32);
        wasi_put_u64(ev, s->userdata);
        wasi_put_u16(ev + 8, s->error);
        ev[10] = s->type;
        if (s->type != WASI_EVENTTYPE_CLOCK) {
            wasi_put_u64(ev + 16, s->nbytes);
            wasi_put_u16(ev + 24, s->rwflags);
        }
        count++;
    }
    free(subs);
    wasi_store_u32(call, args[3].i32, count);
    return wasi_ret(results, WASI_ESUCCESS);
}

const struct wasi_func wasi_funcs_clock[] = {
    { "clock_res_get", "ii", "i", h_clock_res_get },
    { "clock_time_get", "iIi", "i", h_clock_time_get },
    { "poll_oneoff", "iiii", "i", h_poll_oneoff },
    { NULL, NULL, NULL, NULL },
};
