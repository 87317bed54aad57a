/*
 * tests/wasm/wasi_driver.c: runs the WASI test programs (tool, fs, escape,
 * raw: compiled from the .c files here) through wasi_run() and checks what
 * users rely on: argv/env visibility, exit codes, traps, interrupts, large
 * outputs, stdin, file work inside mounts, every escape attempt, read-only
 * mounts, determinism of clocks and randomness, and link errors.
 *
 *   wasi_driver MODULE_DIR           run the cmocka suite
 *   wasi_driver run [--dir HOST::GUEST]... [--ro-dir HOST::GUEST]... [--env K=V]...
 *               MODULE [ARGS...]     run one module (used by wasi_diff.sh)
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "wasi/wasi.h"
#include "wasm/wasm.h"

static const char *module_dir;

/* ---- helpers ------------------------------------------------------------ */

static uint8_t *
read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct sbuf sb = SBUF_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        sbuf_add(&sb, buf, n);
    fclose(f);
    return (uint8_t *)sbuf_detach(&sb, out_len);
}

static struct wasm_module *
load_named(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.wasm", module_dir, name);
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    if (!bytes) {
        fail_msg("cannot read %s", path);
        return NULL;
    }
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(bytes, len, NULL, &err);
    free(bytes);
    if (!mod)
        fail_msg("cannot load %s: %s", path, err.msg);
    return mod;
}

static void
capture(void *user, const char *data, size_t len)
{
    sbuf_add(user, data, len);
}

struct run {
    bool ok;
    int exit_code;
    struct err err;
    struct sbuf out, errout;
    double secs;
};

static double
now_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run module 'name' with 'cfg' (stdout/stderr captured into 'r'). */
static void
run_cfg(const char *name, struct wasi_config *cfg, struct run *r)
{
    memset(r, 0, sizeof(*r));
    sbuf_init(&r->out);
    sbuf_init(&r->errout);
    cfg->stdout_fn = capture;
    cfg->stdout_user = &r->out;
    cfg->stderr_fn = capture;
    cfg->stderr_user = &r->errout;
    struct wasm_module *mod = load_named(name);
    double t0 = now_secs();
    r->ok = wasi_run(mod, cfg, &r->exit_code, &r->err);
    r->secs = now_secs() - t0;
    wasm_module_free(mod);
}

static void
run_release(struct run *r)
{
    sbuf_release(&r->out);
    sbuf_release(&r->errout);
}

/* A config with argv = { "tool.wasm", args... } and empty stdin. */
static struct wasi_config
tool_cfg(const char *const *argv, size_t argc)
{
    struct wasi_config cfg = { 0 };
    cfg.argv = argv;
    cfg.argc = argc;
    cfg.stdin_fd = -1;
    return cfg;
}

#define ARGV(...)  ((const char *const[]){ __VA_ARGS__ })
#define COUNT(...) (sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))
#define TOOL(...)  tool_cfg(ARGV(__VA_ARGS__), COUNT(__VA_ARGS__))

/* ---- a scratch tree for the file system tests ----------------------------- */

struct tree {
    char root[256];
    char data[300], work[300], outside[300], secret[320];
};

static void
put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static bool
file_equals(const char *path, const char *text)
{
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    bool same = bytes && len == strlen(text) && memcmp(bytes, text, len) == 0;
    free(bytes);
    return same;
}

static int
tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));
    snprintf(t->root, sizeof(t->root), "%s/perch-wasi-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(t->root))
        return -1;
    snprintf(t->data, sizeof(t->data), "%s/data", t->root);
    snprintf(t->work, sizeof(t->work), "%s/work", t->root);
    snprintf(t->outside, sizeof(t->outside), "%s/outside", t->root);
    snprintf(t->secret, sizeof(t->secret), "%s/outside/secret.txt", t->root);
    mkdir(t->data, 0777);
    mkdir(t->work, 0777);
    mkdir(t->outside, 0777);
    char p[512];
    snprintf(p, sizeof(p), "%s/nested", t->data);
    mkdir(p, 0777);
    snprintf(p, sizeof(p), "%s/hello.txt", t->data);
    put_file(p, "hello\n");
    snprintf(p, sizeof(p), "%s/nested/x.txt", t->data);
    put_file(p, "x");
    put_file(t->secret, "top secret\n");
    *state = t;
    return 0;
}

static int
tree_teardown(void **state)
{
    struct tree *t = *state;
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", t->root, t->root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", t->root);
    free(t);
    return 0;
}

/* ---- argv, env, exit codes ----------------------------------------------- */

static void
test_args_and_env(void **state)
{
    (void)state;
    setenv("PERCH_TEST_SECRET", "leak", 1);
    struct wasi_config cfg = TOOL("tool.wasm", "args", "two words", "\xc3\xbc");
    const char *env[] = { "A=1", "B=two=2" };
    cfg.env = env;
    cfg.env_count = 2;
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out.buf, "argc=4\nargv[0]=tool.wasm\nargv[1]=args\n"
                                   "argv[2]=two words\nargv[3]=\xc3\xbc\nenv A=1\nenv B=two=2\n");
    run_release(&r);
}

static void
test_no_env_by_default(void **state)
{
    (void)state;
    struct wasi_config cfg = TOOL("tool.wasm", "args");
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_null(strstr(r.out.buf, "env "));
    run_release(&r);
}

static void
test_exit_codes(void **state)
{
    (void)state;
    static const struct {
        const char *how, *value;
        int want;
    } cases[] = {
        { "exit", "7", 7 },     { "exit", "0", 0 },   { "return", "3", 3 },
        { "exit", "255", 255 }, { "return", "0", 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wasi_config cfg = TOOL("tool.wasm", cases[i].how, cases[i].value);
        struct run r;
        run_cfg("tool", &cfg, &r);
        assert_true(r.ok);
        assert_int_equal(r.exit_code, cases[i].want);
        run_release(&r);
    }
}

static void
test_trap_unreachable(void **state)
{
    (void)state;
    struct wasi_config cfg = TOOL("tool.wasm", "trap");
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_false(r.ok);
    assert_int_equal(r.err.kind, ERR_WASM_TRAP);
    assert_int_equal(r.err.code, WASM_TRAP_UNREACHABLE);
    assert_non_null(strstr(r.err.msg, "unreachable"));
    assert_string_equal(r.out.buf, "before trap\n");
    run_release(&r);
}

static void
test_trap_divide_by_zero(void **state)
{
    (void)state;
    struct wasi_config cfg = TOOL("tool.wasm", "divzero", "0");
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_false(r.ok);
    assert_int_equal(r.err.kind, ERR_WASM_TRAP);
    assert_int_equal(r.err.code, WASM_TRAP_DIV_ZERO);
    run_release(&r);
    cfg = TOOL("tool.wasm", "divzero", "5");
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_string_equal(r.out.buf, "20\n");
    run_release(&r);
}

/* ---- interrupts ------------------------------------------------------------- */

struct alarm {
    atomic_int *flag;
    int delay_ms;
};

static void *
alarm_thread(void *arg)
{
    struct alarm *a = arg;
    struct timespec ts = { a->delay_ms / 1000, (long)(a->delay_ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
    atomic_store(a->flag, 1);
    return NULL;
}

/* Run with an interrupt raised after 'delay_ms'; the run must stop soon after. */
static void
run_interrupted(struct wasi_config *cfg, int delay_ms, struct run *r)
{
    atomic_int flag = 0;
    struct alarm a = { &flag, delay_ms };
    cfg->interrupt = &flag;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, alarm_thread, &a), 0);
    run_cfg("tool", cfg, r);
    pthread_join(th, NULL);
    cfg->interrupt = NULL;
}

static void
test_interrupt_infinite_loop(void **state)
{
    (void)state;
    struct wasi_config cfg = TOOL("tool.wasm", "loop");
    struct run r;
    run_interrupted(&cfg, 200, &r);
    assert_false(r.ok);
    assert_int_equal(r.err.kind, ERR_WASM_TRAP);
    assert_int_equal(r.err.code, WASM_TRAP_INTERRUPTED);
    assert_true(r.secs < 5.0);
    run_release(&r);
}

static void
test_interrupt_real_sleep(void **state)
{
    (void)state;
    struct wasi_config cfg = TOOL("tool.wasm", "sleep", "20000");
    cfg.real_clock = true;
    struct run r;
    run_interrupted(&cfg, 200, &r);
    assert_false(r.ok);
    assert_int_equal(r.err.code, WASM_TRAP_INTERRUPTED);
    assert_true(r.secs < 5.0);
    run_release(&r);
}

static void
test_interrupt_blocked_stdin(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0); /* never written: the read would block forever */
    struct wasi_config cfg = TOOL("tool.wasm", "cat");
    cfg.stdin_fd = fds[0];
    struct run r;
    run_interrupted(&cfg, 200, &r);
    assert_false(r.ok);
    assert_int_equal(r.err.code, WASM_TRAP_INTERRUPTED);
    assert_true(r.secs < 5.0);
    run_release(&r);
    close(fds[0]);
    close(fds[1]);
}

/* ---- stdio ------------------------------------------------------------------- */

static void
test_big_output(void **state)
{
    (void)state;
    const long n = 10L * 1024 * 1024;
    char count[32];
    snprintf(count, sizeof(count), "%ld", n);
    struct wasi_config cfg = TOOL("tool.wasm", "big", count);
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_int_equal(r.out.len, (size_t)n);
    /* Line k holds letters starting at 'a' + k % 26 and ends in '\n'. */
    for (long line = 0; line < n / 64; line += 4099) {
        const char *p = r.out.buf + line * 64;
        assert_int_equal(p[0], 'a' + line % 26);
        assert_int_equal(p[63], '\n');
    }
    run_release(&r);
}

static void
test_stdin_pipe(void **state)
{
    (void)state;
    char path[] = "/tmp/perch-wasi-stdin-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    const char *text = "hello from stdin\nsecond line\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    lseek(fd, 0, SEEK_SET);
    struct wasi_config cfg = TOOL("tool.wasm", "cat");
    cfg.stdin_fd = fd;
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_string_equal(r.out.buf, text);
    assert_string_equal(r.errout.buf, "read 29 bytes\n");
    run_release(&r);
    close(fd);
}

static void
test_stdin_empty(void **state)
{
    (void)state;
    struct wasi_config cfg = TOOL("tool.wasm", "cat");
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_string_equal(r.out.buf, "");
    assert_string_equal(r.errout.buf, "read 0 bytes\n");
    run_release(&r);
}

static void
test_stdout_and_stderr_separate(void **state)
{
    (void)state;
    struct wasi_config cfg = TOOL("tool.wasm", "stderr");
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_string_equal(r.out.buf, "to stdout\n");
    assert_string_equal(r.errout.buf, "to stderr\n");
    run_release(&r);
}

/* ---- time and randomness ---------------------------------------------------- */

static void
test_virtual_sleep_is_instant(void **state)
{
    (void)state;
    struct wasi_config cfg = TOOL("tool.wasm", "sleep", "5000");
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_string_equal(r.out.buf, "slept 5000 ms\n");
    assert_true(r.secs < 2.0);
    run_release(&r);
}

static void
test_real_sleep_waits(void **state)
{
    (void)state;
    struct wasi_config cfg = TOOL("tool.wasm", "sleep", "150");
    cfg.real_clock = true;
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_true(r.secs >= 0.14);
    int ms = 0;
    assert_int_equal(sscanf(r.out.buf, "slept %d ms", &ms), 1);
    assert_true(ms >= 150);
    run_release(&r);
}

/* ---- file system ------------------------------------------------------------ */

static void
mounts_for(struct tree *t, struct wasi_mount m[2])
{
    m[0] = (struct wasi_mount){ t->data, "/ro/data", false };
    m[1] = (struct wasi_mount){ t->work, "/rw/work", true };
}

static void
test_fs_module(void **state)
{
    struct tree *t = *state;
    struct wasi_mount m[2];
    mounts_for(t, m);
    struct wasi_config cfg = TOOL("fs.wasm");
    cfg.mounts = m;
    cfg.mount_count = 2;
    struct run r;
    run_cfg("fs", &cfg, &r);
    if (!r.ok || r.exit_code != 0)
        print_message("%s%s\n", r.out.buf, r.err.msg);
    assert_true(r.ok);
    assert_null(strstr(r.out.buf, "FAIL"));
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out.buf, "listing: hello.txt nested\n"));
    char p[512];
    snprintf(p, sizeof(p), "%s/result.txt", t->work);
    assert_true(file_equals(p, "done\n"));
    snprintf(p, sizeof(p), "%s/hello.txt", t->data);
    assert_true(file_equals(p, "hello\n"));
    run_release(&r);
}

static void
test_escape_module(void **state)
{
    struct tree *t = *state;
    char p[512];
    snprintf(p, sizeof(p), "%s/link_abs", t->data);
    assert_int_equal(symlink(t->secret, p), 0);
    snprintf(p, sizeof(p), "%s/link_rel", t->data);
    assert_int_equal(symlink("../outside/secret.txt", p), 0);
    setenv("PERCH_TEST_SECRET", "leak", 1);
    struct wasi_mount m[2];
    mounts_for(t, m);
    struct wasi_config cfg = TOOL("escape.wasm", t->secret);
    const char *env[] = { "ALLOWED=yes" };
    cfg.env = env;
    cfg.env_count = 1;
    cfg.mounts = m;
    cfg.mount_count = 2;
    struct run r;
    run_cfg("escape", &cfg, &r);
    if (!r.ok || r.exit_code != 0)
        print_message("%s%s\n", r.out.buf, r.err.msg);
    assert_true(r.ok);
    assert_null(strstr(r.out.buf, "ESCAPED"));
    assert_null(strstr(r.out.buf, "FAIL"));
    assert_non_null(strstr(r.out.buf, "escapes=0 failures=0\n"));
    assert_int_equal(r.exit_code, 0);
    /* Nothing outside changed, nothing appeared next to the mounts. */
    assert_true(file_equals(t->secret, "top secret\n"));
    snprintf(p, sizeof(p), "%s/f", t->root);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof(p), "%s/x", t->root);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof(p), "%s/hello.txt", t->data);
    assert_true(file_equals(p, "hello\n"));
    snprintf(p, sizeof(p), "%s/abs_link", t->work);
    assert_int_equal(access(p, F_OK), -1);
    run_release(&r);
}

static void
test_raw_module_and_determinism(void **state)
{
    struct tree *t = *state;
    struct wasi_mount m = { t->work, "/rw/work", true };
    const char *env[] = { "ONLY=this" };
    struct run r1, r2, r3;
    struct wasi_config cfg = TOOL("raw.wasm", "arg one");
    cfg.env = env;
    cfg.env_count = 1;
    cfg.mounts = &m;
    cfg.mount_count = 1;
    run_cfg("raw", &cfg, &r1);
    if (!r1.ok || r1.exit_code != 0)
        print_message("%s%s\n", r1.out.buf, r1.err.msg);
    assert_true(r1.ok);
    assert_null(strstr(r1.out.buf, "FAIL"));
    assert_int_equal(r1.exit_code, 0);
    assert_non_null(strstr(r1.out.buf, "raw stdout line\n"));
    /* The deterministic wall clock starts at the fixed epoch. */
    unsigned long long rt = 0;
    const char *line = strstr(r1.out.buf, "realtime ");
    assert_non_null(line);
    sscanf(line, "realtime %llu", &rt);
    assert_true(rt >= WASI_DETERMINISTIC_EPOCH_NS
                && rt < WASI_DETERMINISTIC_EPOCH_NS + 1000000000ULL);
    /* Same inputs, same bytes: clocks and random_get included. */
    run_cfg("raw", &cfg, &r2);
    assert_true(r2.ok);
    assert_string_equal(r1.out.buf, r2.out.buf);
    /* Real entropy differs from the seeded stream. */
    cfg.real_random = true;
    cfg.real_clock = true;
    run_cfg("raw", &cfg, &r3);
    assert_true(r3.ok);
    assert_int_equal(r3.exit_code, 0);
    const char *rnd1 = strstr(r1.out.buf, "random "), *rnd3 = strstr(r3.out.buf, "random ");
    assert_non_null(rnd3);
    assert_memory_not_equal(rnd1, rnd3, 39);
    run_release(&r1);
    run_release(&r2);
    run_release(&r3);
}

static void
test_single_file_mounts(void **state)
{
    struct tree *t = *state;
    char file[512];
    snprintf(file, sizeof(file), "%s/hello.txt", t->data);
    struct wasi_mount ro = { file, "/cfg/settings.txt", false };
    struct wasi_config cfg = TOOL("tool.wasm", "read", "/cfg/settings.txt");
    cfg.mounts = &ro;
    cfg.mount_count = 1;
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out.buf, "hello\n");
    run_release(&r);
    /* Its siblings are not visible. */
    cfg = TOOL("tool.wasm", "read", "/cfg/nested/x.txt");
    cfg.mounts = &ro;
    cfg.mount_count = 1;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_int_equal(r.exit_code, 1);
    run_release(&r);
    /* Read-only: writing fails and the file is unchanged. */
    cfg = TOOL("tool.wasm", "write", "/cfg/settings.txt", "changed");
    cfg.mounts = &ro;
    cfg.mount_count = 1;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.errout.buf, "Read-only file system"));
    assert_true(file_equals(file, "hello\n"));
    run_release(&r);
    /* Writable: the guest can replace the contents. */
    struct wasi_mount rw = { file, "/out.txt", true };
    cfg = TOOL("tool.wasm", "write", "/out.txt", "changed");
    cfg.mounts = &rw;
    cfg.mount_count = 1;
    run_cfg("tool", &cfg, &r);
    assert_true(r.ok);
    assert_int_equal(r.exit_code, 0);
    assert_true(file_equals(file, "changed"));
    run_release(&r);
}

static void
test_missing_mount(void **state)
{
    (void)state;
    struct wasi_mount m = { "/nonexistent/perch/dir", "/ro/dir", false };
    struct wasi_config cfg = TOOL("tool.wasm", "args");
    cfg.mounts = &m;
    cfg.mount_count = 1;
    struct run r;
    run_cfg("tool", &cfg, &r);
    assert_false(r.ok);
    assert_int_equal(r.err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(r.err.msg, "/nonexistent/perch/dir"));
    run_release(&r);
}

/* ---- linking ------------------------------------------------------------------- */

/* A module with one function import of type () -> () or (i32) -> (). */
static struct wasm_module *
import_module(const char *mod_name, const char *name, bool takes_i32, struct err *err)
{
    uint8_t b[256];
    size_t n = 0;
    static const uint8_t head[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    memcpy(b, head, sizeof(head));
    n = sizeof(head);
    b[n++] = 1; /* type section */
    if (takes_i32) {
        b[n++] = 5;
        b[n++] = 1, b[n++] = 0x60, b[n++] = 1, b[n++] = 0x7f, b[n++] = 0;
    } else {
        b[n++] = 4;
        b[n++] = 1, b[n++] = 0x60, b[n++] = 0, b[n++] = 0;
    }
    size_t ml = strlen(mod_name), nl = strlen(name);
    b[n++] = 2; /* import section */
    b[n++] = (uint8_t)(1 + 1 + ml + 1 + nl + 2);
    b[n++] = 1;
    b[n++] = (uint8_t)ml;
    memcpy(b + n, mod_name, ml);
    n += ml;
    b[n++] = (uint8_t)nl;
    memcpy(b + n, name, nl);
    n += nl;
    b[n++] = 0; /* func */
    b[n++] = 0; /* type 0 */
    return wasm_module_load(b, n, NULL, err);
}

static void
expect_link_error(const char *mod_name, const char *name, bool takes_i32, const char *want)
{
    struct err err = { 0 };
    struct wasm_module *mod = import_module(mod_name, name, takes_i32, &err);
    assert_non_null(mod);
    struct wasi_config cfg = TOOL("x.wasm");
    int code = -1;
    assert_false(wasi_run(mod, &cfg, &code, &err));
    assert_int_equal(err.kind, ERR_WASM_UNLINKABLE);
    if (!strstr(err.msg, want))
        fail_msg("message '%s' lacks '%s'", err.msg, want);
    wasm_module_free(mod);
}

static void
test_link_errors(void **state)
{
    (void)state;
    expect_link_error("env", "foo", false, "env.foo");
    expect_link_error("wasi:cli/stdout@0.2.0", "get-stdout", false, "wasip1");
    expect_link_error(WASI_MODULE_NAME, "no_such_call", false, "no_such_call");
    expect_link_error(WASI_MODULE_NAME, "fd_close", false, "incompatible import type");
    /* The right signature links (and the module then lacks _start). */
    struct err err = { 0 };
    struct wasm_module *mod = import_module(WASI_MODULE_NAME, "proc_exit", true, &err);
    assert_non_null(mod);
    assert_true(wasi_check_imports(mod, &err));
    struct wasi_config cfg = TOOL("x.wasm");
    int code = -1;
    assert_false(wasi_run(mod, &cfg, &code, &err));
    assert_non_null(strstr(err.msg, "_start"));
    wasm_module_free(mod);
}

static void
test_component_detection(void **state)
{
    (void)state;
    static const uint8_t component[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0 };
    static const uint8_t core[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    assert_true(wasi_is_component(component, sizeof(component)));
    assert_false(wasi_is_component(core, sizeof(core)));
    assert_false(wasi_is_component(core, 3));
}

/* ---- `run` mode for the differential test ------------------------------------ */

static void
write_fd(void *user, const char *data, size_t len)
{
    int fd = *(int *)user;
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static int
run_main(int argc, char **argv)
{
    struct wasi_mount mounts[16];
    const char *env[64];
    size_t mount_count = 0, env_count = 0;
    int i = 2;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if ((strcmp(argv[i], "--dir") == 0 || strcmp(argv[i], "--ro-dir") == 0)
            && mount_count < 16) {
            char *sep = strstr(argv[i + 1], "::");
            if (!sep)
                return 2;
            *sep = '\0';
            mounts[mount_count++] =
                (struct wasi_mount){ argv[i + 1], sep + 2, strcmp(argv[i], "--dir") == 0 };
        } else if (strcmp(argv[i], "--env") == 0 && env_count < 64) {
            env[env_count++] = argv[i + 1];
        } else {
            return 2;
        }
    }
    if (i >= argc)
        return 2;
    size_t len = 0;
    uint8_t *bytes = read_file(argv[i], &len);
    if (!bytes) {
        fprintf(stderr, "cannot read %s\n", argv[i]);
        return 2;
    }
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(bytes, len, NULL, &err);
    free(bytes);
    if (!mod) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    /* argv[0] is the module's basename, as perch and node present it. */
    const char *base = strrchr(argv[i], '/');
    argv[i] = (char *)(base ? base + 1 : argv[i]);
    int out_fd = 1, err_fd = 2;
    struct wasi_config cfg = { 0 };
    cfg.argv = (const char *const *)argv + i;
    cfg.argc = (size_t)(argc - i);
    cfg.env = env;
    cfg.env_count = env_count;
    cfg.mounts = mounts;
    cfg.mount_count = mount_count;
    cfg.stdin_fd = 0;
    cfg.stdout_fn = write_fd;
    cfg.stdout_user = &out_fd;
    cfg.stderr_fn = write_fd;
    cfg.stderr_user = &err_fd;
    int code = 0;
    bool ok = wasi_run(mod, &cfg, &code, &err);
    wasm_module_free(mod);
    if (!ok) {
        fprintf(stderr, "%s: %s\n", err_kind_name(err.kind), err.msg);
        return 1;
    }
    return code;
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "run") == 0)
        return run_main(argc, argv);
    if (argc != 2) {
        fprintf(stderr, "usage: wasi_driver MODULE_DIR | wasi_driver run [...] MODULE [ARGS]\n");
        return 2;
    }
    module_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args_and_env),
        cmocka_unit_test(test_no_env_by_default),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_trap_unreachable),
        cmocka_unit_test(test_trap_divide_by_zero),
        cmocka_unit_test(test_interrupt_infinite_loop),
        cmocka_unit_test(test_interrupt_real_sleep),
        cmocka_unit_test(test_interrupt_blocked_stdin),
        cmocka_unit_test(test_big_output),
        cmocka_unit_test(test_stdin_pipe),
        cmocka_unit_test(test_stdin_empty),
        cmocka_unit_test(test_stdout_and_stderr_separate),
        cmocka_unit_test(test_virtual_sleep_is_instant),
        cmocka_unit_test(test_real_sleep_waits),
        cmocka_unit_test_setup_teardown(test_fs_module, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_escape_module, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_raw_module_and_determinism, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_single_file_mounts, tree_setup, tree_teardown),
        cmocka_unit_test(test_missing_mount),
        cmocka_unit_test(test_link_errors),
        cmocka_unit_test(test_component_detection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
