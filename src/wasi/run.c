/*
 * src/wasi/run.c: wasi_run(): check the module's imports, build the
 * per-instance context (fd table with stdio and mounts, clocks, PRNG), link
 * the 46 wasi_snapshot_preview1 functions, instantiate, call `_start`, and
 * turn proc_exit back into an exit code.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "wasi/wasi.h"
#include "wasi/wasi_int.h"

static const struct wasi_func *const func_tables[] = {
    wasi_funcs_args, wasi_funcs_clock, wasi_funcs_fd, wasi_funcs_path, wasi_funcs_proc,
};

static const struct wasi_func *
find_func(const char *name)
{
    for (size_t t = 0; t < sizeof(func_tables) / sizeof(func_tables[0]); t++)
        for (const struct wasi_func *f = func_tables[t]; f->name; f++)
            if (strcmp(f->name, name) == 0)
                return f;
    return NULL;
}

/* Build the wasm signature of 'f' into caller-provided arrays (at most 16). */
static void
func_type(const struct wasi_func *f, enum wasm_valtype *params, enum wasm_valtype *results,
          struct wasm_functype *out)
{
    uint32_t n = 0;
    for (const char *c = f->params; *c && n < 16; c++)
        params[n++] = *c == 'I' ? WASM_I64 : WASM_I32;
    out->param_count = n;
    out->params = params;
    uint32_t r = 0;
    for (const char *c = f->results; *c && r < 16; c++)
        results[r++] = *c == 'I' ? WASM_I64 : WASM_I32;
    out->result_count = r;
    out->results = results;
}

static bool
same_type(const struct wasm_functype *a, const struct wasm_functype *b)
{
    if (a->param_count != b->param_count || a->result_count != b->result_count)
        return false;
    for (uint32_t i = 0; i < a->param_count; i++)
        if (a->params[i] != b->params[i])
            return false;
    for (uint32_t i = 0; i < a->result_count; i++)
        if (a->results[i] != b->results[i])
            return false;
    return true;
}

bool
wasi_is_component(const uint8_t *bytes, size_t len)
{
    /* Preamble: "\0asm", then a 16-bit version and a 16-bit layer; core
     * modules have layer 0, components layer 1. */
    return len >= 8 && memcmp(bytes, "\0asm", 4) == 0 && bytes[6] == 0x01 && bytes[7] == 0x00;
}

static const struct wasi_host_func *
find_extra(const struct wasi_host_func *extra, size_t count, const char *module, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(extra[i].module, module) == 0 && strcmp(extra[i].name, name) == 0)
            return &extra[i];
    return NULL;
}

bool
wasi_imports_module(const struct wasm_module *mod, const char *module)
{
    size_t count = wasm_module_import_count(mod);
    for (size_t i = 0; i < count; i++) {
        struct wasm_import_info imp;
        if (wasm_module_import(mod, i, &imp) && strcmp(imp.module, module) == 0)
            return true;
    }
    return false;
}

bool
wasi_check_imports(const struct wasm_module *mod, struct err *err)
{
    return wasi_check_imports_with(mod, NULL, 0, err);
}

bool
wasi_check_imports_with(const struct wasm_module *mod, const struct wasi_host_func *extra,
                        size_t extra_count, struct err *err)
{
    size_t count = wasm_module_import_count(mod);
    for (size_t i = 0; i < count; i++) {
        struct wasm_import_info imp;
        if (!wasm_module_import(mod, i, &imp))
            continue;
        const struct wasi_host_func *x = find_extra(extra, extra_count, imp.module, imp.name);
        if (x) {
            if (imp.type.kind != WASM_EXTERN_FUNC || !same_type(&x->type, &imp.type.u.func))
                return err_set(err, ERR_WASM_UNLINKABLE, "incompatible import type for '%s.%s'",
                               imp.module, imp.name);
            continue;
        }
        if (strcmp(imp.module, WASI_MODULE_NAME) != 0) {
            if (strncmp(imp.module, "wasi:", 5) == 0)
                return err_set(err, ERR_WASM_UNLINKABLE, "unknown import '%s.%s': %s", imp.module,
                               imp.name, WASI_P2_HINT);
            return err_set(err, ERR_WASM_UNLINKABLE,
                           "unknown import '%s.%s' (only " WASI_MODULE_NAME
                           " functions are provided)",
                           imp.module, imp.name);
        }
        const struct wasi_func *f = find_func(imp.name);
        if (!f || imp.type.kind != WASM_EXTERN_FUNC)
            return err_set(err, ERR_WASM_UNLINKABLE,
                           "unknown import '%s.%s' (not a WASI Preview 1 function)", imp.module,
                           imp.name);
        enum wasm_valtype params[16], results[16];
        struct wasm_functype want;
        func_type(f, params, results, &want);
        if (!same_type(&want, &imp.type.u.func))
            return err_set(err, ERR_WASM_UNLINKABLE, "incompatible import type for '%s.%s'",
                           imp.module, imp.name);
    }
    return true;
}

bool
wasi_link_all(struct wasm_linker *linker, struct wasi_ctx *ctx, struct err *err)
{
    for (size_t t = 0; t < sizeof(func_tables) / sizeof(func_tables[0]); t++) {
        for (const struct wasi_func *f = func_tables[t]; f->name; f++) {
            enum wasm_valtype params[16], results[16];
            struct wasm_functype type;
            func_type(f, params, results, &type);
            if (!wasm_linker_define_func(linker, WASI_MODULE_NAME, f->name, &type, f->fn, ctx, err))
                return false;
        }
    }
    return true;
}

const struct wasi_func *
wasi_func_at(size_t index)
{
    for (size_t t = 0; t < sizeof(func_tables) / sizeof(func_tables[0]); t++) {
        for (const struct wasi_func *f = func_tables[t]; f->name; f++) {
            if (index == 0)
                return f;
            index--;
        }
    }
    return NULL;
}

bool
wasi_ctx_init(struct wasi_ctx *ctx, const struct wasi_config *cfg, struct err *err)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->cfg = cfg;
    ctx->prng_state = cfg->random_seed ? cfg->random_seed : 0x7065726368ULL; /* "perch" */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ctx->real_start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    wasi_fdtable_init(ctx);
    if (!wasi_fdtable_add_mounts(ctx, err)) {
        wasi_ctx_release(ctx);
        return false;
    }
    return true;
}

void
wasi_ctx_release(struct wasi_ctx *ctx)
{
    wasi_fdtable_release(ctx);
    free(ctx->iov_scratch);
    ctx->iov_scratch = NULL;
}

bool
wasi_run(const struct wasm_module *mod, const struct wasi_config *cfg, int *out_exit_code,
         struct err *err)
{
    *out_exit_code = 0;
    if (!wasi_check_imports_with(mod, cfg->host_funcs, cfg->host_func_count, err))
        return false;
    struct wasm_export_info start;
    if (!wasm_module_find_export(mod, "_start", &start) || start.type.kind != WASM_EXTERN_FUNC
        || start.type.u.func.param_count != 0 || start.type.u.func.result_count != 0)
        return err_set(err, ERR_WASM_UNLINKABLE,
                       "module has no '_start' function: it is not a WASI command "
                       "(a library/reactor module cannot be run)");

    struct wasi_ctx ctx;
    if (!wasi_ctx_init(&ctx, cfg, err))
        return false;
    struct wasm_instance *inst = NULL;
    bool ok = false;
    struct wasm_linker *linker = wasm_linker_new();
    if (!wasi_link_all(linker, &ctx, err))
        goto done;
    for (size_t i = 0; i < cfg->host_func_count; i++) {
        const struct wasi_host_func *x = &cfg->host_funcs[i];
        if (!wasm_linker_define_func(linker, x->module, x->name, &x->type, x->fn, x->user, err))
            goto done;
    }
    struct wasm_instance_options opts = { 0 };
    opts.limits = cfg->limits;
    opts.interrupt = cfg->interrupt;
    opts.user = &ctx;
    struct err run_err = { 0 };
    inst = wasm_instance_new(mod, linker, &opts, &run_err);
    if (inst)
        wasm_instance_call(inst, "_start", NULL, 0, NULL, 0, &run_err);
    if (run_err.kind == ERR_NONE) {
        ok = true;
    } else if (run_err.kind == ERR_WASM_EXIT) {
        *out_exit_code = run_err.code;
        ok = true;
    } else if (err && err->kind == ERR_NONE) {
        *err = run_err;
    }
done:
    wasm_instance_free(inst);
    wasm_linker_free(linker);
    wasi_ctx_release(&ctx);
    return ok;
}
