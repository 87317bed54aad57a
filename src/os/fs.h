/*
 * src/os/fs.h: filesystem helpers with perch's error idiom.
 *
 * Paths are used as given: callers resolve them against their own working
 * directory first (the process cwd is never changed). Failures fill 'err'
 * with code = errno and a "cannot <verb> '<path>': <strerror>" message; a
 * missing file or directory has kind ERR_NOT_FOUND, anything else ERR_IO.
 */
#ifndef PERCH_OS_FS_H
#define PERCH_OS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stat;

struct err;
struct sbuf;

/* A list of owned strings. */
struct os_strlist {
    char **items;
    size_t count, cap;
};
void os_strlist_push_take(struct os_strlist *list, char *s);
void os_strlist_sort(struct os_strlist *list); /* byte order (strcmp) */
void os_strlist_release(struct os_strlist *list);

/* err_errno() whose kind is ERR_NOT_FOUND for ENOENT and ENOTDIR. */
bool os_errno(struct err *err, int errnum, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

enum os_fs_type {
    OS_FS_NONE, /* does not exist */
    OS_FS_FILE, /* regular file */
    OS_FS_DIR,
    OS_FS_LINK,  /* only from os_fs_lstat */
    OS_FS_OTHER, /* device, fifo, socket */
};

struct os_fs_info {
    enum os_fs_type type;
    uint64_t size;    /* bytes */
    unsigned mode;    /* permission bits (07777) */
    int64_t mtime_ns; /* since the epoch */
};

/* stat (following symlinks) / lstat. A missing path is not an error:
 * out->type is OS_FS_NONE and the call returns true. */
bool os_fs_stat(const char *path, struct os_fs_info *out, struct err *err);
bool os_fs_lstat(const char *path, struct os_fs_info *out, struct err *err);

/* Append the whole file to 'out'. Fails with ERR_LIMIT when it is larger
 * than 'max_len' bytes (0 = no limit beyond memory). */
bool os_fs_read_file(const char *path, size_t max_len, struct sbuf *out, struct err *err);

/*
 * Replace 'path' with 'data' atomically: write a temporary file in the same
 * directory, fsync it, then rename() it over 'path'. Readers see the old or
 * the new content, never a mix. An existing file keeps its permission bits;
 * a new one gets 0666 minus the umask. When 'path' is a symlink to a file,
 * the file it points to is replaced and the link stays.
 */
bool os_fs_write_atomic(const char *path, const void *data, size_t len, struct err *err);
/* Create a temporary file next to 'path' ready for os_fs_commit_temp (used by
 * downloads that stream). Returns the fd and the temp path (caller frees). */
int os_fs_open_temp_beside(const char *path, char **out_temp_path, struct err *err);
/* fsync and close 'fd', then rename 'temp_path' to 'path' (keeping the mode
 * of an existing 'path'). On failure the temp file is removed. */
bool os_fs_commit_temp(int fd, const char *temp_path, const char *path, struct err *err);
/* Append to 'path', creating it when missing. */
bool os_fs_append(const char *path, const void *data, size_t len, struct err *err);

/* mkdir -p: create 'path' and its missing parents; an existing directory is
 * fine, an existing non-directory is an error. */
bool os_fs_mkdir_p(const char *path, unsigned mode, struct err *err);
/* Is the file 'st' describes ours (owned by the effective user) and writable
 * by nobody else (no group or other write bit)? What caches and extraction
 * directories must be before perch trusts what they hold. */
bool os_fs_stat_is_private(const struct stat *st);

/*
 * Remove a file, symlink or whole directory tree. Symlinks are removed,
 * never followed (the walk uses openat/unlinkat with O_NOFOLLOW, so a
 * symlink swapped in during the walk cannot redirect it). A missing
 * 'path' fails with ERR_NOT_FOUND.
 */
bool os_fs_remove_tree(const char *path, struct err *err);

/*
 * Copy a file or a directory tree to 'dst' (which must not exist inside
 * 'src'). Files keep their permission bits; symlinks inside a tree are
 * recreated as symlinks; a top-level symlink is followed. An existing
 * destination file is replaced atomically.
 */
bool os_fs_copy(const char *src, const char *dst, struct err *err);

/* rename(), falling back to copy + remove across filesystems. */
bool os_fs_move(const char *src, const char *dst, struct err *err);

/* Names in directory 'path' (without "." and ".."), sorted. */
bool os_fs_list_dir(const char *path, struct os_strlist *out, struct err *err);

/* Create a fresh directory / empty file "<dir>/<prefix>XXXXXX" (mode 0700 /
 * 0600). Returns the new path (caller frees) or NULL. */
char *os_fs_mkdtemp(const char *dir, const char *prefix, struct err *err);
char *os_fs_mkstemp(const char *dir, const char *prefix, struct err *err);

/* Create 'path' empty when missing, else set its times to now. */
bool os_fs_touch(const char *path, struct err *err);

#endif
