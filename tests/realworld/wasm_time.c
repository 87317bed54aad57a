/*
 * tests/realworld/wasm_time.c: run one WASI module through perch's engine
 * and say how long each phase took, for the real-world module measurements
 * in docs/compat.md.
 *
 *   realworld-time [--dir HOST::GUEST]... [--ro-dir HOST::GUEST]... MODULE [ARGS...]
 *
 * Phases, printed on stderr as one line after the run:
 *   read    the file into memory
 *   load    wasm_module_load(): decode, validate, lower to internal code
 *   run     wasi_run(): link, instantiate (data segments), _start
 * The module's stdout and stderr pass through; the exit status is the
 * module's (1 with a message when it cannot be loaded or traps).
 * Clocks and randomness are the deterministic ones, as under wasm_run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "wasi/wasi.h"
#include "wasm/wasm.h"

#define RWT_MAX_MOUNTS 16
#define RWT_MAX_BYTES ((size_t)1 << 30)

static double
rwt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
rwt_write(void *user, const char *data, size_t len)
{
    fwrite(data, 1, len, (FILE *)user);
}

/* Reads all of 'path'; NULL with a message on stderr. */
static uint8_t *
rwt_read(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    uint8_t *buf = try_malloc(cap);
    while (buf != NULL) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        if (cap >= RWT_MAX_BYTES) {
            fprintf(stderr, "%s: larger than %zu bytes\n", path, RWT_MAX_BYTES);
            free(buf);
            buf = NULL;
            break;
        }
        cap *= 2;
        uint8_t *grown = try_realloc(buf, cap);
        if (grown == NULL)
            free(buf);
        buf = grown;
    }
    if (buf != NULL && ferror(f)) {
        perror(path);
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *out_len = len;
    return buf;
}

/* Splits "HOST::GUEST" in place into 'm'; false when there is no "::". */
static bool
rwt_mount(char *spec, bool writable, struct wasi_mount *m)
{
    char *sep = strstr(spec, "::");
    if (sep == NULL || sep == spec || sep[2] != '/')
        return false;
    *sep = '\0';
    m->host_path = spec;
    m->guest_path = sep + 2;
    m->is_writable = writable;
    return true;
}

int
main(int argc, char **argv)
{
    struct wasi_mount mounts[RWT_MAX_MOUNTS];
    size_t nmounts = 0;
    int i = 1;
    for (; i + 1 < argc; i += 2) {
        bool rw = strcmp(argv[i], "--dir") == 0;
        if (!rw && strcmp(argv[i], "--ro-dir") != 0)
            break;
        if (nmounts == RWT_MAX_MOUNTS || !rwt_mount(argv[i + 1], rw, &mounts[nmounts])) {
            fprintf(stderr, "realworld-time: bad mount %s (HOST::/GUEST, at most %d)\n",
                    argv[i + 1], RWT_MAX_MOUNTS);
            return 2;
        }
        nmounts++;
    }
    if (i >= argc) {
        fputs("usage: realworld-time [--dir HOST::GUEST]... [--ro-dir HOST::GUEST]... "
              "MODULE [ARGS...]\n", stderr);
        return 2;
    }
    const char *path = argv[i];

    double t0 = rwt_now_ms();
    size_t len = 0;
    uint8_t *bytes = rwt_read(path, &len);
    if (bytes == NULL)
        return 1;
    double t1 = rwt_now_ms();
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(bytes, len, NULL, &err);
    free(bytes);
    double t2 = rwt_now_ms();
    if (mod == NULL) {
        fprintf(stderr, "realworld-time: %s: %s (%s)\n", path, err.msg, err_kind_name(err.kind));
        return 1;
    }

    /* argv[0] is the module's file name, as wasm_run gives it. */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t gargc = (size_t)(argc - i);
    const char **gargv = xcalloc(gargc, sizeof(*gargv));
    gargv[0] = base;
    for (size_t k = 1; k < gargc; k++)
        gargv[k] = argv[i + (int)k];

    struct wasi_config cfg = {
        .argv = gargv,
        .argc = gargc,
        .mounts = mounts,
        .mount_count = nmounts,
        .stdin_fd = -1,
        .stdout_fn = rwt_write,
        .stdout_user = stdout,
        .stderr_fn = rwt_write,
        .stderr_user = stderr,
        .random_seed = 0,
    };
    int code = 0;
    bool ok = wasi_run(mod, &cfg, &code, &err);
    double t3 = rwt_now_ms();
    fflush(stdout);
    if (!ok) {
        fprintf(stderr, "realworld-time: %s: %s (%s)\n", path, err.msg, err_kind_name(err.kind));
        code = 1;
    }
    fprintf(stderr, "realworld-time: %s: %zu bytes, read %.1f ms, load %.1f ms, run %.1f ms, "
            "exit %d\n", base, len, t1 - t0, t2 - t1, t3 - t2, code);
    free(gargv);
    wasm_module_free(mod);
    return code;
}
