/* serialize.c: compiled code to a self-describing blob and back (the on-disk
 * module cache). */
#include "base/err.h"
#include "wasm/wasm_int.h"

bool
wasm_precompiled_func(struct wasm_module *mod, uint32_t code_idx, struct err *err)
{
    (void)mod;
    (void)code_idx;
    return err_set(err, ERR_WASM_MALFORMED, "cached code: not available");
}
