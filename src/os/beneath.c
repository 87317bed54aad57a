/*
 * src/os/beneath.c: os_open_beneath() on Linux through the openat2 system
 * call (5.6+), called by number so that older C libraries still build.
 * Everywhere else it reports -ENOSYS and src/wasi/path.c walks the path.
 */
#include "os/beneath.h"

#include <errno.h>

#if defined(__linux__)
# include <sys/syscall.h>
# include <unistd.h>
# if __has_include(<linux/openat2.h>)
#  include <linux/openat2.h>
# endif
#endif

#if defined(__linux__) && defined(SYS_openat2) && defined(RESOLVE_BENEATH)

int
os_open_beneath(int dirfd, const char *path, int flags, unsigned mode)
{
    struct open_how how = { 0 };
    how.flags = (unsigned long long)(unsigned)(flags | O_CLOEXEC);
    /* open_how.mode must be 0 unless a file may be created. */
    if (flags & O_CREAT)
        how.mode = mode;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    /* openat2 may report EAGAIN when a concurrent rename races a
     * RESOLVE_BENEATH lookup; retry a few times before giving up. */
    for (int attempt = 0; attempt < 16; attempt++) {
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        if (errno == EINTR || errno == EAGAIN)
            continue;
        if (errno == ENOSYS) /* kernel older than 5.6, or a filter hides it */
            return -ENOSYS;
        return -errno;
    }
    return -EAGAIN;
}

#else

int
os_open_beneath(int dirfd, const char *path, int flags, unsigned mode)
{
    (void)dirfd;
    (void)path;
    (void)flags;
    (void)mode;
    return -ENOSYS;
}

#endif
