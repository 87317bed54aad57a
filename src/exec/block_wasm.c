/*
 * block_wasm.c: the `wasm_run` block (REFERENCE.md §3).
 *
 * Placeholder until the WASI host is wired in: fails with a clear message.
 */
#include "exec/blocks.h"

bool
block_wasm_run(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
               struct err *err)
{
    (void)st;
    (void)stmt;
    (void)out;
    return err_set(err, ERR_OP_FAILED, "wasm_run is not available yet");
}
