/*
 * src/os/stat_ns.h: the nanosecond timestamps of a struct stat, whose field
 * names differ between Linux (st_atim) and macOS (st_atimespec).
 */
#ifndef PERCH_OS_STAT_NS_H
#define PERCH_OS_STAT_NS_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

static inline uint64_t
os_timespec_ns(struct timespec ts)
{
    if (ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__APPLE__)
# define OS_STAT_ATIM(st) ((st)->st_atimespec)
# define OS_STAT_MTIM(st) ((st)->st_mtimespec)
# define OS_STAT_CTIM(st) ((st)->st_ctimespec)
#else
# define OS_STAT_ATIM(st) ((st)->st_atim)
# define OS_STAT_MTIM(st) ((st)->st_mtim)
# define OS_STAT_CTIM(st) ((st)->st_ctim)
#endif

/* Access, modification and status-change times in ns since the epoch (0 before it). */
static inline uint64_t
os_stat_atime_ns(const struct stat *st)
{
    return os_timespec_ns(OS_STAT_ATIM(st));
}
static inline uint64_t
os_stat_mtime_ns(const struct stat *st)
{
    return os_timespec_ns(OS_STAT_MTIM(st));
}
static inline uint64_t
os_stat_ctime_ns(const struct stat *st)
{
    return os_timespec_ns(OS_STAT_CTIM(st));
}

#endif
