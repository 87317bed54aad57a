/*
 * ops_http.c: http_get and download over libcurl.
 *
 * Redirects are followed here, not by libcurl, so that every hop's host
 * goes through the `requires host` check (at most MAX_REDIRECTS hops).
 * Only http and https are allowed, TLS certificates are verified, and both
 * the connect and the total time are bounded by the run's deadline; the
 * progress callback also aborts the transfer once the run is interrupted.
 * Proxies come from the scope's environment (http_proxy, https_proxy,
 * all_proxy, no_proxy, in either case), never from the process's, so
 * `with_env` applies to them like to everything else. A response status of
 * 400 or more fails with kind `http_error` and err.code = the status. Downloads stream into a
 * temporary file beside the target and are renamed into place only when complete.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "ops/http_client.h"
#include "ops/ops_int.h"
#include "os/clock.h"
#include "os/fs.h"
#include "os/thread.h"
#include "perch_version.h"

#define MAX_REDIRECTS      10

/* Where the body goes: memory (http_get) or a file descriptor (download). */
struct body {
    struct sbuf *mem;
    int fd;
    size_t len;
    bool is_over_limit;
    int write_errno;
};

static size_t
on_body(char *data, size_t size, size_t count, void *arg)
{
    struct body *b = arg;
    size_t n = size * count;
    if (b->mem) {
        if (b->len + n > OPS_MAX_CAPTURE_BYTES) {
            b->is_over_limit = true;
            return 0;
        }
        sbuf_add(b->mem, data, n);
    } else {
        size_t done = 0;
        while (done < n) {
            ssize_t w = write(b->fd, data + done, n - done);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                b->write_errno = errno;
                return 0;
            }
            done += (size_t)w;
        }
    }
    b->len += n;
    return n;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return op_should_stop(arg) ? 1 : 0;
}

/* Check the URL's scheme and its host against `requires`. */
static bool
check_url(struct op_call *call, const char *url, struct err *err)
{
    CURLU *u = curl_url();
    if (!u)
        return err_set(err, ERR_OOM, "%s: out of memory", ops_name(call));
    char *scheme = NULL, *host = NULL;
    bool ok = false;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        err_set(err, ERR_USAGE, "%s: invalid URL '%s' (expected http:// or https://)",
                ops_name(call), url);
    } else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        err_set(err, ERR_USAGE, "%s: unsupported URL scheme '%s' in '%s' (use http or https)",
                ops_name(call), scheme, url);
    } else {
        /* An IPv6 literal comes back bracketed; `requires host` names it bare. */
        size_t n = strlen(host);
        if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
            memmove(host, host + 1, n - 2);
            host[n - 2] = '\0';
        }
        ok = op_check(call->ctx, OP_CHECK_HOST, host, err);
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

static os_once curl_once = OS_ONCE_INIT;

static void
curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURL *
ops_http_client_new(char *errbuf, const char *user_agent, bool decode,
                    curl_write_callback on_write, void *write_data,
                    curl_xferinfo_callback on_xfer, void *progress_data)
{
    os_once_run(&curl_once, curl_init_once);
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
    if (decode)
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, write_data);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, progress_data);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, OPS_HTTP_STALL_SECONDS);
    return h;
}

/* First set variable of 'lower' / its upper-case form in the scope. */
static const char *
scope_env(struct op_ctx *ctx, const char *lower, const char *upper)
{
    const char *v = op_getenv(ctx, lower);
    if (!v || !v[0])
        v = op_getenv(ctx, upper);
    return v && v[0] ? v : NULL;
}

void
ops_http_client_hop(CURL *h, struct op_ctx *ctx, const char *url, long left_ms)
{
    long connect_ms = OPS_HTTP_CONNECT_MS;
    if (left_ms > 0 && left_ms < connect_ms)
        connect_ms = left_ms;
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, left_ms > 0 ? left_ms : 0L);
    curl_easy_setopt(h, CURLOPT_URL, url);
    /* An empty proxy tells libcurl to use none (and not to look at the
     * process environment). */
    bool is_https = strncasecmp(url, "https:", 6) == 0;
    const char *proxy = is_https ? scope_env(ctx, "https_proxy", "HTTPS_PROXY")
                                 : scope_env(ctx, "http_proxy", "HTTP_PROXY");
    if (!proxy)
        proxy = scope_env(ctx, "all_proxy", "ALL_PROXY");
    curl_easy_setopt(h, CURLOPT_PROXY, proxy ? proxy : "");
    const char *no_proxy = scope_env(ctx, "no_proxy", "NO_PROXY");
    curl_easy_setopt(h, CURLOPT_NOPROXY, no_proxy ? no_proxy : "");
}

/* Restart the body for the next redirect hop. */
static bool
reset_body(struct body *b)
{
    b->len = 0;
    if (b->mem) {
        sbuf_reset(b->mem);
        return true;
    }
    return ftruncate(b->fd, 0) == 0 && lseek(b->fd, 0, SEEK_SET) == 0;
}

/* GET 'url' into 'b', following redirects. */
static bool
fetch(struct op_call *call, const char *url, struct body *b, struct err *err)
{
    if (!check_url(call, url, err))
        return false;
    char errbuf[CURL_ERROR_SIZE];
    CURL *h = ops_http_client_new(errbuf, "perch/" PERCH_VERSION, true, on_body, b, on_progress,
                                  call->ctx);
    if (!h)
        return err_set(err, ERR_HTTP, "%s: cannot start an HTTP client", ops_name(call));
    char *current = xstrdup(url);
    bool ok = false;
    for (int hop = 0;; hop++) {
        int left_ms = os_deadline_ms_left(call->ctx->deadline_ns);
        if (left_ms == 0 || op_should_stop(call->ctx)) {
            err_set(err, ERR_TIMEOUT, "%s '%s': the deadline passed", ops_name(call), url);
            break;
        }
        ops_http_client_hop(h, call->ctx, current, left_ms);
        errbuf[0] = '\0';
        CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK) {
            const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
            if (b->is_over_limit)
                err_set(err, ERR_LIMIT, "%s '%s': response larger than %zu bytes", ops_name(call),
                        url, OPS_MAX_CAPTURE_BYTES);
            else if (b->write_errno)
                os_errno(err, b->write_errno, "%s '%s': cannot write the download", ops_name(call),
                         url);
            else if (rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_ABORTED_BY_CALLBACK)
                err_set(err, ERR_TIMEOUT, "%s '%s': %s", ops_name(call), url,
                        rc == CURLE_ABORTED_BY_CALLBACK ? "stopped: the run timed out or was "
                                                          "cancelled"
                                                        : why);
            else
                err_set(err, ERR_HTTP, "%s '%s': %s", ops_name(call), url, why);
            break;
        }
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        char *location = NULL;
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
        if (status >= 300 && status < 400 && location) {
            if (hop + 1 > MAX_REDIRECTS) {
                err_set_code(err, ERR_HTTP, (int)status, "%s '%s': more than %d redirects",
                             ops_name(call), url, MAX_REDIRECTS);
                break;
            }
            char *next = xstrdup(location);
            if (!check_url(call, next, err)) {
                free(next);
                break;
            }
            free(current);
            current = next;
            if (!reset_body(b)) {
                os_errno(err, errno, "%s '%s': cannot restart the download", ops_name(call), url);
                break;
            }
            continue;
        }
        if (status >= 400) {
            err_set_code(err, ERR_HTTP, (int)status, "%s '%s': HTTP status %ld", ops_name(call),
                         current, status);
            break;
        }
        ok = true;
        break;
    }
    free(current);
    curl_easy_cleanup(h);
    return ok;
}

bool
ops_do_http_get(struct op_call *call, struct sbuf *out, struct err *err)
{
    struct body b = { .mem = out, .fd = -1 };
    size_t start = out->len;
    if (!fetch(call, call->argv[0], &b, err))
        return false;
    /* Values are text: a NUL would silently cut the value short. */
    if (memchr(out->buf + start, '\0', out->len - start))
        return err_set(err, ERR_HTTP, "http_get '%s': the body is binary (use download)",
                       call->argv[0]);
    return true;
}

bool
ops_do_download(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    char *path = ops_path_for_write(call, call->argv[1], err);
    if (!path)
        return false;
    char *tmp = NULL;
    int fd = os_fs_open_temp_beside(path, &tmp, err);
    if (fd < 0) {
        err_prefix(err, "download");
        free(path);
        return false;
    }
    struct body b = { .fd = fd };
    bool ok = fetch(call, call->argv[0], &b, err);
    if (ok) {
        ok = os_fs_commit_temp(fd, tmp, path, err);
        if (!ok)
            err_prefix(err, "download");
    } else {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    free(path);
    return ok;
}
