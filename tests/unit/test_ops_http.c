/* test_ops_http.c: http_get and download against a small HTTP server
 * running in a thread of this test: bodies, status errors, redirects
 * (with the host check on every hop), deadlines, atomic downloads. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "os/clock.h"
#include "test_ops_fake.h"

struct server {
    int listen_fd;
    int port;
    atomic_int stop;
    pthread_t thread;
};

static struct server srv;
static struct fake f;
static struct sbuf out = SBUF_INIT;

static void
respond(int fd, const char *status, const char *extra_headers, const char *body)
{
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n", status,
                     strlen(body), extra_headers);
    /* SIGPIPE is ignored (see setup): a client that gave up is fine. */
    ssize_t w = write(fd, head, (size_t)n);
    if (w >= 0)
        w = write(fd, body, strlen(body));
    (void)w;
}

static void
serve_one(int fd)
{
    char req[4096];
    size_t len = 0;
    while (len < sizeof(req) - 1) {
        ssize_t n = read(fd, req + len, sizeof(req) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[len] = '\0';
    char path[256] = "";
    sscanf(req, "GET %255s", path);
    char headers[256];
    if (strncmp(path, "http://", 7) == 0) {
        /* An absolute URL in the request line: we are being used as a proxy. */
        respond(fd, "200 OK", "", "via proxy");
    } else if (strcmp(path, "/binary") == 0) {
        static const char raw[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n"
                                  "\r\na\0b";
        ssize_t w = write(fd, raw, sizeof(raw) - 1);
        (void)w;
    } else if (strcmp(path, "/ok") == 0) {
        respond(fd, "200 OK", "", "hello body");
    } else if (strcmp(path, "/redirect") == 0) {
        respond(fd, "302 Found", "Location: /ok\r\n", "");
    } else if (strcmp(path, "/loop") == 0) {
        respond(fd, "302 Found", "Location: /loop\r\n", "");
    } else if (strcmp(path, "/elsewhere") == 0) {
        snprintf(headers, sizeof(headers), "Location: http://localhost:%d/ok\r\n", srv.port);
        respond(fd, "302 Found", headers, "");
    } else if (strcmp(path, "/slow") == 0) {
        for (int i = 0; i < 30 && !atomic_load(&srv.stop); i++)
            usleep(50000);
        respond(fd, "200 OK", "", "late");
    } else {
        respond(fd, "404 Not Found", "", "not here");
    }
    close(fd);
}

static void *
server_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&srv.stop)) {
        struct pollfd p = { .fd = srv.listen_fd, .events = POLLIN };
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(srv.listen_fd, NULL, NULL);
        if (fd >= 0)
            serve_one(fd);
    }
    return NULL;
}

static int
setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    srv.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(srv.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(srv.listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0
        || listen(srv.listen_fd, 16) != 0)
        return -1;
    socklen_t alen = sizeof(addr);
    getsockname(srv.listen_fd, (struct sockaddr *)&addr, &alen);
    srv.port = ntohs(addr.sin_port);
    atomic_init(&srv.stop, 0);
    pthread_create(&srv.thread, NULL, server_main, NULL);
    fake_init(&f);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    atomic_store(&srv.stop, 1);
    pthread_join(srv.thread, NULL);
    close(srv.listen_fd);
    fake_release(&f);
    sbuf_release(&out);
    return 0;
}

static char *
url(const char *path)
{
    return xasprintf("http://127.0.0.1:%d%s", srv.port, path);
}

static void
test_ops_http_get_body_and_status_errors(void **state)
{
    (void)state;
    char *u = url("/ok");
    struct err err = { 0 };
    assert_true(fake_run(&f, &out, &err, "http_get", u, NULL));
    assert_string_equal(out.buf, "hello body");
    assert_string_equal(f.last_subject, "127.0.0.1"); /* the host was checked */
    free(u);
    u = url("/missing");
    assert_false(fake_run(&f, &out, &err, "http_get", u, NULL));
    assert_int_equal(err.kind, ERR_HTTP);
    assert_int_equal(err.code, 404);
    assert_non_null(strstr(err.msg, "HTTP status 404"));
    assert_non_null(strstr(err.msg, u));
    free(u);
}

static void
test_ops_http_get_refuses_binary_bodies(void **state)
{
    (void)state;
    char *u = url("/binary");
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "http_get", u, NULL));
    assert_int_equal(err.kind, ERR_HTTP);
    assert_non_null(strstr(err.msg, "binary"));
    /* download takes any bytes. */
    assert_true(fake_run(&f, &out, &err, "download", u, "blob", NULL));
    assert_true(fake_run(&f, &out, &err, "file_size", "blob", NULL));
    assert_string_equal(out.buf, "3");
    assert_true(fake_run(&f, &out, &err, "rm", "blob", NULL));
    free(u);
}

static void
test_ops_http_follows_redirects_with_a_limit(void **state)
{
    (void)state;
    char *u = url("/redirect");
    struct err err = { 0 };
    assert_true(fake_run(&f, &out, &err, "http_get", u, NULL));
    assert_string_equal(out.buf, "hello body");
    free(u);
    u = url("/loop");
    assert_false(fake_run(&f, &out, &err, "http_get", u, NULL));
    assert_int_equal(err.kind, ERR_HTTP);
    assert_non_null(strstr(err.msg, "more than 10 redirects"));
    free(u);
}

static void
test_ops_http_checks_the_host_of_every_hop(void **state)
{
    (void)state;
    f.has_deny = true;
    f.deny_what = OP_CHECK_HOST;
    f.deny_subject = "localhost";
    char *u = url("/elsewhere");
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "http_get", u, NULL));
    assert_int_equal(err.kind, ERR_HOST_NOT_DECLARED);
    f.deny_subject = NULL;
    free(u);
    u = url("/ok");
    assert_false(fake_run(&f, &out, &err, "http_get", u, NULL));
    assert_int_equal(err.kind, ERR_HOST_NOT_DECLARED);
    f.has_deny = false;
    free(u);
}

static void
test_ops_http_bad_urls(void **state)
{
    (void)state;
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "http_get", "ftp://example.com/x", NULL));
    assert_int_equal(err.kind, ERR_USAGE);
    assert_non_null(strstr(err.msg, "'ftp'"));
    assert_false(fake_run(&f, &out, &err, "http_get", "not a url", NULL));
    assert_int_equal(err.kind, ERR_USAGE);
    /* Nothing listens on port 1. */
    assert_false(fake_run(&f, &out, &err, "http_get", "http://127.0.0.1:1/", NULL));
    assert_int_equal(err.kind, ERR_HTTP);
}

static void
test_ops_http_deadline_bounds_the_request(void **state)
{
    (void)state;
    char *u = url("/slow");
    f.ctx.deadline_ns = os_clock_mono_ns() + 300 * OS_NS_PER_MS;
    int64_t start = os_clock_mono_ns();
    struct err err = { 0 };
    assert_false(fake_run(&f, &out, &err, "http_get", u, NULL));
    assert_int_equal(err.kind, ERR_TIMEOUT);
    assert_true(os_clock_mono_ns() - start < 3 * OS_NS_PER_SEC);
    f.ctx.deadline_ns = 0;
    free(u);
}

static void
test_ops_download_is_atomic(void **state)
{
    (void)state;
    char *u = url("/ok");
    struct err err = { 0 };
    assert_true(fake_run(&f, &out, &err, "download", u, "fetched.txt", NULL));
    assert_true(fake_run(&f, &out, &err, "read_file", "fetched.txt", NULL));
    assert_string_equal(out.buf, "hello body");
    free(u);
    /* A failed download leaves the old file alone and no temp files behind. */
    u = url("/missing");
    assert_false(fake_run(&f, &out, &err, "download", u, "fetched.txt", NULL));
    assert_int_equal(err.code, 404);
    assert_true(fake_run(&f, &out, &err, "read_file", "fetched.txt", NULL));
    assert_string_equal(out.buf, "hello body");
    assert_true(fake_run(&f, &out, &err, "list_dir", ".", NULL));
    assert_string_equal(out.buf, "fetched.txt");
    free(u);
    u = url("/redirect");
    assert_true(fake_run(&f, &out, &err, "download", u, "second.txt", NULL));
    assert_true(fake_run(&f, &out, &err, "read_file", "second.txt", NULL));
    assert_string_equal(out.buf, "hello body");
    free(u);
}

static void
test_ops_http_uses_the_scope_proxy(void **state)
{
    (void)state;
    char *proxy = url("");
    fake_setenv(&f, "http_proxy", proxy);
    struct err err = { 0 };
    assert_true(fake_run(&f, &out, &err, "http_get", "http://perch.invalid/anything", NULL));
    assert_string_equal(out.buf, "via proxy");
    /* no_proxy exempts hosts: 127.0.0.1 is then reached directly. */
    fake_setenv(&f, "no_proxy", "127.0.0.1");
    char *u = url("/ok");
    assert_true(fake_run(&f, &out, &err, "http_get", u, NULL));
    assert_string_equal(out.buf, "hello body");
    fake_setenv(&f, "http_proxy", "");
    fake_setenv(&f, "no_proxy", "");
    free(u);
    free(proxy);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_http_get_body_and_status_errors),
        cmocka_unit_test(test_ops_http_get_refuses_binary_bodies),
        cmocka_unit_test(test_ops_http_follows_redirects_with_a_limit),
        cmocka_unit_test(test_ops_http_checks_the_host_of_every_hop),
        cmocka_unit_test(test_ops_http_bad_urls),
        cmocka_unit_test(test_ops_http_deadline_bounds_the_request),
        cmocka_unit_test(test_ops_download_is_atomic),
        cmocka_unit_test(test_ops_http_uses_the_scope_proxy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
