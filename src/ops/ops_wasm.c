/*
 * src/ops/ops_wasm.c: run a WASI command module for `wasm_run` and
 * `perch wasm run` (REFERENCE.md §3).
 *
 * Steps: check `requires` (module read, mounts read/write), read the bytes
 * (or take a bundle's), get the compiled module from the SHA-256 cache,
 * resolve mounts (/ro/<basename>, /rw/<basename>, or `at`), then
 * wasi_run() with a fresh interrupt flag that a watchdog thread raises when
 * the op's deadline passes or the run is cancelled. Engine and WASI errors
 * become op errors whose message starts with `wasm_run "PATH": ` and says
 * what to do about them. With `wasm_allow_host`, perch's own host module
 * (perch.http_get, over libcurl) is linked too, limited to those hosts.
 */
#include "ops/http_client.h"
#include "ops/ops_wasm.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/progname.h"
#include "base/xalloc.h"
#include "os/path.h"
#include "wasi/wasi.h"
#include "wasm/wasm.h"

#define MODULE_MAX_BYTES  (1024u * 1024u * 1024u) /* 1 GiB: far beyond any real module */
#define WATCH_SLICE_NS    10000000LL              /* how often the watchdog looks */
#define CAPTURE_MAX_BYTES (256u * 1024u * 1024u)  /* stdout kept for `x = wasm_run` */

/* ---- the watchdog -------------------------------------------------------- */

enum stop_reason {
    STOP_NONE = 0,
    STOP_DEADLINE,
    STOP_CANCEL,
};

struct watchdog {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool is_done;            /* protected by 'lock' */
    atomic_int flag;         /* the instance's interrupt flag */
    atomic_int reason;       /* enum stop_reason */
    const atomic_int *outer; /* the op's cancel flag; may be NULL */
    int64_t deadline_ns;     /* CLOCK_MONOTONIC; 0 = none */
};

static int64_t
mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *
watchdog_main(void *arg)
{
    struct watchdog *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->is_done) {
        if (w->outer && atomic_load(w->outer)) {
            atomic_store(&w->reason, STOP_CANCEL);
            atomic_store(&w->flag, 1);
            break;
        }
        int64_t now = mono_ns();
        if (w->deadline_ns && now >= w->deadline_ns) {
            atomic_store(&w->reason, STOP_DEADLINE);
            atomic_store(&w->flag, 1);
            break;
        }
        int64_t wait = WATCH_SLICE_NS;
        if (w->deadline_ns && w->deadline_ns - now < wait)
            wait = w->deadline_ns - now;
        /* The condition variable uses CLOCK_REALTIME; a short relative wait
         * is all that is needed, so a clock step only shifts one slice. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)wait;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static bool
watchdog_start(struct watchdog *w, const atomic_int *outer, int64_t deadline_ns)
{
    memset(w, 0, sizeof(*w));
    atomic_init(&w->flag, 0);
    atomic_init(&w->reason, STOP_NONE);
    w->outer = outer;
    w->deadline_ns = deadline_ns;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (!outer && !deadline_ns)
        return false; /* nothing to watch: no thread */
    if (pthread_create(&w->thread, NULL, watchdog_main, w) != 0)
        BUG("cannot start the wasm watchdog thread");
    return true;
}

static void
watchdog_stop(struct watchdog *w, bool is_running)
{
    if (is_running) {
        pthread_mutex_lock(&w->lock);
        w->is_done = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
}

/* ---- output ------------------------------------------------------------- */

struct sinks {
    struct op_ctx *ctx;
    struct sbuf *capture;
    atomic_int *stop; /* the instance's interrupt flag */
    size_t max;       /* capture limit in bytes */
    bool is_overflow; /* the capture reached 'max'; the run was stopped */
};

static void
guest_stdout(void *user, const char *data, size_t len)
{
    struct sinks *s = user;
    if (s->capture) {
        if (s->is_overflow)
            return;
        if (len > s->max - s->capture->len) {
            /* A captured value lives in memory: stop a module that would
             * grow it without bound rather than exhaust the host. */
            s->is_overflow = true;
            atomic_store(s->stop, 1);
            return;
        }
        sbuf_add(s->capture, data, len);
    } else
        op_output(s->ctx, 1, data, len);
}

static void
guest_stderr(void *user, const char *data, size_t len)
{
    struct sinks *s = user;
    op_output(s->ctx, 2, data, len);
}

/* ---- helpers -------------------------------------------------------------- */

static const char *
path_basename(const char *path, char *buf, size_t cap)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/')
        start--;
    size_t n = len - start;
    if (n == 0 || (n == 1 && path[start] == '/'))
        return "root";
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, path + start, n);
    buf[n] = '\0';
    return buf;
}

/* Two guest paths name the same place: compared with repeated and trailing
 * slashes ignored ("/ro//data/" is "/ro/data"). */
static bool
guest_same(const char *a, const char *b)
{
    for (;;) {
        while (a[0] == '/' && (a[1] == '/' || a[1] == '\0'))
            a++;
        while (b[0] == '/' && (b[1] == '/' || b[1] == '\0'))
            b++;
        if (*a != *b)
            return false;
        if (!*a)
            return true;
        a++;
        b++;
    }
}

/* Read the whole module file; false with ERR_NOT_FOUND / ERR_IO / ERR_LIMIT.
 * The file is opened without blocking and must be a regular file: a FIFO
 * or a device would otherwise hang in open() or read(). */
static bool
read_module(const char *shown, const char *abs, bool from_command_line, uint8_t **out_bytes,
            size_t *out_len, struct err *err)
{
    int fd = open(abs, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) {
            if (shown[0] == '/')
                return err_set_code(err, ERR_NOT_FOUND, e, "wasm_run \"%s\": module not found",
                                    shown);
            if (from_command_line)
                return err_set_code(err, ERR_NOT_FOUND, e,
                                    "wasm_run \"%s\": module not found at '%s' (a relative "
                                    "MODULE path starts at the current directory)",
                                    shown, abs);
            char *hint = os_path_clean(shown); /* "./x.wasm" -> "x.wasm" */
            err_set_code(err, ERR_NOT_FOUND, e,
                         "wasm_run \"%s\": module not found at '%s' (relative paths "
                         "start at the current directory; for a module next to the "
                         ".perch file write \"${script_dir}/%s\")",
                         shown, abs, hint);
            free(hint);
            return false;
        }
        return err_errno(err, e, "wasm_run \"%s\": cannot read the module", shown);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return err_errno(err, e, "wasm_run \"%s\": cannot read the module", shown);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        const char *what = S_ISDIR(st.st_mode)    ? "a directory"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                           : S_ISCHR(st.st_mode)  ? "a character device"
                           : S_ISBLK(st.st_mode)  ? "a block device"
                                                  : "not a regular file";
        return err_set(err, ERR_IO,
                       "wasm_run \"%s\": '%s' is %s; the module must be a regular .wasm file",
                       shown, abs, what);
    }
    /* A regular file: reads never block, but clear the flag anyway. */
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    if ((uint64_t)st.st_size > MODULE_MAX_BYTES) {
        close(fd);
        return err_set(err, ERR_LIMIT, "wasm_run \"%s\": module is larger than %u bytes", shown,
                       MODULE_MAX_BYTES);
    }
    size_t len = (size_t)st.st_size;
    uint8_t *bytes = try_malloc(len ? len : 1);
    if (!bytes) {
        close(fd);
        return err_set(err, ERR_OOM, "wasm_run \"%s\": no memory for a %zu-byte module", shown,
                       len);
    }
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, bytes + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            free(bytes);
            return err_errno(err, e, "wasm_run \"%s\": cannot read '%s'", shown, abs);
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != len) {
        free(bytes);
        return err_set(err, ERR_IO, "wasm_run \"%s\": short read of '%s' (it changed while "
                                    "being read)", shown, abs);
    }
    *out_bytes = bytes;
    *out_len = len;
    return true;
}

/* ---- invalid modules -------------------------------------------------------- */

static const char *const section_names[] = {
    "custom", "type",   "import", "function", "table", "memory",    "global",
    "export", "start",  "element", "code",    "data",  "datacount",
};

/* An unsigned LEB128 u32 at bytes[*pos]; false if it runs off the end or is too long. */
static bool
leb_u32(const uint8_t *bytes, size_t len, size_t *pos, uint32_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
        if (*pos >= len)
            return false;
        uint8_t b = bytes[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (uint32_t)v;
            return v <= UINT32_MAX;
        }
    }
    return false;
}

/*
 * Which part of the module byte 'off' belongs to, by walking the section
 * headers: "module header" (the magic and version), "section NAME" or
 * "section header" (an unreadable or unknown section id). The engine names
 * the section it was reading, but not while it reads a section's own header
 * (id and size), so a truncated section is found here.
 */
static const char *
module_part(const uint8_t *bytes, size_t len, size_t off, char *buf, size_t cap)
{
    if (off < 8)
        return "module header";
    size_t pos = 8;
    while (pos < len) {
        uint8_t id = bytes[pos];
        size_t p = pos + 1;
        uint32_t size = 0;
        bool size_ok = leb_u32(bytes, len, &p, &size);
        if (id >= sizeof(section_names) / sizeof(section_names[0]))
            return off >= pos ? "section header" : NULL;
        snprintf(buf, cap, "section %s", section_names[id]);
        if (!size_ok || off < p || size > len - p || off < p + size)
            return buf;
        pos = p + size;
    }
    return off >= len && len > 8 ? "end of the module" : NULL;
}

/*
 * A module that does not load: kind wasm_invalid whether the engine found
 * it malformed (binary format) or invalid (validation), and the message
 * names the section and the byte offset (the engine's "(at offset 0x..)"
 * gets the section when it left it out).
 */
static void
report_invalid(const char *shown, const uint8_t *bytes, size_t len, const struct err *load_err,
               struct err *err)
{
    const char *msg = load_err->msg;
    if (load_err->kind != ERR_WASM_MALFORMED && load_err->kind != ERR_WASM_INVALID) {
        err_set_code(err, load_err->kind, load_err->code, "wasm_run \"%s\": invalid module: %s",
                     shown, msg);
        return;
    }
    static const char at_marker[] = "(at offset 0x";
    const char *at = strstr(msg, at_marker);
    char where[64];
    const char *part = NULL;
    if (at) {
        char *end = NULL;
        unsigned long long off = strtoull(at + sizeof(at_marker) - 1, &end, 16);
        if (end && *end == ')')
            part = module_part(bytes, len, (size_t)off, where, sizeof(where));
    }
    if (part)
        err_set_code(err, ERR_WASM_INVALID, load_err->code,
                     "wasm_run \"%s\": invalid module: %.*s(%s, %s", shown, (int)(at - msg), msg,
                     part, at + 1);
    else
        err_set_code(err, ERR_WASM_INVALID, load_err->code, "wasm_run \"%s\": invalid module: %s",
                     shown, msg);
}

/* Reword an engine or WASI failure for the user. */
static void
report_run_error(const char *shown, const struct err *run_err, enum stop_reason reason,
                 struct err *err)
{
    switch (run_err->kind) {
    case ERR_WASM_TRAP:
        if (run_err->code == WASM_TRAP_INTERRUPTED) {
            if (reason == STOP_DEADLINE)
                err_set(err, ERR_TIMEOUT, "wasm_run \"%s\": interrupted at the deadline", shown);
            else
                err_set(err, ERR_CANCELLED, "wasm_run \"%s\": interrupted", shown);
            return;
        }
        err_set_code(err, ERR_WASM_TRAP, run_err->code, "wasm_run \"%s\": wasm trap: %s", shown,
                     run_err->msg);
        return;
    case ERR_WASM_EXHAUSTION:
        err_set_code(err, ERR_WASM_EXHAUSTION, run_err->code,
                     "wasm_run \"%s\": %s (deep recursion in the module)", shown, run_err->msg);
        return;
    case ERR_WASM_UNLINKABLE:
        err_set(err, ERR_WASM_UNLINKABLE, "wasm_run \"%s\": cannot link the module: %s", shown,
                run_err->msg);
        return;
    case ERR_NOT_FOUND:
        err_set_code(err, ERR_NOT_FOUND, run_err->code, "wasm_run \"%s\": %s", shown, run_err->msg);
        return;
    default:
        err_set_code(err, run_err->kind, run_err->code, "wasm_run \"%s\": %s", shown, run_err->msg);
        return;
    }
}

/*
 * Mount i: its host path resolved and checked (it exists, `requires`
 * allows it), its guest path chosen, and no earlier mount at that guest
 * path. Fills mounts[i] and mount_strings[2i], [2i+1] (owned).
 */
static bool
resolve_mount(struct op_ctx *ctx, const struct ops_wasm_request *req, size_t i, const char *shown,
              struct wasi_mount *mounts, char **mount_strings, struct err *err)
{
    const struct ops_wasm_mount *m = &req->mounts[i];
    if (!m->host_path || !m->host_path[0])
        return err_set(err, ERR_USAGE, "wasm_run \"%s\": a mount's host path is empty", shown);
    char *host = op_path_resolve(ctx, m->host_path);
    mount_strings[2 * i] = host;
    struct stat st;
    if (stat(host, &st) != 0)
        return err_set_code(err, ERR_NOT_FOUND, errno,
                            "wasm_run \"%s\": mount path '%s' does not exist", shown,
                            m->host_path);
    if (!op_check(ctx, m->is_writable ? OP_CHECK_WRITE : OP_CHECK_READ, host, err))
        return false;
    char *guest;
    if (m->guest_path && m->guest_path[0]) {
        guest = xstrdup(m->guest_path);
    } else {
        if (strcmp(host, "/") == 0)
            /* The whole host file system is never mounted by accident. */
            return err_set(err, ERR_USAGE,
                           "wasm_run \"%s\": mount path '%s' is the host's root directory; "
                           "name its guest path to mount it anyway (%s \"%s\" at \"/host\")",
                           shown, m->host_path,
                           m->is_writable ? "wasm_mount_write" : "wasm_mount_read",
                           m->host_path);
        char base[256];
        guest = xasprintf("%s/%s", m->is_writable ? "/rw" : "/ro",
                          path_basename(host, base, sizeof(base)));
    }
    mount_strings[2 * i + 1] = guest;
    mounts[i] = (struct wasi_mount){ host, guest, m->is_writable };
    for (size_t j = 0; j < i; j++) {
        if (!guest_same(mounts[j].guest_path, guest))
            continue;
        /* One guest path, two host paths: refuse rather than let one
         * silently hide the other. */
        return err_set(err, ERR_USAGE,
                       "wasm_run \"%s\": two mounts at the guest path '%s': '%s' (%s) and '%s' "
                       "(%s); give one of them its own guest path (%s)",
                       shown, guest, req->mounts[j].host_path,
                       mounts[j].is_writable ? "read-write" : "read-only", m->host_path,
                       m->is_writable ? "read-write" : "read-only",
                       req->from_command_line ? "--dir HOST::GUEST" : "at \"/guest/path\"");
    }
    return true;
}

/* ---- the perch host module: perch.http_get ------------------------------------ */

/*
 * Linked only when the block declares `wasm_allow_host` (see
 * docs/wasm_run.md for the ABI):
 *
 *   http_get(url_ptr, url_len, buf_ptr, buf_cap, out_len_ptr, status_ptr) -> errno
 *
 * All i32. GETs the http:// or https:// URL; a host that is not allowed
 * (also as a redirect's target) is refused before any connection. Returns a
 * WASI errno; 0 when a response arrived, whatever its status: *status_ptr
 * (u32) = the HTTP status, *out_len_ptr (u32) = the body's length, body at
 * buf_ptr. ENOBUFS: the body is longer than buf_cap; *out_len_ptr = the
 * length needed (call again with a larger buffer).
 */

#define HOST_MODULE        "perch"
#define HOST_URL_MAX       8192u
#define HOST_BODY_MAX      (256u * 1024u * 1024u)
#define HOST_MAX_REDIRECTS 5

/* The WASI errno values http_get returns. */
enum {
    HOST_OK = 0,
    HOST_EACCES = 2,
    HOST_ECANCELED = 11,
    HOST_ECONNREFUSED = 14,
    HOST_EFAULT = 21,
    HOST_EFBIG = 22,
    HOST_EHOSTUNREACH = 23,
    HOST_EINVAL = 28,
    HOST_EIO = 29,
    HOST_ENAMETOOLONG = 37,
    HOST_ENOBUFS = 42,
    HOST_ETIMEDOUT = 73,
};

/* What the host module needs during the run (lives on ops_wasm_run's stack). */
struct host_net {
    struct op_ctx *ctx;
    const char *shown;
    const char *const *hosts;
    size_t host_count;
    atomic_int *stop; /* the instance's interrupt flag */
};

/* Where a response body goes: straight into the guest's buffer. */
struct host_body {
    uint8_t *buf; /* guest memory at buf_ptr */
    uint32_t cap;
    uint64_t len; /* bytes received (stored: at most cap) */
    bool is_too_big;
};

static size_t
host_on_body(char *data, size_t size, size_t count, void *arg)
{
    struct host_body *b = arg;
    size_t n = size * count;
    if (b->len + n > HOST_BODY_MAX) {
        b->is_too_big = true;
        return 0;
    }
    if (b->len < b->cap) {
        size_t room = (size_t)(b->cap - b->len);
        memcpy(b->buf + b->len, data, n < room ? n : room);
    }
    b->len += n;
    return n;
}

static int
host_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                 curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    struct host_net *net = arg;
    return atomic_load(net->stop) || op_should_stop(net->ctx) ? 1 : 0;
}

/* True when 'host' is one the block allows (case-insensitive). */
static bool
host_allowed(const struct host_net *net, const char *host)
{
    for (size_t i = 0; i < net->host_count; i++)
        if (strcasecmp(net->hosts[i], host) == 0)
            return true;
    return false;
}

/* A line on perch's stderr saying why a request was refused. */
static void
host_note(struct host_net *net, const char *url, const char *why)
{
    char line[1024];
    int n = snprintf(line, sizeof(line), "%s: wasm_run \"%s\": perch.http_get '%.512s': %s\n",
                     progname_get(), net->shown, url, why);
    if (n > 0)
        op_output(net->ctx, 2, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* Check the URL: http or https, and an allowed host. Returns an errno. */
static int
host_check_url(struct host_net *net, const char *url)
{
    CURLU *u = curl_url();
    if (!u)
        return HOST_EIO;
    char *scheme = NULL, *host = NULL;
    int rc = HOST_OK;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        host_note(net, url, "not a valid URL");
        rc = HOST_EINVAL;
    } else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        host_note(net, url, "only http and https URLs are allowed");
        rc = HOST_EINVAL;
    } else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        host_note(net, url, "the URL has no host");
        rc = HOST_EINVAL;
    } else {
        size_t n = strlen(host);
        if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
            memmove(host, host + 1, n - 2);
            host[n - 2] = '\0';
        }
        if (!host_allowed(net, host)) {
            char why[512];
            snprintf(why, sizeof(why),
                     "refused: host '%.200s' is not allowed (add wasm_allow_host \"%.200s\")", host,
                     host);
            host_note(net, url, why);
            rc = HOST_EACCES;
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

/* GET 'url' into 'b', following redirects to allowed hosts. Returns an errno. */
static int
host_fetch(struct host_net *net, const char *url, struct host_body *b, uint32_t *out_status)
{
    int rc = host_check_url(net, url);
    if (rc != HOST_OK)
        return rc;
    char errbuf[CURL_ERROR_SIZE];
    CURL *h = ops_http_client_new(errbuf, "perch-wasm", false, host_on_body, b, host_on_progress,
                                  net);
    if (!h)
        return HOST_EIO;
    char *current = xstrdup(url);
    for (int hop = 0;; hop++) {
        int64_t left_ms = -1;
        if (net->ctx->deadline_ns) {
            left_ms = (net->ctx->deadline_ns - mono_ns()) / 1000000;
            if (left_ms <= 0) {
                rc = HOST_ETIMEDOUT;
                break;
            }
        }
        ops_http_client_hop(h, net->ctx, current, (long)left_ms);
        errbuf[0] = '\0';
        CURLcode cc = curl_easy_perform(h);
        if (cc != CURLE_OK) {
            if (b->is_too_big)
                rc = HOST_EFBIG;
            else if (cc == CURLE_ABORTED_BY_CALLBACK)
                rc = HOST_ECANCELED;
            else if (cc == CURLE_OPERATION_TIMEDOUT)
                rc = HOST_ETIMEDOUT;
            else if (cc == CURLE_COULDNT_CONNECT)
                rc = HOST_ECONNREFUSED;
            else if (cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY)
                rc = HOST_EHOSTUNREACH;
            else
                rc = HOST_EIO;
            if (rc != HOST_ECANCELED)
                host_note(net, current, errbuf[0] ? errbuf : curl_easy_strerror(cc));
            break;
        }
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        char *location = NULL;
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
        if (status >= 300 && status < 400 && location) {
            if (hop + 1 > HOST_MAX_REDIRECTS) {
                host_note(net, url, "too many redirects");
                rc = HOST_EIO;
                break;
            }
            char *next = xstrdup(location);
            rc = host_check_url(net, next);
            free(current);
            current = next;
            if (rc != HOST_OK)
                break;
            b->len = 0;
            continue;
        }
        *out_status = (uint32_t)status;
        rc = HOST_OK;
        break;
    }
    free(current);
    curl_easy_cleanup(h);
    return rc;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static bool
host_http_get(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
              void *user, struct err *err)
{
    (void)err;
    struct host_net *net = user;
    uint32_t url_ptr = args[0].i32, url_len = args[1].i32;
    uint32_t buf_ptr = args[2].i32, buf_cap = args[3].i32;
    uint32_t out_len_ptr = args[4].i32, status_ptr = args[5].i32;
    results[0].i32 = HOST_EFAULT;
    if (!wasm_call_mem_check(call, url_ptr, url_len) || !wasm_call_mem_check(call, buf_ptr, buf_cap)
        || !wasm_call_mem_check(call, out_len_ptr, 4) || !wasm_call_mem_check(call, status_ptr, 4))
        return true;
    if (url_len > HOST_URL_MAX) {
        results[0].i32 = HOST_ENAMETOOLONG;
        return true;
    }
    uint64_t size = 0;
    uint8_t *mem = wasm_call_memory(call, &size);
    char *url = xstrndup((const char *)mem + url_ptr, url_len);
    if (strlen(url) != url_len) {
        free(url);
        results[0].i32 = HOST_EINVAL; /* a NUL inside the URL */
        return true;
    }
    struct host_body b = { mem + buf_ptr, buf_cap, 0, false };
    uint32_t status = 0;
    int rc = host_fetch(net, url, &b, &status);
    free(url);
    if (rc == HOST_OK) {
        put_u32(mem + status_ptr, status);
        put_u32(mem + out_len_ptr, (uint32_t)b.len);
        if (b.len > buf_cap)
            rc = HOST_ENOBUFS;
    }
    results[0].i32 = (uint32_t)rc;
    return true;
}

/* ---- the run --------------------------------------------------------------- */

bool
ops_wasm_run(struct op_ctx *ctx, const struct ops_wasm_request *req, struct sbuf *capture,
             int *out_exit_code, struct err *err)
{
    if (out_exit_code)
        *out_exit_code = -1;
    const char *shown = req->shown_as ? req->shown_as : req->module_path;
    if (!shown)
        shown = "<module>";
    bool ok = false;
    uint8_t *bytes = NULL;
    size_t len = 0;
    char *module_abs = NULL;
    struct wasm_module *mod = NULL;
    struct wasi_mount *mounts = NULL;
    char **mount_strings = NULL; /* 2 per mount: host (absolute), guest */
    const char **argv = NULL;

    /* The module. */
    if (req->module_bytes) {
        bytes = (uint8_t *)req->module_bytes;
        len = req->module_len;
    } else {
        module_abs = op_path_resolve(ctx, req->module_path);
        if (!op_check(ctx, OP_CHECK_READ, module_abs, err))
            goto done;
        if (!read_module(shown, module_abs, req->from_command_line, &bytes, &len, err))
            goto done;
    }
    if (wasi_is_component(bytes, len)) {
        err_set(err, ERR_WASM_UNLINKABLE, "wasm_run \"%s\": %s", shown, WASI_P2_HINT);
        goto done;
    }
    struct err load_err = { 0 };
    mod = ops_wasm_cache_get(bytes, len, &load_err);
    if (!mod) {
        report_invalid(shown, bytes, len, &load_err, err);
        goto done;
    }
    /* perch's own host module, when the block allows some hosts. */
    static const enum wasm_valtype http_get_params[6] = { WASM_I32, WASM_I32, WASM_I32,
                                                          WASM_I32, WASM_I32, WASM_I32 };
    static const enum wasm_valtype http_get_results[1] = { WASM_I32 };
    struct host_net net = { ctx, shown, req->allow_hosts, req->allow_host_count, NULL };
    struct wasi_host_func host_funcs[1] = {
        { HOST_MODULE,
          "http_get",
          { 6, 1, http_get_params, http_get_results },
          host_http_get,
          &net },
    };
    size_t host_func_count = req->allow_host_count ? 1 : 0;
    if (!host_func_count && wasi_imports_module(mod, HOST_MODULE) && req->from_command_line) {
        err_set(err, ERR_WASM_UNLINKABLE,
                "wasm_run \"%s\": the module imports perch's host module (" HOST_MODULE
                ".http_get), which only a wasm_run block with wasm_allow_host \"HOST\" provides",
                shown);
        goto done;
    }
    if (!host_func_count && wasi_imports_module(mod, HOST_MODULE)) {
        err_set(err, ERR_WASM_UNLINKABLE,
                "wasm_run \"%s\": the module imports perch's host module (" HOST_MODULE
                ".http_get) but the block allows no host; declare the hosts it may reach with "
                "wasm_allow_host \"HOST\"",
                shown);
        goto done;
    }
    struct err link_err = { 0 };
    if (!wasi_check_imports_with(mod, host_funcs, host_func_count, &link_err)) {
        report_run_error(shown, &link_err, STOP_NONE, err);
        goto done;
    }

    /* Mounts. */
    mounts = xcalloc(req->mount_count ? req->mount_count : 1, sizeof(*mounts));
    mount_strings = xcalloc(req->mount_count * 2 + 1, sizeof(char *));
    for (size_t i = 0; i < req->mount_count; i++) {
        if (!resolve_mount(ctx, req, i, shown, mounts, mount_strings, err)) {
            /* The error points at the mount's declaration. */
            if (err && req->mount_locs && req->mount_locs[i].line && !err->loc.line)
                err->loc = req->mount_locs[i];
            goto done;
        }
    }

    /* argv: the module file's basename (for a bundle alias, the file it
     * names, not the alias), then the declared args. */
    argv = xcalloc(req->arg_count + 1, sizeof(*argv));
    char base[256];
    argv[0] = path_basename(req->module_path ? req->module_path : shown, base, sizeof(base));
    for (size_t i = 0; i < req->arg_count; i++)
        argv[i + 1] = req->args[i];

    struct sinks sinks = { ctx, capture, NULL, 0, false };
    sinks.max = req->capture_max ? req->capture_max : CAPTURE_MAX_BYTES;
    struct wasi_config cfg = { 0 };
    cfg.argv = argv;
    cfg.argc = req->arg_count + 1;
    cfg.env = req->env;
    cfg.env_count = req->env_count;
    cfg.mounts = mounts;
    cfg.mount_count = req->mount_count;
    cfg.stdin_fd = ctx->stdin_fd;
    cfg.stdout_fn = guest_stdout;
    cfg.stdout_user = &sinks;
    cfg.stderr_fn = guest_stderr;
    cfg.stderr_user = &sinks;
    cfg.real_clock = req->real_clock;
    cfg.real_random = req->real_random;
    cfg.host_funcs = host_funcs;
    cfg.host_func_count = host_func_count;

    if (ctx->deadline_ns && mono_ns() >= ctx->deadline_ns) {
        err_set(err, ERR_TIMEOUT, "wasm_run \"%s\": the deadline passed before it started", shown);
        goto done;
    }
    struct watchdog dog;
    bool dog_running = watchdog_start(&dog, ctx->interrupt, ctx->deadline_ns);
    cfg.interrupt = &dog.flag;
    net.stop = &dog.flag;
    sinks.stop = &dog.flag;
    int code = 0;
    struct err run_err = { 0 };
    bool ran = wasi_run(mod, &cfg, &code, &run_err);
    watchdog_stop(&dog, dog_running);
    if (sinks.is_overflow) {
        err_set(err, ERR_LIMIT,
                "wasm_run \"%s\": captured output exceeds %zu bytes; write large results to "
                "a wasm_mount_write directory instead",
                shown, sinks.max);
        goto done;
    }
    if (!ran) {
        report_run_error(shown, &run_err, (enum stop_reason)atomic_load(&dog.reason), err);
        goto done;
    }
    if (out_exit_code)
        *out_exit_code = code;
    if (code != 0) {
        err_set_code(err, ERR_WASM_EXIT, code, "wasm_run \"%s\": module exited with code %d", shown,
                     code);
        goto done;
    }
    ok = true;
done:
    if (mount_strings) {
        for (size_t i = 0; i < req->mount_count * 2; i++)
            free(mount_strings[i]);
        free(mount_strings);
    }
    free(mounts);
    free(argv);
    wasm_module_free(mod);
    if (bytes != req->module_bytes)
        free(bytes);
    free(module_abs);
    return ok;
}
