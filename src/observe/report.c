/*
 * report.c: --report[=PATH], the span tree with durations, printed once the
 * run is over: to stderr, or to PATH, which is replaced atomically (a new
 * file next to it, renamed over it once written whole).
 */
#include "observe/observe_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/xalloc.h"

#define NO_NODE SIZE_MAX

struct report_node {
    const struct exec_span *span; /* while open; NULL once closed */
    char *label;                  /* "kind preview" */
    int depth;
    size_t parent; /* index of the enclosing span's node; NO_NODE at the top */
    size_t first_child, last_child, next_sibling; /* the tree, in start order */
    int64_t dur_ns;
    bool ok;
    char *error;
};

void
observe_report_start(struct observe *o, const struct exec_span *span)
{
    struct sbuf label = SBUF_INIT;
    sbuf_adds(&label, span->kind);
    observe_preview(&label, span);
    os_mutex_lock(&o->lock);
    o->nodes = xgrow(o->nodes, &o->node_cap, o->node_count + 1, sizeof(*o->nodes));
    struct report_node *n = &o->nodes[o->node_count++];
    memset(n, 0, sizeof(*n));
    n->span = span;
    n->label = sbuf_detach(&label, NULL);
    n->depth = span->depth;
    n->parent = n->first_child = n->last_child = n->next_sibling = NO_NODE;
    /* The parent is the open node of span->parent (parallel branches open
     * spans from other threads under the block's span). */
    size_t self = o->node_count - 1;
    for (size_t i = self; span->parent && i > 0; i--) {
        struct report_node *p = &o->nodes[i - 1];
        if (p->span != span->parent)
            continue;
        n->parent = i - 1;
        if (p->last_child == NO_NODE)
            p->first_child = self;
        else
            o->nodes[p->last_child].next_sibling = self;
        p->last_child = self;
        break;
    }
    os_mutex_unlock(&o->lock);
}

void
observe_report_end(struct observe *o, const struct exec_span *span, int64_t dur_ns,
                   const struct err *err)
{
    os_mutex_lock(&o->lock);
    for (size_t i = o->node_count; i > 0; i--) {
        struct report_node *n = &o->nodes[i - 1];
        if (n->span != span)
            continue;
        n->span = NULL;
        n->dur_ns = dur_ns;
        n->ok = err == NULL;
        if (err) {
            struct sbuf e = SBUF_INIT;
            observe_add_err(&e, err);
            n->error = sbuf_detach(&e, NULL);
        }
        break;
    }
    os_mutex_unlock(&o->lock);
}

void
observe_report_format(const struct observe *o, struct sbuf *out)
{
    sbuf_adds(out, "report:\n");
    /* Depth first along the tree: each span, then its children in start
     * order. Top-level spans are the nodes without a parent. */
    for (size_t top = 0; top < o->node_count; top++) {
        if (o->nodes[top].parent != NO_NODE)
            continue;
        size_t i = top;
        while (i != NO_NODE) {
            const struct report_node *n = &o->nodes[i];
            char dur[DURATION_FORMAT_MAX];
            duration_format(n->dur_ns, dur, sizeof(dur));
            sbuf_addf(out, "%*s%s %s (%s)", 2 + 2 * n->depth, "", n->ok ? "\u2713" : "\u2717",
                      n->label, dur);
            if (n->error)
                sbuf_addf(out, ": %s", n->error);
            sbuf_addc(out, '\n');
            /* Next: the first child, else the next sibling of this node or
             * of the nearest ancestor below 'top' that has one. */
            if (n->first_child != NO_NODE) {
                i = n->first_child;
                continue;
            }
            while (i != top && o->nodes[i].next_sibling == NO_NODE)
                i = o->nodes[i].parent;
            i = i == top ? NO_NODE : o->nodes[i].next_sibling;
        }
    }
}

bool
observe_report_print(struct observe *o, struct err *err)
{
    struct sbuf text = SBUF_INIT;
    observe_report_format(o, &text);
    bool ok = true;
    if (o->report_path) {
        ok = observe_write_file_atomic(o->report_path, text.buf, text.len, err);
        if (!ok)
            err_prefix(err, "--report");
    } else {
        FILE *f = o->report_out ? o->report_out : stderr;
        fwrite(text.buf, 1, text.len, f);
        fflush(f);
    }
    sbuf_release(&text);
    return ok;
}

void
observe_report_release(struct observe *o)
{
    for (size_t i = 0; i < o->node_count; i++) {
        free(o->nodes[i].label);
        free(o->nodes[i].error);
    }
    free(o->nodes);
    o->nodes = NULL;
    o->node_count = o->node_cap = 0;
}

/* ---- the report file ------------------------------------------------------ */

/* Where the bytes for 'path' go: through a symlink to its target (the link
 * stays a link), else 'path' itself. Free the result. */
static char *
write_target(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (real) {
            char *copy = xstrdup(real);
            free(real);
            return copy;
        }
    }
    return xstrdup(path);
}

/* A new file named PATH.tmp-PID-N, created exclusively; -1 with errno. */
static int
create_temp(const char *path, char **out_name)
{
    static const int attempts = 100;
    for (int i = 0; i < attempts; i++) {
        char *name = xasprintf("%s.tmp-%ld-%d", path, (long)getpid(), i);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            *out_name = name;
            return fd;
        }
        int e = errno;
        free(name);
        if (e != EEXIST) {
            errno = e;
            return -1;
        }
    }
    errno = EEXIST;
    return -1;
}

bool
observe_report_check_path(const char *path, struct err *err)
{
    /* What the final rename needs: a directory we can create files in, and
     * no directory (or read-only file) in the way. Nothing is left behind. */
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return err_errno(err, EISDIR, "--report: cannot write '%s'", path);
        if (access(path, W_OK) != 0)
            return err_errno(err, errno, "--report: cannot write '%s'", path);
    }
    char *target = write_target(path);
    char *name = NULL;
    int fd = create_temp(target, &name);
    int e = errno;
    free(target);
    if (fd < 0)
        return err_errno(err, e, "--report: cannot write '%s'", path);
    close(fd);
    unlink(name);
    free(name);
    return true;
}

bool
observe_write_file_atomic(const char *path, const char *data, size_t len, struct err *err)
{
    char *target = write_target(path);
    char *name = NULL;
    int fd = create_temp(target, &name);
    if (fd < 0) {
        int e = errno;
        free(target);
        return err_errno(err, e, "cannot write '%s'", path);
    }
    int e = 0;
    for (size_t done = 0; done < len && !e;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            e = n < 0 ? errno : EIO;
        else
            done += (size_t)n;
    }
    if (!e && fsync(fd) != 0 && errno != EINVAL)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(name, target) != 0)
        e = errno;
    if (e)
        unlink(name);
    free(name);
    free(target);
    if (e)
        return err_errno(err, e, "cannot write '%s'", path);
    return true;
}
