/*
 * bench/bench_wasi.h: the smallest WASI Preview 1 host that runs the
 * benchmark kernels: arguments, an empty environment, fd_write to a
 * buffer (stdout) or to stderr, proc_exit, clock_time_get, and
 * harmless answers to what wasi-libc asks at start-up. Everything else
 * returns ENOSYS. It is a measuring tool, not perch's WASI layer
 * (src/wasi): no files, no preopens, no capabilities.
 */
#ifndef PERCH_BENCH_BENCH_WASI_H
#define PERCH_BENCH_BENCH_WASI_H

#include <stdbool.h>

#include "base/sbuf.h"
#include "wasm/wasm.h"

struct err;

struct bench_wasi {
    int argc;
    char **argv;        /* borrowed */
    struct sbuf out;    /* what the guest wrote to fd 1 */
    bool exited;        /* proc_exit was called */
    int exit_code;
};

void bench_wasi_init(struct bench_wasi *w, int argc, char **argv);
void bench_wasi_release(struct bench_wasi *w);
/* Define every wasi_snapshot_preview1 import of 'mod' in 'linker', bound to 'w'. */
bool bench_wasi_define(struct bench_wasi *w, const struct wasm_module *mod,
                       struct wasm_linker *linker, struct err *err);

#endif
