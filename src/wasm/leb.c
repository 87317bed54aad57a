/* leb.c: reading the binary format's primitives (LEB128 integers, fixed-size
 * floats, names) with the spec test suite's error wording, and the error
 * location format every decode and validation message shares. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wasm/wasm_int.h"

bool
wasm_fail_at(const struct wasm_reader *r, const uint8_t *at, struct err *err, enum err_kind kind,
             const char *fmt, ...)
{
    if (!err || err->kind != ERR_NONE)
        return false;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t off = (size_t)(at - r->base);
    char where[128];
    int n = 0;
    where[0] = '\0';
    if (r->section)
        n += snprintf(where + n, sizeof(where) - (size_t)n, "section %s, ", r->section);
    if (r->func_idx >= 0 && n < (int)sizeof(where))
        n += snprintf(where + n, sizeof(where) - (size_t)n, "function %lld, ",
                      (long long)r->func_idx);
    return err_set_code(err, kind, (int)off, "%s (%sat offset 0x%zx)", msg, where, off);
}

bool
wasm_fail(const struct wasm_reader *r, struct err *err, enum err_kind kind, const char *msg)
{
    return wasm_fail_at(r, r->pos, err, kind, "%s", msg);
}

/* Past the end of a bounded region: the whole file, or a section or body. */
static bool
fail_end(const struct wasm_reader *r, struct err *err)
{
    return wasm_fail(r, err, ERR_WASM_MALFORMED,
                     r->section ? "unexpected end of section or function" : "unexpected end");
}

bool
wasm_read_u8(struct wasm_reader *r, uint8_t *out, struct err *err)
{
    if (r->pos >= r->end)
        return fail_end(r, err);
    *out = *r->pos++;
    return true;
}

/* Unsigned LEB128 of at most 'bits' bits. */
static bool
read_uleb(struct wasm_reader *r, unsigned bits, uint64_t *out, struct err *err)
{
    uint64_t result = 0;
    unsigned max_bytes = (bits + 6) / 7;
    for (unsigned i = 0, shift = 0; i < max_bytes; i++, shift += 7) {
        if (r->pos >= r->end)
            return fail_end(r, err);
        uint8_t byte = *r->pos++;
        if (i == max_bytes - 1) {
            unsigned used = bits - shift; /* bits this byte may carry */
            if (byte & 0x80)
                return wasm_fail_at(r, r->pos - 1, err, ERR_WASM_MALFORMED,
                                    "integer representation too long");
            if (used < 7 && (byte >> used) != 0)
                return wasm_fail_at(r, r->pos - 1, err, ERR_WASM_MALFORMED, "integer too large");
        }
        result |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *out = result;
            return true;
        }
    }
    return wasm_fail(r, err, ERR_WASM_MALFORMED, "integer representation too long");
}

/* Signed LEB128 of at most 'bits' bits. */
static bool
read_sleb(struct wasm_reader *r, unsigned bits, int64_t *out, struct err *err)
{
    uint64_t result = 0;
    unsigned max_bytes = (bits + 6) / 7;
    unsigned shift = 0;
    uint8_t byte = 0;
    for (unsigned i = 0; i < max_bytes; i++, shift += 7) {
        if (r->pos >= r->end)
            return fail_end(r, err);
        byte = *r->pos++;
        if (i == max_bytes - 1) {
            if (byte & 0x80)
                return wasm_fail_at(r, r->pos - 1, err, ERR_WASM_MALFORMED,
                                    "integer representation too long");
            /* The unused bits must all equal the sign bit of the value. */
            unsigned used = bits - shift;
            if (used < 7) {
                int sign_and_rest = (int8_t)(uint8_t)(byte << 1) >> ((int)used);
                if (sign_and_rest != 0 && sign_and_rest != -1)
                    return wasm_fail_at(r, r->pos - 1, err, ERR_WASM_MALFORMED,
                                        "integer too large");
            }
        }
        result |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0)
            break;
    }
    shift += 7;
    if (shift < 64 && (byte & 0x40))
        result |= ~(uint64_t)0 << shift;
    *out = (int64_t)result;
    return true;
}

bool
wasm_read_u32_slow(struct wasm_reader *r, uint32_t *out, struct err *err)
{
    uint64_t v = 0;
    if (!read_uleb(r, 32, &v, err))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool
wasm_read_s32(struct wasm_reader *r, int32_t *out, struct err *err)
{
    int64_t v = 0;
    if (!read_sleb(r, 32, &v, err))
        return false;
    *out = (int32_t)v;
    return true;
}

bool
wasm_read_s33(struct wasm_reader *r, int64_t *out, struct err *err)
{
    return read_sleb(r, 33, out, err);
}

bool
wasm_read_s64(struct wasm_reader *r, int64_t *out, struct err *err)
{
    return read_sleb(r, 64, out, err);
}

bool
wasm_read_fixed(struct wasm_reader *r, void *out, size_t len, struct err *err)
{
    if ((size_t)(r->end - r->pos) < len) {
        r->pos = r->end;
        return fail_end(r, err);
    }
    memcpy(out, r->pos, len);
    r->pos += len;
    return true;
}

bool
wasm_read_count(struct wasm_reader *r, uint32_t min_size, uint32_t *out, struct err *err)
{
    const uint8_t *at = r->pos;
    uint32_t n;
    if (!wasm_read_u32(r, &n, err))
        return false;
    if (min_size && (uint64_t)n * min_size > (uint64_t)(r->end - r->pos)) {
        (void)at;
        return fail_end(r, err);
    }
    *out = n;
    return true;
}

/* UTF-8 as the spec defines it: shortest forms only, no surrogates, <= U+10FFFF. */
bool
wasm_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

bool
wasm_read_name(struct wasm_reader *r, const char **out, uint32_t *out_len, struct err *err)
{
    uint32_t n;
    if (!wasm_read_u32(r, &n, err))
        return false;
    if (n > (size_t)(r->end - r->pos))
        return wasm_fail(r, err, ERR_WASM_MALFORMED, "length out of bounds");
    if (!wasm_utf8_valid(r->pos, n))
        return wasm_fail(r, err, ERR_WASM_MALFORMED, "malformed UTF-8 encoding");
    *out = (const char *)r->pos;
    *out_len = n;
    r->pos += n;
    return true;
}
