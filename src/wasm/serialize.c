/*
 * serialize.c: a module's compiled code (lower.c's output) as a
 * self-describing blob, and loading a module with its code taken from such a
 * blob instead of validating and lowering every function again (the on-disk
 * module cache of src/ops/wasm_cache.c).
 *
 * Blob layout (integers in the host's byte order, which the flavour records):
 *
 *     header, 128 bytes:
 *       0  magic "PWCODE\r\n"          8  u32 format version
 *      12  u32 header size (128)      16  engine version, 32 bytes, NUL padded
 *      48  flavour: u8 pointer size, u8 little-endian, u8 cell size,
 *          u8 dispatch (1 threaded, 0 switch; informative only)
 *      52  u32 operation count        56  u64 hash of the layout table below
 *      64  SHA-256 of the module bytes, 32 bytes
 *      96  u64 module length         104  u32 defined function count
 *     108  u32 zero                  112  u64 total cell count
 *     120  u64 payload length
 *     payload: per defined function, a 24-byte header (u32 local_slots,
 *       frame_slots, max_slots, cell_count, op_count, imm_bytes), then its
 *       operations (op_count u16 operation numbers), then its immediates
 *       (imm_bytes: each 4 or 8 bytes as its kind says, in order)
 *     trailer: u64 checksum (XXH3-64) of every byte before it
 *
 * Cells are stored position-independent: an operation as its number
 * (threaded dispatch keeps label addresses in memory; they are mapped back
 * through wasm_interp_ops()), a branch target as the index of the cell it
 * points at within its function. Which cells are which follows from each
 * operation's immediate layout, one table below. Operations and immediates
 * are kept apart so that reading an operation does not wait on decoding the
 * one before it, and indices take 4 bytes instead of a cell's 8.
 *
 * Reading trusts nothing: every header field, the checksum, every operation
 * number, immediate (local slots, function, global, table, type, segment
 * indices, SIMD lanes, stack moves) and branch target (inside its function,
 * at an operation) is checked, so a corrupt blob is refused with an error
 * instead of running. What a checksum-correct blob cannot be checked for,
 * short of validating again, is type safety (what lowering proves) and that
 * the function bodies validated (the native tier compiles from them): the
 * cache directory's ownership and permissions protect against a hostile
 * writer.
 */
#include "wasm/serialize.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>

#include "base/check.h"
#include "base/err.h"
#include "base/xalloc.h"
#include "wasm/wasm_int.h"

#define BLOB_MAGIC "PWCODE\r\n"
#define BLOB_FORMAT 3u
#define FUNC_HEADER_SIZE WASM_BLOB_FUNC_HEADER_SIZE

/* ---- immediate layouts --------------------------------------------------- */

/* What one immediate cell holds, so it can be relocated and checked. */
enum imm_kind {
    IMM_RAW = 1, /* a constant, memory offset or lane data: anything goes */
    /* Checked against one bound per function (see struct bounds). */
    IMM_LOCAL,   /* slot index of a one-slot local */
    IMM_LOCAL2,  /* slot index of a two-slot (v128) local */
    IMM_FUNC,    /* function index */
    IMM_GLOBAL,  /* global index */
    IMM_TABLE,   /* table index */
    IMM_TYPE,    /* type index */
    IMM_ELEM,    /* element segment index */
    IMM_DATA,    /* data segment index */
    IMM_BOUNDED_LAST = IMM_DATA,
    /* Checked one by one. */
    IMM_TARGET,    /* branch target: cell address in memory, index in a blob */
    IMM_LOCALS,    /* two one-slot locals in u32[0] and u32[1] */
    IMM_FUNCTABLE, /* index of a funcref table (call_indirect) */
    IMM_KEEPDROP,  /* branch stack move: keep u32[0] slots, drop u32[1] */
    IMM_RESULTS,   /* return: the function's result slots */
    IMM_SIMD,      /* SIMD sub-opcode (its two immediates follow) */
    IMM_COUNT,     /* br_table: n (n + 1 target, keep/drop pairs follow) */
    IMM_KIND_COUNT
};

/* Bytes an immediate of 'kind' takes in a blob: indices 4, the rest 8. */
static inline unsigned
imm_width(uint8_t kind)
{
    return kind == IMM_RAW || kind == IMM_KEEPDROP || kind == IMM_LOCALS ? 8 : 4;
}

enum {
    LAYOUT_KNOWN = 1,    /* the table describes this operation */
    LAYOUT_MEMORY = 2,   /* needs memory 0 */
    LAYOUT_END = 4,      /* control never falls through to the next cell */
    LAYOUT_BR_TABLE = 8, /* count n, then n + 1 (target, keep/drop) pairs */
};

struct op_layout {
    uint8_t flags;
    uint8_t count; /* immediate cells (br_table: the fixed part) */
    uint8_t imm[3];
};

#define LAY0(fl) { LAYOUT_KNOWN | (fl), 0, { 0, 0, 0 } }
#define LAY1(fl, a) { LAYOUT_KNOWN | (fl), 1, { (a), 0, 0 } }
#define LAY2(fl, a, b) { LAYOUT_KNOWN | (fl), 2, { (a), (b), 0 } }
#define LAY3(fl, a, b, c) { LAYOUT_KNOWN | (fl), 3, { (a), (b), (c) } }

/* Derived from the emit calls of lower.c and the immediate reads of interp.c. */
static const struct op_layout layouts[WASM_OP_COUNT] = {
#define NONE(name) [WASM_OP_##name] = LAY0(0),
    WASM_NUMERIC_OPS(NONE) WASM_SAT_OPS(NONE)
#undef NONE
#define MEMOP(name) [WASM_OP_##name] = LAY1(LAYOUT_MEMORY, IMM_RAW),
    WASM_MEM_OPS(MEMOP)
#undef MEMOP
    [WASM_OP_UNREACHABLE] = LAY0(LAYOUT_END),
    [WASM_OP_BR] = LAY1(LAYOUT_END, IMM_TARGET),
    [WASM_OP_BR_DROP] = LAY2(LAYOUT_END, IMM_TARGET, IMM_KEEPDROP),
    [WASM_OP_BR_IF] = LAY1(0, IMM_TARGET),
    [WASM_OP_BR_IF_DROP] = LAY2(0, IMM_TARGET, IMM_KEEPDROP),
    [WASM_OP_BR_UNLESS] = LAY1(0, IMM_TARGET),
    [WASM_OP_BR_TABLE] = LAY1(LAYOUT_END | LAYOUT_BR_TABLE, IMM_COUNT),
    [WASM_OP_RETURN] = LAY1(LAYOUT_END, IMM_RESULTS),
    [WASM_OP_LOOP] = LAY0(0),
    [WASM_OP_CALL] = LAY1(0, IMM_FUNC),
    [WASM_OP_CALL_INDIRECT] = LAY2(0, IMM_TYPE, IMM_FUNCTABLE),
    [WASM_OP_DROP] = LAY0(0),
    [WASM_OP_DROP2] = LAY0(0),
    [WASM_OP_SELECT] = LAY0(0),
    [WASM_OP_SELECT2] = LAY0(0),
    [WASM_OP_LOCAL_GET] = LAY1(0, IMM_LOCAL),
    [WASM_OP_LOCAL_SET] = LAY1(0, IMM_LOCAL),
    [WASM_OP_LOCAL_TEE] = LAY1(0, IMM_LOCAL),
    [WASM_OP_LOCAL_GET2] = LAY1(0, IMM_LOCAL2),
    [WASM_OP_LOCAL_SET2] = LAY1(0, IMM_LOCAL2),
    [WASM_OP_LOCAL_TEE2] = LAY1(0, IMM_LOCAL2),
    [WASM_OP_GLOBAL_GET] = LAY1(0, IMM_GLOBAL),
    [WASM_OP_GLOBAL_SET] = LAY1(0, IMM_GLOBAL),
    [WASM_OP_GLOBAL_GET2] = LAY1(0, IMM_GLOBAL),
    [WASM_OP_GLOBAL_SET2] = LAY1(0, IMM_GLOBAL),
    [WASM_OP_CONST] = LAY1(0, IMM_RAW),
    [WASM_OP_CONST2] = LAY2(0, IMM_RAW, IMM_RAW),
    [WASM_OP_REF_IS_NULL] = LAY0(0),
    [WASM_OP_REF_FUNC] = LAY1(0, IMM_FUNC),
    [WASM_OP_TABLE_GET] = LAY1(0, IMM_TABLE),
    [WASM_OP_TABLE_SET] = LAY1(0, IMM_TABLE),
    [WASM_OP_TABLE_SIZE] = LAY1(0, IMM_TABLE),
    [WASM_OP_TABLE_GROW] = LAY1(0, IMM_TABLE),
    [WASM_OP_TABLE_FILL] = LAY1(0, IMM_TABLE),
    [WASM_OP_TABLE_COPY] = LAY2(0, IMM_TABLE, IMM_TABLE),
    [WASM_OP_TABLE_INIT] = LAY2(0, IMM_ELEM, IMM_TABLE),
    [WASM_OP_ELEM_DROP] = LAY1(0, IMM_ELEM),
    [WASM_OP_MEMORY_SIZE] = LAY0(LAYOUT_MEMORY),
    [WASM_OP_MEMORY_GROW] = LAY0(LAYOUT_MEMORY),
    [WASM_OP_MEMORY_FILL] = LAY0(LAYOUT_MEMORY),
    [WASM_OP_MEMORY_COPY] = LAY0(LAYOUT_MEMORY),
    [WASM_OP_MEMORY_INIT] = LAY1(LAYOUT_MEMORY, IMM_DATA),
    [WASM_OP_DATA_DROP] = LAY1(0, IMM_DATA),
    [WASM_OP_V128_LOAD] = LAY1(LAYOUT_MEMORY, IMM_RAW),
    [WASM_OP_V128_STORE] = LAY1(LAYOUT_MEMORY, IMM_RAW),
    [WASM_OP_SIMD] = LAY3(0, IMM_SIMD, IMM_RAW, IMM_RAW),
    [WASM_OP_I32_EQZ_BR_IF] = LAY1(0, IMM_TARGET),
    [WASM_OP_LOCAL_SET_GET] = LAY1(0, IMM_LOCALS),
    [WASM_OP_LOCAL_TEE_BR_IF] = LAY2(0, IMM_LOCAL, IMM_TARGET),
    [WASM_OP_LOCAL_GET_SET] = LAY1(0, IMM_LOCALS),
#define FUSED(name)                                                                                \
    [WASM_OP_##name##_LL] = LAY1(0, IMM_LOCALS),                                                   \
    [WASM_OP_##name##_LC] = LAY2(0, IMM_LOCAL, IMM_RAW),                                           \
    [WASM_OP_##name##_SL] = LAY1(0, IMM_LOCAL),                                                    \
    [WASM_OP_##name##_SC] = LAY1(0, IMM_RAW),                                                      \
    [WASM_OP_##name##_LLD] = LAY2(0, IMM_LOCALS, IMM_LOCAL),                                       \
    [WASM_OP_##name##_LCD] = LAY3(0, IMM_LOCAL, IMM_RAW, IMM_LOCAL),
    WASM_BINARY_OPS(FUSED)
#undef FUSED
#define FUSED_LOAD(name) [WASM_OP_##name##_L] = LAY2(LAYOUT_MEMORY, IMM_LOCAL, IMM_RAW),
    WASM_LOAD_OPS(FUSED_LOAD)
#undef FUSED_LOAD
#define CMPBR(name)                                                                                \
    [WASM_OP_##name##_BR] = LAY1(0, IMM_TARGET),                                                   \
    [WASM_OP_##name##_LLBR] = LAY2(0, IMM_LOCALS, IMM_TARGET),                                     \
    [WASM_OP_##name##_LCBR] = LAY3(0, IMM_LOCAL, IMM_RAW, IMM_TARGET),                             \
    [WASM_OP_##name##_SLBR] = LAY2(0, IMM_LOCAL, IMM_TARGET),                                      \
    [WASM_OP_##name##_SCBR] = LAY2(0, IMM_RAW, IMM_TARGET),
    WASM_CMP_OPS(CMPBR)
#undef CMPBR
#define FUSED_STORE(name)                                                                          \
    [WASM_OP_##name##_LL] = LAY2(LAYOUT_MEMORY, IMM_LOCALS, IMM_RAW),                              \
    [WASM_OP_##name##_SC] = LAY2(LAYOUT_MEMORY, IMM_RAW, IMM_RAW),
    WASM_STORE_OPS(FUSED_STORE)
#undef FUSED_STORE
};

int
wasm_serialize_imm_count(unsigned op)
{
    if (op >= WASM_OP_COUNT || !(layouts[op].flags & LAYOUT_KNOWN))
        return -1;
    return layouts[op].count;
}

int
wasm_serialize_imm_width(unsigned op, unsigned k)
{
    if (op >= WASM_OP_COUNT || !(layouts[op].flags & LAYOUT_KNOWN))
        return -1;
    const struct op_layout *l = &layouts[op];
    if (k < l->count)
        return (int)imm_width(l->imm[k]);
    if (!(l->flags & LAYOUT_BR_TABLE))
        return -1;
    return (int)imm_width((k - l->count) % 2 == 0 ? IMM_TARGET : IMM_KEEPDROP);
}

/* ---- checksums ------------------------------------------------------------ */

/*
 * The blob's checksum is XXH3 (libxxhash): it only has to notice damage (a
 * torn write, a flipped bit), fast enough to check a blob of tens of
 * megabytes in a few milliseconds. The module's identity is its SHA-256
 * (OpenSSL).
 */
uint64_t
wasm_blob_checksum(const uint8_t *bytes, size_t len)
{
    return XXH3_64bits(bytes, len);
}

void
wasm_sha256(const uint8_t *bytes, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    if (EVP_Digest(bytes, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
        memset(out, 0, 32); /* never matches a real entry's hash: a cache miss */
}

/* ---- the header ------------------------------------------------------------- */

static bool
host_little_endian(void)
{
    uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* What must match between the build that wrote a blob and the one reading it. */
static void
flavour(uint8_t out[4])
{
    out[0] = (uint8_t)sizeof(void *);
    out[1] = host_little_endian() ? 1 : 0;
    out[2] = (uint8_t)sizeof(union wasm_cell);
    out[3] = WASM_THREADED_DISPATCH ? 1 : 0;
}

static uint64_t
layout_hash(void)
{
    return wasm_blob_checksum((const uint8_t *)layouts, sizeof(layouts));
}

static void
put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void
put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static uint32_t
get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t
get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* ---- writing ------------------------------------------------------------------- */

/* Threaded dispatch: label address -> operation number, open addressing. */
#define LABEL_SLOTS 4096u /* a power of two, well above WASM_OP_COUNT */

struct label_map {
    const void *label[LABEL_SLOTS];
    uint16_t id[LABEL_SLOTS];
};

static inline size_t
label_slot(const void *label)
{
    return (size_t)(((uint64_t)(uintptr_t)label * 0x9e3779b97f4a7c15u) >> 52) & (LABEL_SLOTS - 1);
}

/* False when two operations share a label (the map would be ambiguous). */
static bool
label_map_fill(struct label_map *map, const void *const *ops)
{
    _Static_assert(WASM_OP_COUNT < LABEL_SLOTS / 2, "LABEL_SLOTS too small");
    memset(map->label, 0, sizeof(map->label));
    for (unsigned i = 0; i < WASM_OP_COUNT; i++) {
        size_t k = label_slot(ops[i]);
        while (map->label[k]) {
            if (map->label[k] == ops[i])
                return false;
            k = (k + 1) & (LABEL_SLOTS - 1);
        }
        map->label[k] = ops[i];
        map->id[k] = (uint16_t)i;
    }
    return true;
}

/* The operation number in cell 'c' (threaded: looked up in 'map'); -1 when none. */
static inline long
op_of(const union wasm_cell *c, const struct label_map *map)
{
    if (!map)
        return c->op_id < WASM_OP_COUNT ? (long)c->op_id : -1;
    for (size_t k = label_slot(c->op); map->label[k]; k = (k + 1) & (LABEL_SLOTS - 1))
        if (map->label[k] == c->op)
            return map->id[k];
    return -1;
}

/* Append function 'code' to 'out' in blob form; returns the bytes written, 0 on failure. */
static size_t
write_func(const struct wasm_code *code, const struct label_map *map, uint16_t *op_ids,
           uint8_t *out, uint32_t func, struct err *err)
{
    const union wasm_cell *in = code->cells;
    size_t n = code->cell_count, op_count = 0;
    /* Find the operations first ('op_ids' has room for n): the immediates go after them. */
    for (size_t i = 0; i < n; op_count++) {
        long op = op_of(&in[i], map);
        op_ids[op_count] = (uint16_t)op;
        if (op < 0 || !(layouts[op].flags & LAYOUT_KNOWN))
            return err_set(err, ERR_WASM_INVALID,
                           "cannot serialize function %u: unknown operation at cell %zu", func, i),
                   0;
        size_t count = layouts[op].count;
        if ((layouts[op].flags & LAYOUT_BR_TABLE) && i + 1 < n)
            count += 2 * ((size_t)in[i + 1].u64 + 1);
        if (count > n - i - 1)
            return err_set(err, ERR_WASM_INVALID,
                           "cannot serialize function %u: operation runs past the end", func),
                   0;
        i += 1 + count;
    }
    uint8_t *ops = out + FUNC_HEADER_SIZE, *imms = ops + 2 * op_count, *ip = imms;
    size_t j = 0;
    memcpy(ops, op_ids, 2 * op_count);
    for (size_t i = 0; i < n; j++) {
        uint16_t op = op_ids[j];
        const struct op_layout *l = &layouts[op];
        size_t count = l->count, first = i + 1;
        if (l->flags & LAYOUT_BR_TABLE)
            count += 2 * ((size_t)in[first].u64 + 1);
        for (size_t k = 0; k < count; k++) {
            size_t at = first + k;
            uint8_t kind = k < l->count ? l->imm[k]
                                        : (k - l->count) % 2 == 0 ? IMM_TARGET : IMM_KEEPDROP;
            uint64_t v = in[at].u64;
            if (kind == IMM_TARGET) {
                const union wasm_cell *t = in[at].target;
                if (t < in || t >= in + n)
                    return err_set(err, ERR_WASM_INVALID,
                                   "cannot serialize function %u: branch target outside it",
                                   func),
                           0;
                v = (uint64_t)(t - in);
            }
            if (imm_width(kind) == 8) {
                put64(ip, v);
                ip += 8;
            } else {
                if (v > UINT32_MAX)
                    return err_set(err, ERR_WASM_INVALID,
                                   "cannot serialize function %u: index too large at cell %zu",
                                   func, at),
                           0;
                put32(ip, (uint32_t)v);
                ip += 4;
            }
        }
        i = first + count;
    }
    put32(out, code->local_slots);
    put32(out + 4, code->frame_slots);
    put32(out + 8, code->max_slots);
    put32(out + 12, (uint32_t)n);
    put32(out + 16, (uint32_t)op_count);
    put32(out + 20, (uint32_t)(ip - imms));
    return (size_t)(ip - out);
}

bool
wasm_module_serialize(const struct wasm_module *mod, uint8_t **out_buf, size_t *out_len,
                      struct err *err)
{
    uint8_t digest[32];
    wasm_sha256(mod->bytes, mod->len, digest);
    return wasm_module_serialize_sha(mod, digest, out_buf, out_len, err);
}

bool
wasm_module_serialize_sha(const struct wasm_module *mod, const uint8_t sha256[32],
                          uint8_t **out_buf, size_t *out_len, struct err *err)
{
    *out_buf = NULL;
    *out_len = 0;
    uint32_t defined = mod->func_count - mod->import_func_count;
    uint64_t total_cells = 0, payload = 0;
    size_t max_cells = 1;
    for (uint32_t i = 0; i < defined; i++) {
        const struct wasm_code *c = &mod->codes[i];
        if (!c->cells || c->cell_count > UINT32_MAX)
            return err_set(err, ERR_WASM_INVALID, "cannot serialize function %u",
                           mod->import_func_count + i);
        total_cells += c->cell_count;
        if (c->cell_count > max_cells)
            max_cells = c->cell_count;
        payload += FUNC_HEADER_SIZE + 8 * (uint64_t)c->cell_count; /* at most */
    }
    uint64_t size64 = WASM_BLOB_HEADER_SIZE + payload + WASM_BLOB_TRAILER_SIZE;
    if (size64 > SIZE_MAX)
        return err_set(err, ERR_LIMIT, "compiled code too large to serialize");
    size_t size = (size_t)size64;
    uint8_t *buf = try_calloc(1, size);
    uint16_t *op_ids = try_calloc(max_cells, sizeof(*op_ids));
    if (!buf || !op_ids) {
        free(buf);
        free(op_ids);
        return err_set(err, ERR_OOM, "out of memory serializing compiled code (%zu bytes)", size);
    }

    struct label_map *map = NULL;
    const void *const *ops = wasm_interp_ops();
    if (ops) {
        map = xmalloc(sizeof(*map));
        if (!label_map_fill(map, ops)) {
            free(map);
            free(buf);
            free(op_ids);
            return err_set(err, ERR_WASM_INVALID, "cannot serialize: two operations share code");
        }
    }

    memcpy(buf, BLOB_MAGIC, 8);
    put32(buf + WASM_BLOB_OFF_FORMAT, BLOB_FORMAT);
    put32(buf + 12, WASM_BLOB_HEADER_SIZE);
    strncpy((char *)buf + WASM_BLOB_OFF_ENGINE, WASM_ENGINE_VERSION, 31);
    flavour(buf + WASM_BLOB_OFF_FLAVOUR);
    put32(buf + 52, WASM_OP_COUNT);
    put64(buf + 56, layout_hash());
    memcpy(buf + WASM_BLOB_OFF_MODULE_HASH, sha256, 32);
    put64(buf + 96, mod->len);
    put32(buf + 104, defined);
    put64(buf + 112, total_cells);
    uint8_t *p = buf + WASM_BLOB_HEADER_SIZE;
    for (uint32_t i = 0; i < defined; i++) {
        size_t wrote =
            write_func(&mod->codes[i], map, op_ids, p, mod->import_func_count + i, err);
        if (!wrote) {
            free(map);
            free(buf);
            free(op_ids);
            return false;
        }
        p += wrote;
    }
    free(map);
    free(op_ids);
    put64(buf + 120, (uint64_t)(p - buf - WASM_BLOB_HEADER_SIZE));
    size = (size_t)(p - buf) + WASM_BLOB_TRAILER_SIZE;
    uint8_t *shrunk = realloc(buf, size);
    if (shrunk)
        buf = shrunk;
    put64(buf + size - WASM_BLOB_TRAILER_SIZE,
          wasm_blob_checksum(buf, size - WASM_BLOB_TRAILER_SIZE));
    *out_buf = buf;
    *out_len = size;
    return true;
}

/* ---- reading ------------------------------------------------------------------- */

struct wasm_precompiled {
    const uint8_t *pos, *end; /* the payload not consumed yet */
    uint32_t func_count;      /* defined functions in the blob */
    uint32_t next_func;       /* the one expected next */
    union wasm_cell *cells;   /* room for every function's cells (in a module code block) */
    size_t cells_left;
    const void *const *ops;   /* label table (threaded) or NULL */
    uint8_t *is_op;           /* per cell of the current function: an operation starts here */
    size_t is_op_cap;
    size_t *targets;          /* cells of the current function holding a branch target */
    size_t target_count, target_cap;
};

#define BAD(...) err_set(err, ERR_WASM_MALFORMED, "cached code: " __VA_ARGS__)

/* Check the header and checksum against 'bytes'; fills 'pc'. */
static bool
check_header(struct wasm_precompiled *pc, size_t len, const uint8_t sha256[32],
             const uint8_t *blob, size_t blob_len, struct err *err)
{
    if (blob_len < WASM_BLOB_HEADER_SIZE + WASM_BLOB_TRAILER_SIZE)
        return BAD("truncated (%zu bytes)", blob_len);
    if (memcmp(blob, BLOB_MAGIC, 8) != 0)
        return BAD("not a compiled-code blob");
    if (get32(blob + WASM_BLOB_OFF_FORMAT) != BLOB_FORMAT ||
        get32(blob + 12) != WASM_BLOB_HEADER_SIZE)
        return BAD("format version %u, this engine reads %u", get32(blob + WASM_BLOB_OFF_FORMAT),
                   BLOB_FORMAT);
    char engine[32];
    memset(engine, 0, sizeof(engine));
    strncpy(engine, WASM_ENGINE_VERSION, 31);
    if (memcmp(blob + WASM_BLOB_OFF_ENGINE, engine, 32) != 0)
        return BAD("written by another engine version (this is %s)", WASM_ENGINE_VERSION);
    uint8_t fl[4];
    flavour(fl);
    /* The dispatch kind (byte 3) does not matter: operations are stored by number. */
    if (memcmp(blob + WASM_BLOB_OFF_FLAVOUR, fl, 3) != 0 || get32(blob + 52) != WASM_OP_COUNT ||
        get64(blob + 56) != layout_hash())
        return BAD("written by a differently built engine");
    if (get64(blob + 96) != len || memcmp(blob + WASM_BLOB_OFF_MODULE_HASH, sha256, 32) != 0)
        return BAD("compiled from a different module");
    uint64_t payload = get64(blob + 120);
    if (payload != blob_len - WASM_BLOB_HEADER_SIZE - WASM_BLOB_TRAILER_SIZE)
        return BAD("truncated or padded (%zu bytes, header says %llu)", blob_len,
                   (unsigned long long)(payload + WASM_BLOB_HEADER_SIZE + WASM_BLOB_TRAILER_SIZE));
    if (wasm_blob_checksum(blob, blob_len - WASM_BLOB_TRAILER_SIZE) !=
        get64(blob + blob_len - WASM_BLOB_TRAILER_SIZE))
        return BAD("checksum mismatch");
    uint64_t funcs = get32(blob + 104), cells = get64(blob + 112);
    /* Every function takes its header and a cell of at least 2 bytes. */
    if (funcs * (FUNC_HEADER_SIZE + 2) > payload || cells > (payload - funcs * FUNC_HEADER_SIZE) / 2)
        return BAD("function or cell count does not fit the payload");
    pc->pos = blob + WASM_BLOB_HEADER_SIZE;
    pc->end = pc->pos + payload;
    pc->func_count = (uint32_t)funcs;
    pc->next_func = 0;
    pc->cells_left = (size_t)cells;
    pc->ops = wasm_interp_ops();
    return true;
}

/* Slots of the params and declared locals of defined function 'code_idx'. */
static bool
local_slots(const struct wasm_module *mod, uint32_t code_idx, uint32_t *out_locals,
            uint32_t *out_frame)
{
    const struct wasm_code *code = &mod->codes[code_idx];
    const struct wasm_type *ft = &mod->types[code->type_idx];
    struct wasm_reader r = { mod->bytes, code->body, code->body + code->body_len,
                             mod->bytes + mod->len, "code", -1 };
    uint32_t groups;
    if (!wasm_read_u32(&r, &groups, NULL))
        return false;
    uint64_t count = ft->param_count, slots = 0;
    for (uint32_t i = 0; i < groups; i++) {
        uint32_t n;
        uint8_t t;
        if (!wasm_read_u32(&r, &n, NULL) || !wasm_read_u8(&r, &t, NULL))
            return false;
        count += n;
        if (count > WASM_MAX_LOCALS)
            return false;
        slots += (uint64_t)n * wasm_slots((enum wasm_valtype)t);
    }
    *out_locals = (uint32_t)slots;
    *out_frame = (uint32_t)(slots + ft->param_slots);
    return true;
}

/* Check immediate 'v' of a kind after IMM_BOUNDED_LAST in a function with
 * 'code'; false when it is out of range. */
static bool
imm_ok(const struct wasm_module *mod, const struct wasm_code *code, uint8_t kind, uint64_t v)
{
    uint64_t lo = v & 0xffffffffu, hi = v >> 32;
    switch (kind) {
    case IMM_LOCALS:
        return lo < code->frame_slots && hi < code->frame_slots;
    case IMM_FUNCTABLE:
        return v < mod->table_count && mod->tables[v].elem == WASM_FUNCREF;
    case IMM_KEEPDROP:
        return lo + hi <= code->max_slots;
    case IMM_RESULTS:
        return v == mod->types[code->type_idx].result_slots;
    }
    return false;
}

/* SIMD: the sub-opcode at imm[0], its immediates at imm[1], imm[2]. */
static bool
simd_ok(const struct wasm_module *mod, const union wasm_cell *imm)
{
    struct wasm_simd_sig sig;
    if (imm[0].u64 > UINT32_MAX || !wasm_simd_sig((uint32_t)imm[0].u64, &sig) ||
        sig.kind == WASM_SIMD_NONE)
        return false;
    switch (sig.kind) {
    case WASM_SIMD_LOAD_LANE:
    case WASM_SIMD_STORE_LANE:
        if (imm[2].u64 >= sig.lanes)
            return false;
        /* fall through */
    case WASM_SIMD_LOAD:
    case WASM_SIMD_STORE:
        return mod->mem_count > 0;
    case WASM_SIMD_EXTRACT:
    case WASM_SIMD_REPLACE:
        return imm[2].u64 < sig.lanes;
    case WASM_SIMD_SHUFFLE: {
        uint8_t lanes[16];
        memcpy(lanes, &imm[1].u64, 8);
        memcpy(lanes + 8, &imm[2].u64, 8);
        for (int i = 0; i < 16; i++)
            if (lanes[i] >= 32)
                return false;
        return true;
    }
    default:
        return true;
    }
}

static bool
grow_targets(struct wasm_precompiled *pc)
{
    size_t cap = pc->target_cap ? 2 * pc->target_cap : 1024;
    size_t *grown = try_realloc(pc->targets, cap * sizeof(*grown));
    if (!grown)
        return false;
    pc->targets = grown;
    pc->target_cap = cap;
    return true;
}

bool
wasm_precompiled_func(struct wasm_module *mod, uint32_t code_idx, struct err *err)
{
    struct wasm_precompiled *pc = (struct wasm_precompiled *)mod->precompiled;
    uint32_t func = mod->import_func_count + code_idx;
    if (code_idx != pc->next_func || code_idx >= pc->func_count)
        return BAD("has %u functions, the module more", pc->func_count);
    if ((size_t)(pc->end - pc->pos) < FUNC_HEADER_SIZE)
        return BAD("truncated at function %u", func);
    struct wasm_code *code = &mod->codes[code_idx];
    uint32_t locals, frame;
    if (!local_slots(mod, code_idx, &locals, &frame))
        return BAD("function %u: cannot read its locals", func);
    uint32_t max_slots = get32(pc->pos + 8);
    size_t n = get32(pc->pos + 12), op_count = get32(pc->pos + 16), imm_bytes = get32(pc->pos + 20);
    if (get32(pc->pos) != locals || get32(pc->pos + 4) != frame)
        return BAD("function %u: local slots differ from the module's", func);
    if (max_slots < frame + 2 || max_slots > WASM_MAX_FUNC_SLOTS)
        return BAD("function %u: bad stack size %u", func, max_slots);
    pc->pos += FUNC_HEADER_SIZE;
    size_t left = (size_t)(pc->end - pc->pos);
    if (n == 0 || n > pc->cells_left || op_count == 0 || op_count > n ||
        op_count > left / 2 || imm_bytes > left - 2 * op_count)
        return BAD("function %u: bad cell count %zu", func, n);
    code->local_slots = locals;
    code->frame_slots = frame;
    code->max_slots = max_slots;
    union wasm_cell *cells = pc->cells;
    const uint8_t *ops = pc->pos, *ip = ops + 2 * op_count, *imm_end = ip + imm_bytes;
    if (n > pc->is_op_cap) {
        uint8_t *grown = try_realloc(pc->is_op, n);
        if (!grown)
            return err_set(err, ERR_OOM, "out of memory reading cached code");
        pc->is_op = grown;
        pc->is_op_cap = n;
    }
    memset(pc->is_op, 0, n);
    pc->target_count = 0;
    /* The bound of each bounded immediate kind in this function. */
    uint64_t bound[IMM_BOUNDED_LAST + 1] = { 0 };
    bound[IMM_LOCAL] = frame;
    bound[IMM_LOCAL2] = frame ? frame - 1 : 0;
    bound[IMM_FUNC] = mod->func_count;
    bound[IMM_GLOBAL] = mod->global_count;
    bound[IMM_TABLE] = mod->table_count;
    bound[IMM_TYPE] = mod->type_count;
    bound[IMM_ELEM] = mod->elem_count;
    /* Data segments come after the code section: the count section vouches. */
    bound[IMM_DATA] = mod->has_data_count ? mod->data_count_decl : 0;

    /* One pass rebuilds the cells from the operations and immediates,
     * checking both and relocating operations; target cells are remembered
     * and resolved once every operation start is known. */
    const struct op_layout *last = NULL;
    size_t i = 0;
    for (size_t j = 0; j < op_count; j++) {
        uint16_t op;
        memcpy(&op, ops + 2 * j, 2);
        if (op >= WASM_OP_COUNT)
            return BAD("function %u: unknown operation %u at cell %zu", func, op, i);
        const struct op_layout *l = last = &layouts[op];
        size_t first = i + 1, count = l->count;
        if (l->flags != LAYOUT_KNOWN && l->flags != (LAYOUT_KNOWN | LAYOUT_END)) {
            if (!(l->flags & LAYOUT_KNOWN))
                return BAD("function %u: unknown operation %u at cell %zu", func, op, i);
            if ((l->flags & LAYOUT_MEMORY) && mod->mem_count == 0)
                return BAD("function %u: memory operation without a memory", func);
            if (l->flags & LAYOUT_BR_TABLE) {
                if (imm_end - ip < 4 || get32(ip) >= n)
                    return BAD("function %u: bad br_table at cell %zu", func, i);
                count += 2 * ((size_t)get32(ip) + 1);
            }
        }
        if (i >= n || count > n - first)
            return BAD("function %u: operation at cell %zu runs past the end", func, i);
        pc->is_op[i] = 1;
        if (pc->ops)
            cells[i].op = pc->ops[op];
        else
            cells[i].op_id = (uintptr_t)op;
        for (size_t k = 0; k < count; k++) {
            uint8_t kind = k < l->count ? l->imm[k]
                                        : (k - l->count) % 2 == 0 ? IMM_TARGET : IMM_KEEPDROP;
            uint64_t v;
            if (imm_width(kind) == 8) {
                if (imm_end - ip < 8)
                    return BAD("function %u: immediates run short at cell %zu", func, i);
                v = get64(ip);
                ip += 8;
            } else {
                if (imm_end - ip < 4)
                    return BAD("function %u: immediates run short at cell %zu", func, i);
                v = get32(ip);
                ip += 4;
            }
            cells[first + k].u64 = v;
            if (kind == IMM_RAW || kind == IMM_COUNT)
                continue;
            if (kind <= IMM_BOUNDED_LAST) {
                if (v >= bound[kind])
                    return BAD("function %u: immediate out of range at cell %zu", func, i);
            } else if (kind == IMM_TARGET) {
                if (v >= n)
                    return BAD("function %u: branch target outside the function", func);
                if (pc->target_count == pc->target_cap && !grow_targets(pc))
                    return err_set(err, ERR_OOM, "out of memory reading cached code");
                pc->targets[pc->target_count++] = first + k;
            } else if (kind == IMM_SIMD) {
                /* The sub-opcode, then two 8-byte immediates. */
                if (k + 2 >= count || imm_end - ip < 16)
                    return BAD("function %u: bad SIMD operation at cell %zu", func, i);
                union wasm_cell imm[3];
                imm[0].u64 = v;
                memcpy(&imm[1], ip, 16);
                if (!simd_ok(mod, imm))
                    return BAD("function %u: bad SIMD operation at cell %zu", func, i);
            } else if (!imm_ok(mod, code, kind, v)) {
                return BAD("function %u: immediate out of range at cell %zu", func, i);
            }
        }
        i = first + count;
    }
    if (i != n || ip != imm_end)
        return BAD("function %u: operations and immediates do not add up to %zu cells", func, n);
    if (!last || !(last->flags & LAYOUT_END))
        return BAD("function %u: code runs off its end", func);
    /* Targets must land on operations. */
    for (size_t k = 0; k < pc->target_count; k++) {
        size_t at = pc->targets[k], t = (size_t)cells[at].u64;
        if (!pc->is_op[t])
            return BAD("function %u: branch target inside an operation", func);
        cells[at].target = cells + t;
    }
    code->cells = cells;
    code->cell_count = n;
    pc->cells += n;
    pc->cells_left -= n;
    pc->pos = imm_end;
    pc->next_func++;
    return true;
}

/* One code block for 'cells' cells (freed with free() like lower.c's): 2 MiB
 * aligned and, where the system allows, backed by huge pages, as lower.c
 * does for big modules, which saves most of the page faults. */
static struct wasm_code_block *
alloc_code_block(size_t cells)
{
    const size_t huge = (size_t)2 << 20;
    size_t bytes = sizeof(struct wasm_code_block) + cells * sizeof(union wasm_cell);
    if (bytes < huge)
        return try_malloc(bytes);
    bytes = (bytes + huge - 1) & ~(huge - 1);
    void *p = NULL;
    if (posix_memalign(&p, huge, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

struct wasm_module *
wasm_module_load_cached(const uint8_t *bytes, size_t len, const uint8_t *blob, size_t blob_len,
                        const struct wasm_limits *limits, struct err *err)
{
    uint8_t digest[32];
    wasm_sha256(bytes, len, digest);
    return wasm_module_load_cached_sha(bytes, len, digest, blob, blob_len, limits, err);
}

struct wasm_module *
wasm_module_load_cached_sha(const uint8_t *bytes, size_t len, const uint8_t sha256[32],
                            const uint8_t *blob, size_t blob_len, const struct wasm_limits *limits,
                            struct err *err)
{
    if (len > UINT32_MAX)
        return err_set(err, ERR_LIMIT, "module too large (%zu bytes)", len), NULL;
    struct wasm_precompiled pc;
    memset(&pc, 0, sizeof(pc));
    if (!blob || !check_header(&pc, len, sha256, blob, blob_len, err)) {
        if (!blob)
            BAD("no blob");
        return NULL;
    }
    struct wasm_module *mod = wasm_module_new(bytes, len, limits, err);
    if (!mod)
        return NULL;
    if (pc.cells_left) {
        struct wasm_code_block *block = alloc_code_block(pc.cells_left);
        if (!block) {
            wasm_module_discard(mod);
            err_set(err, ERR_OOM, "out of memory loading a module of %zu bytes", len);
            return NULL;
        }
        block->cap = block->used = pc.cells_left;
        block->next = NULL;
        mod->code_blocks = block;
        pc.cells = block->cells;
    }
    mod->precompiled = &pc;
    bool ok = wasm_decode(mod, err);
    mod->precompiled = NULL;
    free(pc.is_op);
    free(pc.targets);
    if (ok && (pc.next_func != pc.func_count || pc.pos != pc.end))
        ok = BAD("has %u functions, the module %u", pc.func_count, pc.next_func);
    if (!ok) {
        wasm_module_discard(mod);
        return NULL;
    }
    return mod;
}
