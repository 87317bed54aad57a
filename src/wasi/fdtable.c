/*
 * src/wasi/fdtable.c: the per-instance guest fd table, the preopened mounts,
 * and small encoders shared by the calls (errno mapping, filestat).
 *
 * Guest fds are indices into ctx->fds, never host fds: 0/1/2 are the stdio
 * entries, then one preopen per mount in mount order, then whatever
 * path_open returns (the lowest free slot). Every number from the guest goes
 * through wasi_fdtable_get(), which bounds-checks it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "os/stat_ns.h"
#include "wasi/wasi_int.h"


void
wasi_fdtable_init(struct wasi_ctx *ctx)
{
    ctx->fd_count = 3;
    ctx->fds = xcalloc(ctx->fd_count, sizeof(*ctx->fds));
    static const enum wasi_fd_kind kinds[3] = { WASI_FD_STDIN, WASI_FD_STDOUT, WASI_FD_STDERR };
    for (int i = 0; i < 3; i++) {
        struct wasi_fd *e = &ctx->fds[i];
        e->kind = kinds[i];
        e->host_fd = -1;
        e->filetype = WASI_FILETYPE_CHARACTER_DEVICE;
        e->rights_base = i == 0 ? (WASI_RIGHTS_STDIO & ~WASI_RIGHT_FD_WRITE)
                                : (WASI_RIGHTS_STDIO & ~WASI_RIGHT_FD_READ);
        e->rights_inheriting = 0;
        e->is_writable = i != 0;
    }
}

void
wasi_fd_close_entry(struct wasi_fd *e)
{
    if (e->dir_stream)
        closedir(e->dir_stream);
    if (e->host_fd >= 0)
        close(e->host_fd);
    free(e->preopen_name);
    free(e->file_mount_path);
    free(e->dir_pending_name);
    memset(e, 0, sizeof(*e));
    e->kind = WASI_FD_FREE;
    e->host_fd = -1;
}

void
wasi_fdtable_release(struct wasi_ctx *ctx)
{
    for (uint32_t i = 0; i < ctx->fd_count; i++)
        if (ctx->fds[i].kind != WASI_FD_FREE)
            wasi_fd_close_entry(&ctx->fds[i]);
    free(ctx->fds);
    ctx->fds = NULL;
    ctx->fd_count = 0;
}

int64_t
wasi_fdtable_alloc(struct wasi_ctx *ctx)
{
    for (uint32_t i = 3; i < ctx->fd_count; i++)
        if (ctx->fds[i].kind == WASI_FD_FREE)
            return i;
    if (ctx->fd_count >= WASI_MAX_FDS)
        return -1;
    uint32_t n = ctx->fd_count;
    ctx->fds = xrealloc(ctx->fds, (size_t)(n + 1) * sizeof(*ctx->fds));
    memset(&ctx->fds[n], 0, sizeof(ctx->fds[n]));
    ctx->fds[n].kind = WASI_FD_FREE;
    ctx->fds[n].host_fd = -1;
    ctx->fd_count = n + 1;
    return n;
}

struct wasi_fd *
wasi_fdtable_get(struct wasi_ctx *ctx, uint32_t fd)
{
    if (fd >= ctx->fd_count || ctx->fds[fd].kind == WASI_FD_FREE)
        return NULL;
    return &ctx->fds[fd];
}

/* "/ro/posts/" -> "/ro/posts"; a relative guest path gets a leading '/'. */
static char *
normalize_guest_path(const char *guest)
{
    size_t len = strlen(guest);
    while (len > 1 && guest[len - 1] == '/')
        len--;
    if (guest[0] == '/')
        return xstrndup(guest, len);
    return xasprintf("/%.*s", (int)len, guest);
}

bool
wasi_fdtable_add_mounts(struct wasi_ctx *ctx, struct err *err)
{
    const struct wasi_config *cfg = ctx->cfg;
    for (size_t i = 0; i < cfg->mount_count; i++) {
        const struct wasi_mount *m = &cfg->mounts[i];
        if (!m->host_path || !m->guest_path || !m->guest_path[0])
            return err_set(err, ERR_USAGE, "mount %zu: host and guest paths are required", i);
        struct stat st;
        if (stat(m->host_path, &st) != 0) {
            int e = errno;
            if (e == ENOENT || e == ENOTDIR)
                return err_set_code(err, ERR_NOT_FOUND, e, "mount path '%s' does not exist",
                                    m->host_path);
            return err_errno(err, e, "cannot mount '%s'", m->host_path);
        }
        bool is_dir = S_ISDIR(st.st_mode);
        if (!is_dir && !S_ISREG(st.st_mode))
            return err_set(err, ERR_USAGE, "cannot mount '%s': not a directory or a regular file",
                           m->host_path);
        int fd = open(m->host_path, O_RDONLY | O_CLOEXEC | (is_dir ? O_DIRECTORY : O_NONBLOCK));
        if (fd < 0)
            return err_errno(err, errno, "cannot mount '%s'", m->host_path);
        char *file_path = NULL;
        if (!is_dir) {
            char *real = realpath(m->host_path, NULL);
            if (!real) {
                int e = errno;
                close(fd);
                return err_errno(err, e, "cannot mount '%s'", m->host_path);
            }
            file_path = xstrdup(real);
            free(real);
        }
        int64_t slot = wasi_fdtable_alloc(ctx);
        if (slot < 0) {
            close(fd);
            free(file_path);
            return err_set(err, ERR_LIMIT, "too many mounts (at most %d fds)", WASI_MAX_FDS);
        }
        struct wasi_fd *e = &ctx->fds[slot];
        e->kind = is_dir ? WASI_FD_DIR : WASI_FD_FILE;
        e->host_fd = fd;
        e->filetype = is_dir ? WASI_FILETYPE_DIRECTORY : WASI_FILETYPE_REGULAR_FILE;
        e->rights_base =
            is_dir ? WASI_RIGHTS_DIRECTORY
                   : (WASI_RIGHTS_REGULAR | WASI_RIGHT_PATH_OPEN | WASI_RIGHT_PATH_CREATE_FILE
                      | WASI_RIGHT_PATH_FILESTAT_GET | WASI_RIGHT_PATH_FILESTAT_SET_TIMES);
        e->rights_inheriting = WASI_RIGHTS_REGULAR | WASI_RIGHTS_DIRECTORY;
        if (!m->is_writable)
            e->rights_base &= ~WASI_RIGHTS_FILE_WRITE;
        e->is_writable = m->is_writable;
        e->preopen_name = normalize_guest_path(m->guest_path);
        e->file_mount_path = file_path;
    }
    return true;
}

uint16_t
wasi_errno_from_host(int e)
{
    switch (e) {
    case 0:
        return WASI_ESUCCESS;
    case E2BIG:
        return WASI_E2BIG;
    case EACCES:
        return WASI_EACCES;
    case EADDRINUSE:
        return WASI_EADDRINUSE;
    case EADDRNOTAVAIL:
        return WASI_EADDRNOTAVAIL;
    case EAFNOSUPPORT:
        return WASI_EAFNOSUPPORT;
    case EAGAIN:
        return WASI_EAGAIN;
    case EALREADY:
        return WASI_EALREADY;
    case EBADF:
        return WASI_EBADF;
    case EBUSY:
        return WASI_EBUSY;
    case ECANCELED:
        return WASI_ECANCELED;
    case ECHILD:
        return WASI_ECHILD;
    case EDEADLK:
        return WASI_EDEADLK;
    case EDOM:
        return WASI_EDOM;
    case EDQUOT:
        return WASI_EDQUOT;
    case EEXIST:
        return WASI_EEXIST;
    case EFAULT:
        return WASI_EFAULT;
    case EFBIG:
        return WASI_EFBIG;
    case EILSEQ:
        return WASI_EILSEQ;
    case EINTR:
        return WASI_EINTR;
    case EINVAL:
        return WASI_EINVAL;
    case EIO:
        return WASI_EIO;
    case EISDIR:
        return WASI_EISDIR;
    case ELOOP:
        return WASI_ELOOP;
    case EMFILE:
        return WASI_EMFILE;
    case EMLINK:
        return WASI_EMLINK;
    case ENAMETOOLONG:
        return WASI_ENAMETOOLONG;
    case ENFILE:
        return WASI_ENFILE;
    case ENODEV:
        return WASI_ENODEV;
    case ENOENT:
        return WASI_ENOENT;
    case ENOMEM:
        return WASI_ENOMEM;
    case ENOSPC:
        return WASI_ENOSPC;
    case ENOSYS:
        return WASI_ENOSYS;
    case ENOTDIR:
        return WASI_ENOTDIR;
    case ENOTEMPTY:
        return WASI_ENOTEMPTY;
    case ENOTSUP:
        return WASI_ENOTSUP;
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
    case EOPNOTSUPP:
        return WASI_ENOTSUP;
#endif
    case ENOTTY:
        return WASI_ENOTTY;
    case ENXIO:
        return WASI_ENXIO;
    case EOVERFLOW:
        return WASI_EOVERFLOW;
    case EPERM:
        return WASI_EPERM;
    case EPIPE:
        return WASI_EPIPE;
    case ERANGE:
        return WASI_ERANGE;
    case EROFS:
        return WASI_EROFS;
    case ESPIPE:
        return WASI_ESPIPE;
    case ESRCH:
        return WASI_ESRCH;
    case ETIMEDOUT:
        return WASI_ETIMEDOUT;
    case ETXTBSY:
        return WASI_ETXTBSY;
    case EXDEV:
        return WASI_EXDEV;
    default:
        return WASI_EIO;
    }
}

uint8_t
wasi_filetype_from_mode(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR:
        return WASI_FILETYPE_DIRECTORY;
    case S_IFLNK:
        return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFCHR:
        return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK:
        return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFSOCK:
        return WASI_FILETYPE_SOCKET_STREAM;
    default:
        return WASI_FILETYPE_UNKNOWN;
    }
}


void
wasi_filestat_encode(uint8_t *out, const struct stat *st)
{
    memset(out, 0, 64);
    wasi_put_u64(out + 0, (uint64_t)st->st_dev);
    wasi_put_u64(out + 8, (uint64_t)st->st_ino);
    out[16] = wasi_filetype_from_mode(st->st_mode);
    wasi_put_u64(out + 24, (uint64_t)st->st_nlink);
    wasi_put_u64(out + 32, st->st_size < 0 ? 0 : (uint64_t)st->st_size);
    wasi_put_u64(out + 40, os_stat_atime_ns(st));
    wasi_put_u64(out + 48, os_stat_mtime_ns(st));
    wasi_put_u64(out + 56, os_stat_ctime_ns(st));
}

bool
wasi_store_u32(struct wasm_call *call, uint32_t offset, uint32_t value)
{
    uint8_t *p = wasi_mem(call, offset, 4);
    if (!p)
        return false;
    wasi_put_u32(p, value);
    return true;
}

bool
wasi_store_u64(struct wasm_call *call, uint32_t offset, uint64_t value)
{
    uint8_t *p = wasi_mem(call, offset, 8);
    if (!p)
        return false;
    wasi_put_u64(p, value);
    return true;
}
