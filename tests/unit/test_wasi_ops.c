/*
 * tests/unit/test_wasi_ops.c: ops_wasm_run() and the module cache
 * (src/ops/ops_wasm.c, src/ops/wasm_cache.c) with small hand-assembled
 * modules, so these run without the wasm32-wasi toolchain: exit codes and
 * their message, deadline and cancel interrupts, the errors users meet
 * (module not found, malformed bytes, Preview 2 component, unknown import,
 * missing mount, `requires` refusals), and one compilation shared by
 * threads that ask for the same module at once.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/sbuf.h"
#include "ops/ops.h"
#include "ops/ops_wasm.h"
#include "wasm/wasm.h"

static const uint8_t header[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };

/* An import section with one function, wasi_snapshot_preview1.NAME of
 * type 0, appended at b + n; returns the new length. */
static size_t
put_wasi_import(uint8_t *b, size_t n, const char *name)
{
    static const char mod[] = "wasi_snapshot_preview1";
    size_t len = strlen(name);
    b[n++] = 2;
    b[n++] = (uint8_t)(1 + 1 + 22 + 1 + len + 2);
    b[n++] = 1;
    b[n++] = 22;
    memcpy(b + n, mod, 22);
    n += 22;
    b[n++] = (uint8_t)len;
    memcpy(b + n, name, len);
    n += len;
    b[n++] = 0;
    b[n++] = 0;
    return n;
}

/* _start calls proc_exit(code); 0 <= code < 64. */
static size_t
exit_module(uint8_t *b, uint8_t code)
{
    static const uint8_t types[] = { 1, 8, 2, 0x60, 1, 0x7f, 0, 0x60, 0, 0 };
    size_t n = 0;
    memcpy(b + n, header, sizeof(header));
    n += sizeof(header);
    memcpy(b + n, types, sizeof(types));
    n += sizeof(types);
    n = put_wasi_import(b, n, "proc_exit");
    static const uint8_t rest[] = { 3, 2, 1, 1, 7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 1 };
    memcpy(b + n, rest, sizeof(rest));
    n += sizeof(rest);
    const uint8_t code_sec[] = { 10, 8, 1, 6, 0, 0x41, code, 0x10, 0, 0x0b };
    memcpy(b + n, code_sec, sizeof(code_sec));
    n += sizeof(code_sec);
    return n;
}

/* _start loops forever; 'salt' (a custom section) makes distinct bytes. */
static size_t
loop_module(uint8_t *b, uint8_t salt)
{
    static const uint8_t body[] = {
        1,  4,  1, 0x60, 0,   0, /* type () -> () */
        3,  2,  1, 0,            /* one function */
        7,  10, 1, 6,    '_', 's',  't',  'a',  'r', 't',  0,    0,
        10, 9,  1, 7,    0,   0x03, 0x40, 0x0c, 0,   0x0b, 0x0b,
    };
    size_t n = 0;
    memcpy(b, header, sizeof(header));
    n += sizeof(header);
    memcpy(b + n, body, sizeof(body));
    n += sizeof(body);
    const uint8_t custom[] = { 0, 3, 1, 's', salt };
    memcpy(b + n, custom, sizeof(custom));
    n += sizeof(custom);
    return n;
}

/* _start writes 16 bytes to stdout forever (iovec at 0 -> 16 bytes at 16). */
static size_t
chatty_module(uint8_t *b)
{
    static const uint8_t types[] = {
        1, 12, 2, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f, 0x60, 0, 0
    };
    static const uint8_t rest[] = {
        3,    2,    1,    1,       /* func: type 1 */
        5,    3,    1,    0,    1, /* memory: 1 page */
        7,    10,   1,    6,    '_',  's', 't',  'a', 'r',  't', 0,
        1,    10,   34,   1,    32,   0,      /* code: one body, no locals */
        0x41, 0,    0x41, 16,   0x36, 2,   0, /* mem[0] = 16 */
        0x41, 4,    0x41, 16,   0x36, 2,   0, /* mem[4] = 16 */
        0x03, 0x40,                           /* loop */
        0x41, 1,    0x41, 0,    0x41, 1,   0x41, 8,   0x10, 0,   0x1a, /* fd_write(1, 0, 1, 8) */
        0x0c, 0,    0x0b, 0x0b,
    };
    size_t n = 0;
    memcpy(b + n, header, sizeof(header));
    n += sizeof(header);
    memcpy(b + n, types, sizeof(types));
    n += sizeof(types);
    n = put_wasi_import(b, n, "fd_write");
    memcpy(b + n, rest, sizeof(rest));
    n += sizeof(rest);
    return n;
}

struct sink {
    struct sbuf out[3];
};

static void
sink_output(void *self, int stream, const char *data, size_t len)
{
    struct sink *s = self;
    sbuf_add(&s->out[stream == 2 ? 2 : 1], data, len);
}

static bool
deny_everything(void *self, enum op_check what, const char *subject, struct err *err)
{
    (void)self;
    (void)what;
    return err_set(err, ERR_READ_NOT_DECLARED, "read of '%s' not declared", subject);
}

static const struct op_ctx_vtable vt = { .output = sink_output };
static const struct op_ctx_vtable deny_vt = { .output = sink_output, .check = deny_everything };

static void
ctx_init(struct op_ctx *ctx, struct sink *s)
{
    memset(ctx, 0, sizeof(*ctx));
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < 3; i++)
        sbuf_init(&s->out[i]);
    ctx->cwd = "/tmp";
    ctx->stdin_fd = -1;
    ctx->vt = &vt;
    ctx->self = s;
}

static void
sink_release(struct sink *s)
{
    for (int i = 0; i < 3; i++)
        sbuf_release(&s->out[i]);
}

static int64_t
mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
test_exit_zero_and_nonzero(void **state)
{
    (void)state;
    uint8_t b[128];
    struct op_ctx ctx;
    struct sink s;
    ctx_init(&ctx, &s);
    struct ops_wasm_request req = { 0 };
    req.module_path = "exit.wasm";
    req.module_bytes = b;
    req.module_len = exit_module(b, 0);
    struct err err = { 0 };
    int code = -1;
    assert_true(ops_wasm_run(&ctx, &req, NULL, &code, &err));
    assert_int_equal(code, 0);

    req.module_len = exit_module(b, 42);
    assert_false(ops_wasm_run(&ctx, &req, NULL, &code, &err));
    assert_int_equal(code, 42);
    assert_int_equal(err.kind, ERR_WASM_EXIT);
    assert_int_equal(err.code, 42);
    assert_string_equal(err.msg, "wasm_run \"exit.wasm\": module exited with code 42");
    sink_release(&s);
}

static void
test_deadline_interrupts(void **state)
{
    (void)state;
    uint8_t b[128];
    struct op_ctx ctx;
    struct sink s;
    ctx_init(&ctx, &s);
    struct ops_wasm_request req = { 0 };
    req.module_path = "loop.wasm";
    req.module_bytes = b;
    req.module_len = loop_module(b, 1);
    ctx.deadline_ns = mono_ns() + 200000000LL;
    struct err err = { 0 };
    int64_t t0 = mono_ns();
    assert_false(ops_wasm_run(&ctx, &req, NULL, NULL, &err));
    assert_int_equal(err.kind, ERR_TIMEOUT);
    assert_non_null(strstr(err.msg, "deadline"));
    assert_true(mono_ns() - t0 < 3000000000LL);
    sink_release(&s);
}

static void *
cancel_later(void *arg)
{
    struct timespec ts = { 0, 150000000L };
    nanosleep(&ts, NULL);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

static void
test_cancel_interrupts(void **state)
{
    (void)state;
    uint8_t b[128];
    struct op_ctx ctx;
    struct sink s;
    ctx_init(&ctx, &s);
    atomic_int flag = 0;
    ctx.interrupt = &flag;
    struct ops_wasm_request req = { 0 };
    req.module_path = "loop.wasm";
    req.module_bytes = b;
    req.module_len = loop_module(b, 2);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, cancel_later, &flag), 0);
    struct err err = { 0 };
    assert_false(ops_wasm_run(&ctx, &req, NULL, NULL, &err));
    pthread_join(th, NULL);
    assert_int_equal(err.kind, ERR_CANCELLED);
    sink_release(&s);
}

static void
test_capture_limit(void **state)
{
    (void)state;
    uint8_t b[160];
    struct op_ctx ctx;
    struct sink s;
    ctx_init(&ctx, &s);
    struct ops_wasm_request req = { 0 };
    req.module_path = "chatty.wasm";
    req.module_bytes = b;
    req.module_len = chatty_module(b);
    req.capture_max = 4096;
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    assert_false(ops_wasm_run(&ctx, &req, &out, NULL, &err));
    assert_int_equal(err.kind, ERR_LIMIT);
    assert_non_null(strstr(err.msg, "captured output exceeds 4096 bytes"));
    assert_true(out.len <= 4096 && out.len >= 4096 - 16);
    sbuf_release(&out);
    sink_release(&s);
}

static void
test_user_errors(void **state)
{
    (void)state;
    struct op_ctx ctx;
    struct sink s;
    ctx_init(&ctx, &s);
    struct ops_wasm_request req = { 0 };
    struct err err = { 0 };

    req.module_path = "no/such/module.wasm";
    assert_false(ops_wasm_run(&ctx, &req, NULL, NULL, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "${script_dir}/no/such/module.wasm"));

    static const uint8_t junk[] = { 0, 'a', 's', 'm', 1, 0, 0, 0, 1, 9, 9 };
    req.module_path = "junk.wasm";
    req.module_bytes = junk;
    req.module_len = sizeof(junk);
    err_clear(&err);
    assert_false(ops_wasm_run(&ctx, &req, NULL, NULL, &err));
    assert_true(err.kind == ERR_WASM_MALFORMED || err.kind == ERR_WASM_INVALID);
    assert_non_null(strstr(err.msg, "wasm_run \"junk.wasm\": invalid module: "));
    assert_non_null(strstr(err.msg, "offset"));

    static const uint8_t component[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0 };
    req.module_bytes = component;
    req.module_len = sizeof(component);
    err_clear(&err);
    assert_false(ops_wasm_run(&ctx, &req, NULL, NULL, &err));
    assert_int_equal(err.kind, ERR_WASM_UNLINKABLE);
    assert_non_null(strstr(err.msg, "wasip1"));

    uint8_t b[128];
    req.module_bytes = b;
    req.module_len = exit_module(b, 0);
    b[8 + 10 + 4] = 'W'; /* "wasi_snapshot_preview1" -> "Wasi_snapshot_preview1" */
    err_clear(&err);
    assert_false(ops_wasm_run(&ctx, &req, NULL, NULL, &err));
    assert_int_equal(err.kind, ERR_WASM_UNLINKABLE);
    assert_non_null(strstr(err.msg, "Wasi_snapshot_preview1.proc_exit"));

    req.module_len = exit_module(b, 0);
    struct ops_wasm_mount m = { "/no/such/dir", NULL, false };
    req.mounts = &m;
    req.mount_count = 1;
    err_clear(&err);
    assert_false(ops_wasm_run(&ctx, &req, NULL, NULL, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "mount path '/no/such/dir' does not exist"));

    /* `requires` is asked about mounts (and module files). */
    ctx.vt = &deny_vt;
    m.host_path = "/tmp";
    err_clear(&err);
    assert_false(ops_wasm_run(&ctx, &req, NULL, NULL, &err));
    assert_int_equal(err.kind, ERR_READ_NOT_DECLARED);
    req.module_bytes = NULL;
    req.module_path = "/tmp/x.wasm";
    req.mount_count = 0;
    err_clear(&err);
    assert_false(ops_wasm_run(&ctx, &req, NULL, NULL, &err));
    assert_int_equal(err.kind, ERR_READ_NOT_DECLARED);
    sink_release(&s);
}

struct loader {
    const uint8_t *bytes;
    size_t len;
    bool ok;
};

static void *
load_thread(void *arg)
{
    struct loader *l = arg;
    struct err err = { 0 };
    struct wasm_module *mod = ops_wasm_cache_get(l->bytes, l->len, &err);
    l->ok = mod != NULL;
    wasm_module_free(mod);
    return NULL;
}

static void
test_cache_compiles_once(void **state)
{
    (void)state;
    uint8_t b[128];
    size_t len = loop_module(b, 77);
    size_t before = ops_wasm_cache_compiles();
    enum {
        THREADS = 8
    };
    pthread_t th[THREADS];
    struct loader l[THREADS];
    for (int i = 0; i < THREADS; i++) {
        l[i] = (struct loader){ b, len, false };
        assert_int_equal(pthread_create(&th[i], NULL, load_thread, &l[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_true(l[i].ok);
    }
    assert_int_equal(ops_wasm_cache_compiles() - before, 1);
    /* Different bytes are a different module. */
    len = loop_module(b, 78);
    struct loader other = { b, len, false };
    load_thread(&other);
    assert_true(other.ok);
    assert_int_equal(ops_wasm_cache_compiles() - before, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_zero_and_nonzero),
        cmocka_unit_test(test_deadline_interrupts),
        cmocka_unit_test(test_cancel_interrupts),
        cmocka_unit_test(test_user_errors),
        cmocka_unit_test(test_capture_limit),
        cmocka_unit_test(test_cache_compiles_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
