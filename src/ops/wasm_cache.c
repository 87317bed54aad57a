/*
 * src/ops/wasm_cache.c: the in-process cache of compiled modules, keyed by
 * the SHA-256 of their bytes.
 *
 * Shared mutable state, so it has one lock (ARCHITECTURE.md "Threads"). The
 * lock is held while a missing module compiles: a `parallel` block that
 * runs the same module in many branches then compiles it once and every
 * other branch waits for that compilation instead of repeating it. Modules
 * are immutable once loaded, so handing out references is safe; entries
 * live until the process exits (a run loads a handful of modules).
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "ops/ops_wasm.h"
#include "wasm/wasm.h"

#define CACHE_MAX_ENTRIES 256 /* beyond this, compile without caching */

struct cache_entry {
    uint8_t digest[32];
    struct wasm_module *mod; /* the cache's own reference */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
/* Everything below is protected by 'cache_lock'. */
static struct cache_entry cache_entries[CACHE_MAX_ENTRIES];
static size_t cache_count;
static size_t cache_compiles;

static bool
sha256(const uint8_t *bytes, size_t len, uint8_t out[32])
{
    unsigned int out_len = 0;
    return EVP_Digest(bytes, len, out, &out_len, EVP_sha256(), NULL) == 1 && out_len == 32;
}

struct wasm_module *
ops_wasm_cache_get(const uint8_t *bytes, size_t len, struct err *err)
{
    uint8_t digest[32];
    if (!sha256(bytes, len, digest))
        return wasm_module_load(bytes, len, NULL, err);
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < cache_count; i++) {
        if (memcmp(cache_entries[i].digest, digest, 32) == 0) {
            struct wasm_module *mod = wasm_module_ref(cache_entries[i].mod);
            pthread_mutex_unlock(&cache_lock);
            return mod;
        }
    }
    struct wasm_module *mod = wasm_module_load(bytes, len, NULL, err);
    if (mod) {
        cache_compiles++;
        if (cache_count < CACHE_MAX_ENTRIES) {
            memcpy(cache_entries[cache_count].digest, digest, 32);
            cache_entries[cache_count].mod = wasm_module_ref(mod);
            cache_count++;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return mod;
}

size_t
ops_wasm_cache_compiles(void)
{
    pthread_mutex_lock(&cache_lock);
    size_t n = cache_compiles;
    pthread_mutex_unlock(&cache_lock);
    return n;
}
