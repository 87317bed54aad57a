/*
 * src/os/clock.h: monotonic and wall clocks, and a sleep that wakes early.
 *
 * Deadlines everywhere in perch are CLOCK_MONOTONIC instants in nanoseconds
 * (0 = none), so they survive wall-clock jumps.
 */
#ifndef PERCH_OS_CLOCK_H
#define PERCH_OS_CLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define OS_NS_PER_MS  INT64_C(1000000)
#define OS_NS_PER_SEC INT64_C(1000000000)

/* Nanoseconds on the monotonic clock (arbitrary origin, never goes back). */
int64_t os_clock_mono_ns(void);
/* Nanoseconds since the Unix epoch on the wall clock. */
int64_t os_clock_wall_ns(void);

/* Why os_sleep_ns returned. */
enum os_sleep_result {
    OS_SLEEP_DONE,        /* the full duration elapsed */
    OS_SLEEP_INTERRUPTED, /* *interrupt became non-zero */
    OS_SLEEP_DEADLINE,    /* the deadline was reached before the duration */
};

/*
 * Sleep for 'duration_ns', waking early when '*interrupt' becomes non-zero
 * (polled every few milliseconds; 'interrupt' may be NULL) or when the
 * monotonic 'deadline_ns' passes (0 = none). Thread-safe.
 */
enum os_sleep_result os_sleep_ns(int64_t duration_ns, int64_t deadline_ns, atomic_int *interrupt);

/* Milliseconds left until 'deadline_ns' (0 = none → -1); 0 when passed.
 * Handy for poll() timeouts. Clamped to INT32_MAX. */
int os_deadline_ms_left(int64_t deadline_ns);

#endif
