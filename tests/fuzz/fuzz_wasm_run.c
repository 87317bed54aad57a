/*
 * tests/fuzz/fuzz_wasm_run.c: libFuzzer target for running modules.
 *
 * Loads the input, satisfies its function imports with stubs that return
 * zeros, instantiates it under small limits (memory, table, call depth), then
 * calls every exported function with all-zero arguments and reads every
 * exported global. A watchdog thread sets the shared interrupt flag when a
 * call runs past a short deadline, so infinite loops end as an
 * "interrupted" trap instead of a libFuzzer timeout. Whatever happens must
 * be a clean return or a documented error, never a crash.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "wasm/wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CALL_DEADLINE_NS (50LL * 1000 * 1000)

/* Process-wide because libFuzzer calls the target with no context to keep. */
static atomic_int interrupt_flag;
static atomic_llong deadline_ns;
static pthread_once_t watchdog_once = PTHREAD_ONCE_INIT;

static long long
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *
watchdog_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec nap = { 0, 5 * 1000 * 1000 };
        nanosleep(&nap, NULL);
        long long deadline = atomic_load(&deadline_ns);
        if (deadline && now_ns() > deadline)
            atomic_store(&interrupt_flag, 1);
    }
    return NULL;
}

static void
start_watchdog(void)
{
    pthread_t thread;
    if (pthread_create(&thread, NULL, watchdog_main, NULL) != 0)
        abort();
    pthread_detach(thread);
}

static void
arm(void)
{
    atomic_store(&interrupt_flag, 0);
    atomic_store(&deadline_ns, now_ns() + CALL_DEADLINE_NS);
}

static void
disarm(void)
{
    atomic_store(&deadline_ns, 0);
    atomic_store(&interrupt_flag, 0);
}

/* A stub import: zero results of the declared types. */
static bool
stub_import(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
            void *user, struct err *err)
{
    (void)args, (void)err;
    const uint32_t *result_count = user;
    memset(results, 0, *result_count * sizeof(*results));
    /* exercise the host side of memory access too */
    uint64_t mem_size = 0;
    uint8_t *mem = wasm_call_memory(call, &mem_size);
    if (mem && mem_size && wasm_call_mem_check(call, mem_size - 1, 1)) {
        volatile uint8_t last = mem[mem_size - 1];
        (void)last;
    }
    if (wasm_call_mem_check(call, mem_size, 1))
        abort(); /* one past the end must be refused */
    return true;
}

/* A failed call must report one of the kinds wasm.h lists. */
static void
check_call_error(const struct err *err)
{
    switch (err->kind) {
    case ERR_WASM_TRAP:
    case ERR_WASM_EXHAUSTION:
    case ERR_LIMIT:
    case ERR_OOM:
        return;
    default:
        fprintf(stderr, "fuzz_wasm_run: a call failed with %s error \"%s\"\n",
                err_kind_name(err->kind), err->msg);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pthread_once(&watchdog_once, start_watchdog);
    struct wasm_limits limits = { .max_memory_pages = 64,
                                  .max_table_elems = 10000,
                                  .max_call_depth = 300 };
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(data, size, &limits, &err);
    if (!mod)
        return 0;

    struct wasm_linker *linker = wasm_linker_new();
    size_t import_count = wasm_module_import_count(mod);
    uint32_t *result_counts = calloc(import_count ? import_count : 1, sizeof(*result_counts));
    if (!result_counts)
        abort();
    for (size_t i = 0; i < import_count; i++) {
        struct wasm_import_info info;
        if (!wasm_module_import(mod, i, &info) || info.type.kind != WASM_EXTERN_FUNC)
            continue;
        result_counts[i] = info.type.u.func.result_count;
        struct err def_err = { 0 };
        if (!wasm_linker_define_func(linker, info.module, info.name, &info.type.u.func,
                                     stub_import, &result_counts[i], &def_err))
            abort(); /* defining a well-formed import cannot fail */
    }

    struct wasm_instance_options opts = { .limits = &limits, .interrupt = &interrupt_flag };
    arm();
    struct wasm_instance *inst = wasm_instance_new(mod, linker, &opts, &err);
    disarm();
    if (inst) {
        size_t export_count = wasm_module_export_count(mod);
        for (size_t i = 0; i < export_count; i++) {
            struct wasm_export_info info;
            if (!wasm_module_export(mod, i, &info))
                abort();
            if (info.type.kind == WASM_EXTERN_GLOBAL) {
                union wasm_val value;
                enum wasm_valtype type;
                struct err get_err = { 0 };
                /* may name another export when the name holds a NUL byte (see below) */
                wasm_instance_global_get(inst, info.name, &value, &type, &get_err);
                continue;
            }
            if (info.type.kind != WASM_EXTERN_FUNC)
                continue;
            /* Names are C strings, so an export name with a NUL byte resolves to
             * whatever export its first part names: take the type the call will use. */
            struct wasm_functype resolved;
            if (!wasm_instance_func_type(inst, info.name, &resolved))
                continue;
            const struct wasm_functype *ft = &resolved;
            union wasm_val *args = calloc(ft->param_count + 1, sizeof(*args));
            union wasm_val *results = calloc(ft->result_count + 1, sizeof(*results));
            if (!args || !results)
                abort();
            struct err call_err = { 0 };
            arm();
            bool ok = wasm_instance_call(inst, info.name, args, ft->param_count, results,
                                         ft->result_count, &call_err);
            disarm();
            if (!ok)
                check_call_error(&call_err);
            free(args);
            free(results);
        }
        uint64_t mem_size = 0;
        uint8_t byte;
        struct err mem_err = { 0 };
        wasm_instance_memory(inst, &mem_size);
        if (wasm_instance_memory_read(inst, mem_size, &byte, 1, &mem_err))
            abort(); /* one past the end must be refused */
        wasm_instance_free(inst);
    }
    wasm_linker_free(linker);
    free(result_counts);
    wasm_module_free(mod);
    return 0;
}
