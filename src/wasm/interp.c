/* interp.c: runs the internal code from lower.c. One C frame per entry from
 * the host: guest calls push a struct wasm_frame on the instance's frame
 * array instead of recursing, so deep guest recursion ends in a
 * "call stack exhausted" trap, never a host stack overflow.
 *
 * Values live in 64-bit slots (v128 in two). 'fp' points at the current
 * function's first parameter; its locals follow; 'sp' points one past the
 * top of the operand stack. Dispatch is computed goto (WASM_THREADED_DISPATCH)
 * or a switch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "wasm/jit.h"
#include "wasm/numeric.h"
#include "wasm/wasm_int.h"

static const char *const trap_messages[] = {
    [WASM_TRAP_UNREACHABLE] = "unreachable",
    [WASM_TRAP_MEMORY_OOB] = "out of bounds memory access",
    [WASM_TRAP_TABLE_OOB] = "out of bounds table access",
    [WASM_TRAP_DIV_ZERO] = "integer divide by zero",
    [WASM_TRAP_INT_OVERFLOW] = "integer overflow",
    [WASM_TRAP_INVALID_CONVERSION] = "invalid conversion to integer",
    [WASM_TRAP_INDIRECT_MISMATCH] = "indirect call type mismatch",
    [WASM_TRAP_UNDEFINED_ELEMENT] = "undefined element",
    [WASM_TRAP_UNINITIALIZED_ELEM] = "uninitialized element",
    [WASM_TRAP_STACK_EXHAUSTED] = "call stack exhausted",
    [WASM_TRAP_INTERRUPTED] = "interrupted",
    [WASM_TRAP_HOST] = "host function failed",
};

const char *
wasm_trap_message(enum wasm_trap trap)
{
    if ((unsigned)trap < sizeof(trap_messages) / sizeof(trap_messages[0]) && trap_messages[trap])
        return trap_messages[trap];
    return "trap";
}

bool
wasm_trap(struct err *err, enum wasm_trap trap, const struct wasm_func_inst *func)
{
    enum err_kind kind = trap == WASM_TRAP_STACK_EXHAUSTED ? ERR_WASM_EXHAUSTION : ERR_WASM_TRAP;
    if (!func)
        return err_set_code(err, kind, (int)trap, "%s", wasm_trap_message(trap));
    const char *name = wasm_func_name(func);
    if (name)
        return err_set_code(err, kind, (int)trap, "%s (in function %u '%s')",
                            wasm_trap_message(trap), func->func_idx, name);
    return err_set_code(err, kind, (int)trap, "%s (in function %u)", wasm_trap_message(trap),
                        func->func_idx);
}

/* ---- numeric helpers ------------------------------------------------------ */

static inline uint32_t
rotl32(uint32_t x, uint32_t n)
{
    n &= 31;
    return n ? (x << n) | (x >> (32 - n)) : x;
}

static inline uint32_t
rotr32(uint32_t x, uint32_t n)
{
    n &= 31;
    return n ? (x >> n) | (x << (32 - n)) : x;
}

static inline uint64_t
rotl64(uint64_t x, uint64_t n)
{
    n &= 63;
    return n ? (x << n) | (x >> (64 - n)) : x;
}

static inline uint64_t
rotr64(uint64_t x, uint64_t n)
{
    n &= 63;
    return n ? (x >> n) | (x << (64 - n)) : x;
}

/* Saturating float-to-int conversions. */
static inline uint64_t
sat_i32_s(double x)
{
    if (isnan(x))
        return 0;
    if (x <= -2147483648.0)
        return (uint32_t)INT32_MIN;
    if (x >= 2147483647.0)
        return (uint32_t)INT32_MAX;
    return (uint32_t)(int32_t)x;
}

static inline uint64_t
sat_i32_u(double x)
{
    if (isnan(x) || x <= -1.0)
        return 0;
    if (x >= 4294967295.0)
        return UINT32_MAX;
    return (uint32_t)x;
}

static inline uint64_t
sat_i64_s(double x)
{
    if (isnan(x))
        return 0;
    if (x <= -9223372036854775808.0)
        return (uint64_t)INT64_MIN;
    if (x >= 9223372036854775808.0)
        return (uint64_t)INT64_MAX;
    return (uint64_t)(int64_t)x;
}

static inline uint64_t
sat_i64_u(double x)
{
    if (isnan(x) || x <= -1.0)
        return 0;
    if (x >= 18446744073709551616.0)
        return UINT64_MAX;
    return (uint64_t)x;
}

static inline uint64_t
sat_i64_s_f32(float x)
{
    if (isnan(x))
        return 0;
    if (x <= -9223372036854775808.0f)
        return (uint64_t)INT64_MIN;
    if (x >= 9223372036854775808.0f)
        return (uint64_t)INT64_MAX;
    return (uint64_t)(int64_t)x;
}

static inline uint64_t
sat_i64_u_f32(float x)
{
    if (isnan(x) || x <= -1.0f)
        return 0;
    if (x >= 18446744073709551616.0f)
        return UINT64_MAX;
    return (uint64_t)x;
}

/* ---- elements --------------------------------------------------------------- */

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

/* ---- host calls ------------------------------------------------------------- */

static void
slots_to_vals(const struct wasm_type *t, const enum wasm_valtype *types, uint32_t count,
              const uint64_t *slots, union wasm_val *vals)
{
    (void)t;
    for (uint32_t i = 0; i < count; i++) {
        memset(&vals[i], 0, sizeof(vals[i]));
        switch (types[i]) {
        case WASM_I32:
        case WASM_F32:
            vals[i].i32 = (uint32_t)*slots++;
            break;
        case WASM_V128:
            memcpy(vals[i].v128, slots, 16);
            slots += 2;
            break;
        case WASM_FUNCREF:
        case WASM_EXTERNREF:
            vals[i].ref = (uintptr_t)*slots++;
            break;
        default:
            vals[i].i64 = *slots++;
            break;
        }
    }
}

static void
vals_to_slots(const enum wasm_valtype *types, uint32_t count, const union wasm_val *vals,
              uint64_t *slots)
{
    for (uint32_t i = 0; i < count; i++) {
        switch (types[i]) {
        case WASM_I32:
        case WASM_F32:
            *slots++ = vals[i].i32;
            break;
        case WASM_V128:
            memcpy(slots, vals[i].v128, 16);
            slots += 2;
            break;
        case WASM_FUNCREF:
        case WASM_EXTERNREF:
            *slots++ = vals[i].ref;
            break;
        default:
            *slots++ = vals[i].i64;
            break;
        }
    }
}

/* Call host function 'f' with its params in 'slots'; results replace them. */
static bool
call_host(struct wasm_instance *caller, struct wasm_func_inst *f, uint64_t *slots,
          struct err *err)
{
    const struct wasm_type *t = f->type;
    union wasm_val small[16];
    union wasm_val *args = small;
    size_t need = (size_t)t->param_count + t->result_count;
    if (need > 16)
        args = xcalloc(need, sizeof(*args));
    union wasm_val *results = args + t->param_count;
    slots_to_vals(t, t->params, t->param_count, slots, args);
    memset(results, 0, t->result_count * sizeof(*results));
    struct wasm_call call = { caller };
    struct err host_err = { 0 };
    bool ok = f->host(&call, args, results, f->user, &host_err);
    if (ok)
        vals_to_slots(t->results, t->result_count, results, slots);
    if (args != small)
        free(args);
    if (!ok) {
        if (host_err.kind == ERR_NONE)
            return err_set_code(err, ERR_WASM_TRAP, WASM_TRAP_HOST, "%s",
                                wasm_trap_message(WASM_TRAP_HOST));
        if (err && err->kind == ERR_NONE)
            *err = host_err;
        return false;
    }
    return true;
}

/* ---- the interpreter loop --------------------------------------------------- */

#define WASM_ALL_OPS(X) WASM_NUMERIC_OPS(X) WASM_MEM_OPS(X) WASM_SAT_OPS(X) WASM_MISC_OPS(X)

#if WASM_THREADED_DISPATCH
# define OP(name) L_##name:
# define NEXT() goto *(pc++)->op
#else
# define OP(name) case WASM_OP_##name:
# define NEXT() goto dispatch
#endif

#define TRAP(t)                                                                                    \
    do {                                                                                           \
        trap = (t);                                                                                \
        goto do_trap;                                                                              \
    } while (0)

/* Take a branch. Loop back-edges are branches, so the interrupt flag is
 * checked here (a relaxed load, cheap next to the dispatch). */
#define TAKEN(target)                                                                              \
    do {                                                                                           \
        pc = (target);                                                                             \
        if (atomic_load_explicit(intr, memory_order_relaxed))                                      \
            TRAP(WASM_TRAP_INTERRUPTED);                                                           \
        NEXT();                                                                                    \
    } while (0)

#define RELOAD_MEM()                                                                               \
    do {                                                                                           \
        struct wasm_memory *m_ = inst->mems ? inst->mems[0] : NULL;                                \
        mb = m_ ? m_->base : NULL;                                                                 \
        ms = m_ ? m_->size : 0;                                                                    \
    } while (0)

#define U32(x) ((uint32_t)(x))
#define S32(x) ((int32_t)(uint32_t)(x))
#define S64(x) ((int64_t)(x))

/* A binary operation and its fused operand forms (see WASM_BINARY_OPS). */
#define BINOP(name, T, get, put, expr)                                                             \
    OP(name)                                                                                       \
    {                                                                                              \
        T b = get(sp[-1]), a = get(sp[-2]);                                                        \
        sp--;                                                                                      \
        sp[-1] = put(expr);                                                                        \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_LL)                                                                                  \
    {                                                                                              \
        T a = get(fp[pc->u32[0]]), b = get(fp[pc->u32[1]]);                                        \
        pc++;                                                                                      \
        *sp++ = put(expr);                                                                         \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_LC)                                                                                  \
    {                                                                                              \
        T a = get(fp[pc[0].u64]), b = get(pc[1].u64);                                              \
        pc += 2;                                                                                   \
        *sp++ = put(expr);                                                                         \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_LLD)                                                                                 \
    {                                                                                              \
        T a = get(fp[pc[0].u32[0]]), b = get(fp[pc[0].u32[1]]);                                    \
        fp[pc[1].u64] = put(expr);                                                                 \
        pc += 2;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_LCD)                                                                                 \
    {                                                                                              \
        T a = get(fp[pc[0].u64]), b = get(pc[1].u64);                                              \
        fp[pc[2].u64] = put(expr);                                                                 \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_SL)                                                                                  \
    {                                                                                              \
        T a = get(sp[-1]), b = get(fp[pc->u64]);                                                   \
        pc++;                                                                                      \
        sp[-1] = put(expr);                                                                        \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_SC)                                                                                  \
    {                                                                                              \
        T a = get(sp[-1]), b = get(pc->u64);                                                       \
        pc++;                                                                                      \
        sp[-1] = put(expr);                                                                        \
        NEXT();                                                                                    \
    }
/* A comparison fused with the br_if that consumes it, in each operand form
 * (see WASM_CMP_OPS); the branch target follows the operand immediates. */
#define CMPBR(name, T, get, expr)                                                                  \
    OP(name##_BR)                                                                                  \
    {                                                                                              \
        T b = get(sp[-1]), a = get(sp[-2]);                                                        \
        sp -= 2;                                                                                   \
        if (expr)                                                                                  \
            TAKEN(pc->target);                                                                     \
        pc++;                                                                                      \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_LLBR)                                                                                \
    {                                                                                              \
        T a = get(fp[pc->u32[0]]), b = get(fp[pc->u32[1]]);                                        \
        if (expr)                                                                                  \
            TAKEN(pc[1].target);                                                                   \
        pc += 2;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_LCBR)                                                                                \
    {                                                                                              \
        T a = get(fp[pc[0].u64]), b = get(pc[1].u64);                                              \
        if (expr)                                                                                  \
            TAKEN(pc[2].target);                                                                   \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_SLBR)                                                                                \
    {                                                                                              \
        T a = get(sp[-1]), b = get(fp[pc->u64]);                                                   \
        sp--;                                                                                      \
        if (expr)                                                                                  \
            TAKEN(pc[1].target);                                                                   \
        pc += 2;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_SCBR)                                                                                \
    {                                                                                              \
        T a = get(sp[-1]), b = get(pc->u64);                                                       \
        sp--;                                                                                      \
        if (expr)                                                                                  \
            TAKEN(pc[1].target);                                                                   \
        pc += 2;                                                                                   \
        NEXT();                                                                                    \
    }
#define CMPBR32(name, expr) CMPBR(name, uint32_t, U32, expr)
#define CMPBR64(name, expr) CMPBR(name, uint64_t, GET64, expr)
#define GET64(x) ((uint64_t)(x))
#define PUT32(x) ((uint64_t)(uint32_t)(x))
#define PUT64(x) ((uint64_t)(x))
#define PUTB(x) ((x) ? (uint64_t)1 : (uint64_t)0)
#define BIN32(name, expr) BINOP(name, uint32_t, U32, PUT32, expr)
#define BIN64(name, expr) BINOP(name, uint64_t, GET64, PUT64, expr)
#define FBIN32(name, expr) BINOP(name, float, f32_of, bits_f32, expr)
#define FBIN64(name, expr) BINOP(name, double, f64_of, bits_f64, expr)
#define FCMP32(name, expr) BINOP(name, float, f32_of, PUTB, expr)
#define FCMP64(name, expr) BINOP(name, double, f64_of, PUTB, expr)
#define UN32(name, expr)                                                                           \
    OP(name)                                                                                       \
    {                                                                                              \
        uint32_t a = U32(sp[-1]);                                                                  \
        sp[-1] = (uint32_t)(expr);                                                                 \
        NEXT();                                                                                    \
    }
#define UN64(name, expr)                                                                           \
    OP(name)                                                                                       \
    {                                                                                              \
        uint64_t a = sp[-1];                                                                       \
        sp[-1] = (uint64_t)(expr);                                                                 \
        NEXT();                                                                                    \
    }
#define FUN32(name, expr)                                                                          \
    OP(name)                                                                                       \
    {                                                                                              \
        float a = f32_of(sp[-1]);                                                                  \
        sp[-1] = bits_f32(expr);                                                                   \
        NEXT();                                                                                    \
    }
#define FUN64(name, expr)                                                                          \
    OP(name)                                                                                       \
    {                                                                                              \
        double a = f64_of(sp[-1]);                                                                 \
        sp[-1] = bits_f64(expr);                                                                   \
        NEXT();                                                                                    \
    }
/* Effective address check: 'n' bytes at sp[-1] + offset. */
#define EA(n)                                                                                      \
    uint64_t ea = (uint64_t)U32(sp[-1]) + pc->u64;                                                 \
    pc++;                                                                                          \
    if (ea + (n) > ms)                                                                             \
        TRAP(WASM_TRAP_MEMORY_OOB);
#define LOAD(name, ctype, n, conv)                                                                 \
    OP(name)                                                                                       \
    {                                                                                              \
        EA(n);                                                                                     \
        ctype v_;                                                                                  \
        memcpy(&v_, mb + ea, n);                                                                   \
        sp[-1] = (uint64_t)(conv);                                                                 \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_L)                                                                                   \
    {                                                                                              \
        uint64_t ea = (uint64_t)U32(fp[pc[0].u64]) + pc[1].u64;                                    \
        pc += 2;                                                                                   \
        if (ea + (n) > ms)                                                                         \
            TRAP(WASM_TRAP_MEMORY_OOB);                                                            \
        ctype v_;                                                                                  \
        memcpy(&v_, mb + ea, n);                                                                   \
        *sp++ = (uint64_t)(conv);                                                                  \
        NEXT();                                                                                    \
    }
#define STORE(name, ctype, n)                                                                      \
    OP(name)                                                                                       \
    {                                                                                              \
        uint64_t ea = (uint64_t)U32(sp[-2]) + pc->u64;                                             \
        pc++;                                                                                      \
        if (ea + (n) > ms)                                                                         \
            TRAP(WASM_TRAP_MEMORY_OOB);                                                            \
        ctype v_ = (ctype)sp[-1];                                                                  \
        memcpy(mb + ea, &v_, n);                                                                   \
        sp -= 2;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_LL) /* address local u32[0], value local u32[1]; offset */                           \
    {                                                                                              \
        uint64_t ea = (uint64_t)U32(fp[pc[0].u32[0]]) + pc[1].u64;                                 \
        if (ea + (n) > ms)                                                                         \
            TRAP(WASM_TRAP_MEMORY_OOB);                                                            \
        ctype v_ = (ctype)fp[pc[0].u32[1]];                                                        \
        memcpy(mb + ea, &v_, n);                                                                   \
        pc += 2;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(name##_SC) /* address on the stack; value constant; offset */                               \
    {                                                                                              \
        uint64_t ea = (uint64_t)U32(sp[-1]) + pc[1].u64;                                           \
        if (ea + (n) > ms)                                                                         \
            TRAP(WASM_TRAP_MEMORY_OOB);                                                            \
        ctype v_ = (ctype)pc[0].u64;                                                               \
        memcpy(mb + ea, &v_, n);                                                                   \
        sp--;                                                                                      \
        pc += 2;                                                                                   \
        NEXT();                                                                                    \
    }
/* Trapping float-to-int conversion: valid when lo < x < hi (exclusive bounds). */
#define TRUNC(name, ftype, getf, lo, hi, itype, utype)                                             \
    OP(name)                                                                                       \
    {                                                                                              \
        ftype x = getf(sp[-1]);                                                                    \
        if (isnan(x))                                                                              \
            TRAP(WASM_TRAP_INVALID_CONVERSION);                                                    \
        if (!(x > (lo) && x < (hi)))                                                               \
            TRAP(WASM_TRAP_INT_OVERFLOW);                                                          \
        sp[-1] = (uint64_t)(utype)(itype)x;                                                        \
        NEXT();                                                                                    \
    }

static int
run(struct wasm_exec *ex, struct wasm_func_inst *func, uint64_t *base,
    const void *const **out_table)
{
#if WASM_THREADED_DISPATCH
    static const void *const table[WASM_OP_COUNT] = {
# define WASM_OP_LABEL(name) [WASM_OP_##name] = &&L_##name,
# define X_(name) [WASM_OP_##name] = &&L_##name,
        WASM_ALL_OPS(WASM_OP_LABEL) WASM_BINARY_OPS(WASM_FUSED_ENUM)
            WASM_LOAD_OPS(WASM_FUSED_LOAD_ENUM) WASM_CMP_OPS(WASM_CMPBR_ENUM)
                WASM_STORE_OPS(WASM_FUSED_STORE_ENUM)
# undef X_
# undef WASM_OP_LABEL
    };
    if (out_table) {
        *out_table = table;
        return 0;
    }
#else
    if (out_table) {
        *out_table = NULL;
        return 0;
    }
#endif
    struct wasm_instance *inst = func->inst;
    struct wasm_func_inst *fn = func;
    struct wasm_frame *frames = ex->frames;
    const uint32_t depth0 = ex->depth; /* frames below belong to outer runs */
    uint32_t depth = depth0;
    uint32_t max_depth = ex->max_depth;
    uint64_t *stack_end = ex->stack_end;
    atomic_int *intr = ex->interrupt;
    struct err *err = ex->err;
    wasm_jit_fn *jf;
    uint64_t *fp = base, *sp;
    const union wasm_cell *pc;
    uint8_t *mb;
    uint64_t ms;
    enum wasm_trap trap = 0;
    struct wasm_func_inst *callee;

    RELOAD_MEM();
enter:
    /* fp points at the arguments of 'fn', a wasm function. mb and ms
     * describe the memory of 'inst', the caller's instance. */
    {
        const struct wasm_code *code = fn->code;
        if (fp + code->max_slots > stack_end)
            TRAP(WASM_TRAP_STACK_EXHAUSTED);
        if (atomic_load_explicit(intr, memory_order_relaxed))
            TRAP(WASM_TRAP_INTERRUPTED);
        uint64_t *locals = fp + fn->type->param_slots;
        for (uint32_t i = 0; i < code->local_slots; i++)
            locals[i] = 0;
        sp = fp + code->frame_slots;
        pc = code->cells;
        if (fn->inst != inst) {
            inst = fn->inst;
            RELOAD_MEM();
        }
    }

#if WASM_THREADED_DISPATCH
    NEXT();
#else
dispatch:
    switch ((pc++)->op_id) {
#endif

    /* ---- control ---- */
    OP(UNREACHABLE)
    TRAP(WASM_TRAP_UNREACHABLE);
    OP(BR)
    TAKEN(pc->target);
    OP(BR_DROP)
    {
        uint32_t keep = pc[1].u32[0], drop = pc[1].u32[1];
        for (uint32_t i = 0; i < keep; i++) /* moving down: copying upward is safe */
            sp[(ptrdiff_t)i - keep - drop] = sp[(ptrdiff_t)i - keep];
        sp -= drop;
        TAKEN(pc->target);
    }
    OP(BR_IF)
    if (U32(*--sp))
        TAKEN(pc->target);
    pc++;
    NEXT();
    OP(BR_IF_DROP)
    if (U32(*--sp)) {
        uint32_t keep = pc[1].u32[0], drop = pc[1].u32[1];
        for (uint32_t i = 0; i < keep; i++) /* moving down: copying upward is safe */
            sp[(ptrdiff_t)i - keep - drop] = sp[(ptrdiff_t)i - keep];
        sp -= drop;
        TAKEN(pc->target);
    }
    pc += 2;
    NEXT();
    OP(BR_UNLESS)
    if (!U32(*--sp)) {
        pc = pc->target;
        NEXT();
    }
    pc++;
    NEXT();
    OP(BR_TABLE)
    {
        uint32_t n = U32(pc->u64);
        uint32_t i = U32(*--sp);
        if (i > n)
            i = n;
        const union wasm_cell *e = pc + 1 + 2 * (size_t)i;
        uint32_t keep = e[1].u32[0], drop = e[1].u32[1];
        if (drop) {
            for (uint32_t k = 0; k < keep; k++) /* moving down: copying upward is safe */
                sp[(ptrdiff_t)k - keep - drop] = sp[(ptrdiff_t)k - keep];
            sp -= drop;
        }
        TAKEN(e->target);
    }
    OP(RETURN)
    {
        uint32_t n = U32(pc->u64);
        for (uint32_t i = 0; i < n; i++) /* fp <= sp - n: copying upward is safe */
            fp[i] = sp[(ptrdiff_t)i - (ptrdiff_t)n];
        sp = fp + n;
        if (depth == depth0)
            return 0;
        struct wasm_frame *f = &frames[--depth];
        pc = f->pc;
        fp = f->fp;
        fn = f->func;
        if (fn->inst != inst) {
            inst = fn->inst;
            RELOAD_MEM();
        }
        NEXT();
    }
    OP(LOOP)
    if (atomic_load_explicit(intr, memory_order_relaxed))
        TRAP(WASM_TRAP_INTERRUPTED);
    NEXT();
    OP(CALL)
    callee = inst->funcs[pc->u64];
    pc++;
    goto do_call;
    OP(CALL_INDIRECT)
    {
        const struct wasm_type *want = &inst->mod->types[pc[0].u64];
        struct wasm_table *tab = inst->tables[pc[1].u64];
        pc += 2;
        uint32_t i = U32(*--sp);
        if (i >= tab->size)
            TRAP(WASM_TRAP_UNDEFINED_ELEMENT);
        callee = (struct wasm_func_inst *)tab->elems[i];
        if (!callee)
            TRAP(WASM_TRAP_UNINITIALIZED_ELEM);
        if (callee->type != want && !wasm_type_equal(callee->type, want))
            TRAP(WASM_TRAP_INDIRECT_MISMATCH);
        goto do_call;
    }

    /* ---- parametric and variables ---- */
    OP(DROP)
    sp--;
    NEXT();
    OP(DROP2)
    sp -= 2;
    NEXT();
    OP(SELECT)
    {
        uint32_t c = U32(sp[-1]);
        sp -= 2;
        if (!c)
            sp[-1] = sp[0];
        NEXT();
    }
    OP(SELECT2)
    {
        uint32_t c = U32(sp[-1]);
        sp -= 3;
        if (!c) {
            sp[-2] = sp[0];
            sp[-1] = sp[1];
        }
        NEXT();
    }
    OP(LOCAL_GET)
    *sp++ = fp[(pc++)->u64];
    NEXT();
    OP(LOCAL_SET)
    fp[(pc++)->u64] = *--sp;
    NEXT();
    OP(LOCAL_TEE)
    fp[(pc++)->u64] = sp[-1];
    NEXT();
    OP(LOCAL_GET2)
    {
        uint64_t *l = fp + (pc++)->u64;
        sp[0] = l[0];
        sp[1] = l[1];
        sp += 2;
        NEXT();
    }
    OP(LOCAL_SET2)
    {
        uint64_t *l = fp + (pc++)->u64;
        sp -= 2;
        l[0] = sp[0];
        l[1] = sp[1];
        NEXT();
    }
    OP(LOCAL_TEE2)
    {
        uint64_t *l = fp + (pc++)->u64;
        l[0] = sp[-2];
        l[1] = sp[-1];
        NEXT();
    }
    OP(GLOBAL_GET)
    *sp++ = inst->globals[(pc++)->u64]->val.i64;
    NEXT();
    OP(GLOBAL_SET)
    inst->globals[(pc++)->u64]->val.i64 = *--sp;
    NEXT();
    OP(GLOBAL_GET2)
    memcpy(sp, inst->globals[(pc++)->u64]->val.v128, 16);
    sp += 2;
    NEXT();
    OP(GLOBAL_SET2)
    sp -= 2;
    memcpy(inst->globals[(pc++)->u64]->val.v128, sp, 16);
    NEXT();
    OP(CONST)
    *sp++ = (pc++)->u64;
    NEXT();
    OP(CONST2)
    sp[0] = pc[0].u64;
    sp[1] = pc[1].u64;
    sp += 2;
    pc += 2;
    NEXT();
    OP(REF_IS_NULL)
    sp[-1] = sp[-1] == 0;
    NEXT();
    OP(REF_FUNC)
    *sp++ = (uintptr_t)inst->funcs[(pc++)->u64];
    NEXT();

    /* ---- tables ---- */
    OP(TABLE_GET)
    {
        struct wasm_table *tab = inst->tables[(pc++)->u64];
        uint32_t i = U32(sp[-1]);
        if (i >= tab->size)
            TRAP(WASM_TRAP_TABLE_OOB);
        sp[-1] = tab->elems[i];
        NEXT();
    }
    OP(TABLE_SET)
    {
        struct wasm_table *tab = inst->tables[(pc++)->u64];
        uint32_t i = U32(sp[-2]);
        if (i >= tab->size)
            TRAP(WASM_TRAP_TABLE_OOB);
        tab->elems[i] = (uintptr_t)sp[-1];
        sp -= 2;
        NEXT();
    }
    OP(TABLE_SIZE)
    *sp++ = inst->tables[(pc++)->u64]->size;
    NEXT();
    OP(TABLE_GROW)
    {
        struct wasm_table *tab = inst->tables[(pc++)->u64];
        uint32_t n = U32(sp[-1]);
        uintptr_t init = (uintptr_t)sp[-2];
        uint32_t old;
        sp--;
        sp[-1] = wasm_table_grow(tab, n, init, &old) ? old : UINT32_MAX;
        NEXT();
    }
    OP(TABLE_FILL)
    {
        struct wasm_table *tab = inst->tables[(pc++)->u64];
        uint32_t n = U32(sp[-1]), i = U32(sp[-3]);
        uintptr_t val = (uintptr_t)sp[-2];
        sp -= 3;
        if ((uint64_t)i + n > tab->size)
            TRAP(WASM_TRAP_TABLE_OOB);
        for (uint32_t k = 0; k < n; k++)
            tab->elems[i + k] = val;
        NEXT();
    }
    OP(TABLE_COPY)
    {
        struct wasm_table *dt = inst->tables[pc[0].u64], *st = inst->tables[pc[1].u64];
        pc += 2;
        uint32_t n = U32(sp[-1]), s = U32(sp[-2]), d = U32(sp[-3]);
        sp -= 3;
        if ((uint64_t)s + n > st->size || (uint64_t)d + n > dt->size)
            TRAP(WASM_TRAP_TABLE_OOB);
        memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(uintptr_t));
        NEXT();
    }
    OP(TABLE_INIT)
    {
        uint32_t seg = U32(pc[0].u64);
        struct wasm_table *tab = inst->tables[pc[1].u64];
        pc += 2;
        const struct wasm_elem *e = &inst->mod->elems[seg];
        uint32_t len = inst->elem_dropped[seg] ? 0 : e->count;
        uint32_t n = U32(sp[-1]), s = U32(sp[-2]), d = U32(sp[-3]);
        sp -= 3;
        if ((uint64_t)s + n > len || (uint64_t)d + n > tab->size)
            TRAP(WASM_TRAP_TABLE_OOB);
        for (uint32_t k = 0; k < n; k++)
            tab->elems[d + k] = elem_value(inst, &e->items[s + k]);
        NEXT();
    }
    OP(ELEM_DROP)
    inst->elem_dropped[(pc++)->u64] = 1;
    NEXT();

    /* ---- memory ---- */
    LOAD(I32_LOAD, uint32_t, 4, v_)
    LOAD(I64_LOAD, uint64_t, 8, v_)
    LOAD(F32_LOAD, uint32_t, 4, v_)
    LOAD(F64_LOAD, uint64_t, 8, v_)
    LOAD(I32_LOAD8_S, int8_t, 1, (uint32_t)(int32_t)v_)
    LOAD(I32_LOAD8_U, uint8_t, 1, v_)
    LOAD(I32_LOAD16_S, int16_t, 2, (uint32_t)(int32_t)v_)
    LOAD(I32_LOAD16_U, uint16_t, 2, v_)
    LOAD(I64_LOAD8_S, int8_t, 1, (int64_t)v_)
    LOAD(I64_LOAD8_U, uint8_t, 1, v_)
    LOAD(I64_LOAD16_S, int16_t, 2, (int64_t)v_)
    LOAD(I64_LOAD16_U, uint16_t, 2, v_)
    LOAD(I64_LOAD32_S, int32_t, 4, (int64_t)v_)
    LOAD(I64_LOAD32_U, uint32_t, 4, v_)
    STORE(I32_STORE, uint32_t, 4)
    STORE(I64_STORE, uint64_t, 8)
    STORE(F32_STORE, uint32_t, 4)
    STORE(F64_STORE, uint64_t, 8)
    STORE(I32_STORE8, uint8_t, 1)
    STORE(I32_STORE16, uint16_t, 2)
    STORE(I64_STORE8, uint8_t, 1)
    STORE(I64_STORE16, uint16_t, 2)
    STORE(I64_STORE32, uint32_t, 4)
    OP(V128_LOAD)
    {
        EA(16);
        memcpy(sp - 1, mb + ea, 16);
        sp++;
        NEXT();
    }
    OP(V128_STORE)
    {
        uint64_t ea = (uint64_t)U32(sp[-3]) + pc->u64;
        pc++;
        if (ea + 16 > ms)
            TRAP(WASM_TRAP_MEMORY_OOB);
        memcpy(mb + ea, sp - 2, 16);
        sp -= 3;
        NEXT();
    }
    OP(MEMORY_SIZE)
    *sp++ = (uint32_t)(ms / WASM_PAGE_SIZE);
    NEXT();
    OP(MEMORY_GROW)
    {
        uint32_t old;
        sp[-1] = wasm_memory_grow(inst->mems[0], U32(sp[-1]), &old) ? old : UINT32_MAX;
        RELOAD_MEM();
        NEXT();
    }
    OP(MEMORY_FILL)
    {
        uint32_t n = U32(sp[-1]), val = U32(sp[-2]), d = U32(sp[-3]);
        sp -= 3;
        if ((uint64_t)d + n > ms)
            TRAP(WASM_TRAP_MEMORY_OOB);
        memset(mb + d, (int)(val & 0xff), n);
        NEXT();
    }
    OP(MEMORY_COPY)
    {
        uint32_t n = U32(sp[-1]), s = U32(sp[-2]), d = U32(sp[-3]);
        sp -= 3;
        if ((uint64_t)s + n > ms || (uint64_t)d + n > ms)
            TRAP(WASM_TRAP_MEMORY_OOB);
        memmove(mb + d, mb + s, n);
        NEXT();
    }
    OP(MEMORY_INIT)
    {
        uint32_t seg = U32((pc++)->u64);
        const struct wasm_data *dseg = &inst->mod->datas[seg];
        uint32_t len = inst->data_dropped[seg] ? 0 : dseg->len;
        uint32_t n = U32(sp[-1]), s = U32(sp[-2]), d = U32(sp[-3]);
        sp -= 3;
        if ((uint64_t)s + n > len || (uint64_t)d + n > ms)
            TRAP(WASM_TRAP_MEMORY_OOB);
        if (n)
            memcpy(mb + d, dseg->bytes + s, n);
        NEXT();
    }
    OP(DATA_DROP)
    inst->data_dropped[(pc++)->u64] = 1;
    NEXT();

    /* ---- numeric ---- */
    UN32(I32_EQZ, a == 0)
    BIN32(I32_EQ, a == b)
    BIN32(I32_NE, a != b)
    BIN32(I32_LT_S, (int32_t)a < (int32_t)b)
    BIN32(I32_LT_U, a < b)
    BIN32(I32_GT_S, (int32_t)a > (int32_t)b)
    BIN32(I32_GT_U, a > b)
    BIN32(I32_LE_S, (int32_t)a <= (int32_t)b)
    BIN32(I32_LE_U, a <= b)
    BIN32(I32_GE_S, (int32_t)a >= (int32_t)b)
    BIN32(I32_GE_U, a >= b)
    OP(I64_EQZ)
    sp[-1] = sp[-1] == 0;
    NEXT();
    BIN64(I64_EQ, a == b)
    BIN64(I64_NE, a != b)
    BIN64(I64_LT_S, S64(a) < S64(b))
    BIN64(I64_LT_U, a < b)
    BIN64(I64_GT_S, S64(a) > S64(b))
    BIN64(I64_GT_U, a > b)
    BIN64(I64_LE_S, S64(a) <= S64(b))
    BIN64(I64_LE_U, a <= b)
    BIN64(I64_GE_S, S64(a) >= S64(b))
    BIN64(I64_GE_U, a >= b)
    FCMP32(F32_EQ, a == b)
    FCMP32(F32_NE, a != b)
    FCMP32(F32_LT, a < b)
    FCMP32(F32_GT, a > b)
    FCMP32(F32_LE, a <= b)
    FCMP32(F32_GE, a >= b)
    FCMP64(F64_EQ, a == b)
    FCMP64(F64_NE, a != b)
    FCMP64(F64_LT, a < b)
    FCMP64(F64_GT, a > b)
    FCMP64(F64_LE, a <= b)
    FCMP64(F64_GE, a >= b)
    UN32(I32_CLZ, a ? __builtin_clz(a) : 32)
    UN32(I32_CTZ, a ? __builtin_ctz(a) : 32)
    UN32(I32_POPCNT, __builtin_popcount(a))
    BIN32(I32_ADD, a + b)
    BIN32(I32_SUB, a - b)
    BIN32(I32_MUL, a * b)
    OP(I32_DIV_S)
    {
        int32_t b = S32(sp[-1]), a = S32(sp[-2]);
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        if (a == INT32_MIN && b == -1)
            TRAP(WASM_TRAP_INT_OVERFLOW);
        sp--;
        sp[-1] = (uint32_t)(a / b);
        NEXT();
    }
    OP(I32_DIV_U)
    {
        uint32_t b = U32(sp[-1]), a = U32(sp[-2]);
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        sp--;
        sp[-1] = a / b;
        NEXT();
    }
    OP(I32_REM_S)
    {
        int32_t b = S32(sp[-1]), a = S32(sp[-2]);
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        sp--;
        sp[-1] = b == -1 ? 0 : (uint32_t)(a % b);
        NEXT();
    }
    OP(I32_REM_U)
    {
        uint32_t b = U32(sp[-1]), a = U32(sp[-2]);
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        sp--;
        sp[-1] = a % b;
        NEXT();
    }
    BIN32(I32_AND, a & b)
    BIN32(I32_OR, a | b)
    BIN32(I32_XOR, a ^ b)
    BIN32(I32_SHL, a << (b & 31))
    BIN32(I32_SHR_S, (int32_t)a >> (b & 31))
    BIN32(I32_SHR_U, a >> (b & 31))
    BIN32(I32_ROTL, rotl32(a, b))
    BIN32(I32_ROTR, rotr32(a, b))
    UN64(I64_CLZ, a ? __builtin_clzll(a) : 64)
    UN64(I64_CTZ, a ? __builtin_ctzll(a) : 64)
    UN64(I64_POPCNT, __builtin_popcountll(a))
    BIN64(I64_ADD, a + b)
    BIN64(I64_SUB, a - b)
    BIN64(I64_MUL, a * b)
    OP(I64_DIV_S)
    {
        int64_t b = S64(sp[-1]), a = S64(sp[-2]);
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        if (a == INT64_MIN && b == -1)
            TRAP(WASM_TRAP_INT_OVERFLOW);
        sp--;
        sp[-1] = (uint64_t)(a / b);
        NEXT();
    }
    OP(I64_DIV_U)
    {
        uint64_t b = sp[-1], a = sp[-2];
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        sp--;
        sp[-1] = a / b;
        NEXT();
    }
    OP(I64_REM_S)
    {
        int64_t b = S64(sp[-1]), a = S64(sp[-2]);
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        sp--;
        sp[-1] = b == -1 ? 0 : (uint64_t)(a % b);
        NEXT();
    }
    OP(I64_REM_U)
    {
        uint64_t b = sp[-1], a = sp[-2];
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        sp--;
        sp[-1] = a % b;
        NEXT();
    }
    BIN64(I64_AND, a & b)
    BIN64(I64_OR, a | b)
    BIN64(I64_XOR, a ^ b)
    BIN64(I64_SHL, a << (b & 63))
    BIN64(I64_SHR_S, S64(a) >> (b & 63))
    BIN64(I64_SHR_U, a >> (b & 63))
    BIN64(I64_ROTL, rotl64(a, b))
    BIN64(I64_ROTR, rotr64(a, b))
    OP(F32_ABS)
    sp[-1] = U32(sp[-1]) & 0x7fffffffu;
    NEXT();
    OP(F32_NEG)
    sp[-1] = U32(sp[-1]) ^ 0x80000000u;
    NEXT();
    FUN32(F32_CEIL, isnan(a) ? a + a : ceilf(a))
    FUN32(F32_FLOOR, isnan(a) ? a + a : floorf(a))
    FUN32(F32_TRUNC, isnan(a) ? a + a : truncf(a))
    FUN32(F32_NEAREST, isnan(a) ? a + a : nearbyintf(a))
    FUN32(F32_SQRT, sqrtf(a))
    FBIN32(F32_ADD, a + b)
    FBIN32(F32_SUB, a - b)
    FBIN32(F32_MUL, a * b)
    FBIN32(F32_DIV, a / b)
    FBIN32(F32_MIN, fmin32(a, b))
    FBIN32(F32_MAX, fmax32(a, b))
    OP(F32_COPYSIGN)
    sp[-2] = (U32(sp[-2]) & 0x7fffffffu) | (U32(sp[-1]) & 0x80000000u);
    sp--;
    NEXT();
    OP(F64_ABS)
    sp[-1] &= 0x7fffffffffffffffull;
    NEXT();
    OP(F64_NEG)
    sp[-1] ^= 0x8000000000000000ull;
    NEXT();
    FUN64(F64_CEIL, isnan(a) ? a + a : ceil(a))
    FUN64(F64_FLOOR, isnan(a) ? a + a : floor(a))
    FUN64(F64_TRUNC, isnan(a) ? a + a : trunc(a))
    FUN64(F64_NEAREST, isnan(a) ? a + a : nearbyint(a))
    FUN64(F64_SQRT, sqrt(a))
    FBIN64(F64_ADD, a + b)
    FBIN64(F64_SUB, a - b)
    FBIN64(F64_MUL, a * b)
    FBIN64(F64_DIV, a / b)
    FBIN64(F64_MIN, fmin64(a, b))
    FBIN64(F64_MAX, fmax64(a, b))
    OP(F64_COPYSIGN)
    sp[-2] = (sp[-2] & 0x7fffffffffffffffull) | (sp[-1] & 0x8000000000000000ull);
    sp--;
    NEXT();
    OP(I32_WRAP_I64)
    sp[-1] = U32(sp[-1]);
    NEXT();
    TRUNC(I32_TRUNC_F32_S, float, f32_of, -2147483904.0f, 2147483648.0f, int32_t, uint32_t)
    TRUNC(I32_TRUNC_F32_U, float, f32_of, -1.0f, 4294967296.0f, uint32_t, uint32_t)
    TRUNC(I32_TRUNC_F64_S, double, f64_of, -2147483649.0, 2147483648.0, int32_t, uint32_t)
    TRUNC(I32_TRUNC_F64_U, double, f64_of, -1.0, 4294967296.0, uint32_t, uint32_t)
    OP(I64_EXTEND_I32_S)
    sp[-1] = (uint64_t)(int64_t)S32(sp[-1]);
    NEXT();
    OP(I64_EXTEND_I32_U)
    sp[-1] = U32(sp[-1]);
    NEXT();
    TRUNC(I64_TRUNC_F32_S, float, f32_of, -9223373136366403584.0f, 9223372036854775808.0f,
          int64_t, uint64_t)
    TRUNC(I64_TRUNC_F32_U, float, f32_of, -1.0f, 18446744073709551616.0f, uint64_t, uint64_t)
    TRUNC(I64_TRUNC_F64_S, double, f64_of, -9223372036854777856.0, 9223372036854775808.0,
          int64_t, uint64_t)
    TRUNC(I64_TRUNC_F64_U, double, f64_of, -1.0, 18446744073709551616.0, uint64_t, uint64_t)
    OP(F32_CONVERT_I32_S)
    sp[-1] = bits_f32((float)S32(sp[-1]));
    NEXT();
    OP(F32_CONVERT_I32_U)
    sp[-1] = bits_f32((float)U32(sp[-1]));
    NEXT();
    OP(F32_CONVERT_I64_S)
    sp[-1] = bits_f32((float)S64(sp[-1]));
    NEXT();
    OP(F32_CONVERT_I64_U)
    sp[-1] = bits_f32((float)sp[-1]);
    NEXT();
    OP(F32_DEMOTE_F64)
    sp[-1] = bits_f32((float)f64_of(sp[-1]));
    NEXT();
    OP(F64_CONVERT_I32_S)
    sp[-1] = bits_f64((double)S32(sp[-1]));
    NEXT();
    OP(F64_CONVERT_I32_U)
    sp[-1] = bits_f64((double)U32(sp[-1]));
    NEXT();
    OP(F64_CONVERT_I64_S)
    sp[-1] = bits_f64((double)S64(sp[-1]));
    NEXT();
    OP(F64_CONVERT_I64_U)
    sp[-1] = bits_f64((double)sp[-1]);
    NEXT();
    OP(F64_PROMOTE_F32)
    sp[-1] = bits_f64((double)f32_of(sp[-1]));
    NEXT();
    OP(I32_REINTERPRET_F32)
    OP(I64_REINTERPRET_F64)
    OP(F32_REINTERPRET_I32)
    OP(F64_REINTERPRET_I64)
    NEXT();
    OP(I32_EXTEND8_S)
    sp[-1] = (uint32_t)(int32_t)(int8_t)sp[-1];
    NEXT();
    OP(I32_EXTEND16_S)
    sp[-1] = (uint32_t)(int32_t)(int16_t)sp[-1];
    NEXT();
    OP(I64_EXTEND8_S)
    sp[-1] = (uint64_t)(int64_t)(int8_t)sp[-1];
    NEXT();
    OP(I64_EXTEND16_S)
    sp[-1] = (uint64_t)(int64_t)(int16_t)sp[-1];
    NEXT();
    OP(I64_EXTEND32_S)
    sp[-1] = (uint64_t)(int64_t)(int32_t)sp[-1];
    NEXT();
    OP(I32_TRUNC_SAT_F32_S)
    sp[-1] = sat_i32_s(f32_of(sp[-1]));
    NEXT();
    OP(I32_TRUNC_SAT_F32_U)
    sp[-1] = sat_i32_u(f32_of(sp[-1]));
    NEXT();
    OP(I32_TRUNC_SAT_F64_S)
    sp[-1] = sat_i32_s(f64_of(sp[-1]));
    NEXT();
    OP(I32_TRUNC_SAT_F64_U)
    sp[-1] = sat_i32_u(f64_of(sp[-1]));
    NEXT();
    OP(I64_TRUNC_SAT_F32_S)
    sp[-1] = sat_i64_s_f32(f32_of(sp[-1]));
    NEXT();
    OP(I64_TRUNC_SAT_F32_U)
    sp[-1] = sat_i64_u_f32(f32_of(sp[-1]));
    NEXT();
    OP(I64_TRUNC_SAT_F64_S)
    sp[-1] = sat_i64_s(f64_of(sp[-1]));
    NEXT();
    OP(I64_TRUNC_SAT_F64_U)
    sp[-1] = sat_i64_u(f64_of(sp[-1]));
    NEXT();

    /* ---- fused sequences (emitted by lower.c's peephole) ---- */
    CMPBR32(I32_EQ, a == b)
    CMPBR32(I32_NE, a != b)
    CMPBR32(I32_LT_S, (int32_t)a < (int32_t)b)
    CMPBR32(I32_LT_U, a < b)
    CMPBR32(I32_GT_S, (int32_t)a > (int32_t)b)
    CMPBR32(I32_GT_U, a > b)
    CMPBR32(I32_LE_S, (int32_t)a <= (int32_t)b)
    CMPBR32(I32_LE_U, a <= b)
    CMPBR32(I32_GE_S, (int32_t)a >= (int32_t)b)
    CMPBR32(I32_GE_U, a >= b)
    CMPBR64(I64_EQ, a == b)
    CMPBR64(I64_NE, a != b)
    CMPBR64(I64_LT_S, S64(a) < S64(b))
    CMPBR64(I64_LT_U, a < b)
    CMPBR64(I64_GT_S, S64(a) > S64(b))
    CMPBR64(I64_GT_U, a > b)
    CMPBR64(I64_LE_S, S64(a) <= S64(b))
    CMPBR64(I64_LE_U, a <= b)
    CMPBR64(I64_GE_S, S64(a) >= S64(b))
    CMPBR64(I64_GE_U, a >= b)
    OP(I32_EQZ_BR_IF)
    if (!U32(*--sp))
        TAKEN(pc->target);
    pc++;
    NEXT();
    OP(LOCAL_TEE_BR_IF) /* local; target */
    fp[pc[0].u64] = sp[-1];
    if (U32(*--sp))
        TAKEN(pc[1].target);
    pc += 2;
    NEXT();
    OP(LOCAL_SET_GET) /* set u32[0], then get u32[1] */
    fp[pc[0].u32[0]] = *--sp;
    *sp++ = fp[pc[0].u32[1]];
    pc++;
    NEXT();
    OP(LOCAL_GET_SET) /* copy local u32[0] to local u32[1] */
    fp[pc[0].u32[1]] = fp[pc[0].u32[0]];
    pc++;
    NEXT();

    OP(SIMD)
    {
        int t = 0;
        sp = wasm_simd_exec(pc[0].u32[0], pc + 1, sp, mb, ms, &t);
        pc += 3;
        if (t)
            TRAP((enum wasm_trap)t);
        NEXT();
    }

#if !WASM_THREADED_DISPATCH
    default:
        BUG("bad internal operation");
    }
#endif

do_call:
    if (callee->host) {
        uint64_t *args = sp - callee->type->param_slots;
        size_t room = callee->type->result_slots > callee->type->param_slots
                          ? callee->type->result_slots
                          : callee->type->param_slots;
        if (args + room > stack_end)
            TRAP(WASM_TRAP_STACK_EXHAUSTED);
        if (!call_host(inst, callee, args, err))
            return WASM_EXEC_ERR;
        sp = args + callee->type->result_slots;
        RELOAD_MEM();
        NEXT();
    }
    if (depth >= max_depth)
        TRAP(WASM_TRAP_STACK_EXHAUSTED);
    jf = wasm_jit_entry(callee);
    if (jf) { /* native callee: a C call, frames stay as they are */
        uint64_t *args = sp - callee->type->param_slots;
        ex->depth = depth + 1;
        int st = jf(ex, args, callee);
        ex->depth = depth;
        if (st)
            return st;
        sp = args + callee->type->result_slots;
        RELOAD_MEM();
        NEXT();
    }
    frames[depth].pc = pc;
    frames[depth].fp = fp;
    frames[depth].func = fn;
    depth++;
    fp = sp - callee->type->param_slots;
    fn = callee;
    goto enter;

do_trap:
    if (!ex->trap_func)
        ex->trap_func = fn;
    return (int)trap;
}

const void *const *
wasm_interp_ops(void)
{
    const void *const *table = NULL;
    run(NULL, NULL, NULL, &table);
    return table;
}

int
wasm_exec_call(struct wasm_exec *ex, struct wasm_instance *caller, struct wasm_func_inst *func,
               uint64_t *args)
{
    if (!func->code) {
        const struct wasm_type *t = func->type;
        uint32_t room = t->result_slots > t->param_slots ? t->result_slots : t->param_slots;
        if (args + room > ex->stack_end) {
            ex->trap_func = NULL;
            return WASM_TRAP_STACK_EXHAUSTED;
        }
        return call_host(caller, func, args, ex->err)
                   ? 0
                   : WASM_EXEC_ERR;
    }
    wasm_jit_fn *jf = wasm_jit_entry(func);
    if (jf)
        return jf(ex, args, func);
    if ((uintptr_t)__builtin_frame_address(0) < ex->native_limit) {
        if (!ex->trap_func)
            ex->trap_func = func;
        return WASM_TRAP_STACK_EXHAUSTED;
    }
    return run(ex, func, args, NULL);
}

bool
wasm_interp_call(struct wasm_instance *inst, struct wasm_func_inst *func, uint64_t *args,
                 struct err *err)
{
    if (!func->code) {
        return call_host(inst, func, args, err);
    }
    if (!inst->stack) {
        inst->stack = try_malloc(WASM_STACK_SLOTS * sizeof(uint64_t));
        inst->frames = try_malloc(((size_t)inst->limits.max_call_depth + 1) * sizeof(*inst->frames));
        if (!inst->stack || !inst->frames) {
            free(inst->stack);
            free(inst->frames);
            inst->stack = NULL;
            inst->frames = NULL;
            return err_set(err, ERR_OOM, "out of memory for the wasm stack");
        }
    }
    const struct wasm_type *t = func->type;
    memcpy(inst->stack, args, t->param_slots * sizeof(uint64_t));
    struct wasm_exec ex = {
        .entry = inst,
        .frames = inst->frames,
        .stack_end = inst->stack + WASM_STACK_SLOTS,
        .interrupt = inst->interrupt,
        .native_limit = wasm_jit_native_limit(),
        .err = err,
        .max_depth = inst->limits.max_call_depth,
    };
    int st = wasm_exec_call(&ex, inst, func, inst->stack);
    if (st) {
        if (st == WASM_TRAP_INTERRUPTED && ex.interrupt == &inst->own_interrupt)
            atomic_store(ex.interrupt, 0);
        if (st != WASM_EXEC_ERR)
            wasm_trap(err, (enum wasm_trap)st, ex.trap_func);
        return false;
    }
    memcpy(args, inst->stack, t->result_slots * sizeof(uint64_t));
    return true;
}
