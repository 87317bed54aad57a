/* decode.c: the binary format's sections into a struct wasm_module, with the
 * module-level validation rules (indices, limits, constant expressions,
 * exports, start). Function bodies are handed to lower.c as the code section
 * is read, or, for a large section, all at once to be lowered on several
 * threads. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/check.h"
#include "base/xalloc.h"
#include "wasm/wasm_int.h"

#define MALFORMED(r, msg) wasm_fail((r), err, ERR_WASM_MALFORMED, (msg))
#define INVALID(r, msg) wasm_fail((r), err, ERR_WASM_INVALID, (msg))

const char *
wasm_valtype_name(enum wasm_valtype t)
{
    switch (t) {
    case WASM_I32: return "i32";
    case WASM_I64: return "i64";
    case WASM_F32: return "f32";
    case WASM_F64: return "f64";
    case WASM_V128: return "v128";
    case WASM_FUNCREF: return "funcref";
    case WASM_EXTERNREF: return "externref";
    }
    return "?";
}

bool
wasm_opcode_exists(uint8_t op)
{
    if (op <= 0x05 || (op >= 0x0b && op <= 0x11) || (op >= 0x1a && op <= 0x1c) ||
        (op >= 0x20 && op <= 0x26) || (op >= 0x28 && op <= 0xc4) || (op >= 0xd0 && op <= 0xd2) ||
        op == 0xfc || op == 0xfd)
        return true;
    return false;
}

bool
wasm_type_equal(const struct wasm_type *a, const struct wasm_type *b)
{
    if (a == b)
        return true;
    if (a->param_count != b->param_count || a->result_count != b->result_count)
        return false;
    for (uint32_t i = 0; i < a->param_count + a->result_count; i++)
        if (a->params[i] != b->params[i])
            return false;
    return true;
}

static bool
read_valtype(struct wasm_reader *r, enum wasm_valtype *out, struct err *err)
{
    uint8_t b;
    if (!wasm_read_u8(r, &b, err))
        return false;
    switch (b) {
    case WASM_I32: case WASM_I64: case WASM_F32: case WASM_F64: case WASM_V128:
    case WASM_FUNCREF: case WASM_EXTERNREF:
        *out = (enum wasm_valtype)b;
        return true;
    }
    r->pos--;
    return MALFORMED(r, "malformed value type");
}

static bool
read_reftype(struct wasm_reader *r, enum wasm_valtype *out, struct err *err)
{
    uint8_t b;
    if (!wasm_read_u8(r, &b, err))
        return false;
    if (b != WASM_FUNCREF && b != WASM_EXTERNREF) {
        r->pos--;
        return MALFORMED(r, "malformed reference type");
    }
    *out = (enum wasm_valtype)b;
    return true;
}

static bool
read_limits(struct wasm_reader *r, uint32_t *min, uint32_t *max, bool *has_max, struct err *err)
{
    uint8_t flags;
    if (!wasm_read_u8(r, &flags, err))
        return false;
    if (flags > 1) {
        r->pos--;
        return MALFORMED(r, (flags & 0x80) ? "integer representation too long"
                                           : "integer too large");
    }
    if (!wasm_read_u32(r, min, err))
        return false;
    *has_max = flags == 1;
    *max = 0;
    if (*has_max && !wasm_read_u32(r, max, err))
        return false;
    return true;
}

static bool
read_table_type(struct wasm_reader *r, struct wasm_table_type *t, struct err *err)
{
    if (!read_reftype(r, &t->elem, err))
        return false;
    const uint8_t *at = r->pos;
    if (!read_limits(r, &t->min, &t->max, &t->has_max, err))
        return false;
    if (t->has_max && t->min > t->max)
        return wasm_fail_at(r, at, err, ERR_WASM_INVALID,
                            "size minimum must not be greater than maximum");
    return true;
}

static bool
read_mem_type(struct wasm_reader *r, struct wasm_mem_type *m, struct err *err)
{
    const uint8_t *at = r->pos;
    if (!read_limits(r, &m->min, &m->max, &m->has_max, err))
        return false;
    if (m->min > WASM_MAX_PAGES || (m->has_max && m->max > WASM_MAX_PAGES))
        return wasm_fail_at(r, at, err, ERR_WASM_INVALID,
                            "memory size must be at most 65536 pages (4GiB)");
    if (m->has_max && m->min > m->max)
        return wasm_fail_at(r, at, err, ERR_WASM_INVALID,
                            "size minimum must not be greater than maximum");
    return true;
}

static bool
read_global_type(struct wasm_reader *r, enum wasm_valtype *type, bool *is_mutable,
                 struct err *err)
{
    if (!read_valtype(r, type, err))
        return false;
    uint8_t m;
    if (!wasm_read_u8(r, &m, err))
        return false;
    if (m > 1) {
        r->pos--;
        return MALFORMED(r, "malformed mutability");
    }
    *is_mutable = m == 1;
    return true;
}

static char *
dup_name(const char *s, uint32_t len)
{
    return xstrndup(s, len);
}

/*
 * A constant expression of type 'type'. 'global_limit' is how many globals
 * it may read (imported ones only, for global initialisers).
 */
static bool
read_const_expr(struct wasm_module *mod, struct wasm_reader *r, enum wasm_valtype type,
                uint32_t global_limit, struct wasm_const_expr *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *at = r->pos;
    uint8_t op;
    if (!wasm_read_u8(r, &op, err))
        return false;
    enum wasm_valtype got;
    out->op = op;
    switch (op) {
    case 0x41: {
        int32_t v;
        if (!wasm_read_s32(r, &v, err))
            return false;
        out->val.i64 = (uint32_t)v;
        got = WASM_I32;
        break;
    }
    case 0x42: {
        int64_t v;
        if (!wasm_read_s64(r, &v, err))
            return false;
        out->val.i64 = (uint64_t)v;
        got = WASM_I64;
        break;
    }
    case 0x43: {
        uint32_t v;
        if (!wasm_read_fixed(r, &v, 4, err))
            return false;
        out->val.i64 = v;
        got = WASM_F32;
        break;
    }
    case 0x44: {
        uint64_t v;
        if (!wasm_read_fixed(r, &v, 8, err))
            return false;
        out->val.i64 = v;
        got = WASM_F64;
        break;
    }
    case 0xd0:
        if (!read_reftype(r, &got, err))
            return false;
        break;
    case 0xd2:
        if (!wasm_read_u32(r, &out->idx, err))
            return false;
        if (out->idx >= mod->func_count)
            return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "unknown function %u", out->idx);
        mod->declared_refs[out->idx] = 1;
        got = WASM_FUNCREF;
        break;
    case 0x23:
        if (!wasm_read_u32(r, &out->idx, err))
            return false;
        if (out->idx >= global_limit)
            return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "unknown global %u", out->idx);
        if (mod->globals[out->idx].is_mutable)
            return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "constant expression required");
        got = mod->globals[out->idx].type;
        break;
    case 0xfd: {
        uint32_t sub;
        if (!wasm_read_u32(r, &sub, err))
            return false;
        if (sub != 12)
            return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "constant expression required");
        if (!wasm_read_fixed(r, out->val.v128, 16, err))
            return false;
        got = WASM_V128;
        break;
    }
    case 0x0b:
        return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "type mismatch");
    default:
        if (!wasm_opcode_exists(op))
            return wasm_fail_at(r, at, err, ERR_WASM_MALFORMED, "illegal opcode");
        return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "constant expression required");
    }
    at = r->pos;
    if (!wasm_read_u8(r, &op, err))
        return false;
    if (op != 0x0b) {
        if (op == 0x41 || op == 0x42 || op == 0x43 || op == 0x44 || op == 0xd0 || op == 0xd2 ||
            op == 0x23)
            return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "type mismatch");
        if (!wasm_opcode_exists(op))
            return wasm_fail_at(r, at, err, ERR_WASM_MALFORMED, "illegal opcode");
        return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "constant expression required");
    }
    if (got != type)
        return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "type mismatch");
    return true;
}

static bool
read_types(struct wasm_module *mod, struct wasm_reader *r, struct err *err)
{
    uint32_t n;
    if (!wasm_read_count(r, 1, &n, err))
        return false;
    mod->types = xcalloc(n ? n : 1, sizeof(*mod->types));
    mod->type_count = n;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t form;
        if (!wasm_read_u8(r, &form, err))
            return false;
        if (form != 0x60) {
            r->pos--;
            return MALFORMED(r, "integer representation too long");
        }
        uint32_t np, nr;
        if (!wasm_read_count(r, 1, &np, err))
            return false;
        struct wasm_type *t = &mod->types[i];
        enum wasm_valtype *ps = try_malloc(((size_t)np + 1) * sizeof(*ps));
        if (!ps)
            return err_set(err, ERR_OOM, "out of memory reading types");
        t->params = ps;
        for (uint32_t k = 0; k < np; k++)
            if (!read_valtype(r, &ps[k], err))
                return false;
        if (!wasm_read_count(r, 1, &nr, err))
            return false;
        enum wasm_valtype *all = try_realloc(ps, ((size_t)np + nr + 1) * sizeof(*ps));
        if (!all)
            return err_set(err, ERR_OOM, "out of memory reading types");
        t->params = all;
        for (uint32_t k = 0; k < nr; k++)
            if (!read_valtype(r, &all[np + k], err))
                return false;
        t->param_count = np;
        t->result_count = nr;
        t->results = all + np;
        for (uint32_t k = 0; k < np; k++)
            t->param_slots += wasm_slots(all[k]);
        for (uint32_t k = 0; k < nr; k++)
            t->result_slots += wasm_slots(all[np + k]);
    }
    return true;
}

static bool
read_imports(struct wasm_module *mod, struct wasm_reader *r, struct err *err)
{
    uint32_t n;
    if (!wasm_read_count(r, 1, &n, err))
        return false;
    mod->imports = xcalloc(n ? n : 1, sizeof(*mod->imports));
    for (uint32_t i = 0; i < n; i++) {
        struct wasm_import *imp = &mod->imports[i];
        const char *s;
        uint32_t len;
        if (!wasm_read_name(r, &s, &len, err))
            return false;
        imp->module = dup_name(s, len);
        mod->import_count = i + 1;
        if (!wasm_read_name(r, &s, &len, err))
            return false;
        imp->name = dup_name(s, len);
        uint8_t kind;
        if (!wasm_read_u8(r, &kind, err))
            return false;
        const uint8_t *at = r->pos;
        switch (kind) {
        case 0:
            if (!wasm_read_u32(r, &imp->type_idx, err))
                return false;
            if (imp->type_idx >= mod->type_count)
                return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "unknown type");
            imp->type.kind = WASM_EXTERN_FUNC;
            mod->import_func_count++;
            break;
        case 1: {
            struct wasm_table_type t;
            if (!read_table_type(r, &t, err))
                return false;
            imp->type.kind = WASM_EXTERN_TABLE;
            imp->type.u.table.elem = t.elem;
            imp->type.u.table.min = t.min;
            imp->type.u.table.max = t.max;
            imp->type.u.table.has_max = t.has_max;
            mod->import_table_count++;
            break;
        }
        case 2: {
            struct wasm_mem_type m;
            if (!read_mem_type(r, &m, err))
                return false;
            if (mod->import_mem_count > 0)
                return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "multiple memories");
            imp->type.kind = WASM_EXTERN_MEMORY;
            imp->type.u.memory.min = m.min;
            imp->type.u.memory.max = m.max;
            imp->type.u.memory.has_max = m.has_max;
            mod->import_mem_count++;
            break;
        }
        case 3:
            imp->type.kind = WASM_EXTERN_GLOBAL;
            if (!read_global_type(r, &imp->type.u.global.type, &imp->type.u.global.is_mutable,
                                  err))
                return false;
            mod->import_global_count++;
            break;
        default:
            r->pos--;
            return MALFORMED(r, "malformed import kind");
        }
    }
    return true;
}

/* Fill the import part of the index spaces (called once, after imports). */
static void
place_imports(struct wasm_module *mod)
{
    uint32_t f = 0, t = 0, m = 0, g = 0;
    for (uint32_t i = 0; i < mod->import_count; i++) {
        struct wasm_import *imp = &mod->imports[i];
        switch (imp->type.kind) {
        case WASM_EXTERN_FUNC:
            mod->func_types[f++] = imp->type_idx;
            break;
        case WASM_EXTERN_TABLE:
            mod->tables[t].elem = imp->type.u.table.elem;
            mod->tables[t].min = imp->type.u.table.min;
            mod->tables[t].max = imp->type.u.table.max;
            mod->tables[t++].has_max = imp->type.u.table.has_max;
            break;
        case WASM_EXTERN_MEMORY:
            mod->mems[m].min = imp->type.u.memory.min;
            mod->mems[m].max = imp->type.u.memory.max;
            mod->mems[m++].has_max = imp->type.u.memory.has_max;
            break;
        case WASM_EXTERN_GLOBAL:
            mod->globals[g].type = imp->type.u.global.type;
            mod->globals[g++].is_mutable = imp->type.u.global.is_mutable;
            break;
        }
    }
}

static bool
read_elem_items(struct wasm_module *mod, struct wasm_reader *r, struct wasm_elem *e, bool exprs,
                struct err *err)
{
    uint32_t n;
    if (!wasm_read_count(r, 1, &n, err))
        return false;
    e->items = try_calloc(n ? n : 1, sizeof(*e->items));
    if (!e->items)
        return err_set(err, ERR_OOM, "out of memory reading elements");
    e->count = n;
    for (uint32_t i = 0; i < n; i++) {
        if (exprs) {
            if (!read_const_expr(mod, r, e->type, mod->import_global_count, &e->items[i], err))
                return false;
        } else {
            const uint8_t *at = r->pos;
            uint32_t idx;
            if (!wasm_read_u32(r, &idx, err))
                return false;
            if (idx >= mod->func_count)
                return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "unknown function %u", idx);
            mod->declared_refs[idx] = 1;
            e->items[i].op = 0xd2;
            e->items[i].idx = idx;
        }
    }
    return true;
}

static bool
read_elems(struct wasm_module *mod, struct wasm_reader *r, struct err *err)
{
    uint32_t n;
    if (!wasm_read_count(r, 1, &n, err))
        return false;
    mod->elems = xcalloc(n ? n : 1, sizeof(*mod->elems));
    for (uint32_t i = 0; i < n; i++) {
        struct wasm_elem *e = &mod->elems[i];
        mod->elem_count = i + 1;
        const uint8_t *at = r->pos;
        uint32_t flags;
        if (!wasm_read_u32(r, &flags, err))
            return false;
        if (flags > 7)
            return wasm_fail_at(r, at, err, ERR_WASM_MALFORMED, "malformed elements segment kind");
        e->type = WASM_FUNCREF;
        e->mode = (flags & 1) ? ((flags & 2) ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE)
                              : WASM_SEG_ACTIVE;
        bool exprs = (flags & 4) != 0;
        if (e->mode == WASM_SEG_ACTIVE) {
            if (flags & 2) {
                at = r->pos;
                if (!wasm_read_u32(r, &e->table_idx, err))
                    return false;
            }
            if (e->table_idx >= mod->table_count)
                return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "unknown table %u",
                                    e->table_idx);
            if (!read_const_expr(mod, r, WASM_I32, mod->import_global_count, &e->offset, err))
                return false;
        }
        if (flags & 3) {
            if (exprs) {
                if (!read_reftype(r, &e->type, err))
                    return false;
            } else {
                uint8_t kind;
                if (!wasm_read_u8(r, &kind, err))
                    return false;
                if (kind != 0) {
                    r->pos--;
                    return MALFORMED(r, "malformed element kind");
                }
            }
        }
        if (!read_elem_items(mod, r, e, exprs, err))
            return false;
        if (e->mode == WASM_SEG_ACTIVE && mod->tables[e->table_idx].elem != e->type)
            return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "type mismatch");
    }
    return true;
}

static bool
read_datas(struct wasm_module *mod, struct wasm_reader *r, struct err *err)
{
    uint32_t n;
    if (!wasm_read_count(r, 1, &n, err))
        return false;
    if (mod->has_data_count && n != mod->data_count_decl)
        return MALFORMED(r, "data count and data section have inconsistent lengths");
    mod->datas = xcalloc(n ? n : 1, sizeof(*mod->datas));
    mod->data_count = n;
    for (uint32_t i = 0; i < n; i++) {
        struct wasm_data *d = &mod->datas[i];
        const uint8_t *at = r->pos;
        uint32_t flags;
        if (!wasm_read_u32(r, &flags, err))
            return false;
        if (flags > 2)
            return wasm_fail_at(r, at, err, ERR_WASM_MALFORMED, "malformed data segment kind");
        d->mode = flags == 1 ? WASM_SEG_PASSIVE : WASM_SEG_ACTIVE;
        if (flags == 2) {
            at = r->pos;
            if (!wasm_read_u32(r, &d->mem_idx, err))
                return false;
        }
        if (d->mode == WASM_SEG_ACTIVE) {
            if (d->mem_idx >= mod->mem_count)
                return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "unknown memory %u",
                                    d->mem_idx);
            if (!read_const_expr(mod, r, WASM_I32, mod->import_global_count, &d->offset, err))
                return false;
        }
        uint32_t len;
        if (!wasm_read_u32(r, &len, err))
            return false;
        if (len > (size_t)(r->end - r->pos))
            return MALFORMED(r, "unexpected end of section or function");
        d->bytes = r->pos;
        d->len = len;
        r->pos += len;
    }
    return true;
}

static uint32_t
name_hash(const char *s, uint32_t len)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/*
 * Export names seen so far, for the duplicate check in one pass: an open
 * addressing table of export indices + 1 (0: empty), keyed by the names'
 * NUL-terminated copies. A name is a duplicate when it equals one of those
 * copies (so a name holding a NUL byte is never one, and its copy is cut
 * at the NUL).
 */
struct name_set {
    uint32_t *slots;
    uint32_t mask;
};

/* True when 'name' (len bytes) repeats an earlier export's name; then adds
 * export 'idx', whose copy of the name is already made. */
static bool
name_set_seen(struct name_set *set, const struct wasm_export *exports, uint32_t idx,
              const char *name, uint32_t len)
{
    if (!memchr(name, 0, len)) {
        for (uint32_t h = name_hash(name, len) & set->mask; set->slots[h];
             h = (h + 1) & set->mask) {
            const char *other = exports[set->slots[h] - 1].name;
            if (strlen(other) == len && memcmp(other, name, len) == 0)
                return true;
        }
    }
    const char *copy = exports[idx].name;
    uint32_t h = name_hash(copy, (uint32_t)strlen(copy)) & set->mask;
    while (set->slots[h])
        h = (h + 1) & set->mask;
    set->slots[h] = idx + 1;
    return false;
}

static bool
read_export_list(struct wasm_module *mod, struct wasm_reader *r, uint32_t n,
                 struct name_set *names, struct err *err)
{
    for (uint32_t i = 0; i < n; i++) {
        struct wasm_export *ex = &mod->exports[i];
        const char *s;
        uint32_t len;
        const uint8_t *at = r->pos;
        if (!wasm_read_name(r, &s, &len, err))
            return false;
        ex->name = dup_name(s, len);
        mod->export_count = i + 1;
        if (name_set_seen(names, mod->exports, i, s, len))
            return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "duplicate export name");
        uint8_t kind;
        if (!wasm_read_u8(r, &kind, err))
            return false;
        if (kind > 3) {
            r->pos--;
            return MALFORMED(r, "malformed export kind");
        }
        at = r->pos;
        if (!wasm_read_u32(r, &ex->idx, err))
            return false;
        ex->kind = (enum wasm_extern_kind)kind;
        switch (ex->kind) {
        case WASM_EXTERN_FUNC:
            if (ex->idx >= mod->func_count)
                return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "unknown function %u", ex->idx);
            mod->declared_refs[ex->idx] = 1;
            break;
        case WASM_EXTERN_TABLE:
            if (ex->idx >= mod->table_count)
                return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "unknown table %u", ex->idx);
            break;
        case WASM_EXTERN_MEMORY:
            if (ex->idx >= mod->mem_count)
                return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "unknown memory %u", ex->idx);
            break;
        case WASM_EXTERN_GLOBAL:
            if (ex->idx >= mod->global_count)
                return wasm_fail_at(r, at, err, ERR_WASM_INVALID, "unknown global %u", ex->idx);
            break;
        }
    }
    return true;
}

static bool
read_exports(struct wasm_module *mod, struct wasm_reader *r, struct err *err)
{
    uint32_t n;
    if (!wasm_read_count(r, 1, &n, err))
        return false;
    mod->exports = xcalloc(n ? n : 1, sizeof(*mod->exports));
    /* n is at most the section's size: the table stays proportionate to the input. */
    uint64_t cap = 16;
    while (cap < 2 * (uint64_t)n)
        cap *= 2;
    struct name_set names = { try_calloc((size_t)cap, sizeof(uint32_t)), (uint32_t)(cap - 1) };
    if (!names.slots)
        return err_set(err, ERR_OOM, "out of memory reading exports");
    bool ok = read_export_list(mod, r, n, &names, err);
    free(names.slots);
    return ok;
}

static bool
read_code(struct wasm_module *mod, struct wasm_reader *r, struct err *err)
{
    uint32_t n;
    if (!wasm_read_count(r, 1, &n, err))
        return false;
    uint32_t defined = mod->func_count - mod->import_func_count;
    if (n != defined)
        return MALFORMED(r, "function and code section have inconsistent lengths");
    /* A large section is lowered on several threads once every body is
     * found; a small one body by body in this loop. */
    unsigned threads =
        mod->precompiled ? 1 : wasm_lower_thread_count((size_t)(r->end - r->pos), n);
    struct wasm_lower_scratch *scratch = threads > 1 ? NULL : wasm_lower_scratch_new();
    /* With threads, a framing error waits until the bodies before it are
     * lowered: an invalid one among them is reported first, as in order. */
    struct err frame_err = { 0 };
    struct err *ferr = threads > 1 ? &frame_err : err;
    uint32_t framed = n;
    bool ok = false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t size;
        if (!wasm_read_u32(r, &size, ferr)) {
            framed = i;
            break;
        }
        if (size > (size_t)(r->end - r->pos)) {
            wasm_fail(r, ferr, ERR_WASM_MALFORMED, "unexpected end of section or function");
            framed = i;
            break;
        }
        struct wasm_code *c = &mod->codes[i];
        c->type_idx = mod->func_types[mod->import_func_count + i];
        c->body = r->pos;
        c->body_len = size;
        r->pos += size;
        if (threads > 1)
            continue; /* lowered below */
        /* A module loaded from a cache blob takes its code from there. */
        if (mod->precompiled ? !wasm_precompiled_func(mod, i, err)
                             : !wasm_lower_func(mod, i, r->end, scratch, err))
            goto done;
    }
    if (threads > 1) {
        if (!wasm_lower_parallel(mod, framed, r->end, threads, err))
            goto done;
        if (framed < n) {
            if (err && err->kind == ERR_NONE)
                *err = frame_err;
            goto done;
        }
    } else if (framed < n) {
        goto done;
    }
    ok = true;
done:
    wasm_lower_scratch_free(scratch);
    return ok;
}

/* The "name" custom section: function names for trap messages. Errors in it are ignored. */
static void
read_names(struct wasm_module *mod, const uint8_t *p, const uint8_t *end)
{
    struct wasm_reader r = { mod->bytes, p, end, end, "name", -1 };
    while (r.pos < r.end) {
        uint8_t id;
        uint32_t size;
        if (!wasm_read_u8(&r, &id, NULL) || !wasm_read_u32(&r, &size, NULL) ||
            size > (size_t)(r.end - r.pos))
            return;
        if (id != 1) {
            r.pos += size;
            continue;
        }
        struct wasm_reader sub = { mod->bytes, r.pos, r.pos + size, r.pos + size, "name", -1 };
        r.pos += size;
        uint32_t count;
        if (!wasm_read_u32(&sub, &count, NULL))
            return;
        if (!mod->func_names && mod->func_count)
            mod->func_names = xcalloc(mod->func_count, sizeof(char *));
        for (uint32_t i = 0; i < count; i++) {
            uint32_t idx, len;
            const char *s;
            if (!wasm_read_u32(&sub, &idx, NULL) || !wasm_read_name(&sub, &s, &len, NULL))
                return;
            if (idx < mod->func_count && !mod->func_names[idx])
                mod->func_names[idx] = dup_name(s, len);
        }
    }
}

static const char *const section_names[] = {
    "custom", "type", "import", "function", "table", "memory", "global",
    "export", "start", "element", "code", "data", "datacount",
};

/* Position of each section id in the required order. */
static int
section_rank(uint8_t id)
{
    static const int rank[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10 };
    return rank[id];
}

/* Once the import section is behind us: the index spaces start with the imports. */
static void
start_spaces(struct wasm_module *mod, bool *done)
{
    if (*done)
        return;
    *done = true;
    mod->func_count = mod->import_func_count;
    mod->table_count = mod->import_table_count;
    mod->mem_count = mod->import_mem_count;
    mod->global_count = mod->import_global_count;
    mod->func_types = xcalloc(mod->func_count + 1, sizeof(uint32_t));
    mod->tables = xcalloc(mod->table_count + 1, sizeof(*mod->tables));
    mod->mems = xcalloc(mod->mem_count + 1, sizeof(*mod->mems));
    mod->globals = xcalloc(mod->global_count + 1, sizeof(*mod->globals));
    place_imports(mod);
}

/* Once the function section is behind us. */
static void
start_funcs(struct wasm_module *mod)
{
    if (mod->declared_refs)
        return;
    mod->declared_refs = xcalloc(mod->func_count + 1, 1);
    mod->codes = xcalloc(mod->func_count - mod->import_func_count + 1, sizeof(*mod->codes));
}

/*
 * Two passes over the section headers: the first checks the framing and
 * learns the sizes of the index spaces (function, table, memory, global
 * sections hold counts that later sections refer to), the second decodes.
 */
bool
wasm_decode(struct wasm_module *mod, struct err *err)
{
    struct wasm_reader r = { mod->bytes, mod->bytes, mod->bytes + mod->len,
                             mod->bytes + mod->len, NULL, -1 };
    uint8_t magic[4];
    static const uint8_t want_magic[4] = { 0, 'a', 's', 'm' };
    if (mod->len < 4)
        return MALFORMED(&r, "unexpected end");
    if (memcmp(mod->bytes, want_magic, 4) != 0)
        return MALFORMED(&r, "magic header not detected");
    r.pos += 4;
    if (!wasm_read_fixed(&r, magic, 4, err))
        return false;
    if (magic[0] != 1 || magic[1] || magic[2] || magic[3]) {
        r.pos -= 4;
        return MALFORMED(&r, "unknown binary version");
    }

    int last_rank = 0;
    bool spaces = false;
    bool has_code = false, has_data = false;
    while (r.pos < r.end) {
        r.section = NULL;
        const uint8_t *sec_start = r.pos;
        uint8_t id;
        uint32_t size;
        if (!wasm_read_u8(&r, &id, err))
            return false;
        if (id > 12) {
            r.pos--;
            return MALFORMED(&r, "malformed section id");
        }
        if (!wasm_read_u32(&r, &size, err))
            return false;
        if (size > (size_t)(r.end - r.pos))
            return MALFORMED(&r, "length out of bounds");
        struct wasm_reader s = { mod->bytes, r.pos, r.pos + size, r.end, section_names[id], -1 };
        r.pos += size;
        if (id != 0) {
            int rank = section_rank(id);
            if (rank <= last_rank)
                return wasm_fail_at(&r, sec_start, err, ERR_WASM_MALFORMED,
                                    "unexpected content after last section");
            last_rank = rank;
        }
        if (id != 0 && id != 1 && id != 2)
            start_spaces(mod, &spaces);
        if (id != 0 && id != 1 && id != 2 && id != 3)
            start_funcs(mod);
        bool ok = true;
        switch (id) {
        case 0: {
            const char *name;
            uint32_t len;
            if (!wasm_read_name(&s, &name, &len, err))
                return false;
            if (len == 4 && memcmp(name, "name", 4) == 0)
                read_names(mod, s.pos, s.end);
            s.pos = s.end;
            break;
        }
        case 1:
            ok = read_types(mod, &s, err);
            break;
        case 2:
            ok = read_imports(mod, &s, err);
            break;
        case 3: {
            uint32_t n;
            if (!wasm_read_count(&s, 1, &n, err))
                return false;
            uint32_t base = mod->import_func_count;
            mod->func_types = xrealloc(mod->func_types, ((size_t)base + n + 1) * sizeof(uint32_t));
            for (uint32_t i = 0; i < n; i++) {
                const uint8_t *at = s.pos;
                if (!wasm_read_u32(&s, &mod->func_types[base + i], err))
                    return false;
                if (mod->func_types[base + i] >= mod->type_count)
                    return wasm_fail_at(&s, at, err, ERR_WASM_INVALID, "unknown type");
            }
            mod->func_count = base + n;
            break;
        }
        case 4: {
            uint32_t n;
            if (!wasm_read_count(&s, 1, &n, err))
                return false;
            uint32_t base = mod->import_table_count;
            struct wasm_table_type *t =
                xrealloc(mod->tables, ((size_t)base + n + 1) * sizeof(*t));
            mod->tables = t;
            mod->table_count = base + n;
            for (uint32_t i = 0; i < n; i++)
                if (!read_table_type(&s, &t[base + i], err))
                    return false;
            break;
        }
        case 5: {
            uint32_t n;
            if (!wasm_read_count(&s, 1, &n, err))
                return false;
            uint32_t base = mod->import_mem_count;
            if (base + n > 1)
                return INVALID(&s, "multiple memories");
            struct wasm_mem_type *m = xrealloc(mod->mems, ((size_t)base + n + 1) * sizeof(*m));
            mod->mems = m;
            mod->mem_count = base + n;
            for (uint32_t i = 0; i < n; i++)
                if (!read_mem_type(&s, &m[base + i], err))
                    return false;
            break;
        }
        case 6: {
            uint32_t n;
            if (!wasm_read_count(&s, 1, &n, err))
                return false;
            uint32_t base = mod->import_global_count;
            struct wasm_global_decl *g =
                xrealloc(mod->globals, ((size_t)base + n + 1) * sizeof(*g));
            memset(g + base, 0, ((size_t)n + 1) * sizeof(*g));
            mod->globals = g;
            for (uint32_t i = 0; i < n; i++) {
                mod->global_count = base + i + 1;
                if (!read_global_type(&s, &g[base + i].type, &g[base + i].is_mutable, err))
                    return false;
                if (!read_const_expr(mod, &s, g[base + i].type, base, &g[base + i].init, err))
                    return false;
            }
            break;
        }
        case 7:
            ok = read_exports(mod, &s, err);
            break;
        case 8: {
            const uint8_t *at = s.pos;
            if (!wasm_read_u32(&s, &mod->start, err))
                return false;
            if (mod->start >= mod->func_count)
                return wasm_fail_at(&s, at, err, ERR_WASM_INVALID, "unknown function %u",
                                    mod->start);
            const struct wasm_type *t = &mod->types[mod->func_types[mod->start]];
            if (t->param_count || t->result_count)
                return wasm_fail_at(&s, at, err, ERR_WASM_INVALID, "start function");
            mod->has_start = true;
            break;
        }
        case 9:
            ok = read_elems(mod, &s, err);
            break;
        case 10:
            has_code = true;
            ok = read_code(mod, &s, err);
            break;
        case 11:
            has_data = true;
            ok = read_datas(mod, &s, err);
            break;
        case 12:
            if (!wasm_read_u32(&s, &mod->data_count_decl, err))
                return false;
            mod->has_data_count = true;
            break;
        }
        if (!ok)
            return false;
        if (s.pos != s.end)
            return MALFORMED(&s, "section size mismatch");
    }
    r.section = NULL;
    start_spaces(mod, &spaces);
    start_funcs(mod);
    if (!has_code && mod->func_count != mod->import_func_count)
        return MALFORMED(&r, "function and code section have inconsistent lengths");
    if (mod->needs_data_count) {
        struct wasm_reader at = r;
        at.section = "code";
        if (has_data)
            return wasm_fail_at(&at, mod->needs_data_count, err, ERR_WASM_MALFORMED,
                                "data count section required");
        return wasm_fail_at(&at, mod->needs_data_count, err, ERR_WASM_INVALID,
                            "unknown data segment");
    }
    if (mod->has_data_count && mod->data_count == 0 && mod->data_count_decl != 0)
        return MALFORMED(&r, "data count and data section have inconsistent lengths");
    return true;
}

#define BIG_PAGE ((size_t)2 << 20)

void *
wasm_big_alloc(size_t size)
{
    if (size < BIG_PAGE)
        return try_malloc(size ? size : 1);
    size_t rounded = (size + BIG_PAGE - 1) & ~(BIG_PAGE - 1);
    void *p = NULL;
    if (rounded < size || posix_memalign(&p, BIG_PAGE, rounded) != 0)
        return try_malloc(size);
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
    return p;
}

void
wasm_module_release_parts(struct wasm_module *mod)
{
    for (uint32_t i = 0; i < mod->type_count; i++)
        free(mod->types[i].params);
    free(mod->types);
    for (uint32_t i = 0; i < mod->import_count; i++) {
        free((char *)mod->imports[i].module);
        free((char *)mod->imports[i].name);
    }
    free(mod->imports);
    free(mod->func_types);
    free(mod->tables);
    free(mod->mems);
    free(mod->globals);
    for (uint32_t i = 0; i < mod->export_count; i++)
        free((char *)mod->exports[i].name);
    free(mod->exports);
    for (uint32_t i = 0; i < mod->elem_count; i++)
        free(mod->elems[i].items);
    free(mod->elems);
    free(mod->datas);
    free(mod->codes);
    while (mod->code_blocks) {
        struct wasm_code_block *next = mod->code_blocks->next;
        free(mod->code_blocks);
        mod->code_blocks = next;
    }
    free(mod->declared_refs);
    if (mod->func_names)
        for (uint32_t i = 0; i < mod->func_count; i++)
            free(mod->func_names[i]);
    free(mod->func_names);
}
