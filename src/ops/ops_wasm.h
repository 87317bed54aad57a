/*
 * src/ops/ops_wasm.h: running a WASI module for the `wasm_run` block
 * (src/exec/block_wasm.c) and for `perch wasm run` (src/cli/cli_wasm.c),
 * and the in-process module cache they share (wasm_cache.c).
 */
#ifndef PERCH_OPS_OPS_WASM_H
#define PERCH_OPS_OPS_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "ops/ops.h"

struct wasm_module;

/* One mount as the user declared it. */
struct ops_wasm_mount {
    const char *host_path;  /* as written; resolved against ctx->cwd */
    const char *guest_path; /* NULL: /ro/<basename> or /rw/<basename>; else as the guest names it */
    bool is_writable;
};

/* Everything a run needs; all strings borrowed for the call. */
struct ops_wasm_request {
    const char *module_path; /* as written; resolved against ctx->cwd */
    const char *shown_as;    /* the name messages use; NULL: module_path */
    /* Bytes of a module already in memory (a bundle alias); NULL: read module_path. */
    const uint8_t *module_bytes;
    size_t module_len;
    const char *const *args; /* argv[1...] (argv[0] is the module's basename) */
    size_t arg_count;
    const char *const *env; /* "K=V" strings the guest sees, nothing else */
    size_t env_count;
    const struct ops_wasm_mount *mounts;
    size_t mount_count;
    /* NULL, or where each mount was declared: a mount's error points there. */
    const struct src_loc *mount_locs;
    /* wasm_allow_host: hosts perch.http_get may reach (none: the host
     * module is not linked, and a module importing it is refused). The
     * caller has checked them against `requires` and the network capability. */
    const char *const *allow_hosts;
    size_t allow_host_count;
    bool real_clock;    /* wasm_clock */
    bool real_random;   /* wasm_random */
    size_t capture_max; /* bytes of stdout a capture may hold; 0: 256 MiB */
    /* module_path came from the command line (`perch wasm run`): a missing
     * module's hint names the absolute path tried, not ${script_dir}. */
    bool from_command_line;
};

/*
 * Run the module: load it through the cache, mount, run `_start` with
 * ctx->stdin_fd as stdin. stdout goes to 'capture' when it is non-NULL
 * (the caller trims it), else through op_output(ctx, 1); stderr always
 * through op_output(ctx, 2). The run is interrupted when ctx->interrupt is
 * set or ctx->deadline_ns passes.
 * Returns true for exit code 0. Otherwise false with 'err', every message
 * starting with `wasm_run "PATH": `:
 *   ERR_NOT_FOUND (module or mount path missing, with a ${script_dir} hint),
 *   ERR_WASM_INVALID (malformed or invalid bytes; the message names the
 *   section, or the module header, and the byte offset),
 *   ERR_WASM_UNLINKABLE (import name; Preview 2 hint),
 *   ERR_WASM_TRAP / ERR_WASM_EXHAUSTION (trap and function),
 *   ERR_WASM_EXIT (err->code = N, "module exited with code N"),
 *   ERR_TIMEOUT (deadline), ERR_CANCELLED (interrupt), or a `requires`
 *   error from op_check (module: read; mounts: read or write).
 * If 'out_exit_code' is non-NULL it receives the exit code when the module
 * ran to an exit (0 or N), else -1.
 */
bool ops_wasm_run(struct op_ctx *ctx, const struct ops_wasm_request *req, struct sbuf *capture,
                  int *out_exit_code, struct err *err);

/*
 * The compiled module for 'bytes', from the in-process cache (keyed by
 * SHA-256 of the bytes), else from the disk cache, else compiled now; added
 * to the in-process cache either way. Returns a new reference (release with
 * wasm_module_free) or NULL with the engine's error. One lock guards the
 * cache and is held while loading, so parallel branches that ask for the
 * same module at once load it once. Thread-safe.
 *
 * The disk cache: $XDG_CACHE_HOME/perch/wasm/<sha256>-<engine version>.bin
 * (default $HOME/.cache/perch/wasm, created 0700; not used unless owned by
 * this user and not writable by group or others). An entry that does not
 * load (corrupt, another engine build) is ignored and replaced. Failing to
 * read or write it (no directory, read-only, full disk) never fails the
 * call. PERCH_WASM_CACHE=off disables it; PERCH_WASM_CACHE_DEBUG=1 prints a
 * line per decision ("NAME: wasm cache: hit PATH", "miss PATH: compiled,
 * stored", "ignored PATH (why): ...") on stderr, NAME being progname_get().
 */
struct wasm_module *ops_wasm_cache_get(const uint8_t *bytes, size_t len, struct err *err);
/* The disk cache's directory ($XDG_CACHE_HOME/perch/wasm, else
 * ~/.cache/perch/wasm; caller frees), or NULL when neither variable is an
 * absolute path. For `perch cache clear`. */
char *ops_wasm_cache_dir(void);
/* For tests: how many modules the in-process cache has loaded (compiled, or
 * read from the disk cache), how many of those came from the disk cache, and
 * how many disk entries were written. */
size_t ops_wasm_cache_compiles(void);
size_t ops_wasm_cache_disk_hits(void);
size_t ops_wasm_cache_disk_writes(void);
/* For tests: drop every in-process entry (modules in use stay alive), as
 * if the process were fresh. */
void ops_wasm_cache_forget(void);

#endif
