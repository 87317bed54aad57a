/* test_wasm_jit.c: the native code tier (src/wasm/jit_x64.c) where the spec
 * suite does not reach: the C stack guard on a thread with a small stack,
 * the call depth limit counted as in the interpreter, interrupting a native
 * infinite loop from another thread, two threads racing to compile the same
 * functions, call chains that cross between interpreted functions (those
 * using SIMD) and native ones in both directions with traps on either side,
 * memory accesses at the last byte and one past it, offsets near 4 GiB, a
 * memory imported from another instance that grows it, no mapping ever
 * writable and executable at once, and code memory: 5,000 small functions
 * share a few mappings and pages (named apart in the perf map) and are
 * unmapped with their module, also where seccomp forbids memfd_create
 * (private mappings) or PROT_EXEC (the interpreter), compiled by three
 * threads at once, and a forked child that compiles never overwrites code
 * its parent compiles after the fork.
 * Every behaviour is checked in both tiers (WASM_TIER_AUTO and
 * WASM_TIER_INTERP) unless it belongs to one. The module is compiled from
 * the WAT below (wat2wasm --debug-names). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__x86_64__) && defined(__linux__)
# include <linux/audit.h>
# include <linux/filter.h>
# include <linux/seccomp.h>
# include <sys/prctl.h>
# include <sys/syscall.h>
#endif

#include "base/err.h"
#include "wasm/wasm.h"

/*
 * (module
 *   (memory (export "memory") 1 3)
 *   (func $recurse (export "recurse") (param i32) (result i32)
 *     (if (result i32) (i32.eqz (local.get 0))
 *       (then (i32.const 0))
 *       (else (i32.add (i32.const 1) (call $recurse (i32.sub (local.get 0) (i32.const 1)))))))
 *   (func (export "spin") (loop $l (br $l)))
 *   (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
 *   (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
 *   (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
 *   (func (export "store32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
 *   (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
 *   (func (export "load_off") (param i32) (result i32) (i32.load offset=65532 (local.get 0)))
 *   (func (export "load_max_off") (param i32) (result i32) (i32.load8_u offset=4294967295 (local.get 0)))
 *   (func (export "store_big_off") (param i32) (i64.store offset=4294967290 (local.get 0) (i64.const -1)))
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *   (func $interp_add (export "interp_add") (param i32 i32) (result i32)
 *     (i32x4.extract_lane 0
 *       (i32x4.add (i32x4.splat (local.get 0)) (i32x4.splat (call $native_twice (local.get 1))))))
 *   (func $native_twice (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
 *   (func $mixed (export "mixed") (param i32) (result i32)
 *     (if (result i32) (i32.eqz (local.get 0))
 *       (then (i32.const 0))
 *       (else (i32.add (i32.const 1) (call $mixed_interp (i32.sub (local.get 0) (i32.const 1)))))))
 *   (func $mixed_interp (param i32) (result i32)
 *     (if (result i32) (i32.eqz (local.get 0))
 *       (then (i32.const 0))
 *       (else (i32x4.extract_lane 0
 *               (i32x4.splat (i32.add (i32.const 1) (call $mixed (i32.sub (local.get 0) (i32.const 1)))))))))
 *   (func $interp_div (param i32 i32) (result i32)
 *     (i32x4.extract_lane 0 (i32x4.splat (i32.div_u (local.get 0) (local.get 1)))))
 *   (func (export "native_calls_interp_div") (param i32 i32) (result i32)
 *     (i32.add (i32.const 1) (call $interp_div (local.get 0) (local.get 1))))
 *   (func $native_div (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 *   (func (export "interp_calls_native_div") (param i32 i32) (result i32)
 *     (i32x4.extract_lane 0 (i32x4.splat (call $native_div (local.get 0) (local.get 1)))))
 * )
 */
static const uint8_t jit_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1d, 0x06, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7e,
    0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x02, 0x7f,
    0x7f, 0x01, 0x7f, 0x03, 0x14, 0x13, 0x00, 0x01, 0x00, 0x00, 0x02, 0x03,
    0x03, 0x00, 0x00, 0x04, 0x00, 0x05, 0x00, 0x00, 0x00, 0x05, 0x05, 0x05,
    0x05, 0x05, 0x04, 0x01, 0x01, 0x01, 0x03, 0x07, 0xc2, 0x01, 0x10, 0x06,
    0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x07, 0x72, 0x65, 0x63,
    0x75, 0x72, 0x73, 0x65, 0x00, 0x00, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00,
    0x01, 0x05, 0x6c, 0x6f, 0x61, 0x64, 0x38, 0x00, 0x02, 0x06, 0x6c, 0x6f,
    0x61, 0x64, 0x33, 0x32, 0x00, 0x03, 0x06, 0x6c, 0x6f, 0x61, 0x64, 0x36,
    0x34, 0x00, 0x04, 0x07, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x33, 0x32, 0x00,
    0x05, 0x06, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x38, 0x00, 0x06, 0x08, 0x6c,
    0x6f, 0x61, 0x64, 0x5f, 0x6f, 0x66, 0x66, 0x00, 0x07, 0x0c, 0x6c, 0x6f,
    0x61, 0x64, 0x5f, 0x6d, 0x61, 0x78, 0x5f, 0x6f, 0x66, 0x66, 0x00, 0x08,
    0x0d, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x5f, 0x62, 0x69, 0x67, 0x5f, 0x6f,
    0x66, 0x66, 0x00, 0x09, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x0a, 0x0a,
    0x69, 0x6e, 0x74, 0x65, 0x72, 0x70, 0x5f, 0x61, 0x64, 0x64, 0x00, 0x0b,
    0x05, 0x6d, 0x69, 0x78, 0x65, 0x64, 0x00, 0x0d, 0x17, 0x6e, 0x61, 0x74,
    0x69, 0x76, 0x65, 0x5f, 0x63, 0x61, 0x6c, 0x6c, 0x73, 0x5f, 0x69, 0x6e,
    0x74, 0x65, 0x72, 0x70, 0x5f, 0x64, 0x69, 0x76, 0x00, 0x10, 0x17, 0x69,
    0x6e, 0x74, 0x65, 0x72, 0x70, 0x5f, 0x63, 0x61, 0x6c, 0x6c, 0x73, 0x5f,
    0x6e, 0x61, 0x74, 0x69, 0x76, 0x65, 0x5f, 0x64, 0x69, 0x76, 0x00, 0x12,
    0x0a, 0xf1, 0x01, 0x13, 0x15, 0x00, 0x20, 0x00, 0x45, 0x04, 0x7f, 0x41,
    0x00, 0x05, 0x41, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x00, 0x6a,
    0x0b, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x07, 0x00,
    0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02,
    0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x29, 0x03, 0x00, 0x0b, 0x09, 0x00,
    0x20, 0x00, 0x20, 0x01, 0x36, 0x02, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00,
    0x20, 0x01, 0x3a, 0x00, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x28, 0x02,
    0xfc, 0xff, 0x03, 0x0b, 0x0b, 0x00, 0x20, 0x00, 0x2d, 0x00, 0xff, 0xff,
    0xff, 0xff, 0x0f, 0x0b, 0x0d, 0x00, 0x20, 0x00, 0x42, 0x7f, 0x37, 0x03,
    0xfa, 0xff, 0xff, 0xff, 0x0f, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00,
    0x0b, 0x12, 0x00, 0x20, 0x00, 0xfd, 0x11, 0x20, 0x01, 0x10, 0x0c, 0xfd,
    0x11, 0xfd, 0xae, 0x01, 0xfd, 0x1b, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00,
    0x41, 0x02, 0x6c, 0x0b, 0x15, 0x00, 0x20, 0x00, 0x45, 0x04, 0x7f, 0x41,
    0x00, 0x05, 0x41, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x0e, 0x6a,
    0x0b, 0x0b, 0x1a, 0x00, 0x20, 0x00, 0x45, 0x04, 0x7f, 0x41, 0x00, 0x05,
    0x41, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x0d, 0x6a, 0xfd, 0x11,
    0xfd, 0x1b, 0x00, 0x0b, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6e,
    0xfd, 0x11, 0xfd, 0x1b, 0x00, 0x0b, 0x0b, 0x00, 0x41, 0x01, 0x20, 0x00,
    0x20, 0x01, 0x10, 0x0f, 0x6a, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01,
    0x6d, 0x0b, 0x0d, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x11, 0xfd, 0x11,
    0xfd, 0x1b, 0x00, 0x0b, 0x00, 0x81, 0x01, 0x04, 0x6e, 0x61, 0x6d, 0x65,
    0x01, 0x51, 0x07, 0x00, 0x07, 0x72, 0x65, 0x63, 0x75, 0x72, 0x73, 0x65,
    0x0b, 0x0a, 0x69, 0x6e, 0x74, 0x65, 0x72, 0x70, 0x5f, 0x61, 0x64, 0x64,
    0x0c, 0x0c, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65, 0x5f, 0x74, 0x77, 0x69,
    0x63, 0x65, 0x0d, 0x05, 0x6d, 0x69, 0x78, 0x65, 0x64, 0x0e, 0x0c, 0x6d,
    0x69, 0x78, 0x65, 0x64, 0x5f, 0x69, 0x6e, 0x74, 0x65, 0x72, 0x70, 0x0f,
    0x0a, 0x69, 0x6e, 0x74, 0x65, 0x72, 0x70, 0x5f, 0x64, 0x69, 0x76, 0x11,
    0x0a, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65, 0x5f, 0x64, 0x69, 0x76, 0x02,
    0x27, 0x13, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00,
    0x05, 0x00, 0x06, 0x00, 0x07, 0x00, 0x08, 0x00, 0x09, 0x00, 0x0a, 0x00,
    0x0b, 0x00, 0x0c, 0x00, 0x0d, 0x00, 0x0e, 0x00, 0x0f, 0x00, 0x10, 0x00,
    0x11, 0x00, 0x12, 0x00,
};

static struct wasm_module *
load(uint32_t tier, uint32_t max_call_depth)
{
    struct wasm_limits limits = { 0 };
    limits.tier = tier;
    limits.max_call_depth = max_call_depth;
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(jit_wasm, sizeof(jit_wasm), &limits, &err);
    if (!mod)
        fail_msg("load: %s", err.msg);
    return mod;
}

static struct wasm_instance *
instantiate(const struct wasm_module *mod)
{
    struct err err = { 0 };
    struct wasm_instance *inst = wasm_instance_new(mod, NULL, NULL, &err);
    if (!inst)
        fail_msg("instantiate: %s", err.msg);
    return inst;
}

/* Call an export with up to two i32 arguments; returns whether it succeeded. */
static bool
call2(struct wasm_instance *inst, const char *name, size_t argc, uint32_t a, uint32_t b,
      union wasm_val *result, struct err *err)
{
    union wasm_val args[2], res[1];
    memset(args, 0, sizeof(args));
    memset(res, 0, sizeof(res));
    args[0].i32 = a;
    args[1].i32 = b;
    memset(err, 0, sizeof(*err));
    bool ok = wasm_instance_call(inst, name, args, argc, res, 1, err);
    if (result)
        *result = res[0];
    return ok;
}

static uint32_t
call_ok(struct wasm_instance *inst, const char *name, size_t argc, uint32_t a, uint32_t b)
{
    union wasm_val r;
    struct err err;
    if (!call2(inst, name, argc, a, b, &r, &err))
        fail_msg("%s(%u, %u): %s", name, a, b, err.msg);
    return r.i32;
}

static void
expect_trap(struct wasm_instance *inst, const char *name, size_t argc, uint32_t a, uint32_t b,
            int trap, const char *msg)
{
    struct err err;
    bool ok = call2(inst, name, argc, a, b, NULL, &err);
    if (ok)
        fail_msg("%s(%u, %u) returned; expected a trap '%s'", name, a, b, msg);
    assert_int_equal(err.code, trap);
    if (!strstr(err.msg, msg))
        fail_msg("%s(%u, %u): '%s' lacks '%s'", name, a, b, err.msg, msg);
}

static const uint32_t tiers[] = { WASM_TIER_AUTO, WASM_TIER_INTERP };

/* ---- call depth and the C stack ---------------------------------------------- */

static void
test_call_depth_counted_as_interpreter(void **state)
{
    (void)state;
    for (size_t t = 0; t < 2; t++) {
        struct wasm_module *mod = load(tiers[t], 0);
        struct wasm_instance *inst = instantiate(mod);
        /* recurse(n) is n + 1 nested frames; the default limit allows 10,000 calls */
        assert_int_equal(call_ok(inst, "recurse", 1, 10000, 0), 10000);
        expect_trap(inst, "recurse", 1, 10001, 0, WASM_TRAP_STACK_EXHAUSTED,
                    "call stack exhausted");
        assert_int_equal(call_ok(inst, "recurse", 1, 5, 0), 5);
        wasm_instance_free(inst);
        wasm_module_free(mod);
        /* alternating tiers count the same way (a lower limit: each interpreted
         * level is a C frame of the interpreter, large in sanitizer builds) */
        mod = load(tiers[t], 100);
        inst = instantiate(mod);
        assert_int_equal(call_ok(inst, "mixed", 1, 100, 0), 100);
        expect_trap(inst, "mixed", 1, 101, 0, WASM_TRAP_STACK_EXHAUSTED,
                    "call stack exhausted");
        assert_int_equal(call_ok(inst, "recurse", 1, 100, 0), 100);
        expect_trap(inst, "recurse", 1, 101, 0, WASM_TRAP_STACK_EXHAUSTED,
                    "call stack exhausted");
        wasm_instance_free(inst);
        wasm_module_free(mod);
    }
}

struct deep_job {
    uint32_t tier;
    const char *fn;
    uint32_t n;
    bool ok;
    int code;
    int err_kind;
    uint32_t after; /* recurse(100) after the trap */
};

static void *
deep_thread(void *arg)
{
    struct deep_job *job = arg;
    /* a limit the small stack cannot reach in native frames */
    struct wasm_module *mod = load(job->tier, 300000);
    struct wasm_instance *inst = instantiate(mod);
    struct err err;
    job->ok = call2(inst, job->fn, 1, job->n, 0, NULL, &err);
    job->code = err.code;
    job->err_kind = (int)err.kind;
    struct err err2;
    union wasm_val r;
    job->after = call2(inst, "recurse", 1, 100, 0, &r, &err2) ? r.i32 : 0;
    wasm_instance_free(inst);
    wasm_module_free(mod);
    return NULL;
}

static void
run_on_small_stack(struct deep_job *job)
{
    pthread_attr_t attr;
    pthread_t th;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
    assert_int_equal(pthread_create(&th, &attr, deep_thread, job), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
}

static void
test_deep_recursion_small_thread_stack(void **state)
{
    (void)state;
    /* Native frames live on the 256 KiB C stack: the guard traps long before
     * the call depth limit, and the thread survives to call again. */
    const char *fns[] = { "recurse", "mixed" };
    for (size_t f = 0; f < 2; f++) {
        struct deep_job job = { WASM_TIER_AUTO, fns[f], 200000, true, 0, 0, 0 };
        run_on_small_stack(&job);
#if defined(__x86_64__) && defined(__linux__) && !defined(PERCH_WASM_NO_JIT)
        assert_false(job.ok);
        assert_int_equal(job.code, WASM_TRAP_STACK_EXHAUSTED);
        assert_int_equal(job.err_kind, ERR_WASM_EXHAUSTION);
#else
        assert_true(job.ok); /* no native tier: the interpreter's frames */
#endif
        assert_int_equal(job.after, 100);
    }
    /* The interpreter keeps its frames off the C stack: the same depth succeeds. */
    struct deep_job job = { WASM_TIER_INTERP, "recurse", 200000, false, 0, 0, 0 };
    run_on_small_stack(&job);
    assert_true(job.ok);
    assert_int_equal(job.after, 100);
}

/* ---- interrupt ---------------------------------------------------------------- */

struct spin_job {
    struct wasm_instance *inst;
    bool ok;
    int code;
    struct timespec done;
};

static void *
spin_thread(void *arg)
{
    struct spin_job *job = arg;
    struct err err;
    job->ok = call2(job->inst, "spin", 0, 0, 0, NULL, &err);
    job->code = err.code;
    clock_gettime(CLOCK_MONOTONIC, &job->done);
    return NULL;
}

static double
ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void
test_interrupt_stops_native_loop(void **state)
{
    (void)state;
    for (size_t t = 0; t < 2; t++) {
        struct wasm_module *mod = load(tiers[t], 0);
        struct wasm_instance *inst = instantiate(mod);
        struct spin_job job = { inst, true, 0, { 0, 0 } };
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, spin_thread, &job), 0);
        struct timespec pause = { 0, 50 * 1000 * 1000 }, asked;
        nanosleep(&pause, NULL);
        clock_gettime(CLOCK_MONOTONIC, &asked);
        wasm_instance_interrupt(inst);
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_false(job.ok);
        assert_int_equal(job.code, WASM_TRAP_INTERRUPTED);
        double ms = ms_between(&asked, &job.done);
        if (ms > 100)
            fail_msg("stopped %.1f ms after the interrupt (tier %u)", ms, tiers[t]);
        /* the instance's own flag is cleared: it runs again */
        assert_int_equal(call_ok(inst, "recurse", 1, 3, 0), 3);
        wasm_instance_free(inst);
        wasm_module_free(mod);
    }
}

/* ---- threads compiling the same functions --------------------------------------- */

struct race_job {
    struct wasm_module *mod;
    pthread_barrier_t *start;
    uint32_t results[4];
};

static void *
race_thread(void *arg)
{
    struct race_job *job = arg;
    struct wasm_instance *inst = instantiate(job->mod);
    pthread_barrier_wait(job->start);
    job->results[0] = call_ok(inst, "recurse", 1, 50, 0);
    job->results[1] = call_ok(inst, "mixed", 1, 40, 0);
    job->results[2] = call_ok(inst, "interp_add", 2, 5, 6);
    job->results[3] = call_ok(inst, "load32", 1, 0, 0);
    wasm_instance_free(inst);
    return NULL;
}

static void
test_concurrent_first_calls(void **state)
{
    (void)state;
    for (int round = 0; round < 40; round++) {
        struct wasm_module *mod = load(WASM_TIER_AUTO, 0);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, 2);
        struct race_job jobs[2] = { { mod, &start, { 0 } }, { mod, &start, { 0 } } };
        pthread_t th[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&th[i], NULL, race_thread, &jobs[i]), 0);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(pthread_join(th[i], NULL), 0);
            assert_int_equal(jobs[i].results[0], 50);
            assert_int_equal(jobs[i].results[1], 40);
            assert_int_equal(jobs[i].results[2], 17);
            assert_int_equal(jobs[i].results[3], 0);
        }
        pthread_barrier_destroy(&start);
        wasm_module_free(mod);
    }
}

/* ---- calls across the tiers --------------------------------------------------- */

static void
test_mixed_call_chains(void **state)
{
    (void)state;
    for (size_t t = 0; t < 2; t++) {
        struct wasm_module *mod = load(tiers[t], 0);
        struct wasm_instance *inst = instantiate(mod);
        /* interpreted (SIMD) caller, native callee */
        assert_int_equal(call_ok(inst, "interp_add", 2, 3, 4), 11);
        /* native and interpreted functions calling each other 60 deep */
        assert_int_equal(call_ok(inst, "mixed", 1, 60, 0), 60);
        assert_int_equal(call_ok(inst, "native_calls_interp_div", 2, 20, 4), 6);
        assert_int_equal(call_ok(inst, "interp_calls_native_div", 2, (uint32_t)-20, 4),
                         (uint32_t)-5);
        /* a trap names the function it happened in, whichever tier runs which */
        expect_trap(inst, "native_calls_interp_div", 2, 1, 0, WASM_TRAP_DIV_ZERO,
                    "integer divide by zero (in function 15 'interp_div')");
        expect_trap(inst, "interp_calls_native_div", 2, 1, 0, WASM_TRAP_DIV_ZERO,
                    "integer divide by zero (in function 17 'native_div')");
        expect_trap(inst, "interp_calls_native_div", 2, 0x80000000u, (uint32_t)-1,
                    WASM_TRAP_INT_OVERFLOW, "integer overflow (in function 17 'native_div')");
        /* and the instance goes on working */
        assert_int_equal(call_ok(inst, "mixed", 1, 7, 0), 7);
        wasm_instance_free(inst);
        wasm_module_free(mod);
    }
}

/* ---- memory bounds ------------------------------------------------------------ */

static void
test_memory_edges(void **state)
{
    (void)state;
    const char *oob = "out of bounds memory access";
    for (size_t t = 0; t < 2; t++) {
        struct wasm_module *mod = load(tiers[t], 0);
        struct wasm_instance *inst = instantiate(mod);
        call_ok(inst, "store8", 2, 65535, 0xab);
        assert_int_equal(call_ok(inst, "load8", 1, 65535, 0), 0xab);
        expect_trap(inst, "load8", 1, 65536, 0, WASM_TRAP_MEMORY_OOB, oob);
        expect_trap(inst, "store8", 2, 65536, 1, WASM_TRAP_MEMORY_OOB, oob);
        call_ok(inst, "store32", 2, 65532, 0x11223344);
        assert_int_equal(call_ok(inst, "load32", 1, 65532, 0), 0x11223344);
        /* a 4-byte access one byte over the end traps and writes nothing */
        expect_trap(inst, "store32", 2, 65533, 0x55667788, WASM_TRAP_MEMORY_OOB, oob);
        assert_int_equal(call_ok(inst, "load32", 1, 65532, 0), 0x11223344);
        expect_trap(inst, "load32", 1, 65533, 0, WASM_TRAP_MEMORY_OOB, oob);
        expect_trap(inst, "load64", 1, 65529, 0, WASM_TRAP_MEMORY_OOB, oob);
        expect_trap(inst, "load32", 1, 0xffffffffu, 0, WASM_TRAP_MEMORY_OOB, oob);
        /* offsets: index + offset is computed in 64 bits, never wrapping */
        assert_int_equal(call_ok(inst, "load_off", 1, 0, 0), 0x11223344);
        expect_trap(inst, "load_off", 1, 1, 0, WASM_TRAP_MEMORY_OOB, oob);
        expect_trap(inst, "load_off", 1, 0xfffffffcu, 0, WASM_TRAP_MEMORY_OOB, oob);
        expect_trap(inst, "load_max_off", 1, 0, 0, WASM_TRAP_MEMORY_OOB, oob);
        expect_trap(inst, "load_max_off", 1, 1, 0, WASM_TRAP_MEMORY_OOB, oob);
        expect_trap(inst, "load_max_off", 1, 0xffffffffu, 0, WASM_TRAP_MEMORY_OOB, oob);
        expect_trap(inst, "store_big_off", 1, 0, 0, WASM_TRAP_MEMORY_OOB, oob);
        expect_trap(inst, "store_big_off", 1, 6, 0, WASM_TRAP_MEMORY_OOB, oob);
        /* after memory.grow the new last byte is reachable and the old end is not an end */
        assert_int_equal(call_ok(inst, "grow", 1, 1, 0), 1);
        assert_int_equal(call_ok(inst, "load32", 1, 65533, 0), 0x112233);
        call_ok(inst, "store8", 2, 131071, 7);
        assert_int_equal(call_ok(inst, "load8", 1, 131071, 0), 7);
        expect_trap(inst, "load8", 1, 131072, 0, WASM_TRAP_MEMORY_OOB, oob);
        expect_trap(inst, "load_off", 1, 65537, 0, WASM_TRAP_MEMORY_OOB, oob);
        assert_int_equal(call_ok(inst, "load_off", 1, 65536, 0), 0x07000000);
        /* beyond the declared maximum (3 pages) grow fails without moving the end */
        assert_int_equal(call_ok(inst, "grow", 1, 2, 0), (uint32_t)-1);
        expect_trap(inst, "load8", 1, 131072, 0, WASM_TRAP_MEMORY_OOB, oob);
        wasm_instance_free(inst);
        wasm_module_free(mod);
    }
}

/* ---- a memory shared with another instance ------------------------------------ */

/*
 * (module
 *   (memory (export "mem") 1 4)
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *   (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))
 */
static const uint8_t mema_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0b, 0x02, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x03, 0x03, 0x02,
    0x00, 0x01, 0x05, 0x04, 0x01, 0x01, 0x01, 0x04, 0x07, 0x15, 0x03, 0x03,
    0x6d, 0x65, 0x6d, 0x02, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00,
    0x04, 0x70, 0x6f, 0x6b, 0x65, 0x00, 0x01, 0x0a, 0x12, 0x02, 0x06, 0x00,
    0x20, 0x00, 0x40, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0x3a,
    0x00, 0x00, 0x0b, 0x00, 0x0c, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x02, 0x05,
    0x02, 0x00, 0x00, 0x01, 0x00,
};

/*
 * (module
 *   (import "a" "mem" (memory 1))
 *   (import "a" "grow" (func $grow (param i32) (result i32)))
 *   (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
 *   (func (export "grow_then_load") (param i32) (result i32)
 *     (drop (call $grow (i32.const 1)))
 *     (i32.load8_u (local.get 0))))
 */
static const uint8_t memb_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x02, 0x13, 0x02, 0x01, 0x61, 0x03, 0x6d, 0x65,
    0x6d, 0x02, 0x00, 0x01, 0x01, 0x61, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00,
    0x00, 0x03, 0x03, 0x02, 0x00, 0x00, 0x07, 0x1a, 0x02, 0x05, 0x6c, 0x6f,
    0x61, 0x64, 0x38, 0x00, 0x01, 0x0e, 0x67, 0x72, 0x6f, 0x77, 0x5f, 0x74,
    0x68, 0x65, 0x6e, 0x5f, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x02, 0x0a, 0x16,
    0x02, 0x07, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b, 0x0c, 0x00, 0x41,
    0x01, 0x10, 0x00, 0x1a, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b, 0x00, 0x17,
    0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x07, 0x01, 0x00, 0x04, 0x67, 0x72,
    0x6f, 0x77, 0x02, 0x07, 0x03, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00,
};

static void
test_imported_memory_grown_elsewhere(void **state)
{
    (void)state;
    const char *oob = "out of bounds memory access";
    for (size_t t = 0; t < 2; t++) {
        struct wasm_limits limits = { 0 };
        limits.tier = tiers[t];
        struct err err = { 0 };
        struct wasm_module *ma = wasm_module_load(mema_wasm, sizeof(mema_wasm), &limits, &err);
        struct wasm_module *mb = wasm_module_load(memb_wasm, sizeof(memb_wasm), &limits, &err);
        assert_non_null(ma);
        assert_non_null(mb);
        struct wasm_instance *a = instantiate(ma);
        struct wasm_linker *lnk = wasm_linker_new();
        assert_true(wasm_linker_define_instance(lnk, "a", a, &err));
        struct wasm_instance *b = wasm_instance_new(mb, lnk, NULL, &err);
        if (!b)
            fail_msg("instantiate b: %s", err.msg);
        /* b's code reads a's memory; a grows it: b sees the new size at once */
        expect_trap(b, "load8", 1, 65536, 0, WASM_TRAP_MEMORY_OOB, oob);
        assert_int_equal(call_ok(a, "grow", 1, 1, 0), 1);
        call_ok(a, "poke", 2, 131071, 42);
        assert_int_equal(call_ok(b, "load8", 1, 131071, 0), 42);
        expect_trap(b, "load8", 1, 131072, 0, WASM_TRAP_MEMORY_OOB, oob);
        /* grown by a call from inside b's function, then read by it */
        expect_trap(a, "poke", 2, 131077, 9, WASM_TRAP_MEMORY_OOB, oob);
        assert_int_equal(call_ok(b, "grow_then_load", 1, 131077, 0), 0);
        call_ok(a, "poke", 2, 131077, 9);
        assert_int_equal(call_ok(b, "load8", 1, 131077, 0), 9);
        expect_trap(b, "load8", 1, 196608, 0, WASM_TRAP_MEMORY_OOB, oob);
        wasm_instance_free(b);
        wasm_linker_free(lnk);
        wasm_instance_free(a);
        wasm_module_free(mb);
        wasm_module_free(ma);
    }
}

/* ---- code memory ------------------------------------------------------------- */

/* Mappings of this process that are writable and executable at once. */
static int
count_wx_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        char perms[8] = "";
        if (sscanf(line, "%*s %7s", perms) == 1 && perms[1] == 'w' && perms[2] == 'x')
            n++;
    }
    fclose(f);
    return n;
}

static void
test_code_never_writable_and_executable(void **state)
{
    (void)state;
    int before = count_wx_mappings();
    if (before < 0)
        skip();
    struct wasm_module *mod = load(WASM_TIER_AUTO, 0);
    struct wasm_instance *inst = instantiate(mod);
    /* compile a dozen functions, then look at every mapping */
    assert_int_equal(call_ok(inst, "recurse", 1, 10, 0), 10);
    assert_int_equal(call_ok(inst, "mixed", 1, 10, 0), 10);
    assert_int_equal(call_ok(inst, "interp_add", 2, 1, 1), 3);
    call_ok(inst, "store32", 2, 0, 1);
    assert_int_equal(call_ok(inst, "load32", 1, 0, 0), 1);
    assert_int_equal(count_wx_mappings(), before);
    wasm_instance_free(inst);
    wasm_module_free(mod);
}

/* ---- many small functions share code memory ----------------------------------- */

/* Lines of /proc/self/maps (one per mapping) but the heap's (the kernel may
 * split or join it at will); with 'exec_bytes', the total size of the
 * executable ones; with 'code', how many may hold native code: executable,
 * or a view of the engine's memfd chunks. (The allocator, and more so a
 * sanitizer's, keeps mappings of its own: only these must go with a module.) */
static int
count_mappings(size_t *exec_bytes, int *code)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0, ncode = 0;
    size_t exec = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        char perms[8] = "";
        if (!strchr(line, '\n'))
            continue; /* the rest of a long line */
        n += !strstr(line, "[heap]");
        bool x = sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && perms[2] == 'x';
        if (x)
            exec += hi - lo;
        ncode += x || strstr(line, "perch-wasm-code");
    }
    fclose(f);
    if (exec_bytes)
        *exec_bytes = exec;
    if (code)
        *code = ncode;
    return n;
}

struct bytes {
    uint8_t *p;
    size_t len, cap;
};

static void
put(struct bytes *b, uint8_t v)
{
    if (b->len == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    b->p[b->len++] = v;
}

static void
put_uleb(struct bytes *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        put(b, byte | (v ? 0x80 : 0));
    } while (v);
}

static void
put_sleb(struct bytes *b, int64_t v)
{
    for (;;) {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        put(b, byte | (done ? 0 : 0x80));
        if (done)
            return;
    }
}

static void
put_bytes(struct bytes *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(b, ((const uint8_t *)p)[i]);
}

/* Append section 'id' holding 'body', then empty 'body'. */
static void
put_section(struct bytes *out, uint8_t id, struct bytes *body)
{
    put(out, id);
    put_uleb(out, body->len);
    put_bytes(out, body->p, body->len);
    body->len = 0;
}

/*
 * A module of n functions $f<i> (param i32) (result i32) returning
 * local 0 + i, and an export "run" (param i32) (result i32) that calls each
 * of them once with its argument and sums the results. A name section
 * names them f0, f1, ... and "run"; with 'export_all' they are exported
 * under those names too.
 */
static uint8_t *
many_funcs_wasm(uint32_t n, size_t *len, bool export_all)
{
    struct bytes out = { 0 }, sec = { 0 }, body = { 0 };
    put_bytes(&out, "\0asm\1\0\0\0", 8);
    /* type 0: (i32) -> i32 */
    put_bytes(&sec, "\x01\x60\x01\x7f\x01\x7f", 6);
    put_section(&out, 1, &sec);
    put_uleb(&sec, n + 1);
    for (uint32_t i = 0; i <= n; i++)
        put(&sec, 0);
    put_section(&out, 3, &sec);
    put_uleb(&sec, export_all ? n + 1 : 1);
    put_bytes(&sec, "\x03run\x00", 5);
    put_uleb(&sec, n);
    for (uint32_t i = 0; export_all && i < n; i++) {
        char name[16];
        int nl = snprintf(name, sizeof(name), "f%u", i);
        put_uleb(&sec, (uint64_t)nl);
        put_bytes(&sec, name, (size_t)nl);
        put(&sec, 0);
        put_uleb(&sec, i);
    }
    put_section(&out, 7, &sec);
    put_uleb(&sec, n + 1);
    for (uint32_t i = 0; i <= n; i++) {
        put(&body, 0); /* no locals */
        if (i < n) {
            put_bytes(&body, "\x20\x00\x41", 3); /* local.get 0, i32.const i */
            put_sleb(&body, i);
            put(&body, 0x6a); /* i32.add */
        } else {
            put_bytes(&body, "\x41\x00", 2);
            for (uint32_t k = 0; k < n; k++) {
                put_bytes(&body, "\x20\x00\x10", 3); /* local.get 0, call k */
                put_uleb(&body, k);
                put(&body, 0x6a);
            }
        }
        put(&body, 0x0b);
        put_uleb(&sec, body.len);
        put_bytes(&sec, body.p, body.len);
        body.len = 0;
    }
    put_section(&out, 10, &sec);
    /* custom "name" section, function names subsection */
    put_bytes(&sec, "\x04name\x01", 6);
    for (uint32_t i = 0; i <= n; i++) {
        char name[16];
        int nl = i < n ? snprintf(name, sizeof(name), "f%u", i) : snprintf(name, sizeof(name), "run");
        if (i == 0)
            put_uleb(&body, n + 1);
        put_uleb(&body, i);
        put_uleb(&body, (uint64_t)nl);
        put_bytes(&body, name, (size_t)nl);
    }
    put_uleb(&sec, body.len);
    put_bytes(&sec, body.p, body.len);
    put_section(&out, 0, &sec);
    free(sec.p);
    free(body.p);
    *len = out.len;
    return out.p;
}

/* Load the module, call "run" (compiling every function), free it all. */
static void
run_many_funcs(const uint8_t *wasm, size_t len, uint32_t n, int *maps_while_loaded,
               size_t *exec_while_loaded)
{
    struct err err = { 0 };
    struct wasm_limits limits = { 0 };
    struct wasm_module *mod = wasm_module_load(wasm, len, &limits, &err);
    if (!mod)
        fail_msg("load: %s", err.msg);
    struct wasm_instance *inst = instantiate(mod);
    uint32_t expect = 3 * n + n * (n - 1) / 2;
    assert_int_equal(call_ok(inst, "run", 1, 3, 0), expect);
    /* again: every function now runs its compiled code */
    assert_int_equal(call_ok(inst, "run", 1, 3, 0), expect);
    if (maps_while_loaded)
        *maps_while_loaded = count_mappings(exec_while_loaded, NULL);
    wasm_instance_free(inst);
    wasm_module_free(mod);
}

static void
test_small_functions_share_mappings(void **state)
{
    (void)state;
    const uint32_t n = 5000;
    size_t len;
    uint8_t *wasm = many_funcs_wasm(n, &len, false);
    /* once to let the allocator settle its own mappings */
    run_many_funcs(wasm, len, n, NULL, NULL);
    size_t exec_before = 0, exec_loaded = 0, exec_after = 0;
    int code_before = 0, code_after = 0;
    int before = count_mappings(&exec_before, &code_before), wx_before = count_wx_mappings();
    if (before < 0)
        skip();
    int loaded = 0;
    run_many_funcs(wasm, len, n, &loaded, &exec_loaded);
    /* 5,001 compiled functions in a few mappings, not one each, sharing
     * pages: about 150 bytes of code each, not a 4 KiB page each ("run",
     * with its 5,000 calls, is about 640 KiB) */
    if (loaded - before >= 50)
        fail_msg("%d mappings before, %d with %u functions compiled", before, loaded, n + 1);
    if (exec_loaded - exec_before >= (size_t)4 << 20)
        fail_msg("%zu executable bytes mapped before, %zu with %u functions compiled",
                 exec_before, exec_loaded, n + 1);
    assert_int_equal(count_wx_mappings(), wx_before);
    /* freeing the module unmaps its code */
    count_mappings(&exec_after, &code_after);
    assert_int_equal(code_after, code_before);
    assert_int_equal(exec_after, exec_before);
    free(wasm);
}

struct many_job {
    struct wasm_module *mod;
    pthread_barrier_t *start;
    uint32_t arg, result;
};

static void *
many_thread(void *arg)
{
    struct many_job *job = arg;
    struct wasm_instance *inst = instantiate(job->mod);
    pthread_barrier_wait(job->start);
    job->result = call_ok(inst, "run", 1, job->arg, 0);
    wasm_instance_free(inst);
    return NULL;
}

/* Threads compiling the 5,000 functions at once into the same chunks, each
 * running code in pages the others are still filling. */
static void
test_concurrent_compiles_share_chunks(void **state)
{
    (void)state;
    const uint32_t n = 5000;
    size_t len;
    uint8_t *wasm = many_funcs_wasm(n, &len, false);
    for (int round = 0; round < 3; round++) {
        struct err err = { 0 };
        struct wasm_limits limits = { 0 };
        struct wasm_module *mod = wasm_module_load(wasm, len, &limits, &err);
        if (!mod)
            fail_msg("load: %s", err.msg);
        enum { THREADS = 3 };
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, THREADS);
        struct many_job jobs[THREADS];
        pthread_t th[THREADS];
        for (uint32_t i = 0; i < THREADS; i++) {
            jobs[i] = (struct many_job){ mod, &start, i + 1, 0 };
            assert_int_equal(pthread_create(&th[i], NULL, many_thread, &jobs[i]), 0);
        }
        for (uint32_t i = 0; i < THREADS; i++) {
            assert_int_equal(pthread_join(th[i], NULL), 0);
            assert_int_equal(jobs[i].result, (i + 1) * n + n * (n - 1) / 2);
        }
        pthread_barrier_destroy(&start);
        wasm_module_free(mod);
    }
    free(wasm);
}

/* ---- fork ------------------------------------------------------------------------ */

static void
pipe_wait(int fd)
{
    char c;
    while (read(fd, &c, 1) < 0 && errno == EINTR) {
    }
}

static void
pipe_signal(int fd)
{
    while (write(fd, "x", 1) < 0 && errno == EINTR) {
    }
}

/* A forked child shares its parent's chunks: it must not allocate code from
 * them, or its compiles overwrite what the parent compiles after the fork. */
static void
test_forked_child_keeps_off_parent_chunks(void **state)
{
    (void)state;
    size_t len;
    uint8_t *wasm = many_funcs_wasm(3, &len, true);
    struct err err = { 0 };
    struct wasm_limits limits = { 0 };
    struct wasm_module *mod = wasm_module_load(wasm, len, &limits, &err);
    if (!mod)
        fail_msg("load: %s", err.msg);
    struct wasm_instance *inst = instantiate(mod);
    /* f0 makes the module's first chunk before the fork */
    assert_int_equal(call_ok(inst, "f0", 1, 10, 0), 10);
    int to_child[2], to_parent[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(to_parent), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* after the parent compiled f1, compile f2 and run both */
        pipe_wait(to_child[0]);
        union wasm_val r;
        struct err cerr;
        bool ok = call2(inst, "f2", 1, 10, 0, &r, &cerr) && r.i32 == 12 &&
                  call2(inst, "f0", 1, 10, 0, &r, &cerr) && r.i32 == 10;
        char path[64]; /* the child's perf map (see main) */
        snprintf(path, sizeof(path), "/tmp/perf-%ld.map", (long)getpid());
        unlink(path);
        pipe_signal(to_parent[1]);
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(call_ok(inst, "f1", 1, 10, 0), 11);
    pipe_signal(to_child[1]);
    pipe_wait(to_parent[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* the parent's f1 is still f1 */
    assert_int_equal(call_ok(inst, "f1", 1, 10, 0), 11);
    assert_int_equal(call_ok(inst, "run", 1, 10, 0), 33);
    for (int i = 0; i < 2; i++) {
        close(to_child[i]);
        close(to_parent[i]);
    }
    wasm_instance_free(inst);
    wasm_module_free(mod);
    free(wasm);
}

/* ---- sandboxes that forbid the shared chunks ----------------------------------- */

# if defined(__x86_64__) && defined(__linux__)
/* Make memfd_create fail with EPERM in this process, and with 'no_exec' every
 * mmap or mprotect asking for PROT_EXEC too, as a seccomp sandbox may. */
static bool
forbid_syscalls(bool no_exec)
{
    struct sock_filter filt[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_memfd_create, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 0, 3),
        /* the low half of args[2], prot */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, no_exec ? PROT_EXEC : 0, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { (unsigned short)(sizeof(filt) / sizeof(filt[0])), filt };
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

/* One load, two runs and free of the 5,000 functions under
 * forbid_syscalls(no_exec): results are right, no mapping is writable and
 * executable, the module's code is unmapped with it. 0 when all holds. */
static int
sandboxed_round(const uint8_t *wasm, size_t len, uint32_t n, bool no_exec, bool check_free)
{
    size_t exec_before = 0, exec_loaded = 0, exec_after = 0;
    int before = 0, after = 0;
    count_mappings(&exec_before, &before);
    int wx_before = count_wx_mappings();
    struct err err = { 0 };
    struct wasm_limits limits = { 0 };
    struct wasm_module *mod = wasm_module_load(wasm, len, &limits, &err);
    struct wasm_instance *inst = mod ? wasm_instance_new(mod, NULL, NULL, &err) : NULL;
    if (!inst) {
        fprintf(stderr, "load: %s\n", err.msg);
        return 1;
    }
    union wasm_val arg = { .i32 = 3 }, res = { .i32 = 0 };
    for (int round = 0; round < 2; round++) {
        if (!wasm_instance_call(inst, "run", &arg, 1, &res, 1, &err)) {
            fprintf(stderr, "run: %s\n", err.msg);
            return 1;
        }
        if (res.i32 != 3 * n + n * (n - 1) / 2) {
            fprintf(stderr, "run: %u\n", res.i32);
            return 1;
        }
    }
    count_mappings(&exec_loaded, NULL);
    /* with memfd gone each function has a private page; without PROT_EXEC
     * every function is interpreted */
    bool native = exec_loaded - exec_before >= (size_t)n * 4096;
    if (native == no_exec || count_wx_mappings() != wx_before) {
        fprintf(stderr, "%zu executable bytes before, %zu after, %d wx mappings\n", exec_before,
                exec_loaded, count_wx_mappings());
        return 1;
    }
    wasm_instance_free(inst);
    wasm_module_free(mod);
    count_mappings(&exec_after, &after);
    if (check_free && (after != before || exec_after != exec_before)) {
        fprintf(stderr, "mappings not freed: %d then %d\n", before, after);

        return 1;
    }
    return 0;
}

/* In a child: 0 when sandboxed_round() passes twice (the first time without
 * the free check: it lets the allocator settle its own mappings), 2 when
 * seccomp is missing. */
static int
sandboxed_child(bool no_exec)
{
    const uint32_t n = 5000;
    size_t len;
    uint8_t *wasm = many_funcs_wasm(n, &len, false);
    if (!forbid_syscalls(no_exec))
        return 2;
    if (memfd_create("probe", 0) >= 0 || errno != EPERM)
        return 2;
    int rc = sandboxed_round(wasm, len, n, no_exec, false);
    if (rc == 0)
        rc = sandboxed_round(wasm, len, n, no_exec, true);
    free(wasm);
    return rc;
}
# endif

static void
test_code_memory_fallbacks(void **state)
{
    (void)state;
# if defined(__x86_64__) && defined(__linux__)
    for (int no_exec = 0; no_exec < 2; no_exec++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int rc = sandboxed_child(no_exec);
            char path[64]; /* the child's perf map (see main) */
            snprintf(path, sizeof(path), "/tmp/perf-%ld.map", (long)getpid());
            unlink(path);
            _exit(rc);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 2)
            skip(); /* no seccomp here */
        assert_int_equal(WEXITSTATUS(status), 0);
    }
# else
    skip();
# endif
}

/* ---- the perf map -------------------------------------------------------------- */

static char perf_map_path[64];

struct perf_entry {
    unsigned long addr, len;
};

static int
cmp_perf_entry(const void *a, const void *b)
{
    const struct perf_entry *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* PERCH_WASM_PERFMAP=1 (set in main): each compiled function has one line
 * naming it, with its own range of bytes, even where functions share pages. */
static void
test_perf_map_names_shared_code(void **state)
{
    (void)state;
    const uint32_t n = 5000;
    FILE *f = fopen(perf_map_path, "r");
    long start = 0;
    if (f) {
        fseek(f, 0, SEEK_END);
        start = ftell(f);
        fclose(f);
    }
    size_t len;
    uint8_t *wasm = many_funcs_wasm(n, &len, false);
    run_many_funcs(wasm, len, n, NULL, NULL);
    free(wasm);
    f = fopen(perf_map_path, "r");
    if (!f)
        skip(); /* /tmp is not writable here */
    fseek(f, start, SEEK_SET);
    struct perf_entry *e = calloc(n + 1, sizeof(*e));
    assert_non_null(e);
    char line[256];
    size_t lines = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long addr, size;
        unsigned idx;
        char name[64];
        if (sscanf(line, "%lx %lx wasm[%u] %63s", &addr, &size, &idx, name) != 4)
            fail_msg("perf map line '%s'", line);
        char want[16];
        if (idx < n)
            snprintf(want, sizeof(want), "f%u", idx);
        else
            snprintf(want, sizeof(want), "run");
        if (idx > n || strcmp(name, want) != 0 || e[idx].addr)
            fail_msg("perf map line '%s': expected one line naming %s", line, want);
        e[idx].addr = addr;
        e[idx].len = size;
        lines++;
    }
    fclose(f);
    assert_int_equal(lines, n + 1);
    qsort(e, n + 1, sizeof(*e), cmp_perf_entry);
    size_t same_page = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (e[i].addr + e[i].len > e[i + 1].addr)
            fail_msg("functions at %lx (+%lx) and %lx overlap", e[i].addr, e[i].len, e[i + 1].addr);
        same_page += e[i].addr / 4096 == e[i + 1].addr / 4096;
    }
    /* small functions share pages */
    assert_true(same_page > n / 2);
    free(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_depth_counted_as_interpreter),
        cmocka_unit_test(test_deep_recursion_small_thread_stack),
        cmocka_unit_test(test_interrupt_stops_native_loop),
        cmocka_unit_test(test_concurrent_first_calls),
        cmocka_unit_test(test_mixed_call_chains),
        cmocka_unit_test(test_memory_edges),
        cmocka_unit_test(test_imported_memory_grown_elsewhere),
        cmocka_unit_test(test_code_never_writable_and_executable),
        cmocka_unit_test(test_small_functions_share_mappings),
        cmocka_unit_test(test_concurrent_compiles_share_chunks),
        cmocka_unit_test(test_code_memory_fallbacks),
        cmocka_unit_test(test_forked_child_keeps_off_parent_chunks),
        cmocka_unit_test(test_perf_map_names_shared_code),
    };
    /* read once, at the first compile */
    setenv("PERCH_WASM_PERFMAP", "1", 1);
    snprintf(perf_map_path, sizeof(perf_map_path), "/tmp/perf-%ld.map", (long)getpid());
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(perf_map_path);
    return failed;
}
