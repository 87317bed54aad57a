/*
 * src/wasm/jit.h: the native code tier (x86-64 Linux; elsewhere every
 * function is interpreted) and the execution context it shares with the
 * interpreter.
 *
 * Both tiers use one frame layout: 64-bit slots on the entry instance's
 * value stack, 'fp' at a function's first parameter, its declared locals
 * next, then its operand stack. A call's arguments are the caller's top
 * operands, which are where the callee's frame begins; results come back at
 * the callee's fp[0..]. So a call crosses tiers in either direction with
 * nothing copied.
 *
 * Build with -DPERCH_WASM_NO_JIT to leave the native tier out everywhere.
 *
 * Native code runs on the C stack and returns a status: 0, a trap number
 * (enum wasm_trap; the innermost function records itself in trap_func), or
 * WASM_EXEC_ERR when the error is already in 'err' (a host function failed).
 * No longjmp crosses native frames.
 */
#ifndef PERCH_WASM_JIT_H
#define PERCH_WASM_JIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "wasm/wasm_int.h"

/* Status: the error is already in the context's err. */
#define WASM_EXEC_ERR 1000

/* One call from the host into wasm: what both tiers need while it runs. */
struct wasm_exec {
    struct wasm_instance *entry;      /* owner of the value stack and frames */
    struct wasm_frame *frames;        /* interpreter frames, max_depth of them */
    uint64_t *stack_end;              /* one past the value stack */
    atomic_int *interrupt;            /* non-zero: trap WASM_TRAP_INTERRUPTED */
    uintptr_t native_limit;           /* lowest C stack address native code may reach */
    struct wasm_func_inst *trap_func; /* function that trapped (innermost first) */
    struct err *err;
    uint32_t depth, max_depth; /* nested calls, counted as the interpreter counts them */
};

/* Native code of a function: fp at its arguments, self its function instance. */
typedef int wasm_jit_fn(struct wasm_exec *ex, uint64_t *fp, struct wasm_func_inst *self);

/*
 * The native entry of wasm function 'f', compiled on the first call into
 * the module's shared code chunks (thread safe: a racing duplicate is left
 * unused), or NULL when the function runs in the interpreter (tier,
 * platform, an instruction the compiler leaves to the interpreter, or no
 * executable memory to be had).
 */
wasm_jit_fn *wasm_jit_entry(const struct wasm_func_inst *f);
/* Unmap all native code of a module (from wasm_module_free). */
void wasm_jit_module_free(struct wasm_module *mod);
/* Lowest C stack address of this thread that wasm code may use (0: unknown). */
uintptr_t wasm_jit_native_limit(void);

/* jit_helpers.c, called from native code: operands from sp[0] on, the result
 * (if any) at sp[0]; imm carries the instruction's indices (first | second << 32)
 * or, for wasm_jit_numeric, the opcode (0x100 + n for 0xfc n). 0 or a trap number. */
typedef int wasm_jit_helper(struct wasm_exec *ex, uint64_t *sp, struct wasm_func_inst *self,
                            uint64_t imm);
wasm_jit_helper wasm_jit_numeric, wasm_jit_memory_grow, wasm_jit_memory_fill,
    wasm_jit_memory_copy, wasm_jit_memory_init, wasm_jit_data_drop, wasm_jit_elem_drop,
    wasm_jit_table_get, wasm_jit_table_set, wasm_jit_table_size, wasm_jit_table_grow,
    wasm_jit_table_fill, wasm_jit_table_copy, wasm_jit_table_init;
/* A call that leaves native code (host, interpreted, not yet compiled). */
int wasm_jit_call(struct wasm_exec *ex, uint64_t *args, struct wasm_func_inst *callee,
                  struct wasm_instance *caller);

/* interp.c: call 'f' (host, native or interpreted) from an instance of
 * 'caller' with its arguments at 'args'; the caller has counted the call in
 * ex->depth. Returns a status. */
int wasm_exec_call(struct wasm_exec *ex, struct wasm_instance *caller, struct wasm_func_inst *f,
                   uint64_t *args);

#endif
