/*
 * src/wasm/wasm.h: the WebAssembly engine's public interface. Everything else
 * in src/wasm/ is private to the engine.
 *
 * The engine implements WebAssembly 2.0 (MVP, mutable globals, sign
 * extension, non-trapping float-to-int, multi-value, bulk memory, reference
 * types, fixed-width SIMD). It depends only on src/base and src/os, so it can
 * be embedded, tested and fuzzed alone.
 *
 * Life cycle:
 *     mod  = wasm_module_load(bytes, len, &limits, &err);   decode+validate+compile
 *     lnk  = wasm_linker_new();                            what imports resolve to
 *     wasm_linker_define_func(lnk, "env", "f", &type, fn, user, &err);
 *     inst = wasm_instance_new(mod, lnk, &opts, &err);     link, init, run start
 *     wasm_instance_call(inst, "_start", NULL, 0, NULL, 0, &err);
 *     wasm_instance_free(inst); wasm_linker_free(lnk); wasm_module_free(mod);
 *
 * Threads: a module never changes after wasm_module_load() returns (any lazy
 * compilation inside is published atomically), so any number of threads may
 * instantiate it at once. An instance is used by one thread at a time, except
 * wasm_instance_interrupt(), which any thread may call at any time.
 *
 * Ownership: modules are reference counted (atomically). An instance holds a
 * reference to its module, so wasm_module_free() may be called while
 * instances of it are alive. An instance that imports memories, tables or
 * globals from another instance (through wasm_linker_define_instance) borrows
 * them: free importers before the instances they import from.
 */
#ifndef PERCH_WASM_WASM_H
#define PERCH_WASM_WASM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

/* Bumped whenever the internal compiled-code format changes (keys on-disk caches). */
#define WASM_ENGINE_VERSION "perch-wasm-1"

/* Value types, numbered as in the binary format. */
enum wasm_valtype {
    WASM_I32 = 0x7f,
    WASM_I64 = 0x7e,
    WASM_F32 = 0x7d,
    WASM_F64 = 0x7c,
    WASM_V128 = 0x7b,
    WASM_FUNCREF = 0x70,
    WASM_EXTERNREF = 0x6f,
};

/*
 * One value. Floats travel as their bit patterns in i32/i64 as well (NaN
 * payloads are preserved). References: 'ref' == 0 is null. A funcref is an
 * opaque engine handle; an externref is any non-zero host value the
 * embedder chose (the engine never looks inside it).
 */
union wasm_val {
    uint32_t i32;
    uint64_t i64;
    float f32;
    double f64;
    uint8_t v128[16]; /* little-endian lane order, as in linear memory */
    uintptr_t ref;
};

/* A function signature. Arrays are borrowed from whoever returned the type. */
struct wasm_functype {
    uint32_t param_count;
    uint32_t result_count;
    const enum wasm_valtype *params;
    const enum wasm_valtype *results;
};

enum wasm_extern_kind {
    WASM_EXTERN_FUNC = 0,
    WASM_EXTERN_TABLE = 1,
    WASM_EXTERN_MEMORY = 2,
    WASM_EXTERN_GLOBAL = 3,
};

struct wasm_extern_type {
    enum wasm_extern_kind kind;
    union {
        struct wasm_functype func;
        struct {
            enum wasm_valtype elem; /* WASM_FUNCREF or WASM_EXTERNREF */
            uint32_t min, max;
            bool has_max;
        } table;
        struct {
            uint32_t min, max; /* in 64 KiB pages */
            bool has_max;
        } memory;
        struct {
            enum wasm_valtype type;
            bool is_mutable;
        } global;
    } u;
};

/* Strings and arrays in these are borrowed from the module and live as long as it. */
struct wasm_import_info {
    const char *module;
    const char *name;
    struct wasm_extern_type type;
};

struct wasm_export_info {
    const char *name;
    struct wasm_extern_type type;
};

/* Resource limits. Zero in a field means "the engine's default". */
struct wasm_limits {
    uint32_t max_memory_pages; /* 64 KiB pages; default and ceiling 65536 (4 GiB) */
    uint32_t max_table_elems;  /* default 10,000,000 */
    uint32_t max_call_depth;   /* nested wasm calls; default 10,000; exceeding it traps */
    /* Execution tier of a module's functions (module load limits only):
     * WASM_TIER_AUTO (0) compiles each function to native code on its first
     * call where the platform allows (x86-64 Linux) and interprets the rest;
     * WASM_TIER_INTERP always interprets. The environment variable
     * PERCH_WASM_TIER=interp forces the interpreter for every module. */
    uint32_t tier;
};
#define WASM_TIER_AUTO 0u
#define WASM_TIER_INTERP 1u

/* The trap numbers carried in err->code when err->kind == ERR_WASM_TRAP. */
enum wasm_trap {
    WASM_TRAP_UNREACHABLE = 1,     /* "unreachable" */
    WASM_TRAP_MEMORY_OOB,          /* "out of bounds memory access" */
    WASM_TRAP_TABLE_OOB,           /* "out of bounds table access" */
    WASM_TRAP_DIV_ZERO,            /* "integer divide by zero" */
    WASM_TRAP_INT_OVERFLOW,        /* "integer overflow" */
    WASM_TRAP_INVALID_CONVERSION,  /* "invalid conversion to integer" */
    WASM_TRAP_INDIRECT_MISMATCH,   /* "indirect call type mismatch" */
    WASM_TRAP_UNDEFINED_ELEMENT,   /* "undefined element" */
    WASM_TRAP_UNINITIALIZED_ELEM,  /* "uninitialized element" */
    WASM_TRAP_STACK_EXHAUSTED,     /* "call stack exhausted" (err->kind ERR_WASM_EXHAUSTION) */
    WASM_TRAP_INTERRUPTED,         /* "interrupted" (wasm_instance_interrupt or the flag) */
    WASM_TRAP_HOST,                /* a host function failed; its message is kept */
};

/* ---- modules ---------------------------------------------------------- */

struct wasm_module;

/*
 * Decode, validate and compile 'len' bytes of a binary module. The bytes are
 * copied, so the caller may free them on return. 'limits' may be NULL.
 * On failure returns NULL and fills 'err': kind ERR_WASM_MALFORMED or
 * ERR_WASM_INVALID, a message that starts with the spec test suite's wording
 * ("unexpected end", "type mismatch", ...) followed by where it happened
 * (" (section code, function 3, at offset 0x1a2)"), and err->code = the byte
 * offset. Never crashes or hangs on hostile input.
 */
struct wasm_module *wasm_module_load(const uint8_t *bytes, size_t len,
                                     const struct wasm_limits *limits, struct err *err);
/* Take another reference. Thread-safe. */
struct wasm_module *wasm_module_ref(struct wasm_module *mod);
/* Drop a reference; frees the module with the last one. Accepts NULL. */
void wasm_module_free(struct wasm_module *mod);

/*
 * Compiled-code caching (serialize.c). wasm_module_serialize() writes the
 * compiled code of a loaded module as a self-describing blob (malloc'd into
 * *out_buf, *out_len bytes; the caller frees it): a header with a magic, the
 * blob format version, WASM_ENGINE_VERSION, the build flavour (pointer size,
 * byte order, operation set and immediate layouts), the SHA-256 of the
 * module bytes, then each function's code with branch targets and
 * operations stored position-independently, then a checksum. Fails only on
 * out-of-memory or an engine bug (ERR_OOM, ERR_LIMIT, ERR_WASM_INVALID).
 *
 * wasm_module_load_cached() is wasm_module_load() for the same 'bytes' with
 * each function's code taken from 'blob' instead of being validated and
 * lowered again (the module's other sections are decoded and checked as
 * usual). The blob is untrusted: any mismatch (other module, engine version
 * or build, truncation, checksum, unknown operation, out-of-range immediate
 * or branch target) fails with ERR_WASM_MALFORMED and a message starting
 * "cached code: " (or the module's own decode error), never a crash, so the
 * caller can fall back to wasm_module_load(). A blob whose checksum is right
 * is trusted to be well-typed, as compiled code: keep blobs where only their
 * owner can write. Thread-safe.
 */
bool wasm_module_serialize(const struct wasm_module *mod, uint8_t **out_buf, size_t *out_len,
                           struct err *err);
struct wasm_module *wasm_module_load_cached(const uint8_t *bytes, size_t len, const uint8_t *blob,
                                            size_t blob_len, const struct wasm_limits *limits,
                                            struct err *err);
/* The same two for a caller that already has the SHA-256 of the module
 * bytes (a cache keyed by it): 'sha256' is trusted to be that digest, which
 * saves hashing the module again. */
bool wasm_module_serialize_sha(const struct wasm_module *mod, const uint8_t sha256[32],
                               uint8_t **out_buf, size_t *out_len, struct err *err);
struct wasm_module *wasm_module_load_cached_sha(const uint8_t *bytes, size_t len,
                                                const uint8_t sha256[32], const uint8_t *blob,
                                                size_t blob_len, const struct wasm_limits *limits,
                                                struct err *err);

size_t wasm_module_import_count(const struct wasm_module *mod);
/* Fills 'out' for import 'index' (< import count); returns false when out of range. */
bool wasm_module_import(const struct wasm_module *mod, size_t index,
                        struct wasm_import_info *out);
size_t wasm_module_export_count(const struct wasm_module *mod);
bool wasm_module_export(const struct wasm_module *mod, size_t index,
                        struct wasm_export_info *out);
/* Look an export up by name; returns false when there is none. */
bool wasm_module_find_export(const struct wasm_module *mod, const char *name,
                             struct wasm_export_info *out);

/* ---- host functions and linking --------------------------------------- */

/* The calling context handed to a host function. Valid only during the call. */
struct wasm_call;
struct wasm_instance;

/*
 * A host function. 'args' holds the parameters, 'results' has room for the
 * results, both as declared in the type given at definition. To trap, return
 * false and fill 'err': the engine unwinds every wasm frame and
 * wasm_instance_call() returns false with 'err' exactly as the host filled
 * it (so a host can use e.g. ERR_WASM_EXIT with err->code = exit status for
 * proc_exit). A host function must not call back into the same instance.
 */
typedef bool wasm_host_fn(struct wasm_call *call, const union wasm_val *args,
                          union wasm_val *results, void *user, struct err *err);

/*
 * Memory 0 of the calling instance: its base address and size in bytes
 * (*out_size = 0 and NULL when the instance has no memory). Valid until the
 * host function returns. Hosts must bounds-check every guest offset against
 * *out_size (use wasm_call_mem_check).
 */
uint8_t *wasm_call_memory(struct wasm_call *call, uint64_t *out_size);
/* True when [offset, offset + len) lies inside memory 0 of the caller. */
bool wasm_call_mem_check(struct wasm_call *call, uint64_t offset, uint64_t len);
struct wasm_instance *wasm_call_instance(struct wasm_call *call);

/* Where imports come from. Not thread-safe while being defined; read-only afterwards. */
struct wasm_linker;

struct wasm_linker *wasm_linker_new(void);
void wasm_linker_free(struct wasm_linker *linker);
/* Define module.name as a host function of 'type' (copied). A later
 * definition of the same name replaces the earlier one. */
bool wasm_linker_define_func(struct wasm_linker *linker, const char *module, const char *name,
                             const struct wasm_functype *type, wasm_host_fn *fn, void *user,
                             struct err *err);
/* Make every export of 'inst' importable as module_name.<export> (the spec
 * test suite's "register"). 'inst' must outlive instances linked with it. */
bool wasm_linker_define_instance(struct wasm_linker *linker, const char *module_name,
                                 struct wasm_instance *inst, struct err *err);

/* ---- instances --------------------------------------------------------- */

struct wasm_instance_options {
    const struct wasm_limits *limits; /* NULL: the module's load limits */
    /*
     * Optional external interrupt flag, shared by any number of instances
     * (a deadline or a cancel). When it becomes non-zero, running code traps
     * with WASM_TRAP_INTERRUPTED within milliseconds (checked at loop
     * back-edges and calls). NULL: the instance uses a flag of its own.
     */
    atomic_int *interrupt;
    void *user; /* returned by wasm_instance_user() */
};

/*
 * Link 'mod' against 'linker' (may be NULL when the module has no imports),
 * allocate memories, tables and globals, apply data and element segments,
 * then run the start function. On failure returns NULL with:
 * ERR_WASM_UNLINKABLE ("unknown import", "incompatible import type", naming
 * module.name), ERR_WASM_TRAP (a segment out of bounds or a trapping start
 * function; effects on imported memories and tables stay, as the spec says),
 * or ERR_OOM / ERR_LIMIT.
 */
struct wasm_instance *wasm_instance_new(const struct wasm_module *mod,
                                        const struct wasm_linker *linker,
                                        const struct wasm_instance_options *opts,
                                        struct err *err);
void wasm_instance_free(struct wasm_instance *inst);
const struct wasm_module *wasm_instance_module(const struct wasm_instance *inst);
void *wasm_instance_user(const struct wasm_instance *inst);

/*
 * Call the exported function 'name'. 'args' must match its parameter types
 * and count; 'results' receives result_count values. Returns false on a
 * trap (ERR_WASM_TRAP with err->code an enum wasm_trap and a message such as
 * "integer divide by zero (in function 12 'fib')"), on call-depth exhaustion
 * (ERR_WASM_EXHAUSTION), on whatever error a host function returned, or on a
 * bad name or signature (ERR_NOT_FOUND, ERR_TYPE). After a trap the instance
 * stays usable (its memory keeps what was written before the trap).
 */
bool wasm_instance_call(struct wasm_instance *inst, const char *name,
                        const union wasm_val *args, size_t arg_count,
                        union wasm_val *results, size_t result_count, struct err *err);
/* The type of exported function 'name'; false when there is none. */
bool wasm_instance_func_type(const struct wasm_instance *inst, const char *name,
                             struct wasm_functype *out_type);
/* Read an exported global's current value. */
bool wasm_instance_global_get(const struct wasm_instance *inst, const char *name,
                              union wasm_val *out_value, enum wasm_valtype *out_type,
                              struct err *err);

/* Memory 0: base and size in bytes (NULL/0 when none). Valid until the next call into the instance. */
uint8_t *wasm_instance_memory(struct wasm_instance *inst, uint64_t *out_size);
/* Bounds-checked copies out of and into memory 0 (ERR_WASM_TRAP/MEMORY_OOB when outside). */
bool wasm_instance_memory_read(struct wasm_instance *inst, uint64_t offset, void *dst, size_t len,
                               struct err *err);
bool wasm_instance_memory_write(struct wasm_instance *inst, uint64_t offset, const void *src,
                                size_t len, struct err *err);

/*
 * Ask running code to stop (sets the instance's interrupt flag). Any thread,
 * any time. Running code traps with WASM_TRAP_INTERRUPTED at its next taken
 * branch or call; the instance's own flag is then cleared, so the instance can
 * be called again (a flag given in wasm_instance_options is left to its owner).
 */
void wasm_instance_interrupt(struct wasm_instance *inst);

#endif
