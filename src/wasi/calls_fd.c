/*
 * src/wasi/calls_fd.c: the fd_* calls.
 *
 * Each call looks the guest fd up in the table (EBADF when it is not open),
 * checks the entry's rights (ENOTCAPABLE), checks every guest pointer and
 * length against memory (EFAULT), and only then touches the host. Data is
 * read and written straight between host files and guest memory; the host
 * never allocates a buffer sized by the guest here. Writes through an fd of
 * a read-only mount fail with EROFS (the host fd is read-only as well).
 * Guest stdout/stderr go to the config's callbacks; stdin reads the
 * config's host fd, waiting in slices so an interrupt is noticed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "wasi/wasi_int.h"

/* Look up 'fd' and check it has every right in 'rights'. */
static uint16_t
get_fd(void *user, uint32_t fd, uint64_t rights, struct wasi_fd **out)
{
    struct wasi_fd *e = wasi_fdtable_get(wasi_ctx_of(user), fd);
    if (!e)
        return WASI_EBADF;
    if ((e->rights_base & rights) != rights)
        return WASI_ENOTCAPABLE;
    *out = e;
    return WASI_ESUCCESS;
}

/* A checked list of guest buffers. */
struct iovs {
    uint8_t *base[WASI_MAX_IOVS];
    uint32_t len[WASI_MAX_IOVS];
    uint32_t count;
};

static uint16_t
load_iovs(struct wasm_call *call, uint32_t ptr, uint32_t count, struct iovs *out)
{
    if (count > WASI_MAX_IOVS)
        return WASI_EINVAL;
    const uint8_t *raw = wasi_mem(call, ptr, (uint64_t)count * 8);
    if (!raw && count)
        return WASI_EFAULT;
    out->count = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t buf = wasi_get_u32(raw + 8 * i);
        uint32_t len = wasi_get_u32(raw + 8 * i + 4);
        if (len == 0)
            continue;
        uint8_t *p = wasi_mem(call, buf, len);
        if (!p)
            return WASI_EFAULT;
        out->base[out->count] = p;
        out->len[out->count] = len;
        out->count++;
    }
    return WASI_ESUCCESS;
}

/* The context's reusable iovec list (allocated on first use, freed with the
 * context), so a read or write call allocates nothing. */
static struct iovs *
iov_scratch(struct wasi_ctx *ctx)
{
    if (!ctx->iov_scratch)
        ctx->iov_scratch = try_malloc(sizeof(struct iovs));
    return ctx->iov_scratch;
}

/* Read from the config's stdin into the first buffer(s). */
static uint16_t
read_stdin(struct wasi_ctx *ctx, const struct iovs *iov, uint64_t *out_n)
{
    *out_n = 0;
    int fd = ctx->cfg->stdin_fd;
    if (fd < 0 || ctx->stdin_eof || iov->count == 0)
        return WASI_ESUCCESS;
    for (;;) {
        if (wasi_interrupted(ctx))
            return WASI_EINTR;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, 50);
        if (r == 0 || (r < 0 && errno == EINTR))
            continue;
        break;
    }
    for (;;) {
        ssize_t n = read(fd, iov->base[0], iov->len[0]);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return wasi_errno_from_host(errno);
        if (n == 0)
            ctx->stdin_eof = true;
        *out_n = (uint64_t)n;
        return WASI_ESUCCESS;
    }
}

/* Read or write host_fd through the buffers; at 'offset' when 'has_offset'. */
static uint16_t
transfer(int host_fd, const struct iovs *iov, bool is_write, bool has_offset, uint64_t offset,
         uint64_t *out_n)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < iov->count; i++) {
        ssize_t n;
        if (has_offset) {
            if (offset + total > INT64_MAX)
                return total ? (*out_n = total, WASI_ESUCCESS) : WASI_EINVAL;
            off_t at = (off_t)(offset + total);
            n = is_write ? pwrite(host_fd, iov->base[i], iov->len[i], at)
                         : pread(host_fd, iov->base[i], iov->len[i], at);
        } else {
            n = is_write ? write(host_fd, iov->base[i], iov->len[i])
                         : read(host_fd, iov->base[i], iov->len[i]);
        }
        if (n < 0) {
            if (errno == EINTR) {
                i--;
                continue;
            }
            if (total)
                break;
            return wasi_errno_from_host(errno);
        }
        total += (uint64_t)n;
        if ((uint32_t)n < iov->len[i])
            break;
    }
    *out_n = total;
    return WASI_ESUCCESS;
}

/*
 * The rest of the arguments of fd_read, fd_pread, fd_write and fd_pwrite
 * (fd, iovs, iovs_len[, offset], result pointer), once the fd is checked:
 * the result pointer (EFAULT), then the guest's buffers into the context's
 * scratch list (EINVAL for too many, EFAULT).
 */
static uint16_t
io_buffers(struct wasm_call *call, struct wasi_ctx *ctx, const union wasm_val *args,
           bool has_offset, uint32_t *out_result_ptr, struct iovs **out_iov)
{
    *out_result_ptr = has_offset ? args[4].i32 : args[3].i32;
    if (!wasm_call_mem_check(call, *out_result_ptr, 4))
        return WASI_EFAULT;
    *out_iov = iov_scratch(ctx);
    if (!*out_iov)
        return WASI_ENOMEM;
    return load_iovs(call, args[1].i32, args[2].i32, *out_iov);
}

static bool
do_read(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
        bool has_offset)
{
    struct wasi_ctx *ctx = wasi_ctx_of(user);
    struct wasi_fd *e;
    uint64_t rights = WASI_RIGHT_FD_READ | (has_offset ? WASI_RIGHT_FD_SEEK : 0);
    uint16_t rc = get_fd(user, args[0].i32, 0, &e);
    if (rc)
        return wasi_ret(results, rc);
    if (e->kind == WASI_FD_DIR)
        return wasi_ret(results, WASI_EISDIR);
    if (e->kind == WASI_FD_STDOUT || e->kind == WASI_FD_STDERR)
        return wasi_ret(results, WASI_EBADF);
    if (has_offset && e->kind == WASI_FD_STDIN)
        return wasi_ret(results, WASI_ESPIPE);
    if ((e->rights_base & rights) != rights)
        return wasi_ret(results, WASI_ENOTCAPABLE);
    uint32_t nread_ptr;
    struct iovs *iov;
    rc = io_buffers(call, ctx, args, has_offset, &nread_ptr, &iov);
    uint64_t n = 0;
    if (!rc) {
        if (e->kind == WASI_FD_STDIN)
            rc = read_stdin(ctx, iov, &n);
        else
            rc = transfer(e->host_fd, iov, false, has_offset, has_offset ? args[3].i64 : 0, &n);
    }
    if (rc)
        return wasi_ret(results, rc);
    wasi_store_u32(call, nread_ptr, (uint32_t)n);
    return wasi_ret(results, WASI_ESUCCESS);
}

static bool
do_write(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
         bool has_offset)
{
    struct wasi_ctx *ctx = wasi_ctx_of(user);
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, 0, &e);
    if (rc)
        return wasi_ret(results, rc);
    if (e->kind == WASI_FD_DIR)
        return wasi_ret(results, WASI_EISDIR);
    if (e->kind == WASI_FD_STDIN)
        return wasi_ret(results, WASI_EBADF);
    bool is_stream = e->kind == WASI_FD_STDOUT || e->kind == WASI_FD_STDERR;
    if (has_offset && is_stream)
        return wasi_ret(results, WASI_ESPIPE);
    if (!e->is_writable)
        return wasi_ret(results, WASI_EROFS);
    uint64_t rights = WASI_RIGHT_FD_WRITE | (has_offset ? WASI_RIGHT_FD_SEEK : 0);
    if ((e->rights_base & rights) != rights)
        return wasi_ret(results, WASI_ENOTCAPABLE);
    uint32_t nw_ptr;
    struct iovs *iov;
    rc = io_buffers(call, ctx, args, has_offset, &nw_ptr, &iov);
    uint64_t n = 0;
    if (!rc) {
        if (is_stream) {
            wasi_write_fn *fn =
                e->kind == WASI_FD_STDOUT ? ctx->cfg->stdout_fn : ctx->cfg->stderr_fn;
            void *fn_user =
                e->kind == WASI_FD_STDOUT ? ctx->cfg->stdout_user : ctx->cfg->stderr_user;
            for (uint32_t i = 0; i < iov->count; i++) {
                if (fn)
                    fn(fn_user, (const char *)iov->base[i], iov->len[i]);
                n += iov->len[i];
            }
        } else {
            rc = transfer(e->host_fd, iov, true, has_offset, has_offset ? args[3].i64 : 0, &n);
        }
    }
    if (rc)
        return wasi_ret(results, rc);
    wasi_store_u32(call, nw_ptr, (uint32_t)n);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_read(fd, iovs, iovs_len) -> (errno, size) */
static bool
h_fd_read(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
          struct err *err)
{
    (void)err;
    return do_read(call, args, results, user, false);
}

/* fd_pread(fd, iovs, iovs_len, offset) -> (errno, size) */
static bool
h_fd_pread(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
           struct err *err)
{
    (void)err;
    return do_read(call, args, results, user, true);
}

/* fd_write(fd, iovs, iovs_len) -> (errno, size) */
static bool
h_fd_write(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
           struct err *err)
{
    (void)err;
    return do_write(call, args, results, user, false);
}

/* fd_pwrite(fd, iovs, iovs_len, offset) -> (errno, size) */
static bool
h_fd_pwrite(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
            struct err *err)
{
    (void)err;
    return do_write(call, args, results, user, true);
}

/* fd_advise(fd, offset, len, advice) -> errno: validated, then ignored (a hint). */
static bool
h_fd_advise(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
            struct err *err)
{
    (void)call;
    (void)err;
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, WASI_RIGHT_FD_ADVISE, &e);
    if (rc)
        return wasi_ret(results, rc);
    if (args[3].i32 > WASI_ADVICE_NOREUSE)
        return wasi_ret(results, WASI_EINVAL);
    if (e->kind == WASI_FD_DIR)
        return wasi_ret(results, WASI_EBADF);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_allocate(fd, offset, len) -> errno: make the file at least offset+len long. */
static bool
h_fd_allocate(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
              void *user, struct err *err)
{
    (void)call;
    (void)err;
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, 0, &e);
    if (rc)
        return wasi_ret(results, rc);
    if (e->kind != WASI_FD_FILE)
        return wasi_ret(results, e->kind == WASI_FD_DIR ? WASI_EBADF : WASI_ESPIPE);
    if (!e->is_writable)
        return wasi_ret(results, WASI_EROFS);
    if (!(e->rights_base & WASI_RIGHT_FD_ALLOCATE))
        return wasi_ret(results, WASI_ENOTCAPABLE);
    uint64_t end = args[1].i64 + args[2].i64;
    if (end < args[1].i64 || end > INT64_MAX)
        return wasi_ret(results, WASI_EFBIG);
    struct stat st;
    if (fstat(e->host_fd, &st) != 0)
        return wasi_ret(results, wasi_errno_from_host(errno));
    if ((uint64_t)st.st_size < end && ftruncate(e->host_fd, (off_t)end) != 0)
        return wasi_ret(results, wasi_errno_from_host(errno));
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_close(fd) -> errno */
static bool
h_fd_close(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
           struct err *err)
{
    (void)call;
    (void)err;
    struct wasi_fd *e = wasi_fdtable_get(wasi_ctx_of(user), args[0].i32);
    if (!e)
        return wasi_ret(results, WASI_EBADF);
    wasi_fd_close_entry(e);
    return wasi_ret(results, WASI_ESUCCESS);
}

static bool
do_sync(const union wasm_val *args, union wasm_val *results, void *user, uint64_t right,
        bool data_only)
{
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, right, &e);
    if (rc)
        return wasi_ret(results, rc);
    if (e->host_fd < 0)
        return wasi_ret(results, WASI_EINVAL);
    int r = data_only ? fdatasync(e->host_fd) : fsync(e->host_fd);
    /* Directories and read-only fds may not support syncing; that is no failure. */
    if (r != 0 && errno != EINVAL && errno != EBADF && errno != EROFS)
        return wasi_ret(results, wasi_errno_from_host(errno));
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_datasync(fd) -> errno */
static bool
h_fd_datasync(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
              void *user, struct err *err)
{
    (void)call;
    (void)err;
    return do_sync(args, results, user, WASI_RIGHT_FD_DATASYNC, true);
}

/* fd_sync(fd) -> errno */
static bool
h_fd_sync(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
          struct err *err)
{
    (void)call;
    (void)err;
    return do_sync(args, results, user, WASI_RIGHT_FD_SYNC, false);
}

/* fd_fdstat_get(fd) -> (errno, fdstat) */
static bool
h_fd_fdstat_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                void *user, struct err *err)
{
    (void)err;
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, 0, &e);
    if (rc)
        return wasi_ret(results, rc);
    uint8_t *p = wasi_mem(call, args[1].i32, 24);
    if (!p)
        return wasi_ret(results, WASI_EFAULT);
    memset(p, 0, 24);
    p[0] = e->filetype;
    wasi_put_u16(p + 2, e->fdflags);
    wasi_put_u64(p + 8, e->rights_base);
    wasi_put_u64(p + 16, e->rights_inheriting);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_fdstat_set_flags(fd, flags) -> errno */
static bool
h_fd_fdstat_set_flags(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                      void *user, struct err *err)
{
    (void)call;
    (void)err;
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &e);
    if (rc)
        return wasi_ret(results, rc);
    uint32_t flags = args[1].i32;
    if (flags & ~(uint32_t)WASI_FDFLAGS_ALL)
        return wasi_ret(results, WASI_EINVAL);
    if (e->host_fd >= 0 && e->kind == WASI_FD_FILE) {
        if ((flags & WASI_FDFLAG_APPEND) && !e->is_writable)
            return wasi_ret(results, WASI_EROFS);
        int fl = fcntl(e->host_fd, F_GETFL);
        if (fl < 0)
            return wasi_ret(results, wasi_errno_from_host(errno));
        fl &= ~(O_APPEND | O_NONBLOCK);
        if (flags & WASI_FDFLAG_APPEND)
            fl |= O_APPEND;
        if (flags & WASI_FDFLAG_NONBLOCK)
            fl |= O_NONBLOCK;
        if (fcntl(e->host_fd, F_SETFL, fl) != 0)
            return wasi_ret(results, wasi_errno_from_host(errno));
    }
    e->fdflags = (uint16_t)flags;
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_fdstat_set_rights(fd, base, inheriting) -> errno: rights only ever shrink. */
static bool
h_fd_fdstat_set_rights(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                       void *user, struct err *err)
{
    (void)call;
    (void)err;
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, 0, &e);
    if (rc)
        return wasi_ret(results, rc);
    uint64_t base = args[1].i64, inh = args[2].i64;
    if ((base & ~e->rights_base) || (inh & ~e->rights_inheriting))
        return wasi_ret(results, WASI_ENOTCAPABLE);
    e->rights_base = base;
    e->rights_inheriting = inh;
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_filestat_get(fd) -> (errno, filestat) */
static bool
h_fd_filestat_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                  void *user, struct err *err)
{
    (void)err;
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, WASI_RIGHT_FD_FILESTAT_GET, &e);
    if (rc)
        return wasi_ret(results, rc);
    uint8_t *p = wasi_mem(call, args[1].i32, 64);
    if (!p)
        return wasi_ret(results, WASI_EFAULT);
    if (e->host_fd < 0) {
        /* stdio: say what it is, but nothing about the host's terminal or pipe. */
        memset(p, 0, 64);
        p[16] = e->filetype;
        wasi_put_u64(p + 24, 1);
        return wasi_ret(results, WASI_ESUCCESS);
    }
    struct stat st;
    if (fstat(e->host_fd, &st) != 0)
        return wasi_ret(results, wasi_errno_from_host(errno));
    wasi_filestat_encode(p, &st);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_filestat_set_size(fd, size) -> errno */
static bool
h_fd_filestat_set_size(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                       void *user, struct err *err)
{
    (void)call;
    (void)err;
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, 0, &e);
    if (rc)
        return wasi_ret(results, rc);
    if (e->kind != WASI_FD_FILE)
        return wasi_ret(results, WASI_EINVAL);
    if (!e->is_writable)
        return wasi_ret(results, WASI_EROFS);
    if (!(e->rights_base & WASI_RIGHT_FD_FILESTAT_SET_SIZE))
        return wasi_ret(results, WASI_ENOTCAPABLE);
    if (args[1].i64 > INT64_MAX)
        return wasi_ret(results, WASI_EFBIG);
    if (ftruncate(e->host_fd, (off_t)args[1].i64) != 0)
        return wasi_ret(results, wasi_errno_from_host(errno));
    return wasi_ret(results, WASI_ESUCCESS);
}

bool
wasi_times_decode(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec out[2])
{
    if (flags & ~0xfu)
        return false;
    if ((flags & WASI_FSTFLAG_ATIM) && (flags & WASI_FSTFLAG_ATIM_NOW))
        return false;
    if ((flags & WASI_FSTFLAG_MTIM) && (flags & WASI_FSTFLAG_MTIM_NOW))
        return false;
    uint64_t t[2] = { atim, mtim };
    uint32_t set[2] = { WASI_FSTFLAG_ATIM, WASI_FSTFLAG_MTIM };
    uint32_t now[2] = { WASI_FSTFLAG_ATIM_NOW, WASI_FSTFLAG_MTIM_NOW };
    for (int i = 0; i < 2; i++) {
        if (flags & now[i]) {
            out[i].tv_sec = 0;
            out[i].tv_nsec = UTIME_NOW;
        } else if (flags & set[i]) {
            out[i].tv_sec = (time_t)(t[i] / 1000000000u);
            out[i].tv_nsec = (long)(t[i] % 1000000000u);
        } else {
            out[i].tv_sec = 0;
            out[i].tv_nsec = UTIME_OMIT;
        }
    }
    return true;
}

/* fd_filestat_set_times(fd, atim, mtim, fst_flags) -> errno */
static bool
h_fd_filestat_set_times(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                        void *user, struct err *err)
{
    (void)call;
    (void)err;
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, 0, &e);
    if (rc)
        return wasi_ret(results, rc);
    if (e->host_fd < 0)
        return wasi_ret(results, WASI_EBADF);
    if (!e->is_writable)
        return wasi_ret(results, WASI_EROFS);
    if (!(e->rights_base & WASI_RIGHT_FD_FILESTAT_SET_TIMES))
        return wasi_ret(results, WASI_ENOTCAPABLE);
    struct timespec ts[2];
    if (!wasi_times_decode(args[1].i64, args[2].i64, args[3].i32, ts))
        return wasi_ret(results, WASI_EINVAL);
    if (futimens(e->host_fd, ts) != 0)
        return wasi_ret(results, wasi_errno_from_host(errno));
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_prestat_get(fd) -> (errno, prestat) */
static bool
h_fd_prestat_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                 void *user, struct err *err)
{
    (void)err;
    struct wasi_fd *e = wasi_fdtable_get(wasi_ctx_of(user), args[0].i32);
    if (!e || !e->preopen_name)
        return wasi_ret(results, WASI_EBADF);
    uint8_t *p = wasi_mem(call, args[1].i32, 8);
    if (!p)
        return wasi_ret(results, WASI_EFAULT);
    memset(p, 0, 8);
    p[0] = WASI_PREOPENTYPE_DIR;
    wasi_put_u32(p + 4, (uint32_t)strlen(e->preopen_name));
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_prestat_dir_name(fd, path, path_len) -> errno */
static bool
h_fd_prestat_dir_name(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                      void *user, struct err *err)
{
    (void)err;
    struct wasi_fd *e = wasi_fdtable_get(wasi_ctx_of(user), args[0].i32);
    if (!e || !e->preopen_name)
        return wasi_ret(results, WASI_EBADF);
    size_t len = strlen(e->preopen_name);
    if (args[2].i32 < len)
        return wasi_ret(results, WASI_ENAMETOOLONG);
    uint8_t *p = wasi_mem(call, args[1].i32, len);
    if (!p && len)
        return wasi_ret(results, WASI_EFAULT);
    memcpy(p, e->preopen_name, len);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* The WASI filetype of a directory entry. */
static uint8_t
dirent_type(int dir_fd, const struct dirent *d)
{
    switch (d->d_type) {
    case DT_REG:
        return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR:
        return WASI_FILETYPE_DIRECTORY;
    case DT_LNK:
        return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR:
        return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK:
        return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK:
        return WASI_FILETYPE_SOCKET_STREAM;
    default: {
        struct stat st;
        if (fstatat(dir_fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return WASI_FILETYPE_UNKNOWN;
        return wasi_filetype_from_mode(st.st_mode);
    }
    }
}

/*
 * Packs one entry (dirent + name) at buf + *used, cut off at buf_len.
 * Returns true when the whole entry fit.
 */
static bool
readdir_put(uint8_t *buf, uint32_t buf_len, uint32_t *used, uint64_t next, uint64_t ino,
            const char *name, size_t name_len, uint8_t type)
{
    bool whole = (uint64_t)(buf_len - *used) >= 24 + (uint64_t)name_len;
    uint8_t head[24] = { 0 };
    wasi_put_u64(head, next);
    wasi_put_u64(head + 8, ino);
    wasi_put_u32(head + 16, (uint32_t)name_len);
    head[20] = type;
    uint32_t room = buf_len - *used;
    uint32_t n = room < 24 ? room : 24;
    memcpy(buf + *used, head, n);
    *used += n;
    room = buf_len - *used;
    n = room < name_len ? room : (uint32_t)name_len;
    memcpy(buf + *used, name, n);
    *used += n;
    return whole;
}

static void
readdir_drop_pending(struct wasi_fd *e)
{
    free(e->dir_pending_name);
    e->dir_pending_name = NULL;
}

/*
 * fd_readdir(fd, buf, buf_len, cookie) -> (errno, size)
 * Cookies are entry positions: entry k has d_next = k + 1. Entries are
 * packed as dirent + name; the last one may be cut off at buf_len, which
 * tells the guest to call again from the last whole entry's d_next. That
 * cut entry is kept, so the call from its cookie continues the stream
 * where it is: a guest that removes the entries it has seen between calls
 * (Rust's remove_dir_all) still sees every other entry. Any other cookie
 * rewinds and counts entries again.
 */
static bool
h_fd_readdir(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
             void *user, struct err *err)
{
    (void)err;
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, args[0].i32, 0, &e);
    if (rc)
        return wasi_ret(results, rc);
    if (e->kind != WASI_FD_DIR)
        return wasi_ret(results, WASI_ENOTDIR);
    if (!(e->rights_base & WASI_RIGHT_FD_READDIR))
        return wasi_ret(results, WASI_ENOTCAPABLE);
    uint32_t buf_len = args[2].i32;
    uint8_t *buf = wasi_mem(call, args[1].i32, buf_len);
    if ((!buf && buf_len) || !wasm_call_mem_check(call, args[4].i32, 4))
        return wasi_ret(results, WASI_EFAULT);
    uint64_t cookie = args[3].i64;
    if (!e->dir_stream) {
        int dup_fd = openat(e->host_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dup_fd < 0)
            return wasi_ret(results, wasi_errno_from_host(errno));
        e->dir_stream = fdopendir(dup_fd);
        if (!e->dir_stream) {
            int er = errno;
            close(dup_fd);
            return wasi_ret(results, wasi_errno_from_host(er));
        }
        e->dir_pos = 0;
        readdir_drop_pending(e);
    }
    uint32_t used = 0;
    bool from_pending = e->dir_pending_name != NULL && e->dir_pos > 0 && cookie == e->dir_pos - 1;
    if (from_pending) {
        size_t name_len = strlen(e->dir_pending_name);
        if (!readdir_put(buf, buf_len, &used, e->dir_pos, e->dir_pending_ino,
                         e->dir_pending_name, name_len, e->dir_pending_type)) {
            wasi_store_u32(call, args[4].i32, used); /* still cut: keep it */
            return wasi_ret(results, WASI_ESUCCESS);
        }
        readdir_drop_pending(e);
    } else {
        readdir_drop_pending(e);
        if (cookie != e->dir_pos) {
            rewinddir(e->dir_stream);
            e->dir_pos = 0;
            while (e->dir_pos < cookie) {
                errno = 0;
                if (!readdir(e->dir_stream))
                    break;
                e->dir_pos++;
            }
        }
    }
    int dfd = dirfd(e->dir_stream);
    while (used < buf_len) {
        errno = 0;
        struct dirent *d = readdir(e->dir_stream);
        if (!d) {
            if (errno)
                return wasi_ret(results, wasi_errno_from_host(errno));
            break;
        }
        e->dir_pos++;
        size_t name_len = strlen(d->d_name);
        uint8_t type = dirent_type(dfd, d);
        if (!readdir_put(buf, buf_len, &used, e->dir_pos, (uint64_t)d->d_ino, d->d_name,
                         name_len, type)) {
            /* Keep it for the call from its cookie (without memory, that
             * call rewinds instead). */
            e->dir_pending_name = try_malloc(name_len + 1);
            if (e->dir_pending_name) {
                memcpy(e->dir_pending_name, d->d_name, name_len + 1);
                e->dir_pending_ino = (uint64_t)d->d_ino;
                e->dir_pending_type = type;
            }
            break;
        }
    }
    wasi_store_u32(call, args[4].i32, used);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_renumber(fd, to) -> errno: 'to' is closed and replaced by 'fd'. */
static bool
h_fd_renumber(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
              void *user, struct err *err)
{
    (void)call;
    (void)err;
    struct wasi_ctx *ctx = wasi_ctx_of(user);
    struct wasi_fd *from = wasi_fdtable_get(ctx, args[0].i32);
    struct wasi_fd *to = wasi_fdtable_get(ctx, args[1].i32);
    if (!from || !to)
        return wasi_ret(results, WASI_EBADF);
    if (from == to)
        return wasi_ret(results, WASI_ESUCCESS);
    wasi_fd_close_entry(to);
    *to = *from;
    memset(from, 0, sizeof(*from));
    from->kind = WASI_FD_FREE;
    from->host_fd = -1;
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_seek and fd_tell: move (or read) the offset of 'fd', the new offset
 * stored at 'out_ptr'. */
static bool
do_seek(struct wasm_call *call, union wasm_val *results, void *user, uint32_t fd, int64_t offset,
        uint32_t whence, uint32_t out_ptr)
{
    struct wasi_fd *e;
    uint16_t rc = get_fd(user, fd, 0, &e);
    if (rc)
        return wasi_ret(results, rc);
    if (e->kind != WASI_FD_FILE)
        return wasi_ret(results, e->kind == WASI_FD_DIR ? WASI_EBADF : WASI_ESPIPE);
    /* Asking where we are needs fd_tell or fd_seek; moving needs fd_seek. */
    uint64_t need =
        (whence == WASI_WHENCE_CUR && offset == 0) ? WASI_RIGHT_FD_TELL : WASI_RIGHT_FD_SEEK;
    if (!(e->rights_base & (need | WASI_RIGHT_FD_SEEK)))
        return wasi_ret(results, WASI_ENOTCAPABLE);
    int host_whence;
    switch (whence) {
    case WASI_WHENCE_SET:
        host_whence = SEEK_SET;
        break;
    case WASI_WHENCE_CUR:
        host_whence = SEEK_CUR;
        break;
    case WASI_WHENCE_END:
        host_whence = SEEK_END;
        break;
    default:
        return wasi_ret(results, WASI_EINVAL);
    }
    if (!wasm_call_mem_check(call, out_ptr, 8))
        return wasi_ret(results, WASI_EFAULT);
    off_t r = lseek(e->host_fd, (off_t)offset, host_whence);
    if (r < 0)
        return wasi_ret(results, wasi_errno_from_host(errno));
    wasi_store_u64(call, out_ptr, (uint64_t)r);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_seek(fd, offset, whence) -> (errno, filesize) */
static bool
h_fd_seek(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
          struct err *err)
{
    (void)err;
    return do_seek(call, results, user, args[0].i32, (int64_t)args[1].i64, args[2].i32,
                   args[3].i32);
}

/* fd_tell(fd) -> (errno, filesize) */
static bool
h_fd_tell(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
          struct err *err)
{
    (void)err;
    return do_seek(call, results, user, args[0].i32, 0, WASI_WHENCE_CUR, args[1].i32);
}

const struct wasi_func wasi_funcs_fd[] = {
    { "fd_advise", "iIIi", "i", h_fd_advise },
    { "fd_allocate", "iII", "i", h_fd_allocate },
    { "fd_close", "i", "i", h_fd_close },
    { "fd_datasync", "i", "i", h_fd_datasync },
    { "fd_fdstat_get", "ii", "i", h_fd_fdstat_get },
    { "fd_fdstat_set_flags", "ii", "i", h_fd_fdstat_set_flags },
    { "fd_fdstat_set_rights", "iII", "i", h_fd_fdstat_set_rights },
    { "fd_filestat_get", "ii", "i", h_fd_filestat_get },
    { "fd_filestat_set_size", "iI", "i", h_fd_filestat_set_size },
    { "fd_filestat_set_times", "iIIi", "i", h_fd_filestat_set_times },
    { "fd_pread", "iiiIi", "i", h_fd_pread },
    { "fd_prestat_get", "ii", "i", h_fd_prestat_get },
    { "fd_prestat_dir_name", "iii", "i", h_fd_prestat_dir_name },
    { "fd_pwrite", "iiiIi", "i", h_fd_pwrite },
    { "fd_read", "iiii", "i", h_fd_read },
    { "fd_readdir", "iiiIi", "i", h_fd_readdir },
    { "fd_renumber", "ii", "i", h_fd_renumber },
    { "fd_seek", "iIii", "i", h_fd_seek },
    { "fd_sync", "i", "i", h_fd_sync },
    { "fd_tell", "ii", "i", h_fd_tell },
    { "fd_write", "iiii", "i", h_fd_write },
    { NULL, NULL, NULL, NULL },
};
