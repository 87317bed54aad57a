/* test_wasm_exec.c: running modules through the engine API: results, float
 * semantics, traps with function names, call depth exhaustion, host
 * functions, memory growth limits, linking instances, and interrupting an
 * infinite loop from another thread. The modules are compiled from the WAT
 * in the comments (wat2wasm --debug-names). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>

#include "base/err.h"
#include "wasm/wasm.h"

/*
 * (module
 *   (import "env" "add3" (func $add3 (param i32 i32 i32) (result i32)))
 *   (import "env" "fail" (func $fail))
 *   (memory (export "memory") 1 2)
 *   (global $g (export "counter") (mut i32) (i32.const 7))
 *   (func $fib (export "fib") (param i32) (result i32)
 *     (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
 *       (then (local.get 0))
 *       (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
 *                      (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
 *   (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 *   (func $boom (export "boom") unreachable)
 *   (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
 *   (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
 *   (func $rec (export "recurse") (param i32) (result i32) (call $rec (i32.add (local.get 0) (i32.const 1))))
 *   (func (export "spin") (loop $l (br $l)))
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *   (func (export "call_host") (param i32) (result i32)
 *     (call $add3 (local.get 0) (i32.const 10) (i32.load (i32.const 0))))
 *   (func (export "call_fail") (call $fail))
 *   (func (export "fmin") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
 *   (func (export "nearest") (param f32) (result f32) (f32.nearest (local.get 0)))
 *   (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
 *   (func (export "trunc_sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
 *   (func (export "multi") (param i64) (result i64 i32) (local.get 0) (i32.wrap_i64 (local.get 0)))
 *   (func (export "sum") (param i32) (result i64) (local i64)
 *     (block $done (loop $l
 *       (br_if $done (i32.eqz (local.get 0)))
 *       (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
 *       (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
 *       (br $l)))
 *     (local.get 1))
 *   (func (export "bump") (global.set $g (i32.add (global.get $g) (i32.const 1))))
 * )
 */
static const uint8_t exec_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x36, 0x0a, 0x60,
    0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f,
    0x00, 0x60, 0x02, 0x7c, 0x7c, 0x01, 0x7c, 0x60, 0x01, 0x7d, 0x01, 0x7d,
    0x60, 0x01, 0x7c, 0x01, 0x7f, 0x60, 0x01, 0x7e, 0x02, 0x7e, 0x7f, 0x60,
    0x01, 0x7f, 0x01, 0x7e, 0x02, 0x17, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x04,
    0x61, 0x64, 0x64, 0x33, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x66,
    0x61, 0x69, 0x6c, 0x00, 0x01, 0x03, 0x12, 0x11, 0x02, 0x03, 0x01, 0x02,
    0x04, 0x02, 0x01, 0x02, 0x02, 0x01, 0x05, 0x06, 0x07, 0x07, 0x08, 0x09,
    0x01, 0x05, 0x04, 0x01, 0x01, 0x01, 0x02, 0x06, 0x06, 0x01, 0x7f, 0x01,
    0x41, 0x07, 0x0b, 0x07, 0xa0, 0x01, 0x13, 0x06, 0x6d, 0x65, 0x6d, 0x6f,
    0x72, 0x79, 0x02, 0x00, 0x07, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x65, 0x72,
    0x03, 0x00, 0x03, 0x66, 0x69, 0x62, 0x00, 0x02, 0x03, 0x64, 0x69, 0x76,
    0x00, 0x03, 0x04, 0x62, 0x6f, 0x6f, 0x6d, 0x00, 0x04, 0x04, 0x6c, 0x6f,
    0x61, 0x64, 0x00, 0x05, 0x05, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x00, 0x06,
    0x07, 0x72, 0x65, 0x63, 0x75, 0x72, 0x73, 0x65, 0x00, 0x07, 0x04, 0x73,
    0x70, 0x69, 0x6e, 0x00, 0x08, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x09,
    0x09, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x0a,
    0x09, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x66, 0x61, 0x69, 0x6c, 0x00, 0x0b,
    0x04, 0x66, 0x6d, 0x69, 0x6e, 0x00, 0x0c, 0x07, 0x6e, 0x65, 0x61, 0x72,
    0x65, 0x73, 0x74, 0x00, 0x0d, 0x05, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x00,
    0x0e, 0x09, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x73, 0x61, 0x74, 0x00,
    0x0f, 0x05, 0x6d, 0x75, 0x6c, 0x74, 0x69, 0x00, 0x10, 0x03, 0x73, 0x75,
    0x6d, 0x00, 0x11, 0x04, 0x62, 0x75, 0x6d, 0x70, 0x00, 0x12, 0x0a, 0xb8,
    0x01, 0x11, 0x1c, 0x00, 0x20, 0x00, 0x41, 0x02, 0x49, 0x04, 0x7f, 0x20,
    0x00, 0x05, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x02, 0x20, 0x00, 0x41,
    0x02, 0x6b, 0x10, 0x02, 0x6a, 0x0b, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20,
    0x01, 0x6d, 0x0b, 0x03, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28,
    0x02, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0x36, 0x02, 0x00,
    0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x07, 0x0b, 0x07,
    0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x40,
    0x00, 0x0b, 0x0d, 0x00, 0x20, 0x00, 0x41, 0x0a, 0x41, 0x00, 0x28, 0x02,
    0x00, 0x10, 0x00, 0x0b, 0x04, 0x00, 0x10, 0x01, 0x0b, 0x07, 0x00, 0x20,
    0x00, 0x20, 0x01, 0xa4, 0x0b, 0x05, 0x00, 0x20, 0x00, 0x90, 0x0b, 0x05,
    0x00, 0x20, 0x00, 0xaa, 0x0b, 0x06, 0x00, 0x20, 0x00, 0xfc, 0x02, 0x0b,
    0x07, 0x00, 0x20, 0x00, 0x20, 0x00, 0xa7, 0x0b, 0x22, 0x01, 0x01, 0x7e,
    0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x45, 0x0d, 0x01, 0x20, 0x01, 0x20,
    0x00, 0xad, 0x7c, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00,
    0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b, 0x09, 0x00, 0x23, 0x00, 0x41,
    0x01, 0x6a, 0x24, 0x00, 0x0b, 0x00, 0x53, 0x04, 0x6e, 0x61, 0x6d, 0x65,
    0x01, 0x1d, 0x05, 0x00, 0x04, 0x61, 0x64, 0x64, 0x33, 0x01, 0x04, 0x66,
    0x61, 0x69, 0x6c, 0x02, 0x03, 0x66, 0x69, 0x62, 0x04, 0x04, 0x62, 0x6f,
    0x6f, 0x6d, 0x07, 0x03, 0x72, 0x65, 0x63, 0x02, 0x27, 0x13, 0x00, 0x00,
    0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00,
    0x07, 0x00, 0x08, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x0b, 0x00, 0x0c, 0x00,
    0x0d, 0x00, 0x0e, 0x00, 0x0f, 0x00, 0x10, 0x00, 0x11, 0x00, 0x12, 0x00,
    0x07, 0x04, 0x01, 0x00, 0x01, 0x67,
};

/*
 * (module
 *   (memory (export "mem") 1)
 *   (table (export "tab") 2 funcref)
 *   (global (export "g") (mut i32) (i32.const 5))
 *   (func $seven (export "seven") (result i32) (i32.const 7))
 *   (elem (i32.const 0) $seven)
 *   (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0))))
 */
static const uint8_t link_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60,
    0x00, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00,
    0x01, 0x04, 0x04, 0x01, 0x70, 0x00, 0x02, 0x05, 0x03, 0x01, 0x00, 0x01,
    0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x05, 0x0b, 0x07, 0x20, 0x05, 0x03,
    0x6d, 0x65, 0x6d, 0x02, 0x00, 0x03, 0x74, 0x61, 0x62, 0x01, 0x00, 0x01,
    0x67, 0x03, 0x00, 0x05, 0x73, 0x65, 0x76, 0x65, 0x6e, 0x00, 0x00, 0x04,
    0x70, 0x65, 0x65, 0x6b, 0x00, 0x01, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00,
    0x0b, 0x01, 0x00, 0x0a, 0x0e, 0x02, 0x04, 0x00, 0x41, 0x07, 0x0b, 0x07,
    0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b,
};

/*
 * (module
 *   (import "a" "mem" (memory 1))
 *   (import "a" "tab" (table 2 funcref))
 *   (import "a" "g" (global $g (mut i32)))
 *   (import "a" "seven" (func $seven (result i32)))
 *   (type $t (func (result i32)))
 *   (data (i32.const 3) "\2a")
 *   (func (export "via_table") (result i32) (call_indirect (type $t) (i32.const 0)))
 *   (func (export "missing") (result i32) (call_indirect (type $t) (i32.const 1)))
 *   (func (export "get_g") (result i32) (global.get $g))
 *   (func (export "set_g") (param i32) (global.set $g (local.get 0)))
 *   (func (export "direct") (result i32) (call $seven)))
 */
static const uint8_t link2_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60,
    0x00, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x02, 0x25, 0x04, 0x01, 0x61,
    0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x01, 0x61, 0x03, 0x74, 0x61,
    0x62, 0x01, 0x70, 0x00, 0x02, 0x01, 0x61, 0x01, 0x67, 0x03, 0x7f, 0x01,
    0x01, 0x61, 0x05, 0x73, 0x65, 0x76, 0x65, 0x6e, 0x00, 0x00, 0x03, 0x06,
    0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x30, 0x05, 0x09, 0x76, 0x69,
    0x61, 0x5f, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x00, 0x01, 0x07, 0x6d, 0x69,
    0x73, 0x73, 0x69, 0x6e, 0x67, 0x00, 0x02, 0x05, 0x67, 0x65, 0x74, 0x5f,
    0x67, 0x00, 0x03, 0x05, 0x73, 0x65, 0x74, 0x5f, 0x67, 0x00, 0x04, 0x06,
    0x64, 0x69, 0x72, 0x65, 0x63, 0x74, 0x00, 0x05, 0x0a, 0x22, 0x05, 0x07,
    0x00, 0x41, 0x00, 0x11, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x41, 0x01, 0x11,
    0x00, 0x00, 0x0b, 0x04, 0x00, 0x23, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00,
    0x24, 0x00, 0x0b, 0x04, 0x00, 0x10, 0x00, 0x0b, 0x0b, 0x07, 0x01, 0x00,
    0x41, 0x03, 0x0b, 0x01, 0x2a,
};

/*
 * (module
 *   (func (export "add4") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
 *   (func (export "dot") (param v128 v128) (result i32)
 *     (local $p v128)
 *     (local.set $p (i32x4.mul (local.get 0) (local.get 1)))
 *     (i32.add (i32.add (i32x4.extract_lane 0 (local.get $p)) (i32x4.extract_lane 1 (local.get $p)))
 *              (i32.add (i32x4.extract_lane 2 (local.get $p)) (i32x4.extract_lane 3 (local.get $p)))))
 *   (func (export "fmin") (param v128 v128) (result v128) (f32x4.min (local.get 0) (local.get 1))))
 */
static const uint8_t simd_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0d, 0x02, 0x60,
    0x02, 0x7b, 0x7b, 0x01, 0x7b, 0x60, 0x02, 0x7b, 0x7b, 0x01, 0x7f, 0x03,
    0x04, 0x03, 0x00, 0x01, 0x00, 0x07, 0x15, 0x03, 0x04, 0x61, 0x64, 0x64,
    0x34, 0x00, 0x00, 0x03, 0x64, 0x6f, 0x74, 0x00, 0x01, 0x04, 0x66, 0x6d,
    0x69, 0x6e, 0x00, 0x02, 0x0a, 0x3a, 0x03, 0x09, 0x00, 0x20, 0x00, 0x20,
    0x01, 0xfd, 0xae, 0x01, 0x0b, 0x24, 0x01, 0x01, 0x7b, 0x20, 0x00, 0x20,
    0x01, 0xfd, 0xb5, 0x01, 0x21, 0x02, 0x20, 0x02, 0xfd, 0x1b, 0x00, 0x20,
    0x02, 0xfd, 0x1b, 0x01, 0x6a, 0x20, 0x02, 0xfd, 0x1b, 0x02, 0x20, 0x02,
    0xfd, 0x1b, 0x03, 0x6a, 0x6a, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01,
    0xfd, 0xe8, 0x01, 0x0b,
};

static int host_calls;

static bool
host_add3(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
          struct err *err)
{
    (void)err;
    host_calls++;
    assert_ptr_equal(user, &host_calls);
    uint64_t size;
    assert_non_null(wasm_call_memory(call, &size));
    assert_int_equal(size, 65536);
    assert_true(wasm_call_mem_check(call, 65532, 4));
    assert_false(wasm_call_mem_check(call, 65533, 4));
    results[0].i32 = args[0].i32 + args[1].i32 + args[2].i32;
    return true;
}

static bool
host_fail(struct wasm_call *call, const union wasm_val *args, union wasm_val *results, void *user,
          struct err *err)
{
    (void)call;
    (void)args;
    (void)results;
    (void)user;
    return err_set_code(err, ERR_WASM_EXIT, 3, "exit with status 3");
}

struct fixture {
    struct wasm_module *mod;
    struct wasm_linker *linker;
    struct wasm_instance *inst;
};

static int
setup(void **state)
{
    static const enum wasm_valtype three_i32[] = { WASM_I32, WASM_I32, WASM_I32 };
    static const enum wasm_valtype one_i32[] = { WASM_I32 };
    struct fixture *f = calloc(1, sizeof(*f));
    struct err err = { 0 };
    struct wasm_limits limits = { .max_call_depth = 500 };
    f->mod = wasm_module_load(exec_wasm, sizeof(exec_wasm), &limits, &err);
    assert_non_null(f->mod);
    f->linker = wasm_linker_new();
    struct wasm_functype add3 = { 3, 1, three_i32, one_i32 };
    struct wasm_functype none = { 0, 0, NULL, NULL };
    assert_true(wasm_linker_define_func(f->linker, "env", "add3", &add3, host_add3, &host_calls,
                                        &err));
    assert_true(wasm_linker_define_func(f->linker, "env", "fail", &none, host_fail, NULL, &err));
    f->inst = wasm_instance_new(f->mod, f->linker, NULL, &err);
    assert_non_null(f->inst);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    wasm_instance_free(f->inst);
    wasm_linker_free(f->linker);
    wasm_module_free(f->mod);
    free(f);
    return 0;
}

static uint32_t
call_i32(struct wasm_instance *inst, const char *name, uint32_t arg)
{
    struct err err = { 0 };
    union wasm_val a = { .i32 = arg }, r = { 0 };
    assert_true(wasm_instance_call(inst, name, &a, 1, &r, 1, &err));
    return r.i32;
}

static void
test_fib_and_loops(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(call_i32(f->inst, "fib", 20), 6765);
    struct err err = { 0 };
    union wasm_val a = { .i32 = 100000 }, r = { 0 };
    assert_true(wasm_instance_call(f->inst, "sum", &a, 1, &r, 1, &err));
    assert_true(r.i64 == 5000050000ull);
}

static void
test_multi_value_and_globals(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    union wasm_val a = { .i64 = 0x1234567890ull }, r[2];
    assert_true(wasm_instance_call(f->inst, "multi", &a, 1, r, 2, &err));
    assert_true(r[0].i64 == 0x1234567890ull);
    assert_int_equal(r[1].i32, 0x34567890u);
    assert_true(wasm_instance_call(f->inst, "bump", NULL, 0, NULL, 0, &err));
    union wasm_val g;
    enum wasm_valtype t;
    assert_true(wasm_instance_global_get(f->inst, "counter", &g, &t, &err));
    assert_int_equal(t, WASM_I32);
    assert_int_equal(g.i32, 8);
}

static void
test_float_semantics(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    union wasm_val a[2], r;
    a[0].f64 = -0.0;
    a[1].f64 = 0.0;
    assert_true(wasm_instance_call(f->inst, "fmin", a, 2, &r, 1, &err));
    assert_true(r.f64 == 0.0 && signbit(r.f64));
    a[0].f64 = NAN;
    a[1].f64 = 1.0;
    assert_true(wasm_instance_call(f->inst, "fmin", a, 2, &r, 1, &err));
    assert_true(isnan(r.f64));
    a[0].f32 = 2.5f;
    assert_true(wasm_instance_call(f->inst, "nearest", a, 1, &r, 1, &err));
    assert_true(r.f32 == 2.0f);
    a[0].f32 = -3.5f;
    assert_true(wasm_instance_call(f->inst, "nearest", a, 1, &r, 1, &err));
    assert_true(r.f32 == -4.0f);
    a[0].f64 = 3e9;
    assert_false(wasm_instance_call(f->inst, "trunc", a, 1, &r, 1, &err));
    assert_int_equal(err.kind, ERR_WASM_TRAP);
    assert_int_equal(err.code, WASM_TRAP_INT_OVERFLOW);
    err_clear(&err);
    a[0].f64 = NAN;
    assert_false(wasm_instance_call(f->inst, "trunc", a, 1, &r, 1, &err));
    assert_int_equal(err.code, WASM_TRAP_INVALID_CONVERSION);
    err_clear(&err);
    a[0].f64 = 3e9;
    assert_true(wasm_instance_call(f->inst, "trunc_sat", a, 1, &r, 1, &err));
    assert_int_equal(r.i32, 0x7fffffff);
}

static void
test_traps_name_the_function(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    union wasm_val a[2] = { { .i32 = 1 }, { .i32 = 0 } }, r;
    assert_false(wasm_instance_call(f->inst, "div", a, 2, &r, 1, &err));
    assert_int_equal(err.kind, ERR_WASM_TRAP);
    assert_int_equal(err.code, WASM_TRAP_DIV_ZERO);
    assert_non_null(strstr(err.msg, "integer divide by zero"));
    err_clear(&err);
    a[0].i32 = 0x80000000u;
    a[1].i32 = 0xffffffffu;
    assert_false(wasm_instance_call(f->inst, "div", a, 2, &r, 1, &err));
    assert_int_equal(err.code, WASM_TRAP_INT_OVERFLOW);
    err_clear(&err);
    assert_false(wasm_instance_call(f->inst, "boom", NULL, 0, NULL, 0, &err));
    assert_int_equal(err.code, WASM_TRAP_UNREACHABLE);
    assert_string_equal(err.msg, "unreachable (in function 4 'boom')");
    /* The instance stays usable after a trap. */
    assert_int_equal(call_i32(f->inst, "fib", 10), 55);
}

static void
test_memory_bounds(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    union wasm_val a[2] = { { .i32 = 65532 }, { .i32 = 0xdeadbeef } }, r;
    assert_true(wasm_instance_call(f->inst, "store", a, 2, NULL, 0, &err));
    assert_int_equal(call_i32(f->inst, "load", 65532), 0xdeadbeef);
    a[0].i32 = 65533;
    assert_false(wasm_instance_call(f->inst, "load", a, 1, &r, 1, &err));
    assert_int_equal(err.code, WASM_TRAP_MEMORY_OOB);
    err_clear(&err);
    a[0].i32 = 0xffffffffu;
    assert_false(wasm_instance_call(f->inst, "store", a, 2, NULL, 0, &err));
    assert_int_equal(err.code, WASM_TRAP_MEMORY_OOB);
    err_clear(&err);
    uint8_t buf[4];
    assert_true(wasm_instance_memory_read(f->inst, 65532, buf, 4, &err));
    assert_int_equal(buf[0], 0xef);
    assert_false(wasm_instance_memory_write(f->inst, 65535, buf, 2, &err));
    assert_int_equal(err.code, WASM_TRAP_MEMORY_OOB);
}

static void
test_memory_grow_honours_max(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(call_i32(f->inst, "grow", 1), 1);
    assert_int_equal(call_i32(f->inst, "grow", 1), 0xffffffffu); /* max is 2 pages */
    uint64_t size;
    assert_non_null(wasm_instance_memory(f->inst, &size));
    assert_int_equal(size, 2 * 65536);
    assert_int_equal(call_i32(f->inst, "load", 2 * 65536 - 4), 0);
}

static void
test_call_depth_exhaustion(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    union wasm_val a = { .i32 = 0 }, r;
    assert_false(wasm_instance_call(f->inst, "recurse", &a, 1, &r, 1, &err));
    assert_int_equal(err.kind, ERR_WASM_EXHAUSTION);
    assert_int_equal(err.code, WASM_TRAP_STACK_EXHAUSTED);
    assert_int_equal(call_i32(f->inst, "fib", 5), 5);
}

static void
test_host_functions(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    union wasm_val a[2] = { { .i32 = 0 }, { .i32 = 100 } };
    assert_true(wasm_instance_call(f->inst, "store", a, 2, NULL, 0, &err));
    host_calls = 0;
    assert_int_equal(call_i32(f->inst, "call_host", 5), 115);
    assert_int_equal(host_calls, 1);
    /* A failing host function's error comes back exactly as it set it. */
    assert_false(wasm_instance_call(f->inst, "call_fail", NULL, 0, NULL, 0, &err));
    assert_int_equal(err.kind, ERR_WASM_EXIT);
    assert_int_equal(err.code, 3);
    assert_string_equal(err.msg, "exit with status 3");
}

static void
test_bad_calls(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    assert_false(wasm_instance_call(f->inst, "nope", NULL, 0, NULL, 0, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    err_clear(&err);
    assert_false(wasm_instance_call(f->inst, "fib", NULL, 0, NULL, 0, &err));
    assert_int_equal(err.kind, ERR_TYPE);
}

static void
test_unknown_import(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    assert_null(wasm_instance_new(f->mod, NULL, NULL, &err));
    assert_int_equal(err.kind, ERR_WASM_UNLINKABLE);
    assert_non_null(strstr(err.msg, "unknown import 'env.add3'"));
    err_clear(&err);
    struct wasm_linker *lnk = wasm_linker_new();
    static const enum wasm_valtype i64[] = { WASM_I64 };
    struct wasm_functype wrong = { 1, 1, i64, i64 };
    assert_true(wasm_linker_define_func(lnk, "env", "add3", &wrong, host_add3, NULL, &err));
    assert_null(wasm_instance_new(f->mod, lnk, NULL, &err));
    assert_int_equal(err.kind, ERR_WASM_UNLINKABLE);
    assert_non_null(strstr(err.msg, "incompatible import type"));
    wasm_linker_free(lnk);
}

struct spin_arg {
    struct wasm_instance *inst;
};

static void *
interrupter(void *p)
{
    struct spin_arg *arg = p;
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    wasm_instance_interrupt(arg->inst);
    return NULL;
}

static void
test_interrupt_infinite_loop(void **state)
{
    struct fixture *f = *state;
    struct spin_arg arg = { f->inst };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, interrupter, &arg), 0);
    struct err err = { 0 };
    assert_false(wasm_instance_call(f->inst, "spin", NULL, 0, NULL, 0, &err));
    pthread_join(th, NULL);
    assert_int_equal(err.kind, ERR_WASM_TRAP);
    assert_int_equal(err.code, WASM_TRAP_INTERRUPTED);
    /* The instance's own flag is cleared once the trap is delivered. */
    assert_int_equal(call_i32(f->inst, "fib", 6), 8);
}

static void
test_shared_interrupt_flag(void **state)
{
    struct fixture *f = *state;
    atomic_int flag;
    atomic_init(&flag, 1);
    struct wasm_instance_options opts = { .interrupt = &flag };
    struct err err = { 0 };
    struct wasm_instance *inst = wasm_instance_new(f->mod, f->linker, &opts, &err);
    assert_non_null(inst);
    assert_false(wasm_instance_call(inst, "spin", NULL, 0, NULL, 0, &err));
    assert_int_equal(err.code, WASM_TRAP_INTERRUPTED);
    wasm_instance_free(inst);
}

static void
test_linking_shares_state(void **state)
{
    (void)state;
    struct err err = { 0 };
    struct wasm_module *m1 = wasm_module_load(link_wasm, sizeof(link_wasm), NULL, &err);
    struct wasm_module *m2 = wasm_module_load(link2_wasm, sizeof(link2_wasm), NULL, &err);
    assert_non_null(m1);
    assert_non_null(m2);
    struct wasm_instance *a = wasm_instance_new(m1, NULL, NULL, &err);
    assert_non_null(a);
    struct wasm_linker *lnk = wasm_linker_new();
    assert_true(wasm_linker_define_instance(lnk, "a", a, &err));
    struct wasm_instance *b = wasm_instance_new(m2, lnk, NULL, &err);
    assert_non_null(b);
    /* b's data segment wrote into a's memory. */
    assert_int_equal(call_i32(a, "peek", 3), 42);
    union wasm_val r, arg = { .i32 = 99 };
    assert_true(wasm_instance_call(b, "via_table", NULL, 0, &r, 1, &err));
    assert_int_equal(r.i32, 7);
    assert_true(wasm_instance_call(b, "direct", NULL, 0, &r, 1, &err));
    assert_int_equal(r.i32, 7);
    assert_false(wasm_instance_call(b, "missing", NULL, 0, &r, 1, &err));
    assert_int_equal(err.code, WASM_TRAP_UNINITIALIZED_ELEM);
    err_clear(&err);
    assert_true(wasm_instance_call(b, "set_g", &arg, 1, NULL, 0, &err));
    union wasm_val g;
    assert_true(wasm_instance_global_get(a, "g", &g, NULL, &err));
    assert_int_equal(g.i32, 99);
    wasm_instance_free(b);
    wasm_linker_free(lnk);
    wasm_instance_free(a);
    /* Modules may be freed before or after their instances. */
    wasm_module_free(m2);
    wasm_module_free(m1);
}

static void
test_simd_values_cross_the_api(void **state)
{
    (void)state;
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(simd_wasm, sizeof(simd_wasm), NULL, &err);
    assert_non_null(mod);
    struct wasm_instance *inst = wasm_instance_new(mod, NULL, NULL, &err);
    assert_non_null(inst);
    union wasm_val a[2], r;
    uint32_t x[4] = { 1, 2, 3, 0xffffffffu }, y[4] = { 10, 20, 30, 2 };
    memcpy(a[0].v128, x, 16);
    memcpy(a[1].v128, y, 16);
    assert_true(wasm_instance_call(inst, "add4", a, 2, &r, 1, &err));
    uint32_t sum[4];
    memcpy(sum, r.v128, 16);
    assert_int_equal(sum[0], 11);
    assert_int_equal(sum[2], 33);
    assert_int_equal(sum[3], 1);
    assert_true(wasm_instance_call(inst, "dot", a, 2, &r, 1, &err));
    assert_int_equal(r.i32, 10 + 40 + 90 + 0xfffffffeu);
    float f[4] = { -0.0f, 1.0f, NAN, 5.0f }, g[4] = { 0.0f, -1.0f, 2.0f, 4.0f }, m[4];
    memcpy(a[0].v128, f, 16);
    memcpy(a[1].v128, g, 16);
    assert_true(wasm_instance_call(inst, "fmin", a, 2, &r, 1, &err));
    memcpy(m, r.v128, 16);
    assert_true(m[0] == 0.0f && signbit(m[0]));
    assert_true(m[1] == -1.0f);
    assert_true(isnan(m[2]));
    assert_true(m[3] == 4.0f);
    wasm_instance_free(inst);
    wasm_module_free(mod);
}

struct thread_arg {
    struct fixture *f;
    uint32_t result;
};

static void *
instantiate_and_run(void *p)
{
    struct thread_arg *arg = p;
    struct err err = { 0 };
    struct wasm_instance *inst = wasm_instance_new(arg->f->mod, arg->f->linker, NULL, &err);
    if (!inst)
        return NULL;
    union wasm_val a = { .i32 = 22 }, r = { 0 };
    if (wasm_instance_call(inst, "fib", &a, 1, &r, 1, &err))
        arg->result = r.i32;
    wasm_instance_free(inst);
    return NULL;
}

/* One module, many threads instantiating and running it at once. */
static void
test_module_shared_by_threads(void **state)
{
    struct fixture *f = *state;
    pthread_t th[4];
    struct thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){ f, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, instantiate_and_run, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].result, 17711);
    }
}

static void
test_module_queries(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(wasm_module_import_count(f->mod), 2);
    struct wasm_import_info imp;
    assert_true(wasm_module_import(f->mod, 0, &imp));
    assert_string_equal(imp.module, "env");
    assert_string_equal(imp.name, "add3");
    assert_int_equal(imp.type.kind, WASM_EXTERN_FUNC);
    assert_int_equal(imp.type.u.func.param_count, 3);
    assert_false(wasm_module_import(f->mod, 2, &imp));
    struct wasm_export_info ex;
    assert_true(wasm_module_find_export(f->mod, "memory", &ex));
    assert_int_equal(ex.type.kind, WASM_EXTERN_MEMORY);
    assert_int_equal(ex.type.u.memory.min, 1);
    assert_int_equal(ex.type.u.memory.max, 2);
    assert_false(wasm_module_find_export(f->mod, "nothing", &ex));
    struct wasm_functype ft;
    assert_true(wasm_instance_func_type(f->inst, "multi", &ft));
    assert_int_equal(ft.result_count, 2);
    assert_int_equal(ft.results[1], WASM_I32);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fib_and_loops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_value_and_globals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_float_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_traps_name_the_function, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_grow_honours_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_depth_exhaustion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_infinite_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_interrupt_flag, setup, teardown),
        cmocka_unit_test(test_linking_shares_state),
        cmocka_unit_test(test_simd_values_cross_the_api),
        cmocka_unit_test_setup_teardown(test_module_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_module_shared_by_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
