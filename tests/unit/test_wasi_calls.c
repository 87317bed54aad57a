/*
 * tests/unit/test_wasi_calls.c: the order in which the fd_* and path_* host
 * calls (src/wasi/calls_fd.c, calls_path.c) check their arguments, seen from
 * a guest: which errno wins when several things are wrong at once. A guest
 * (and the WASI test suites) rely on it, and it is the sandbox boundary:
 * missing rights are ENOTCAPABLE before anything else (a single-file mount
 * has none of the directory calls' rights); a change under a read-only
 * mount is EROFS before anything looks at the path; bad guest memory is
 * EFAULT before the host is touched.
 *
 * A module built here imports the calls under test and exports one
 * forwarding function each ("f0", "f1", ...) plus its memory, so each test
 * calls them the way a guest does.
 *
 * Mounts (preopens in this order): fd 3 /ro (read-only directory: f.txt,
 * lnk -> f.txt), fd 4 /rw (writable, empty), fd 5 /one (a writable
 * single file), fd 6 /oner (a read-only single file).
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "wasi/wasi.h"
#include "wasi/wasi_int.h"
#include "wasm/wasm.h"

#include "../support/wasi_forwarder.h"

static const char *const calls[] = {
    "fd_read",  "fd_pread",       "fd_write",         "fd_pwrite",     "fd_seek",
    "fd_tell",  "fd_fdstat_set_rights", "path_open", "path_symlink", "path_readlink",
    "path_create_directory", "path_remove_directory", "path_unlink_file",
};
#define NCALLS (sizeof(calls) / sizeof(calls[0]))

/* Guest memory layout (one 64 KiB page). */
enum {
    IOV = 256,      /* one iovec: {BUF, 4} */
    RESULT = 512,   /* where results are stored */
    BUF = 2048,     /* data buffer */
    STRINGS = 1024, /* put_str writes here */
    BAD = 70000,    /* past the end of memory */
};

struct fixture {
    char base[64];
    char ro[128], rw[128], one[128], oner[128];
    struct wasi_mount mounts[4];
    const char *argv[1];
    struct wasi_config cfg; /* the context keeps a pointer to it */
    struct wasm_module *mod;
    struct wasi_ctx ctx;
    struct wasm_linker *linker;
    struct wasm_instance *inst;
    struct sbuf out; /* the guest's stdout */
    uint32_t str_at;
};

static const struct wasi_func *
find_call(const char *name)
{
    for (size_t i = 0; i < WASI_FUNC_COUNT; i++)
        if (!strcmp(wasi_func_at(i)->name, name))
            return wasi_func_at(i);
    fail_msg("no WASI function %s", name);
    return NULL;
}

/* Imports calls[i] as function i, exports "f<i>" = function NCALLS + i
 * that passes its parameters on. */
static struct wasm_module *
build_module(void)
{
    const struct wasi_func *funcs[NCALLS];
    for (size_t i = 0; i < NCALLS; i++)
        funcs[i] = find_call(calls[i]);
    struct sbuf m = SBUF_INIT;
    wasi_forwarder_bytes(funcs, NCALLS, &m);
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load((const uint8_t *)m.buf, m.len, NULL, &err);
    if (!mod)
        fail_msg("module: %s", err.msg);
    sbuf_release(&m);
    return mod;
}

static void
keep_stdout(void *user, const char *data, size_t len)
{
    sbuf_add(user, data, len);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    snprintf(fx->base, sizeof(fx->base), "/tmp/perch-test-wasi-calls-XXXXXX");
    assert_non_null(mkdtemp(fx->base));
    char p[128], q[128];
    snprintf(p, sizeof(p), "%s/ro", fx->base);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/rw", fx->base);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/ro/f.txt", fx->base);
    write_file(p, "abcdef");
    snprintf(p, sizeof(p), "%s/ro/lnk", fx->base);
    assert_int_equal(symlink("f.txt", p), 0);
    snprintf(p, sizeof(p), "%s/one.txt", fx->base);
    write_file(p, "one");
    snprintf(q, sizeof(q), "%s/oner.txt", fx->base);
    write_file(q, "oner");
    fx->mod = build_module();

    snprintf(fx->ro, sizeof(fx->ro), "%s/ro", fx->base);
    snprintf(fx->rw, sizeof(fx->rw), "%s/rw", fx->base);
    snprintf(fx->one, sizeof(fx->one), "%s", p);
    snprintf(fx->oner, sizeof(fx->oner), "%s", q);
    fx->mounts[0] = (struct wasi_mount){ fx->ro, "/ro", false };
    fx->mounts[1] = (struct wasi_mount){ fx->rw, "/rw", true };
    fx->mounts[2] = (struct wasi_mount){ fx->one, "/one", true };
    fx->mounts[3] = (struct wasi_mount){ fx->oner, "/oner", false };
    fx->argv[0] = "calls.wasm";
    sbuf_init(&fx->out);
    fx->cfg.argv = fx->argv;
    fx->cfg.argc = 1;
    fx->cfg.mounts = fx->mounts;
    fx->cfg.mount_count = 4;
    fx->cfg.stdin_fd = -1;
    fx->cfg.stdout_fn = keep_stdout;
    fx->cfg.stdout_user = &fx->out;
    struct err err = { 0 };
    if (!wasi_ctx_init(&fx->ctx, &fx->cfg, &err))
        fail_msg("wasi_ctx_init: %s", err.msg);
    fx->linker = wasm_linker_new();
    assert_true(wasi_link_all(fx->linker, &fx->ctx, &err));
    struct wasm_instance_options opts = { 0 };
    opts.user = &fx->ctx;
    fx->inst = wasm_instance_new(fx->mod, fx->linker, &opts, &err);
    if (!fx->inst)
        fail_msg("instance: %s", err.msg);
    uint32_t iov[2] = { BUF, 4 };
    assert_true(wasm_instance_memory_write(fx->inst, IOV, iov, sizeof(iov), &err));
    assert_true(wasm_instance_memory_write(fx->inst, BUF, "WXYZ", 4, &err));
    fx->str_at = STRINGS;
    *state = fx;
    return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    wasm_instance_free(fx->inst);
    wasm_linker_free(fx->linker);
    wasi_ctx_release(&fx->ctx);
    wasm_module_free(fx->mod);
    sbuf_release(&fx->out);
    nftw(fx->base, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

/* A string in guest memory; its address. */
static uint32_t
put_str(struct fixture *fx, const char *s, size_t len)
{
    uint32_t at = fx->str_at;
    struct err err = { 0 };
    assert_true(wasm_instance_memory_write(fx->inst, at, s, len, &err));
    fx->str_at += (uint32_t)len + 1;
    return at;
}

/* Call 'name' with 'n' arguments (i64 where the signature says so). */
static uint32_t
call(struct fixture *fx, const char *name, size_t n, ...)
{
    size_t index = 0;
    while (index < NCALLS && strcmp(calls[index], name))
        index++;
    assert_true(index < NCALLS);
    const struct wasi_func *f = find_call(name);
    assert_int_equal(strlen(f->params), n);
    union wasm_val args[16];
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        if (f->params[i] == 'I')
            args[i].i64 = va_arg(ap, uint64_t);
        else
            args[i].i32 = va_arg(ap, uint32_t);
    }
    va_end(ap);
    char fname[8];
    snprintf(fname, sizeof(fname), "f%zu", index);
    union wasm_val result = { 0 };
    struct err err = { 0 };
    if (!wasm_instance_call(fx->inst, fname, args, n, &result, 1, &err))
        fail_msg("%s: %s", name, err.msg);
    return result.i32;
}

static uint32_t
load_u32(struct fixture *fx, uint32_t at)
{
    uint32_t v = 0;
    struct err err = { 0 };
    assert_true(wasm_instance_memory_read(fx->inst, at, &v, 4, &err));
    return v;
}

static uint64_t
load_u64(struct fixture *fx, uint32_t at)
{
    uint64_t v = 0;
    struct err err = { 0 };
    assert_true(wasm_instance_memory_read(fx->inst, at, &v, 8, &err));
    return v;
}

/* Open /ro/f.txt with 'rights'; the new fd. */
static uint32_t
open_ro_file(struct fixture *fx, uint64_t rights)
{
    uint32_t path = put_str(fx, "f.txt", 5);
    assert_int_equal(call(fx, "path_open", 9, 3u, 0u, path, 5u, 0u, rights, (uint64_t)0, 0u,
                          (uint32_t)RESULT),
                     WASI_ESUCCESS);
    return load_u32(fx, RESULT);
}

#define S(fx, lit) put_str(fx, lit, sizeof(lit) - 1), (uint32_t)(sizeof(lit) - 1)

static void
test_symlink_checks_memory_then_mount_then_target(void **state)
{
    struct fixture *fx = *state;
    /* Target memory out of bounds: EFAULT, even under a read-only mount. */
    assert_int_equal(call(fx, "path_symlink", 5, (uint32_t)BAD, 4u, 3u, S(fx, "new")),
                     WASI_EFAULT);
    /* Read-only mount: EROFS, before the target is looked at. */
    assert_int_equal(call(fx, "path_symlink", 5, S(fx, "f.txt"), 3u, S(fx, "new")), WASI_EROFS);
    assert_int_equal(call(fx, "path_symlink", 5, 0u, 0u, 3u, S(fx, "new")), WASI_EROFS);
    /* A single-file mount has no right to make links in it. */
    assert_int_equal(call(fx, "path_symlink", 5, (uint32_t)BAD, 4u, 6u, S(fx, "new")),
                     WASI_ENOTCAPABLE);
    assert_int_equal(call(fx, "path_symlink", 5, S(fx, "f.txt"), 5u, S(fx, "new")),
                     WASI_ENOTCAPABLE);
    /* Then the target: empty, a NUL inside, leaving the mount. */
    assert_int_equal(call(fx, "path_symlink", 5, 0u, 0u, 4u, S(fx, "new")), WASI_ENOENT);
    assert_int_equal(call(fx, "path_symlink", 5, put_str(fx, "a\0b", 3), 3u, 4u, S(fx, "new")),
                     WASI_EINVAL);
    assert_int_equal(call(fx, "path_symlink", 5, S(fx, "/etc/passwd"), 4u, S(fx, "new")),
                     WASI_ENOTCAPABLE);
    assert_int_equal(call(fx, "path_symlink", 5, S(fx, "../../x"), 4u, S(fx, "new")),
                     WASI_ENOTCAPABLE);
    /* Then the link's own path. */
    assert_int_equal(call(fx, "path_symlink", 5, S(fx, "f.txt"), 4u, S(fx, "../new")),
                     WASI_ENOTCAPABLE);
    assert_int_equal(call(fx, "path_symlink", 5, S(fx, "target"), 4u, S(fx, "new")),
                     WASI_ESUCCESS);
    char host[128], got[16] = { 0 };
    snprintf(host, sizeof(host), "%s/rw/new", fx->base);
    assert_int_equal(readlink(host, got, sizeof(got) - 1), 6);
    assert_string_equal(got, "target");
    assert_int_equal(call(fx, "path_symlink", 5, S(fx, "target"), 4u, S(fx, "new")),
                     WASI_EEXIST);
}

static void
test_readlink_checks_rights_then_memory_then_the_path(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(call(fx, "path_readlink", 6, 5u, S(fx, "."), (uint32_t)BAD, 8u,
                          (uint32_t)RESULT),
                     WASI_ENOTCAPABLE);
    /* Bad buffer or result pointer: EFAULT, before the path is looked at. */
    assert_int_equal(call(fx, "path_readlink", 6, 3u, S(fx, "../../nope"), (uint32_t)BAD, 8u,
                          (uint32_t)RESULT),
                     WASI_EFAULT);
    assert_int_equal(
        call(fx, "path_readlink", 6, 3u, S(fx, "lnk"), (uint32_t)BUF, 8u, (uint32_t)BAD),
        WASI_EFAULT);
    /* A read-only mount may be read. */
    assert_int_equal(call(fx, "path_readlink", 6, 3u, S(fx, "lnk"), (uint32_t)BUF, 8u,
                          (uint32_t)RESULT),
                     WASI_ESUCCESS);
    assert_int_equal(load_u32(fx, RESULT), 5);
    char got[6] = { 0 };
    struct err err = { 0 };
    assert_true(wasm_instance_memory_read(fx->inst, BUF, got, 5, &err));
    assert_string_equal(got, "f.txt");
    /* Cut to the buffer. */
    assert_int_equal(call(fx, "path_readlink", 6, 3u, S(fx, "lnk"), (uint32_t)BUF, 2u,
                          (uint32_t)RESULT),
                     WASI_ESUCCESS);
    assert_int_equal(load_u32(fx, RESULT), 2);
    assert_int_equal(call(fx, "path_readlink", 6, 3u, S(fx, "f.txt"), (uint32_t)BUF, 8u,
                          (uint32_t)RESULT),
                     WASI_EINVAL);
    assert_int_equal(call(fx, "path_readlink", 6, 3u, S(fx, "../x"), (uint32_t)BUF, 8u,
                          (uint32_t)RESULT),
                     WASI_ENOTCAPABLE);
}

static void
test_create_and_remove_check_the_mount_before_the_path(void **state)
{
    struct fixture *fx = *state;
    /* Read-only: EROFS, even for a path that could not exist. */
    assert_int_equal(call(fx, "path_create_directory", 3, 3u, S(fx, "../../etc/d")), WASI_EROFS);
    assert_int_equal(call(fx, "path_create_directory", 3, 6u, S(fx, "d")), WASI_ENOTCAPABLE);
    assert_int_equal(call(fx, "path_create_directory", 3, 5u, S(fx, "d")), WASI_ENOTCAPABLE);
    assert_int_equal(call(fx, "path_create_directory", 3, 4u, S(fx, "../d")),
                     WASI_ENOTCAPABLE);
    assert_int_equal(call(fx, "path_create_directory", 3, 4u, S(fx, "d")), WASI_ESUCCESS);
    assert_int_equal(call(fx, "path_create_directory", 3, 4u, S(fx, "d")), WASI_EEXIST);

    assert_int_equal(call(fx, "path_unlink_file", 3, 3u, S(fx, "f.txt")), WASI_EROFS);
    assert_int_equal(call(fx, "path_remove_directory", 3, 3u, S(fx, "nope")), WASI_EROFS);
    assert_int_equal(call(fx, "path_unlink_file", 3, 5u, S(fx, ".")), WASI_ENOTCAPABLE);
    assert_int_equal(call(fx, "path_remove_directory", 3, 6u, S(fx, ".")), WASI_ENOTCAPABLE);
    assert_int_equal(call(fx, "path_unlink_file", 3, 4u, S(fx, "d")), WASI_EISDIR);
    assert_int_equal(call(fx, "path_remove_directory", 3, 4u, S(fx, ".")), WASI_EBUSY);
    assert_int_equal(call(fx, "path_remove_directory", 3, 4u, S(fx, "d")), WASI_ESUCCESS);
    assert_int_equal(call(fx, "path_remove_directory", 3, 4u, S(fx, "d")), WASI_ENOENT);
    char host[128];
    snprintf(host, sizeof(host), "%s/ro/f.txt", fx->base);
    assert_int_equal(access(host, F_OK), 0);
}

static void
test_read_and_write_check_the_fd_then_the_result_then_the_buffers(void **state)
{
    struct fixture *fx = *state;
    /* The fd's kind first. */
    assert_int_equal(call(fx, "fd_read", 4, 99u, (uint32_t)IOV, 1u, (uint32_t)RESULT),
                     WASI_EBADF);
    assert_int_equal(call(fx, "fd_read", 4, 1u, (uint32_t)IOV, 1u, (uint32_t)BAD), WASI_EBADF);
    assert_int_equal(call(fx, "fd_read", 4, 3u, (uint32_t)IOV, 1u, (uint32_t)BAD), WASI_EISDIR);
    assert_int_equal(call(fx, "fd_pread", 5, 0u, (uint32_t)IOV, 1u, (uint64_t)0, (uint32_t)BAD),
                     WASI_ESPIPE);
    assert_int_equal(call(fx, "fd_write", 4, 0u, (uint32_t)IOV, 1u, (uint32_t)BAD), WASI_EBADF);
    assert_int_equal(call(fx, "fd_pwrite", 5, 1u, (uint32_t)IOV, 1u, (uint64_t)0, (uint32_t)BAD),
                     WASI_ESPIPE);
    uint32_t ro = open_ro_file(fx, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK);
    assert_int_equal(call(fx, "fd_write", 4, ro, (uint32_t)IOV, 1u, (uint32_t)BAD), WASI_EROFS);
    /* Then the result pointer, then the iovecs. */
    assert_int_equal(call(fx, "fd_read", 4, ro, (uint32_t)IOV, 5000u, (uint32_t)BAD),
                     WASI_EFAULT);
    assert_int_equal(call(fx, "fd_read", 4, ro, (uint32_t)IOV, 5000u, (uint32_t)RESULT),
                     WASI_EINVAL);
    assert_int_equal(call(fx, "fd_read", 4, ro, (uint32_t)BAD, 1u, (uint32_t)RESULT),
                     WASI_EFAULT);
    assert_int_equal(call(fx, "fd_pread", 5, ro, (uint32_t)IOV, 1u, (uint64_t)2,
                          (uint32_t)RESULT),
                     WASI_ESUCCESS);
    assert_int_equal(load_u32(fx, RESULT), 4);
    char got[5] = { 0 };
    struct err err = { 0 };
    assert_true(wasm_instance_memory_read(fx->inst, BUF, got, 4, &err));
    assert_string_equal(got, "cdef");
    /* stdout goes to the callback. */
    assert_true(wasm_instance_memory_write(fx->inst, BUF, "WXYZ", 4, &err));
    assert_int_equal(call(fx, "fd_write", 4, 1u, (uint32_t)IOV, 1u, (uint32_t)RESULT),
                     WASI_ESUCCESS);
    assert_int_equal(load_u32(fx, RESULT), 4);
    assert_string_equal(fx->out.buf, "WXYZ");
    /* Without the right: ENOTCAPABLE, before memory is looked at. */
    uint32_t no_read = open_ro_file(fx, WASI_RIGHT_FD_SEEK);
    assert_int_equal(call(fx, "fd_read", 4, no_read, (uint32_t)IOV, 1u, (uint32_t)BAD),
                     WASI_ENOTCAPABLE);
    assert_int_equal(call(fx, "fd_pread", 5, ro, (uint32_t)IOV, 1u, (uint64_t)0, (uint32_t)BAD),
                     WASI_EFAULT);
}

static void
test_seek_and_tell(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(call(fx, "fd_tell", 2, 3u, (uint32_t)RESULT), WASI_EBADF);
    assert_int_equal(call(fx, "fd_tell", 2, 1u, (uint32_t)RESULT), WASI_ESPIPE);
    assert_int_equal(call(fx, "fd_seek", 4, 0u, (uint64_t)0, 0u, (uint32_t)RESULT), WASI_ESPIPE);
    uint32_t fd = open_ro_file(fx, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL);
    assert_int_equal(call(fx, "fd_tell", 2, fd, (uint32_t)BAD), WASI_EFAULT);
    assert_int_equal(call(fx, "fd_seek", 4, fd, (uint64_t)4, (uint32_t)WASI_WHENCE_SET,
                          (uint32_t)RESULT),
                     WASI_ESUCCESS);
    assert_int_equal(load_u64(fx, RESULT), 4);
    assert_int_equal(call(fx, "fd_tell", 2, fd, (uint32_t)RESULT + 8), WASI_ESUCCESS);
    assert_int_equal(load_u64(fx, RESULT + 8), 4);
    assert_int_equal(call(fx, "fd_seek", 4, fd, (uint64_t)0, 9u, (uint32_t)RESULT), WASI_EINVAL);
    assert_int_equal(call(fx, "fd_seek", 4, fd, (uint64_t)-1, (uint32_t)WASI_WHENCE_SET,
                          (uint32_t)RESULT),
                     WASI_EINVAL);
    /* fd_tell needs fd_tell or fd_seek; moving needs fd_seek. */
    uint32_t tell_only = open_ro_file(fx, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_TELL);
    assert_int_equal(call(fx, "fd_tell", 2, tell_only, (uint32_t)RESULT), WASI_ESUCCESS);
    assert_int_equal(call(fx, "fd_seek", 4, tell_only, (uint64_t)0, (uint32_t)WASI_WHENCE_CUR,
                          (uint32_t)RESULT),
                     WASI_ESUCCESS);
    assert_int_equal(call(fx, "fd_seek", 4, tell_only, (uint64_t)1, (uint32_t)WASI_WHENCE_CUR,
                          (uint32_t)RESULT),
                     WASI_ENOTCAPABLE);
    assert_int_equal(call(fx, "fd_fdstat_set_rights", 3, tell_only,
                          (uint64_t)WASI_RIGHT_FD_READ, (uint64_t)0),
                     WASI_ESUCCESS);
    assert_int_equal(call(fx, "fd_tell", 2, tell_only, (uint32_t)BAD), WASI_ENOTCAPABLE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_symlink_checks_memory_then_mount_then_target, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_readlink_checks_rights_then_memory_then_the_path,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_and_remove_check_the_mount_before_the_path,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_read_and_write_check_the_fd_then_the_result_then_the_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seek_and_tell, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
