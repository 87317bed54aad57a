/* lower.c: one pass over a function body that validates it (with the stacks
 * of validate.c) and emits internal code for interp.c: operations with
 * pre-decoded immediates, branch targets resolved to cell addresses, and
 * branch stack moves ("keep n slots, drop m") computed from the statically
 * known stack heights. Cells go straight into the module's code blocks.
 * Large code sections are lowered on several threads (wasm_lower_parallel,
 * at the end), each with its own scratch and blocks. */
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/xalloc.h"
#include "os/thread.h"
#include "wasm/wasm_int.h"

struct lower {
    struct wasm_module *mod;
    struct wasm_code *code;
    const struct wasm_type *ftype;
    struct wasm_reader r;
    struct wasm_validator v;
    const void *const *ops; /* label table (threaded) or NULL */
    union wasm_cell *cells;
    size_t count, cap;
    size_t *targets; /* cells holding a branch target index, converted at the end */
    size_t target_count, target_cap;
    uint8_t *local_types;
    uint32_t *local_slot;
    uint32_t local_count;
    const uint8_t *op_start; /* where the current instruction began */
    const uint8_t (*numeric)[3]; /* operand and result types of opcodes 0x45..0xc4 */
    const uint8_t *section_end;
    /* The code blocks the cells are emitted into (the head block's free
     * part): the module's list, or a lowering thread's own. */
    struct wasm_code_block **blocks;
    /* Where the first memory.init/data.drop without a data count section is
     * recorded: the module, or a lowering thread's own (merged at the end). */
    const uint8_t **needs_data_count;
    /* Peephole state: the last two emitted operations and where they start
     * (op -1: none, or a branch target lies between). */
    size_t last_pos, prev_pos;
    int last_op, prev_op;
};

/* Each value type as a one-element type list (block types with one result). */
static const enum wasm_valtype single_types[256] = {
    [WASM_I32] = WASM_I32,         [WASM_I64] = WASM_I64,
    [WASM_F32] = WASM_F32,         [WASM_F64] = WASM_F64,
    [WASM_V128] = WASM_V128,       [WASM_FUNCREF] = WASM_FUNCREF,
    [WASM_EXTERNREF] = WASM_EXTERNREF,
};

/* For the few helpers every instruction calls. */
#if defined(__GNUC__) || defined(__clang__)
# define HOT_INLINE static inline __attribute__((always_inline))
#else
# define HOT_INLINE static inline
#endif

/* LEB128 immediates of one or two bytes (nearly all of them; three for
 * i32.const) inline; the rest, and every error, in leb.c. */
static inline bool
read_u32(struct wasm_reader *r, uint32_t *out, struct err *err)
{
    const uint8_t *p = r->pos;
    if (r->end - p >= 2) {
        if (p[0] < 0x80) {
            *out = p[0];
            r->pos = p + 1;
            return true;
        }
        if (p[1] < 0x80) {
            *out = (p[0] & 0x7fu) | ((uint32_t)p[1] << 7);
            r->pos = p + 2;
            return true;
        }
    }
    return wasm_read_u32(r, out, err);
}

static inline bool
read_s32(struct wasm_reader *r, int32_t *out, struct err *err)
{
    const uint8_t *p = r->pos;
    if (r->end - p >= 2) {
        if (p[0] < 0x80) {
            *out = (int32_t)((uint32_t)p[0] << 25) >> 25;
            r->pos = p + 1;
            return true;
        }
        if (p[1] < 0x80) {
            uint32_t v = (p[0] & 0x7fu) | ((uint32_t)p[1] << 7);
            *out = (int32_t)(v << 18) >> 18;
            r->pos = p + 2;
            return true;
        }
        if (r->end - p >= 3 && p[2] < 0x80) { /* addresses and offsets */
            uint32_t v = (p[0] & 0x7fu) | ((p[1] & 0x7fu) << 7) | ((uint32_t)p[2] << 14);
            *out = (int32_t)(v << 11) >> 11;
            r->pos = p + 3;
            return true;
        }
    }
    return wasm_read_s32(r, out, err);
}

static inline bool
read_s64(struct wasm_reader *r, int64_t *out, struct err *err)
{
    const uint8_t *p = r->pos;
    if (r->end - p >= 2) {
        if (p[0] < 0x80) {
            *out = (int64_t)((uint64_t)p[0] << 57) >> 57;
            r->pos = p + 1;
            return true;
        }
        if (p[1] < 0x80) {
            uint64_t v = (p[0] & 0x7fu) | ((uint64_t)p[1] << 7);
            *out = (int64_t)(v << 50) >> 50;
            r->pos = p + 2;
            return true;
        }
    }
    return wasm_read_s64(r, out, err);
}

/* Failing at the current instruction: out of line and marked unlikely, so
 * the checks stay cheap branches in the hot code. */
#if defined(__GNUC__) || defined(__clang__)
# define COLD __attribute__((cold, noinline))
#else
# define COLD
#endif

COLD PRINTF_LIKE(4, 5) static bool
fail_here(const struct lower *L, struct err *err, enum err_kind kind, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return wasm_fail_at(&L->r, L->op_start, err, kind, "%s", msg);
}

#define FAIL_INVALID(L, ...) fail_here((L), err, ERR_WASM_INVALID, __VA_ARGS__)
#define FAIL_MALFORMED(L, ...) fail_here((L), err, ERR_WASM_MALFORMED, __VA_ARGS__)

static bool
dead(const struct lower *L)
{
    const struct wasm_ctrl *c = &L->v.ctrls[L->v.ctrl_count - 1];
    return c->unreachable || c->dead_code;
}

/* Code blocks double from 4096 cells (small modules stay small) up to
 * 2 MiB: big blocks mean few allocations for big modules. */
#define CODE_BLOCK_MIN ((size_t)1 << 12)
#define CODE_BLOCK_BYTES ((size_t)2 << 20)
#define CODE_BLOCK_MAX                                                                             \
    ((CODE_BLOCK_BYTES - sizeof(struct wasm_code_block)) / sizeof(union wasm_cell))

/* A full-size block: 2 MiB aligned, and on Linux backed by a huge page
 * when the system allows it (one page fault instead of 512). */
static struct wasm_code_block *
alloc_big_block(void)
{
    struct wasm_code_block *b = wasm_big_alloc(CODE_BLOCK_BYTES);
    if (!b)
        b = xmalloc(CODE_BLOCK_BYTES); /* reports the lack of memory */
    return b;
}

/* A new head block for the function being emitted, with room for at least
 * 'need' cells; the cells emitted so far move there. */
static void
new_block(struct lower *L, size_t need)
{
    struct wasm_code_block *b = *L->blocks;
    size_t cap = b ? b->cap * 2 : CODE_BLOCK_MIN;
    if (cap > CODE_BLOCK_MAX)
        cap = CODE_BLOCK_MAX;
    if (cap < need * 2)
        cap = need * 2;
    if (b && b->used == 0 && L->cells == b->cells) {
        /* The block holds only this function: grow it in place. */
        b = xrealloc(b, sizeof(*b) + cap * sizeof(union wasm_cell));
        b->cap = cap;
        *L->blocks = b;
        L->cells = b->cells;
        L->cap = cap;
        return;
    }
    if (cap == CODE_BLOCK_MAX)
        b = alloc_big_block();
    else
        b = xmalloc(sizeof(*b) + cap * sizeof(union wasm_cell));
    b->cap = cap;
    b->used = 0;
    b->next = *L->blocks;
    *L->blocks = b;
    if (L->count)
        memcpy(b->cells, L->cells, L->count * sizeof(*L->cells));
    L->cells = b->cells;
    L->cap = cap;
}

HOT_INLINE size_t
emit_cell(struct lower *L, uint64_t value)
{
    if (L->count == L->cap)
        new_block(L, L->count + 1);
    L->cells[L->count].u64 = value;
    return L->count++;
}

HOT_INLINE void
emit_op(struct lower *L, enum wasm_op op)
{
    L->prev_pos = L->last_pos;
    L->prev_op = L->last_op;
    L->last_pos = L->count;
    L->last_op = (int)op;
    size_t pos = emit_cell(L, 0);
    if (L->ops)
        L->cells[pos].op = L->ops[op];
    else
        L->cells[pos].op_id = op;
}

/* The next cell may be a branch target: no fusing across it. */
static void
barrier(struct lower *L)
{
    L->last_op = -1;
    L->prev_op = -1;
}

/* Drop the last emitted operation (to re-emit it fused); returns its first immediate. */
static uint64_t
unemit_last(struct lower *L)
{
    uint64_t imm = L->cells[L->last_pos + 1].u64;
    L->count = L->last_pos;
    L->last_op = L->prev_op;
    L->last_pos = L->prev_pos;
    L->prev_op = -1;
    return imm;
}

enum binary_idx {
#define X(name) BINIDX_##name,
    WASM_BINARY_OPS(X)
#undef X
        BINIDX_COUNT
};

static const int16_t binary_index[WASM_OP_COUNT] = {
#define X(name) [WASM_OP_##name] = BINIDX_##name + 1,
    WASM_BINARY_OPS(X)
#undef X
};

enum cmp_idx {
#define X(name) CMPIDX_##name,
    WASM_CMP_OPS(X)
#undef X
        CMPIDX_COUNT
};

static const int8_t cmp_index[WASM_OP_COUNT] = {
#define X(name) [WASM_OP_##name] = CMPIDX_##name + 1,
    WASM_CMP_OPS(X)
#undef X
};

static inline void
set_op(struct lower *L, size_t pos, enum wasm_op op)
{
    if (L->ops)
        L->cells[pos].op = L->ops[op];
    else
        L->cells[pos].op_id = op;
}

/* If the last operation is an integer comparison (any operand form), turn it
 * into its compare-and-branch form; the caller then emits the target. */
static bool
fuse_compare_branch(struct lower *L)
{
    int last = L->last_op;
    if (last < 0)
        return false;
    int base, form;
    if (last >= WASM_OP_FUSED_FIRST_ && last < WASM_OP_FUSED_FIRST_ + 6 * BINIDX_COUNT) {
        int idx = (last - WASM_OP_FUSED_FIRST_) / 6;
        form = (last - WASM_OP_FUSED_FIRST_) % 6;
        if (form > 3)
            return false;
        static const uint16_t binary_ops[] = {
#define X(name) WASM_OP_##name,
            WASM_BINARY_OPS(X)
#undef X
        };
        base = binary_ops[idx];
        form += 1; /* LL=1 LC=2 SL=3 SC=4 */
    } else {
        base = last;
        form = 0;
    }
    if (base >= WASM_OP_COUNT || cmp_index[base] == 0)
        return false;
    enum wasm_op fused = (enum wasm_op)(WASM_OP_CMPBR_FIRST_ + 5 * (cmp_index[base] - 1) + form);
    set_op(L, L->last_pos, fused);
    L->last_op = (int)fused;
    return true;
}

/* Emit binary operation 'op', reading operands straight from preceding
 * local.get and const operations when there are such. */
static void
emit_binary(struct lower *L, enum wasm_op op)
{
    int idx = binary_index[op] - 1;
    if (idx < 0) {
        emit_op(L, op);
        return;
    }
    enum wasm_op fused = (enum wasm_op)(WASM_OP_FUSED_FIRST_ + 6 * idx);
    if (L->last_op == WASM_OP_LOCAL_GET && L->prev_op == WASM_OP_LOCAL_GET) {
        uint64_t b = unemit_last(L);
        uint64_t a = unemit_last(L);
        emit_op(L, fused);
        emit_cell(L, a | (b << 32));
    } else if (L->last_op == WASM_OP_CONST && L->prev_op == WASM_OP_LOCAL_GET) {
        uint64_t c = unemit_last(L);
        uint64_t a = unemit_last(L);
        emit_op(L, (enum wasm_op)(fused + 1));
        emit_cell(L, a);
        emit_cell(L, c);
    } else if (L->last_op == WASM_OP_LOCAL_GET) {
        uint64_t b = unemit_last(L);
        emit_op(L, (enum wasm_op)(fused + 2));
        emit_cell(L, b);
    } else if (L->last_op == WASM_OP_CONST) {
        uint64_t c = unemit_last(L);
        emit_op(L, (enum wasm_op)(fused + 3));
        emit_cell(L, c);
    } else {
        emit_op(L, op);
        return;
    }
    L->prev_op = -1;
}

/* Emit local.set of 'slot' (a one-slot value): when the value comes from a
 * fused binary operation on locals and constants, that operation stores it. */
static void
emit_local_set(struct lower *L, uint64_t slot)
{
    int last = L->last_op;
    if (last >= WASM_OP_FUSED_FIRST_ && last < WASM_OP_FUSED_FIRST_ + 6 * BINIDX_COUNT) {
        int form = (last - WASM_OP_FUSED_FIRST_) % 6;
        if (form == 0 || form == 1) { /* LL or LC */
            enum wasm_op to_local = (enum wasm_op)(last + 4);
            set_op(L, L->last_pos, to_local);
            L->last_op = (int)to_local;
            emit_cell(L, slot);
            return;
        }
    }
    emit_op(L, WASM_OP_LOCAL_SET);
    emit_cell(L, slot);
}

/* Emit store 'op' with 'offset', fused with preceding local.get/const. */
static void
emit_store(struct lower *L, enum wasm_op op, uint32_t offset)
{
    enum wasm_op fused = (enum wasm_op)(WASM_OP_STORE_FIRST_ + 2 * (op - WASM_OP_I32_STORE));
    if (L->last_op == WASM_OP_LOCAL_GET && L->prev_op == WASM_OP_LOCAL_GET) {
        uint64_t value = unemit_last(L);
        uint64_t addr = unemit_last(L);
        emit_op(L, fused);
        emit_cell(L, addr | (value << 32));
        emit_cell(L, offset);
        L->prev_op = -1;
        return;
    }
    if (L->last_op == WASM_OP_CONST) {
        uint64_t value = unemit_last(L);
        emit_op(L, (enum wasm_op)(fused + 1));
        emit_cell(L, value);
        emit_cell(L, offset);
        L->prev_op = -1;
        return;
    }
    emit_op(L, op);
    emit_cell(L, offset);
}

/* Emit load 'op' with 'offset', fused with a preceding local.get. */
static void
emit_load(struct lower *L, enum wasm_op op, uint32_t offset)
{
    if (L->last_op == WASM_OP_LOCAL_GET) {
        uint64_t slot = unemit_last(L);
        emit_op(L, (enum wasm_op)(WASM_OP_FUSED_FIRST_ + 6 * BINIDX_COUNT +
                                  (op - WASM_OP_I32_LOAD)));
        emit_cell(L, slot);
        emit_cell(L, offset);
        L->prev_op = -1;
        return;
    }
    emit_op(L, op);
    emit_cell(L, offset);
}

/* A cell that will hold the address of cell 'index'. */
static void
emit_target(struct lower *L, size_t index)
{
    size_t pos = emit_cell(L, index);
    if (L->target_count == L->target_cap) {
        L->target_cap = L->target_cap ? L->target_cap * 2 : 64;
        L->targets = xrealloc(L->targets, L->target_cap * sizeof(*L->targets));
    }
    L->targets[L->target_count++] = pos;
}

/* A target cell for the end of control frame 'c' (patched when it ends). */
static void
emit_forward(struct lower *L, struct wasm_ctrl *c)
{
    size_t prev = c->fixups;
    emit_target(L, prev);
    c->fixups = L->count - 1;
}

static void
patch_chain(struct lower *L, size_t chain, size_t index)
{
    while (chain) {
        size_t next = (size_t)L->cells[chain].u64;
        L->cells[chain].u64 = index;
        chain = next;
    }
}

/* Emit a branch of kind 'op' (BR or BR_IF) to label 'depth'. */
static void
emit_branch(struct lower *L, enum wasm_op op, uint32_t depth)
{
    struct wasm_ctrl *c = &L->v.ctrls[L->v.ctrl_count - 1 - depth];
    uint32_t keep = c->label_slots;
    uint32_t drop = L->v.slots - c->slots - keep;
    bool with_drop = drop != 0;
    if (op == WASM_OP_BR) {
        emit_op(L, with_drop ? WASM_OP_BR_DROP : WASM_OP_BR);
    } else if (!with_drop && fuse_compare_branch(L)) {
        /* the comparison now branches; its target follows */
    } else if (!with_drop && L->last_op == WASM_OP_I32_EQZ) {
        L->count = L->last_pos;
        L->last_op = L->prev_op;
        L->last_pos = L->prev_pos;
        emit_op(L, WASM_OP_I32_EQZ_BR_IF);
    } else if (!with_drop && L->last_op == WASM_OP_LOCAL_TEE) {
        uint64_t slot = unemit_last(L);
        emit_op(L, WASM_OP_LOCAL_TEE_BR_IF);
        emit_cell(L, slot);
    } else {
        emit_op(L, with_drop ? WASM_OP_BR_IF_DROP : WASM_OP_BR_IF);
    }
    if (c->opcode == 0x03)
        emit_target(L, c->loop_start);
    else
        emit_forward(L, c);
    if (with_drop)
        emit_cell(L, (uint64_t)keep | ((uint64_t)drop << 32));
}

static bool
read_block_type(struct lower *L, const enum wasm_valtype **params, uint32_t *param_count,
                const enum wasm_valtype **results, uint32_t *result_count, struct err *err)
{
    struct wasm_reader *r = &L->r;
    if (r->pos >= r->end)
        return wasm_read_u8(r, &(uint8_t){ 0 }, err);
    uint8_t b = *r->pos;
    *params = NULL;
    *param_count = 0;
    *results = NULL;
    *result_count = 0;
    if (b == 0x40) {
        r->pos++;
        return true;
    }
    if (b == WASM_I32 || b == WASM_I64 || b == WASM_F32 || b == WASM_F64 || b == WASM_V128 ||
        b == WASM_FUNCREF || b == WASM_EXTERNREF) {
        r->pos++;
        *results = &single_types[b];
        *result_count = 1;
        return true;
    }
    int64_t idx;
    if (!wasm_read_s33(r, &idx, err))
        return false;
    if (idx < 0)
        return FAIL_MALFORMED(L, "malformed value type");
    if ((uint64_t)idx >= L->mod->type_count)
        return FAIL_INVALID(L, "unknown type");
    const struct wasm_type *t = &L->mod->types[idx];
    *params = t->params;
    *param_count = t->param_count;
    *results = t->results;
    *result_count = t->result_count;
    return true;
}

/* Operand and result types of the numeric opcodes 0x45..0xc4 (in2 0: unary). */
static void
numeric_sig(uint8_t op, uint8_t *in1, uint8_t *in2, uint8_t *out)
{
    const uint8_t I32 = WASM_I32, I64 = WASM_I64, F32 = WASM_F32, F64 = WASM_F64;
    *in2 = 0;
    if (op == 0x45) { *in1 = I32; *out = I32; }
    else if (op <= 0x4f) { *in1 = *in2 = I32; *out = I32; }
    else if (op == 0x50) { *in1 = I64; *out = I32; }
    else if (op <= 0x5a) { *in1 = *in2 = I64; *out = I32; }
    else if (op <= 0x60) { *in1 = *in2 = F32; *out = I32; }
    else if (op <= 0x66) { *in1 = *in2 = F64; *out = I32; }
    else if (op <= 0x69) { *in1 = I32; *out = I32; }
    else if (op <= 0x78) { *in1 = *in2 = I32; *out = I32; }
    else if (op <= 0x7b) { *in1 = I64; *out = I64; }
    else if (op <= 0x8a) { *in1 = *in2 = I64; *out = I64; }
    else if (op <= 0x91) { *in1 = F32; *out = F32; }
    else if (op <= 0x98) { *in1 = *in2 = F32; *out = F32; }
    else if (op <= 0x9f) { *in1 = F64; *out = F64; }
    else if (op <= 0xa6) { *in1 = *in2 = F64; *out = F64; }
    else {
        static const uint8_t conv[][2] = {
            /* a7 */ { WASM_I64, WASM_I32 }, { WASM_F32, WASM_I32 }, { WASM_F32, WASM_I32 },
            { WASM_F64, WASM_I32 }, { WASM_F64, WASM_I32 },
            /* ac */ { WASM_I32, WASM_I64 }, { WASM_I32, WASM_I64 }, { WASM_F32, WASM_I64 },
            { WASM_F32, WASM_I64 }, { WASM_F64, WASM_I64 }, { WASM_F64, WASM_I64 },
            /* b2 */ { WASM_I32, WASM_F32 }, { WASM_I32, WASM_F32 }, { WASM_I64, WASM_F32 },
            { WASM_I64, WASM_F32 }, { WASM_F64, WASM_F32 },
            /* b7 */ { WASM_I32, WASM_F64 }, { WASM_I32, WASM_F64 }, { WASM_I64, WASM_F64 },
            { WASM_I64, WASM_F64 }, { WASM_F32, WASM_F64 },
            /* bc */ { WASM_F32, WASM_I32 }, { WASM_F64, WASM_I64 }, { WASM_I32, WASM_F32 },
            { WASM_I64, WASM_F64 },
            /* c0 */ { WASM_I32, WASM_I32 }, { WASM_I32, WASM_I32 }, { WASM_I64, WASM_I64 },
            { WASM_I64, WASM_I64 }, { WASM_I64, WASM_I64 },
        };
        *in1 = conv[op - 0xa7][0];
        *out = conv[op - 0xa7][1];
    }
}

/* Type lists popped and pushed: most are empty. */
HOT_INLINE bool
pop_types(struct wasm_validator *v, const enum wasm_valtype *types, uint32_t count)
{
    return count == 0 || wasm_val_pop_types(v, types, count);
}

HOT_INLINE void
push_types(struct wasm_validator *v, const enum wasm_valtype *types, uint32_t count)
{
    if (count)
        wasm_val_push_types(v, types, count);
}

/* The top 'count' values of the current frame are exactly 'types' (popping
 * and pushing them back would change nothing). */
HOT_INLINE bool
stack_has(const struct wasm_validator *v, const enum wasm_valtype *types, uint32_t count)
{
    size_t n = v->val_count;
    if (n - v->ctrls[v->ctrl_count - 1].height < count)
        return false;
    for (uint32_t i = 0; i < count; i++)
        if (v->vals[n - count + i] != (uint8_t)types[i])
            return false;
    return true;
}

COLD static bool
type_mismatch(struct lower *L, struct err *err)
{
    return FAIL_INVALID(L, "type mismatch");
}

static inline bool
pop_expect(struct lower *L, uint8_t t, struct err *err)
{
    if (!wasm_val_pop(&L->v, t, NULL))
        return type_mismatch(L, err);
    return true;
}

static bool
read_memarg(struct lower *L, uint32_t natural_log2, uint32_t *out_offset, struct err *err)
{
    uint32_t align;
    if (!read_u32(&L->r, &align, err) || !read_u32(&L->r, out_offset, err))
        return false;
    if (align >= 32)
        return FAIL_MALFORMED(L, "malformed memop flags");
    if (L->mod->mem_count == 0)
        return FAIL_INVALID(L, "unknown memory 0");
    if (align > natural_log2)
        return FAIL_INVALID(L, "alignment must not be larger than natural");
    return true;
}

static bool
need_memory(struct lower *L, struct err *err)
{
    if (L->mod->mem_count == 0)
        return FAIL_INVALID(L, "unknown memory 0");
    return true;
}

static bool
zero_byte(struct lower *L, struct err *err)
{
    uint8_t b;
    if (!wasm_read_u8(&L->r, &b, err))
        return false;
    if (b != 0)
        return FAIL_MALFORMED(L, "zero byte expected");
    return true;
}

static bool
read_table_idx(struct lower *L, uint32_t *out, struct err *err)
{
    if (!read_u32(&L->r, out, err))
        return false;
    if (*out >= L->mod->table_count)
        return FAIL_INVALID(L, "unknown table %u", *out);
    return true;
}

/* Load/store opcodes 0x28..0x3e: natural alignment and value type. */
static const uint8_t mem_align[] = { 2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2,
                                     2, 3, 2, 3, 0, 1, 0, 1, 2 };
static const uint8_t mem_type[] = { WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_I32, WASM_I32,
                                    WASM_I32, WASM_I32, WASM_I64, WASM_I64, WASM_I64, WASM_I64,
                                    WASM_I64, WASM_I64, WASM_I32, WASM_I64, WASM_F32, WASM_F64,
                                    WASM_I32, WASM_I32, WASM_I64, WASM_I64, WASM_I64 };

static bool lower_simd(struct lower *L, struct err *err);

/* 0xfc prefix: saturating truncation, bulk memory, tables. */
static bool
lower_fc(struct lower *L, struct err *err)
{
    struct wasm_module *mod = L->mod;
    struct wasm_validator *v = &L->v;
    uint32_t sub;
    if (!read_u32(&L->r, &sub, err))
        return false;
    bool live = !dead(L);
    uint32_t a, b;
    if (sub <= 7) {
        static const uint8_t from[] = { WASM_F32, WASM_F32, WASM_F64, WASM_F64,
                                        WASM_F32, WASM_F32, WASM_F64, WASM_F64 };
        if (!pop_expect(L, from[sub], err))
            return false;
        wasm_val_push(v, sub < 4 ? WASM_I32 : WASM_I64);
        if (live)
            emit_op(L, (enum wasm_op)(WASM_OP_I32_TRUNC_SAT_F32_S + sub));
        return true;
    }
    switch (sub) {
    case 8: /* memory.init */
        if (!read_u32(&L->r, &a, err) || !zero_byte(L, err))
            return false;
        if (!need_memory(L, err))
            return false;
        if (!mod->has_data_count) {
            if (!*L->needs_data_count)
                *L->needs_data_count = L->op_start;
        } else if (a >= mod->data_count_decl)
            return FAIL_INVALID(L, "unknown data segment %u", a);
        if (!pop_expect(L, WASM_I32, err) || !pop_expect(L, WASM_I32, err) ||
            !pop_expect(L, WASM_I32, err))
            return false;
        if (live) {
            emit_op(L, WASM_OP_MEMORY_INIT);
            emit_cell(L, a);
        }
        return true;
    case 9: /* data.drop */
        if (!read_u32(&L->r, &a, err))
            return false;
        if (!mod->has_data_count) {
            if (!*L->needs_data_count)
                *L->needs_data_count = L->op_start;
        } else if (a >= mod->data_count_decl)
            return FAIL_INVALID(L, "unknown data segment %u", a);
        if (live) {
            emit_op(L, WASM_OP_DATA_DROP);
            emit_cell(L, a);
        }
        return true;
    case 10: /* memory.copy */
        if (!zero_byte(L, err) || !zero_byte(L, err) || !need_memory(L, err))
            return false;
        if (!pop_expect(L, WASM_I32, err) || !pop_expect(L, WASM_I32, err) ||
            !pop_expect(L, WASM_I32, err))
            return false;
        if (live)
            emit_op(L, WASM_OP_MEMORY_COPY);
        return true;
    case 11: /* memory.fill */
        if (!zero_byte(L, err) || !need_memory(L, err))
            return false;
        if (!pop_expect(L, WASM_I32, err) || !pop_expect(L, WASM_I32, err) ||
            !pop_expect(L, WASM_I32, err))
            return false;
        if (live)
            emit_op(L, WASM_OP_MEMORY_FILL);
        return true;
    case 12: /* table.init elem table */
        if (!read_u32(&L->r, &a, err) || !read_table_idx(L, &b, err))
            return false;
        if (a >= mod->elem_count)
            return FAIL_INVALID(L, "unknown elem segment %u", a);
        if (mod->elems[a].type != mod->tables[b].elem)
            return FAIL_INVALID(L, "type mismatch");
        if (!pop_expect(L, WASM_I32, err) || !pop_expect(L, WASM_I32, err) ||
            !pop_expect(L, WASM_I32, err))
            return false;
        if (live) {
            emit_op(L, WASM_OP_TABLE_INIT);
            emit_cell(L, a);
            emit_cell(L, b);
        }
        return true;
    case 13: /* elem.drop */
        if (!read_u32(&L->r, &a, err))
            return false;
        if (a >= mod->elem_count)
            return FAIL_INVALID(L, "unknown elem segment %u", a);
        if (live) {
            emit_op(L, WASM_OP_ELEM_DROP);
            emit_cell(L, a);
        }
        return true;
    case 14: /* table.copy dst src */
        if (!read_table_idx(L, &a, err) || !read_table_idx(L, &b, err))
            return false;
        if (mod->tables[a].elem != mod->tables[b].elem)
            return FAIL_INVALID(L, "type mismatch");
        if (!pop_expect(L, WASM_I32, err) || !pop_expect(L, WASM_I32, err) ||
            !pop_expect(L, WASM_I32, err))
            return false;
        if (live) {
            emit_op(L, WASM_OP_TABLE_COPY);
            emit_cell(L, a);
            emit_cell(L, b);
        }
        return true;
    case 15: /* table.grow */
        if (!read_table_idx(L, &a, err))
            return false;
        if (!pop_expect(L, WASM_I32, err) || !pop_expect(L, (uint8_t)mod->tables[a].elem, err))
            return false;
        wasm_val_push(v, WASM_I32);
        if (live) {
            emit_op(L, WASM_OP_TABLE_GROW);
            emit_cell(L, a);
        }
        return true;
    case 16: /* table.size */
        if (!read_table_idx(L, &a, err))
            return false;
        wasm_val_push(v, WASM_I32);
        if (live) {
            emit_op(L, WASM_OP_TABLE_SIZE);
            emit_cell(L, a);
        }
        return true;
    case 17: /* table.fill */
        if (!read_table_idx(L, &a, err))
            return false;
        if (!pop_expect(L, WASM_I32, err) || !pop_expect(L, (uint8_t)mod->tables[a].elem, err) ||
            !pop_expect(L, WASM_I32, err))
            return false;
        if (live) {
            emit_op(L, WASM_OP_TABLE_FILL);
            emit_cell(L, a);
        }
        return true;
    }
    return FAIL_MALFORMED(L, "illegal opcode");
}

static bool
lower_body(struct lower *L, struct err *err)
{
    struct wasm_module *mod = L->mod;
    struct wasm_validator *v = &L->v;
    struct wasm_reader *r = &L->r;
    const struct wasm_type *ft = L->ftype;

    wasm_ctrl_push(v, 0, NULL, 0, ft->results, ft->result_count);
    v->slots = 0;
    v->max_slots = 0;
    v->ctrls[0].slots = 0;

    while (v->ctrl_count > 0) {
        L->op_start = r->pos;
        uint8_t op;
        if (r->pos >= r->end)
            return wasm_fail(r, err, ERR_WASM_MALFORMED,
                             r->end == L->section_end ? "unexpected end of section or function"
                                                      : "END opcode expected");
        op = *r->pos++;
        bool live = !dead(L);
        uint32_t idx;
        switch (op) {
        case 0x00:
            if (live)
                emit_op(L, WASM_OP_UNREACHABLE);
            wasm_val_unreachable(v);
            break;
        case 0x01:
            break;
        case 0x02:
        case 0x03: {
            const enum wasm_valtype *ps, *rs;
            uint32_t pc, rc;
            if (!read_block_type(L, &ps, &pc, &rs, &rc, err))
                return false;
            if (!pop_types(v, ps, pc))
                return FAIL_INVALID(L, "type mismatch");
            struct wasm_ctrl *c = wasm_ctrl_push(v, op, ps, pc, rs, rc);
            c->dead_code = !live;
            if (op == 0x03 && live) {
                /* Branches check the interrupt flag; the loop head emits nothing. */
                c->loop_start = L->count;
                barrier(L);
            }
            break;
        }
        case 0x04: {
            const enum wasm_valtype *ps, *rs;
            uint32_t pc, rc;
            if (!read_block_type(L, &ps, &pc, &rs, &rc, err))
                return false;
            if (!pop_expect(L, WASM_I32, err))
                return false;
            if (!pop_types(v, ps, pc))
                return FAIL_INVALID(L, "type mismatch");
            struct wasm_ctrl *c = wasm_ctrl_push(v, op, ps, pc, rs, rc);
            if (live) {
                emit_op(L, WASM_OP_BR_UNLESS);
                emit_target(L, 0);
                c->else_fixup = L->count - 1;
            } else {
                c->dead_code = true;
            }
            break;
        }
        case 0x05: {
            struct wasm_ctrl *c = &v->ctrls[v->ctrl_count - 1];
            if (c->opcode != 0x04)
                return FAIL_MALFORMED(L, "else without if");
            if (!pop_types(v, c->results, c->result_count) || v->val_count != c->height)
                return FAIL_INVALID(L, "type mismatch");
            if (!c->unreachable && !c->dead_code) {
                emit_op(L, WASM_OP_BR);
                emit_forward(L, c);
            }
            if (!c->dead_code) {
                L->cells[c->else_fixup].u64 = L->count;
                c->else_fixup = 0;
                barrier(L);
            }
            c->unreachable = false;
            c->opcode = 0x05;
            v->val_count = c->height;
            v->slots = c->slots;
            push_types(v, c->params, c->param_count);
            break;
        }
        case 0x0b: {
            struct wasm_ctrl c;
            if (!wasm_ctrl_pop(v, &c))
                return FAIL_INVALID(L, "type mismatch");
            if (c.opcode == 0x04) {
                /* An if without else: the missing else passes params through. */
                if (c.param_count != c.result_count ||
                    (c.param_count &&
                     memcmp(c.params, c.results, c.param_count * sizeof(*c.params)) != 0))
                    return FAIL_INVALID(L, "type mismatch");
                if (c.else_fixup)
                    L->cells[c.else_fixup].u64 = L->count;
            }
            v->slots = c.slots;
            push_types(v, c.results, c.result_count);
            patch_chain(L, c.fixups, L->count);
            if (c.fixups || c.opcode == 0x04 || c.opcode == 0x05)
                barrier(L);
            if (v->ctrl_count == 0) {
                emit_op(L, WASM_OP_RETURN);
                emit_cell(L, ft->result_slots);
                if (r->pos != r->end)
                    return wasm_fail(r, err, ERR_WASM_MALFORMED, "section size mismatch");
            }
            break;
        }
        case 0x0c:
        case 0x0d: {
            if (!read_u32(r, &idx, err))
                return false;
            if (idx >= v->ctrl_count)
                return FAIL_INVALID(L, "unknown label");
            if (op == 0x0d && !pop_expect(L, WASM_I32, err))
                return false;
            struct wasm_ctrl *c = &v->ctrls[v->ctrl_count - 1 - idx];
            if (!stack_has(v, c->label_types, c->label_count)) {
                if (!pop_types(v, c->label_types, c->label_count))
                    return FAIL_INVALID(L, "type mismatch");
                push_types(v, c->label_types, c->label_count);
            }
            if (live)
                emit_branch(L, op == 0x0c ? WASM_OP_BR : WASM_OP_BR_IF, idx);
            if (op == 0x0c)
                wasm_val_unreachable(v);
            break;
        }
        case 0x0e: {
            uint32_t n;
            if (!wasm_read_count(r, 1, &n, err))
                return false;
            if (!pop_expect(L, WASM_I32, err))
                return false;
            if (live) {
                emit_op(L, WASM_OP_BR_TABLE);
                emit_cell(L, n);
            }
            uint32_t arity = 0;
            for (uint32_t i = 0; i <= n; i++) {
                if (!read_u32(r, &idx, err))
                    return false;
                if (idx >= v->ctrl_count)
                    return FAIL_INVALID(L, "unknown label");
                struct wasm_ctrl *c = &v->ctrls[v->ctrl_count - 1 - idx];
                if (i == 0)
                    arity = c->label_count;
                else if (c->label_count != arity)
                    return FAIL_INVALID(L, "type mismatch");
                /* Check the label's types against the stack without consuming it. */
                size_t saved_count = v->val_count;
                uint32_t saved_slots = v->slots;
                for (uint32_t k = c->label_count; k-- > 0;) {
                    uint8_t got;
                    if (!wasm_val_pop(v, (uint8_t)c->label_types[k], &got))
                        return FAIL_INVALID(L, "type mismatch");
                }
                v->val_count = saved_count;
                v->slots = saved_slots;
                if (live) {
                    uint32_t keep = c->label_slots;
                    uint32_t drop = v->slots - c->slots - keep;
                    if (c->opcode == 0x03)
                        emit_target(L, c->loop_start);
                    else
                        emit_forward(L, c);
                    emit_cell(L, (uint64_t)keep | ((uint64_t)drop << 32));
                }
            }
            /* In unreachable code, the pops above may have exposed too little; check again. */
            struct wasm_ctrl *c0 = &v->ctrls[v->ctrl_count - 1];
            (void)c0;
            wasm_val_unreachable(v);
            break;
        }
        case 0x0f:
            if (!pop_types(v, ft->results, ft->result_count))
                return FAIL_INVALID(L, "type mismatch");
            if (live) {
                emit_op(L, WASM_OP_RETURN);
                emit_cell(L, ft->result_slots);
            }
            wasm_val_unreachable(v);
            break;
        case 0x10: {
            if (!read_u32(r, &idx, err))
                return false;
            if (idx >= mod->func_count)
                return FAIL_INVALID(L, "unknown function %u", idx);
            const struct wasm_type *t = &mod->types[mod->func_types[idx]];
            if (!pop_types(v, t->params, t->param_count))
                return FAIL_INVALID(L, "type mismatch");
            push_types(v, t->results, t->result_count);
            if (live) {
                emit_op(L, WASM_OP_CALL);
                emit_cell(L, idx);
            }
            break;
        }
        case 0x11: {
            uint32_t tidx, tab;
            if (!read_u32(r, &tidx, err))
                return false;
            if (!read_table_idx(L, &tab, err))
                return false;
            if (tidx >= mod->type_count)
                return FAIL_INVALID(L, "unknown type");
            if (mod->tables[tab].elem != WASM_FUNCREF)
                return FAIL_INVALID(L, "type mismatch");
            if (!pop_expect(L, WASM_I32, err))
                return false;
            const struct wasm_type *t = &mod->types[tidx];
            if (!pop_types(v, t->params, t->param_count))
                return FAIL_INVALID(L, "type mismatch");
            push_types(v, t->results, t->result_count);
            if (live) {
                emit_op(L, WASM_OP_CALL_INDIRECT);
                emit_cell(L, tidx);
                emit_cell(L, tab);
            }
            break;
        }
        case 0x1a: {
            uint8_t t;
            if (!wasm_val_pop_any(v, &t))
                return FAIL_INVALID(L, "type mismatch");
            if (live)
                emit_op(L, t == WASM_V128 ? WASM_OP_DROP2 : WASM_OP_DROP);
            break;
        }
        case 0x1b:
        case 0x1c: {
            uint8_t want = WASM_TYPE_UNKNOWN;
            if (op == 0x1c) {
                uint32_t n;
                if (!read_u32(r, &n, err))
                    return false;
                if (n != 1)
                    return FAIL_INVALID(L, "invalid result arity");
                uint8_t b;
                if (!wasm_read_u8(r, &b, err))
                    return false;
                if (!single_types[b])
                    return FAIL_MALFORMED(L, "malformed value type");
                want = b;
            }
            uint8_t t1, t2;
            if (!pop_expect(L, WASM_I32, err))
                return false;
            if (!wasm_val_pop(v, want, &t1) || !wasm_val_pop(v, want, &t2))
                return FAIL_INVALID(L, "type mismatch");
            uint8_t t;
            if (op == 0x1b) {
                if ((t1 != WASM_TYPE_UNKNOWN && !wasm_is_num(t1)) ||
                    (t2 != WASM_TYPE_UNKNOWN && !wasm_is_num(t2)))
                    return FAIL_INVALID(L, "type mismatch");
                if (t1 != WASM_TYPE_UNKNOWN && t2 != WASM_TYPE_UNKNOWN && t1 != t2)
                    return FAIL_INVALID(L, "type mismatch");
                t = t1 == WASM_TYPE_UNKNOWN ? t2 : t1;
            } else {
                t = want;
            }
            wasm_val_push(v, t);
            if (live)
                emit_op(L, t == WASM_V128 ? WASM_OP_SELECT2 : WASM_OP_SELECT);
            break;
        }
        case 0x20:
        case 0x21:
        case 0x22: {
            if (!read_u32(r, &idx, err))
                return false;
            if (idx >= L->local_count)
                return FAIL_INVALID(L, "unknown local %u", idx);
            uint8_t t = L->local_types[idx];
            bool wide = t == WASM_V128;
            if (op == 0x20) {
                wasm_val_push(v, t);
                if (live) {
                    emit_op(L, wide ? WASM_OP_LOCAL_GET2 : WASM_OP_LOCAL_GET);
                    emit_cell(L, L->local_slot[idx]);
                }
            } else {
                if (!pop_expect(L, t, err))
                    return false;
                if (op == 0x22)
                    wasm_val_push(v, t);
                if (live) {
                    if (op == 0x21 && !wide) {
                        emit_local_set(L, L->local_slot[idx]);
                    } else {
                        if (op == 0x21)
                            emit_op(L, WASM_OP_LOCAL_SET2);
                        else
                            emit_op(L, wide ? WASM_OP_LOCAL_TEE2 : WASM_OP_LOCAL_TEE);
                        emit_cell(L, L->local_slot[idx]);
                    }
                }
            }
            break;
        }
        case 0x23:
        case 0x24: {
            if (!read_u32(r, &idx, err))
                return false;
            if (idx >= mod->global_count)
                return FAIL_INVALID(L, "unknown global %u", idx);
            const struct wasm_global_decl *g = &mod->globals[idx];
            bool wide = g->type == WASM_V128;
            if (op == 0x23) {
                wasm_val_push(v, (uint8_t)g->type);
                if (live) {
                    emit_op(L, wide ? WASM_OP_GLOBAL_GET2 : WASM_OP_GLOBAL_GET);
                    emit_cell(L, idx);
                }
            } else {
                if (!g->is_mutable)
                    return FAIL_INVALID(L, "global is immutable");
                if (!pop_expect(L, (uint8_t)g->type, err))
                    return false;
                if (live) {
                    emit_op(L, wide ? WASM_OP_GLOBAL_SET2 : WASM_OP_GLOBAL_SET);
                    emit_cell(L, idx);
                }
            }
            break;
        }
        case 0x25:
        case 0x26: {
            if (!read_table_idx(L, &idx, err))
                return false;
            uint8_t et = (uint8_t)mod->tables[idx].elem;
            if (op == 0x25) {
                if (!pop_expect(L, WASM_I32, err))
                    return false;
                wasm_val_push(v, et);
            } else {
                if (!pop_expect(L, et, err) || !pop_expect(L, WASM_I32, err))
                    return false;
            }
            if (live) {
                emit_op(L, op == 0x25 ? WASM_OP_TABLE_GET : WASM_OP_TABLE_SET);
                emit_cell(L, idx);
            }
            break;
        }
        case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e:
        case 0x2f: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: {
            uint32_t offset;
            if (!read_memarg(L, mem_align[op - 0x28], &offset, err))
                return false;
            if (!pop_expect(L, WASM_I32, err))
                return false;
            wasm_val_push(v, mem_type[op - 0x28]);
            if (live)
                emit_load(L, (enum wasm_op)(WASM_OP_I32_LOAD + (op - 0x28)), offset);
            break;
        }
        case 0x36: case 0x37: case 0x38: case 0x39: case 0x3a: case 0x3b: case 0x3c:
        case 0x3d: case 0x3e: {
            uint32_t offset;
            if (!read_memarg(L, mem_align[op - 0x28], &offset, err))
                return false;
            if (!pop_expect(L, mem_type[op - 0x28], err) || !pop_expect(L, WASM_I32, err))
                return false;
            if (live)
                emit_store(L, (enum wasm_op)(WASM_OP_I32_LOAD + (op - 0x28)), offset);
            break;
        }
        case 0x3f:
        case 0x40:
            if (!zero_byte(L, err) || !need_memory(L, err))
                return false;
            if (op == 0x40 && !pop_expect(L, WASM_I32, err))
                return false;
            wasm_val_push(v, WASM_I32);
            if (live)
                emit_op(L, op == 0x3f ? WASM_OP_MEMORY_SIZE : WASM_OP_MEMORY_GROW);
            break;
        case 0x41: {
            int32_t x;
            if (!read_s32(r, &x, err))
                return false;
            wasm_val_push(v, WASM_I32);
            if (live) {
                emit_op(L, WASM_OP_CONST);
                emit_cell(L, (uint32_t)x);
            }
            break;
        }
        case 0x42: {
            int64_t x;
            if (!read_s64(r, &x, err))
                return false;
            wasm_val_push(v, WASM_I64);
            if (live) {
                emit_op(L, WASM_OP_CONST);
                emit_cell(L, (uint64_t)x);
            }
            break;
        }
        case 0x43: {
            uint32_t x;
            if (!wasm_read_fixed(r, &x, 4, err))
                return false;
            wasm_val_push(v, WASM_F32);
            if (live) {
                emit_op(L, WASM_OP_CONST);
                emit_cell(L, x);
            }
            break;
        }
        case 0x44: {
            uint64_t x;
            if (!wasm_read_fixed(r, &x, 8, err))
                return false;
            wasm_val_push(v, WASM_F64);
            if (live) {
                emit_op(L, WASM_OP_CONST);
                emit_cell(L, x);
            }
            break;
        }
        case 0xd0: {
            uint8_t t;
            if (!wasm_read_u8(r, &t, err))
                return false;
            if (t != WASM_FUNCREF && t != WASM_EXTERNREF)
                return FAIL_MALFORMED(L, "malformed reference type");
            wasm_val_push(v, t);
            if (live) {
                emit_op(L, WASM_OP_CONST);
                emit_cell(L, 0);
            }
            break;
        }
        case 0xd1: {
            uint8_t t;
            if (!wasm_val_pop_any(v, &t))
                return FAIL_INVALID(L, "type mismatch");
            if (t != WASM_TYPE_UNKNOWN && !wasm_is_ref(t))
                return FAIL_INVALID(L, "type mismatch");
            wasm_val_push(v, WASM_I32);
            if (live)
                emit_op(L, WASM_OP_REF_IS_NULL);
            break;
        }
        case 0xd2:
            if (!read_u32(r, &idx, err))
                return false;
            if (idx >= mod->func_count)
                return FAIL_INVALID(L, "unknown function %u", idx);
            if (!mod->declared_refs[idx])
                return FAIL_INVALID(L, "undeclared function reference");
            wasm_val_push(v, WASM_FUNCREF);
            if (live) {
                emit_op(L, WASM_OP_REF_FUNC);
                emit_cell(L, idx);
            }
            break;
        case 0xfc:
            if (!lower_fc(L, err))
                return false;
            break;
        case 0xfd:
            if (!lower_simd(L, err))
                return false;
            break;
        default:
            if (op >= 0x45 && op <= 0xc4) {
                const uint8_t *sig = L->numeric[op - 0x45];
                size_t n = v->val_count;
                size_t height = v->ctrls[v->ctrl_count - 1].height;
                /* The usual case, operands of the right types on the stack,
                 * in place (all one-slot types); the general one otherwise. */
                if (sig[1] && n >= height + 2 && v->vals[n - 1] == sig[1] &&
                    v->vals[n - 2] == sig[0]) {
                    v->vals[n - 2] = sig[2];
                    v->val_count = n - 1;
                    v->slots--;
                } else if (!sig[1] && n >= height + 1 && v->vals[n - 1] == sig[0]) {
                    v->vals[n - 1] = sig[2];
                } else {
                    if (sig[1] && !pop_expect(L, sig[1], err))
                        return false;
                    if (!pop_expect(L, sig[0], err))
                        return false;
                    wasm_val_push(v, sig[2]);
                }
                if (live)
                    emit_binary(L, (enum wasm_op)(WASM_OP_I32_EQZ + (op - 0x45)));
                break;
            }
            return FAIL_MALFORMED(L, "illegal opcode");
        }
    }
    return true;
}

static bool
lower_simd(struct lower *L, struct err *err)
{
    struct wasm_validator *v = &L->v;
    uint32_t sub;
    if (!read_u32(&L->r, &sub, err))
        return false;
    struct wasm_simd_sig sig;
    if (!wasm_simd_sig(sub, &sig))
        return FAIL_MALFORMED(L, "illegal opcode");
    bool live = !dead(L);
    uint64_t imm0 = 0, imm1 = 0;
    uint8_t lane;
    switch (sig.kind) {
    case WASM_SIMD_LOAD:
    case WASM_SIMD_STORE:
    case WASM_SIMD_LOAD_LANE:
    case WASM_SIMD_STORE_LANE: {
        uint32_t offset;
        if (!read_memarg(L, sig.align, &offset, err))
            return false;
        imm0 = offset;
        if (sig.kind == WASM_SIMD_LOAD_LANE || sig.kind == WASM_SIMD_STORE_LANE) {
            if (!wasm_read_u8(&L->r, &lane, err))
                return false;
            if (lane >= sig.lanes)
                return FAIL_INVALID(L, "invalid lane index");
            imm1 = lane;
            if (!pop_expect(L, WASM_V128, err))
                return false;
        }
        if (sig.kind == WASM_SIMD_STORE && !pop_expect(L, WASM_V128, err))
            return false;
        if (!pop_expect(L, WASM_I32, err))
            return false;
        if (sig.kind == WASM_SIMD_LOAD || sig.kind == WASM_SIMD_LOAD_LANE)
            wasm_val_push(v, WASM_V128);
        if (live && sub == 0) {
            emit_op(L, WASM_OP_V128_LOAD);
            emit_cell(L, imm0);
            return true;
        }
        if (live && sub == 11) {
            emit_op(L, WASM_OP_V128_STORE);
            emit_cell(L, imm0);
            return true;
        }
        break;
    }
    case WASM_SIMD_CONST: {
        uint64_t bytes[2];
        if (!wasm_read_fixed(&L->r, bytes, 16, err))
            return false;
        wasm_val_push(v, WASM_V128);
        if (live) {
            emit_op(L, WASM_OP_CONST2);
            emit_cell(L, bytes[0]);
            emit_cell(L, bytes[1]);
        }
        return true;
    }
    case WASM_SIMD_SHUFFLE: {
        uint8_t lanes[16];
        if (!wasm_read_fixed(&L->r, lanes, 16, err))
            return false;
        for (int i = 0; i < 16; i++)
            if (lanes[i] >= 32)
                return FAIL_INVALID(L, "invalid lane index");
        memcpy(&imm0, lanes, 8);
        memcpy(&imm1, lanes + 8, 8);
        if (!pop_expect(L, WASM_V128, err) || !pop_expect(L, WASM_V128, err))
            return false;
        wasm_val_push(v, WASM_V128);
        break;
    }
    case WASM_SIMD_SPLAT:
        if (!pop_expect(L, sig.scalar, err))
            return false;
        wasm_val_push(v, WASM_V128);
        break;
    case WASM_SIMD_EXTRACT:
    case WASM_SIMD_REPLACE:
        if (!wasm_read_u8(&L->r, &lane, err))
            return false;
        if (lane >= sig.lanes)
            return FAIL_INVALID(L, "invalid lane index");
        imm1 = lane;
        if (sig.kind == WASM_SIMD_REPLACE && !pop_expect(L, sig.scalar, err))
            return false;
        if (!pop_expect(L, WASM_V128, err))
            return false;
        wasm_val_push(v, sig.kind == WASM_SIMD_REPLACE ? WASM_V128 : sig.scalar);
        break;
    case WASM_SIMD_UNARY:
    case WASM_SIMD_TEST:
        if (!pop_expect(L, WASM_V128, err))
            return false;
        wasm_val_push(v, sig.kind == WASM_SIMD_TEST ? WASM_I32 : WASM_V128);
        break;
    case WASM_SIMD_BINARY:
    case WASM_SIMD_SHIFT:
        if (!pop_expect(L, sig.kind == WASM_SIMD_SHIFT ? WASM_I32 : WASM_V128, err) ||
            !pop_expect(L, WASM_V128, err))
            return false;
        wasm_val_push(v, WASM_V128);
        break;
    case WASM_SIMD_TERNARY:
        if (!pop_expect(L, WASM_V128, err) || !pop_expect(L, WASM_V128, err) ||
            !pop_expect(L, WASM_V128, err))
            return false;
        wasm_val_push(v, WASM_V128);
        break;
    case WASM_SIMD_NONE:
        return FAIL_MALFORMED(L, "illegal opcode");
    }
    if (live) {
        emit_op(L, WASM_OP_SIMD);
        emit_cell(L, sub);
        emit_cell(L, imm0);
        emit_cell(L, imm1);
    }
    return true;
}

struct wasm_lower_scratch {
    struct lower L;
    size_t local_cap;
    const void *const *ops;
    uint8_t numeric[0xc4 - 0x45 + 1][3]; /* numeric_sig() as a table */
    /* A lowering thread's own code blocks and data count need (NULL: the
     * module's, for lowering on the loading thread). */
    struct wasm_code_block **blocks;
    const uint8_t **needs_data_count;
};

static struct wasm_lower_scratch *
scratch_new(const void *const *ops)
{
    struct wasm_lower_scratch *s = xcalloc(1, sizeof(*s));
    wasm_val_init(&s->L.v);
    s->ops = ops;
    for (unsigned op = 0x45; op <= 0xc4; op++) {
        uint8_t *sig = s->numeric[op - 0x45];
        numeric_sig((uint8_t)op, &sig[0], &sig[1], &sig[2]);
    }
    return s;
}

struct wasm_lower_scratch *
wasm_lower_scratch_new(void)
{
    return scratch_new(wasm_interp_ops());
}

void
wasm_lower_scratch_free(struct wasm_lower_scratch *s)
{
    if (!s)
        return;
    free(s->L.targets);
    free(s->L.local_types);
    free(s->L.local_slot);
    wasm_val_release(&s->L.v);
    free(s);
}

/* Read the local declarations, then lower the body. */
bool
wasm_lower_func(struct wasm_module *mod, uint32_t code_idx, const uint8_t *section_end,
                struct wasm_lower_scratch *scratch, struct err *err)
{
    struct wasm_code *code = &mod->codes[code_idx];
    struct lower *Lp = &scratch->L;
#define L (*Lp)
    /* Keep the buffers, reset the rest. */
    size_t *targets = L.targets;
    size_t target_cap = L.target_cap;
    uint8_t *local_types = L.local_types;
    uint32_t *local_slot = L.local_slot;
    struct wasm_validator v = L.v;
    memset(&L, 0, sizeof(L));
    L.targets = targets;
    L.target_cap = target_cap;
    L.local_types = local_types;
    L.local_slot = local_slot;
    L.v = v;
    L.v.val_count = 0;
    L.v.ctrl_count = 0;
    L.v.slots = L.v.max_slots = 0;
    L.mod = mod;
    L.code = code;
    L.ftype = &mod->types[code->type_idx];
    L.r = (struct wasm_reader){ mod->bytes, code->body, code->body + code->body_len,
                                mod->bytes + mod->len, "code",
                                (int64_t)(mod->import_func_count + code_idx) };
    L.ops = scratch->ops;
    L.numeric = (const uint8_t(*)[3])scratch->numeric;
    L.last_op = -1;
    L.prev_op = -1;
    L.section_end = section_end;
    L.blocks = scratch->blocks ? scratch->blocks : &mod->code_blocks;
    L.needs_data_count =
        scratch->needs_data_count ? scratch->needs_data_count : &mod->needs_data_count;
    /* Emit straight into the free part of the head code block. */
    struct wasm_code_block *head = *L.blocks;
    if (head && head->cap - head->used >= 64) {
        L.cells = head->cells + head->used;
        L.cap = head->cap - head->used;
    }

    uint32_t groups;
    if (!read_u32(&L.r, &groups, err))
        return false;
    uint64_t total = L.ftype->param_count;
    const uint8_t *groups_start = L.r.pos;
    for (uint32_t i = 0; i < groups; i++) {
        uint32_t n;
        uint8_t t;
        if (!read_u32(&L.r, &n, err))
            return false;
        total += n;
        if (total > WASM_MAX_LOCALS)
            return wasm_fail(&L.r, err, ERR_WASM_MALFORMED, "too many locals");
        if (!wasm_read_u8(&L.r, &t, err))
            return false;
        if (!single_types[t]) {
            L.r.pos--;
            return wasm_fail(&L.r, err, ERR_WASM_MALFORMED, "malformed value type");
        }
    }
    L.local_count = (uint32_t)total;
    if (total + 1 > scratch->local_cap) {
        scratch->local_cap = total + 1 > 64 ? total + 1 : 64;
        L.local_types = xrealloc(L.local_types, scratch->local_cap);
        L.local_slot = xrealloc(L.local_slot, scratch->local_cap * sizeof(uint32_t));
    }
    uint32_t slot = 0, li = 0;
    for (uint32_t i = 0; i < L.ftype->param_count; i++, li++) {
        L.local_types[li] = (uint8_t)L.ftype->params[i];
        L.local_slot[li] = slot;
        slot += wasm_slots(L.ftype->params[i]);
    }
    uint32_t param_slots = slot;
    {
        struct wasm_reader g = L.r;
        g.pos = groups_start;
        for (uint32_t i = 0; i < groups; i++) {
            uint32_t n;
            uint8_t t;
            read_u32(&g, &n, NULL);
            wasm_read_u8(&g, &t, NULL);
            for (uint32_t k = 0; k < n; k++, li++) {
                L.local_types[li] = t;
                L.local_slot[li] = slot;
                slot += wasm_slots((enum wasm_valtype)t);
            }
        }
    }
    code->local_slots = slot - param_slots;
    code->frame_slots = slot;
    if (!lower_body(&L, err))
        return false;
    if ((uint64_t)code->frame_slots + L.v.max_slots + 4 > WASM_MAX_FUNC_SLOTS)
        return wasm_fail(&L.r, err, ERR_WASM_INVALID, "function too large");
    code->max_slots = code->frame_slots + L.v.max_slots + 2;
    if (L.count == 0)
        new_block(&L, 1); /* not reached: every body ends with a return */
    union wasm_cell *out = L.cells;
    (*L.blocks)->used += L.count;
    /* Branch targets: indices to addresses. */
    for (size_t i = 0; i < L.target_count; i++)
        out[L.targets[i]].target = out + out[L.targets[i]].u64;
    code->cells = out;
    code->cell_count = L.count;
    return true;
#undef L
}

/* ---- lowering on several threads ------------------------------------------- */

/* Code sections smaller than this are lowered on the loading thread. */
#define PARALLEL_MIN_BYTES ((size_t)256 << 10)
#define PARALLEL_MAX_THREADS 8u
/* Bodies a thread takes at a time from the shared counter. */
#define PARALLEL_CHUNK 16u
/* Lowering does not recurse: a small stack is plenty. */
#define LOWER_THREAD_STACK ((size_t)256 << 10)

static atomic_uint forced_threads;

void
wasm_lower_set_threads(unsigned n)
{
    atomic_store(&forced_threads, n);
}

unsigned
wasm_lower_thread_count(size_t code_bytes, uint32_t count)
{
    if (count < 2)
        return 1;
    unsigned forced = atomic_load(&forced_threads);
    if (forced)
        return forced < count ? forced : count;
    if (code_bytes < PARALLEL_MIN_BYTES)
        return 1;
    long cpus = os_cpu_count();
#ifdef CPU_COUNT
    /* The CPUs this process may run on, when it is restricted to fewer. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) < cpus)
        cpus = CPU_COUNT(&set);
#endif
    if (cpus < 1)
        return 1;
    unsigned n = (unsigned)cpus < PARALLEL_MAX_THREADS ? (unsigned)cpus : PARALLEL_MAX_THREADS;
    /* At least 64 KiB of code per thread: thread start-up is not free. */
    size_t by_size = code_bytes / ((size_t)64 << 10);
    return by_size < n ? (unsigned)by_size : n;
}

struct lower_job {
    struct wasm_module *mod;
    const void *const *ops;
    uint32_t count;
    const uint8_t *section_end;
    atomic_uint next;   /* first body of the next chunk to take */
    atomic_uint failed; /* lowest index that failed so far, or UINT32_MAX */
};

struct lower_worker {
    struct lower_job *job;
    struct os_thread thread;
    bool started;
    struct wasm_code_block *blocks;
    const uint8_t *needs_data_count;
    uint32_t err_idx; /* the body that failed, or UINT32_MAX */
    struct err err;
};

static void *
lower_worker_run(void *arg)
{
    struct lower_worker *w = arg;
    struct lower_job *job = w->job;
    struct wasm_lower_scratch *scratch = scratch_new(job->ops);
    scratch->blocks = &w->blocks;
    scratch->needs_data_count = &w->needs_data_count;
    for (;;) {
        uint32_t start = atomic_fetch_add_explicit(&job->next, PARALLEL_CHUNK,
                                                   memory_order_relaxed);
        if (start >= job->count)
            break;
        uint32_t end = job->count - start > PARALLEL_CHUNK ? start + PARALLEL_CHUNK : job->count;
        for (uint32_t i = start; i < end; i++) {
            /* A lower body failed: what comes after it does not matter. */
            if (i > atomic_load_explicit(&job->failed, memory_order_relaxed))
                goto out;
            if (job->mod->codes[i].cells)
                continue;
            if (!wasm_lower_func(job->mod, i, job->section_end, scratch, &w->err)) {
                w->err_idx = i;
                uint32_t seen = atomic_load_explicit(&job->failed, memory_order_relaxed);
                while (i < seen && !atomic_compare_exchange_weak_explicit(
                                       &job->failed, &seen, i, memory_order_relaxed,
                                       memory_order_relaxed)) {
                }
                /* Chunks come in increasing order: the rest are all higher. */
                goto out;
            }
        }
    }
out:
    wasm_lower_scratch_free(scratch);
    return NULL;
}

bool
wasm_lower_parallel(struct wasm_module *mod, uint32_t count, const uint8_t *section_end,
                    unsigned threads, struct err *err)
{
    if (threads < 1)
        threads = 1;
    struct lower_job job = {
        .mod = mod, .ops = wasm_interp_ops(), .count = count, .section_end = section_end
    };
    atomic_init(&job.next, 0);
    atomic_init(&job.failed, UINT32_MAX);
    struct lower_worker *workers = xcalloc(threads, sizeof(*workers));
    for (unsigned t = 0; t < threads; t++) {
        workers[t].job = &job;
        workers[t].err_idx = UINT32_MAX;
    }
    /* Worker 0 is the calling thread; a thread that cannot start leaves
     * its share to the others. The threads take no signals: those stay
     * with the program's own threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (unsigned t = 1; t < threads; t++)
        workers[t].started = os_thread_create(&workers[t].thread, LOWER_THREAD_STACK,
                                              lower_worker_run, &workers[t], NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    lower_worker_run(&workers[0]);
    for (unsigned t = 1; t < threads; t++)
        if (workers[t].started)
            os_thread_join(&workers[t].thread, NULL);

    const struct lower_worker *failed = NULL;
    for (unsigned t = 0; t < threads; t++) {
        struct lower_worker *w = &workers[t];
        if (w->err_idx != UINT32_MAX && (!failed || w->err_idx < failed->err_idx))
            failed = w;
        if (w->needs_data_count &&
            (!mod->needs_data_count || w->needs_data_count < mod->needs_data_count))
            mod->needs_data_count = w->needs_data_count;
        /* The thread's blocks join the module's list. */
        struct wasm_code_block *b = w->blocks;
        while (b) {
            struct wasm_code_block *next = b->next;
            b->next = mod->code_blocks;
            mod->code_blocks = b;
            b = next;
        }
    }
    bool ok = failed == NULL;
    if (failed && err && err->kind == ERR_NONE)
        *err = failed->err;
    free(workers);
    return ok;
}
