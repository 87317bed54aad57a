/*
 * tests/support/wasi_forwarder.h: a module that lets a test call WASI host
 * functions the way a guest does (tests/unit/test_wasi_calls.c,
 * tests/fuzz/fuzz_wasi_calls.c).
 *
 * wasi_forwarder_bytes(funcs, n, out) writes a module that imports funcs[i]
 * from wasi_snapshot_preview1 as function i and exports "f<i>" (function
 * n + i), which passes its parameters on and returns the result, plus its
 * memory "memory" (one 64 KiB page, at most one).
 */
#ifndef PERCH_TESTS_WASI_FORWARDER_H
#define PERCH_TESTS_WASI_FORWARDER_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/sbuf.h"
#include "wasi/wasi.h"
#include "wasi/wasi_int.h"

static void
wasi_forwarder_leb(struct sbuf *sb, uint32_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        sbuf_addc(sb, (char)(v ? b | 0x80 : b));
    } while (v);
}

static void
wasi_forwarder_name(struct sbuf *sb, const char *s)
{
    wasi_forwarder_leb(sb, (uint32_t)strlen(s));
    sbuf_adds(sb, s);
}

/* Append section 'id' with 'body' to 'm'; empties 'body'. */
static void
wasi_forwarder_section(struct sbuf *m, uint8_t id, struct sbuf *body)
{
    sbuf_addc(m, (char)id);
    wasi_forwarder_leb(m, (uint32_t)body->len);
    sbuf_add(m, body->buf, body->len);
    sbuf_reset(body);
}

static void
wasi_forwarder_bytes(const struct wasi_func *const *funcs, size_t n, struct sbuf *m)
{
    struct sbuf s = SBUF_INIT, body = SBUF_INIT;
    uint32_t count = (uint32_t)n;
    sbuf_add(m, "\0asm\1\0\0\0", 8);
    wasi_forwarder_leb(&s, count); /* types: one per function */
    for (uint32_t i = 0; i < count; i++) {
        sbuf_addc(&s, 0x60);
        wasi_forwarder_leb(&s, (uint32_t)strlen(funcs[i]->params));
        for (const char *c = funcs[i]->params; *c; c++)
            sbuf_addc(&s, (char)(*c == 'I' ? 0x7e : 0x7f));
        wasi_forwarder_leb(&s, (uint32_t)strlen(funcs[i]->results));
        for (const char *c = funcs[i]->results; *c; c++)
            sbuf_addc(&s, 0x7f);
    }
    wasi_forwarder_section(m, 1, &s);
    wasi_forwarder_leb(&s, count); /* imports */
    for (uint32_t i = 0; i < count; i++) {
        wasi_forwarder_name(&s, WASI_MODULE_NAME);
        wasi_forwarder_name(&s, funcs[i]->name);
        sbuf_addc(&s, 0);
        wasi_forwarder_leb(&s, i);
    }
    wasi_forwarder_section(m, 2, &s);
    wasi_forwarder_leb(&s, count); /* functions */
    for (uint32_t i = 0; i < count; i++)
        wasi_forwarder_leb(&s, i);
    wasi_forwarder_section(m, 3, &s);
    sbuf_add(&s, "\x01\x01\x01\x01", 4); /* memory: 1 page, at most 1 */
    wasi_forwarder_section(m, 5, &s);
    wasi_forwarder_leb(&s, count + 1); /* exports */
    wasi_forwarder_name(&s, "memory");
    sbuf_addc(&s, 2);
    wasi_forwarder_leb(&s, 0);
    for (uint32_t i = 0; i < count; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%u", i);
        wasi_forwarder_name(&s, name);
        sbuf_addc(&s, 0);
        wasi_forwarder_leb(&s, count + i);
    }
    wasi_forwarder_section(m, 7, &s);
    wasi_forwarder_leb(&s, count); /* code: local.get each param, call, end */
    for (uint32_t i = 0; i < count; i++) {
        sbuf_addc(&body, 0); /* no locals */
        for (uint32_t p = 0; p < strlen(funcs[i]->params); p++) {
            sbuf_addc(&body, 0x20); /* local.get p */
            wasi_forwarder_leb(&body, p);
        }
        sbuf_addc(&body, 0x10); /* call i */
        wasi_forwarder_leb(&body, i);
        sbuf_addc(&body, 0x0b);
        wasi_forwarder_leb(&s, (uint32_t)body.len);
        sbuf_add(&s, body.buf, body.len);
        sbuf_reset(&body);
    }
    wasi_forwarder_section(m, 10, &s);
    sbuf_release(&s);
    sbuf_release(&body);
}

#endif
