/*
 * src/wasi/wasi.h: WASI Preview 1 (wasi_snapshot_preview1) on top of the
 * engine in wasm/wasm.h. Knows nothing of perch: an embedder describes what
 * the guest may see in a struct wasi_config and calls wasi_run().
 *
 * Deny by default. The guest sees exactly the argv and the K=V environment
 * in the config, the mounts in the config (fd 3, 4, ... in mount order), and
 * stdin/stdout/stderr as fd 0/1/2. Guest paths are confined to their mount
 * (see wasi/path.c); read-only mounts refuse every change with EROFS.
 * Clocks and randomness are deterministic unless the config grants the real
 * ones, so a module prints the same bytes on every machine.
 *
 * Threads: a config is read-only during wasi_run(); several threads may run
 * the same module (with their own configs) at once.
 */
#ifndef PERCH_WASI_WASI_H
#define PERCH_WASI_WASI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm/wasm.h"

struct err;

/* The import module every WASI Preview 1 function lives in. */
#define WASI_MODULE_NAME "wasi_snapshot_preview1"
/* How many functions wasi_run() links (all of Preview 1). */
#define WASI_FUNC_COUNT 46

/* The fixed instant the deterministic wall clock starts at:
 * 2024-01-01T00:00:00Z, in ns since the epoch. */
#define WASI_DETERMINISTIC_EPOCH_NS 1704067200000000000ULL

/* One host path made visible to the guest. */
struct wasi_mount {
    const char *host_path;  /* a directory or a regular file; must exist */
    const char *guest_path; /* absolute guest path, e.g. "/ro/posts" */
    bool is_writable;       /* false: every write, create, rename, unlink, truncate fails */
};

/* A function outside WASI that the embedder links as well (perch's own
 * "perch" host module). Called as fn(call, args, results, user, err). */
struct wasi_host_func {
    const char *module; /* import module name, not WASI_MODULE_NAME */
    const char *name;
    struct wasm_functype type;
    wasm_host_fn *fn;
    void *user;
};

/*
 * Receives bytes the guest writes to fd 1 or fd 2 (any bytes, any chunking).
 * Called on the thread running wasi_run().
 */
typedef void wasi_write_fn(void *user, const char *data, size_t len);

struct wasi_config {
    /* argv as the guest sees it, argv[0] included; 'argc' entries. */
    const char *const *argv;
    size_t argc;
    /* The whole environment the guest sees, "K=V" strings; 'env_count' entries. */
    const char *const *env;
    size_t env_count;
    /* Mounts, preopened as fd 3, 4, ... in this order. */
    const struct wasi_mount *mounts;
    size_t mount_count;
    /* Host fd read by the guest's fd 0 (borrowed, never closed); -1: empty stdin. */
    int stdin_fd;
    /* Guest fd 1 and fd 2. A NULL function discards the bytes. */
    wasi_write_fn *stdout_fn;
    void *stdout_user;
    wasi_write_fn *stderr_fn;
    void *stderr_user;
    /* false (default): virtual clocks starting at WASI_DETERMINISTIC_EPOCH_NS,
     * advancing a little on each read, sleeps advance them instantly.
     * true: the host's CLOCK_REALTIME / CLOCK_MONOTONIC, sleeps really sleep. */
    bool real_clock;
    /* false (default): random_get is a PRNG seeded with 'random_seed'.
     * true: random_get returns host entropy. */
    bool real_random;
    uint64_t random_seed;
    /* Set non-zero by any thread to stop the guest (deadline, cancel); may be NULL.
     * The run then fails with ERR_WASM_TRAP, code WASM_TRAP_INTERRUPTED. */
    atomic_int *interrupt;
    /* Engine limits for the instance; NULL: the module's load limits. */
    const struct wasm_limits *limits;
    /* Extra host functions linked besides WASI; 'host_func_count' entries. */
    const struct wasi_host_func *host_funcs;
    size_t host_func_count;
};

/*
 * Link every wasi_snapshot_preview1 function (and cfg->host_funcs),
 * instantiate 'mod' and call its
 * `_start` export. Returns true with *out_exit_code = 0 when `_start`
 * returns, or N when the guest calls proc_exit(N). Returns false with 'err':
 * - ERR_WASM_UNLINKABLE naming module.name of the first import WASI does not
 *   provide (with a hint to rebuild for wasip1 for `wasi:` Preview 2
 *   imports), or when the module has no `_start`;
 * - ERR_NOT_FOUND / ERR_IO when a mount's host path cannot be opened;
 * - ERR_WASM_TRAP / ERR_WASM_EXHAUSTION when the guest traps (an interrupt
 *   is a trap with code WASM_TRAP_INTERRUPTED);
 * - ERR_OOM / ERR_LIMIT from the engine.
 * Every host resource the run opened is released before returning.
 */
bool wasi_run(const struct wasm_module *mod, const struct wasi_config *cfg, int *out_exit_code,
              struct err *err);

/*
 * Check that every import of 'mod' is a function WASI provides with the
 * right signature. Same ERR_WASM_UNLINKABLE errors as wasi_run(). Lets a
 * caller report link errors before it sets anything else up.
 */
bool wasi_check_imports(const struct wasm_module *mod, struct err *err);
/* The same, with 'count' extra host functions also provided. */
bool wasi_check_imports_with(const struct wasm_module *mod, const struct wasi_host_func *extra,
                             size_t count, struct err *err);
/* True when 'mod' imports anything from the import module 'module'. */
bool wasi_imports_module(const struct wasm_module *mod, const char *module);

/* True when 'bytes' start like a WebAssembly component (Preview 2) rather
 * than a core module, so a load failure can say "rebuild for wasip1". */
bool wasi_is_component(const uint8_t *bytes, size_t len);

/* The hint appended to errors about Preview 2 binaries and imports. */
#define WASI_P2_HINT                                                           \
 "this is a WASI Preview 2 (component) binary; rebuild it for WASI Preview 1 " \
 "(e.g. GOOS=wasip1 GOARCH=wasm, or --target wasm32-wasip1)"

#endif
