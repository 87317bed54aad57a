/*
 * src/observe/progress.h: the one-line progress indicator of long
 * `parallel` blocks ("⋯ parallel: 37/200 done, 1 failed (2.1s)").
 *
 * Shown only on a terminal, and never when NO_COLOR or CI is set
 * (observe_progress_wanted). The line is redrawn in place ("\r" + erase to
 * the end of line) at most every OBSERVE_PROGRESS_EVERY_NS, and erased by
 * observe_progress_clear before anything else is printed and at the end,
 * so it never mixes with output lines. Thread-safe: branches on several
 * threads report into one indicator.
 */
#ifndef PERCH_OBSERVE_PROGRESS_H
#define PERCH_OBSERVE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "os/thread.h"

#define OBSERVE_PROGRESS_EVERY_NS (INT64_C(100) * 1000000)
/* Room for any formatted line, NUL included. */
#define OBSERVE_PROGRESS_LINE_MAX 128

struct observe_progress {
    struct os_mutex lock; /* everything below */
    FILE *out;            /* NULL: the indicator is off */
    const char *label;    /* "parallel"; borrowed */
    size_t total, done, failed;
    int64_t start_ns, drawn_ns; /* CLOCK_MONOTONIC */
    bool shown;                 /* a line is on the screen now */
};

/* Should an indicator for 'total' items be drawn on 'fd'? 'no_color' and
 * 'ci' are the values of NO_COLOR and CI (NULL when unset): any non-empty
 * value turns it off. 'min_items': more items than this are needed. */
bool observe_progress_wanted(int fd, size_t total, size_t min_items, const char *no_color,
                             const char *ci);

/* Start an indicator; 'out' NULL makes every other call a no-op. */
void observe_progress_init(struct observe_progress *p, FILE *out, const char *label, size_t total);
/* One item finished ('ok' false: it failed); redraws when due. */
void observe_progress_step(struct observe_progress *p, bool ok);
/* Erase the line if it is shown (call before printing anything else, with
 * observe_progress_lock held when the caller prints under it). */
void observe_progress_lock(struct observe_progress *p);
void observe_progress_clear_locked(struct observe_progress *p);
void observe_progress_unlock(struct observe_progress *p);
/* Erase the line and release the indicator. */
void observe_progress_finish(struct observe_progress *p);

/* The line's text (without "\r" and erase): "⋯ LABEL: D/T done[, F failed] (ELAPSED)". */
void observe_progress_format(const char *label, size_t done, size_t total, size_t failed,
                             int64_t elapsed_ns, char *buf, size_t size);

#endif
