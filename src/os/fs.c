/*
 * fs.c: filesystem helpers (see fs.h).
 *
 * Atomic replacement is "temporary file in the same directory + fsync +
 * rename": rename() within one filesystem is atomic, and the fsync keeps a
 * crash from leaving a renamed but empty file. Tree walks (remove, copy)
 * work relative to directory descriptors and never follow symlinks below
 * the top level. Their depth is bounded so a hostile tree cannot exhaust
 * file descriptors or the stack.
 */
#include "os/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "os/clock.h"
#include "os/fault.h"
#include "os/path.h"

/* 'call', unless fault injection fails this step with EIO (os/fault.h). */
#define FAULT_OR(call) (os_fault_io() ? (errno = EIO, -1) : (call))

/* Deepest directory nesting the tree walks follow. */
#define TREE_MAX_DEPTH 512

void
os_strlist_push_take(struct os_strlist *list, char *s)
{
    list->items = xgrow(list->items, &list->cap, list->count + 1, sizeof(*list->items));
    list->items[list->count++] = s;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void
os_strlist_sort(struct os_strlist *list)
{
    if (list->count > 1)
        qsort(list->items, list->count, sizeof(*list->items), cmp_str);
}

void
os_strlist_release(struct os_strlist *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = list->cap = 0;
}

bool
os_errno(struct err *err, int errnum, const char *fmt, ...)
{
    if (!err || err_is_set(err))
        return false;
    char head[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    err_errno(err, errnum, "%s", head);
    if (errnum == ENOENT || errnum == ENOTDIR)
        err->kind = ERR_NOT_FOUND;
    return false;
}

static enum os_fs_type
type_of(mode_t mode)
{
    if (S_ISREG(mode))
        return OS_FS_FILE;
    if (S_ISDIR(mode))
        return OS_FS_DIR;
    if (S_ISLNK(mode))
        return OS_FS_LINK;
    return OS_FS_OTHER;
}

static bool
fill_info(int rc, const struct stat *st, const char *path, struct os_fs_info *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (rc != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            out->type = OS_FS_NONE;
            return true;
        }
        return os_errno(err, errno, "cannot stat '%s'", path);
    }
    out->type = type_of(st->st_mode);
    out->size = (uint64_t)st->st_size;
    out->mode = (unsigned)(st->st_mode & 07777);
#if defined(__APPLE__)
    out->mtime_ns = (int64_t)st->st_mtimespec.tv_sec * OS_NS_PER_SEC + st->st_mtimespec.tv_nsec;
#else
    out->mtime_ns = (int64_t)st->st_mtim.tv_sec * OS_NS_PER_SEC + st->st_mtim.tv_nsec;
#endif
    return true;
}

bool
os_fs_stat(const char *path, struct os_fs_info *out, struct err *err)
{
    struct stat st;
    int rc = stat(path, &st);
    return fill_info(rc, &st, path, out, err);
}

bool
os_fs_lstat(const char *path, struct os_fs_info *out, struct err *err)
{
    struct stat st;
    int rc = lstat(path, &st);
    return fill_info(rc, &st, path, out, err);
}

bool
os_fs_read_file(const char *path, size_t max_len, struct sbuf *out, struct err *err)
{
    int fd = FAULT_OR(open(path, O_RDONLY | O_CLOEXEC));
    if (fd < 0)
        return os_errno(err, errno, "cannot open '%s'", path);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return err_set_code(err, ERR_IO, EISDIR, "cannot read '%s': is a directory", path);
    }
    size_t start = out->len;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        if (max_len && (uint64_t)st.st_size > max_len) {
            close(fd);
            return err_set(err, ERR_LIMIT, "cannot read '%s': file is larger than %zu bytes", path,
                           max_len);
        }
        sbuf_grow(out, (size_t)st.st_size);
    }
    for (;;) {
        sbuf_grow(out, 65536);
        ssize_t n = read(fd, out->buf + out->len, out->cap - out->len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            sbuf_setlen(out, start);
            return os_errno(err, e, "cannot read '%s'", path);
        }
        if (n == 0)
            break;
        out->len += (size_t)n; /* sbuf_setlen only shrinks */
        out->buf[out->len] = '\0';
        if (max_len && out->len - start > max_len) {
            close(fd);
            sbuf_setlen(out, start);
            return err_set(err, ERR_LIMIT, "cannot read '%s': file is larger than %zu bytes", path,
                           max_len);
        }
    }
    close(fd);
    return true;
}

static bool
write_all(int fd, const void *data, size_t len, const char *path, struct err *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = FAULT_OR(write(fd, p, len));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return os_errno(err, errno, "cannot write '%s'", path);
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

int
os_fs_open_temp_beside(const char *path, char **out_temp_path, struct err *err)
{
    char *dir = os_path_dir(path);
    char *base = os_path_base(path);
    /* A name no one else picks: pid, a clock reading and a stack address,
     * retried on the (unlikely) collision. O_EXCL makes the claim atomic and
     * the 0666 mode lets the umask decide the final permissions. */
    uint64_t seed = (uint64_t)os_clock_mono_ns() ^ ((uint64_t)(uintptr_t)&seed << 16);
    for (int attempt = 0; attempt < 100; attempt++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        char *tmp =
            xasprintf("%s/.%s.tmp-%ld-%08x", dir, base, (long)getpid(), (unsigned)(seed >> 32));
        int fd = FAULT_OR(open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
        if (fd >= 0) {
            free(dir);
            free(base);
            *out_temp_path = tmp;
            return fd;
        }
        int e = errno;
        free(tmp);
        if (e != EEXIST) {
            os_errno(err, e, "cannot create a file in '%s'", dir);
            free(dir);
            free(base);
            return -1;
        }
    }
    err_set(err, ERR_IO, "cannot create a temporary file in '%s'", dir);
    free(dir);
    free(base);
    return -1;
}

/* fsync, close and rename into place; 'mode' >= 0 sets the permission bits,
 * -1 keeps those of an existing 'path'. Removes the temp file on failure. */
static bool
commit_temp(int fd, const char *tmp, const char *path, int mode, struct err *err)
{
    struct stat st;
    if (mode < 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        mode = (int)(st.st_mode & 07777);
    if (mode >= 0 && fchmod(fd, (mode_t)mode) != 0) {
        os_errno(err, errno, "cannot set mode of '%s'", path);
        goto fail;
    }
    if (FAULT_OR(fsync(fd)) != 0 && errno != EINVAL) {
        os_errno(err, errno, "cannot write '%s'", path);
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        os_errno(err, errno, "cannot write '%s'", path);
        goto fail;
    }
    fd = -1;
    if (FAULT_OR(rename(tmp, path)) != 0) {
        os_errno(err, errno, "cannot replace '%s'", path);
        goto fail;
    }
    return true;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return false;
}

bool
os_fs_commit_temp(int fd, const char *temp_path, const char *path, struct err *err)
{
    return commit_temp(fd, temp_path, path, -1, err);
}

bool
os_fs_write_atomic(const char *path, const void *data, size_t len, struct err *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return err_set_code(err, ERR_IO, EISDIR, "cannot write '%s': is a directory", path);
    /* Write through a symlink: replace its target, not the link itself. */
    char *target = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        target = realpath(path, NULL);
    const char *dest = target ? target : path;
    char *tmp = NULL;
    int fd = os_fs_open_temp_beside(dest, &tmp, err);
    if (fd < 0) {
        free(target);
        return false;
    }
    bool ok;
    if (!write_all(fd, data, len, path, err)) {
        close(fd);
        unlink(tmp);
        ok = false;
    } else {
        ok = commit_temp(fd, tmp, dest, -1, err);
    }
    free(tmp);
    free(target);
    return ok;
}

bool
os_fs_append(const char *path, const void *data, size_t len, struct err *err)
{
    int fd = FAULT_OR(open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666));
    if (fd < 0)
        return os_errno(err, errno, "cannot open '%s'", path);
    bool ok = write_all(fd, data, len, path, err);
    if (close(fd) != 0 && ok)
        ok = os_errno(err, errno, "cannot write '%s'", path);
    return ok;
}

bool
os_fs_stat_is_private(const struct stat *st)
{
    return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

bool
os_fs_mkdir_p(const char *path, unsigned mode, struct err *err)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return true;
        return err_set_code(err, ERR_IO, EEXIST,
                            "cannot create directory '%s': a file exists there", path);
    }
    char *clean = os_path_clean(path);
    /* Create each prefix in turn; EEXIST from a racing creator is fine. */
    bool ok = true;
    size_t len = strlen(clean);
    for (size_t i = 1; i <= len; i++) {
        if (clean[i] != '/' && clean[i] != '\0')
            continue;
        char saved = clean[i];
        clean[i] = '\0';
        int rc = mkdir(clean, (mode_t)mode);
        int e = rc != 0 ? errno : 0;
        if (rc != 0 && e != EEXIST) {
            ok = os_errno(err, e, "cannot create directory '%s'", clean);
            clean[i] = saved;
            break;
        }
        if (e == EEXIST && stat(clean, &st) == 0 && !S_ISDIR(st.st_mode)) {
            ok = err_set_code(err, ERR_IO, ENOTDIR, "cannot create directory '%s': '%s' is a file",
                              path, clean);
            clean[i] = saved;
            break;
        }
        clean[i] = saved;
    }
    free(clean);
    return ok;
}

/* Names in the directory open at 'fd' (consumed). */
static bool
names_at(int fd, const char *display, struct os_strlist *out, struct err *err)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return os_errno(err, e, "cannot list '%s'", display);
    }
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
        os_strlist_push_take(out, xstrdup(n));
        errno = 0;
    }
    int e = errno;
    closedir(d);
    if (e != 0)
        return os_errno(err, e, "cannot list '%s'", display);
    return true;
}

/* Empty the directory open at 'fd' (borrowed); 'display' names it in errors. */
static bool
empty_dir_at(int fd, const char *display, int depth, struct err *err)
{
    if (depth > TREE_MAX_DEPTH)
        return err_set(err, ERR_LIMIT, "cannot remove '%s': nested deeper than %d levels", display,
                       TREE_MAX_DEPTH);
    int list_fd = dup(fd);
    if (list_fd < 0)
        return os_errno(err, errno, "cannot list '%s'", display);
    struct os_strlist names = { 0 };
    if (!names_at(list_fd, display, &names, err))
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < names.count; i++) {
        const char *name = names.items[i];
        struct stat st;
        if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue;
            ok = os_errno(err, errno, "cannot stat '%s/%s'", display, name);
            break;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (unlinkat(fd, name, 0) != 0 && errno != ENOENT)
                ok = os_errno(err, errno, "cannot remove '%s/%s'", display, name);
            continue;
        }
        char *sub_display = xasprintf("%s/%s", display, name);
        int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
            ok = os_errno(err, errno, "cannot open '%s'", sub_display);
        } else {
            ok = empty_dir_at(sub, sub_display, depth + 1, err);
            close(sub);
            if (ok && unlinkat(fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
                ok = os_errno(err, errno, "cannot remove '%s'", sub_display);
        }
        free(sub_display);
    }
    os_strlist_release(&names);
    return ok;
}

static bool remove_tree_clean(const char *path, struct err *err);

bool
os_fs_remove_tree(const char *path, struct err *err)
{
    /* Without trailing slashes: "link/" would name the directory a
     * symlink points to, and the walk would empty it. */
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    char *clean = xstrndup(path, len);
    bool ok = remove_tree_clean(clean, err);
    free(clean);
    return ok;
}

static bool
remove_tree_clean(const char *path, struct err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return os_errno(err, errno, "cannot remove '%s'", path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0)
            return os_errno(err, errno, "cannot remove '%s'", path);
        return true;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return os_errno(err, errno, "cannot open '%s'", path);
    bool ok = empty_dir_at(fd, path, 0, err);
    close(fd);
    if (ok && rmdir(path) != 0)
        return os_errno(err, errno, "cannot remove '%s'", path);
    return ok;
}

/* Copy the regular file open at 'in_fd' to 'dst' atomically with 'mode'. */
static bool
copy_fd_to(int in_fd, const char *src, const char *dst, unsigned mode, struct err *err)
{
    char *tmp = NULL;
    int out_fd = os_fs_open_temp_beside(dst, &tmp, err);
    if (out_fd < 0)
        return false;
    char *buf = xmalloc(65536);
    bool ok = true;
    for (;;) {
        ssize_t n = read(in_fd, buf, 65536);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ok = os_errno(err, errno, "cannot read '%s'", src);
            break;
        }
        if (n == 0)
            break;
        if (!write_all(out_fd, buf, (size_t)n, dst, err)) {
            ok = false;
            break;
        }
    }
    free(buf);
    if (ok) {
        ok = commit_temp(out_fd, tmp, dst, (int)mode, err);
    } else {
        close(out_fd);
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

static bool
copy_file(const char *src, const char *dst, struct err *err)
{
    int fd = FAULT_OR(open(src, O_RDONLY | O_CLOEXEC));
    if (fd < 0)
        return os_errno(err, errno, "cannot open '%s'", src);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return os_errno(err, e, "cannot stat '%s'", src);
    }
    bool ok = copy_fd_to(fd, src, dst, (unsigned)(st.st_mode & 07777), err);
    close(fd);
    return ok;
}

static bool
copy_tree(const char *src, const char *dst, unsigned mode, int depth, struct err *err)
{
    if (depth > TREE_MAX_DEPTH)
        return err_set(err, ERR_LIMIT, "cannot copy '%s': nested deeper than %d levels", src,
                       TREE_MAX_DEPTH);
    struct stat st;
    if (mkdir(dst, 0700) != 0) {
        if (errno != EEXIST || stat(dst, &st) != 0 || !S_ISDIR(st.st_mode))
            return os_errno(err, errno, "cannot create directory '%s'", dst);
    }
    int fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return os_errno(err, errno, "cannot open '%s'", src);
    struct os_strlist names = { 0 };
    if (!names_at(fd, src, &names, err))
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < names.count; i++) {
        char *s = xasprintf("%s/%s", src, names.items[i]);
        char *d = xasprintf("%s/%s", dst, names.items[i]);
        if (lstat(s, &st) != 0) {
            ok = os_errno(err, errno, "cannot stat '%s'", s);
        } else if (S_ISDIR(st.st_mode)) {
            ok = copy_tree(s, d, (unsigned)(st.st_mode & 07777), depth + 1, err);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlink(s, target, sizeof(target) - 1);
            if (n < 0) {
                ok = os_errno(err, errno, "cannot read link '%s'", s);
            } else {
                target[n] = '\0';
                unlink(d);
                if (symlink(target, d) != 0)
                    ok = os_errno(err, errno, "cannot create link '%s'", d);
            }
        } else if (S_ISREG(st.st_mode)) {
            ok = copy_file(s, d, err);
        } else {
            ok = err_set(err, ERR_IO, "cannot copy '%s': not a regular file or directory", s);
        }
        free(s);
        free(d);
    }
    os_strlist_release(&names);
    if (ok && chmod(dst, (mode_t)mode) != 0)
        ok = os_errno(err, errno, "cannot set mode of '%s'", dst);
    return ok;
}

/* True when 'dst' names 'src' itself or a path below it (after resolving
 * symlinks in 'src' and in the existing part of 'dst'). */
static bool
is_inside(const char *src, const char *dst)
{
    char *rs = realpath(src, NULL);
    if (!rs)
        return false;
    char *parent = os_path_dir(dst);
    char *rp = realpath(parent, NULL);
    free(parent);
    bool inside = false;
    if (rp) {
        char *base = os_path_base(dst);
        char *rd = os_path_join(rp, base);
        size_t n = strlen(rs);
        inside = strncmp(rd, rs, n) == 0 && (rd[n] == '\0' || rd[n] == '/' || n == 1);
        free(base);
        free(rd);
        free(rp);
    }
    free(rs);
    return inside;
}

bool
os_fs_copy(const char *src, const char *dst, struct err *err)
{
    struct stat st;
    if (stat(src, &st) != 0)
        return os_errno(err, errno, "cannot copy '%s'", src);
    if (S_ISDIR(st.st_mode)) {
        if (is_inside(src, dst))
            return err_set(err, ERR_IO, "cannot copy '%s' into itself ('%s')", src, dst);
        return copy_tree(src, dst, (unsigned)(st.st_mode & 07777), 0, err);
    }
    if (!S_ISREG(st.st_mode))
        return err_set(err, ERR_IO, "cannot copy '%s': not a regular file or directory", src);
    struct stat dst_st;
    if (stat(dst, &dst_st) == 0 && dst_st.st_dev == st.st_dev && dst_st.st_ino == st.st_ino)
        return err_set(err, ERR_IO, "cannot copy '%s' onto itself", src);
    return copy_file(src, dst, err);
}

bool
os_fs_move(const char *src, const char *dst, struct err *err)
{
    if (rename(src, dst) == 0)
        return true;
    int e = errno;
    if (e == EINVAL && is_inside(src, dst))
        return err_set_code(err, ERR_IO, e,
                            "cannot move directory '%s' into itself ('%s' is inside it)", src,
                            dst);
    if (e == ENOTEMPTY || e == EEXIST)
        return err_set_code(err, ERR_IO, e,
                            "cannot move '%s' to '%s': '%s' is a directory that is not empty "
                            "(remove it first, or move into it as '%s/NAME')",
                            src, dst, dst, dst);
    errno = e;
    if (errno != EXDEV)
        return os_errno(err, errno, "cannot move '%s' to '%s'", src, dst);
    struct stat st;
    if (lstat(src, &st) != 0)
        return os_errno(err, errno, "cannot move '%s'", src);
    if (!os_fs_copy(src, dst, err))
        return false;
    return os_fs_remove_tree(src, err);
}

bool
os_fs_list_dir(const char *path, struct os_strlist *out, struct err *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return os_errno(err, errno, "cannot list '%s'", path);
    size_t start = out->count;
    if (!names_at(fd, path, out, err))
        return false;
    if (out->count - start > 1) {
        struct os_strlist tail = { out->items + start, out->count - start, 0 };
        os_strlist_sort(&tail);
    }
    return true;
}

static char *
temp_template(const char *dir, const char *prefix)
{
    return xasprintf("%s/%sXXXXXX", dir, prefix && prefix[0] ? prefix : "perch-");
}

char *
os_fs_mkdtemp(const char *dir, const char *prefix, struct err *err)
{
    if (prefix && strchr(prefix, '/')) {
        err_set(err, ERR_USAGE, "temporary name prefix '%s' must not contain '/'", prefix);
        return NULL;
    }
    char *tmpl = temp_template(dir, prefix);
    if (!mkdtemp(tmpl)) {
        os_errno(err, errno, "cannot create a temporary directory in '%s'", dir);
        free(tmpl);
        return NULL;
    }
    return tmpl;
}

char *
os_fs_mkstemp(const char *dir, const char *prefix, struct err *err)
{
    if (prefix && strchr(prefix, '/')) {
        err_set(err, ERR_USAGE, "temporary name prefix '%s' must not contain '/'", prefix);
        return NULL;
    }
    char *tmpl = temp_template(dir, prefix);
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        os_errno(err, errno, "cannot create a temporary file in '%s'", dir);
        free(tmpl);
        return NULL;
    }
    close(fd);
    return tmpl;
}

bool
os_fs_touch(const char *path, struct err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0666);
    if (fd < 0) {
        /* A directory cannot be opened for writing; just update its times. */
        if (errno == EISDIR && utimensat(AT_FDCWD, path, NULL, 0) == 0)
            return true;
        return os_errno(err, errno, "cannot touch '%s'", path);
    }
    int rc = futimens(fd, NULL);
    int e = errno;
    close(fd);
    if (rc != 0)
        return os_errno(err, e, "cannot touch '%s'", path);
    return true;
}
