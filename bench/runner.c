/*
 * bench/runner.c: perch-bench, the engine benchmark driver.
 *
 *     perch-bench [--dir DIR] [--scale PCT] [--reps N] [--no-bigmod] [KERNEL...]
 *
 * For each kernel (bench/kernels/NAME.c), runs the native build (DIR/bench_NAME)
 * and the wasm32-wasi build (DIR/NAME.wasm, through perch's engine and the
 * minimal WASI host in bench_wasi.c) with the same argument, checks that both
 * printed the same output, and reports the best wall time of each over
 * --reps runs and their ratio; then the geometric mean of the ratios. Then it
 * times loading (decode + validate + compile) and instantiating the
 * generated large module DIR/bigmod.wasm (gen_bigmod.c).
 *
 * The wasm time covers instantiation and running _start; the module load is
 * shown in its own column. The native time covers the whole process
 * (start-up is well under a millisecond). Exit status: 0 when every kernel
 * ran and matched, 1 otherwise, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "bench_wasi.h"
#include "wasm/wasm.h"

extern char **environ;

static const char *const all_kernels[] = { "fib",       "sieve", "sha256", "matmul", "memops",
                                           "hashtable", "qsort", "tokenizer" };
#define KERNEL_COUNT (sizeof(all_kernels) / sizeof(all_kernels[0]))

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool
read_file(const char *path, struct sbuf *out, struct err *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return err_errno(err, errno, "cannot open '%s'", path);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        sbuf_add(out, chunk, n);
    bool ok = !ferror(fp);
    fclose(fp);
    return ok || err_errno(err, EIO, "cannot read '%s'", path);
}

/* Run 'argv' natively; its stdout goes to 'out'. Returns the wall time, or < 0 on failure. */
static double
run_native(char **argv, struct sbuf *out, struct err *err)
{
    int pipefd[2];
    if (pipe(pipefd) != 0) {
        err_errno(err, errno, "pipe");
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipefd[0]);
    posix_spawn_file_actions_addclose(&actions, pipefd[1]);
    double start = now_s();
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        err_errno(err, rc, "cannot run '%s'", argv[0]);
        return -1;
    }
    char chunk[4096];
    ssize_t n;
    while ((n = read(pipefd[0], chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            sbuf_add(out, chunk, (size_t)n);
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    double elapsed = now_s() - start;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        err_set(err, ERR_PROCESS, "'%s' failed (status 0x%x)", argv[0], (unsigned)status);
        return -1;
    }
    return elapsed;
}

/*
 * Run the wasm kernel at 'path' with 'argv'; its stdout goes to 'out'. Puts
 * the load time in *out_load_s; returns the instantiate + run time, or < 0.
 */
static double
run_wasm(const char *path, int argc, char **argv, struct sbuf *out, double *out_load_s,
         struct err *err)
{
    struct sbuf bytes = SBUF_INIT;
    if (!read_file(path, &bytes, err))
        return -1;
    double start = now_s();
    struct wasm_module *mod = wasm_module_load((const uint8_t *)bytes.buf, bytes.len, NULL, err);
    *out_load_s = now_s() - start;
    sbuf_release(&bytes);
    if (!mod)
        return -1;

    struct bench_wasi wasi;
    bench_wasi_init(&wasi, argc, argv);
    struct wasm_linker *linker = wasm_linker_new();
    double elapsed = -1;
    if (!bench_wasi_define(&wasi, mod, linker, err))
        goto done;
    start = now_s();
    struct wasm_instance_options opts = { 0 };
    struct wasm_instance *inst = wasm_instance_new(mod, linker, &opts, err);
    if (!inst)
        goto done;
    bool ok = wasm_instance_call(inst, "_start", NULL, 0, NULL, 0, err);
    elapsed = now_s() - start;
    wasm_instance_free(inst);
    if (!ok && err->kind == ERR_WASM_EXIT && wasi.exit_code == 0) {
        err_clear(err);
        ok = true;
    }
    if (!ok)
        elapsed = -1;
    else
        sbuf_add(out, wasi.out.buf, wasi.out.len);
done:
    wasm_linker_free(linker);
    wasm_module_free(mod);
    bench_wasi_release(&wasi);
    return elapsed;
}

/* Load, instantiate and free the big generated module; print the times. */
static bool
bench_bigmod(const char *path, unsigned reps)
{
    struct err err = { 0 };
    struct sbuf bytes = SBUF_INIT;
    if (!read_file(path, &bytes, &err)) {
        printf("big module: %s\n", err.msg);
        return false;
    }
    double best_load = -1, best_inst = -1;
    for (unsigned r = 0; r < reps; r++) {
        double start = now_s();
        struct wasm_module *mod =
            wasm_module_load((const uint8_t *)bytes.buf, bytes.len, NULL, &err);
        double load = now_s() - start;
        if (!mod) {
            printf("big module: load failed: %s\n", err.msg);
            sbuf_release(&bytes);
            return false;
        }
        start = now_s();
        struct wasm_instance_options opts = { 0 };
        struct wasm_instance *inst = wasm_instance_new(mod, NULL, &opts, &err);
        double inst_s = now_s() - start;
        wasm_instance_free(inst);
        wasm_module_free(mod);
        if (!inst) {
            printf("big module: instantiation failed: %s\n", err.msg);
            sbuf_release(&bytes);
            return false;
        }
        if (best_load < 0 || load < best_load)
            best_load = load;
        if (best_inst < 0 || inst_s < best_inst)
            best_inst = inst_s;
    }
    const char *base = strrchr(path, '/');
    printf("big module (%s, %.1f MB): load %.1f ms (decode + validate + compile), "
           "instantiate %.2f ms\n",
           base ? base + 1 : path, (double)bytes.len / 1e6, best_load * 1e3, best_inst * 1e3);
    sbuf_release(&bytes);
    return true;
}

/* The folder this executable is in (where the build puts the kernels). */
static char *
self_dir(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0)
        return xstrdup(".");
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    return xstrdup(buf);
}

static void
usage(FILE *to)
{
    fprintf(to,
            "usage: perch-bench [--dir DIR] [--scale PCT] [--reps N] [--no-bigmod] [KERNEL...]\n"
            "  kernels: fib sieve sha256 matmul memops hashtable qsort tokenizer\n"
            "  --dir DIR     where bench_NAME, NAME.wasm and bigmod.wasm are (default: here)\n"
            "  --scale PCT   workload size in percent of the full size (default 100)\n"
            "  --reps N      runs of each; the best time counts (default 1)\n"
            "  --no-bigmod   skip the load-time benchmark of the big module\n");
}

int
main(int argc, char **argv)
{
    char *dir = NULL;
    const char *scale = "100";
    unsigned reps = 1;
    bool bigmod = true;
    const char *selected[KERNEL_COUNT];
    size_t selected_count = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--dir") == 0 && i + 1 < argc) {
            free(dir);
            dir = xstrdup(argv[++i]);
        } else if (strcmp(a, "--scale") == 0 && i + 1 < argc) {
            scale = argv[++i];
            if (atoi(scale) < 1) {
                fprintf(stderr, "perch-bench: bad --scale '%s'\n", scale);
                return 2;
            }
        } else if (strcmp(a, "--reps") == 0 && i + 1 < argc) {
            int n = atoi(argv[++i]);
            if (n < 1) {
                fprintf(stderr, "perch-bench: bad --reps '%s'\n", argv[i]);
                return 2;
            }
            reps = (unsigned)n;
        } else if (strcmp(a, "--no-bigmod") == 0) {
            bigmod = false;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            usage(stderr);
            return 2;
        } else {
            size_t k = 0;
            while (k < KERNEL_COUNT && strcmp(all_kernels[k], a) != 0)
                k++;
            if (k == KERNEL_COUNT || selected_count == KERNEL_COUNT) {
                fprintf(stderr, "perch-bench: unknown kernel '%s'\n", a);
                return 2;
            }
            selected[selected_count++] = all_kernels[k];
        }
    }
    if (!selected_count) {
        for (size_t k = 0; k < KERNEL_COUNT; k++)
            selected[selected_count++] = all_kernels[k];
    }
    if (!dir)
        dir = self_dir();

    printf("%-10s %11s %11s %8s %10s\n", "kernel", "native (s)", "perch (s)", "ratio",
           "load (ms)");
    double log_sum = 0;
    unsigned ratio_count = 0, failures = 0;
    for (size_t k = 0; k < selected_count; k++) {
        const char *name = selected[k];
        char *native_path = xasprintf("%s/bench_%s", dir, name);
        char *wasm_path = xasprintf("%s/%s.wasm", dir, name);
        char *native_argv[] = { native_path, (char *)scale, NULL };
        char *wasm_argv[] = { (char *)name, (char *)scale, NULL };
        double best_native = -1, best_wasm = -1, best_load = -1;
        struct sbuf native_out = SBUF_INIT, wasm_out = SBUF_INIT;
        struct err err = { 0 };
        for (unsigned r = 0; r < reps && !err_is_set(&err); r++) {
            sbuf_reset(&native_out);
            double t = run_native(native_argv, &native_out, &err);
            if (t >= 0 && (best_native < 0 || t < best_native))
                best_native = t;
        }
        for (unsigned r = 0; r < reps && !err_is_set(&err); r++) {
            sbuf_reset(&wasm_out);
            double load = 0;
            double t = run_wasm(wasm_path, 2, wasm_argv, &wasm_out, &load, &err);
            if (t >= 0 && (best_wasm < 0 || t < best_wasm))
                best_wasm = t;
            if (t >= 0 && (best_load < 0 || load < best_load))
                best_load = load;
        }
        if (err_is_set(&err)) {
            printf("%-10s FAILED: %s error: %s\n", name, err_kind_name(err.kind), err.msg);
            failures++;
        } else if (strcmp(native_out.buf, wasm_out.buf) != 0) {
            sbuf_rtrim(&native_out, "\n");
            sbuf_rtrim(&wasm_out, "\n");
            printf("%-10s MISMATCH: native printed \"%s\", wasm printed \"%s\"\n", name,
                   native_out.buf, wasm_out.buf);
            failures++;
        } else {
            double ratio = best_wasm / best_native;
            printf("%-10s %11.3f %11.3f %7.2fx %10.2f\n", name, best_native, best_wasm, ratio,
                   best_load * 1e3);
            log_sum += log(ratio);
            ratio_count++;
        }
        fflush(stdout);
        sbuf_release(&native_out);
        sbuf_release(&wasm_out);
        free(native_path);
        free(wasm_path);
    }
    if (ratio_count)
        printf("geometric mean of perch/native over %u kernels: %.2fx\n", ratio_count,
               exp(log_sum / ratio_count));
    if (bigmod) {
        char *path = xasprintf("%s/bigmod.wasm", dir);
        if (!bench_bigmod(path, reps))
            failures++;
        free(path);
    }
    free(dir);
    return failures ? 1 : 0;
}
