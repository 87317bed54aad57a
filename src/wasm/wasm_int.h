/*
 * src/wasm/wasm_int.h: the engine's private declarations, shared by the files
 * of src/wasm/ (leb.c decode.c validate.c lower.c interp.c instance.c link.c).
 *
 * Pipeline: decode.c reads sections into a struct wasm_module; lower.c walks
 * each function body once, validating it with the stacks of validate.c and
 * emitting internal code (an array of union wasm_cell: an operation followed
 * by its pre-decoded immediates); interp.c runs that code on a stack of
 * 64-bit slots (a v128 takes two); instance.c builds run-time state;
 * link.c resolves imports.
 */
#ifndef PERCH_WASM_WASM_INT_H
#define PERCH_WASM_WASM_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "wasm/wasm.h"

/*
 * Dispatch technique: computed goto (1) or a switch (0). Computed goto is the
 * default with GCC. Clang takes many minutes to compile the threaded loop
 * (its tail duplication of the shared indirect branch grows with the square
 * of the number of operations), so clang builds use the switch unless asked.
 */
#ifndef WASM_THREADED_DISPATCH
# if defined(__GNUC__) && !defined(__clang__)
#  define WASM_THREADED_DISPATCH 1
# else
#  define WASM_THREADED_DISPATCH 0
# endif
#endif

#define WASM_PAGE_SIZE 65536u
#define WASM_MAX_PAGES 65536u
#define WASM_DEFAULT_MAX_TABLE 10000000u
#define WASM_DEFAULT_CALL_DEPTH 10000u
#define WASM_MAX_LOCALS 50000u      /* per function, params included */
#define WASM_MAX_FUNC_SLOTS 100000u /* locals plus operand stack, in slots */
#define WASM_STACK_SLOTS (1u << 20) /* value stack of one call, in 64-bit slots */

/* The type of a stack entry during validation: a value type, or unknown. */
#define WASM_TYPE_UNKNOWN 0

/* ---- reading bytes (leb.c) ------------------------------------------------ */

struct wasm_reader {
    const uint8_t *base; /* start of the module: offsets are counted from here */
    const uint8_t *pos;
    const uint8_t *end;
    const uint8_t *file_end;
    const char *section; /* name of the section being read, for messages */
    int64_t func_idx;    /* function whose body is being read, or -1 */
};

/* Fail with 'kind' and a message "msg (section s, function f, at offset 0x..)". */
bool wasm_fail(const struct wasm_reader *r, struct err *err, enum err_kind kind, const char *msg);
bool wasm_fail_at(const struct wasm_reader *r, const uint8_t *at, struct err *err,
                  enum err_kind kind, const char *fmt, ...) PRINTF_LIKE(5, 6);
bool wasm_read_u8(struct wasm_reader *r, uint8_t *out, struct err *err);
bool wasm_read_u32_slow(struct wasm_reader *r, uint32_t *out, struct err *err);
/* Most u32s are one byte: that case inline, the rest in leb.c. */
static inline bool
wasm_read_u32(struct wasm_reader *r, uint32_t *out, struct err *err)
{
    if (r->pos < r->end && *r->pos < 0x80) {
        *out = *r->pos++;
        return true;
    }
    return wasm_read_u32_slow(r, out, err);
}
bool wasm_read_s32(struct wasm_reader *r, int32_t *out, struct err *err);
bool wasm_read_s33(struct wasm_reader *r, int64_t *out, struct err *err);
bool wasm_read_s64(struct wasm_reader *r, int64_t *out, struct err *err);
bool wasm_read_fixed(struct wasm_reader *r, void *out, size_t len, struct err *err);
/* A length-prefixed UTF-8 name; *out points into the module bytes. */
bool wasm_read_name(struct wasm_reader *r, const char **out, uint32_t *out_len, struct err *err);
/* A vector length, checked against the bytes left (each element takes >= min_size bytes). */
bool wasm_read_count(struct wasm_reader *r, uint32_t min_size, uint32_t *out, struct err *err);
bool wasm_utf8_valid(const uint8_t *s, size_t len);

/* ---- modules ---------------------------------------------------------------- */

struct wasm_type {
    uint32_t param_count, result_count;
    enum wasm_valtype *params; /* param_count params followed by result_count results */
    enum wasm_valtype *results;
    uint32_t param_slots, result_slots;
};

/* A constant expression (2.0: one instruction then end). */
struct wasm_const_expr {
    uint8_t op; /* 0x41 0x42 0x43 0x44 (const), 0xd0 ref.null, 0xd2 ref.func, 0x23 global.get,
                   0xfd v128.const */
    uint32_t idx;
    union wasm_val val;
};

struct wasm_import {
    const char *module, *name; /* NUL-terminated copies owned by the module */
    uint32_t type_idx;         /* functions */
    struct wasm_extern_type type;
};

struct wasm_global_decl {
    enum wasm_valtype type;
    bool is_mutable;
    struct wasm_const_expr init;
};

struct wasm_export {
    const char *name;
    enum wasm_extern_kind kind;
    uint32_t idx;
};

enum wasm_seg_mode { WASM_SEG_ACTIVE, WASM_SEG_PASSIVE, WASM_SEG_DECLARATIVE };

struct wasm_elem {
    enum wasm_seg_mode mode;
    uint32_t table_idx;
    struct wasm_const_expr offset;
    enum wasm_valtype type;
    uint32_t count;
    struct wasm_const_expr *items;
};

struct wasm_data {
    enum wasm_seg_mode mode;
    uint32_t mem_idx;
    struct wasm_const_expr offset;
    const uint8_t *bytes;
    uint32_t len;
};

/* One cell of internal code: an operation or an immediate. */
union wasm_cell {
    const void *op; /* threaded dispatch: label address */
    uintptr_t op_id;
    uint64_t u64;
    int64_t i64;
    uint32_t u32[2];
    const union wasm_cell *target;
};

struct wasm_code {
    uint32_t type_idx;
    uint32_t local_slots; /* slots of declared locals (after the params) */
    uint32_t frame_slots; /* params + locals */
    uint32_t max_slots;   /* frame_slots + deepest operand stack */
    const uint8_t *body;  /* the function body in the module bytes (after the size) */
    uint32_t body_len;
    union wasm_cell *cells;
    size_t cell_count;
    /* Native code (jit.h): entry point once compiled (NULL before), and
     * jit_state 0 not tried, 1 compiled, 2 runs in the interpreter. */
    _Atomic(void *) jit_entry;
    atomic_int jit_state;
};

/* Internal code of all functions lives in a few large blocks. */
#define WASM_CODE_BLOCK_CELLS (1u << 16)
struct wasm_code_block {
    struct wasm_code_block *next;
    size_t cap, used;
    union wasm_cell cells[];
};

struct wasm_table_type {
    enum wasm_valtype elem;
    uint32_t min, max;
    bool has_max;
};

struct wasm_mem_type {
    uint32_t min, max;
    bool has_max;
};

struct wasm_module {
    atomic_int refs;
    uint8_t *bytes; /* our copy of the binary */
    size_t len;
    struct wasm_limits limits;

    struct wasm_type *types;
    uint32_t type_count;
    struct wasm_import *imports;
    uint32_t import_count;
    uint32_t *func_types; /* type index of every function, imports first */
    uint32_t func_count, import_func_count;
    struct wasm_table_type *tables;
    uint32_t table_count, import_table_count;
    struct wasm_mem_type *mems;
    uint32_t mem_count, import_mem_count;
    struct wasm_global_decl *globals;
    uint32_t global_count, import_global_count;
    struct wasm_export *exports;
    uint32_t export_count;
    bool has_start;
    uint32_t start;
    struct wasm_elem *elems;
    uint32_t elem_count;
    struct wasm_data *datas;
    uint32_t data_count;
    bool has_data_count;
    uint32_t data_count_decl;
    const uint8_t *needs_data_count; /* first memory.init/data.drop without a data count section */
    struct wasm_code *codes; /* func_count - import_func_count */
    struct wasm_code_block *code_blocks;
    uint8_t *declared_refs;  /* per function: may be named by ref.func */
    char **func_names;       /* from the name section; NULL entries when absent */
    /* Set only while wasm_module_load_cached() decodes: where each function's
     * compiled code comes from instead of lower.c (serialize.c). */
    const struct wasm_precompiled *precompiled;
    _Atomic(void *) jit_blocks; /* native code mappings of this module (jit.h) */
};

/* instance.c: a module record holding a copy of 'bytes' and the limits
 * (defaults filled in), not yet decoded; and its release before it was
 * ever shared (decode failed). wasm_module_load is these around
 * wasm_decode; the cached load (serialize.c) attaches precompiled code
 * in between. */
struct wasm_module *wasm_module_new(const uint8_t *bytes, size_t len,
                                    const struct wasm_limits *limits, struct err *err);
void wasm_module_discard(struct wasm_module *mod);

/* decode.c */
bool wasm_decode(struct wasm_module *mod, struct err *err);
/* Memory for a large buffer a module keeps (its bytes, code blocks): from
 * 2 MiB up, 2 MiB aligned and backed by huge pages where the system allows
 * (a page fault per 2 MiB instead of per 4 KiB). Freed with free(); NULL
 * when out of memory. */
void *wasm_big_alloc(size_t size);
void wasm_module_release_parts(struct wasm_module *mod);
const char *wasm_valtype_name(enum wasm_valtype t);
static inline uint32_t
wasm_slots(enum wasm_valtype t)
{
    return t == WASM_V128 ? 2 : 1;
}
bool wasm_opcode_exists(uint8_t op);
bool wasm_type_equal(const struct wasm_type *a, const struct wasm_type *b);

/* lower.c: validate and lower one function body (module fully decoded up to the code). */
struct wasm_lower_scratch; /* buffers reused from one function to the next */
struct wasm_lower_scratch *wasm_lower_scratch_new(void);
void wasm_lower_scratch_free(struct wasm_lower_scratch *s);
bool wasm_lower_func(struct wasm_module *mod, uint32_t code_idx, const uint8_t *section_end,
                     struct wasm_lower_scratch *scratch, struct err *err);
/* Large code sections are lowered on several threads: how many for 'count'
 * bodies of 'code_bytes' bytes in all (1: lower them on the calling thread). */
unsigned wasm_lower_thread_count(size_t code_bytes, uint32_t count);
/* Lower bodies [0, count) (body and type_idx already set) on 'threads'
 * threads, each with its own scratch and code blocks, skipping those whose
 * cells are already set. On failure, 'err' holds the error of the
 * lowest-index invalid body, the one a sequential load reports. */
bool wasm_lower_parallel(struct wasm_module *mod, uint32_t count, const uint8_t *section_end,
                         unsigned threads, struct err *err);
/* For tests: 0 (default) picks the thread count from the code size and the
 * online CPUs; n > 0 lowers on n threads whenever there are two bodies or more. */
void wasm_lower_set_threads(unsigned n);

/* serialize.c: take function 'code_idx' (and its slot counts) from the
 * module's precompiled code, checking it; false with 'err' when it is not usable. */
struct wasm_precompiled;
bool wasm_precompiled_func(struct wasm_module *mod, uint32_t code_idx, struct err *err);

/* ---- validation stacks (validate.c) ------------------------------------------ */

struct wasm_ctrl {
    uint8_t opcode; /* 0x02 block, 0x03 loop, 0x04 if, 0x05 else, 0 function */
    uint32_t param_count, result_count;
    const enum wasm_valtype *params, *results;
    const enum wasm_valtype *label_types; /* params for loop, results otherwise */
    uint32_t label_count, label_slots;
    size_t height;     /* type stack height at entry, params excluded */
    uint32_t slots;    /* slot height at entry, params excluded */
    bool unreachable;
    bool dead_code;    /* opened in unreachable code: validate, emit nothing */
    size_t loop_start; /* loop: cell index of the loop head */
    size_t fixups;     /* chain of cells to patch with the end address (0: none) */
    size_t else_fixup; /* if: the cell to patch with the else address (0: none) */
    enum wasm_valtype single[1];
};

struct wasm_validator {
    uint8_t *vals; /* enum wasm_valtype or WASM_TYPE_UNKNOWN */
    size_t val_count, val_cap;
    uint32_t slots, max_slots; /* operand slot height and its maximum */
    struct wasm_ctrl *ctrls;
    size_t ctrl_count, ctrl_cap;
};

void wasm_val_init(struct wasm_validator *v);
void wasm_val_release(struct wasm_validator *v);
void wasm_val_grow(struct wasm_validator *v);

/* The three operations every instruction performs, inline for load speed. */
static inline void
wasm_val_push(struct wasm_validator *v, uint8_t t)
{
    if (v->val_count == v->val_cap)
        wasm_val_grow(v);
    v->vals[v->val_count++] = t;
    v->slots += t == WASM_V128 ? 2 : 1;
    if (v->slots > v->max_slots)
        v->max_slots = v->slots;
}

/* Pop any value (out: its type, or UNKNOWN). False on underflow. */
static inline bool
wasm_val_pop_any(struct wasm_validator *v, uint8_t *out)
{
    const struct wasm_ctrl *c = &v->ctrls[v->ctrl_count - 1];
    if (v->val_count == c->height) {
        if (c->unreachable) {
            *out = WASM_TYPE_UNKNOWN;
            return true;
        }
        return false;
    }
    uint8_t t = v->vals[--v->val_count];
    v->slots -= t == WASM_V128 ? 2 : 1;
    *out = t;
    return true;
}

/* Pop a value of type 'expect' (UNKNOWN: any). False on mismatch. */
static inline bool
wasm_val_pop(struct wasm_validator *v, uint8_t expect, uint8_t *out)
{
    uint8_t t;
    if (!wasm_val_pop_any(v, &t))
        return false;
    if (out)
        *out = t;
    if (t == WASM_TYPE_UNKNOWN || expect == WASM_TYPE_UNKNOWN)
        return true;
    return t == expect;
}
bool wasm_val_pop_types(struct wasm_validator *v, const enum wasm_valtype *types, uint32_t count);
void wasm_val_push_types(struct wasm_validator *v, const enum wasm_valtype *types, uint32_t count);
struct wasm_ctrl *wasm_ctrl_push(struct wasm_validator *v, uint8_t opcode,
                                 const enum wasm_valtype *params, uint32_t param_count,
                                 const enum wasm_valtype *results, uint32_t result_count);
/* Check the frame's results are on the stack; pops the frame into *out. */
bool wasm_ctrl_pop(struct wasm_validator *v, struct wasm_ctrl *out);
void wasm_val_unreachable(struct wasm_validator *v);
static inline bool
wasm_is_num(uint8_t t)
{
    return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64 || t == WASM_V128;
}
static inline bool
wasm_is_ref(uint8_t t)
{
    return t == WASM_FUNCREF || t == WASM_EXTERNREF;
}

/* ---- run time ---------------------------------------------------------------- */

struct wasm_func_inst {
    const struct wasm_type *type;
    struct wasm_instance *inst;   /* owner (wasm functions) */
    const struct wasm_code *code; /* NULL for host functions */
    uint32_t func_idx;
    wasm_host_fn *host;
    void *user;
};

struct wasm_memory {
    uint8_t *base;
    uint64_t size; /* bytes */
    uint32_t pages, max_pages; /* max_pages: what grow may reach (declared max and limits) */
    uint32_t decl_max;         /* the declared maximum, for import matching */
    bool has_max;
    size_t reserved; /* bytes of address space reserved at base */
};

struct wasm_table {
    uintptr_t *elems;
    uint32_t size, max; /* max: what grow may reach (declared max and limits) */
    uint32_t decl_max;  /* the declared maximum, for import matching */
    bool has_max;
    enum wasm_valtype type;
    /* Instances whose instantiation failed after their functions may have
     * been stored here; freed with the table's owner. */
    struct wasm_instance **keep;
    size_t keep_count;
};

struct wasm_global {
    union wasm_val val;
    enum wasm_valtype type;
    bool is_mutable;
};

struct wasm_frame {
    const union wasm_cell *pc;
    uint64_t *fp;
    struct wasm_func_inst *func;
};

struct wasm_instance {
    struct wasm_module *mod;
    struct wasm_limits limits;
    void *user;
    struct wasm_func_inst **funcs;
    struct wasm_func_inst *own_funcs; /* defined functions, then host imports */
    struct wasm_memory **mems;
    struct wasm_memory *own_mems;
    struct wasm_table **tables;
    struct wasm_table *own_tables;
    struct wasm_global **globals;
    struct wasm_global *own_globals;
    uint8_t *elem_dropped, *data_dropped;
    atomic_int own_interrupt;
    atomic_int *interrupt;
    uint64_t *stack; /* allocated on the first call */
    struct wasm_frame *frames;
};

struct wasm_call {
    struct wasm_instance *inst;
};

/* The internal operations (interp.c implements each; lower.c emits them). The
 * numeric block mirrors opcodes 0x45..0xc4 in order, loads 0x28..0x35 and
 * stores 0x36..0x3e likewise. */
#define WASM_NUMERIC_OPS(X)                                                                        \
    X(I32_EQZ) X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) X(I32_LE_S)      \
    X(I32_LE_U) X(I32_GE_S) X(I32_GE_U) X(I64_EQZ) X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U)      \
    X(I64_GT_S) X(I64_GT_U) X(I64_LE_S) X(I64_LE_U) X(I64_GE_S) X(I64_GE_U) X(F32_EQ) X(F32_NE)     \
    X(F32_LT) X(F32_GT) X(F32_LE) X(F32_GE) X(F64_EQ) X(F64_NE) X(F64_LT) X(F64_GT) X(F64_LE)       \
    X(F64_GE) X(I32_CLZ) X(I32_CTZ) X(I32_POPCNT) X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_DIV_S)     \
    X(I32_DIV_U) X(I32_REM_S) X(I32_REM_U) X(I32_AND) X(I32_OR) X(I32_XOR) X(I32_SHL) X(I32_SHR_S)  \
    X(I32_SHR_U) X(I32_ROTL) X(I32_ROTR) X(I64_CLZ) X(I64_CTZ) X(I64_POPCNT) X(I64_ADD) X(I64_SUB)  \
    X(I64_MUL) X(I64_DIV_S) X(I64_DIV_U) X(I64_REM_S) X(I64_REM_U) X(I64_AND) X(I64_OR) X(I64_XOR)  \
    X(I64_SHL) X(I64_SHR_S) X(I64_SHR_U) X(I64_ROTL) X(I64_ROTR) X(F32_ABS) X(F32_NEG) X(F32_CEIL)  \
    X(F32_FLOOR) X(F32_TRUNC) X(F32_NEAREST) X(F32_SQRT) X(F32_ADD) X(F32_SUB) X(F32_MUL)           \
    X(F32_DIV) X(F32_MIN) X(F32_MAX) X(F32_COPYSIGN) X(F64_ABS) X(F64_NEG) X(F64_CEIL)              \
    X(F64_FLOOR) X(F64_TRUNC) X(F64_NEAREST) X(F64_SQRT) X(F64_ADD) X(F64_SUB) X(F64_MUL)           \
    X(F64_DIV) X(F64_MIN) X(F64_MAX) X(F64_COPYSIGN) X(I32_WRAP_I64) X(I32_TRUNC_F32_S)             \
    X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S) X(I32_TRUNC_F64_U) X(I64_EXTEND_I32_S)                    \
    X(I64_EXTEND_I32_U) X(I64_TRUNC_F32_S) X(I64_TRUNC_F32_U) X(I64_TRUNC_F64_S)                    \
    X(I64_TRUNC_F64_U) X(F32_CONVERT_I32_S) X(F32_CONVERT_I32_U) X(F32_CONVERT_I64_S)               \
    X(F32_CONVERT_I64_U) X(F32_DEMOTE_F64) X(F64_CONVERT_I32_S) X(F64_CONVERT_I32_U)                \
    X(F64_CONVERT_I64_S) X(F64_CONVERT_I64_U) X(F64_PROMOTE_F32) X(I32_REINTERPRET_F32)             \
    X(I64_REINTERPRET_F64) X(F32_REINTERPRET_I32) X(F64_REINTERPRET_I64) X(I32_EXTEND8_S)           \
    X(I32_EXTEND16_S) X(I64_EXTEND8_S) X(I64_EXTEND16_S) X(I64_EXTEND32_S)

#define WASM_MEM_OPS(X)                                                                            \
    X(I32_LOAD) X(I64_LOAD) X(F32_LOAD) X(F64_LOAD) X(I32_LOAD8_S) X(I32_LOAD8_U) X(I32_LOAD16_S)   \
    X(I32_LOAD16_U) X(I64_LOAD8_S) X(I64_LOAD8_U) X(I64_LOAD16_S) X(I64_LOAD16_U) X(I64_LOAD32_S)   \
    X(I64_LOAD32_U) X(I32_STORE) X(I64_STORE) X(F32_STORE) X(F64_STORE) X(I32_STORE8)               \
    X(I32_STORE16) X(I64_STORE8) X(I64_STORE16) X(I64_STORE32)

#define WASM_SAT_OPS(X)                                                                            \
    X(I32_TRUNC_SAT_F32_S) X(I32_TRUNC_SAT_F32_U) X(I32_TRUNC_SAT_F64_S) X(I32_TRUNC_SAT_F64_U)     \
    X(I64_TRUNC_SAT_F32_S) X(I64_TRUNC_SAT_F32_U) X(I64_TRUNC_SAT_F64_S) X(I64_TRUNC_SAT_F64_U)

/* Control, variables, tables, memory and fused operations. Immediates are
 * listed in interp.c at each operation. */
#define WASM_MISC_OPS(X)                                                                           \
    X(UNREACHABLE) X(BR) X(BR_DROP) X(BR_IF) X(BR_IF_DROP) X(BR_UNLESS) X(BR_TABLE) X(RETURN)      \
    X(LOOP) X(CALL) X(CALL_INDIRECT) X(DROP) X(DROP2) X(SELECT) X(SELECT2) X(LOCAL_GET)            \
    X(LOCAL_SET) X(LOCAL_TEE) X(LOCAL_GET2) X(LOCAL_SET2) X(LOCAL_TEE2) X(GLOBAL_GET) X(GLOBAL_SET) \
    X(GLOBAL_GET2) X(GLOBAL_SET2) X(CONST) X(CONST2) X(REF_IS_NULL) X(REF_FUNC) X(TABLE_GET)       \
    X(TABLE_SET) X(TABLE_SIZE) X(TABLE_GROW) X(TABLE_FILL) X(TABLE_COPY) X(TABLE_INIT)             \
    X(ELEM_DROP) X(MEMORY_SIZE) X(MEMORY_GROW) X(MEMORY_FILL) X(MEMORY_COPY) X(MEMORY_INIT)        \
    X(DATA_DROP) X(V128_LOAD) X(V128_STORE) X(SIMD) X(I32_EQZ_BR_IF) X(LOCAL_SET_GET)              \
    X(LOCAL_TEE_BR_IF) X(LOCAL_GET_SET)

/* Binary operations that also come in fused forms reading their operands
 * from locals (L), constants (C) or the stack (S): NAME_LL, NAME_LC, NAME_SL,
 * NAME_SC, and NAME_LLD, NAME_LCD which store the result in a local instead
 * of pushing it. Loads also come as NAME_L, with the address in a local. */
#define WASM_BINARY_OPS(X) \
    X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) X(I32_LE_S) \
    X(I32_LE_U) X(I32_GE_S) X(I32_GE_U) X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) \
    X(I64_GT_S) X(I64_GT_U) X(I64_LE_S) X(I64_LE_U) X(I64_GE_S) X(I64_GE_U) X(F32_EQ) \
    X(F32_NE) X(F32_LT) X(F32_GT) X(F32_LE) X(F32_GE) X(F64_EQ) X(F64_NE) X(F64_LT) X(F64_GT) \
    X(F64_LE) X(F64_GE) X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_AND) X(I32_OR) X(I32_XOR) \
    X(I32_SHL) X(I32_SHR_S) X(I32_SHR_U) X(I32_ROTL) X(I32_ROTR) X(I64_ADD) X(I64_SUB) \
    X(I64_MUL) X(I64_AND) X(I64_OR) X(I64_XOR) X(I64_SHL) X(I64_SHR_S) X(I64_SHR_U) \
    X(I64_ROTL) X(I64_ROTR) X(F32_ADD) X(F32_SUB) X(F32_MUL) X(F32_DIV) X(F32_MIN) X(F32_MAX) \
    X(F64_ADD) X(F64_SUB) X(F64_MUL) X(F64_DIV) X(F64_MIN) X(F64_MAX)

#define WASM_LOAD_OPS(X) \
    X(I32_LOAD) X(I64_LOAD) X(F32_LOAD) X(F64_LOAD) X(I32_LOAD8_S) X(I32_LOAD8_U) \
    X(I32_LOAD16_S) X(I32_LOAD16_U) X(I64_LOAD8_S) X(I64_LOAD8_U) X(I64_LOAD16_S) \
    X(I64_LOAD16_U) X(I64_LOAD32_S) X(I64_LOAD32_U)

#define WASM_FUSED_ENUM(name)                                                                      \
    X_(name##_LL) X_(name##_LC) X_(name##_SL) X_(name##_SC) X_(name##_LLD) X_(name##_LCD)
#define WASM_FUSED_LOAD_ENUM(name) X_(name##_L)
/* Integer comparisons also fuse with a following br_if, in each operand form:
 * NAME_BR (stack, stack), NAME_LLBR, NAME_LCBR, NAME_SLBR, NAME_SCBR. */
#define WASM_CMP_OPS(X)                                                                            \
    X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) X(I32_LE_S) X(I32_LE_U)     \
    X(I32_GE_S) X(I32_GE_U) X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U)     \
    X(I64_LE_S) X(I64_LE_U) X(I64_GE_S) X(I64_GE_U)
/* Stores also come as NAME_LL (address and value from locals) and NAME_SC
 * (address from the stack, constant value). */
#define WASM_STORE_OPS(X)                                                                          \
    X(I32_STORE) X(I64_STORE) X(F32_STORE) X(F64_STORE) X(I32_STORE8) X(I32_STORE16)              \
    X(I64_STORE8) X(I64_STORE16) X(I64_STORE32)
#define WASM_FUSED_STORE_ENUM(name) X_(name##_LL) X_(name##_SC)
#define WASM_CMPBR_ENUM(name)                                                                      \
    X_(name##_BR) X_(name##_LLBR) X_(name##_LCBR) X_(name##_SLBR) X_(name##_SCBR)

enum wasm_op {
#define WASM_OP_ENUM(name) WASM_OP_##name,
#define X_(name) WASM_OP_##name,
    WASM_NUMERIC_OPS(WASM_OP_ENUM) WASM_MEM_OPS(WASM_OP_ENUM) WASM_SAT_OPS(WASM_OP_ENUM)
        WASM_MISC_OPS(WASM_OP_ENUM) WASM_OP_FUSED_FIRST_,
    WASM_OP_FUSED_BASE_ = WASM_OP_FUSED_FIRST_ - 1,
    WASM_BINARY_OPS(WASM_FUSED_ENUM) WASM_LOAD_OPS(WASM_FUSED_LOAD_ENUM) WASM_OP_CMPBR_FIRST_,
    WASM_OP_CMPBR_BASE_ = WASM_OP_CMPBR_FIRST_ - 1,
    WASM_CMP_OPS(WASM_CMPBR_ENUM) WASM_OP_STORE_FIRST_,
    WASM_OP_STORE_BASE_ = WASM_OP_STORE_FIRST_ - 1,
    WASM_STORE_OPS(WASM_FUSED_STORE_ENUM)
#undef X_
#undef WASM_OP_ENUM
        WASM_OP_COUNT
};

/* simd.c */
enum wasm_simd_kind {
    WASM_SIMD_NONE,
    WASM_SIMD_LOAD,       /* memarg; [i32] -> [v128] */
    WASM_SIMD_STORE,      /* memarg; [i32 v128] -> [] */
    WASM_SIMD_CONST,      /* 16 bytes */
    WASM_SIMD_SHUFFLE,    /* 16 lane indices; [v128 v128] -> [v128] */
    WASM_SIMD_SPLAT,      /* [scalar] -> [v128] */
    WASM_SIMD_EXTRACT,    /* lane; [v128] -> [scalar] */
    WASM_SIMD_REPLACE,    /* lane; [v128 scalar] -> [v128] */
    WASM_SIMD_LOAD_LANE,  /* memarg lane; [i32 v128] -> [v128] */
    WASM_SIMD_STORE_LANE, /* memarg lane; [i32 v128] -> [] */
    WASM_SIMD_UNARY,      /* [v128] -> [v128] */
    WASM_SIMD_BINARY,     /* [v128 v128] -> [v128] */
    WASM_SIMD_TERNARY,    /* [v128 v128 v128] -> [v128] */
    WASM_SIMD_TEST,       /* [v128] -> [i32] */
    WASM_SIMD_SHIFT,      /* [v128 i32] -> [v128] */
};

struct wasm_simd_sig {
    enum wasm_simd_kind kind;
    uint8_t align;  /* natural alignment (log2) of memory operations */
    uint8_t lanes;  /* lane count for lane immediates */
    uint8_t scalar; /* scalar type of splat, extract, replace */
};

/* False when 'sub' is not a SIMD instruction. */
bool wasm_simd_sig(uint32_t sub, struct wasm_simd_sig *out);
/* Run SIMD instruction 'sub' (immediates at imm[0], imm[1]) on the stack
 * whose top is 'sp'; returns the new top. A trap sets *out_trap. */
uint64_t *wasm_simd_exec(uint32_t sub, const union wasm_cell *imm, uint64_t *sp, uint8_t *mb,
                         uint64_t ms, int *out_trap);

/* interp.c: the table of operation addresses (threaded) or NULL (switch). */
const void *const *wasm_interp_ops(void);
/*
 * Run 'func' with its arguments in the slots at 'args' (results come back in
 * the same slots). On a trap, fills 'err' and returns false.
 */
bool wasm_interp_call(struct wasm_instance *inst, struct wasm_func_inst *func, uint64_t *args,
                      struct err *err);
bool wasm_trap(struct err *err, enum wasm_trap trap, const struct wasm_func_inst *func);
const char *wasm_trap_message(enum wasm_trap trap);

/* instance.c */
bool wasm_memory_grow(struct wasm_memory *mem, uint32_t delta, uint32_t *out_old);
bool wasm_table_grow(struct wasm_table *tab, uint32_t delta, uintptr_t init, uint32_t *out_old);
const char *wasm_func_name(const struct wasm_func_inst *func);

/* link.c: what an import resolves to. */
struct wasm_extern {
    enum wasm_extern_kind kind;
    struct wasm_func_inst *func; /* wasm function of another instance */
    const struct wasm_type *host_type; /* host function: its type, fn and user */
    wasm_host_fn *host;
    void *host_user;
    struct wasm_table *table;
    struct wasm_memory *mem;
    struct wasm_global *global;
};
bool wasm_linker_resolve(const struct wasm_linker *linker, const struct wasm_import *imp,
                         struct wasm_extern *out);
/* Exports of an instance as externs. */
bool wasm_instance_export_extern(struct wasm_instance *inst, const char *name,
                                 struct wasm_extern *out);

#endif
