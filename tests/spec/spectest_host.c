/*
 * tests/spec/spectest_host.c: the "spectest" module of the WebAssembly test
 * suite.
 *
 * The suite imports print functions, four globals, a table and a memory from
 * a module named "spectest". Rather than reach into the engine, we build that
 * module the way any embedder would: a tiny binary module, assembled here
 * byte by byte, that imports the print functions from a host module
 * ("spectest_host", defined with wasm_linker_define_func), re-exports them,
 * and defines the globals, table and memory itself. Its instance is then
 * registered under the name "spectest" with wasm_linker_define_instance.
 */
#include "spectest.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/sbuf.h"

#define HOST_MODULE "spectest_host"

/* The print functions, in import (and so function index) order. */
struct print_func {
    const char *name;
    uint32_t param_count;
    enum wasm_valtype params[2];
};

static const struct print_func print_funcs[] = {
    { "print", 0, { 0 } },
    { "print_i32", 1, { WASM_I32 } },
    { "print_i64", 1, { WASM_I64 } },
    { "print_f32", 1, { WASM_F32 } },
    { "print_f64", 1, { WASM_F64 } },
    { "print_i32_f32", 2, { WASM_I32, WASM_F32 } },
    { "print_f64_f64", 2, { WASM_F64, WASM_F64 } },
};
#define PRINT_FUNC_COUNT (sizeof(print_funcs) / sizeof(print_funcs[0]))

static void
put_byte(struct sbuf *sb, uint8_t byte)
{
    sbuf_addc(sb, (char)byte);
}

static void
put_uleb(struct sbuf *sb, uint64_t value)
{
    do {
        uint8_t byte = value & 0x7f;
        value >>= 7;
        if (value)
            byte |= 0x80;
        put_byte(sb, byte);
    } while (value);
}

static void
put_sleb(struct sbuf *sb, int64_t value)
{
    for (;;) {
        uint8_t byte = (uint8_t)(value & 0x7f);
        value >>= 7; /* arithmetic shift on every compiler we support */
        bool done = (value == 0 && !(byte & 0x40)) || (value == -1 && (byte & 0x40));
        if (!done)
            byte |= 0x80;
        put_byte(sb, byte);
        if (done)
            return;
    }
}

static void
put_name(struct sbuf *sb, const char *name)
{
    size_t len = strlen(name);
    put_uleb(sb, len);
    sbuf_add(sb, name, len);
}

/* Append section 'id' with the contents of 'body', then empty 'body'. */
static void
put_section(struct sbuf *out, uint8_t id, struct sbuf *body)
{
    put_byte(out, id);
    put_uleb(out, body->len);
    sbuf_add(out, body->buf, body->len);
    sbuf_reset(body);
}

/* Build the module's bytes into 'out'. */
static void
build_module(struct sbuf *out)
{
    struct sbuf body = SBUF_INIT;
    sbuf_add(out, "\0asm\1\0\0\0", 8);

    /* type section: one type per print function, in the same order */
    put_uleb(&body, PRINT_FUNC_COUNT);
    for (size_t i = 0; i < PRINT_FUNC_COUNT; i++) {
        put_byte(&body, 0x60);
        put_uleb(&body, print_funcs[i].param_count);
        for (uint32_t p = 0; p < print_funcs[i].param_count; p++)
            put_byte(&body, (uint8_t)print_funcs[i].params[p]);
        put_uleb(&body, 0);
    }
    put_section(out, 1, &body);

    /* import section */
    put_uleb(&body, PRINT_FUNC_COUNT);
    for (size_t i = 0; i < PRINT_FUNC_COUNT; i++) {
        put_name(&body, HOST_MODULE);
        put_name(&body, print_funcs[i].name);
        put_byte(&body, 0x00); /* func */
        put_uleb(&body, i);
    }
    put_section(out, 2, &body);

    /* table section: (table 10 20 funcref) */
    put_uleb(&body, 1);
    put_byte(&body, WASM_FUNCREF);
    put_byte(&body, 0x01);
    put_uleb(&body, 10);
    put_uleb(&body, 20);
    put_section(out, 4, &body);

    /* memory section: (memory 1 2) */
    put_uleb(&body, 1);
    put_byte(&body, 0x01);
    put_uleb(&body, 1);
    put_uleb(&body, 2);
    put_section(out, 5, &body);

    /* global section: immutable i32 666, i64 666, f32 666.6, f64 666.6 */
    float f32 = 666.6f;
    double f64 = 666.6;
    put_uleb(&body, 4);
    put_byte(&body, WASM_I32);
    put_byte(&body, 0x00);
    put_byte(&body, 0x41); /* i32.const */
    put_sleb(&body, 666);
    put_byte(&body, 0x0b);
    put_byte(&body, WASM_I64);
    put_byte(&body, 0x00);
    put_byte(&body, 0x42); /* i64.const */
    put_sleb(&body, 666);
    put_byte(&body, 0x0b);
    put_byte(&body, WASM_F32);
    put_byte(&body, 0x00);
    put_byte(&body, 0x43); /* f32.const; the host is little-endian like wasm */
    uint32_t f32_bits;
    memcpy(&f32_bits, &f32, 4);
    for (int i = 0; i < 4; i++)
        put_byte(&body, (uint8_t)(f32_bits >> (8 * i)));
    put_byte(&body, 0x0b);
    put_byte(&body, WASM_F64);
    put_byte(&body, 0x00);
    put_byte(&body, 0x44); /* f64.const */
    uint64_t f64_bits;
    memcpy(&f64_bits, &f64, 8);
    for (int i = 0; i < 8; i++)
        put_byte(&body, (uint8_t)(f64_bits >> (8 * i)));
    put_byte(&body, 0x0b);
    put_section(out, 6, &body);

    /* export section */
    static const char *const global_names[] = { "global_i32", "global_i64", "global_f32",
                                                "global_f64" };
    put_uleb(&body, PRINT_FUNC_COUNT + 2 + 4);
    for (size_t i = 0; i < PRINT_FUNC_COUNT; i++) {
        put_name(&body, print_funcs[i].name);
        put_byte(&body, 0x00);
        put_uleb(&body, i);
    }
    put_name(&body, "table");
    put_byte(&body, 0x01);
    put_uleb(&body, 0);
    put_name(&body, "memory");
    put_byte(&body, 0x02);
    put_uleb(&body, 0);
    for (size_t i = 0; i < 4; i++) {
        put_name(&body, global_names[i]);
        put_byte(&body, 0x03);
        put_uleb(&body, i);
    }
    put_section(out, 7, &body);
    sbuf_release(&body);
}

/* The host side of the print functions when quiet: do nothing. */
static bool
host_print_quiet(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                 void *user, struct err *err)
{
    (void)call, (void)args, (void)results, (void)user, (void)err;
    return true;
}

/* The host side of the print functions with -v: print the arguments. */
static bool
host_print_verbose(struct wasm_call *call, const union wasm_val *args, union wasm_val *results,
                   void *user, struct err *err)
{
    (void)call, (void)results, (void)err;
    const struct print_func *pf = user;
    printf("spectest.%s(", pf->name);
    for (uint32_t i = 0; i < pf->param_count; i++) {
        if (i)
            printf(", ");
        switch (pf->params[i]) {
        case WASM_I32:
            printf("%" PRIu32 ":i32", args[i].i32);
            break;
        case WASM_I64:
            printf("%" PRIu64 ":i64", args[i].i64);
            break;
        case WASM_F32:
            printf("%g:f32", (double)args[i].f32);
            break;
        default:
            printf("%g:f64", args[i].f64);
            break;
        }
    }
    printf(")\n");
    return true;
}

struct wasm_instance *
spectest_host_new(struct wasm_linker *linker, bool verbose, struct err *err)
{
    for (size_t i = 0; i < PRINT_FUNC_COUNT; i++) {
        struct wasm_functype type = { .param_count = print_funcs[i].param_count,
                                      .result_count = 0,
                                      .params = print_funcs[i].params,
                                      .results = NULL };
        if (!wasm_linker_define_func(linker, HOST_MODULE, print_funcs[i].name, &type,
                                     verbose ? host_print_verbose : host_print_quiet,
                                     (void *)&print_funcs[i], err))
            return NULL;
    }
    struct sbuf bytes = SBUF_INIT;
    build_module(&bytes);
    struct wasm_module *mod =
        wasm_module_load((const uint8_t *)bytes.buf, bytes.len, NULL, err);
    sbuf_release(&bytes);
    if (!mod) {
        err_prefix(err, "spectest module");
        return NULL;
    }
    struct wasm_instance_options opts = { 0 };
    struct wasm_instance *inst = wasm_instance_new(mod, linker, &opts, err);
    wasm_module_free(mod); /* the instance keeps its own reference */
    if (!inst) {
        err_prefix(err, "spectest instance");
        return NULL;
    }
    if (!wasm_linker_define_instance(linker, "spectest", inst, err)) {
        wasm_instance_free(inst);
        return NULL;
    }
    return inst;
}
