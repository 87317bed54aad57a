/*
 * progress.c: the progress line of long `parallel` blocks (progress.h).
 */
#include "observe/progress.h"

#include <string.h>
#include <unistd.h>

#include "base/duration.h"
#include "os/clock.h"

static int64_t
mono_ns(void)
{
    return os_clock_mono_ns();
}

bool
observe_progress_wanted(int fd, size_t total, size_t min_items, const char *no_color,
                        const char *ci)
{
    if (total <= min_items)
        return false;
    if ((no_color && no_color[0]) || (ci && ci[0]))
        return false;
    return isatty(fd) == 1;
}

void
observe_progress_format(const char *label, size_t done, size_t total, size_t failed,
                        int64_t elapsed_ns, char *buf, size_t size)
{
    char el[DURATION_FORMAT_MAX];
    duration_format(elapsed_ns, el, sizeof(el));
    if (failed)
        snprintf(buf, size, "\u22ef %s: %zu/%zu done, %zu failed (%s)", label, done, total,
                 failed, el);
    else
        snprintf(buf, size, "\u22ef %s: %zu/%zu done (%s)", label, done, total, el);
}

void
observe_progress_init(struct observe_progress *p, FILE *out, const char *label, size_t total)
{
    memset(p, 0, sizeof(*p));
    os_mutex_init(&p->lock);
    p->out = out;
    p->label = label;
    p->total = total;
    p->start_ns = mono_ns();
}

static void
draw(struct observe_progress *p, int64_t now)
{
    char line[OBSERVE_PROGRESS_LINE_MAX];
    observe_progress_format(p->label, p->done, p->total, p->failed, now - p->start_ns, line,
                            sizeof(line));
    fprintf(p->out, "\r\033[K%s", line);
    fflush(p->out);
    p->shown = true;
    p->drawn_ns = now;
}

void
observe_progress_step(struct observe_progress *p, bool ok)
{
    os_mutex_lock(&p->lock);
    p->done++;
    if (!ok)
        p->failed++;
    if (p->out) {
        int64_t now = mono_ns();
        if (!p->shown || now - p->drawn_ns >= OBSERVE_PROGRESS_EVERY_NS)
            draw(p, now);
    }
    os_mutex_unlock(&p->lock);
}

void
observe_progress_lock(struct observe_progress *p)
{
    os_mutex_lock(&p->lock);
}

void
observe_progress_clear_locked(struct observe_progress *p)
{
    if (p->out && p->shown) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
        p->shown = false;
    }
}

void
observe_progress_unlock(struct observe_progress *p)
{
    os_mutex_unlock(&p->lock);
}

void
observe_progress_finish(struct observe_progress *p)
{
    os_mutex_lock(&p->lock);
    observe_progress_clear_locked(p);
    os_mutex_unlock(&p->lock);
    os_mutex_release(&p->lock);
}
