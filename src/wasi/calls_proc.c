/*
 * src/wasi/calls_proc.c: the process-shaped calls: args_*, environ_*,
 * proc_exit, proc_raise, sched_yield, random_get and the sock_* family.
 *
 * argv and the environment are exactly what the config lists (deny by
 * default: an empty list means the guest sees nothing). proc_exit unwinds
 * the guest by failing the host call with ERR_WASM_EXIT; wasi_run() turns
 * that back into an exit code. Sockets are never in the fd table (no
 * sock_open in Preview 1, and no listener is ever preopened), so the
 * sock_* calls report EBADF for fds that are not open and ENOTSUP otherwise.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/err.h"
#include "wasi/wasi_int.h"

/* Write 'count' strings as a pointer array at 'ptrs' plus their bytes at 'buf'. */
static uint16_t
put_strings(struct wasm_call *call, const char *const *strs, size_t count, uint32_t ptrs,
            uint32_t buf)
{
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += strlen(strs[i]) + 1;
    uint8_t *pp = wasi_mem(call, ptrs, (uint64_t)count * 4);
    uint8_t *bp = wasi_mem(call, buf, total);
    if ((count && !pp) || (total && !bp))
        return WASI_EFAULT;
    uint64_t off = 0;
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(strs[i]) + 1;
        wasi_put_u32(pp + 4 * i, (uint32_t)(buf + off));
        memcpy(bp + off, strs[i], n);
        off += n;
    }
    return WASI_ESUCCESS;
}

static uint16_t
put_sizes(struct wasm_call *call, const char *const *strs, size_t count, uint32_t count_ptr,
          uint32_t size_ptr)
{
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += strlen(strs[i]) + 1;
    if (total > UINT32_MAX || count > UINT32_MAX)
        return WASI_EOVERFLOW;
    if (!wasm_call_mem_check(call, count_ptr, 4) || !wasm_call_mem_check(call, size_ptr, 4))
        return WASI_EFAULT;
    wasi_store_u32(call, count_ptr, (uint32_t)count);
    wasi_store_u32(call, size_ptr, (uint32_t)total);
    return WASI_ESUCCESS;
}

/* args_get(argv: ptr<ptr<u8>>, argv_buf: ptr<u8>) -> errno */
static bool
h_args_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
           struct err *err)
{
    (void)err;
    const struct wasi_config *cfg = wasi_ctx_of(user)->cfg;
    return wasi_ret(results, put_strings(call, cfg->argv, cfg->argc, args[0].i32, args[1].i32));
}

/* args_sizes_get() -> (errno, size, size) */
static bool
h_args_sizes_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                 void *user, struct err *err)
{
    (void)err;
    const struct wasi_config *cfg = wasi_ctx_of(user)->cfg;
    return wasi_ret(results, put_sizes(call, cfg->argv, cfg->argc, args[0].i32, args[1].i32));
}

static bool
h_environ_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
              void *user, struct err *err)
{
    (void)err;
    const struct wasi_config *cfg = wasi_ctx_of(user)->cfg;
    return wasi_ret(results, put_strings(call, cfg->env, cfg->env_count, args[0].i32, args[1].i32));
}

static bool
h_environ_sizes_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                    void *user, struct err *err)
{
    (void)err;
    const struct wasi_config *cfg = wasi_ctx_of(user)->cfg;
    return wasi_ret(results, put_sizes(call, cfg->env, cfg->env_count, args[0].i32, args[1].i32));
}

/* proc_exit(rval: exitcode): never returns to the guest. */
static bool
h_proc_exit(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
            struct err *err)
{
    (void)call;
    (void)results;
    (void)user;
    return err_set_code(err, ERR_WASM_EXIT, (int)args[0].i32, "module exited with code %u",
                        args[0].i32);
}

/* proc_raise(sig) -> errno: signals are not delivered to guests. */
static bool
h_proc_raise(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
             void *user, struct err *err)
{
    (void)call;
    (void)user;
    (void)err;
    if (args[0].i32 > 30) /* the witx signal enum ends at sys (30) */
        return wasi_ret(results, WASI_EINVAL);
    return wasi_ret(results, WASI_ENOSYS);
}

static bool
h_sched_yield(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
              void *user, struct err *err)
{
    (void)call;
    (void)args;
    (void)user;
    (void)err;
    sched_yield();
    return wasi_ret(results, WASI_ESUCCESS);
}

/* splitmix64: small, fast, and well distributed enough for guest PRNG seeding. */
static uint64_t
prng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* random_get(buf: ptr<u8>, buf_len: size) -> errno */
static bool
h_random_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
             void *user, struct err *err)
{
    (void)err;
    struct wasi_ctx *ctx = wasi_ctx_of(user);
    uint32_t len = args[1].i32;
    uint8_t *p = wasi_mem(call, args[0].i32, len);
    if (!p && len)
        return wasi_ret(results, WASI_EFAULT);
    if (ctx->cfg->real_random) {
        for (uint32_t off = 0; off < len;) {
            uint32_t chunk = len - off > 256 ? 256 : len - off;
            if (getentropy(p + off, chunk) != 0)
                return wasi_ret(results, WASI_EIO);
            off += chunk;
        }
        return wasi_ret(results, WASI_ESUCCESS);
    }
    for (uint32_t off = 0; off < len; off += 8) {
        uint64_t v = prng_next(&ctx->prng_state);
        uint32_t n = len - off < 8 ? len - off : 8;
        for (uint32_t i = 0; i < n; i++)
            p[off + i] = (uint8_t)(v >> (8 * i));
    }
    return wasi_ret(results, WASI_ESUCCESS);
}

static uint16_t
sock_errno(struct wasm_call *call, void *user, uint32_t fd)
{
    (void)call;
    return wasi_fdtable_get(wasi_ctx_of(user), fd) ? WASI_ENOTSUP : WASI_EBADF;
}

static bool
h_sock_accept(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
              void *user, struct err *err)
{
    (void)err;
    return wasi_ret(results, sock_errno(call, user, args[0].i32));
}

static bool
h_sock_recv(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
            struct err *err)
{
    (void)err;
    return wasi_ret(results, sock_errno(call, user, args[0].i32));
}

static bool
h_sock_send(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
            struct err *err)
{
    (void)err;
    return wasi_ret(results, sock_errno(call, user, args[0].i32));
}

static bool
h_sock_shutdown(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                void *user, struct err *err)
{
    (void)err;
    return wasi_ret(results, sock_errno(call, user, args[0].i32));
}

const struct wasi_func wasi_funcs_args[] = {
    { "args_get", "ii", "i", h_args_get },
    { "args_sizes_get", "ii", "i", h_args_sizes_get },
    { "environ_get", "ii", "i", h_environ_get },
    { "environ_sizes_get", "ii", "i", h_environ_sizes_get },
    { NULL, NULL, NULL, NULL },
};

const struct wasi_func wasi_funcs_proc[] = {
    { "proc_exit", "i", "", h_proc_exit },
    { "proc_raise", "i", "i", h_proc_raise },
    { "sched_yield", "", "i", h_sched_yield },
    { "random_get", "ii", "i", h_random_get },
    { "sock_accept", "iii", "i", h_sock_accept },
    { "sock_recv", "iiiiii", "i", h_sock_recv },
    { "sock_send", "iiiii", "i", h_sock_send },
    { "sock_shutdown", "ii", "i", h_sock_shutdown },
    { NULL, NULL, NULL, NULL },
};
