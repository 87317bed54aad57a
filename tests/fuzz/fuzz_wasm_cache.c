/*
 * tests/fuzz/fuzz_wasm_cache.c: libFuzzer target for compiled-code blobs
 * (wasm_module_load_cached, src/wasm/serialize.c), which the disk cache
 * reads from files anyone with access to the cache directory could damage.
 *
 * An input that starts with the wasm magic is a module: when it loads, its
 * blob must load back (and serialize to the same bytes); then the blob is
 * damaged in ways derived from the input (bytes flipped, cells set to
 * operation numbers, indices and offsets near the edges, truncation), with
 * the checksum recomputed most of the time so the structural checks are
 * what is exercised, and loading must refuse it cleanly or load something
 * that frees cleanly. Any other input is taken as a blob for a fixed module.
 * Refusals must be ERR_WASM_MALFORMED with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "wasm/serialize.h"
#include "wasm/wasm.h"

#include "../support/ser_module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
check_refusal(const struct err *err)
{
    if (err->kind != ERR_WASM_MALFORMED && err->kind != ERR_OOM && err->kind != ERR_LIMIT)
        abort();
    if (memchr(err->msg, '\0', sizeof(err->msg)) == NULL || err->msg[0] == '\0')
        abort();
}

static void
try_blob(const uint8_t *bytes, size_t len, const uint8_t *blob, size_t blob_len)
{
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load_cached(bytes, len, blob, blob_len, NULL, &err);
    if (!mod) {
        check_refusal(&err);
        return;
    }
    wasm_module_free(mod);
}

static uint64_t
next(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 17;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || memcmp(data, "\0asm", 4) != 0) {
        try_blob(ser_wasm, sizeof(ser_wasm), data, size);
        return 0;
    }
    struct wasm_limits limits = { .max_memory_pages = 1024, .max_table_elems = 100000 };
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(data, size, &limits, &err);
    if (!mod)
        return 0;
    uint8_t *blob = NULL, *again = NULL;
    size_t blob_len = 0, again_len = 0;
    if (!wasm_module_serialize(mod, &blob, &blob_len, &err))
        abort(); /* a loaded module always serializes */
    wasm_module_free(mod);
    mod = wasm_module_load_cached(data, size, blob, blob_len, &limits, &err);
    if (!mod)
        abort(); /* its own blob must load */
    if (!wasm_module_serialize(mod, &again, &again_len, &err) || again_len != blob_len ||
        memcmp(again, blob, blob_len) != 0)
        abort(); /* and come back the same */
    wasm_module_free(mod);
    free(again);

    /* Damage derived from the input. */
    uint64_t seed = wasm_blob_checksum(data, size);
    size_t payload = blob_len - WASM_BLOB_HEADER_SIZE - WASM_BLOB_TRAILER_SIZE;
    for (int round = 0; round < 8; round++) {
        uint8_t *bad = malloc(blob_len);
        memcpy(bad, blob, blob_len);
        size_t len = blob_len;
        int edits = 1 + (int)(next(&seed) % 3);
        for (int e = 0; e < edits; e++) {
            uint64_t what = next(&seed) % 8;
            size_t at = WASM_BLOB_HEADER_SIZE + (payload ? (size_t)(next(&seed) % payload) : 0);
            at &= ~(size_t)7; /* cells and function headers are 8-byte aligned */
            if (at < WASM_BLOB_HEADER_SIZE || at + 8 > blob_len - WASM_BLOB_TRAILER_SIZE)
                continue;
            uint64_t v;
            memcpy(&v, bad + at, 8);
            switch (what) {
            case 0: v ^= (uint64_t)1 << (next(&seed) % 64); break;
            case 1: v = next(&seed) % 700; break;            /* operation numbers */
            case 2: v = v + 1; break;                        /* off by one */
            case 3: v = v - 1; break;
            case 4: v = next(&seed) % 64; break;             /* small indices and offsets */
            case 5: v = UINT64_MAX - next(&seed) % 4; break; /* huge */
            case 6: v = (uint64_t)UINT32_MAX << (next(&seed) % 2 ? 32 : 0); break;
            default: len = at + next(&seed) % 8; break;      /* truncate */
            }
            if (what < 7)
                memcpy(bad + at, &v, 8);
        }
        if (len == blob_len && next(&seed) % 8 != 0) {
            uint64_t sum = wasm_blob_checksum(bad, len - WASM_BLOB_TRAILER_SIZE);
            memcpy(bad + len - WASM_BLOB_TRAILER_SIZE, &sum, 8);
        }
        try_blob(data, size, bad, len);
        free(bad);
    }
    free(blob);
    return 0;
}
