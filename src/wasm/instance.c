/* instance.c: modules (load, reference counting, queries) and instances:
 * linking imports, memories (address space reserved once, committed as the
 * memory grows), tables, globals, data and element segments, the start
 * function, and the calling API of wasm.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/check.h"
#include "base/xalloc.h"
#include "wasm/jit.h"
#include "wasm/wasm_int.h"

/* ---- modules ----------------------------------------------------------------- */

struct wasm_module *
wasm_module_new(const uint8_t *bytes, size_t len, const struct wasm_limits *limits,
                struct err *err)
{
    if (len > UINT32_MAX)
        return err_set(err, ERR_LIMIT, "module too large (%zu bytes)", len), NULL;
    struct wasm_module *mod = xcalloc(1, sizeof(*mod));
    atomic_init(&mod->refs, 1);
    mod->bytes = wasm_big_alloc(len);
    if (!mod->bytes) {
        free(mod);
        err_set(err, ERR_OOM, "out of memory loading a module of %zu bytes", len);
        return NULL;
    }
    if (len)
        memcpy(mod->bytes, bytes, len);
    mod->len = len;
    if (limits)
        mod->limits = *limits;
    if (!mod->limits.max_memory_pages || mod->limits.max_memory_pages > WASM_MAX_PAGES)
        mod->limits.max_memory_pages = WASM_MAX_PAGES;
    if (!mod->limits.max_table_elems)
        mod->limits.max_table_elems = WASM_DEFAULT_MAX_TABLE;
    if (!mod->limits.max_call_depth)
        mod->limits.max_call_depth = WASM_DEFAULT_CALL_DEPTH;
    return mod;
}

void
wasm_module_discard(struct wasm_module *mod)
{
    wasm_module_release_parts(mod);
    free(mod->bytes);
    free(mod);
}

struct wasm_module *
wasm_module_load(const uint8_t *bytes, size_t len, const struct wasm_limits *limits,
                 struct err *err)
{
    struct wasm_module *mod = wasm_module_new(bytes, len, limits, err);
    if (mod && !wasm_decode(mod, err)) {
        wasm_module_discard(mod);
        return NULL;
    }
    return mod;
}

struct wasm_module *
wasm_module_ref(struct wasm_module *mod)
{
    atomic_fetch_add(&mod->refs, 1);
    return mod;
}

void
wasm_module_free(struct wasm_module *mod)
{
    if (!mod || atomic_fetch_sub(&mod->refs, 1) != 1)
        return;
    wasm_jit_module_free(mod);
    wasm_module_discard(mod);
}

size_t
wasm_module_import_count(const struct wasm_module *mod)
{
    return mod->import_count;
}

static void
func_extern_type(const struct wasm_module *mod, uint32_t type_idx, struct wasm_extern_type *out)
{
    const struct wasm_type *t = &mod->types[type_idx];
    out->kind = WASM_EXTERN_FUNC;
    out->u.func.param_count = t->param_count;
    out->u.func.result_count = t->result_count;
    out->u.func.params = t->params;
    out->u.func.results = t->results;
}

bool
wasm_module_import(const struct wasm_module *mod, size_t index, struct wasm_import_info *out)
{
    if (index >= mod->import_count)
        return false;
    const struct wasm_import *imp = &mod->imports[index];
    out->module = imp->module;
    out->name = imp->name;
    out->type = imp->type;
    if (imp->type.kind == WASM_EXTERN_FUNC)
        func_extern_type(mod, imp->type_idx, &out->type);
    return true;
}

size_t
wasm_module_export_count(const struct wasm_module *mod)
{
    return mod->export_count;
}

bool
wasm_module_export(const struct wasm_module *mod, size_t index, struct wasm_export_info *out)
{
    if (index >= mod->export_count)
        return false;
    const struct wasm_export *ex = &mod->exports[index];
    out->name = ex->name;
    memset(&out->type, 0, sizeof(out->type));
    out->type.kind = ex->kind;
    switch (ex->kind) {
    case WASM_EXTERN_FUNC:
        func_extern_type(mod, mod->func_types[ex->idx], &out->type);
        break;
    case WASM_EXTERN_TABLE:
        out->type.u.table.elem = mod->tables[ex->idx].elem;
        out->type.u.table.min = mod->tables[ex->idx].min;
        out->type.u.table.max = mod->tables[ex->idx].max;
        out->type.u.table.has_max = mod->tables[ex->idx].has_max;
        break;
    case WASM_EXTERN_MEMORY:
        out->type.u.memory.min = mod->mems[ex->idx].min;
        out->type.u.memory.max = mod->mems[ex->idx].max;
        out->type.u.memory.has_max = mod->mems[ex->idx].has_max;
        break;
    case WASM_EXTERN_GLOBAL:
        out->type.u.global.type = mod->globals[ex->idx].type;
        out->type.u.global.is_mutable = mod->globals[ex->idx].is_mutable;
        break;
    }
    return true;
}

static const struct wasm_export *
find_export(const struct wasm_module *mod, const char *name)
{
    for (uint32_t i = 0; i < mod->export_count; i++)
        if (strcmp(mod->exports[i].name, name) == 0)
            return &mod->exports[i];
    return NULL;
}

bool
wasm_module_find_export(const struct wasm_module *mod, const char *name,
                        struct wasm_export_info *out)
{
    const struct wasm_export *ex = find_export(mod, name);
    if (!ex)
        return false;
    return wasm_module_export(mod, (size_t)(ex - mod->exports), out);
}

/* ---- memories and tables ---------------------------------------------------------- */

static bool
memory_init(struct wasm_memory *mem, const struct wasm_mem_type *t, uint32_t limit_pages,
            struct err *err)
{
    memset(mem, 0, sizeof(*mem));
    mem->decl_max = t->max;
    mem->has_max = t->has_max;
    mem->max_pages = t->has_max && t->max < limit_pages ? t->max : limit_pages;
    if (t->min > mem->max_pages)
        return err_set(err, ERR_LIMIT, "memory of %u pages exceeds max_memory_pages (%u)", t->min,
                       limit_pages);
    mem->reserved = (size_t)mem->max_pages * WASM_PAGE_SIZE;
    if (mem->reserved) {
        void *p = mmap(NULL, mem->reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (p == MAP_FAILED) {
            mem->reserved = 0;
            return err_set(err, ERR_OOM, "cannot reserve %u pages of linear memory",
                           mem->max_pages);
        }
        mem->base = p;
    }
    uint32_t old;
    if (t->min && !wasm_memory_grow(mem, t->min, &old))
        return err_set(err, ERR_OOM, "cannot allocate %u pages of linear memory", t->min);
    return true;
}

static void
memory_release(struct wasm_memory *mem)
{
    if (mem->base && mem->reserved)
        munmap(mem->base, mem->reserved);
    mem->base = NULL;
}

bool
wasm_memory_grow(struct wasm_memory *mem, uint32_t delta, uint32_t *out_old)
{
    uint32_t old = mem->pages;
    if ((uint64_t)old + delta > mem->max_pages)
        return false;
    if (delta) {
        if (mprotect(mem->base + (size_t)old * WASM_PAGE_SIZE, (size_t)delta * WASM_PAGE_SIZE,
                     PROT_READ | PROT_WRITE) != 0)
            return false;
    }
    mem->pages = old + delta;
    mem->size = (uint64_t)mem->pages * WASM_PAGE_SIZE;
    *out_old = old;
    return true;
}

static bool
table_init(struct wasm_table *tab, const struct wasm_table_type *t, uint32_t limit,
           struct err *err)
{
    memset(tab, 0, sizeof(*tab));
    tab->type = t->elem;
    tab->decl_max = t->max;
    tab->has_max = t->has_max;
    tab->max = t->has_max && t->max < limit ? t->max : limit;
    if (t->min > tab->max)
        return err_set(err, ERR_LIMIT, "table of %u elements exceeds max_table_elems (%u)", t->min,
                       limit);
    tab->elems = try_calloc((size_t)t->min + 1, sizeof(uintptr_t));
    if (!tab->elems)
        return err_set(err, ERR_OOM, "cannot allocate a table of %u elements", t->min);
    tab->size = t->min;
    return true;
}

bool
wasm_table_grow(struct wasm_table *tab, uint32_t delta, uintptr_t init, uint32_t *out_old)
{
    uint32_t old = tab->size;
    if ((uint64_t)old + delta > tab->max)
        return false;
    if (delta) {
        uintptr_t *e = try_realloc(tab->elems, ((size_t)old + delta + 1) * sizeof(uintptr_t));
        if (!e)
            return false;
        tab->elems = e;
        for (uint32_t i = 0; i < delta; i++)
            e[old + i] = init;
    }
    tab->size = old + delta;
    *out_old = old;
    return true;
}

const char *
wasm_func_name(const struct wasm_func_inst *func)
{
    if (!func->inst)
        return NULL;
    const struct wasm_module *mod = func->inst->mod;
    if (mod->func_names && func->func_idx < mod->func_count)
        return mod->func_names[func->func_idx];
    return NULL;
}

/* ---- instances ----------------------------------------------------------------- */

static union wasm_val
eval_const(struct wasm_instance *inst, const struct wasm_const_expr *e)
{
    union wasm_val v;
    memset(&v, 0, sizeof(v));
    switch (e->op) {
    case 0x23:
        v = inst->globals[e->idx]->val;
        break;
    case 0xd2:
        v.ref = (uintptr_t)inst->funcs[e->idx];
        break;
    case 0xd0:
        v.ref = 0;
        break;
    default:
        v = e->val;
        break;
    }
    return v;
}

static bool
limits_match(uint32_t have_min, bool have_has_max, uint32_t have_max, uint32_t want_min,
             bool want_has_max, uint32_t want_max)
{
    if (have_min < want_min)
        return false;
    if (want_has_max && (!have_has_max || have_max > want_max))
        return false;
    return true;
}

static bool
link_imports(struct wasm_instance *inst, const struct wasm_linker *linker, struct err *err)
{
    const struct wasm_module *mod = inst->mod;
    uint32_t f = 0, t = 0, m = 0, g = 0;
    uint32_t host_slot = mod->func_count - mod->import_func_count;
    for (uint32_t i = 0; i < mod->import_count; i++) {
        const struct wasm_import *imp = &mod->imports[i];
        struct wasm_extern ext;
        memset(&ext, 0, sizeof(ext));
        if (!linker || !wasm_linker_resolve(linker, imp, &ext) || ext.kind != imp->type.kind)
            return err_set(err, ERR_WASM_UNLINKABLE,
                           linker && wasm_linker_resolve(linker, imp, &ext)
                               ? "incompatible import type '%s.%s'"
                               : "unknown import '%s.%s'",
                           imp->module, imp->name);
        bool ok = true;
        switch (imp->type.kind) {
        case WASM_EXTERN_FUNC: {
            const struct wasm_type *want = &mod->types[imp->type_idx];
            if (ext.func) {
                ok = wasm_type_equal(ext.func->type, want);
                inst->funcs[f++] = ext.func;
            } else {
                ok = wasm_type_equal(ext.host_type, want);
                struct wasm_func_inst *hf = &inst->own_funcs[host_slot++];
                hf->type = want;
                hf->inst = NULL;
                hf->code = NULL;
                hf->func_idx = f;
                hf->host = ext.host;
                hf->user = ext.host_user;
                inst->funcs[f++] = hf;
            }
            break;
        }
        case WASM_EXTERN_TABLE: {
            const struct wasm_table *tab = ext.table;
            ok = tab->type == imp->type.u.table.elem &&
                 limits_match(tab->size, tab->has_max, tab->decl_max, imp->type.u.table.min,
                              imp->type.u.table.has_max, imp->type.u.table.max);
            inst->tables[t++] = ext.table;
            break;
        }
        case WASM_EXTERN_MEMORY: {
            const struct wasm_memory *mem = ext.mem;
            ok = limits_match(mem->pages, mem->has_max, mem->decl_max, imp->type.u.memory.min,
                              imp->type.u.memory.has_max, imp->type.u.memory.max);
            inst->mems[m++] = ext.mem;
            break;
        }
        case WASM_EXTERN_GLOBAL:
            ok = ext.global->type == imp->type.u.global.type &&
                 ext.global->is_mutable == imp->type.u.global.is_mutable;
            inst->globals[g++] = ext.global;
            break;
        }
        if (!ok)
            return err_set(err, ERR_WASM_UNLINKABLE, "incompatible import type '%s.%s'",
                           imp->module, imp->name);
    }
    return true;
}

/* Apply active segments, drop active and declarative ones, run start. */
static bool
initialize(struct wasm_instance *inst, struct err *err)
{
    const struct wasm_module *mod = inst->mod;
    for (uint32_t i = 0; i < mod->elem_count; i++) {
        const struct wasm_elem *e = &mod->elems[i];
        if (e->mode == WASM_SEG_ACTIVE) {
            struct wasm_table *tab = inst->tables[e->table_idx];
            uint32_t off = eval_const(inst, &e->offset).i32;
            if ((uint64_t)off + e->count > tab->size)
                return wasm_trap(err, WASM_TRAP_TABLE_OOB, NULL);
            for (uint32_t k = 0; k < e->count; k++)
                tab->elems[off + k] = eval_const(inst, &e->items[k]).ref;
        }
        if (e->mode != WASM_SEG_PASSIVE)
            inst->elem_dropped[i] = 1;
    }
    for (uint32_t i = 0; i < mod->data_count; i++) {
        const struct wasm_data *d = &mod->datas[i];
        if (d->mode != WASM_SEG_ACTIVE)
            continue;
        struct wasm_memory *mem = inst->mems[d->mem_idx];
        uint32_t off = eval_const(inst, &d->offset).i32;
        if ((uint64_t)off + d->len > mem->size)
            return wasm_trap(err, WASM_TRAP_MEMORY_OOB, NULL);
        if (d->len)
            memcpy(mem->base + off, d->bytes, d->len);
        inst->data_dropped[i] = 1;
    }
    if (mod->has_start) {
        struct wasm_func_inst *f = inst->funcs[mod->start];
        uint64_t slots[1];
        if (!wasm_interp_call(inst, f, slots, err))
            return false;
    }
    return true;
}

struct wasm_instance *
wasm_instance_new(const struct wasm_module *cmod, const struct wasm_linker *linker,
                  const struct wasm_instance_options *opts, struct err *err)
{
    struct wasm_module *mod = wasm_module_ref((struct wasm_module *)cmod);
    struct wasm_instance *inst = xcalloc(1, sizeof(*inst));
    bool linked = false;
    inst->mod = mod;
    inst->limits = mod->limits;
    if (opts && opts->limits) {
        if (opts->limits->max_memory_pages)
            inst->limits.max_memory_pages = opts->limits->max_memory_pages < WASM_MAX_PAGES
                                                ? opts->limits->max_memory_pages
                                                : WASM_MAX_PAGES;
        if (opts->limits->max_table_elems)
            inst->limits.max_table_elems = opts->limits->max_table_elems;
        if (opts->limits->max_call_depth)
            inst->limits.max_call_depth = opts->limits->max_call_depth;
    }
    inst->user = opts ? opts->user : NULL;
    atomic_init(&inst->own_interrupt, 0);
    inst->interrupt = opts && opts->interrupt ? opts->interrupt : &inst->own_interrupt;

    uint32_t defined = mod->func_count - mod->import_func_count;
    inst->funcs = xcalloc(mod->func_count + 1, sizeof(*inst->funcs));
    inst->own_funcs = xcalloc((size_t)defined + mod->import_func_count + 1,
                              sizeof(*inst->own_funcs));
    inst->tables = xcalloc(mod->table_count + 1, sizeof(*inst->tables));
    inst->own_tables = xcalloc(mod->table_count - mod->import_table_count + 1,
                               sizeof(*inst->own_tables));
    inst->mems = mod->mem_count ? xcalloc(mod->mem_count, sizeof(*inst->mems)) : NULL;
    inst->own_mems = xcalloc(mod->mem_count - mod->import_mem_count + 1, sizeof(*inst->own_mems));
    inst->globals = xcalloc(mod->global_count + 1, sizeof(*inst->globals));
    inst->own_globals = xcalloc(mod->global_count - mod->import_global_count + 1,
                                sizeof(*inst->own_globals));
    inst->elem_dropped = xcalloc(mod->elem_count + 1, 1);
    inst->data_dropped = xcalloc(mod->data_count + 1, 1);

    if (!link_imports(inst, linker, err))
        goto fail;
    linked = true;
    for (uint32_t i = 0; i < defined; i++) {
        struct wasm_func_inst *f = &inst->own_funcs[i];
        uint32_t idx = mod->import_func_count + i;
        f->type = &mod->types[mod->func_types[idx]];
        f->inst = inst;
        f->code = &mod->codes[i];
        f->func_idx = idx;
        inst->funcs[idx] = f;
    }
    for (uint32_t i = mod->import_table_count; i < mod->table_count; i++) {
        struct wasm_table *tab = &inst->own_tables[i - mod->import_table_count];
        if (!table_init(tab, &mod->tables[i], inst->limits.max_table_elems, err))
            goto fail;
        inst->tables[i] = tab;
    }
    for (uint32_t i = mod->import_mem_count; i < mod->mem_count; i++) {
        struct wasm_memory *mem = &inst->own_mems[i - mod->import_mem_count];
        if (!memory_init(mem, &mod->mems[i], inst->limits.max_memory_pages, err))
            goto fail;
        inst->mems[i] = mem;
    }
    for (uint32_t i = mod->import_global_count; i < mod->global_count; i++) {
        struct wasm_global *g = &inst->own_globals[i - mod->import_global_count];
        g->type = mod->globals[i].type;
        g->is_mutable = mod->globals[i].is_mutable;
        g->val = eval_const(inst, &mod->globals[i].init);
        inst->globals[i] = g;
    }
    /* Tables start with null references; apply initial values of funcref tables. */
    if (!initialize(inst, err))
        goto fail;
    return inst;
fail:
    if (linked && mod->import_table_count > 0) {
        /* Elements or the start function may have stored references to
         * this instance's functions in an imported table: the functions
         * must live as long as that table does. */
        struct wasm_table *tab = inst->tables[0];
        tab->keep = xrealloc(tab->keep, (tab->keep_count + 1) * sizeof(*tab->keep));
        tab->keep[tab->keep_count++] = inst;
        return NULL;
    }
    wasm_instance_free(inst);
    return NULL;
}

void
wasm_instance_free(struct wasm_instance *inst)
{
    if (!inst)
        return;
    const struct wasm_module *mod = inst->mod;
    for (uint32_t i = 0; i < mod->table_count - mod->import_table_count; i++) {
        struct wasm_table *tab = &inst->own_tables[i];
        for (size_t k = 0; k < tab->keep_count; k++)
            wasm_instance_free(tab->keep[k]);
        free(tab->keep);
        free(tab->elems);
    }
    for (uint32_t i = 0; i < mod->mem_count - mod->import_mem_count; i++)
        memory_release(&inst->own_mems[i]);
    free(inst->funcs);
    free(inst->own_funcs);
    free(inst->tables);
    free(inst->own_tables);
    free(inst->mems);
    free(inst->own_mems);
    free(inst->globals);
    free(inst->own_globals);
    free(inst->elem_dropped);
    free(inst->data_dropped);
    free(inst->stack);
    free(inst->frames);
    wasm_module_free(inst->mod);
    free(inst);
}

const struct wasm_module *
wasm_instance_module(const struct wasm_instance *inst)
{
    return inst->mod;
}

void *
wasm_instance_user(const struct wasm_instance *inst)
{
    return inst->user;
}

bool
wasm_instance_export_extern(struct wasm_instance *inst, const char *name,
                            struct wasm_extern *out)
{
    const struct wasm_export *ex = find_export(inst->mod, name);
    if (!ex)
        return false;
    memset(out, 0, sizeof(*out));
    out->kind = ex->kind;
    switch (ex->kind) {
    case WASM_EXTERN_FUNC:
        out->func = inst->funcs[ex->idx];
        break;
    case WASM_EXTERN_TABLE:
        out->table = inst->tables[ex->idx];
        break;
    case WASM_EXTERN_MEMORY:
        out->mem = inst->mems[ex->idx];
        break;
    case WASM_EXTERN_GLOBAL:
        out->global = inst->globals[ex->idx];
        break;
    }
    return true;
}

static struct wasm_func_inst *
export_func(const struct wasm_instance *inst, const char *name)
{
    const struct wasm_export *ex = find_export(inst->mod, name);
    if (!ex || ex->kind != WASM_EXTERN_FUNC)
        return NULL;
    return inst->funcs[ex->idx];
}

bool
wasm_instance_func_type(const struct wasm_instance *inst, const char *name,
                        struct wasm_functype *out_type)
{
    struct wasm_func_inst *f = export_func(inst, name);
    if (!f)
        return false;
    out_type->param_count = f->type->param_count;
    out_type->result_count = f->type->result_count;
    out_type->params = f->type->params;
    out_type->results = f->type->results;
    return true;
}

static void
val_to_slots(enum wasm_valtype t, const union wasm_val *v, uint64_t *slots)
{
    switch (t) {
    case WASM_I32:
    case WASM_F32:
        slots[0] = v->i32;
        break;
    case WASM_V128:
        memcpy(slots, v->v128, 16);
        break;
    case WASM_FUNCREF:
    case WASM_EXTERNREF:
        slots[0] = v->ref;
        break;
    default:
        slots[0] = v->i64;
        break;
    }
}

static void
slots_to_val(enum wasm_valtype t, const uint64_t *slots, union wasm_val *v)
{
    memset(v, 0, sizeof(*v));
    switch (t) {
    case WASM_I32:
    case WASM_F32:
        v->i32 = (uint32_t)slots[0];
        break;
    case WASM_V128:
        memcpy(v->v128, slots, 16);
        break;
    case WASM_FUNCREF:
    case WASM_EXTERNREF:
        v->ref = (uintptr_t)slots[0];
        break;
    default:
        v->i64 = slots[0];
        break;
    }
}

bool
wasm_instance_call(struct wasm_instance *inst, const char *name, const union wasm_val *args,
                   size_t arg_count, union wasm_val *results, size_t result_count,
                   struct err *err)
{
    struct wasm_func_inst *f = export_func(inst, name);
    if (!f)
        return err_set(err, ERR_NOT_FOUND, "no exported function '%s'", name);
    const struct wasm_type *t = f->type;
    if (arg_count != t->param_count)
        return err_set(err, ERR_TYPE, "function '%s' takes %u arguments, not %zu", name,
                       t->param_count, arg_count);
    if (result_count < t->result_count)
        return err_set(err, ERR_TYPE, "function '%s' returns %u results, room for %zu", name,
                       t->result_count, result_count);
    uint64_t small[32];
    size_t n = t->param_slots > t->result_slots ? t->param_slots : t->result_slots;
    uint64_t *slots = n <= 32 ? small : xcalloc(n, sizeof(uint64_t));
    uint64_t *p = slots;
    for (uint32_t i = 0; i < t->param_count; i++) {
        val_to_slots(t->params[i], &args[i], p);
        p += wasm_slots(t->params[i]);
    }
    bool ok = wasm_interp_call(inst, f, slots, err);
    if (ok) {
        p = slots;
        for (uint32_t i = 0; i < t->result_count; i++) {
            slots_to_val(t->results[i], p, &results[i]);
            p += wasm_slots(t->results[i]);
        }
    }
    if (slots != small)
        free(slots);
    return ok;
}

bool
wasm_instance_global_get(const struct wasm_instance *inst, const char *name,
                         union wasm_val *out_value, enum wasm_valtype *out_type, struct err *err)
{
    const struct wasm_export *ex = find_export(inst->mod, name);
    if (!ex || ex->kind != WASM_EXTERN_GLOBAL)
        return err_set(err, ERR_NOT_FOUND, "no exported global '%s'", name);
    const struct wasm_global *g = inst->globals[ex->idx];
    if (out_value)
        *out_value = g->val;
    if (out_type)
        *out_type = g->type;
    return true;
}

uint8_t *
wasm_instance_memory(struct wasm_instance *inst, uint64_t *out_size)
{
    if (!inst->mems || !inst->mems[0]) {
        if (out_size)
            *out_size = 0;
        return NULL;
    }
    if (out_size)
        *out_size = inst->mems[0]->size;
    return inst->mems[0]->base;
}

bool
wasm_instance_memory_read(struct wasm_instance *inst, uint64_t offset, void *dst, size_t len,
                          struct err *err)
{
    uint64_t size;
    uint8_t *base = wasm_instance_memory(inst, &size);
    if (offset > size || len > size - offset)
        return wasm_trap(err, WASM_TRAP_MEMORY_OOB, NULL);
    if (len)
        memcpy(dst, base + offset, len);
    return true;
}

bool
wasm_instance_memory_write(struct wasm_instance *inst, uint64_t offset, const void *src,
                           size_t len, struct err *err)
{
    uint64_t size;
    uint8_t *base = wasm_instance_memory(inst, &size);
    if (offset > size || len > size - offset)
        return wasm_trap(err, WASM_TRAP_MEMORY_OOB, NULL);
    if (len)
        memcpy(base + offset, src, len);
    return true;
}

void
wasm_instance_interrupt(struct wasm_instance *inst)
{
    atomic_store(inst->interrupt, 1);
}

uint8_t *
wasm_call_memory(struct wasm_call *call, uint64_t *out_size)
{
    return wasm_instance_memory(call->inst, out_size);
}

bool
wasm_call_mem_check(struct wasm_call *call, uint64_t offset, uint64_t len)
{
    uint64_t size;
    wasm_instance_memory(call->inst, &size);
    return offset <= size && len <= size - offset;
}

struct wasm_instance *
wasm_call_instance(struct wasm_call *call)
{
    return call->inst;
}
