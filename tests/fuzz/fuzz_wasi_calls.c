/*
 * tests/fuzz/fuzz_wasi_calls.c: libFuzzer target for the WASI host calls.
 *
 * A module built here at start-up imports all 46 wasi_snapshot_preview1
 * functions and exports one forwarding wrapper per function ("f0".."f45")
 * plus its memory (one 64 KiB page). Each input is
 *     [u16 n] [n bytes copied to memory at offset 0] then calls:
 *     [u8 function index] [each parameter: 4 bytes (i32) or 8 bytes (i64)]
 * run in order on one instance, so fds opened by one call are used by the
 * next. Mounts: a read-only and a writable scratch directory. Clocks are
 * virtual, so sleeps cost nothing. Every call must return an errno or a
 * documented error (proc_exit), never crash, hang or touch outside memory.
 */
#include <fcntl.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Process-wide because libFuzzer calls the target with no context to keep. */
static struct wasm_module *forwarder;
static char ro_dir[256], rw_dir[256];

static struct wasm_module *
build_forwarder(void)
{
    const struct wasi_func *funcs[WASI_FUNC_COUNT];
    for (size_t i = 0; i < WASI_FUNC_COUNT; i++)
        funcs[i] = wasi_func_at(i);
    struct sbuf m = SBUF_INIT;
    wasi_forwarder_bytes(funcs, WASI_FUNC_COUNT, &m);
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load((const uint8_t *)m.buf, m.len, NULL, &err);
    if (!mod) {
        fprintf(stderr, "forwarder module: %s\n", err.msg);
        abort();
    }
    sbuf_release(&m);
    return mod;
}

static char scratch_base[64];

/* Remove the scratch tree when the process ends. */
static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

static void
remove_tree(void)
{
    nftw(scratch_base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
setup(void)
{
    char base[] = "/tmp/perch-fuzz-calls-XXXXXX";
    if (!mkdtemp(base))
        abort();
    snprintf(scratch_base, sizeof(scratch_base), "%s", base);
    atexit(remove_tree);
    snprintf(ro_dir, sizeof(ro_dir), "%s/ro", base);
    snprintf(rw_dir, sizeof(rw_dir), "%s/rw", base);
    mkdir(ro_dir, 0777);
    mkdir(rw_dir, 0777);
    char p[300];
    snprintf(p, sizeof(p), "%s/file", ro_dir);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs("read-only contents\n", f);
        fclose(f);
    }
    snprintf(p, sizeof(p), "%s/up", ro_dir);
    if (symlink("..", p) != 0)
        abort();
    forwarder = build_forwarder();
}

static void
discard(void *user, const char *data, size_t len)
{
    (void)user;
    (void)data;
    (void)len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!forwarder)
        setup();
    if (size < 2)
        return 0;
    size_t mem_len = (size_t)data[0] | ((size_t)data[1] << 8);
    data += 2;
    size -= 2;
    if (mem_len > size)
        mem_len = size;
    struct wasi_mount mounts[2] = {
        { ro_dir, "/ro", false },
        { rw_dir, "/rw", true },
    };
    const char *argv[] = { "fuzz.wasm", "a" };
    const char *env[] = { "K=V" };
    struct wasi_config cfg = { 0 };
    cfg.argv = argv;
    cfg.argc = 2;
    cfg.env = env;
    cfg.env_count = 1;
    cfg.mounts = mounts;
    cfg.mount_count = 2;
    cfg.stdin_fd = -1;
    cfg.stdout_fn = discard;
    cfg.stderr_fn = discard;
    struct wasi_ctx ctx;
    struct err err = { 0 };
    if (!wasi_ctx_init(&ctx, &cfg, &err))
        abort();
    struct wasm_linker *linker = wasm_linker_new();
    if (!wasi_link_all(linker, &ctx, &err))
        abort();
    struct wasm_instance_options opts = { 0 };
    opts.user = &ctx;
    struct wasm_instance *inst = wasm_instance_new(forwarder, linker, &opts, &err);
    if (!inst)
        abort();
    if (mem_len && !wasm_instance_memory_write(inst, 0, data, mem_len, &err))
        abort();
    size_t pos = mem_len;
    for (int calls = 0; pos < size && calls < 64; calls++) {
        size_t index = data[pos++] % WASI_FUNC_COUNT;
        const struct wasi_func *f = wasi_func_at(index);
        union wasm_val args[16];
        size_t argc = 0;
        for (const char *c = f->params; *c; c++) {
            size_t n = *c == 'I' ? 8 : 4;
            uint64_t v = 0;
            for (size_t k = 0; k < n && pos < size; k++)
                v |= (uint64_t)data[pos++] << (8 * k);
            if (*c == 'I')
                args[argc++].i64 = v;
            else
                args[argc++].i32 = (uint32_t)v;
        }
        char name[8];
        snprintf(name, sizeof(name), "f%zu", index);
        union wasm_val result = { 0 };
        struct err call_err = { 0 };
        bool ok =
            wasm_instance_call(inst, name, args, argc, &result, strlen(f->results), &call_err);
        if (!ok && call_err.kind != ERR_WASM_EXIT) {
            fprintf(stderr, "%s failed: %s\n", f->name, call_err.msg);
            abort(); /* host calls report errnos; only proc_exit unwinds */
        }
        if (ok && strlen(f->results) && result.i32 > WASI_ENOTCAPABLE)
            abort(); /* not a WASI errno */
    }
    wasm_instance_free(inst);
    wasm_linker_free(linker);
    wasi_ctx_release(&ctx);
    return 0;
}
