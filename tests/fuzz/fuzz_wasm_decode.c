/*
 * tests/fuzz/fuzz_wasm_decode.c: libFuzzer target for module loading.
 *
 * Feeds arbitrary bytes to wasm_module_load (decode + validate + compile)
 * and walks the imports and exports of whatever loads. Besides "never
 * crash, never hang, never leak", it checks the loader's error contract:
 * a refused module comes back as NULL with a recorded error of a kind the
 * header promises (malformed, invalid, or a resource limit).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "wasm/wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every byte of a borrowed string, so a dangling one shows up under ASan. */
static size_t
touch(const char *s)
{
    return s ? strlen(s) : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wasm_limits limits = { .max_memory_pages = 1024, .max_table_elems = 100000 };
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(data, size, &limits, &err);
    if (!mod) {
        switch (err.kind) {
        case ERR_WASM_MALFORMED:
        case ERR_WASM_INVALID:
        case ERR_LIMIT:
        case ERR_OOM:
            break;
        default:
            abort(); /* refused without saying why, or with a kind not in the contract */
        }
        if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL || err.msg[0] == '\0')
            abort(); /* every refusal carries a message */
        return 0;
    }
    size_t total = 0;
    size_t import_count = wasm_module_import_count(mod);
    for (size_t i = 0; i < import_count; i++) {
        struct wasm_import_info info;
        if (!wasm_module_import(mod, i, &info))
            abort();
        total += touch(info.module) + touch(info.name);
    }
    struct wasm_import_info past_end;
    if (wasm_module_import(mod, import_count, &past_end))
        abort();
    size_t export_count = wasm_module_export_count(mod);
    for (size_t i = 0; i < export_count; i++) {
        struct wasm_export_info info, found;
        if (!wasm_module_export(mod, i, &info))
            abort();
        total += touch(info.name);
        if (!info.name)
            abort();
        /* Usually finds the same export; not always, since names are C strings
         * and a wasm name may hold a NUL byte. */
        wasm_module_find_export(mod, info.name, &found);
    }
    wasm_module_free(mod);
    return total == SIZE_MAX; /* keep 'total' alive; libFuzzer ignores the value */
}
