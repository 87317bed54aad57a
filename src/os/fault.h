/*
 * src/os/fault.h: I/O fault injection for tests (STYLE C.10).
 *
 * PERCH_FAIL_IO_AT=N in the environment (or os_fault_io_countdown(N) in a
 * unit test) makes the Nth fallible I/O step of os/ fail with EIO: opening,
 * writing, syncing and renaming files, and starting a process. A driver
 * runs a scenario with N = 1, 2, 3 ... until it completes, checking each
 * time that the failure is reported cleanly and nothing is left behind.
 * With neither set, the check is one relaxed atomic load.
 */
#ifndef PERCH_OS_FAULT_H
#define PERCH_OS_FAULT_H

#include <stdbool.h>

/* True when this I/O step must fail (and counts the step). */
bool os_fault_io(void);
/* Arm the countdown: the Nth next step fails; 0 turns injection off. */
void os_fault_io_countdown(long n);

#endif
