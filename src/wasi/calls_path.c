/*
 * src/wasi/calls_path.c: the path_* calls.
 *
 * Every guest path goes through wasi/path.c, which is the only code that
 * turns one into a host file; this file decides what may be done with it.
 * Order of checks in each call: the directory fd (EBADF, ENOTCAPABLE), the
 * mount's writability (EROFS for any change under a read-only mount, before
 * the path is even looked at), guest memory (EFAULT), then the path.
 * Hard links and renames need both ends writable, so a file of a read-only
 * mount can never become writable through a second name.
 *
 * A single-file mount is a preopen whose only path is "." (what wasi-libc
 * sends when the guest opens the mount's own guest path); every other path
 * under it is ENOTDIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "os/beneath.h"
#include "wasi/path.h"
#include "wasi/wasi_int.h"

/* A directory fd with 'rights', and the guest path at (ptr, len) copied out. */
static uint16_t
get_dir_path(struct wasm_call *call, void *user, uint32_t fd, uint64_t rights, uint32_t ptr,
             uint32_t len, struct wasi_fd **out_dir, char **out_path)
{
    *out_path = NULL;
    struct wasi_fd *e = wasi_fdtable_get(wasi_ctx_of(user), fd);
    if (!e)
        return WASI_EBADF;
    if (e->kind != WASI_FD_DIR && !e->file_mount_path)
        return WASI_ENOTDIR;
    if ((e->rights_base & rights) != rights)
        return WASI_ENOTCAPABLE;
    const uint8_t *bytes = wasi_mem(call, ptr, len);
    if (!bytes && len)
        return WASI_EFAULT;
    uint16_t rc = wasi_path_copy(bytes, len, out_path);
    if (rc)
        return rc;
    *out_dir = e;
    return WASI_ESUCCESS;
}

/*
 * May a call use a path under 'dir'? EROFS for a change ('for_change')
 * under a read-only mount, then ENOTDIR under a single-file mount (it has
 * no paths under it), else 0.
 */
static uint16_t
dir_allows(const struct wasi_fd *dir, bool for_change)
{
    if (for_change && !dir->is_writable)
        return WASI_EROFS;
    if (dir->file_mount_path)
        return WASI_ENOTDIR;
    return WASI_ESUCCESS;
}

/*
 * The parent directory and last name of 'path' under 'dir', once dir_allows
 * it. Frees 'path' either way; on success release 'p' with
 * wasi_parent_release.
 */
static uint16_t
resolve_parent(const struct wasi_fd *dir, char *path, bool for_change, struct wasi_parent *p)
{
    uint16_t rc = dir_allows(dir, for_change);
    if (!rc)
        rc = wasi_path_parent(dir->host_fd, path, WASI_RESOLVE_AUTO, p);
    free(path);
    return rc;
}

/*
 * The two writable directories and guest paths of path_link and
 * path_rename, resolved to their parents. On success and on failure, 'op'
 * and 'np' are safe to pass to wasi_parent_release.
 */
static uint16_t
get_two_parents(struct wasm_call *call, void *user, uint64_t old_rights, uint32_t old_fd,
                uint32_t old_ptr, uint32_t old_len, uint64_t new_rights, uint32_t new_fd,
                uint32_t new_ptr, uint32_t new_len, struct wasi_parent *op, struct wasi_parent *np)
{
    *op = (struct wasi_parent){ -1, NULL, false };
    *np = (struct wasi_parent){ -1, NULL, false };
    struct wasi_fd *old_dir, *new_dir;
    char *old_path, *new_path;
    uint16_t rc =
        get_dir_path(call, user, old_fd, old_rights, old_ptr, old_len, &old_dir, &old_path);
    if (rc)
        return rc;
    rc = get_dir_path(call, user, new_fd, new_rights, new_ptr, new_len, &new_dir, &new_path);
    if (rc) {
        free(old_path);
        return rc;
    }
    if (!old_dir->is_writable || !new_dir->is_writable)
        rc = WASI_EROFS;
    else if (old_dir->file_mount_path || new_dir->file_mount_path)
        rc = WASI_ENOTDIR;
    if (!rc)
        rc = wasi_path_parent(old_dir->host_fd, old_path, WASI_RESOLVE_AUTO, op);
    if (!rc)
        rc = wasi_path_parent(new_dir->host_fd, new_path, WASI_RESOLVE_AUTO, np);
    free(old_path);
    free(new_path);
    return rc;
}

/* Is 'path' the mount's own file ("." or "./")? */
static bool
is_self_path(const char *path)
{
    return strcmp(path, ".") == 0 || strcmp(path, "./") == 0;
}

/*
 * path_open(fd, dirflags, path, oflags, fs_rights_base, fs_rights_inheriting,
 *           fdflags) -> (errno, fd)
 */
static bool
h_path_open(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
            struct err *err)
{
    (void)err;
    struct wasi_ctx *ctx = wasi_ctx_of(user);
    uint32_t dirflags = args[1].i32, oflags = args[4].i32, fdflags = args[7].i32;
    uint64_t want_base = args[5].i64, want_inh = args[6].i64;
    uint32_t out_ptr = args[8].i32;
    uint64_t need =
        WASI_RIGHT_PATH_OPEN | ((oflags & WASI_OFLAG_CREAT) ? WASI_RIGHT_PATH_CREATE_FILE : 0);
    struct wasi_fd *dir;
    char *path;
    uint16_t rc =
        get_dir_path(call, user, args[0].i32, need, args[2].i32, args[3].i32, &dir, &path);
    if (rc)
        return wasi_ret(results, rc);
    if (oflags & ~0xfu || fdflags & ~(uint32_t)WASI_FDFLAGS_ALL) {
        free(path);
        return wasi_ret(results, WASI_EINVAL);
    }
    bool wants_write = (want_base & WASI_RIGHTS_FILE_WRITE)
                       || (oflags & (WASI_OFLAG_CREAT | WASI_OFLAG_TRUNC))
                       || (fdflags & WASI_FDFLAG_APPEND);
    bool wants_read = want_base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR);
    if (wants_write && !dir->is_writable) {
        free(path);
        return wasi_ret(results, WASI_EROFS);
    }
    if (!wasm_call_mem_check(call, out_ptr, 4)) {
        free(path);
        return wasi_ret(results, WASI_EFAULT);
    }
    int flags = O_NOCTTY | O_NONBLOCK;
    if (oflags & WASI_OFLAG_CREAT)
        flags |= O_CREAT;
    if (oflags & WASI_OFLAG_EXCL)
        flags |= O_EXCL;
    if (oflags & WASI_OFLAG_TRUNC)
        flags |= O_TRUNC;
    if (oflags & WASI_OFLAG_DIRECTORY)
        flags |= O_DIRECTORY;
    bool host_write = wants_write && !(oflags & WASI_OFLAG_DIRECTORY);
    if (host_write && wants_read)
        flags |= O_RDWR;
    else if (host_write)
        flags |= O_WRONLY;
    else
        flags |= O_RDONLY;
    if (fdflags & WASI_FDFLAG_APPEND)
        flags |= O_APPEND;
    if (fdflags & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC))
        flags |= O_DSYNC;
    if (fdflags & WASI_FDFLAG_SYNC)
        flags |= O_SYNC;
    bool follow = dirflags & WASI_LOOKUP_SYMLINK_FOLLOW;

    int host_fd = -1;
    if (dir->file_mount_path) {
        if (!is_self_path(path))
            rc = WASI_ENOTDIR;
        else if (oflags & WASI_OFLAG_DIRECTORY)
            rc = WASI_ENOTDIR;
        else if ((oflags & WASI_OFLAG_CREAT) && (oflags & WASI_OFLAG_EXCL))
            rc = WASI_EEXIST;
        else {
            host_fd =
                open(dir->file_mount_path, (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC | O_NOFOLLOW);
            if (host_fd < 0)
                rc = wasi_errno_from_host(errno);
        }
    } else {
        rc = wasi_path_open(dir->host_fd, path, flags, 0666, follow, WASI_RESOLVE_AUTO, &host_fd);
    }
    free(path);
    if (rc)
        return wasi_ret(results, rc);
    if (!(fdflags & WASI_FDFLAG_NONBLOCK)) {
        int fl = fcntl(host_fd, F_GETFL);
        if (fl >= 0)
            fcntl(host_fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    struct stat st;
    if (fstat(host_fd, &st) != 0) {
        int e = errno;
        close(host_fd);
        return wasi_ret(results, wasi_errno_from_host(e));
    }
    int64_t slot = wasi_fdtable_alloc(ctx);
    if (slot < 0) {
        close(host_fd);
        return wasi_ret(results, WASI_EMFILE);
    }
    /* 'dir' may have moved if the table grew. */
    dir = wasi_fdtable_get(ctx, args[0].i32);
    struct wasi_fd *e = &ctx->fds[slot];
    bool is_dir = S_ISDIR(st.st_mode);
    e->kind = is_dir ? WASI_FD_DIR : WASI_FD_FILE;
    e->host_fd = host_fd;
    e->filetype = wasi_filetype_from_mode(st.st_mode);
    e->fdflags = (uint16_t)fdflags;
    e->is_writable = dir->is_writable;
    uint64_t allowed =
        dir->rights_inheriting & (is_dir ? WASI_RIGHTS_DIRECTORY : WASI_RIGHTS_REGULAR);
    e->rights_base = want_base & allowed;
    e->rights_inheriting = want_inh & dir->rights_inheriting;
    if (!e->is_writable)
        e->rights_base &= ~WASI_RIGHTS_FILE_WRITE;
    wasi_store_u32(call, out_ptr, (uint32_t)slot);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* path_create_directory(fd, path) -> errno */
static bool
h_path_create_directory(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                        void *user, struct err *err)
{
    (void)err;
    struct wasi_fd *dir;
    char *path;
    uint16_t rc = get_dir_path(call, user, args[0].i32, WASI_RIGHT_PATH_CREATE_DIRECTORY,
                               args[1].i32, args[2].i32, &dir, &path);
    if (rc)
        return wasi_ret(results, rc);
    struct wasi_parent p;
    rc = resolve_parent(dir, path, true, &p);
    if (rc)
        return wasi_ret(results, rc);
    if (mkdirat(p.dir_fd, p.name, 0777) != 0)
        rc = wasi_errno_from_host(errno);
    wasi_parent_release(&p);
    return wasi_ret(results, rc);
}

/* Stat 'path' under 'dir', following a final symlink only when 'follow'. */
static uint16_t
stat_path(struct wasi_fd *dir, const char *path, bool follow, struct stat *st)
{
    if (dir->file_mount_path) {
        if (!is_self_path(path))
            return WASI_ENOTDIR;
        return fstat(dir->host_fd, st) == 0 ? WASI_ESUCCESS : wasi_errno_from_host(errno);
    }
    if (follow) {
        int fd;
        /* openat2 refuses O_PATH combined with other access flags. */
        int flags = OS_O_PATH ? OS_O_PATH : (O_RDONLY | O_NONBLOCK | O_NOCTTY);
        uint16_t rc = wasi_path_open(dir->host_fd, path, flags, 0, true, WASI_RESOLVE_AUTO, &fd);
        if (rc)
            return rc;
        rc = fstat(fd, st) == 0 ? WASI_ESUCCESS : wasi_errno_from_host(errno);
        close(fd);
        return rc;
    }
    struct wasi_parent p;
    uint16_t rc = wasi_path_parent(dir->host_fd, path, WASI_RESOLVE_AUTO, &p);
    if (rc)
        return rc;
    if (fstatat(p.dir_fd, p.name, st, AT_SYMLINK_NOFOLLOW) != 0)
        rc = wasi_errno_from_host(errno);
    else if (p.trailing_slash && !S_ISDIR(st->st_mode))
        rc = WASI_ENOTDIR;
    wasi_parent_release(&p);
    return rc;
}

/* path_filestat_get(fd, flags, path) -> (errno, filestat) */
static bool
h_path_filestat_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                    void *user, struct err *err)
{
    (void)err;
    struct wasi_fd *dir;
    char *path;
    uint16_t rc = get_dir_path(call, user, args[0].i32, WASI_RIGHT_PATH_FILESTAT_GET, args[2].i32,
                               args[3].i32, &dir, &path);
    if (rc)
        return wasi_ret(results, rc);
    uint8_t *out = wasi_mem(call, args[4].i32, 64);
    if (!out) {
        free(path);
        return wasi_ret(results, WASI_EFAULT);
    }
    struct stat st;
    rc = stat_path(dir, path, args[1].i32 & WASI_LOOKUP_SYMLINK_FOLLOW, &st);
    free(path);
    if (rc)
        return wasi_ret(results, rc);
    wasi_filestat_encode(out, &st);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* path_filestat_set_times(fd, flags, path, atim, mtim, fst_flags) -> errno */
static bool
h_path_filestat_set_times(struct wasm_call *call, const union wasm_val *args,
                          union wasm_val *results, void *user, struct err *err)
{
    (void)err;
    struct wasi_fd *dir;
    char *path;
    uint16_t rc = get_dir_path(call, user, args[0].i32, WASI_RIGHT_PATH_FILESTAT_SET_TIMES,
                               args[2].i32, args[3].i32, &dir, &path);
    if (rc)
        return wasi_ret(results, rc);
    struct timespec ts[2];
    if (!dir->is_writable)
        rc = WASI_EROFS;
    else if (!wasi_times_decode(args[4].i64, args[5].i64, args[6].i32, ts))
        rc = WASI_EINVAL;
    if (rc) {
        free(path);
        return wasi_ret(results, rc);
    }
    bool follow = args[1].i32 & WASI_LOOKUP_SYMLINK_FOLLOW;
    if (dir->file_mount_path) {
        if (!is_self_path(path))
            rc = WASI_ENOTDIR;
        else if (utimensat(AT_FDCWD, dir->file_mount_path, ts, AT_SYMLINK_NOFOLLOW) != 0)
            rc = wasi_errno_from_host(errno);
    } else if (follow) {
        /* Open the target beneath the mount, then set times on the fd, so the
         * kernel never follows a symlink on its own. */
        int fd;
        rc = wasi_path_open(dir->host_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, true,
                            WASI_RESOLVE_AUTO, &fd);
        if (!rc) {
            if (futimens(fd, ts) != 0)
                rc = wasi_errno_from_host(errno);
            close(fd);
        }
    } else {
        struct wasi_parent p;
        rc = wasi_path_parent(dir->host_fd, path, WASI_RESOLVE_AUTO, &p);
        if (!rc) {
            if (utimensat(p.dir_fd, p.name, ts, AT_SYMLINK_NOFOLLOW) != 0)
                rc = wasi_errno_from_host(errno);
            wasi_parent_release(&p);
        }
    }
    free(path);
    return wasi_ret(results, rc);
}

/* path_link(old_fd, old_flags, old_path, new_fd, new_path) -> errno */
static bool
h_path_link(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
            struct err *err)
{
    (void)err;
    struct wasi_parent op, np;
    uint16_t rc = get_two_parents(call, user, WASI_RIGHT_PATH_LINK_SOURCE, args[0].i32, args[2].i32,
                                  args[3].i32, WASI_RIGHT_PATH_LINK_TARGET, args[4].i32,
                                  args[5].i32, args[6].i32, &op, &np);
    if (!rc && (args[1].i32 & WASI_LOOKUP_SYMLINK_FOLLOW)) {
        /* Linking through a symlink would let the kernel follow it unconfined. */
        struct stat st;
        if (fstatat(op.dir_fd, op.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            rc = WASI_ENOTSUP;
    }
    if (!rc && linkat(op.dir_fd, op.name, np.dir_fd, np.name, 0) != 0)
        rc = wasi_errno_from_host(errno);
    wasi_parent_release(&op);
    wasi_parent_release(&np);
    return wasi_ret(results, rc);
}

/* path_readlink(fd, path, buf, buf_len) -> (errno, size) */
static bool
h_path_readlink(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                void *user, struct err *err)
{
    (void)err;
    struct wasi_fd *dir;
    char *path;
    uint16_t rc = get_dir_path(call, user, args[0].i32, WASI_RIGHT_PATH_READLINK, args[1].i32,
                               args[2].i32, &dir, &path);
    if (rc)
        return wasi_ret(results, rc);
    uint32_t buf_len = args[4].i32;
    uint8_t *buf = wasi_mem(call, args[3].i32, buf_len);
    if ((!buf && buf_len) || !wasm_call_mem_check(call, args[5].i32, 4)) {
        free(path);
        return wasi_ret(results, WASI_EFAULT);
    }
    struct wasi_parent p;
    rc = resolve_parent(dir, path, false, &p);
    if (rc)
        return wasi_ret(results, rc);
    char *tmp = try_malloc(WASI_MAX_PATH + 1);
    if (!tmp) {
        wasi_parent_release(&p);
        return wasi_ret(results, WASI_ENOMEM);
    }
    ssize_t n = readlinkat(p.dir_fd, p.name, tmp, WASI_MAX_PATH + 1);
    if (n < 0)
        rc = wasi_errno_from_host(errno);
    wasi_parent_release(&p);
    if (!rc) {
        uint32_t copy = (uint64_t)n < buf_len ? (uint32_t)n : buf_len;
        memcpy(buf, tmp, copy);
        wasi_store_u32(call, args[5].i32, copy);
    }
    free(tmp);
    return wasi_ret(results, rc);
}

/* Shared by path_remove_directory and path_unlink_file. */
static bool
do_remove(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
          bool is_dir)
{
    struct wasi_fd *dir;
    char *path;
    uint64_t right = is_dir ? WASI_RIGHT_PATH_REMOVE_DIRECTORY : WASI_RIGHT_PATH_UNLINK_FILE;
    uint16_t rc =
        get_dir_path(call, user, args[0].i32, right, args[1].i32, args[2].i32, &dir, &path);
    if (rc)
        return wasi_ret(results, rc);
    struct wasi_parent p;
    rc = resolve_parent(dir, path, true, &p);
    if (rc)
        return wasi_ret(results, rc);
    if (strcmp(p.name, ".") == 0) {
        rc = is_dir ? WASI_EBUSY : WASI_EISDIR;
    } else if (!is_dir && p.trailing_slash) {
        struct stat st;
        if (fstatat(p.dir_fd, p.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            rc = wasi_errno_from_host(errno);
        else
            rc = S_ISDIR(st.st_mode) ? WASI_EISDIR : WASI_ENOTDIR;
    } else if (unlinkat(p.dir_fd, p.name, is_dir ? AT_REMOVEDIR : 0) != 0) {
        int e = errno;
        /* Linux says EISDIR for unlink of a directory, POSIX allows EPERM. */
        rc = (!is_dir && e == EPERM) ? WASI_EISDIR : wasi_errno_from_host(e);
        if (is_dir && e == EEXIST)
            rc = WASI_ENOTEMPTY;
    }
    wasi_parent_release(&p);
    return wasi_ret(results, rc);
}

/* path_remove_directory(fd, path) -> errno */
static bool
h_path_remove_directory(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                        void *user, struct err *err)
{
    (void)err;
    return do_remove(call, args, results, user, true);
}

/* path_unlink_file(fd, path) -> errno */
static bool
h_path_unlink_file(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                   void *user, struct err *err)
{
    (void)err;
    return do_remove(call, args, results, user, false);
}

/* path_rename(fd, old_path, new_fd, new_path) -> errno */
static bool
h_path_rename(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
              void *user, struct err *err)
{
    (void)err;
    struct wasi_parent op, np;
    uint16_t rc = get_two_parents(call, user, WASI_RIGHT_PATH_RENAME_SOURCE, args[0].i32,
                                  args[1].i32, args[2].i32, WASI_RIGHT_PATH_RENAME_TARGET,
                                  args[3].i32, args[4].i32, args[5].i32, &op, &np);
    if (!rc && (strcmp(op.name, ".") == 0 || strcmp(np.name, ".") == 0))
        rc = WASI_EBUSY;
    if (!rc && renameat(op.dir_fd, op.name, np.dir_fd, np.name) != 0)
        rc = wasi_errno_from_host(errno);
    wasi_parent_release(&op);
    wasi_parent_release(&np);
    return wasi_ret(results, rc);
}

/* path_symlink(old_path, fd, new_path) -> errno */
static bool
h_path_symlink(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
               void *user, struct err *err)
{
    (void)err;
    struct wasi_fd *dir;
    char *path;
    uint16_t rc = get_dir_path(call, user, args[2].i32, WASI_RIGHT_PATH_SYMLINK, args[3].i32,
                               args[4].i32, &dir, &path);
    if (rc)
        return wasi_ret(results, rc);
    uint32_t tlen = args[1].i32;
    const uint8_t *tbytes = wasi_mem(call, args[0].i32, tlen);
    rc = (!tbytes && tlen) ? WASI_EFAULT : dir_allows(dir, true);
    if (!rc && (tlen == 0 || tlen > WASI_MAX_PATH || memchr(tbytes, '\0', tlen)))
        rc = tlen == 0 ? WASI_ENOENT : WASI_EINVAL;
    char *target = rc ? NULL : xstrndup((const char *)tbytes, tlen);
    /* Only links that stay inside the mount by their own text: a host
     * program reading the mount later must not be led outside either. */
    if (!rc && !wasi_symlink_target_ok(path, target))
        rc = WASI_ENOTCAPABLE;
    struct wasi_parent p;
    if (rc)
        free(path);
    else
        rc = resolve_parent(dir, path, true, &p);
    if (!rc) {
        if (symlinkat(target, p.dir_fd, p.name) != 0)
            rc = wasi_errno_from_host(errno);
        wasi_parent_release(&p);
    }
    free(target);
    return wasi_ret(results, rc);
}

const struct wasi_func wasi_funcs_path[] = {
    { "path_create_directory", "iii", "i", h_path_create_directory },
    { "path_filestat_get", "iiiii", "i", h_path_filestat_get },
    { "path_filestat_set_times", "iiiiIIi", "i", h_path_filestat_set_times },
    { "path_link", "iiiiiii", "i", h_path_link },
    { "path_open", "iiiiiIIii", "i", h_path_open },
    { "path_readlink", "iiiiii", "i", h_path_readlink },
    { "path_remove_directory", "iii", "i", h_path_remove_directory },
    { "path_rename", "iiiiii", "i", h_path_rename },
    { "path_symlink", "iiiii", "i", h_path_symlink },
    { "path_unlink_file", "iii", "i", h_path_unlink_file },
    { NULL, NULL, NULL, NULL },
};
