/* link.c: the linker, a list of definitions that imports resolve against:
 * host functions (module.name with a type), and instances whose exports are
 * importable under a module name. Later definitions win. */
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "base/xalloc.h"
#include "wasm/wasm_int.h"

struct linker_entry {
    char *module;
    char *name;                 /* NULL: every export of 'inst' */
    struct wasm_instance *inst; /* instance entries */
    struct wasm_type type;      /* host functions: a copy of the type */
    wasm_host_fn *fn;
    void *user;
};

struct wasm_linker {
    VEC(struct linker_entry) entries;
};

struct wasm_linker *
wasm_linker_new(void)
{
    return xcalloc(1, sizeof(struct wasm_linker));
}

void
wasm_linker_free(struct wasm_linker *linker)
{
    if (!linker)
        return;
    struct linker_entry *e;
    vec_foreach(&linker->entries, e)
    {
        free(e->module);
        free(e->name);
        free(e->type.params);
    }
    vec_release(&linker->entries);
    free(linker);
}

bool
wasm_linker_define_func(struct wasm_linker *linker, const char *module, const char *name,
                        const struct wasm_functype *type, wasm_host_fn *fn, void *user,
                        struct err *err)
{
    if (!module || !name || !type || !fn)
        return err_set(err, ERR_USAGE, "wasm_linker_define_func needs a module, name, type and fn");
    struct linker_entry e;
    memset(&e, 0, sizeof(e));
    e.module = xstrdup(module);
    e.name = xstrdup(name);
    size_t n = (size_t)type->param_count + type->result_count;
    e.type.params = xcalloc(n + 1, sizeof(enum wasm_valtype));
    for (uint32_t i = 0; i < type->param_count; i++) {
        e.type.params[i] = type->params[i];
        e.type.param_slots += wasm_slots(type->params[i]);
    }
    for (uint32_t i = 0; i < type->result_count; i++) {
        e.type.params[type->param_count + i] = type->results[i];
        e.type.result_slots += wasm_slots(type->results[i]);
    }
    e.type.param_count = type->param_count;
    e.type.result_count = type->result_count;
    e.type.results = e.type.params + type->param_count;
    e.fn = fn;
    e.user = user;
    vec_push(&linker->entries, e);
    return true;
}

bool
wasm_linker_define_instance(struct wasm_linker *linker, const char *module_name,
                            struct wasm_instance *inst, struct err *err)
{
    if (!module_name || !inst)
        return err_set(err, ERR_USAGE, "wasm_linker_define_instance needs a name and an instance");
    struct linker_entry e;
    memset(&e, 0, sizeof(e));
    e.module = xstrdup(module_name);
    e.inst = inst;
    vec_push(&linker->entries, e);
    return true;
}

bool
wasm_linker_resolve(const struct wasm_linker *linker, const struct wasm_import *imp,
                    struct wasm_extern *out)
{
    for (size_t i = linker->entries.count; i-- > 0;) {
        const struct linker_entry *e = &linker->entries.items[i];
        if (strcmp(e->module, imp->module) != 0)
            continue;
        if (e->inst) {
            if (wasm_instance_export_extern(e->inst, imp->name, out))
                return true;
            continue;
        }
        if (strcmp(e->name, imp->name) == 0) {
            memset(out, 0, sizeof(*out));
            out->kind = WASM_EXTERN_FUNC;
            out->host_type = &e->type;
            out->host = e->fn;
            out->host_user = e->user;
            return true;
        }
    }
    return false;
}
