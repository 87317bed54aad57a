/* clock.c: monotonic and wall clocks, interruptible sleep (see clock.h). */
#include "os/clock.h"

#include <errno.h>
#include <time.h>

int64_t
os_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * OS_NS_PER_SEC + ts.tv_nsec;
}

int64_t
os_clock_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * OS_NS_PER_SEC + ts.tv_nsec;
}

/* Longest single nap between interrupt-flag checks. */
#define SLEEP_SLICE_NS (20 * OS_NS_PER_MS)

static void
nap(int64_t ns)
{
    struct timespec ts = { .tv_sec = (time_t)(ns / OS_NS_PER_SEC),
                           .tv_nsec = (long)(ns % OS_NS_PER_SEC) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

enum os_sleep_result
os_sleep_ns(int64_t duration_ns, int64_t deadline_ns, atomic_int *interrupt)
{
    int64_t start = os_clock_mono_ns();
    int64_t end = duration_ns > 0 ? start + duration_ns : start;
    for (;;) {
        if (interrupt && atomic_load(interrupt))
            return OS_SLEEP_INTERRUPTED;
        int64_t now = os_clock_mono_ns();
        if (deadline_ns > 0 && now >= deadline_ns && now < end)
            return OS_SLEEP_DEADLINE;
        if (now >= end)
            return OS_SLEEP_DONE;
        int64_t wake = end;
        if (deadline_ns > 0 && deadline_ns < wake)
            wake = deadline_ns;
        int64_t slice = wake - now;
        if (interrupt && slice > SLEEP_SLICE_NS)
            slice = SLEEP_SLICE_NS;
        nap(slice);
    }
}

int
os_deadline_ms_left(int64_t deadline_ns)
{
    if (deadline_ns <= 0)
        return -1;
    int64_t left = deadline_ns - os_clock_mono_ns();
    if (left <= 0)
        return 0;
    int64_t ms = (left + OS_NS_PER_MS - 1) / OS_NS_PER_MS;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}
