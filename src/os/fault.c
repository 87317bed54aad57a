/* fault.c: the I/O fault-injection countdown (see fault.h). The one piece
 * of process-wide mutable state in os/, and only a counter for tests. */
#include "os/fault.h"

#include <stdatomic.h>
#include <stdlib.h>

/* -2: the environment was not read yet; -1 (or 0): off; N > 0: steps left. */
static atomic_long io_countdown = -2;

bool
os_fault_io(void)
{
    long v = atomic_load_explicit(&io_countdown, memory_order_relaxed);
    if (v == -2) {
        const char *s = getenv("PERCH_FAIL_IO_AT");
        long n = s ? strtol(s, NULL, 10) : 0;
        long expected = -2;
        atomic_compare_exchange_strong(&io_countdown, &expected, n > 0 ? n : -1);
        v = atomic_load(&io_countdown);
    }
    if (v <= 0)
        return false;
    return atomic_fetch_sub(&io_countdown, 1) == 1;
}

void
os_fault_io_countdown(long n)
{
    atomic_store(&io_countdown, n > 0 ? n : -1);
}
