/*
 * observe.c: the observer that fans each span out to the trace, the report
 * and the audit log (observe.h), and the session around them.
 */
#include "observe/observe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "observe/observe_int.h"
#include "os/clock.h"

static void
obs_start(struct exec_observer *obs, const struct exec_span *span)
{
    struct observe *o = (struct observe *)obs;
    if (o->trace_sink)
        observe_trace_start(o, span);
    if (o->report)
        observe_report_start(o, span);
}

static void
obs_end(struct exec_observer *obs, const struct exec_span *span, int64_t dur_ns,
        const struct err *err)
{
    struct observe *o = (struct observe *)obs;
    if (o->trace_sink)
        observe_trace_end(o, span, dur_ns, err);
    if (o->report)
        observe_report_end(o, span, dur_ns, err);
    if (o->audit_fd >= 0)
        observe_audit_span(o, span, dur_ns, err);
}

struct observe *
observe_new(const struct observe_opts *opts, struct err *err)
{
    /* Fail before anything runs rather than lose the report after the run. */
    if (opts->report_path && !observe_report_check_path(opts->report_path, err))
        return NULL;
    int audit_fd = -1;
    if (opts->audit_path) {
        audit_fd = open(opts->audit_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (audit_fd < 0) {
            err_errno(err, errno, "--audit: cannot open '%s'", opts->audit_path);
            return NULL;
        }
    }
    struct observe *o = xcalloc(1, sizeof(*o));
    o->base.span_start = obs_start;
    o->base.span_end = obs_end;
    os_mutex_init(&o->lock);
    o->trace_sink = opts->trace_sink;
    o->report = opts->report;
    o->report_path = opts->report_path;
    o->report_out = opts->report_out;
    o->audit_fd = audit_fd;
    o->start_ns = os_clock_mono_ns();
    return o;
}

struct exec_observer *
observe_observer(struct observe *o)
{
    if (!o || (!o->trace_sink && !o->report && o->audit_fd < 0))
        return NULL;
    return &o->base;
}

void
observe_session_start(struct observe *o, const char *file, int argc, char *const *argv)
{
    if (o && o->audit_fd >= 0)
        observe_audit_session_start(o, file, argc, argv);
}

bool
observe_session_end(struct observe *o, int status, const struct err *run_err, struct err *err)
{
    if (!o)
        return true;
    bool ok = true;
    if (o->report)
        ok = observe_report_print(o, err);
    if (o->audit_fd >= 0)
        observe_audit_session_end(o, status, run_err);
    return ok;
}

void
observe_free(struct observe *o)
{
    if (!o)
        return;
    observe_report_release(o);
    if (o->audit_fd >= 0)
        close(o->audit_fd);
    os_mutex_release(&o->lock);
    free(o);
}
