/*
 * jit_helpers.c: what native code (jit_x64.c) calls instead of inlining:
 * numeric operations that are rare or long (popcnt, rounding, min/max,
 * trapping and saturating truncation, unsigned 64-bit conversions), bulk
 * memory, tables, memory.grow, and calls that leave native code. Each takes the call context, the first operand slot,
 * the calling function and an immediate, works on the slots as the
 * interpreter does, and returns 0 or a trap number.
 */
#include "wasm/jit.h"

#if defined(__x86_64__) && defined(__linux__) && !defined(PERCH_WASM_NO_JIT)

# include <math.h>
# include <string.h>

# include "wasm/numeric.h"


/* Trapping float-to-int: valid when lo < x < hi. */
# define TRUNC_CHECK(x, lo, hi)                                                                     \
    do {                                                                                           \
        if (isnan(x))                                                                              \
            return WASM_TRAP_INVALID_CONVERSION;                                                   \
        if (!((x) > (lo) && (x) < (hi)))                                                           \
            return WASM_TRAP_INT_OVERFLOW;                                                         \
    } while (0)

static uint64_t
sat_s(double x, double lo, double hi, int64_t min, int64_t max)
{
    if (isnan(x))
        return 0;
    if (x <= lo)
        return (uint64_t)min;
    if (x >= hi)
        return (uint64_t)max;
    return (uint64_t)(int64_t)x;
}

static uint64_t
sat_u(double x, double hi, uint64_t max)
{
    if (isnan(x) || x <= -1.0)
        return 0;
    if (x >= hi)
        return max;
    return (uint64_t)x;
}

/*
 * Numeric instructions not compiled inline: 'op' is the opcode (0x45..0xc4)
 * or 0x100 + the 0xfc sub-opcode (0..7); the operands start at sp[0] and the
 * result replaces sp[0].
 */
int
wasm_jit_numeric(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t op)
{
    (void)ex;
    (void)self;
    uint64_t a = sp[0], b = sp[1];
    float fa = f32_of(a), fb = f32_of(b);
    double da = f64_of(a), db = f64_of(b);
    switch (op) {
    case 0x67: sp[0] = (uint32_t)a ? (uint64_t)__builtin_clz((uint32_t)a) : 32; break;
    case 0x68: sp[0] = (uint32_t)a ? (uint64_t)__builtin_ctz((uint32_t)a) : 32; break;
    case 0x69: sp[0] = (uint64_t)__builtin_popcount((uint32_t)a); break;
    case 0x79: sp[0] = a ? (uint64_t)__builtin_clzll(a) : 64; break;
    case 0x7a: sp[0] = a ? (uint64_t)__builtin_ctzll(a) : 64; break;
    case 0x7b: sp[0] = (uint64_t)__builtin_popcountll(a); break;
    case 0x8d: sp[0] = bits_f32(isnan(fa) ? fa + fa : ceilf(fa)); break;
    case 0x8e: sp[0] = bits_f32(isnan(fa) ? fa + fa : floorf(fa)); break;
    case 0x8f: sp[0] = bits_f32(isnan(fa) ? fa + fa : truncf(fa)); break;
    case 0x90: sp[0] = bits_f32(isnan(fa) ? fa + fa : nearbyintf(fa)); break;
    case 0x91: sp[0] = bits_f32(sqrtf(fa)); break;
    case 0x96: sp[0] = bits_f32(fmin32(fa, fb)); break;
    case 0x97: sp[0] = bits_f32(fmax32(fa, fb)); break;
    case 0x98: sp[0] = ((uint32_t)a & 0x7fffffffu) | ((uint32_t)b & 0x80000000u); break;
    case 0x9b: sp[0] = bits_f64(isnan(da) ? da + da : ceil(da)); break;
    case 0x9c: sp[0] = bits_f64(isnan(da) ? da + da : floor(da)); break;
    case 0x9d: sp[0] = bits_f64(isnan(da) ? da + da : trunc(da)); break;
    case 0x9e: sp[0] = bits_f64(isnan(da) ? da + da : nearbyint(da)); break;
    case 0x9f: sp[0] = bits_f64(sqrt(da)); break;
    case 0xa4: sp[0] = bits_f64(fmin64(da, db)); break;
    case 0xa5: sp[0] = bits_f64(fmax64(da, db)); break;
    case 0xa6: sp[0] = (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull); break;
    case 0xa8:
        TRUNC_CHECK(fa, -2147483904.0f, 2147483648.0f);
        sp[0] = (uint32_t)(int32_t)fa;
        break;
    case 0xa9:
        TRUNC_CHECK(fa, -1.0f, 4294967296.0f);
        sp[0] = (uint32_t)fa;
        break;
    case 0xaa:
        TRUNC_CHECK(da, -2147483649.0, 2147483648.0);
        sp[0] = (uint32_t)(int32_t)da;
        break;
    case 0xab:
        TRUNC_CHECK(da, -1.0, 4294967296.0);
        sp[0] = (uint32_t)da;
        break;
    case 0xae:
        TRUNC_CHECK(fa, -9223373136366403584.0f, 9223372036854775808.0f);
        sp[0] = (uint64_t)(int64_t)fa;
        break;
    case 0xaf:
        TRUNC_CHECK(fa, -1.0f, 18446744073709551616.0f);
        sp[0] = (uint64_t)fa;
        break;
    case 0xb0:
        TRUNC_CHECK(da, -9223372036854777856.0, 9223372036854775808.0);
        sp[0] = (uint64_t)(int64_t)da;
        break;
    case 0xb1:
        TRUNC_CHECK(da, -1.0, 18446744073709551616.0);
        sp[0] = (uint64_t)da;
        break;
    case 0xb3: sp[0] = bits_f32((float)(uint32_t)a); break;
    case 0xb5: sp[0] = bits_f32((float)a); break;
    case 0xba: sp[0] = bits_f64((double)a); break;
    case 0x100:
        sp[0] = (uint32_t)sat_s(fa, -2147483648.0, 2147483647.0, INT32_MIN, INT32_MAX);
        break;
    case 0x101: sp[0] = (uint32_t)sat_u(fa, 4294967295.0, UINT32_MAX); break;
    case 0x102:
        sp[0] = (uint32_t)sat_s(da, -2147483648.0, 2147483647.0, INT32_MIN, INT32_MAX);
        break;
    case 0x103: sp[0] = (uint32_t)sat_u(da, 4294967295.0, UINT32_MAX); break;
    case 0x104:
        if (isnan(fa))
            sp[0] = 0;
        else if (fa <= -9223372036854775808.0f)
            sp[0] = (uint64_t)INT64_MIN;
        else if (fa >= 9223372036854775808.0f)
            sp[0] = (uint64_t)INT64_MAX;
        else
            sp[0] = (uint64_t)(int64_t)fa;
        break;
    case 0x105:
        if (isnan(fa) || fa <= -1.0f)
            sp[0] = 0;
        else if (fa >= 18446744073709551616.0f)
            sp[0] = UINT64_MAX;
        else
            sp[0] = (uint64_t)fa;
        break;
    case 0x106:
        sp[0] = sat_s(da, -9223372036854775808.0, 9223372036854775808.0, INT64_MIN, INT64_MAX);
        break;
    case 0x107: sp[0] = sat_u(da, 18446744073709551616.0, UINT64_MAX); break;
    default:
        return WASM_TRAP_UNREACHABLE; /* not reached: the compiler only passes the above */
    }
    return 0;
}

static uintptr_t
elem_value(struct wasm_instance *inst, const struct wasm_const_expr *e)
{
    switch (e->op) {
    case 0xd2:
        return (uintptr_t)inst->funcs[e->idx];
    case 0x23:
        return inst->globals[e->idx]->val.ref;
    default:
        return 0;
    }
}

/* Bulk memory, tables and the rest: imm = first index | second index << 32. */
int
wasm_jit_memory_grow(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    (void)imm;
    uint32_t old;
    sp[0] = wasm_memory_grow(self->inst->mems[0], (uint32_t)sp[0], &old) ? old : UINT32_MAX;
    return 0;
}

int
wasm_jit_memory_fill(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    (void)imm;
    struct wasm_memory *m = self->inst->mems[0];
    uint32_t d = (uint32_t)sp[0], val = (uint32_t)sp[1], n = (uint32_t)sp[2];
    if ((uint64_t)d + n > m->size)
        return WASM_TRAP_MEMORY_OOB;
    memset(m->base + d, (int)(val & 0xff), n);
    return 0;
}

int
wasm_jit_memory_copy(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    (void)imm;
    struct wasm_memory *m = self->inst->mems[0];
    uint32_t d = (uint32_t)sp[0], s = (uint32_t)sp[1], n = (uint32_t)sp[2];
    if ((uint64_t)s + n > m->size || (uint64_t)d + n > m->size)
        return WASM_TRAP_MEMORY_OOB;
    memmove(m->base + d, m->base + s, n);
    return 0;
}

int
wasm_jit_memory_init(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    struct wasm_instance *inst = self->inst;
    struct wasm_memory *m = inst->mems[0];
    uint32_t seg = (uint32_t)imm;
    const struct wasm_data *dseg = &inst->mod->datas[seg];
    uint32_t len = inst->data_dropped[seg] ? 0 : dseg->len;
    uint32_t d = (uint32_t)sp[0], s = (uint32_t)sp[1], n = (uint32_t)sp[2];
    if ((uint64_t)s + n > len || (uint64_t)d + n > m->size)
        return WASM_TRAP_MEMORY_OOB;
    if (n)
        memcpy(m->base + d, dseg->bytes + s, n);
    return 0;
}

int
wasm_jit_data_drop(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    (void)sp;
    self->inst->data_dropped[(uint32_t)imm] = 1;
    return 0;
}

int
wasm_jit_elem_drop(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    (void)sp;
    self->inst->elem_dropped[(uint32_t)imm] = 1;
    return 0;
}

int
wasm_jit_table_get(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    struct wasm_table *tab = self->inst->tables[(uint32_t)imm];
    uint32_t i = (uint32_t)sp[0];
    if (i >= tab->size)
        return WASM_TRAP_TABLE_OOB;
    sp[0] = tab->elems[i];
    return 0;
}

int
wasm_jit_table_set(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    struct wasm_table *tab = self->inst->tables[(uint32_t)imm];
    uint32_t i = (uint32_t)sp[0];
    if (i >= tab->size)
        return WASM_TRAP_TABLE_OOB;
    tab->elems[i] = (uintptr_t)sp[1];
    return 0;
}

int
wasm_jit_table_size(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    sp[0] = self->inst->tables[(uint32_t)imm]->size;
    return 0;
}

int
wasm_jit_table_grow(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    struct wasm_table *tab = self->inst->tables[(uint32_t)imm];
    uint32_t old;
    sp[0] = wasm_table_grow(tab, (uint32_t)sp[1], (uintptr_t)sp[0], &old) ? old : UINT32_MAX;
    return 0;
}

int
wasm_jit_table_fill(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    struct wasm_table *tab = self->inst->tables[(uint32_t)imm];
    uint32_t i = (uint32_t)sp[0], n = (uint32_t)sp[2];
    uintptr_t val = (uintptr_t)sp[1];
    if ((uint64_t)i + n > tab->size)
        return WASM_TRAP_TABLE_OOB;
    for (uint32_t k = 0; k < n; k++)
        tab->elems[i + k] = val;
    return 0;
}

int
wasm_jit_table_copy(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    struct wasm_table *dt = self->inst->tables[(uint32_t)imm];
    struct wasm_table *stab = self->inst->tables[(uint32_t)(imm >> 32)];
    uint32_t d = (uint32_t)sp[0], s = (uint32_t)sp[1], n = (uint32_t)sp[2];
    if ((uint64_t)s + n > stab->size || (uint64_t)d + n > dt->size)
        return WASM_TRAP_TABLE_OOB;
    memmove(dt->elems + d, stab->elems + s, (size_t)n * sizeof(uintptr_t));
    return 0;
}

int
wasm_jit_table_init(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self, uint64_t imm)
{
    (void)ex;
    struct wasm_instance *inst = self->inst;
    uint32_t seg = (uint32_t)imm;
    struct wasm_table *tab = inst->tables[(uint32_t)(imm >> 32)];
    const struct wasm_elem *e = &inst->mod->elems[seg];
    uint32_t len = inst->elem_dropped[seg] ? 0 : e->count;
    uint32_t d = (uint32_t)sp[0], s = (uint32_t)sp[1], n = (uint32_t)sp[2];
    if ((uint64_t)s + n > len || (uint64_t)d + n > tab->size)
        return WASM_TRAP_TABLE_OOB;
    for (uint32_t k = 0; k < n; k++)
        tab->elems[d + k] = elem_value(inst, &e->items[s + k]);
    return 0;
}

/* A call the inline fast path does not take: host, interpreted or not yet compiled. */
int
wasm_jit_call(struct wasm_exec *ex, uint64_t *args, struct wasm_func_inst *callee,
       struct wasm_instance *caller)
{
    return wasm_exec_call(ex, caller, callee, args);
}

#else

typedef int wasm_jit_helpers_unused; /* no native tier on this platform */

#endif
