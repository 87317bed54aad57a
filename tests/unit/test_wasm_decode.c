/* test_wasm_decode.c: the decoder's and validator's verdicts on hand-made
 * binaries: LEB128 edge cases, malformed framing, invalid bodies, the error
 * wording of the spec test suite and the byte offset in err->code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
