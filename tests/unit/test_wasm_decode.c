/* test_wasm_decode.c: the decoder's and validator's verdicts on hand-made
 * binaries: LEB128 edge cases, malformed framing, invalid bodies, the error
 * wording of the spec test suite and the byte offset in err->code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/err.h"
#include "wasm/wasm.h"
#include "wasm/wasm_int.h"

#define HEADER 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

/* Load 'len' bytes expecting failure of 'kind' with a message starting with 'msg'. */
static void
expect_error(const uint8_t *bytes, size_t len, enum err_kind kind, const char *msg)
{
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(bytes, len, NULL, &err);
    if (mod)
        fail_msg("module loaded; expected '%s'", msg);
    if (err.kind != kind || strncmp(err.msg, msg, strlen(msg)) != 0)
        fail_msg("expected %s '%s', got %s '%s'", err_kind_name(kind), msg,
                 err_kind_name(err.kind), err.msg);
}

static void
expect_ok(const uint8_t *bytes, size_t len)
{
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(bytes, len, NULL, &err);
    if (!mod)
        fail_msg("load failed: %s", err.msg);
    wasm_module_free(mod);
}

static bool
read_u32(const uint8_t *bytes, size_t len, uint32_t *out, struct err *err)
{
    struct wasm_reader r = { bytes, bytes, bytes + len, bytes + len, "type", -1 };
    return wasm_read_u32(&r, out, err);
}

static void
test_leb_u32(void **state)
{
    (void)state;
    struct err err = { 0 };
    uint32_t v;
    static const uint8_t max5[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
    assert_true(read_u32(max5, sizeof(max5), &v, &err));
    assert_int_equal(v, 0xffffffffu);
    static const uint8_t padded_zero[] = { 0x80, 0x80, 0x80, 0x80, 0x00 };
    assert_true(read_u32(padded_zero, sizeof(padded_zero), &v, &err));
    assert_int_equal(v, 0);
    static const uint8_t too_large[] = { 0xff, 0xff, 0xff, 0xff, 0x1f };
    assert_false(read_u32(too_large, sizeof(too_large), &v, &err));
    assert_int_equal(err.kind, ERR_WASM_MALFORMED);
    assert_non_null(strstr(err.msg, "integer too large"));
    assert_int_equal(err.code, 4);
    err_clear(&err);
    static const uint8_t too_long[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
    assert_false(read_u32(too_long, sizeof(too_long), &v, &err));
    assert_non_null(strstr(err.msg, "integer representation too long"));
    err_clear(&err);
    static const uint8_t cut[] = { 0x80, 0x80 };
    assert_false(read_u32(cut, sizeof(cut), &v, &err));
    assert_non_null(strstr(err.msg, "unexpected end"));
}

static void
test_leb_signed(void **state)
{
    (void)state;
    struct err err = { 0 };
    int32_t v;
    static const uint8_t minus_one[] = { 0x7f };
    struct wasm_reader r = { minus_one, minus_one, minus_one + 1, minus_one + 1, NULL, -1 };
    assert_true(wasm_read_s32(&r, &v, &err));
    assert_int_equal(v, -1);
    /* INT32_MIN in five bytes: the unused bits of the last byte copy the sign. */
    static const uint8_t min5[] = { 0x80, 0x80, 0x80, 0x80, 0x78 };
    r = (struct wasm_reader){ min5, min5, min5 + 5, min5 + 5, NULL, -1 };
    assert_true(wasm_read_s32(&r, &v, &err));
    assert_int_equal(v, INT32_MIN);
    static const uint8_t bad_sign[] = { 0x80, 0x80, 0x80, 0x80, 0x70 };
    r = (struct wasm_reader){ bad_sign, bad_sign, bad_sign + 5, bad_sign + 5, NULL, -1 };
    assert_false(wasm_read_s32(&r, &v, &err));
    assert_non_null(strstr(err.msg, "integer too large"));
    err_clear(&err);
    int64_t w;
    static const uint8_t min10[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f };
    r = (struct wasm_reader){ min10, min10, min10 + 10, min10 + 10, NULL, -1 };
    assert_true(wasm_read_s64(&r, &w, &err));
    assert_true(w == INT64_MIN);
}

static void
test_framing_errors(void **state)
{
    (void)state;
    static const uint8_t empty[] = { 0 };
    expect_error(empty, 0, ERR_WASM_MALFORMED, "unexpected end");
    static const uint8_t bad_magic[] = { 0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00 };
    expect_error(bad_magic, sizeof(bad_magic), ERR_WASM_MALFORMED, "magic header not detected");
    static const uint8_t bad_version[] = { 0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00 };
    expect_error(bad_version, sizeof(bad_version), ERR_WASM_MALFORMED, "unknown binary version");
    static const uint8_t bad_id[] = { HEADER, 0x0d, 0x00 };
    expect_error(bad_id, sizeof(bad_id), ERR_WASM_MALFORMED, "malformed section id");
    static const uint8_t long_section[] = { HEADER, 0x01, 0x10, 0x00 };
    expect_error(long_section, sizeof(long_section), ERR_WASM_MALFORMED, "length out of bounds");
    /* Type section declaring 4 bytes but holding a 3-byte type and junk. */
    static const uint8_t mismatch[] = { HEADER, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00 };
    expect_error(mismatch, sizeof(mismatch), ERR_WASM_MALFORMED, "section size mismatch");
    /* Two type sections. */
    static const uint8_t order[] = { HEADER, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00 };
    expect_error(order, sizeof(order), ERR_WASM_MALFORMED, "unexpected content after last section");
    /* A function section without a code section. */
    static const uint8_t no_code[] = { HEADER, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                                       0x03, 0x02, 0x01, 0x00 };
    expect_error(no_code, sizeof(no_code), ERR_WASM_MALFORMED,
                 "function and code section have inconsistent lengths");
    /* An import name that is not UTF-8. */
    static const uint8_t bad_utf8[] = { HEADER, 0x02, 0x07, 0x01, 0x01, 0xff, 0x01, 0x61,
                                        0x03, 0x7f, 0x00 };
    expect_error(bad_utf8, sizeof(bad_utf8), ERR_WASM_MALFORMED, "malformed UTF-8 encoding");
}

/* A module with one function of type [] -> [] and the given body (locals included). */
static void
expect_body(const uint8_t *body, size_t body_len, enum err_kind kind, const char *msg)
{
    uint8_t buf[256];
    static const uint8_t head[] = { HEADER, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                                    0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01 };
    size_t n = 0;
    memcpy(buf, head, sizeof(head));
    n = sizeof(head);
    buf[n++] = 0x0a;
    buf[n++] = (uint8_t)(body_len + 2);
    buf[n++] = 0x01;
    buf[n++] = (uint8_t)body_len;
    memcpy(buf + n, body, body_len);
    n += body_len;
    if (msg)
        expect_error(buf, n, kind, msg);
    else
        expect_ok(buf, n);
}

static void
test_validation_errors(void **state)
{
    (void)state;
    /* i32.const 1; i64.const 2; i32.add */
    static const uint8_t mismatch[] = { 0x00, 0x41, 0x01, 0x42, 0x02, 0x6a, 0x1a, 0x0b };
    expect_body(mismatch, sizeof(mismatch), ERR_WASM_INVALID, "type mismatch");
    static const uint8_t bad_local[] = { 0x00, 0x20, 0x00, 0x1a, 0x0b };
    expect_body(bad_local, sizeof(bad_local), ERR_WASM_INVALID, "unknown local");
    static const uint8_t bad_call[] = { 0x00, 0x10, 0x05, 0x0b };
    expect_body(bad_call, sizeof(bad_call), ERR_WASM_INVALID, "unknown function");
    static const uint8_t bad_label[] = { 0x00, 0x0c, 0x01, 0x0b };
    expect_body(bad_label, sizeof(bad_label), ERR_WASM_INVALID, "unknown label");
    /* i32.const 0; i32.load align=2^3 */
    static const uint8_t align[] = { 0x00, 0x41, 0x00, 0x28, 0x03, 0x00, 0x1a, 0x0b };
    expect_body(align, sizeof(align), ERR_WASM_INVALID,
                "alignment must not be larger than natural");
    static const uint8_t illegal[] = { 0x00, 0xff, 0x0b };
    expect_body(illegal, sizeof(illegal), ERR_WASM_MALFORMED, "illegal opcode");
    /* 2^32-1 locals, then 2 more: too many. */
    static const uint8_t locals[] = { 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x02, 0x7f, 0x0b };
    expect_body(locals, sizeof(locals), ERR_WASM_MALFORMED, "too many locals");
    static const uint8_t no_end[] = { 0x00, 0x01 };
    expect_body(no_end, sizeof(no_end), ERR_WASM_MALFORMED, "unexpected end");
    /* data.drop without a data count section. */
    static const uint8_t data_drop[] = { 0x00, 0xfc, 0x09, 0x00, 0x0b };
    expect_body(data_drop, sizeof(data_drop), ERR_WASM_INVALID, "unknown data segment");
    /* Unreachable code is still validated, with a polymorphic stack. */
    static const uint8_t unreachable_ok[] = { 0x00, 0x00, 0x6a, 0x1a, 0x0b };
    expect_body(unreachable_ok, sizeof(unreachable_ok), ERR_NONE, NULL);
    static const uint8_t unreachable_bad[] = { 0x00, 0x00, 0x42, 0x00, 0x6a, 0x1a, 0x0b };
    expect_body(unreachable_bad, sizeof(unreachable_bad), ERR_WASM_INVALID, "type mismatch");
}

static void
test_error_location(void **state)
{
    (void)state;
    static const uint8_t body[] = { 0x00, 0x41, 0x01, 0x42, 0x02, 0x6a, 0x1a, 0x0b };
    uint8_t buf[64];
    static const uint8_t head[] = { HEADER, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                                    0x03, 0x02, 0x01, 0x00, 0x0a, 0x0a, 0x01, 0x08 };
    memcpy(buf, head, sizeof(head));
    memcpy(buf + sizeof(head), body, sizeof(body));
    struct err err = { 0 };
    assert_null(wasm_module_load(buf, sizeof(head) + sizeof(body), NULL, &err));
    /* The i32.add is at offset len(head) + 5. */
    assert_int_equal(err.code, (int)sizeof(head) + 5);
    assert_string_equal(err.msg, "type mismatch (section code, function 0, at offset 0x1b)");
}

static void
test_duplicate_export_and_limits(void **state)
{
    (void)state;
    /* memory 1; export "m" memory 0 twice */
    static const uint8_t dup[] = { HEADER, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x09, 0x02,
                                   0x01, 0x6d, 0x02, 0x00, 0x01, 0x6d, 0x02, 0x00 };
    expect_error(dup, sizeof(dup), ERR_WASM_INVALID, "duplicate export name");
    static const uint8_t two_mems[] = { HEADER, 0x05, 0x05, 0x02, 0x00, 0x01, 0x00, 0x01 };
    expect_error(two_mems, sizeof(two_mems), ERR_WASM_INVALID, "multiple memories");
    static const uint8_t big_mem[] = { HEADER, 0x05, 0x05, 0x01, 0x00, 0x81, 0x80, 0x04 };
    expect_error(big_mem, sizeof(big_mem), ERR_WASM_INVALID,
                 "memory size must be at most 65536 pages (4GiB)");
    /* global i32 = global.get 0 where global 0 is not imported */
    static const uint8_t const_expr[] = { HEADER, 0x06, 0x0b, 0x02, 0x7f, 0x00, 0x41, 0x00, 0x0b,
                                          0x7f, 0x00, 0x01, 0x0b, 0x0b };
    expect_error(const_expr, sizeof(const_expr), ERR_WASM_INVALID, "constant expression required");
}

/* Flipping bytes of a valid module must never crash: every outcome is a clean error or a module. */
static void
test_mutations_do_not_crash(void **state)
{
    (void)state;
    static const uint8_t base[] = { HEADER, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
                                    0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01,
                                    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
                                    0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00,
                                    0x41, 0x01, 0x6a, 0x0f, 0x0b };
    expect_ok(base, sizeof(base));
    uint8_t buf[sizeof(base)];
    unsigned seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(buf, base, sizeof(base));
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = 8 + (seed >> 8) % (sizeof(base) - 8);
            seed = seed * 1103515245u + 12345u;
            buf[pos] = (uint8_t)(seed >> 16);
        }
        struct err err = { 0 };
        struct wasm_module *mod = wasm_module_load(buf, sizeof(buf), NULL, &err);
        if (!mod) {
            assert_true(err.kind == ERR_WASM_MALFORMED || err.kind == ERR_WASM_INVALID);
            continue;
        }
        struct wasm_instance *inst = wasm_instance_new(mod, NULL, NULL, &err);
        if (inst) {
            union wasm_val a = { .i32 = (uint32_t)iter * 977u }, r;
            err_clear(&err);
            wasm_instance_call(inst, "f", &a, 1, &r, 1, &err);
            wasm_instance_free(inst);
        }
        wasm_module_free(mod);
    }
}

/* ---- lowering on several threads ------------------------------------------ */

struct bytes {
    uint8_t *p;
    size_t len, cap;
};

static void
put(struct bytes *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void
put_byte(struct bytes *b, uint8_t v)
{
    put(b, &v, 1);
}

static void
put_uleb(struct bytes *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        put_byte(b, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}

static void
put_sleb(struct bytes *b, int64_t v)
{
    for (;;) {
        uint8_t c = v & 0x7f;
        v >>= 7;
        if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
            put_byte(b, c);
            return;
        }
        put_byte(b, (uint8_t)(c | 0x80));
    }
}

/* What body 'i' of a generated module holds. */
enum body_kind {
    BODY_VALID,
    BODY_TYPE_MISMATCH,   /* i32.add of an i64 */
    BODY_UNKNOWN_LOCAL,   /* local.get 9 */
    BODY_DATA_DROP,       /* data.drop 0, valid with a data count section */
    BODY_CUT,             /* the body's size runs past the end of the section */
};

/* A valid body: locals, a counted loop, branches, calls, loads, stores and a
 * br_table; 'pad' more constant-drop pairs make it longer. */
static void
put_valid_body(struct bytes *b, uint32_t i, uint32_t count, unsigned pad)
{
    struct bytes body = { 0 };
    static const uint8_t locals[] = { 0x02, 0x02, 0x7f, 0x01, 0x7e };
    put(&body, locals, sizeof(locals));
    put_byte(&body, 0x41); /* i32.const: loop count */
    put_sleb(&body, (int64_t)(i * 2654435761u % 70000u) - 35000);
    static const uint8_t loop[] = {
        0x21, 0x00,                   /* local.set 0 */
        0x02, 0x40, 0x03, 0x40,       /* block loop */
        0x20, 0x00, 0x41, 0x01, 0x6b, /* local.get 0 i32.const 1 i32.sub */
        0x22, 0x00, 0x45, 0x0d, 0x01, /* local.tee 0 i32.eqz br_if 1 */
        0x20, 0x00, 0x20, 0x01, 0x6a, 0x21, 0x01, /* local1 += local0 */
        0x20, 0x00, 0x28, 0x02, 0x10, /* i32.load offset=16 */
        0x20, 0x01, 0x36, 0x02, 0x04, /* i32.store offset=4 (value local 1) */
        0x20, 0x00, 0x0e, 0x02, 0x00, 0x01, 0x00, /* br_table 0 1 0 */
        0x0b, 0x0b,                   /* end end */
        0x42, 0x05, 0x21, 0x02,       /* i64.const 5 local.set 2 */
    };
    put(&body, loop, sizeof(loop));
    if (i + 1 < count) {
        put_byte(&body, 0x10); /* call i+1 */
        put_uleb(&body, i + 1);
    }
    for (unsigned k = 0; k < pad; k++) {
        put_byte(&body, 0x41);
        put_sleb(&body, (int64_t)(k * 7919u + i));
        put_byte(&body, 0x1a);
    }
    put_byte(&body, 0x0b);
    put_uleb(b, body.len);
    put(b, body.p, body.len);
    free(body.p);
}

/* A module of 'count' functions of type [] -> [] with one memory, a data
 * count section when 'data_count', and body i of kind kinds[i] (NULL: all
 * valid). */
static struct bytes
gen_module(uint32_t count, const uint8_t *kinds, bool data_count, unsigned pad)
{
    struct bytes m = { 0 };
    static const uint8_t head[] = { HEADER, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00 };
    put(&m, head, sizeof(head));
    struct bytes funcs = { 0 };
    put_uleb(&funcs, count);
    for (uint32_t i = 0; i < count; i++)
        put_byte(&funcs, 0x00);
    put_byte(&m, 0x03);
    put_uleb(&m, funcs.len);
    put(&m, funcs.p, funcs.len);
    free(funcs.p);
    static const uint8_t memory[] = { 0x05, 0x03, 0x01, 0x00, 0x01 };
    put(&m, memory, sizeof(memory));
    if (data_count) {
        static const uint8_t dc[] = { 0x0c, 0x01, 0x01 };
        put(&m, dc, sizeof(dc));
    }
    struct bytes code = { 0 };
    put_uleb(&code, count);
    for (uint32_t i = 0; i < count; i++) {
        enum body_kind kind = kinds ? (enum body_kind)kinds[i] : BODY_VALID;
        static const uint8_t mismatch[] = { 0x06, 0x00, 0x41, 0x01, 0x42, 0x02, 0x6a, 0x0b };
        static const uint8_t local[] = { 0x04, 0x00, 0x20, 0x09, 0x0b };
        static const uint8_t drop[] = { 0x05, 0x00, 0xfc, 0x09, 0x00, 0x0b };
        switch (kind) {
        case BODY_VALID: put_valid_body(&code, i, count, pad); break;
        case BODY_TYPE_MISMATCH: put(&code, mismatch, sizeof(mismatch)); break;
        case BODY_UNKNOWN_LOCAL: put(&code, local, sizeof(local)); break;
        case BODY_DATA_DROP: put(&code, drop, sizeof(drop)); break;
        case BODY_CUT: put_uleb(&code, 1u << 30); break;
        }
        if (kind == BODY_CUT)
            break;
    }
    put_byte(&m, 0x0a);
    put_uleb(&m, code.len);
    put(&m, code.p, code.len);
    free(code.p);
    /* One passive data segment. */
    static const uint8_t data[] = { 0x0b, 0x04, 0x01, 0x01, 0x01, 0x2a };
    put(&m, data, sizeof(data));
    return m;
}

/* Load 'm' on 'threads' threads (0: the automatic choice). */
static struct wasm_module *
load_with(const struct bytes *m, unsigned threads, struct err *err)
{
    wasm_lower_set_threads(threads);
    struct wasm_module *mod = wasm_module_load(m->p, m->len, NULL, err);
    wasm_lower_set_threads(0);
    return mod;
}

/* The two modules' internal code is the same, branch targets compared as
 * positions within their function. */
static void
assert_same_code(const struct wasm_module *a, const struct wasm_module *b)
{
    assert_int_equal(a->func_count, b->func_count);
    for (uint32_t i = 0; i < a->func_count - a->import_func_count; i++) {
        const struct wasm_code *ca = &a->codes[i], *cb = &b->codes[i];
        assert_int_equal(ca->cell_count, cb->cell_count);
        assert_int_equal(ca->max_slots, cb->max_slots);
        assert_int_equal(ca->frame_slots, cb->frame_slots);
        for (size_t k = 0; k < ca->cell_count; k++) {
            const union wasm_cell *ta = ca->cells[k].target, *tb = cb->cells[k].target;
            bool in_a = ta >= ca->cells && ta <= ca->cells + ca->cell_count;
            bool in_b = tb >= cb->cells && tb <= cb->cells + cb->cell_count;
            assert_int_equal(in_a, in_b);
            if (in_a)
                assert_int_equal(ta - ca->cells, tb - cb->cells);
            else
                assert_int_equal(ca->cells[k].u64, cb->cells[k].u64);
        }
    }
}

static void
test_parallel_same_code(void **state)
{
    (void)state;
    struct bytes m = gen_module(3000, NULL, false, 8);
    assert_true(m.len > 256u << 10); /* over the automatic threshold */
    struct err err = { 0 };
    struct wasm_module *seq = load_with(&m, 1, &err);
    if (!seq)
        fail_msg("load failed: %s", err.msg);
    static const unsigned threads[] = { 0, 2, 3, 8 };
    for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
        struct wasm_module *par = load_with(&m, threads[t], &err);
        if (!par)
            fail_msg("load on %u threads failed: %s", threads[t], err.msg);
        assert_same_code(seq, par);
        struct wasm_instance *inst = wasm_instance_new(par, NULL, NULL, &err);
        assert_non_null(inst);
        wasm_instance_free(inst);
        wasm_module_free(par);
    }
    wasm_module_free(seq);
    free(m.p);
}

/* Loading on any number of threads reports what loading in order reports. */
static void
expect_same_error(const struct bytes *m, const char *want_prefix)
{
    struct err seq = { 0 };
    assert_null(load_with(m, 1, &seq));
    if (strncmp(seq.msg, want_prefix, strlen(want_prefix)) != 0)
        fail_msg("in order: expected '%s...', got '%s'", want_prefix, seq.msg);
    static const unsigned threads[] = { 0, 2, 3, 4, 8 };
    for (int rep = 0; rep < 5; rep++) {
        for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
            struct err par = { 0 };
            assert_null(load_with(m, threads[t], &par));
            assert_int_equal(par.kind, seq.kind);
            assert_int_equal(par.code, seq.code);
            if (strcmp(par.msg, seq.msg) != 0)
                fail_msg("%u threads: '%s', in order: '%s'", threads[t], par.msg, seq.msg);
        }
    }
}

static void
test_parallel_lowest_error(void **state)
{
    (void)state;
    enum { N = 3000 };
    uint8_t kinds[N];
    memset(kinds, BODY_VALID, sizeof(kinds));
    /* Several invalid bodies: the lowest index is reported. */
    kinds[2999] = BODY_TYPE_MISMATCH;
    kinds[1700] = BODY_UNKNOWN_LOCAL;
    kinds[1501] = BODY_TYPE_MISMATCH;
    struct bytes m = gen_module(N, kinds, false, 8);
    expect_same_error(&m, "type mismatch (section code, function 1501,");
    free(m.p);
    /* The first body, and the last. */
    kinds[0] = BODY_UNKNOWN_LOCAL;
    m = gen_module(N, kinds, false, 8);
    expect_same_error(&m, "unknown local 9 (section code, function 0,");
    free(m.p);
    memset(kinds, BODY_VALID, sizeof(kinds));
    kinds[N - 1] = BODY_TYPE_MISMATCH;
    m = gen_module(N, kinds, false, 8);
    expect_same_error(&m, "type mismatch (section code, function 2999,");
    free(m.p);
}

static void
test_parallel_framing_error(void **state)
{
    (void)state;
    enum { N = 3000 };
    uint8_t kinds[N];
    memset(kinds, BODY_VALID, sizeof(kinds));
    /* A body running past the section: reported when the bodies before it are valid... */
    kinds[2500] = BODY_CUT;
    struct bytes m = gen_module(N, kinds, false, 8);
    expect_same_error(&m, "unexpected end of section or function (section code, at offset");
    free(m.p);
    /* ...and an invalid body before it comes first. */
    kinds[2000] = BODY_TYPE_MISMATCH;
    m = gen_module(N, kinds, false, 8);
    expect_same_error(&m, "type mismatch (section code, function 2000,");
    free(m.p);
}

static void
test_parallel_data_count(void **state)
{
    (void)state;
    enum { N = 3000 };
    uint8_t kinds[N];
    memset(kinds, BODY_VALID, sizeof(kinds));
    kinds[2800] = BODY_DATA_DROP;
    kinds[1234] = BODY_DATA_DROP;
    kinds[2100] = BODY_DATA_DROP;
    /* Without a data count section: the first data.drop is named. */
    struct bytes m = gen_module(N, kinds, false, 8);
    expect_same_error(&m, "data count section required (section code, at offset");
    struct err err = { 0 };
    assert_null(load_with(&m, 4, &err));
    /* The data.drop of body 1234 is its third byte; find it. */
    const uint8_t drop[] = { 0x05, 0x00, 0xfc, 0x09, 0x00, 0x0b };
    const uint8_t *first = NULL;
    for (size_t k = 0; k + sizeof(drop) <= m.len && !first; k++)
        if (memcmp(m.p + k, drop, sizeof(drop)) == 0)
            first = m.p + k;
    assert_non_null(first);
    assert_int_equal(err.code, (int)(first + 2 - m.p));
    free(m.p);
    /* With one, the module loads. */
    m = gen_module(N, kinds, true, 8);
    struct wasm_module *mod = load_with(&m, 4, &err);
    if (!mod)
        fail_msg("load failed: %s", err.msg);
    wasm_module_free(mod);
    free(m.p);
}

/* A module with one function and 'count' exports of it named "e0", "e1", ...,
 * except that export 'dup_at' (when < count) repeats the name of export 'dup_of'.
 * *name_at: where export dup_at's name starts. */
static struct bytes
gen_exports(uint32_t count, uint32_t dup_at, uint32_t dup_of, size_t *name_at)
{
    struct bytes m = { 0 };
    static const uint8_t head[] = { HEADER, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                                    0x03, 0x02, 0x01, 0x00 };
    put(&m, head, sizeof(head));
    struct bytes ex = { 0 };
    put_uleb(&ex, count);
    size_t at = 0;
    for (uint32_t i = 0; i < count; i++) {
        char name[16];
        int len = snprintf(name, sizeof(name), "e%u", i == dup_at ? dup_of : i);
        if (i == dup_at)
            at = ex.len;
        put_uleb(&ex, (uint64_t)len);
        put(&ex, name, (size_t)len);
        put_byte(&ex, 0x00); /* function 0 */
        put_byte(&ex, 0x00);
    }
    put_byte(&m, 0x07);
    put_uleb(&m, ex.len);
    *name_at = m.len + at;
    put(&m, ex.p, ex.len);
    free(ex.p);
    static const uint8_t code[] = { 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b };
    put(&m, code, sizeof(code));
    return m;
}

static void
test_many_exports(void **state)
{
    (void)state;
    size_t at;
    /* 50,000 distinct names: accepted (a pairwise check would take seconds). */
    struct bytes m = gen_exports(50000, UINT32_MAX, 0, &at);
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(m.p, m.len, NULL, &err);
    if (!mod)
        fail_msg("load failed: %s", err.msg);
    assert_int_equal(wasm_module_export_count(mod), 50000);
    wasm_module_free(mod);
    free(m.p);
    /* A repeated name is reported where the repeat starts, whichever it repeats. */
    static const uint32_t cases[][2] = { { 1, 0 }, { 49999, 0 }, { 30000, 29999 }, { 777, 12 } };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        m = gen_exports(50000, cases[c][0], cases[c][1], &at);
        err_clear(&err);
        assert_null(wasm_module_load(m.p, m.len, NULL, &err));
        assert_int_equal(err.kind, ERR_WASM_INVALID);
        assert_non_null(strstr(err.msg, "duplicate export name"));
        assert_int_equal(err.code, (int)at);
        free(m.p);
    }
}

static void
test_lower_thread_count(void **state)
{
    (void)state;
    /* Small sections and single bodies stay on the loading thread. */
    assert_int_equal(wasm_lower_thread_count(100u << 10, 5000), 1);
    assert_int_equal(wasm_lower_thread_count(64u << 20, 1), 1);
    /* Large ones get at most 8 threads, and at least 64 KiB of code each. */
    unsigned n = wasm_lower_thread_count(64u << 20, 100000);
    assert_true(n >= 1 && n <= 8);
    assert_true(wasm_lower_thread_count(300u << 10, 100000) <= 4);
    /* A forced count applies to any size, capped by the number of bodies. */
    wasm_lower_set_threads(3);
    assert_int_equal(wasm_lower_thread_count(100, 2), 2);
    assert_int_equal(wasm_lower_thread_count(100, 50), 3);
    assert_int_equal(wasm_lower_thread_count(100, 1), 1);
    wasm_lower_set_threads(0);
    assert_int_equal(wasm_lower_thread_count(100u << 10, 5000), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leb_u32),
        cmocka_unit_test(test_leb_signed),
        cmocka_unit_test(test_framing_errors),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_error_location),
        cmocka_unit_test(test_duplicate_export_and_limits),
        cmocka_unit_test(test_mutations_do_not_crash),
        cmocka_unit_test(test_parallel_same_code),
        cmocka_unit_test(test_parallel_lowest_error),
        cmocka_unit_test(test_parallel_framing_error),
        cmocka_unit_test(test_parallel_data_count),
        cmocka_unit_test(test_many_exports),
        cmocka_unit_test(test_lower_thread_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
