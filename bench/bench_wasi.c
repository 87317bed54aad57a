/*
 * bench/bench_wasi.c: the benchmark runner's minimal WASI host (see
 * bench_wasi.h). Guest pointers are checked with wasm_call_mem_check before
 * every access; multi-byte values are stored little-endian as WASI defines.
 */
#include "bench_wasi.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"

#define WASI_MODULE "wasi_snapshot_preview1"

/* WASI errno values */
#define WASI_ESUCCESS 0
#define WASI_EBADF 8
#define WASI_EFAULT 21
#define WASI_EINVAL 28
#define WASI_ENOSYS 52
#define WASI_ESPIPE 70

static void
store_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
store_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t *
guest(struct wasm_call *call, uint64_t offset, uint64_t len)
{
    uint64_t size;
    uint8_t *mem = wasm_call_memory(call, &size);
    if (!mem || !wasm_call_mem_check(call, offset, len))
        return NULL;
    return mem + offset;
}

static bool
ret(union wasm_val *results, uint32_t errno_value)
{
    results[0].i32 = errno_value;
    return true;
}

/* args_sizes_get(argc_out, argv_buf_size_out) */
static bool
args_sizes_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
               void *user, struct err *err)
{
    (void)err;
    struct bench_wasi *w = user;
    uint32_t size = 0;
    for (int i = 0; i < w->argc; i++)
        size += (uint32_t)strlen(w->argv[i]) + 1;
    uint8_t *count_p = guest(call, args[0].i32, 4), *size_p = guest(call, args[1].i32, 4);
    if (!count_p || !size_p)
        return ret(results, WASI_EFAULT);
    store_u32(count_p, (uint32_t)w->argc);
    store_u32(size_p, size);
    return ret(results, WASI_ESUCCESS);
}

/* args_get(argv_out, argv_buf_out) */
static bool
args_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
         void *user, struct err *err)
{
    (void)err;
    struct bench_wasi *w = user;
    uint32_t ptrs = args[0].i32, buf = args[1].i32;
    for (int i = 0; i < w->argc; i++) {
        size_t len = strlen(w->argv[i]) + 1;
        uint8_t *slot = guest(call, ptrs + 4u * (uint32_t)i, 4), *dst = guest(call, buf, len);
        if (!slot || !dst)
            return ret(results, WASI_EFAULT);
        store_u32(slot, buf);
        memcpy(dst, w->argv[i], len);
        buf += (uint32_t)len;
    }
    return ret(results, WASI_ESUCCESS);
}

/* environ_sizes_get(count_out, size_out): the environment is empty */
static bool
environ_sizes_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                  void *user, struct err *err)
{
    (void)user, (void)err;
    uint8_t *count_p = guest(call, args[0].i32, 4), *size_p = guest(call, args[1].i32, 4);
    if (!count_p || !size_p)
        return ret(results, WASI_EFAULT);
    store_u32(count_p, 0);
    store_u32(size_p, 0);
    return ret(results, WASI_ESUCCESS);
}

static bool
environ_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
            void *user, struct err *err)
{
    (void)call, (void)args, (void)user, (void)err;
    return ret(results, WASI_ESUCCESS);
}

/* fd_write(fd, iovs, iovs_len, nwritten_out) */
static bool
fd_write(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
         void *user, struct err *err)
{
    (void)err;
    struct bench_wasi *w = user;
    uint32_t fd = args[0].i32, iovs = args[1].i32, count = args[2].i32;
    if (fd != 1 && fd != 2)
        return ret(results, WASI_EBADF);
    uint32_t total = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *iov = guest(call, (uint64_t)iovs + 8ull * i, 8);
        if (!iov)
            return ret(results, WASI_EFAULT);
        uint32_t base = load_u32(iov), len = load_u32(iov + 4);
        uint8_t *data = guest(call, base, len);
        if (!data)
            return ret(results, WASI_EFAULT);
        if (fd == 1) {
            sbuf_add(&w->out, data, len);
        } else {
            ssize_t rc = write(STDERR_FILENO, data, len);
            (void)rc;
        }
        total += len;
    }
    uint8_t *written = guest(call, args[3].i32, 4);
    if (!written)
        return ret(results, WASI_EFAULT);
    store_u32(written, total);
    return ret(results, WASI_ESUCCESS);
}

/* proc_exit(code): ends the run like a trap that carries the status */
static bool
proc_exit(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
          void *user, struct err *err)
{
    (void)call, (void)results;
    struct bench_wasi *w = user;
    w->exited = true;
    w->exit_code = (int)args[0].i32;
    return err_set_code(err, ERR_WASM_EXIT, w->exit_code, "exit status %d", w->exit_code);
}

/* clock_time_get(id, precision, time_out) */
static bool
clock_time_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
               void *user, struct err *err)
{
    (void)user, (void)err;
    struct timespec ts;
    clockid_t id = args[0].i32 == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC;
    if (args[0].i32 > 3)
        return ret(results, WASI_EINVAL);
    clock_gettime(id, &ts);
    uint8_t *out = guest(call, args[2].i32, 8);
    if (!out)
        return ret(results, WASI_EFAULT);
    store_u64(out, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
    return ret(results, WASI_ESUCCESS);
}

/* fd_fdstat_get(fd, stat_out): stdio are character devices, nothing else exists */
static bool
fd_fdstat_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
              void *user, struct err *err)
{
    (void)user, (void)err;
    if (args[0].i32 > 2)
        return ret(results, WASI_EBADF);
    uint8_t *st = guest(call, args[1].i32, 24);
    if (!st)
        return ret(results, WASI_EFAULT);
    memset(st, 0, 24);
    st[0] = 2;                      /* filetype: character device */
    store_u64(st + 8, 0x1fffffff);  /* rights_base: everything */
    return ret(results, WASI_ESUCCESS);
}

/* fd_seek on a character device */
static bool
fd_seek(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
        struct err *err)
{
    (void)call, (void)user, (void)err;
    return ret(results, args[0].i32 > 2 ? WASI_EBADF : WASI_ESPIPE);
}

static bool
fd_close(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
         struct err *err)
{
    (void)call, (void)user, (void)err;
    return ret(results, args[0].i32 > 2 ? WASI_EBADF : WASI_ESUCCESS);
}

/* fd_prestat_get: no preopened directories, so wasi-libc's scan stops at once */
static bool
no_such_fd(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
           void *user, struct err *err)
{
    (void)call, (void)args, (void)user, (void)err;
    return ret(results, WASI_EBADF);
}

static bool
not_implemented(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                void *user, struct err *err)
{
    (void)call, (void)args, (void)user, (void)err;
    return ret(results, WASI_ENOSYS);
}

static bool
trap_not_implemented(struct wasm_call *call, const union wasm_val *args,
                     union wasm_val *results, void *user, struct err *err)
{
    (void)call, (void)args, (void)results, (void)user;
    return err_set_code(err, ERR_WASM_TRAP, WASM_TRAP_HOST,
                        "this WASI function is not provided by the benchmark host");
}

struct wasi_func {
    const char *name;
    uint32_t param_count; /* every one returns one i32 errno, except proc_exit */
    wasm_host_fn *fn;
};

static const struct wasi_func wasi_funcs[] = {
    { "args_sizes_get", 2, args_sizes_get },
    { "args_get", 2, args_get },
    { "environ_sizes_get", 2, environ_sizes_get },
    { "environ_get", 2, environ_get },
    { "fd_write", 4, fd_write },
    { "proc_exit", 1, proc_exit },
    { "clock_time_get", 3, clock_time_get },
    { "fd_fdstat_get", 2, fd_fdstat_get },
    { "fd_seek", 4, fd_seek },
    { "fd_close", 1, fd_close },
    { "fd_prestat_get", 2, no_such_fd },
    { "fd_prestat_dir_name", 3, no_such_fd },
};

void
bench_wasi_init(struct bench_wasi *w, int argc, char **argv)
{
    memset(w, 0, sizeof(*w));
    w->argc = argc;
    w->argv = argv;
    sbuf_init(&w->out);
}

void
bench_wasi_release(struct bench_wasi *w)
{
    if (w)
        sbuf_release(&w->out);
}

bool
bench_wasi_define(struct bench_wasi *w, const struct wasm_module *mod,
                  struct wasm_linker *linker, struct err *err)
{
    size_t count = wasm_module_import_count(mod);
    for (size_t i = 0; i < count; i++) {
        struct wasm_import_info info;
        if (!wasm_module_import(mod, i, &info) || info.type.kind != WASM_EXTERN_FUNC
            || strcmp(info.module, WASI_MODULE) != 0)
            continue; /* anything else stays unresolved and fails to link, as it should */
        const struct wasm_functype *type = &info.type.u.func;
        bool returns_errno = type->result_count == 1 && type->results[0] == WASM_I32;
        wasm_host_fn *fn = returns_errno ? not_implemented : trap_not_implemented;
        for (size_t j = 0; j < sizeof(wasi_funcs) / sizeof(wasi_funcs[0]); j++) {
            if (strcmp(info.name, wasi_funcs[j].name) == 0
                && type->param_count == wasi_funcs[j].param_count
                && (returns_errno || strcmp(info.name, "proc_exit") == 0))
                fn = wasi_funcs[j].fn;
        }
        if (!wasm_linker_define_func(linker, WASI_MODULE, info.name, type, fn, w, err))
            return false;
    }
    return true;
}
