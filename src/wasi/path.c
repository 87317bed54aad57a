/*
 * src/wasi/path.c: the one place where a guest path becomes a host file.
 *
 * Threat model: the guest may send any bytes as a path. Whatever it sends,
 * the file reached must lie beneath the directory fd the path is relative to
 * (a preopen or a directory opened through one), including through "..",
 * absolute paths, symlinks that were already there and symlinks the guest
 * created itself. A path that would leave is refused with ENOTCAPABLE.
 *
 * Two mechanisms, same result:
 * - Linux 5.6+: openat2() with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS
 *   (os/beneath.c); the kernel refuses any escape, atomically.
 * - Elsewhere (or WASI_RESOLVE_WALK): walk the path one component at a time
 *   with O_NOFOLLOW, keeping a stack of directory fds. ".." pops the stack
 *   and may never pop the root; a symlink is read with readlinkat() and its
 *   text spliced in front of the rest of the path (absolute targets are
 *   refused), at most WASI_MAX_SYMLINKS times.
 *
 * Operations on a name (unlink, mkdir, rename, link, symlink, readlink,
 * stat without following) resolve the parent directory this way and then
 * use the *at() call on the last component with AT_SYMLINK_NOFOLLOW
 * semantics, so a final symlink is never followed by them. Trailing
 * slashes are stripped before that, because "link/" would follow "link".
 */
#include "wasi/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "os/beneath.h"
#include "wasi/wasi_int.h"

uint16_t
wasi_path_copy(const uint8_t *bytes, uint32_t len, char **out_path)
{
    *out_path = NULL;
    if (len == 0)
        return WASI_ENOENT;
    if (len > WASI_MAX_PATH)
        return WASI_ENAMETOOLONG;
    if (memchr(bytes, '\0', len))
        return WASI_EILSEQ;
    if (bytes[0] == '/')
        return WASI_ENOTCAPABLE;
    char *path = try_malloc((size_t)len + 1);
    if (!path)
        return WASI_ENOMEM;
    memcpy(path, bytes, len);
    path[len] = '\0';
    *out_path = path;
    return WASI_ESUCCESS;
}

/* The walk's directory stack: fds[0] is the root (borrowed), the rest owned. */
struct walk_stack {
    int fds[WASI_MAX_PATH / 2 + 2];
    size_t depth; /* number of entries; fds[depth-1] is the current directory */
};

static void
walk_unwind(struct walk_stack *st)
{
    while (st->depth > 1)
        close(st->fds[--st->depth]);
}

/*
 * Read the symlink 'name' in 'dir_fd'. Returns 0 and a new string in
 * *out_target, or a WASI errno (EINVAL when it is not a symlink).
 */
static uint16_t
read_link(int dir_fd, const char *name, char **out_target)
{
    char *buf = try_malloc(WASI_MAX_PATH + 1);
    if (!buf)
        return WASI_ENOMEM;
    ssize_t n = readlinkat(dir_fd, name, buf, WASI_MAX_PATH + 1);
    if (n < 0) {
        int e = errno;
        free(buf);
        return wasi_errno_from_host(e);
    }
    if (n > WASI_MAX_PATH) {
        free(buf);
        return WASI_ENAMETOOLONG;
    }
    buf[n] = '\0';
    *out_target = buf;
    return WASI_ESUCCESS;
}

/*
 * Component walk. 'path' is relative. Opens the final component with
 * 'flags' (O_NOFOLLOW forced; a symlink there is followed by splicing when
 * 'follow_last'). Every intermediate directory is opened with O_NOFOLLOW.
 */
static uint16_t
walk_open(int root_fd, const char *path, int flags, unsigned mode, bool follow_last, int *out_fd)
{
    /* 'rest' holds the part of the path still to resolve; symlink targets
     * are spliced in front of it. */
    size_t rest_cap = strlen(path) + 1;
    char *rest = try_malloc(rest_cap);
    if (!rest)
        return WASI_ENOMEM;
    memcpy(rest, path, rest_cap);
    struct walk_stack *st = try_malloc(sizeof(*st));
    if (!st) {
        free(rest);
        return WASI_ENOMEM;
    }
    st->fds[0] = root_fd;
    st->depth = 1;
    unsigned links = 0;
    uint16_t rc = WASI_ESUCCESS;
    char *cursor = rest;

    for (;;) {
        while (*cursor == '/')
            cursor++;
        char *end = strchr(cursor, '/');
        char *after = end ? end : cursor + strlen(cursor);
        const char *next = after;
        while (*next == '/')
            next++;
        bool is_last = *next == '\0';
        size_t comp_len = (size_t)(after - cursor);
        char comp[256];
        if (comp_len >= sizeof(comp)) {
            rc = WASI_ENAMETOOLONG;
            goto done;
        }
        memcpy(comp, cursor, comp_len);
        comp[comp_len] = '\0';
        bool has_slash_after = *after == '/';
        int cur = st->fds[st->depth - 1];

        if (comp_len == 0 || strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
            if (strcmp(comp, "..") == 0) {
                if (st->depth == 1) {
                    rc = WASI_ENOTCAPABLE;
                    goto done;
                }
                close(st->fds[--st->depth]);
            }
            if (is_last) {
                int fd = openat(st->fds[st->depth - 1], ".", flags | O_CLOEXEC, mode);
                if (fd < 0)
                    rc = wasi_errno_from_host(errno);
                else
                    *out_fd = fd;
                goto done;
            }
            cursor = (char *)next;
            continue;
        }

        int fd;
        if (is_last) {
            int f = flags | O_NOFOLLOW | O_CLOEXEC;
            if (has_slash_after)
                f |= O_DIRECTORY;
            fd = openat(cur, comp, f, mode);
        } else {
            fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd >= 0 && is_last && (flags & OS_O_PATH) && follow_last) {
            /* O_PATH | O_NOFOLLOW opens a symlink itself instead of failing. */
            struct stat lst;
            if (fstat(fd, &lst) == 0 && S_ISLNK(lst.st_mode)) {
                close(fd);
                fd = -1;
                errno = ELOOP;
            }
        }
        if (fd >= 0) {
            if (is_last) {
                *out_fd = fd;
                goto done;
            }
            if (st->depth >= sizeof(st->fds) / sizeof(st->fds[0])) {
                close(fd);
                rc = WASI_ENAMETOOLONG;
                goto done;
            }
            st->fds[st->depth++] = fd;
            cursor = (char *)next;
            continue;
        }
        int e = errno;
        /* O_NOFOLLOW on a symlink fails with ELOOP (Linux, macOS) or EMLINK
         * (FreeBSD); O_DIRECTORY on one may say ENOTDIR. Check for a link. */
        if (e != ELOOP && e != EMLINK && e != ENOTDIR) {
            rc = wasi_errno_from_host(e);
            goto done;
        }
        char *target = NULL;
        uint16_t lrc = read_link(cur, comp, &target);
        if (lrc != WASI_ESUCCESS) {
            rc = wasi_errno_from_host(e); /* not a symlink: the original error */
            goto done;
        }
        if (is_last && !follow_last && !has_slash_after) {
            free(target);
            rc = WASI_ELOOP;
            goto done;
        }
        if (++links > WASI_MAX_SYMLINKS) {
            free(target);
            rc = WASI_ELOOP;
            goto done;
        }
        if (target[0] == '/') {
            free(target);
            rc = WASI_ENOTCAPABLE;
            goto done;
        }
        /* New rest = target + "/" + remaining (the remaining may be empty). */
        size_t tlen = strlen(target), nlen = strlen(next);
        size_t need = tlen + 1 + nlen + 1;
        if (need > WASI_MAX_PATH * 2) {
            free(target);
            rc = WASI_ENAMETOOLONG;
            goto done;
        }
        char *nrest = try_malloc(need);
        if (!nrest) {
            free(target);
            rc = WASI_ENOMEM;
            goto done;
        }
        memcpy(nrest, target, tlen);
        size_t pos = tlen;
        if (nlen || has_slash_after) {
            nrest[pos++] = '/';
            memcpy(nrest + pos, next, nlen);
            pos += nlen;
        }
        nrest[pos] = '\0';
        free(target);
        free(rest);
        rest = nrest;
        cursor = rest;
    }
done:
    walk_unwind(st);
    free(st);
    free(rest);
    return rc;
}

uint16_t
wasi_path_open(int root_fd, const char *path, int flags, unsigned mode, bool follow_last,
               enum wasi_resolve_mode how, int *out_fd)
{
    *out_fd = -1;
    if (path[0] == '/')
        return WASI_ENOTCAPABLE;
    if (how == WASI_RESOLVE_AUTO) {
        int f = flags;
        if (!follow_last)
            f |= O_NOFOLLOW;
        int fd = os_open_beneath(root_fd, path, f, mode);
        if (fd >= 0) {
            *out_fd = fd;
            return WASI_ESUCCESS;
        }
        if (fd != -ENOSYS) {
            if (fd == -EXDEV)
                return WASI_ENOTCAPABLE;
            return wasi_errno_from_host(-fd);
        }
    }
    return walk_open(root_fd, path, flags, mode, follow_last, out_fd);
}

uint16_t
wasi_path_parent(int root_fd, const char *path, enum wasi_resolve_mode how, struct wasi_parent *out)
{
    out->dir_fd = -1;
    out->name = NULL;
    out->trailing_slash = false;
    if (path[0] == '/')
        return WASI_ENOTCAPABLE;
    size_t len = strlen(path);
    while (len > 0 && path[len - 1] == '/') {
        len--;
        out->trailing_slash = true;
    }
    if (len == 0)
        return WASI_ENOENT;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/')
        start--;
    const char *last = path + start;
    size_t last_len = len - start;
    bool is_dot =
        (last_len == 1 && last[0] == '.') || (last_len == 2 && last[0] == '.' && last[1] == '.');
    char *dir_path;
    if (is_dot) {
        dir_path = xstrndup(path, len); /* resolve the whole path as the directory */
        out->name = xstrdup(".");
    } else {
        dir_path = start ? xstrndup(path, start) : xstrdup(".");
        out->name = xstrndup(last, last_len);
    }
    int fd = -1;
    uint16_t rc = wasi_path_open(root_fd, dir_path, O_RDONLY | O_DIRECTORY, 0, true, how, &fd);
    free(dir_path);
    if (rc != WASI_ESUCCESS) {
        free(out->name);
        out->name = NULL;
        return rc;
    }
    out->dir_fd = fd;
    return WASI_ESUCCESS;
}

void
wasi_parent_release(struct wasi_parent *parent)
{
    if (!parent)
        return;
    if (parent->dir_fd >= 0)
        close(parent->dir_fd);
    free(parent->name);
    parent->dir_fd = -1;
    parent->name = NULL;
}

/* Apply the components of s[0, len) to *depth lexically; false once it
 * would climb above 0. */
static bool
lexical_depth(const char *s, size_t len, long *depth)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && s[i] == '/')
            i++;
        size_t j = i;
        while (j < len && s[j] != '/')
            j++;
        size_t n = j - i;
        if (n == 2 && s[i] == '.' && s[i + 1] == '.') {
            if (--*depth < 0)
                return false;
        } else if (n > 0 && !(n == 1 && s[i] == '.')) {
            ++*depth;
        }
        i = j;
    }
    return true;
}

bool
wasi_symlink_target_ok(const char *link_path, const char *target)
{
    if (target[0] == '\0' || target[0] == '/')
        return false;
    size_t len = strlen(link_path);
    while (len > 0 && link_path[len - 1] == '/')
        len--;
    size_t parent_len = len;
    while (parent_len > 0 && link_path[parent_len - 1] != '/')
        parent_len--;
    long depth = 0;
    if (!lexical_depth(link_path, parent_len, &depth))
        return false;
    return lexical_depth(target, strlen(target), &depth);
}
