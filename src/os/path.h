/*
 * src/os/path.h: lexical path manipulation ('/'-separated, POSIX rules).
 *
 * Nothing here touches the filesystem: symlinks are not resolved, so
 * os_path_clean("a/link/..") is "a" even when 'link' points elsewhere. This
 * is what scripts expect of path_join and friends (like Go's path/filepath).
 * Every function returns a new string; the caller frees it with free().
 */
#ifndef PERCH_OS_PATH_H
#define PERCH_OS_PATH_H

#include <stdbool.h>

static inline bool
os_path_is_abs(const char *path)
{
    return path[0] == '/';
}

/* Shortest equivalent path: collapses "//", removes "." and resolves ".."
 * lexically ("/.." is "/", a leading ".." of a relative path stays).
 * The empty path becomes ".". */
char *os_path_clean(const char *path);
/* Join two paths and clean the result; an absolute 'b' replaces 'a'.
 * An empty part is skipped. */
char *os_path_join(const char *a, const char *b);
/* 'path' made absolute against 'base' (itself absolute), then cleaned. */
char *os_path_abs(const char *base, const char *path);
/* Last element after removing trailing slashes: "a/b.txt" → "b.txt",
 * "/" → "/", "" → ".". */
char *os_path_base(const char *path);
/* Everything but the last element, cleaned: "a/b" → "a", "b" → ".",
 * "/b" → "/". */
char *os_path_dir(const char *path);
/* Extension of the last element including the dot ("x.tar.gz" → ".gz"),
 * or "" when there is none. A leading dot (".bashrc") is not an extension. */
char *os_path_ext(const char *path);
/* Last element without its extension ("dir/x.tar.gz" → "x.tar"). */
char *os_path_stem(const char *path);
/* 'target' relative to 'base'. Both are made absolute against 'cwd' first
 * ('cwd' must be absolute). Never fails: "/a/b" from "/a/c" is "../b". */
char *os_path_rel(const char *cwd, const char *base, const char *target);

#endif
