/*
 * test_wasm_serialize.c: the compiled-code blob (src/wasm/serialize.c).
 * A module round-trips through wasm_module_serialize and
 * wasm_module_load_cached and computes what the directly loaded one does;
 * the blob is byte-identical when written again; and every class of damage
 * is refused with an error: any flipped byte, any truncation, another engine
 * version or build, another module, and (with the checksum recomputed, as a
 * forger would) unknown operations, branch targets outside the function or
 * inside an operation, out-of-range immediates, a bad br_table, code that
 * runs off its end, and wrong slot counts. The layout table covers every
 * operation, and SHA-256 agrees with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/err.h"
#include "wasm/serialize.h"
#include "wasm/wasm.h"
#include "wasm/wasm_int.h"

#include "../support/ser_module.h"

/* (module (func (export "f") (result i32) (i32.const 42))) */
static const uint8_t small_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60,
    0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66,
    0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,
};

static uint32_t
call_i32(struct wasm_instance *inst, const char *name, const uint32_t *args, size_t n)
{
    union wasm_val a[2], r[1];
    memset(a, 0, sizeof(a));
    for (size_t i = 0; i < n; i++)
        a[i].i32 = args[i];
    struct err err = { 0 };
    assert_true(wasm_instance_call(inst, name, a, n, r, 1, &err));
    return r[0].i32;
}

/* Everything the test module computes, as one list of numbers. */
static void
results_of(struct wasm_module *mod, uint64_t out[16])
{
    struct err err = { 0 };
    struct wasm_instance_options opts = { 0 };
    struct wasm_instance *inst = wasm_instance_new(mod, NULL, &opts, &err);
    assert_non_null(inst);
    int k = 0;
    out[k++] = call_i32(inst, "fib", (uint32_t[]){ 20 }, 1);
    for (uint32_t i = 0; i < 6; i++)
        out[k++] = call_i32(inst, "sel", &i, 1);
    out[k++] = call_i32(inst, "indirect", (uint32_t[]){ 1, 21 }, 2);
    out[k++] = call_i32(inst, "mem", (uint32_t[]){ 64 }, 1);
    out[k++] = call_i32(inst, "bump", NULL, 0);
    out[k++] = call_i32(inst, "lanes", (uint32_t[]){ 5 }, 1);
    out[k++] = call_i32(inst, "multi", (uint32_t[]){ 4 }, 1);
    out[k++] = call_i32(inst, "multi", (uint32_t[]){ 0 }, 1);
    union wasm_val a = { .i32 = 100000 }, r;
    assert_true(wasm_instance_call(inst, "sum", &a, 1, &r, 1, &err));
    out[k++] = r.i64;
    /* Calling an empty table slot traps as it should. */
    union wasm_val a2[2] = { { .i32 = 3 }, { .i32 = 1 } };
    assert_false(wasm_instance_call(inst, "indirect", a2, 2, &r, 1, &err));
    out[k++] = (uint64_t)err.code;
    wasm_instance_free(inst);
    assert_int_equal(k, 15);
    out[15] = 0;
}

static void
serialize(const uint8_t *bytes, size_t len, uint8_t **blob, size_t *blob_len)
{
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(bytes, len, NULL, &err);
    assert_non_null(mod);
    assert_true(wasm_module_serialize(mod, blob, blob_len, &err));
    wasm_module_free(mod);
}

/* Load 'blob' for the test module; true when it loaded. 'msg' gets the error. */
static bool
loads(const uint8_t *blob, size_t blob_len, char *msg, size_t msg_cap)
{
    struct err err = { 0 };
    struct wasm_module *mod =
        wasm_module_load_cached(ser_wasm, sizeof(ser_wasm), blob, blob_len, NULL, &err);
    if (mod) {
        wasm_module_free(mod);
        return true;
    }
    assert_int_not_equal(err.kind, ERR_NONE);
    if (msg)
        snprintf(msg, msg_cap, "%s", err.msg);
    return false;
}

static void
reseal(uint8_t *blob, size_t len)
{
    uint64_t sum = wasm_blob_checksum(blob, len - 8);
    memcpy(blob + len - 8, &sum, 8);
}

static void
test_round_trip_computes_the_same(void **state)
{
    (void)state;
    struct err err = { 0 };
    struct wasm_module *direct = wasm_module_load(ser_wasm, sizeof(ser_wasm), NULL, &err);
    assert_non_null(direct);
    uint8_t *blob;
    size_t blob_len;
    assert_true(wasm_module_serialize(direct, &blob, &blob_len, &err));
    struct wasm_module *cached =
        wasm_module_load_cached(ser_wasm, sizeof(ser_wasm), blob, blob_len, NULL, &err);
    assert_non_null(cached);
    uint64_t want[16], got[16];
    results_of(direct, want);
    results_of(cached, got);
    assert_memory_equal(want, got, sizeof(want));
    assert_int_equal(want[0], 6765);
    assert_int_equal(want[1], 10);
    assert_int_equal(want[4], 40);
    assert_int_equal(want[5], 40);
    assert_int_equal(want[7], 42);
    assert_int_equal(want[13], 5000050000ull);
    assert_int_equal(want[14], WASM_TRAP_UNINITIALIZED_ELEM);
    /* Written again from the cached module: the same bytes. */
    uint8_t *again;
    size_t again_len;
    assert_true(wasm_module_serialize(cached, &again, &again_len, &err));
    assert_int_equal(again_len, blob_len);
    assert_memory_equal(again, blob, blob_len);
    free(again);
    free(blob);
    wasm_module_free(direct);
    wasm_module_free(cached);
}

static void
test_every_flipped_byte_is_refused(void **state)
{
    (void)state;
    uint8_t *blob;
    size_t len;
    serialize(ser_wasm, sizeof(ser_wasm), &blob, &len);
    assert_true(loads(blob, len, NULL, 0));
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            blob[i] ^= (uint8_t)(1u << bit);
            assert_false(loads(blob, len, NULL, 0));
            blob[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(blob);
}

static void
test_every_truncation_is_refused(void **state)
{
    (void)state;
    uint8_t *blob;
    size_t len;
    serialize(ser_wasm, sizeof(ser_wasm), &blob, &len);
    char msg[512];
    for (size_t n = 0; n < len; n++)
        assert_false(loads(blob, n, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "truncated"));
    /* One byte too many is refused as well. */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, blob, len);
    longer[len] = 0;
    assert_false(loads(longer, len + 1, msg, sizeof(msg)));
    free(longer);
    assert_false(loads(NULL, 0, msg, sizeof(msg)));
    free(blob);
}

static void
test_other_versions_and_builds_are_refused(void **state)
{
    (void)state;
    uint8_t *blob;
    size_t len;
    serialize(ser_wasm, sizeof(ser_wasm), &blob, &len);
    char msg[512];

    memcpy(blob + WASM_BLOB_OFF_ENGINE, "perch-wasm-0", 12);
    reseal(blob, len);
    assert_false(loads(blob, len, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "cached code: written by another engine version"));
    free(blob);

    serialize(ser_wasm, sizeof(ser_wasm), &blob, &len);
    blob[WASM_BLOB_OFF_FORMAT] ^= 3;
    reseal(blob, len);
    assert_false(loads(blob, len, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "format version"));
    free(blob);

    serialize(ser_wasm, sizeof(ser_wasm), &blob, &len);
    blob[WASM_BLOB_OFF_FLAVOUR] = 4; /* a 32-bit build */
    reseal(blob, len);
    assert_false(loads(blob, len, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "differently built engine"));
    free(blob);

    /* Not a blob at all. */
    serialize(ser_wasm, sizeof(ser_wasm), &blob, &len);
    blob[0] = 'X';
    assert_false(loads(blob, len, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "not a compiled-code blob"));
    free(blob);
}

static void
test_another_modules_blob_is_refused(void **state)
{
    (void)state;
    uint8_t *blob;
    size_t len;
    serialize(small_wasm, sizeof(small_wasm), &blob, &len);
    char msg[512];
    assert_false(loads(blob, len, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "compiled from a different module"));
    /* Even with the module hash forged, the code does not fit this module. */
    uint8_t digest[32];
    wasm_sha256(ser_wasm, sizeof(ser_wasm), digest);
    memcpy(blob + WASM_BLOB_OFF_MODULE_HASH, digest, 32);
    uint64_t mlen = sizeof(ser_wasm);
    memcpy(blob + 96, &mlen, 8);
    reseal(blob, len);
    assert_false(loads(blob, len, msg, sizeof(msg)));
    free(blob);
}

/* A function record of a blob, and where each of its cells is stored
 * (operations take 2 bytes, immediates 4 or 8). */
#define MAX_CELLS 1024
struct rec {
    size_t header; /* offset of its header */
    uint32_t count;
    size_t off[MAX_CELLS];
    uint8_t width[MAX_CELLS];
};

static uint64_t
get_n(const uint8_t *p, unsigned width)
{
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    switch (width) {
    case 2: memcpy(&v16, p, 2); return v16;
    case 4: memcpy(&v32, p, 4); return v32;
    default: memcpy(&v64, p, 8); return v64;
    }
}

static size_t
records(const uint8_t *blob, size_t len, struct rec *out, size_t cap)
{
    size_t at = WASM_BLOB_HEADER_SIZE, n = 0;
    while (at + WASM_BLOB_FUNC_HEADER_SIZE <= len - 8 && n < cap) {
        struct rec *r = &out[n++];
        uint32_t ops, imm_bytes;
        memcpy(&r->count, blob + at + 12, 4);
        memcpy(&ops, blob + at + 16, 4);
        memcpy(&imm_bytes, blob + at + 20, 4);
        assert_true(r->count <= MAX_CELLS);
        r->header = at;
        size_t op_at = at + WASM_BLOB_FUNC_HEADER_SIZE, ip = op_at + 2 * (size_t)ops;
        size_t i = 0;
        for (uint32_t j = 0; j < ops; j++) {
            unsigned op = (unsigned)get_n(blob + op_at + 2 * j, 2);
            r->off[i] = op_at + 2 * j;
            r->width[i] = 2;
            int count = wasm_serialize_imm_count(op);
            assert_true(count >= 0);
            size_t total = (size_t)count;
            if (op == WASM_OP_BR_TABLE)
                total += 2 * (get_n(blob + ip, 4) + 1);
            for (size_t k = 0; k < total; k++) {
                int w = wasm_serialize_imm_width(op, (unsigned)k);
                assert_true(w == 4 || w == 8);
                r->off[i + 1 + k] = ip;
                r->width[i + 1 + k] = (uint8_t)w;
                ip += (size_t)w;
            }
            i += 1 + total;
        }
        assert_int_equal(i, r->count);
        assert_int_equal(ip, op_at + 2 * (size_t)ops + imm_bytes);
        at = ip;
    }
    assert_int_equal(at, len - 8);
    return n;
}

static uint64_t
cell(const uint8_t *blob, const struct rec *r, size_t i)
{
    assert_true(i < r->count);
    return get_n(blob + r->off[i], r->width[i]);
}

static void
set_cell(uint8_t *blob, const struct rec *r, size_t i, uint64_t v)
{
    assert_true(i < r->count);
    uint16_t v16 = (uint16_t)v;
    uint32_t v32 = (uint32_t)v;
    switch (r->width[i]) {
    case 2: memcpy(blob + r->off[i], &v16, 2); break;
    case 4: memcpy(blob + r->off[i], &v32, 4); break;
    default: memcpy(blob + r->off[i], &v, 8); break;
    }
}

/* The first operation 'op' in any function: its record and cell index. */
static bool
find_op(const uint8_t *blob, const struct rec *r, size_t nrec, unsigned op, size_t *out_rec,
        size_t *out_cell)
{
    for (size_t f = 0; f < nrec; f++)
        for (size_t i = 0; i < r[f].count; i++)
            if (r[f].width[i] == 2 && cell(blob, &r[f], i) == op) {
                *out_rec = f;
                *out_cell = i;
                return true;
            }
    return false;
}

/* Apply 'damage' to a fresh blob, reseal it and expect 'want' in the error. */
static void
expect_refused(void (*damage)(uint8_t *, const struct rec *, size_t), const char *want)
{
    uint8_t *blob;
    size_t len;
    serialize(ser_wasm, sizeof(ser_wasm), &blob, &len);
    static struct rec r[16];
    size_t n = records(blob, len, r, 16);
    damage(blob, r, n);
    reseal(blob, len);
    char msg[512] = "";
    if (loads(blob, len, msg, sizeof(msg)))
        fail_msg("loaded although damaged (wanted \"%s\")", want);
    if (!strstr(msg, want))
        fail_msg("expected \"%s\" in \"%s\"", want, msg);
    free(blob);
}

static void
dmg_unknown_op(uint8_t *b, const struct rec *r, size_t n)
{
    (void)n;
    set_cell(b, &r[0], 0, WASM_OP_COUNT + 3);
}

static void
dmg_target_outside(uint8_t *b, const struct rec *r, size_t n)
{
    size_t f = 0, i = 0;
    assert_true(find_op(b, r, n, WASM_OP_BR_TABLE, &f, &i));
    set_cell(b, &r[f], i + 2, r[f].count); /* its first target */
}

static void
dmg_target_inside(uint8_t *b, const struct rec *r, size_t n)
{
    size_t f = 0, i = 0;
    assert_true(find_op(b, r, n, WASM_OP_BR_TABLE, &f, &i));
    set_cell(b, &r[f], i + 2, i + 1); /* its own count cell */
}

static void
dmg_br_table_count(uint8_t *b, const struct rec *r, size_t n)
{
    size_t f = 0, i = 0;
    assert_true(find_op(b, r, n, WASM_OP_BR_TABLE, &f, &i));
    set_cell(b, &r[f], i + 1, 0xffffffffu);
}

static void
dmg_call_index(uint8_t *b, const struct rec *r, size_t n)
{
    size_t f = 0, i = 0;
    assert_true(find_op(b, r, n, WASM_OP_CALL, &f, &i));
    set_cell(b, &r[f], i + 1, 999);
}

static void
dmg_call_indirect_table(uint8_t *b, const struct rec *r, size_t n)
{
    size_t f = 0, i = 0;
    assert_true(find_op(b, r, n, WASM_OP_CALL_INDIRECT, &f, &i));
    set_cell(b, &r[f], i + 2, 1);
}

static void
dmg_global_index(uint8_t *b, const struct rec *r, size_t n)
{
    size_t f = 0, i = 0;
    assert_true(find_op(b, r, n, WASM_OP_GLOBAL_GET, &f, &i));
    set_cell(b, &r[f], i + 1, 1);
}

static void
dmg_v128_local(uint8_t *b, const struct rec *r, size_t n)
{
    size_t f = 0, i = 0;
    assert_true(find_op(b, r, n, WASM_OP_LOCAL_GET2, &f, &i));
    uint32_t frame;
    memcpy(&frame, b + r[f].header + 4, 4);
    set_cell(b, &r[f], i + 1, frame - 1); /* its second slot would be outside */
}

static void
dmg_return_slots(uint8_t *b, const struct rec *r, size_t n)
{
    (void)n;
    set_cell(b, &r[0], r[0].count - 1, 7); /* fib's final return: 1 result slot */
}

static void
dmg_runs_off_end(uint8_t *b, const struct rec *r, size_t n)
{
    (void)n;
    /* fib's final "return 1" becomes "call 1": valid, but no return at the end. */
    set_cell(b, &r[0], r[0].count - 2, WASM_OP_CALL);
}

static void
dmg_simd_lane(uint8_t *b, const struct rec *r, size_t n)
{
    /* The i32x4.replace_lane (sub-opcode 28): lane 2 becomes 200. */
    for (size_t f = 0; f < n; f++)
        for (size_t i = 0; i + 3 < r[f].count; i++)
            if (r[f].width[i] == 2 && cell(b, &r[f], i) == WASM_OP_SIMD &&
                cell(b, &r[f], i + 1) == 28 && cell(b, &r[f], i + 3) == 2) {
                set_cell(b, &r[f], i + 3, 200);
                return;
            }
    fail_msg("no i32x4.replace_lane in the compiled code");
}

static void
dmg_local_slots(uint8_t *b, const struct rec *r, size_t n)
{
    (void)n;
    uint32_t v = 9;
    memcpy(b + r[0].header, &v, 4);
}

static void
dmg_stack_size(uint8_t *b, const struct rec *r, size_t n)
{
    (void)n;
    uint32_t v = 0x7fffffff;
    memcpy(b + r[0].header + 8, &v, 4);
}

static void
dmg_cell_count(uint8_t *b, const struct rec *r, size_t n)
{
    (void)n;
    uint32_t v = r[0].count + 1000;
    memcpy(b + r[0].header + 12, &v, 4);
}

static void
dmg_op_count(uint8_t *b, const struct rec *r, size_t n)
{
    (void)n;
    uint32_t v;
    memcpy(&v, b + r[0].header + 16, 4);
    v -= 1;
    memcpy(b + r[0].header + 16, &v, 4);
}

static void
dmg_imm_bytes(uint8_t *b, const struct rec *r, size_t n)
{
    (void)n;
    uint32_t v;
    memcpy(&v, b + r[0].header + 20, 4);
    v -= 4;
    memcpy(b + r[0].header + 20, &v, 4);
}

static void
test_forged_code_is_refused(void **state)
{
    (void)state;
    expect_refused(dmg_unknown_op, "unknown operation");
    expect_refused(dmg_target_outside, "branch target outside the function");
    expect_refused(dmg_target_inside, "branch target inside an operation");
    expect_refused(dmg_br_table_count, "bad br_table");
    expect_refused(dmg_call_index, "immediate out of range");
    expect_refused(dmg_call_indirect_table, "immediate out of range");
    expect_refused(dmg_global_index, "immediate out of range");
    expect_refused(dmg_v128_local, "immediate out of range");
    expect_refused(dmg_return_slots, "immediate out of range");
    expect_refused(dmg_runs_off_end, "runs off its end");
    expect_refused(dmg_simd_lane, "bad SIMD operation");
    expect_refused(dmg_local_slots, "local slots differ");
    expect_refused(dmg_stack_size, "bad stack size");
    expect_refused(dmg_cell_count, "bad cell count");
    expect_refused(dmg_op_count, "cached code: function 0: ");
    expect_refused(dmg_imm_bytes, "cached code: function 0: ");
}

static void
test_layout_table_covers_every_operation(void **state)
{
    (void)state;
    for (unsigned op = 0; op < WASM_OP_COUNT; op++)
        if (wasm_serialize_imm_count(op) < 0)
            fail_msg("operation %u has no entry in serialize.c's layout table", op);
    assert_int_equal(wasm_serialize_imm_count(WASM_OP_COUNT), -1);
    assert_int_equal(wasm_serialize_imm_count(WASM_OP_CALL), 1);
    assert_int_equal(wasm_serialize_imm_count(WASM_OP_BR_DROP), 2);
    assert_int_equal(wasm_serialize_imm_count(WASM_OP_SIMD), 3);
}

static void
test_module_without_functions(void **state)
{
    (void)state;
    static const uint8_t empty[] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
    uint8_t *blob;
    size_t len;
    serialize(empty, sizeof(empty), &blob, &len);
    assert_int_equal(len, WASM_BLOB_HEADER_SIZE + WASM_BLOB_TRAILER_SIZE);
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load_cached(empty, sizeof(empty), blob, len, NULL, &err);
    assert_non_null(mod);
    wasm_module_free(mod);
    /* The small module's blob does not fit a module without code. */
    free(blob);
    serialize(small_wasm, sizeof(small_wasm), &blob, &len);
    assert_null(wasm_module_load_cached(small_wasm, sizeof(small_wasm) - 1, blob, len, NULL, &err));
    free(blob);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_computes_the_same),
        cmocka_unit_test(test_every_flipped_byte_is_refused),
        cmocka_unit_test(test_every_truncation_is_refused),
        cmocka_unit_test(test_other_versions_and_builds_are_refused),
        cmocka_unit_test(test_another_modules_blob_is_refused),
        cmocka_unit_test(test_forged_code_is_refused),
        cmocka_unit_test(test_layout_table_covers_every_operation),
        cmocka_unit_test(test_module_without_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
