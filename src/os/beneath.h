/*
 * src/os/beneath.h: open a path so that its resolution cannot leave a
 * directory (Linux openat2 with RESOLVE_BENEATH). Used by src/wasi/path.c,
 * which falls back to its own component walk where this is unsupported.
 */
#ifndef PERCH_OS_BENEATH_H
#define PERCH_OS_BENEATH_H

#include <fcntl.h>

/* Flag for "a handle for resolution only" (O_PATH where it exists, else 0). */
#ifdef O_PATH
# define OS_O_PATH O_PATH
#else
# define OS_O_PATH 0
#endif

/*
 * openat(dirfd, path, flags, mode), except that resolution (including "..",
 * absolute paths and every symlink, intermediate or final) must stay beneath
 * 'dirfd', and "magic" /proc links are never followed. Returns the new fd,
 * or -errno: -EXDEV when the path would escape, -ENOSYS when the platform or
 * kernel cannot do this (the caller must then walk the path itself).
 * O_CLOEXEC is always added.
 */
int os_open_beneath(int dirfd, const char *path, int flags, unsigned mode);

#endif
