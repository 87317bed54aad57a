/*
 * jit_x64.c: the native code tier for x86-64 Linux (see jit.h).
 *
 * One pass over a function's validated body emits simple templates. Values
 * live in the frame's 64-bit slots ([rbx + 8*slot]); the compiler keeps a
 * static model of the operand stack in which an entry may still be pending
 * (a constant, a local not yet copied, the result register, or the flags of
 * a comparison a br_if or if consumes next), so most instructions become a
 * load, an operation with a memory or immediate operand and at most one
 * store. Every control-flow join sees all entries in their slots.
 *
 * Registers: rbx fp, r12 the struct wasm_exec, rbp the function's struct
 * wasm_func_inst, r14 its instance, r13 memory 0's base, r15 memory 0's
 * struct wasm_memory (its size is read at each access: grow changes it, the
 * base never moves). rax, rcx, rdx, r11, xmm0 and xmm1 are scratch; the
 * pending result lives in rax or xmm0. The most used locals (weighted by
 * loop depth) live in rsi, rdi, r8-r10 and xmm2-xmm9, written to their slots
 * around calls.
 *
 * Safety: each memory access compares index + offset + size (64-bit) with
 * the current memory size before it happens; tables and indirect calls are
 * checked like the interpreter; the call depth, the value stack and the C
 * stack are checked at each call. Traps return a status; nothing unwinds by
 * signals or longjmp.
 *
 * Rare or long operations call C helpers (jit_helpers.c) that work on the
 * slots like the interpreter.
 *
 * Code memory: a per-module arena of shared chunks, each mapped once to
 * write and once to run (see "code memory" below).
 *
 * Functions using what this file leaves to the interpreter (SIMD and v128
 * values) are interpreted; calls between the tiers go through
 * wasm_exec_call() with the shared frame layout.
 */
#include "wasm/jit.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && !defined(PERCH_WASM_NO_JIT)

# include <errno.h>
# include <fcntl.h>
# include <pthread.h>
# include <stdio.h>
# include <stddef.h>
# include <sys/mman.h>
# include <unistd.h>

# include "base/xalloc.h"

/* ---- tier choice ---------------------------------------------------------- */

static int
env_tier(void)
{
    static atomic_int cached; /* 0 unknown, 1 auto, 2 interpreter */
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!v) {
        const char *e = getenv("PERCH_WASM_TIER");
        v = e && strcmp(e, "interp") == 0 ? 2 : 1;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
}

/* PERCH_WASM_PERFMAP=1: name each compiled function in /tmp/perf-PID.map for perf. */
static void
perf_map_add(const struct wasm_func_inst *f, const void *addr, size_t len)
{
    static atomic_int wanted; /* 0 unknown, 1 no, 2 yes */
    int w = atomic_load_explicit(&wanted, memory_order_relaxed);
    if (!w) {
        const char *e = getenv("PERCH_WASM_PERFMAP");
        w = e && strcmp(e, "1") == 0 ? 2 : 1;
        atomic_store_explicit(&wanted, w, memory_order_relaxed);
    }
    if (w != 2)
        return;
    const char *name = wasm_func_name(f);
    char line[256];
    int n = snprintf(line, sizeof(line), "%lx %zx wasm[%u] %.160s\n",
                     (unsigned long)(uintptr_t)addr, len, f->func_idx, name ? name : "");
    char path[64];
    snprintf(path, sizeof(path), "/tmp/perf-%ld.map", (long)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (n > 0 && write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
        /* a profiling aid only: nothing to do */
    }
    close(fd);
}

uintptr_t
wasm_jit_native_limit(void)
{
    static _Thread_local uintptr_t limit;
    static _Thread_local bool known;
    if (known)
        return limit;
    pthread_attr_t attr;
    void *lo = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &lo, &size) != 0)
            size = 0;
        pthread_attr_destroy(&attr);
    }
    if (size) {
        /* Room left for C code below the last wasm frame: host functions,
         * helpers and the interpreter. */
        size_t margin = size / 2 < (size_t)128 << 10 ? size / 2 : (size_t)128 << 10;
        limit = (uintptr_t)lo + margin;
    }
    known = true;
    return limit;
}

/* ---- code buffer and x86-64 encoding ---------------------------------------- */

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
enum { CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A, CC_S, CC_NS, CC_P, CC_NP,
       CC_L, CC_GE, CC_LE, CC_G };
enum { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };

/* A pending operand-stack entry (see the file comment). */
enum { K_MEM, K_CONST, K_LOCAL, K_RAX, K_XMM0, K_FLAGS, K_XREG };

struct jval {
    uint8_t type; /* enum wasm_valtype */
    uint8_t kind;
    uint8_t cc;     /* K_FLAGS: true when this condition holds */
    uint32_t local; /* K_LOCAL; K_XREG: the xmm register (10..15) */
    uint64_t imm;   /* K_CONST */
};

struct jpatch {
    uint32_t pos; /* of a rel32 field */
    int32_t next;
};

struct jctl {
    uint8_t kind; /* 0 function, 0x02 block, 0x03 loop, 0x04 if */
    bool unreachable;
    bool single;  /* one result given by 'single_type' */
    uint8_t single_type;
    uint32_t height; /* operand entries below the block (params excluded) */
    uint32_t nparams, nresults;
    const enum wasm_valtype *params, *results;
    uint32_t loop_pos;
    int32_t patches;    /* forward branches to the end */
    int32_t else_patch; /* if: the jump to the else arm */
};

# define TRAP_KINDS 16

struct jit {
    struct wasm_module *mod;
    const struct wasm_type *ftype;
    uint8_t *buf;
    size_t len, cap;
    bool fail; /* out of memory or unsupported: interpret the function */
    uint32_t fs; /* frame slots: params + locals */
    uint8_t *ltypes;
    uint32_t nlocals;
    int8_t *lreg; /* per local: its register (general 0..15, xmm 16 + n) or -1: memory */
    uint32_t nreg;
    uint32_t *reg_locals; /* the locals held in registers */
    bool uses_mem;        /* loads, stores, memory.size: r13 and r15 are set up */
    struct jval *vs;
    uint32_t vh, vcap;
    int32_t reg_idx; /* the entry held in rax, xmm0 or the flags, or -1 */
    struct jctl *ctl;
    uint32_t nctl, ctlcap;
    struct jpatch *patch;
    uint32_t npatch, patchcap;
    int32_t trap_patches[TRAP_KINDS];
    int32_t common_patches; /* jumps to the shared trap exit (status in eax) */
    int32_t ret_patches;    /* jumps to the normal return */
    const uint8_t *p, *end; /* reading the body */
};

static void
eb(struct jit *j, uint8_t b)
{
    if (j->len == j->cap) {
        size_t ncap = j->cap ? j->cap * 2 : 4096;
        uint8_t *n = realloc(j->buf, ncap);
        if (!n) {
            j->fail = true;
            j->len = 0;
            return;
        }
        j->buf = n;
        j->cap = ncap;
    }
    j->buf[j->len++] = b;
}

static void
e32(struct jit *j, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        eb(j, (uint8_t)(v >> (8 * i)));
}

static void
e64(struct jit *j, uint64_t v)
{
    e32(j, (uint32_t)v);
    e32(j, (uint32_t)(v >> 32));
}

static void
put32(struct jit *j, size_t pos, uint32_t v)
{
    if (j->fail || pos + 4 > j->len)
        return;
    for (int i = 0; i < 4; i++)
        j->buf[pos + i] = (uint8_t)(v >> (8 * i));
}

static void
eopc(struct jit *j, uint32_t opc)
{
    if (opc > 0xffff)
        eb(j, (uint8_t)(opc >> 16));
    if (opc > 0xff)
        eb(j, (uint8_t)(opc >> 8));
    eb(j, (uint8_t)opc);
}

static bool
fits8(int64_t v)
{
    return v >= -128 && v <= 127;
}

static bool
fits32(int64_t v)
{
    return v >= INT32_MIN && v <= INT32_MAX;
}

/* An instruction with a memory operand [base + index*scale + disp] (index < 0: none). */
static void
op_m(struct jit *j, uint8_t pfx, bool w, uint32_t opc, int reg, int base, int index, int scale,
     int32_t disp)
{
    if (pfx)
        eb(j, pfx);
    uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | (reg & 8 ? 4 : 0) |
                            (index >= 0 && (index & 8) ? 2 : 0) | (base & 8 ? 1 : 0));
    if (rex != 0x40)
        eb(j, rex);
    eopc(j, opc);
    int mod = disp == 0 && (base & 7) != 5 ? 0 : fits8(disp) ? 1 : 2;
    if (index < 0 && (base & 7) != 4) {
        eb(j, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
    } else {
        int ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
        int idx = index < 0 ? 4 : index;
        eb(j, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
        eb(j, (uint8_t)(ss << 6 | (idx & 7) << 3 | (base & 7)));
    }
    if (mod == 1)
        eb(j, (uint8_t)(int8_t)disp);
    else if (mod == 2)
        e32(j, (uint32_t)disp);
}

/* An instruction with a register operand in r/m. */
static void
op_r(struct jit *j, uint8_t pfx, bool w, uint32_t opc, int reg, int rm)
{
    if (pfx)
        eb(j, pfx);
    uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | (reg & 8 ? 4 : 0) | (rm & 8 ? 1 : 0));
    if (rex != 0x40)
        eb(j, rex);
    eopc(j, opc);
    eb(j, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

static void
mov_ri(struct jit *j, int r, uint64_t imm)
{
    if (imm <= UINT32_MAX) {
        if (r & 8)
            eb(j, 0x41);
        eb(j, (uint8_t)(0xb8 + (r & 7)));
        e32(j, (uint32_t)imm);
    } else if (fits32((int64_t)imm)) {
        op_r(j, 0, true, 0xc7, 0, r);
        e32(j, (uint32_t)imm);
    } else {
        eb(j, (uint8_t)(0x48 | (r & 8 ? 1 : 0)));
        eb(j, (uint8_t)(0xb8 + (r & 7)));
        e64(j, imm);
    }
}

static void
ld(struct jit *j, bool w, int r, int base, int32_t disp)
{
    op_m(j, 0, w, 0x8b, r, base, -1, 0, disp);
}

static void
st(struct jit *j, bool w, int base, int32_t disp, int r)
{
    op_m(j, 0, w, 0x89, r, base, -1, 0, disp);
}

static void
mov_rr(struct jit *j, bool w, int dst, int src)
{
    if (dst != src)
        op_r(j, 0, w, 0x8b, dst, src);
}

/* alu r, imm */
static void
alu_ri(struct jit *j, bool w, int op, int r, int32_t imm)
{
    if (fits8(imm)) {
        op_r(j, 0, w, 0x83, op, r);
        eb(j, (uint8_t)(int8_t)imm);
    } else {
        op_r(j, 0, w, 0x81, op, r);
        e32(j, (uint32_t)imm);
    }
}

/* alu [base+disp], imm */
static void
alu_mi(struct jit *j, bool w, int op, int base, int32_t disp, int32_t imm)
{
    if (fits8(imm)) {
        op_m(j, 0, w, 0x83, op, base, -1, 0, disp);
        eb(j, (uint8_t)(int8_t)imm);
    } else {
        op_m(j, 0, w, 0x81, op, base, -1, 0, disp);
        e32(j, (uint32_t)imm);
    }
}

static void
call_abs(struct jit *j, const void *fn)
{
    mov_ri(j, RAX, (uint64_t)(uintptr_t)fn);
    eb(j, 0xff);
    eb(j, 0xd0); /* call rax */
}

static int32_t
new_patch(struct jit *j, int32_t *head)
{
    if (j->npatch == j->patchcap) {
        uint32_t ncap = j->patchcap ? j->patchcap * 2 : 64;
        struct jpatch *n = realloc(j->patch, ncap * sizeof(*n));
        if (!n) {
            j->fail = true;
            return -1;
        }
        j->patch = n;
        j->patchcap = ncap;
    }
    j->patch[j->npatch].pos = (uint32_t)j->len;
    j->patch[j->npatch].next = *head;
    *head = (int32_t)j->npatch;
    return (int32_t)j->npatch++;
}

/* jmp rel32 to a label bound later */
static void
jmp_fwd(struct jit *j, int32_t *head)
{
    eb(j, 0xe9);
    new_patch(j, head);
    e32(j, 0);
}

static void
jcc_fwd(struct jit *j, int cc, int32_t *head)
{
    eb(j, 0x0f);
    eb(j, (uint8_t)(0x80 + cc));
    new_patch(j, head);
    e32(j, 0);
}

static void
jmp_to(struct jit *j, size_t target)
{
    eb(j, 0xe9);
    e32(j, (uint32_t)((int64_t)target - (int64_t)(j->len + 4)));
}

static void
bind(struct jit *j, int32_t head, size_t target)
{
    while (head >= 0 && !j->fail) {
        uint32_t pos = j->patch[head].pos;
        put32(j, pos, (uint32_t)((int64_t)target - (int64_t)(pos + 4)));
        head = j->patch[head].next;
    }
}

static void
jcc_trap(struct jit *j, int cc, enum wasm_trap trap)
{
    jcc_fwd(j, cc, &j->trap_patches[trap]);
}

/* ---- frame offsets ------------------------------------------------------------ */

# define EX(field) ((int32_t)offsetof(struct wasm_exec, field))

static int32_t
slot_disp(const struct jit *j, uint32_t k)
{
    return (int32_t)(8 * ((uint64_t)j->fs + k));
}

static int32_t
local_disp(uint32_t l)
{
    return (int32_t)(8 * (uint64_t)l);
}

/* Locals most used (weighted by loop depth) live in caller-saved registers:
 * general ones in rsi, rdi, r8, r9, r10, floats in xmm2..xmm9. Their slots are
 * written before any call or helper and read back after it. */
# define XREG 16
static const int gp_pool[] = { RSI, RDI, R8, R9, R10 };
static const int xmm_pool[] = { 2, 3, 4, 5, 6, 7, 8, 9 };

static int
lreg_of(const struct jit *j, uint32_t l)
{
    return j->lreg ? j->lreg[l] : -1;
}

static void
save_reg_locals(struct jit *j)
{
    for (uint32_t i = 0; i < j->nreg; i++) {
        uint32_t l = j->reg_locals[i];
        int r = j->lreg[l];
        if (r >= XREG)
            op_m(j, 0x66, false, 0x0fd6, r - XREG, RBX, -1, 0, local_disp(l)); /* movq [m], x */
        else
            st(j, true, RBX, local_disp(l), r);
    }
}

static void
load_reg_locals(struct jit *j)
{
    for (uint32_t i = 0; i < j->nreg; i++) {
        uint32_t l = j->reg_locals[i];
        int r = j->lreg[l];
        if (r >= XREG)
            op_m(j, 0xf3, false, 0x0f7e, r - XREG, RBX, -1, 0, local_disp(l)); /* movq x, [m] */
        else
            ld(j, true, r, RBX, local_disp(l));
    }
}

/* ---- the operand stack model ------------------------------------------------- */

static struct jval *
vpush(struct jit *j, uint8_t type, uint8_t kind)
{
    if (j->vh == j->vcap) {
        uint32_t ncap = j->vcap ? j->vcap * 2 : 64;
        struct jval *n = realloc(j->vs, ncap * sizeof(*n));
        if (!n) {
            j->fail = true;
            static struct jval dummy;
            return &dummy;
        }
        j->vs = n;
        j->vcap = ncap;
    }
    struct jval *v = &j->vs[j->vh];
    memset(v, 0, sizeof(*v));
    v->type = type;
    v->kind = kind;
    if (kind == K_RAX || kind == K_XMM0 || kind == K_FLAGS)
        j->reg_idx = (int32_t)j->vh;
    j->vh++;
    return v;
}

static struct jval
vpop(struct jit *j)
{
    struct jval v = { 0 };
    if (j->vh == 0) {
        j->fail = true;
        return v;
    }
    v = j->vs[--j->vh];
    if (j->reg_idx == (int32_t)j->vh)
        j->reg_idx = -1;
    return v;
}

/* Store a pending entry's value at [rbx + disp] (r11 scratch; flags kept). */
static void
store_val(struct jit *j, int32_t disp, const struct jval *v, uint32_t k)
{
    switch (v->kind) {
    case K_MEM:
        if (slot_disp(j, k) != disp) {
            ld(j, true, R11, RBX, slot_disp(j, k));
            st(j, true, RBX, disp, R11);
        }
        break;
    case K_CONST: {
        uint64_t imm = v->imm;
        if (v->type == WASM_I32 || v->type == WASM_F32)
            imm = (uint32_t)imm;
        if (imm <= INT32_MAX || fits32((int64_t)imm)) {
            op_m(j, 0, true, 0xc7, 0, RBX, -1, 0, disp);
            e32(j, (uint32_t)imm);
        } else {
            mov_ri(j, R11, imm);
            st(j, true, RBX, disp, R11);
        }
        break;
    }
    case K_LOCAL: {
        int r = lreg_of(j, v->local);
        if (r >= XREG) {
            op_m(j, 0x66, false, 0x0fd6, r - XREG, RBX, -1, 0, disp);
        } else if (r >= 0) {
            st(j, true, RBX, disp, r);
        } else if (local_disp(v->local) != disp) {
            ld(j, true, R11, RBX, local_disp(v->local));
            st(j, true, RBX, disp, R11);
        }
        break;
    }
    case K_RAX:
        st(j, true, RBX, disp, RAX);
        break;
    case K_XMM0:
        op_m(j, 0x66, false, 0x0fd6, 0, RBX, -1, 0, disp); /* movq [m], xmm0 */
        break;
    case K_XREG:
        op_m(j, 0x66, false, 0x0fd6, (int)v->local, RBX, -1, 0, disp);
        break;
    case K_FLAGS:
        op_r(j, 0, false, 0x0f90 + v->cc, 0, R11); /* setcc r11b */
        op_r(j, 0, false, 0x0fb6, R11, R11);       /* movzx r11d, r11b */
        st(j, true, RBX, disp, R11);
        break;
    }
}

static void
spill(struct jit *j, uint32_t k)
{
    struct jval *v = &j->vs[k];
    if (v->kind == K_MEM)
        return;
    store_val(j, slot_disp(j, k), v, k);
    v->kind = K_MEM;
    if (j->reg_idx == (int32_t)k)
        j->reg_idx = -1;
}

/* Before an operation consuming the top n entries: the register entry must be one of them. */
static void
prep(struct jit *j, uint32_t n)
{
    if (j->reg_idx >= 0 && (uint32_t)j->reg_idx + n < j->vh)
        spill(j, (uint32_t)j->reg_idx);
}

static void
flush_all(struct jit *j)
{
    for (uint32_t k = 0; k < j->vh; k++)
        spill(j, k);
}

/* Entries that read local l must be copied before l changes. */
static void
flush_local(struct jit *j, uint32_t l, uint32_t below)
{
    for (uint32_t k = 0; k < below; k++)
        if (j->vs[k].kind == K_LOCAL && j->vs[k].local == l)
            spill(j, k);
}

/* Memory address of an entry in a slot or a local (-1: none). */
static bool
val_mem(const struct jit *j, const struct jval *v, uint32_t k, int32_t *disp)
{
    if (v->kind == K_MEM) {
        *disp = slot_disp(j, k);
        return true;
    }
    if (v->kind == K_LOCAL && lreg_of(j, v->local) < 0) {
        *disp = local_disp(v->local);
        return true;
    }
    return false;
}

/* Load an entry (at index k before it was popped) into a general register. */
static void
load_gp(struct jit *j, int r, const struct jval *v, uint32_t k, bool w)
{
    int32_t d;
    switch (v->kind) {
    case K_CONST:
        mov_ri(j, r, w ? v->imm : (uint32_t)v->imm);
        break;
    case K_RAX:
        mov_rr(j, w, r, RAX);
        break;
    case K_XMM0:
        op_r(j, 0x66, w, 0x0f7e, 0, r); /* movq r, xmm0 (movd zero-extends) */
        break;
    case K_XREG:
        op_r(j, 0x66, w, 0x0f7e, (int)v->local, r);
        break;
    case K_FLAGS:
        op_r(j, 0, false, 0x0f90 + v->cc, 0, r);
        op_r(j, 0, false, 0x0fb6, r, r);
        break;
    default:
        if (val_mem(j, v, k, &d)) {
            ld(j, w, r, RBX, d);
        } else if (v->kind == K_LOCAL) {
            int lr = lreg_of(j, v->local);
            if (lr >= XREG)
                op_r(j, 0x66, w, 0x0f7e, lr - XREG, r); /* movq r, x */
            else if (lr != r || !w)
                op_r(j, 0, w, 0x8b, r, lr);
        }
        break;
    }
}

/* An i32 into r, zero-extended to 64 bits (an i32 result in rax may carry high bits). */
static void
load_u32(struct jit *j, int r, const struct jval *v, uint32_t k)
{
    load_gp(j, r, v, k, false);
    if (v->kind == K_RAX && r == RAX)
        op_r(j, 0, false, 0x8b, RAX, RAX); /* mov eax, eax */
}

static void
load_xmm(struct jit *j, int x, const struct jval *v, uint32_t k, bool dbl)
{
    int32_t d;
    switch (v->kind) {
    case K_CONST:
        mov_ri(j, R11, v->imm);
        op_r(j, 0x66, true, 0x0f6e, x, R11); /* movq x, r11 */
        break;
    case K_RAX:
        op_r(j, 0x66, true, 0x0f6e, x, RAX);
        break;
    case K_XMM0:
        if (x != 0)
            op_r(j, 0, false, 0x0f28, x, 0); /* movaps */
        break;
    case K_XREG:
        if (x != (int)v->local)
            op_r(j, 0, false, 0x0f28, x, (int)v->local);
        break;
    case K_FLAGS:
        j->fail = true;
        break;
    default:
        if (val_mem(j, v, k, &d)) {
            op_m(j, dbl ? 0xf2 : 0xf3, false, 0x0f10, x, RBX, -1, 0, d);
        } else if (v->kind == K_LOCAL) {
            int lr = lreg_of(j, v->local);
            if (lr >= XREG) {
                if (lr - XREG != x)
                    op_r(j, 0, false, 0x0f28, x, lr - XREG); /* movaps */
            } else {
                op_r(j, 0x66, true, 0x0f6e, x, lr); /* movq x, r */
            }
        }
        break;
    }
}

/* ---- reading the body ------------------------------------------------------------ */

static uint64_t
rd_uleb(struct jit *j)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (j->p < j->end) {
        uint8_t b = *j->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            return v;
    }
    j->fail = true;
    return v;
}

static int64_t
rd_sleb(struct jit *j)
{
    int64_t v = 0;
    unsigned shift = 0;
    uint8_t b = 0;
    while (j->p < j->end) {
        b = *j->p++;
        if (shift < 64)
            v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        v |= (int64_t)(~(uint64_t)0 << shift);
    return v;
}

static uint8_t
rd_u8(struct jit *j)
{
    if (j->p >= j->end) {
        j->fail = true;
        return 0x0b;
    }
    return *j->p++;
}

/* ---- control ------------------------------------------------------------------------- */

static struct jctl *
push_ctl(struct jit *j, uint8_t kind)
{
    if (j->nctl == j->ctlcap) {
        uint32_t ncap = j->ctlcap ? j->ctlcap * 2 : 16;
        struct jctl *n = realloc(j->ctl, ncap * sizeof(*n));
        if (!n) {
            j->fail = true;
            return NULL;
        }
        j->ctl = n;
        j->ctlcap = ncap;
    }
    struct jctl *c = &j->ctl[j->nctl++];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->patches = -1;
    c->else_patch = -1;
    return c;
}

static uint8_t
ctl_result(const struct jctl *c, uint32_t i)
{
    return c->single ? c->single_type : (uint8_t)c->results[i];
}

/* Read a block type into c; false when it uses v128. */
static bool
read_blocktype(struct jit *j, struct jctl *c)
{
    if (j->p < j->end && *j->p == 0x40) {
        j->p++;
        return true;
    }
    if (j->p < j->end && (*j->p & 0xc0) == 0x40) {
        uint8_t t = *j->p++;
        if (t == WASM_V128)
            return false;
        c->single = true;
        c->single_type = t;
        c->nresults = 1;
        return true;
    }
    int64_t idx = rd_sleb(j);
    if (idx < 0 || (uint64_t)idx >= j->mod->type_count)
        return false;
    const struct wasm_type *t = &j->mod->types[idx];
    if (t->param_slots != t->param_count || t->result_slots != t->result_count)
        return false;
    c->nparams = t->param_count;
    c->nresults = t->result_count;
    c->params = t->params;
    c->results = t->results;
    return true;
}

static uint32_t
label_arity(const struct jctl *c)
{
    return c->kind == 0x03 ? c->nparams : c->nresults;
}

/* Move the top 'n' entries (all in slots) to the label's slots. */
static void
br_moves(struct jit *j, const struct jctl *c)
{
    uint32_t n = label_arity(c);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t src = j->vh - n + i, dst = c->height + i;
        if (src != dst) {
            ld(j, true, R11, RBX, slot_disp(j, src));
            st(j, true, RBX, slot_disp(j, dst), R11);
        }
    }
}

static bool
br_needs_moves(const struct jit *j, const struct jctl *c)
{
    uint32_t n = label_arity(c);
    return n && j->vh - n != c->height;
}

static void
br_jump(struct jit *j, struct jctl *c)
{
    if (c->kind == 0x03)
        jmp_to(j, c->loop_pos);
    else if (c->kind == 0)
        jmp_fwd(j, &j->ret_patches); /* the function's label: return */
    else
        jmp_fwd(j, &c->patches);
}

/* Results of the function from the top of the stack to fp[0..]. */
static void
return_moves(struct jit *j)
{
    uint32_t n = j->ftype->result_count;
    flush_all(j);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t src = j->vh - n + i;
        ld(j, true, R11, RBX, slot_disp(j, src));
        st(j, true, RBX, local_disp(i), R11);
    }
}

static void
check_interrupt(struct jit *j)
{
    ld(j, true, RAX, R12, EX(interrupt));
    op_m(j, 0, false, 0x83, 7, RAX, -1, 0, 0); /* cmp dword [rax], 0 */
    eb(j, 0);
    jcc_trap(j, CC_NE, WASM_TRAP_INTERRUPTED);
}

/* Condition of a popped entry into the flags: returns the cc meaning "true". */
static int
cond_flags(struct jit *j, const struct jval *v, uint32_t k)
{
    int32_t d;
    if (v->kind == K_FLAGS)
        return v->cc;
    if (val_mem(j, v, k, &d)) {
        op_m(j, 0, false, 0x83, 7, RBX, -1, 0, d);
        eb(j, 0);
        return CC_NE;
    }
    load_gp(j, RAX, v, k, false);
    op_r(j, 0, false, 0x85, RAX, RAX);
    return CC_NE;
}

/* ---- the compiler ---------------------------------------------------------------- */

/* Call a helper on the top 'nargs' entries (flushed); it leaves 'nres' results there. */
static void
emit_helper(struct jit *j, wasm_jit_helper *fn, uint32_t nargs, uint64_t imm, uint8_t rtype,
            uint32_t nres)
{
    flush_all(j);
    uint32_t base = j->vh - nargs;
    save_reg_locals(j);
    mov_rr(j, true, RDI, R12);
    op_m(j, 0, true, 0x8d, RSI, RBX, -1, 0, slot_disp(j, base)); /* lea rsi */
    mov_rr(j, true, RDX, RBP);
    mov_ri(j, RCX, imm);
    call_abs(j, (const void *)fn);
    load_reg_locals(j);
    op_r(j, 0, false, 0x85, RAX, RAX);
    jcc_fwd(j, CC_NE, &j->common_patches);
    for (uint32_t i = 0; i < nargs; i++)
        vpop(j);
    for (uint32_t i = 0; i < nres; i++)
        vpush(j, rtype, K_MEM);
}

/* Call the function in rdx with its arguments at the top 'nparams' entries (flushed). */
static void
emit_call(struct jit *j, const struct wasm_type *t, bool saved, const struct wasm_code *known)
{
    uint32_t base = j->vh - t->param_count;
    /* depth check, counted as in the interpreter */
    ld(j, false, RAX, R12, EX(depth));
    op_m(j, 0, false, 0x3b, RAX, R12, -1, 0, EX(max_depth)); /* cmp eax, [max_depth] */
    jcc_trap(j, CC_AE, WASM_TRAP_STACK_EXHAUSTED);
    alu_ri(j, false, ALU_ADD, RAX, 1);
    st(j, false, R12, EX(depth), RAX);
    if (!saved)
        save_reg_locals(j);
    int32_t slow = -1, done = -1;
    if (known) { /* a function of this module: its code is known here */
        mov_ri(j, RAX, (uint64_t)(uintptr_t)&known->jit_entry);
        ld(j, true, RAX, RAX, 0);
    } else {
        ld(j, true, RAX, RDX, (int32_t)offsetof(struct wasm_func_inst, code));
        op_r(j, 0, true, 0x85, RAX, RAX);
        jcc_fwd(j, CC_E, &slow);
        ld(j, true, RAX, RAX, (int32_t)offsetof(struct wasm_code, jit_entry));
    }
    op_r(j, 0, true, 0x85, RAX, RAX);
    jcc_fwd(j, CC_E, &slow);
    mov_rr(j, true, RDI, R12);
    op_m(j, 0, true, 0x8d, RSI, RBX, -1, 0, slot_disp(j, base));
    eb(j, 0xff);
    eb(j, 0xd0); /* call rax */
    jmp_fwd(j, &done);
    bind(j, slow, j->len);
    slow = -1;
    mov_rr(j, true, RDI, R12);
    op_m(j, 0, true, 0x8d, RSI, RBX, -1, 0, slot_disp(j, base));
    mov_rr(j, true, RCX, R14);
    call_abs(j, (const void *)wasm_jit_call);
    bind(j, done, j->len);
    load_reg_locals(j);
    alu_mi(j, false, ALU_SUB, R12, EX(depth), 1);
    op_r(j, 0, false, 0x85, RAX, RAX);
    jcc_fwd(j, CC_NE, &j->common_patches);
    for (uint32_t i = 0; i < t->param_count; i++)
        vpop(j);
    for (uint32_t i = 0; i < t->result_count; i++)
        vpush(j, (uint8_t)t->results[i], K_MEM);
}

static bool
type_has_v128(const struct wasm_type *t)
{
    return t->param_slots != t->param_count || t->result_slots != t->result_count;
}

/* Peek: does the next instruction consume a condition (br_if, if)? */
static bool
next_is_cond(const struct jit *j)
{
    return j->p < j->end && (*j->p == 0x0d || *j->p == 0x04);
}

/* Integer binary operation: a op b, result in rax. */
static void
int_binop(struct jit *j, bool w, int alu, uint8_t rtype)
{
    prep(j, 2);
    uint32_t kb = j->vh - 1, ka = j->vh - 2;
    struct jval b = vpop(j), a = vpop(j);
    int32_t d;
    bool b_in_rcx = false;
    if (b.kind == K_RAX || b.kind == K_XMM0 || b.kind == K_FLAGS) {
        load_gp(j, RCX, &b, kb, w);
        b_in_rcx = true;
    }
    load_gp(j, RAX, &a, ka, w);
    if (b_in_rcx) {
        op_r(j, 0, w, (uint32_t)(alu << 3 | 3), RAX, RCX);
    } else if (b.kind == K_LOCAL && lreg_of(j, b.local) >= 0 && lreg_of(j, b.local) < XREG) {
        op_r(j, 0, w, (uint32_t)(alu << 3 | 3), RAX, lreg_of(j, b.local));
    } else if (b.kind == K_CONST && (w ? fits32((int64_t)b.imm) : true)) {
        alu_ri(j, w, alu, RAX, (int32_t)(uint32_t)b.imm);
    } else if (val_mem(j, &b, kb, &d)) {
        op_m(j, 0, w, (uint32_t)(alu << 3 | 3), RAX, RBX, -1, 0, d);
    } else {
        load_gp(j, RCX, &b, kb, w);
        op_r(j, 0, w, (uint32_t)(alu << 3 | 3), RAX, RCX);
    }
    if (alu == ALU_CMP)
        return;
    vpush(j, rtype, K_RAX);
}

static void
int_cmp(struct jit *j, bool w, int cc)
{
    int_binop(j, w, ALU_CMP, WASM_I32);
    if (next_is_cond(j)) {
        vpush(j, WASM_I32, K_FLAGS)->cc = (uint8_t)cc;
    } else {
        op_r(j, 0, false, 0x0f90 + (uint32_t)cc, 0, RAX);
        op_r(j, 0, false, 0x0fb6, RAX, RAX);
        vpush(j, WASM_I32, K_RAX);
    }
}

static void
int_eqz(struct jit *j, bool w)
{
    prep(j, 1);
    uint32_t k = j->vh - 1;
    struct jval a = vpop(j);
    int32_t d;
    int cc = CC_E;
    if (a.kind == K_FLAGS) {
        cc = a.cc ^ 1;
    } else if (val_mem(j, &a, k, &d)) {
        op_m(j, 0, w, 0x83, 7, RBX, -1, 0, d);
        eb(j, 0);
    } else {
        load_gp(j, RAX, &a, k, w);
        op_r(j, 0, w, 0x85, RAX, RAX);
    }
    if (next_is_cond(j)) {
        vpush(j, WASM_I32, K_FLAGS)->cc = (uint8_t)cc;
    } else {
        op_r(j, 0, false, 0x0f90 + (uint32_t)cc, 0, RAX);
        op_r(j, 0, false, 0x0fb6, RAX, RAX);
        vpush(j, WASM_I32, K_RAX);
    }
}

/* 'op' eax/rax by the count: D3 /n (cl) or C1 /n ib. */
static void
int_shift(struct jit *j, bool w, int ext, uint8_t rtype)
{
    prep(j, 2);
    uint32_t kb = j->vh - 1, ka = j->vh - 2;
    struct jval b = vpop(j), a = vpop(j);
    if (b.kind == K_CONST) {
        load_gp(j, RAX, &a, ka, w);
        op_r(j, 0, w, 0xc1, ext, RAX);
        eb(j, (uint8_t)(b.imm & (w ? 63 : 31)));
    } else {
        if (b.kind == K_RAX || b.kind == K_XMM0) {
            load_gp(j, RCX, &b, kb, w);
            load_gp(j, RAX, &a, ka, w);
        } else {
            load_gp(j, RAX, &a, ka, w);
            load_gp(j, RCX, &b, kb, w);
        }
        op_r(j, 0, w, 0xd3, ext, RAX);
    }
    vpush(j, rtype, K_RAX);
}

static void
int_mul(struct jit *j, bool w)
{
    prep(j, 2);
    uint32_t kb = j->vh - 1, ka = j->vh - 2;
    struct jval b = vpop(j), a = vpop(j);
    int32_t d;
    if (b.kind == K_CONST && (w ? fits32((int64_t)b.imm) : true)) {
        load_gp(j, RAX, &a, ka, w);
        op_r(j, 0, w, 0x69, RAX, RAX);
        e32(j, (uint32_t)b.imm);
    } else if (val_mem(j, &b, kb, &d)) {
        load_gp(j, RAX, &a, ka, w);
        op_m(j, 0, w, 0x0faf, RAX, RBX, -1, 0, d);
    } else {
        load_gp(j, RCX, &b, kb, w);
        load_gp(j, RAX, &a, ka, w);
        op_r(j, 0, w, 0x0faf, RAX, RCX);
    }
    vpush(j, w ? WASM_I64 : WASM_I32, K_RAX);
}

static void
int_div(struct jit *j, bool w, bool is_signed, bool rem)
{
    prep(j, 2);
    uint32_t kb = j->vh - 1, ka = j->vh - 2;
    struct jval b = vpop(j), a = vpop(j);
    load_gp(j, RCX, &b, kb, w);
    load_gp(j, RAX, &a, ka, w);
    op_r(j, 0, w, 0x85, RCX, RCX);
    jcc_trap(j, CC_E, WASM_TRAP_DIV_ZERO);
    int32_t done = -1, normal = -1;
    if (is_signed) {
        alu_ri(j, w, ALU_CMP, RCX, -1);
        jcc_fwd(j, CC_NE, &normal);
        if (rem) {
            op_r(j, 0, false, 0x33, RDX, RDX); /* x rem -1 = 0 */
            jmp_fwd(j, &done);
        } else {
            /* INT_MIN / -1 overflows; other x / -1 = -x */
            op_r(j, 0, w, 0xf7, 3, RAX); /* neg: overflow flag set for INT_MIN */
            jcc_trap(j, CC_O, WASM_TRAP_INT_OVERFLOW);
            jmp_fwd(j, &done);
        }
        bind(j, normal, j->len);
        if (w)
            eb(j, 0x48);
        eb(j, 0x99); /* cdq / cqo */
        op_r(j, 0, w, 0xf7, 7, RCX);
    } else {
        op_r(j, 0, false, 0x33, RDX, RDX);
        op_r(j, 0, w, 0xf7, 6, RCX);
    }
    if (rem && !is_signed)
        mov_rr(j, w, RAX, RDX);
    if (rem && is_signed) {
        bind(j, done, j->len);
        done = -1;
        mov_rr(j, w, RAX, RDX);
    }
    bind(j, done, j->len);
    vpush(j, w ? WASM_I64 : WASM_I32, K_RAX);
}

/* clz (bsr) and ctz (bsf) with the zero case. */
static void
int_bitscan(struct jit *j, bool w, bool clz)
{
    prep(j, 1);
    uint32_t k = j->vh - 1;
    struct jval a = vpop(j);
    load_gp(j, RCX, &a, k, w);
    if (clz) {
        op_r(j, 0, w, 0x0fbd, RAX, RCX);       /* bsr */
        mov_ri(j, RCX, w ? 127 : 63);
        op_r(j, 0, w, 0x0f40 + CC_E, RAX, RCX); /* cmovz */
        alu_ri(j, w, ALU_XOR, RAX, w ? 63 : 31);
    } else {
        op_r(j, 0, w, 0x0fbc, RAX, RCX); /* bsf */
        mov_ri(j, RCX, w ? 64 : 32);
        op_r(j, 0, w, 0x0f40 + CC_E, RAX, RCX);
    }
    vpush(j, w ? WASM_I64 : WASM_I32, K_RAX);
}

/* Float binary: addss/addsd family (opc 0x58 ...), result in xmm0. */
static void
float_binop(struct jit *j, bool dbl, uint8_t opc)
{
    prep(j, 2);
    uint32_t kb = j->vh - 1, ka = j->vh - 2;
    struct jval b = vpop(j), a = vpop(j);
    int32_t d;
    uint8_t pfx = dbl ? 0xf2 : 0xf3;
    if (val_mem(j, &b, kb, &d)) {
        load_xmm(j, 0, &a, ka, dbl);
        op_m(j, pfx, false, 0x0f00u | opc, 0, RBX, -1, 0, d);
    } else if (b.kind == K_LOCAL && lreg_of(j, b.local) >= XREG) {
        load_xmm(j, 0, &a, ka, dbl);
        op_r(j, pfx, false, 0x0f00u | opc, 0, lreg_of(j, b.local) - XREG);
    } else if (b.kind == K_XREG) {
        load_xmm(j, 0, &a, ka, dbl);
        op_r(j, pfx, false, 0x0f00u | opc, 0, (int)b.local);
    } else {
        load_xmm(j, 1, &b, kb, dbl);
        load_xmm(j, 0, &a, ka, dbl);
        op_r(j, pfx, false, 0x0f00u | opc, 0, 1);
    }
    vpush(j, dbl ? WASM_F64 : WASM_F32, K_XMM0);
}

static void
float_cmp(struct jit *j, bool dbl, uint8_t wop)
{
    prep(j, 2);
    uint32_t kb = j->vh - 1, ka = j->vh - 2;
    struct jval b = vpop(j), a = vpop(j);
    /* lt/le compare b with a (ucomis b, a: above / above-or-equal) */
    bool swap = wop == 2 || wop == 4; /* lt, le */
    const struct jval *x = swap ? &b : &a, *y = swap ? &a : &b;
    uint32_t kx = swap ? kb : ka, ky = swap ? ka : kb;
    load_xmm(j, 1, y, ky, dbl);
    load_xmm(j, 0, x, kx, dbl);
    op_r(j, dbl ? 0x66 : 0, false, 0x0f2e, 0, 1); /* ucomis xmm0, xmm1 */
    switch (wop) {
    case 0: /* eq */
        op_r(j, 0, false, 0x0f90 + CC_E, 0, RAX);
        op_r(j, 0, false, 0x0f90 + CC_NP, 0, RCX);
        op_r(j, 0, false, 0x22, RAX, RCX); /* and al, cl */
        break;
    case 1: /* ne */
        op_r(j, 0, false, 0x0f90 + CC_NE, 0, RAX);
        op_r(j, 0, false, 0x0f90 + CC_P, 0, RCX);
        op_r(j, 0, false, 0x0a, RAX, RCX); /* or al, cl */
        break;
    case 2: case 3: /* lt (swapped), gt */
        op_r(j, 0, false, 0x0f90 + CC_A, 0, RAX);
        break;
    default: /* le (swapped), ge */
        op_r(j, 0, false, 0x0f90 + CC_AE, 0, RAX);
        break;
    }
    op_r(j, 0, false, 0x0fb6, RAX, RAX);
    vpush(j, WASM_I32, K_RAX);
}

/* Unary operation on the integer bits of the top entry (r = rax). */
static struct jval
pop_to_rax(struct jit *j, bool w)
{
    prep(j, 1);
    uint32_t k = j->vh - 1;
    struct jval a = vpop(j);
    load_gp(j, RAX, &a, k, w);
    return a;
}

/* A pending float may wait in xmm10..xmm15, which no template uses as scratch;
 * returns a free one, or 0 (xmm0, the one result register) when all are taken. */
static int
free_xreg(struct jit *j)
{
    unsigned used = 0;
    for (uint32_t k = 0; k < j->vh; k++)
        if (j->vs[k].kind == K_XREG)
            used |= 1u << j->vs[k].local;
    for (int x = 10; x <= 15; x++)
        if (!(used & (1u << x)))
            return x;
    return 0;
}

static void
emit_load(struct jit *j, uint8_t op, uint32_t offset)
{
    static const struct { uint8_t size; uint8_t rtype; bool w; uint32_t opc; } L[] = {
        [0x28 - 0x28] = { 4, WASM_I32, false, 0x8b },   [0x29 - 0x28] = { 8, WASM_I64, true, 0x8b },
        [0x2a - 0x28] = { 4, WASM_F32, false, 0x8b },   [0x2b - 0x28] = { 8, WASM_F64, true, 0x8b },
        [0x2c - 0x28] = { 1, WASM_I32, false, 0x0fbe }, [0x2d - 0x28] = { 1, WASM_I32, false, 0x0fb6 },
        [0x2e - 0x28] = { 2, WASM_I32, false, 0x0fbf }, [0x2f - 0x28] = { 2, WASM_I32, false, 0x0fb7 },
        [0x30 - 0x28] = { 1, WASM_I64, true, 0x0fbe },  [0x31 - 0x28] = { 1, WASM_I64, false, 0x0fb6 },
        [0x32 - 0x28] = { 2, WASM_I64, true, 0x0fbf },  [0x33 - 0x28] = { 2, WASM_I64, false, 0x0fb7 },
        [0x34 - 0x28] = { 4, WASM_I64, true, 0x63 },    [0x35 - 0x28] = { 4, WASM_I64, false, 0x8b },
    };
    const uint8_t i = (uint8_t)(op - 0x28);
    prep(j, 1);
    uint32_t k = j->vh - 1;
    struct jval a = vpop(j);
    load_u32(j, RAX, &a, k); /* zero-extended 32-bit index */
    uint64_t end = (uint64_t)offset + L[i].size;
    int32_t disp = 0;
    if (end <= INT32_MAX) {
        op_m(j, 0, true, 0x8d, RCX, RAX, -1, 0, (int32_t)end); /* lea rcx, [rax + end] */
        disp = (int32_t)offset;
    } else {
        mov_ri(j, RCX, offset);
        op_r(j, 0, true, 0x03, RAX, RCX); /* rax = index + offset */
        op_m(j, 0, true, 0x8d, RCX, RAX, -1, 0, L[i].size);
    }
    op_m(j, 0, true, 0x3b, RCX, R15, -1, 0, (int32_t)offsetof(struct wasm_memory, size));
    jcc_trap(j, CC_A, WASM_TRAP_MEMORY_OOB);
    if (op == 0x2a || op == 0x2b) { /* floats straight into an xmm register: movss / movsd */
        int x = free_xreg(j);
        op_m(j, op == 0x2a ? 0xf3 : 0xf2, false, 0x0f10, x, R13, RAX, 1, disp);
        if (x) {
            vpush(j, L[i].rtype, K_XREG)->local = (uint32_t)x;
        } else {
            vpush(j, L[i].rtype, K_XMM0);
        }
        return;
    }
    op_m(j, 0, L[i].w, L[i].opc, RAX, R13, RAX, 1, disp);
    vpush(j, L[i].rtype, K_RAX);
}

static void
emit_store(struct jit *j, uint8_t op, uint32_t offset)
{
    static const uint8_t size[] = { 4, 8, 4, 8, 1, 2, 1, 2, 4 };
    const uint8_t n = size[op - 0x36];
    prep(j, 2);
    uint32_t kv = j->vh - 1, ka = j->vh - 2;
    struct jval v = vpop(j), a = vpop(j);
    /* f32/f64 values in xmm0 are stored from there (movss / movsd) */
    bool from_xmm = (v.kind == K_XMM0 || v.kind == K_XREG) && (op == 0x38 || op == 0x39);
    int xsrc = v.kind == K_XREG ? (int)v.local : 0;
    if (!from_xmm)
        load_gp(j, RDX, &v, kv, n == 8);
    load_u32(j, RAX, &a, ka);
    uint64_t end = (uint64_t)offset + n;
    int32_t disp = 0;
    if (end <= INT32_MAX) {
        op_m(j, 0, true, 0x8d, RCX, RAX, -1, 0, (int32_t)end);
        disp = (int32_t)offset;
    } else {
        mov_ri(j, RCX, offset);
        op_r(j, 0, true, 0x03, RAX, RCX);
        op_m(j, 0, true, 0x8d, RCX, RAX, -1, 0, n);
    }
    op_m(j, 0, true, 0x3b, RCX, R15, -1, 0, (int32_t)offsetof(struct wasm_memory, size));
    jcc_trap(j, CC_A, WASM_TRAP_MEMORY_OOB);
    if (from_xmm) {
        op_m(j, op == 0x38 ? 0xf3 : 0xf2, false, 0x0f11, xsrc, R13, RAX, 1, disp);
        return;
    }
    switch (n) {
    case 1: op_m(j, 0, false, 0x88, RDX, R13, RAX, 1, disp); break;
    case 2: op_m(j, 0x66, false, 0x89, RDX, R13, RAX, 1, disp); break;
    case 4: op_m(j, 0, false, 0x89, RDX, R13, RAX, 1, disp); break;
    default: op_m(j, 0, true, 0x89, RDX, R13, RAX, 1, disp); break;
    }
}

/* Numeric result type and arity of opcodes 0x45..0xc4. */
static void
numeric_sig(uint8_t op, uint32_t *nargs, uint8_t *rtype)
{
    bool bin = (op >= 0x46 && op <= 0x4f) || (op >= 0x51 && op <= 0x66) ||
               (op >= 0x6a && op <= 0x78) || (op >= 0x7c && op <= 0x8a) ||
               (op >= 0x92 && op <= 0x98) || (op >= 0xa0 && op <= 0xa6);
    *nargs = bin ? 2 : 1;
    if (op <= 0x78 || (op >= 0xa7 && op <= 0xab) || op == 0xbc || op == 0xc0 || op == 0xc1)
        *rtype = WASM_I32;
    else if (op <= 0x8a || (op >= 0xac && op <= 0xb1) || op == 0xbd || op >= 0xc2)
        *rtype = op <= 0x66 ? WASM_I32 : WASM_I64;
    else if (op <= 0x98 || (op >= 0xb2 && op <= 0xb6) || op == 0xbe)
        *rtype = WASM_F32;
    else
        *rtype = WASM_F64;
}

/* Compile one instruction (opcode already read). */
static void
compile_numeric(struct jit *j, uint8_t op)
{
    static const uint8_t icc[] = { CC_E, CC_NE, CC_L, CC_B, CC_G, CC_A, CC_LE, CC_BE, CC_GE, CC_AE };
    uint32_t nargs;
    uint8_t rtype;
    numeric_sig(op, &nargs, &rtype);
    if (op == 0x45 || op == 0x50) {
        int_eqz(j, op == 0x50);
        return;
    }
    if (op >= 0x46 && op <= 0x4f) {
        int_cmp(j, false, icc[op - 0x46]);
        return;
    }
    if (op >= 0x51 && op <= 0x5a) {
        int_cmp(j, true, icc[op - 0x51]);
        return;
    }
    if (op >= 0x5b && op <= 0x66) {
        bool dbl = op >= 0x61;
        float_cmp(j, dbl, (uint8_t)(op - (dbl ? 0x61 : 0x5b)));
        return;
    }
    bool w = rtype == WASM_I64;
    switch (op) {
    case 0x67: case 0x79: int_bitscan(j, op == 0x79, true); return;
    case 0x68: case 0x7a: int_bitscan(j, op == 0x7a, false); return;
    case 0x6a: case 0x7c: int_binop(j, w, ALU_ADD, rtype); return;
    case 0x6b: case 0x7d: int_binop(j, w, ALU_SUB, rtype); return;
    case 0x6c: case 0x7e: int_mul(j, w); return;
    case 0x6d: case 0x7f: int_div(j, w, true, false); return;
    case 0x6e: case 0x80: int_div(j, w, false, false); return;
    case 0x6f: case 0x81: int_div(j, w, true, true); return;
    case 0x70: case 0x82: int_div(j, w, false, true); return;
    case 0x71: case 0x83: int_binop(j, w, ALU_AND, rtype); return;
    case 0x72: case 0x84: int_binop(j, w, ALU_OR, rtype); return;
    case 0x73: case 0x85: int_binop(j, w, ALU_XOR, rtype); return;
    case 0x74: case 0x86: int_shift(j, w, 4, rtype); return;
    case 0x75: case 0x87: int_shift(j, w, 7, rtype); return;
    case 0x76: case 0x88: int_shift(j, w, 5, rtype); return;
    case 0x77: case 0x89: int_shift(j, w, 0, rtype); return;
    case 0x78: case 0x8a: int_shift(j, w, 1, rtype); return;
    case 0x92: case 0xa0: float_binop(j, op == 0xa0, 0x58); return;
    case 0x93: case 0xa1: float_binop(j, op == 0xa1, 0x5c); return;
    case 0x94: case 0xa2: float_binop(j, op == 0xa2, 0x59); return;
    case 0x95: case 0xa3: float_binop(j, op == 0xa3, 0x5e); return;
    case 0x8b: /* f32.abs */
        pop_to_rax(j, false);
        alu_ri(j, false, ALU_AND, RAX, 0x7fffffff);
        vpush(j, WASM_F32, K_RAX);
        return;
    case 0x8c: /* f32.neg */
        pop_to_rax(j, false);
        alu_ri(j, false, ALU_XOR, RAX, INT32_MIN);
        vpush(j, WASM_F32, K_RAX);
        return;
    case 0x99: /* f64.abs: shl 1, shr 1 */
        pop_to_rax(j, true);
        op_r(j, 0, true, 0xd1, 4, RAX);
        op_r(j, 0, true, 0xd1, 5, RAX);
        vpush(j, WASM_F64, K_RAX);
        return;
    case 0x9a: /* f64.neg */
        pop_to_rax(j, true);
        op_r(j, 0, true, 0x0fba, 7, RAX); /* btc rax, 63 */
        eb(j, 63);
        vpush(j, WASM_F64, K_RAX);
        return;
    case 0xa7: /* i32.wrap_i64 */
        pop_to_rax(j, false);
        vpush(j, WASM_I32, K_RAX);
        return;
    case 0xac: /* i64.extend_i32_s */
        prep(j, 1);
        {
            uint32_t k = j->vh - 1;
            struct jval a = vpop(j);
            int32_t d;
            if (val_mem(j, &a, k, &d)) {
                op_m(j, 0, true, 0x63, RAX, RBX, -1, 0, d);
            } else {
                load_gp(j, RAX, &a, k, false);
                op_r(j, 0, true, 0x63, RAX, RAX);
            }
        }
        vpush(j, WASM_I64, K_RAX);
        return;
    case 0xad: { /* i64.extend_i32_u */
        prep(j, 1);
        uint32_t k = j->vh - 1;
        struct jval a = vpop(j);
        load_u32(j, RAX, &a, k);
        vpush(j, WASM_I64, K_RAX);
    }
        return;
    case 0xc0: case 0xc1: case 0xc2: case 0xc3: case 0xc4:
        pop_to_rax(j, w);
        if (op == 0xc0 || op == 0xc2)
            op_r(j, 0, w, 0x0fbe, RAX, RAX); /* movsx from al */
        else if (op == 0xc1 || op == 0xc3)
            op_r(j, 0, w, 0x0fbf, RAX, RAX);
        else
            op_r(j, 0, true, 0x63, RAX, RAX);
        vpush(j, rtype, K_RAX);
        return;
    case 0xbc: case 0xbd: case 0xbe: case 0xbf: /* reinterpret: same bits */
        if (j->vh)
            j->vs[j->vh - 1].type = rtype;
        return;
    case 0xb2: case 0xb3: case 0xb4: case 0xb7: case 0xb8: case 0xb9: {
        /* convert from i32, u32 (as a 64-bit signed value) or i64 */
        bool src64 = op == 0xb4 || op == 0xb9;
        bool dst64 = op >= 0xb7;
        bool u32src = op == 0xb3 || op == 0xb8;
        prep(j, 1);
        uint32_t k = j->vh - 1;
        struct jval a = vpop(j);
        if (u32src)
            load_u32(j, RAX, &a, k);
        else
            load_gp(j, RAX, &a, k, src64);
        op_r(j, dst64 ? 0xf2 : 0xf3, src64 || u32src, 0x0f2a, 0, RAX); /* cvtsi2s? */
        vpush(j, rtype, K_XMM0);
        return;
    }
    case 0xb6: case 0xbb: { /* demote, promote */
        prep(j, 1);
        uint32_t k = j->vh - 1;
        struct jval a = vpop(j);
        load_xmm(j, 0, &a, k, op == 0xb6);
        op_r(j, op == 0xb6 ? 0xf2 : 0xf3, false, 0x0f5a, 0, 0);
        vpush(j, rtype, K_XMM0);
        return;
    }
    case 0x91: case 0x9f: { /* sqrt */
        prep(j, 1);
        uint32_t k = j->vh - 1;
        struct jval a = vpop(j);
        load_xmm(j, 0, &a, k, op == 0x9f);
        op_r(j, op == 0x9f ? 0xf2 : 0xf3, false, 0x0f51, 0, 0);
        vpush(j, rtype, K_XMM0);
        return;
    }
    default:
        emit_helper(j, wasm_jit_numeric, nargs, op, rtype, 1);
        return;
    }
}

/* The types of the function's locals (params first); false on v128 or a bad header. */
static bool
read_locals(struct jit *j)
{
    const struct wasm_type *t = j->ftype;
    uint32_t groups = (uint32_t)rd_uleb(j);
    uint64_t total = t->param_count;
    const uint8_t *save = j->p;
    for (uint32_t g = 0; g < groups && !j->fail; g++) {
        total += rd_uleb(j);
        if (rd_u8(j) == WASM_V128)
            return false;
    }
    if (j->fail || total > WASM_MAX_LOCALS)
        return false;
    j->nlocals = (uint32_t)total;
    j->ltypes = malloc(total ? total : 1);
    if (!j->ltypes)
        return false;
    for (uint32_t i = 0; i < t->param_count; i++)
        j->ltypes[i] = (uint8_t)t->params[i];
    j->p = save;
    uint32_t at = t->param_count;
    for (uint32_t g = 0; g < groups; g++) {
        uint32_t n = (uint32_t)rd_uleb(j);
        uint8_t ty = rd_u8(j);
        for (uint32_t i = 0; i < n; i++)
            j->ltypes[at++] = ty;
    }
    return true;
}

/* Skip an instruction's immediates in unreachable code; false on what we do not compile. */
static bool
skip_imm(struct jit *j, uint8_t op)
{
    switch (op) {
    case 0x02: case 0x03: case 0x04: {
        struct jctl c;
        memset(&c, 0, sizeof(c));
        return read_blocktype(j, &c);
    }
    case 0x0c: case 0x0d: case 0x10: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
    case 0x25: case 0x26: case 0xd2: case 0x3f: case 0x40:
        rd_uleb(j);
        return true;
    case 0x0e: {
        uint64_t n = rd_uleb(j);
        for (uint64_t i = 0; i <= n && !j->fail; i++)
            rd_uleb(j);
        return true;
    }
    case 0x11:
        rd_uleb(j);
        rd_uleb(j);
        return true;
    case 0x1c: {
        uint64_t n = rd_uleb(j);
        for (uint64_t i = 0; i < n && !j->fail; i++)
            if (rd_u8(j) == WASM_V128)
                return false;
        return true;
    }
    case 0x41: case 0x42:
        rd_sleb(j);
        return true;
    case 0x43:
        j->p += 4;
        return j->p <= j->end;
    case 0x44:
        j->p += 8;
        return j->p <= j->end;
    case 0xd0:
        rd_u8(j);
        return true;
    case 0xfc: {
        uint64_t sub = rd_uleb(j);
        switch (sub) {
        case 8: case 12: case 14:
            rd_uleb(j);
            rd_uleb(j);
            return true;
        case 9: case 11: case 13: case 15: case 16: case 17:
            rd_uleb(j);
            return true;
        case 10:
            rd_uleb(j);
            rd_uleb(j);
            return true;
        default:
            return sub <= 7;
        }
    }
    case 0xfd:
        return false;
    default:
        if (op >= 0x28 && op <= 0x3e) {
            rd_uleb(j);
            rd_uleb(j);
        }
        return true;
    }
}

/* Weigh each local's uses (x8 per enclosing loop) and give the heaviest registers. */
static void
choose_reg_locals(struct jit *j)
{
    const uint8_t *save = j->p;
    size_t len = (size_t)(j->end - j->p);
    uint64_t *weight = calloc(j->nlocals ? j->nlocals : 1, sizeof(uint64_t));
    uint8_t *is_loop = malloc(len + 1);
    j->lreg = malloc(j->nlocals ? j->nlocals : 1);
    j->reg_locals = malloc(sizeof(uint32_t) * (sizeof(gp_pool) / sizeof(gp_pool[0]) +
                                               sizeof(xmm_pool) / sizeof(xmm_pool[0])));
    j->uses_mem = true;
    if (!weight || !is_loop || !j->lreg || !j->reg_locals) {
        free(j->lreg);
        j->lreg = NULL;
        goto out;
    }
    memset(j->lreg, -1, j->nlocals ? j->nlocals : 1);
    uint32_t nest = 0, loops = 0;
    bool ok = true;
    j->uses_mem = false;
    while (ok && j->p < j->end && !j->fail) {
        uint8_t op = rd_u8(j);
        if (op == 0x02 || op == 0x03 || op == 0x04) {
            is_loop[nest++] = op == 0x03;
            loops += op == 0x03;
            ok = skip_imm(j, op);
        } else if (op == 0x0b) {
            if (nest == 0)
                break;
            loops -= is_loop[--nest];
        } else if (op >= 0x20 && op <= 0x22) {
            uint64_t l = rd_uleb(j);
            if (l < j->nlocals)
                weight[l] += (uint64_t)1 << (loops < 10 ? 3 * loops : 30);
        } else {
            if ((op >= 0x28 && op <= 0x40) || (op == 0xfc && j->p < j->end && *j->p >= 8 && *j->p <= 11))
                j->uses_mem = true;
            ok = skip_imm(j, op);
        }
    }
    if (!ok || j->fail) {
        j->fail = false;
        j->uses_mem = true;
        goto out;
    }
    /* pick the heaviest of each class, at least 4 (a few uses or any in a loop) */
    for (int cls = 0; cls < 2; cls++) {
        size_t cap = cls ? sizeof(xmm_pool) / sizeof(xmm_pool[0])
                         : sizeof(gp_pool) / sizeof(gp_pool[0]);
        for (size_t n = 0; n < cap; n++) {
            uint64_t best_w = 3;
            int64_t best = -1;
            for (uint32_t l = 0; l < j->nlocals; l++) {
                uint8_t t = j->ltypes[l];
                bool mine = cls ? (t == WASM_F32 || t == WASM_F64) : (t == WASM_I32 || t == WASM_I64);
                if (mine && j->lreg[l] < 0 && weight[l] > best_w) {
                    best_w = weight[l];
                    best = l;
                }
            }
            if (best < 0)
                break;
            j->lreg[best] = (int8_t)(cls ? XREG + xmm_pool[n] : gp_pool[n]);
            j->reg_locals[j->nreg++] = (uint32_t)best;
        }
    }
out:
    free(weight);
    free(is_loop);
    j->p = save;
}

static void
start_block(struct jit *j, uint8_t op)
{
    struct jctl tmp;
    memset(&tmp, 0, sizeof(tmp));
    if (!read_blocktype(j, &tmp)) {
        j->fail = true;
        return;
    }
    struct jval cond = { 0 };
    uint32_t kc = 0;
    if (op == 0x04) {
        prep(j, 1);
        kc = j->vh - 1;
        cond = vpop(j);
    }
    flush_all(j);
    struct jctl *c = push_ctl(j, op);
    if (!c)
        return;
    uint32_t keep_pos = c->patches;
    (void)keep_pos;
    c->single = tmp.single;
    c->single_type = tmp.single_type;
    c->nparams = tmp.nparams;
    c->nresults = tmp.nresults;
    c->params = tmp.params;
    c->results = tmp.results;
    c->height = j->vh - c->nparams;
    if (op == 0x03) {
        c->loop_pos = (uint32_t)j->len;
        check_interrupt(j);
    } else if (op == 0x04) {
        int cc = cond_flags(j, &cond, kc);
        jcc_fwd(j, cc ^ 1, &c->else_patch);
    }
}

/* Leave unreachable code: the stack is exactly the block's params or results. */
static void
reset_stack(struct jit *j, const struct jctl *c, bool results)
{
    while (j->vh > c->height)
        vpop(j);
    uint32_t n = results ? c->nresults : c->nparams;
    for (uint32_t i = 0; i < n; i++)
        vpush(j, results ? ctl_result(c, i) : (uint8_t)c->params[i], K_MEM);
}

static void
compile_body(struct jit *j)
{
    uint32_t skip = 0; /* nesting depth inside unreachable code */
    while (!j->fail && j->nctl > 0) {
        uint8_t op = rd_u8(j);
        struct jctl *cur = &j->ctl[j->nctl - 1];
        if (cur->unreachable) {
            if (op == 0x02 || op == 0x03 || op == 0x04) {
                skip++;
                if (!skip_imm(j, op))
                    j->fail = true;
                continue;
            }
            if (op == 0x0b && skip > 0) {
                skip--;
                continue;
            }
            if (op == 0x05 && skip > 0)
                continue;
            if (op != 0x0b && op != 0x05) {
                if (!skip_imm(j, op))
                    j->fail = true;
                continue;
            }
        }
        switch (op) {
        case 0x00: /* unreachable */
            mov_ri(j, RAX, WASM_TRAP_UNREACHABLE);
            jmp_fwd(j, &j->common_patches);
            cur->unreachable = true;
            break;
        case 0x01:
            break;
        case 0x02: case 0x03: case 0x04:
            start_block(j, op);
            break;
        case 0x05: /* else */
            if (!cur->unreachable) {
                flush_all(j);
                jmp_fwd(j, &cur->patches);
            }
            bind(j, cur->else_patch, j->len);
            cur->else_patch = -1;
            reset_stack(j, cur, false);
            cur->unreachable = false;
            break;
        case 0x0b: { /* end */
            if (!cur->unreachable)
                flush_all(j);
            if (cur->kind == 0) {
                if (!cur->unreachable)
                    return_moves(j);
                j->nctl--;
                return;
            }
            bind(j, cur->else_patch, j->len);
            bind(j, cur->patches, j->len);
            struct jctl c = *cur;
            j->nctl--;
            reset_stack(j, &c, true);
            break;
        }
        case 0x0c: { /* br */
            uint32_t l = (uint32_t)rd_uleb(j);
            struct jctl *t = &j->ctl[j->nctl - 1 - l];
            flush_all(j);
            if (t->kind == 0) {
                return_moves(j);
            } else {
                br_moves(j, t);
            }
            br_jump(j, t);
            cur->unreachable = true;
            break;
        }
        case 0x0d: { /* br_if */
            uint32_t l = (uint32_t)rd_uleb(j);
            struct jctl *t = &j->ctl[j->nctl - 1 - l];
            prep(j, 1);
            uint32_t kc = j->vh - 1;
            struct jval cond = vpop(j);
            flush_all(j);
            int cc = cond_flags(j, &cond, kc);
            bool moves = t->kind == 0 ? j->ftype->result_count > 0 : br_needs_moves(j, t);
            if (!moves) {
                if (t->kind == 0x03) {
                    eb(j, 0x0f);
                    eb(j, (uint8_t)(0x80 + cc));
                    e32(j, (uint32_t)((int64_t)t->loop_pos - (int64_t)(j->len + 4)));
                } else if (t->kind == 0) {
                    jcc_fwd(j, cc, &j->ret_patches);
                } else {
                    jcc_fwd(j, cc, &t->patches);
                }
            } else {
                int32_t skipl = -1;
                jcc_fwd(j, cc ^ 1, &skipl);
                if (t->kind == 0)
                    return_moves(j);
                else
                    br_moves(j, t);
                br_jump(j, t);
                bind(j, skipl, j->len);
            }
            break;
        }
        case 0x0e: { /* br_table */
            uint32_t n = (uint32_t)rd_uleb(j);
            uint32_t *labels = try_malloc(((size_t)n + 1) * sizeof(uint32_t));
            if (!labels) {
                j->fail = true;
                break;
            }
            for (uint32_t i = 0; i <= n && !j->fail; i++)
                labels[i] = (uint32_t)rd_uleb(j);
            if (j->fail) {
                free(labels);
                break;
            }
            prep(j, 1);
            uint32_t ki = j->vh - 1;
            struct jval idx = vpop(j);
            flush_all(j);
            load_gp(j, RAX, &idx, ki, false);
            mov_ri(j, RCX, n);
            op_r(j, 0, false, 0x3b, RAX, RCX);           /* cmp eax, ecx */
            op_r(j, 0, false, 0x0f40 + CC_A, RAX, RCX);  /* cmova eax, ecx */
            eb(j, 0x48);
            eb(j, 0x8d);
            eb(j, 0x0d); /* lea rcx, [rip + rel32] */
            size_t lea_pos = j->len;
            e32(j, 0);
            op_m(j, 0, true, 0x63, RAX, RCX, RAX, 4, 0); /* movsxd rax, [rcx + rax*4] */
            op_r(j, 0, true, 0x03, RAX, RCX);           /* add rax, rcx */
            eb(j, 0xff);
            eb(j, 0xe0); /* jmp rax */
            size_t table = j->len;
            put32(j, lea_pos, (uint32_t)(table - (lea_pos + 4)));
            for (uint32_t i = 0; i <= n; i++)
                e32(j, 0);
            for (uint32_t i = 0; i <= n && !j->fail; i++) {
                put32(j, table + 4 * (size_t)i, (uint32_t)(j->len - table));
                struct jctl *t = &j->ctl[j->nctl - 1 - labels[i]];
                if (t->kind == 0)
                    return_moves(j);
                else
                    br_moves(j, t);
                br_jump(j, t);
            }
            free(labels);
            j->ctl[j->nctl - 1].unreachable = true;
            break;
        }
        case 0x0f: /* return */
            return_moves(j);
            jmp_fwd(j, &j->ret_patches);
            cur->unreachable = true;
            break;
        case 0x10: { /* call */
            uint32_t f = (uint32_t)rd_uleb(j);
            if (f >= j->mod->func_count) {
                j->fail = true;
                break;
            }
            const struct wasm_type *t = &j->mod->types[j->mod->func_types[f]];
            if (type_has_v128(t)) {
                j->fail = true;
                break;
            }
            flush_all(j);
            ld(j, true, RDX, R14, (int32_t)offsetof(struct wasm_instance, funcs));
            ld(j, true, RDX, RDX, (int32_t)(8 * f));
            const struct wasm_code *known = NULL;
            if (f >= j->mod->import_func_count)
                known = &j->mod->codes[f - j->mod->import_func_count];
            emit_call(j, t, false, known);
            break;
        }
        case 0x11: { /* call_indirect */
            uint32_t ti = (uint32_t)rd_uleb(j), tab = (uint32_t)rd_uleb(j);
            if (ti >= j->mod->type_count || type_has_v128(&j->mod->types[ti])) {
                j->fail = true;
                break;
            }
            flush_all(j);
            uint32_t ki = j->vh - 1;
            /* the checks of the interpreter: bound, null element, type */
            ld(j, false, RAX, RBX, slot_disp(j, ki));
            ld(j, true, RCX, R14, (int32_t)offsetof(struct wasm_instance, tables));
            ld(j, true, RCX, RCX, (int32_t)(8 * (uint64_t)tab));
            op_m(j, 0, false, 0x3b, RAX, RCX, -1, 0, (int32_t)offsetof(struct wasm_table, size));
            jcc_trap(j, CC_AE, WASM_TRAP_UNDEFINED_ELEMENT);
            ld(j, true, RCX, RCX, (int32_t)offsetof(struct wasm_table, elems));
            op_m(j, 0, true, 0x8b, RDX, RCX, RAX, 8, 0); /* mov rdx, [rcx + rax*8] */
            op_r(j, 0, true, 0x85, RDX, RDX);
            jcc_trap(j, CC_E, WASM_TRAP_UNINITIALIZED_ELEM);
            save_reg_locals(j);
            const struct wasm_type *want = &j->mod->types[ti];
            mov_ri(j, RSI, (uint64_t)(uintptr_t)want);
            ld(j, true, RDI, RDX, (int32_t)offsetof(struct wasm_func_inst, type));
            op_r(j, 0, true, 0x3b, RDI, RSI); /* same type object: no call */
            int32_t same = -1;
            jcc_fwd(j, CC_E, &same);
            st(j, true, RSP, 0, RDX);
            call_abs(j, (const void *)wasm_type_equal);
            ld(j, true, RDX, RSP, 0);
            op_r(j, 0, false, 0x84, RAX, RAX); /* test al, al */
            jcc_trap(j, CC_E, WASM_TRAP_INDIRECT_MISMATCH);
            bind(j, same, j->len);
            vpop(j);
            emit_call(j, want, true, NULL);
            break;
        }
        case 0x1a: /* drop */
            vpop(j);
            break;
        case 0x1b: case 0x1c: { /* select */
            if (op == 0x1c) {
                uint64_t n = rd_uleb(j);
                for (uint64_t i = 0; i < n; i++)
                    if (rd_u8(j) == WASM_V128)
                        j->fail = true;
            }
            prep(j, 3);
            uint32_t kc = j->vh - 1, kb = j->vh - 2, ka = j->vh - 3;
            struct jval c = vpop(j), b = vpop(j), a = vpop(j);
            if (c.kind == K_RAX || c.kind == K_XMM0 || c.kind == K_FLAGS)
                load_gp(j, RDX, &c, kc, false);
            bool b_done = false;
            if (b.kind == K_RAX || b.kind == K_XMM0) {
                load_gp(j, RCX, &b, kb, true);
                b_done = true;
            }
            load_gp(j, RAX, &a, ka, true);
            if (!b_done)
                load_gp(j, RCX, &b, kb, true);
            if (c.kind == K_RAX || c.kind == K_XMM0 || c.kind == K_FLAGS) {
                op_r(j, 0, false, 0x85, RDX, RDX);
            } else {
                int32_t d;
                if (val_mem(j, &c, kc, &d)) {
                    op_m(j, 0, false, 0x83, 7, RBX, -1, 0, d);
                    eb(j, 0);
                } else {
                    load_gp(j, RDX, &c, kc, false);
                    op_r(j, 0, false, 0x85, RDX, RDX);
                }
            }
            op_r(j, 0, true, 0x0f40 + CC_E, RAX, RCX); /* cmovz rax, rcx */
            vpush(j, a.type, K_RAX);
            break;
        }
        case 0x20: { /* local.get */
            uint32_t l = (uint32_t)rd_uleb(j);
            if (l >= j->nlocals) {
                j->fail = true;
                break;
            }
            vpush(j, j->ltypes[l], K_LOCAL)->local = l;
            break;
        }
        case 0x21: case 0x22: { /* local.set, local.tee */
            uint32_t l = (uint32_t)rd_uleb(j);
            if (l >= j->nlocals || j->vh == 0) {
                j->fail = true;
                break;
            }
            uint32_t k = j->vh - 1;
            flush_local(j, l, k);
            struct jval *v = &j->vs[k];
            if (v->kind == K_FLAGS)
                spill(j, k);
            int r = lreg_of(j, l);
            if (r >= XREG)
                load_xmm(j, r - XREG, v, k, j->ltypes[l] == WASM_F64);
            else if (r >= 0)
                load_gp(j, r, v, k, true);
            else
                store_val(j, local_disp(l), v, k);
            if (op == 0x21) {
                vpop(j);
            } else if (r >= 0) {
                /* tee into a register local: the entry reads that register from now on */
                if (j->reg_idx == (int32_t)k)
                    j->reg_idx = -1;
                v->kind = K_LOCAL;
                v->local = l;
            }
            break;
        }
        case 0x23: { /* global.get */
            uint32_t g = (uint32_t)rd_uleb(j);
            if (g >= j->mod->global_count || j->mod->globals[g].type == WASM_V128) {
                j->fail = true;
                break;
            }
            prep(j, 0);
            ld(j, true, RAX, R14, (int32_t)offsetof(struct wasm_instance, globals));
            ld(j, true, RAX, RAX, (int32_t)(8 * g));
            ld(j, true, RAX, RAX, (int32_t)offsetof(struct wasm_global, val));
            vpush(j, (uint8_t)j->mod->globals[g].type, K_RAX);
            break;
        }
        case 0x24: { /* global.set */
            uint32_t g = (uint32_t)rd_uleb(j);
            if (g >= j->mod->global_count || j->mod->globals[g].type == WASM_V128) {
                j->fail = true;
                break;
            }
            prep(j, 1);
            uint32_t k = j->vh - 1;
            struct jval v = vpop(j);
            load_gp(j, RCX, &v, k, true);
            ld(j, true, RAX, R14, (int32_t)offsetof(struct wasm_instance, globals));
            ld(j, true, RAX, RAX, (int32_t)(8 * g));
            st(j, true, RAX, (int32_t)offsetof(struct wasm_global, val), RCX);
            break;
        }
        case 0x25: { /* table.get */
            uint32_t t = (uint32_t)rd_uleb(j);
            emit_helper(j, wasm_jit_table_get, 1, t, WASM_FUNCREF, 1);
            break;
        }
        case 0x26: { /* table.set */
            uint32_t t = (uint32_t)rd_uleb(j);
            emit_helper(j, wasm_jit_table_set, 2, t, 0, 0);
            break;
        }
        case 0x3f: /* memory.size */
            rd_uleb(j);
            prep(j, 0);
            ld(j, true, RAX, R15, (int32_t)offsetof(struct wasm_memory, size));
            op_r(j, 0, true, 0xc1, 5, RAX);
            eb(j, 16);
            vpush(j, WASM_I32, K_RAX);
            break;
        case 0x40: /* memory.grow */
            rd_uleb(j);
            emit_helper(j, wasm_jit_memory_grow, 1, 0, WASM_I32, 1);
            break;
        case 0x41: {
            int64_t v = rd_sleb(j);
            vpush(j, WASM_I32, K_CONST)->imm = (uint32_t)v;
            break;
        }
        case 0x42: {
            int64_t v = rd_sleb(j);
            vpush(j, WASM_I64, K_CONST)->imm = (uint64_t)v;
            break;
        }
        case 0x43: {
            uint32_t v = 0;
            if (j->p + 4 > j->end) {
                j->fail = true;
                break;
            }
            memcpy(&v, j->p, 4);
            j->p += 4;
            vpush(j, WASM_F32, K_CONST)->imm = v;
            break;
        }
        case 0x44: {
            uint64_t v = 0;
            if (j->p + 8 > j->end) {
                j->fail = true;
                break;
            }
            memcpy(&v, j->p, 8);
            j->p += 8;
            vpush(j, WASM_F64, K_CONST)->imm = v;
            break;
        }
        case 0xd0: { /* ref.null */
            uint8_t t = rd_u8(j);
            vpush(j, t, K_CONST)->imm = 0;
            break;
        }
        case 0xd1: { /* ref.is_null */
            prep(j, 1);
            uint32_t k = j->vh - 1;
            struct jval a = vpop(j);
            load_gp(j, RCX, &a, k, true);
            op_r(j, 0, true, 0x85, RCX, RCX);
            op_r(j, 0, false, 0x0f90 + CC_E, 0, RAX);
            op_r(j, 0, false, 0x0fb6, RAX, RAX);
            vpush(j, WASM_I32, K_RAX);
            break;
        }
        case 0xd2: { /* ref.func */
            uint32_t f = (uint32_t)rd_uleb(j);
            prep(j, 0);
            ld(j, true, RAX, R14, (int32_t)offsetof(struct wasm_instance, funcs));
            ld(j, true, RAX, RAX, (int32_t)(8 * f));
            vpush(j, WASM_FUNCREF, K_RAX);
            break;
        }
        case 0xfc: {
            uint32_t sub = (uint32_t)rd_uleb(j);
            if (sub <= 7) {
                static const uint8_t rt[8] = { WASM_I32, WASM_I32, WASM_I32, WASM_I32,
                                               WASM_I64, WASM_I64, WASM_I64, WASM_I64 };
                emit_helper(j, wasm_jit_numeric, 1, 0x100 + sub, rt[sub], 1);
                break;
            }
            uint32_t a = 0, b = 0;
            switch (sub) {
            case 8: /* memory.init */
                a = (uint32_t)rd_uleb(j);
                rd_uleb(j);
                emit_helper(j, wasm_jit_memory_init, 3, a, 0, 0);
                break;
            case 9:
                a = (uint32_t)rd_uleb(j);
                emit_helper(j, wasm_jit_data_drop, 0, a, 0, 0);
                break;
            case 10:
                rd_uleb(j);
                rd_uleb(j);
                emit_helper(j, wasm_jit_memory_copy, 3, 0, 0, 0);
                break;
            case 11:
                rd_uleb(j);
                emit_helper(j, wasm_jit_memory_fill, 3, 0, 0, 0);
                break;
            case 12: /* table.init elem table */
                a = (uint32_t)rd_uleb(j);
                b = (uint32_t)rd_uleb(j);
                emit_helper(j, wasm_jit_table_init, 3, (uint64_t)a | (uint64_t)b << 32, 0, 0);
                break;
            case 13:
                a = (uint32_t)rd_uleb(j);
                emit_helper(j, wasm_jit_elem_drop, 0, a, 0, 0);
                break;
            case 14: /* table.copy dst src */
                a = (uint32_t)rd_uleb(j);
                b = (uint32_t)rd_uleb(j);
                emit_helper(j, wasm_jit_table_copy, 3, (uint64_t)a | (uint64_t)b << 32, 0, 0);
                break;
            case 15:
                a = (uint32_t)rd_uleb(j);
                emit_helper(j, wasm_jit_table_grow, 2, a, WASM_I32, 1);
                break;
            case 16:
                a = (uint32_t)rd_uleb(j);
                emit_helper(j, wasm_jit_table_size, 0, a, WASM_I32, 1);
                break;
            case 17:
                a = (uint32_t)rd_uleb(j);
                emit_helper(j, wasm_jit_table_fill, 3, a, 0, 0);
                break;
            default:
                j->fail = true;
                break;
            }
            break;
        }
        default:
            if (op >= 0x28 && op <= 0x35) {
                rd_uleb(j);
                uint32_t off = (uint32_t)rd_uleb(j);
                emit_load(j, op, off);
            } else if (op >= 0x36 && op <= 0x3e) {
                rd_uleb(j);
                uint32_t off = (uint32_t)rd_uleb(j);
                emit_store(j, op, off);
            } else if (op >= 0x45 && op <= 0xc4) {
                compile_numeric(j, op);
            } else {
                j->fail = true; /* SIMD and anything else: the interpreter */
            }
            break;
        }
    }
}

static void
prologue(struct jit *j, const struct wasm_code *code)
{
    static const uint8_t pushes[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57 };
    for (size_t i = 0; i < sizeof(pushes); i++)
        eb(j, pushes[i]);
    alu_ri(j, true, ALU_SUB, RSP, 8);
    mov_rr(j, true, R12, RDI);
    mov_rr(j, true, RBX, RSI);
    mov_rr(j, true, RBP, RDX);
    ld(j, true, R14, RBP, (int32_t)offsetof(struct wasm_func_inst, inst));
    /* C stack guard, value stack bound */
    op_m(j, 0, true, 0x3b, RSP, R12, -1, 0, EX(native_limit));
    jcc_trap(j, CC_B, WASM_TRAP_STACK_EXHAUSTED);
    op_m(j, 0, true, 0x8d, RAX, RBX, -1, 0, (int32_t)(8 * (uint64_t)code->max_slots));
    op_m(j, 0, true, 0x3b, RAX, R12, -1, 0, EX(stack_end));
    jcc_trap(j, CC_A, WASM_TRAP_STACK_EXHAUSTED);
    check_interrupt(j);
    /* zero the declared locals */
    uint32_t first = j->ftype->param_count, n = j->nlocals - first;
    if (n <= 8) {
        if (n)
            op_r(j, 0, false, 0x33, RAX, RAX);
        for (uint32_t i = 0; i < n; i++)
            st(j, true, RBX, local_disp(first + i), RAX);
    } else {
        op_m(j, 0, true, 0x8d, RDI, RBX, -1, 0, local_disp(first));
        mov_ri(j, RCX, n);
        op_r(j, 0, false, 0x33, RAX, RAX);
        eb(j, 0xf3);
        eb(j, 0x48);
        eb(j, 0xab); /* rep stosq */
    }
    load_reg_locals(j);
    if (j->mod->mem_count && j->uses_mem) {
        ld(j, true, RAX, R14, (int32_t)offsetof(struct wasm_instance, mems));
        ld(j, true, R15, RAX, 0);
        ld(j, true, R13, R15, (int32_t)offsetof(struct wasm_memory, base));
    } else {
        op_r(j, 0, false, 0x33, R13, R13);
        op_r(j, 0, false, 0x33, R15, R15);
    }
}

static void
epilogue(struct jit *j)
{
    bind(j, j->ret_patches, j->len);
    op_r(j, 0, false, 0x33, RAX, RAX);
    size_t out = j->len;
    alu_ri(j, true, ALU_ADD, RSP, 8);
    static const uint8_t pops[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3 };
    for (size_t i = 0; i < sizeof(pops); i++)
        eb(j, pops[i]);
    /* traps: record the innermost function, return the status in eax */
    for (int t = 0; t < TRAP_KINDS; t++) {
        if (j->trap_patches[t] < 0)
            continue;
        bind(j, j->trap_patches[t], j->len);
        mov_ri(j, RAX, (uint64_t)t);
        jmp_fwd(j, &j->common_patches);
    }
    bind(j, j->common_patches, j->len);
    alu_mi(j, true, ALU_CMP, R12, EX(trap_func), 0);
    eb(j, 0x0f);
    eb(j, 0x80 + CC_NE);
    e32(j, (uint32_t)((int64_t)out - (int64_t)(j->len + 4)));
    st(j, true, R12, EX(trap_func), RBP);
    jmp_to(j, out);
}

/* Compile into a malloc'd buffer of *out_len bytes (the caller frees it);
 * NULL when the function is left to the interpreter. The code is position
 * independent: it may be copied anywhere. */
static uint8_t *
compile(struct wasm_module *mod, const struct wasm_code *code, size_t *out_len)
{
    struct jit j;
    memset(&j, 0, sizeof(j));
    j.mod = mod;
    j.ftype = &mod->types[code->type_idx];
    j.reg_idx = -1;
    j.common_patches = -1;
    j.ret_patches = -1;
    for (int t = 0; t < TRAP_KINDS; t++)
        j.trap_patches[t] = -1;
    j.p = code->body;
    j.end = code->body + code->body_len;
    uint8_t *out = NULL;
    if (type_has_v128(j.ftype) || !read_locals(&j) || j.nlocals != code->frame_slots)
        goto out;
    j.fs = code->frame_slots;
    choose_reg_locals(&j);
    struct jctl *c = push_ctl(&j, 0);
    if (!c)
        goto out;
    c->nresults = j.ftype->result_count;
    c->results = j.ftype->results;
    c->height = 0;
    prologue(&j, code);
    compile_body(&j);
    epilogue(&j);
    if (j.fail || j.nctl != 0 || j.len == 0)
        goto out;
    out = j.buf;
    j.buf = NULL;
    *out_len = j.len;
out:
    free(j.buf);
    free(j.ltypes);
    free(j.lreg);
    free(j.reg_locals);
    free(j.vs);
    free(j.ctl);
    free(j.patch);
    return out;
}

/* ---- code memory ---------------------------------------------------------- */

/*
 * A module's native code lives in its code arena (mod->jit_blocks), a list
 * of chunks under a mutex. A chunk is a memfd mapped twice: a read-write view
 * the compiler copies code into and a read-execute view that runs, so no
 * mapping is ever writable and executable at once and thousands of small
 * functions share a few mappings. Functions are bump-allocated (16-byte
 * aligned) from the newest chunk; bytes once handed out are never written
 * again, so a thread running code in a chunk is never disturbed by a compile
 * that fills the chunk's free tail. A compile that loses a race leaves its
 * bytes unused until the module is freed (at most one copy per racing
 * thread). A function over a quarter of a chunk, and every function once
 * memfd_create or the double mapping failed (some sandboxes forbid them),
 * gets a private mapping of its own (written, then made read-execute). A
 * forked child never writes into a chunk its parent created (the pages are
 * shared): it starts chunks of its own.
 */
# define JIT_CHUNK_SIZE ((size_t)1 << 20)
# define JIT_CODE_ALIGN 16

struct jit_chunk {
    struct jit_chunk *next;
    uint8_t *rw; /* write view; NULL for a private per-function mapping */
    uint8_t *rx; /* execute view */
    size_t size, used;
    pid_t pid; /* process that created it; only it allocates here */
};

struct jit_arena {
    pthread_mutex_t lock;
    struct jit_chunk *chunks; /* all of them, newest first */
    struct jit_chunk *cur;    /* the memfd chunk being filled, or NULL */
    bool no_shared;           /* memfd chunks failed once: private mappings only */
};

static struct jit_arena *
arena_get(struct wasm_module *mod)
{
    struct jit_arena *a = atomic_load_explicit(&mod->jit_blocks, memory_order_acquire);
    if (a)
        return a;
    struct jit_arena *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    if (pthread_mutex_init(&n->lock, NULL) != 0) {
        free(n);
        return NULL;
    }
    void *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&mod->jit_blocks, &expected, n,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        pthread_mutex_destroy(&n->lock);
        free(n);
        return expected;
    }
    return n;
}

/* A memfd chunk of 'size' bytes (a multiple of the page size), or NULL. */
static struct jit_chunk *
chunk_new_shared(size_t size)
{
# ifndef MFD_EXEC
#  define MFD_EXEC 0x0010U
# endif
    /* Kernels with vm.memfd_noexec want MFD_EXEC; older ones reject it. */
    int fd = memfd_create("perch-wasm-code", MFD_CLOEXEC | MFD_EXEC);
    if (fd < 0 && errno == EINVAL)
        fd = memfd_create("perch-wasm-code", MFD_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct jit_chunk *c = malloc(sizeof(*c));
    void *rw = MAP_FAILED, *rx = MAP_FAILED;
    if (c && ftruncate(fd, (off_t)size) == 0) {
        rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (rw != MAP_FAILED)
            rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    }
    close(fd); /* the mappings keep the memory */
    if (rx == MAP_FAILED) {
        if (rw != MAP_FAILED)
            munmap(rw, size);
        free(c);
        return NULL;
    }
    c->next = NULL;
    c->rw = rw;
    c->rx = rx;
    c->size = size;
    c->used = 0;
    c->pid = getpid();
    return c;
}

/* A private mapping holding 'len' bytes of code, made read-execute; NULL on failure. */
static struct jit_chunk *
chunk_new_private(const uint8_t *bytes, size_t len, size_t page)
{
    size_t size = (len + page - 1) / page * page;
    struct jit_chunk *c = malloc(sizeof(*c));
    if (!c)
        return NULL;
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        free(c);
        return NULL;
    }
    memcpy(mem, bytes, len);
    if (mprotect(mem, size, PROT_READ | PROT_EXEC) != 0) {
        munmap(mem, size);
        free(c);
        return NULL;
    }
    c->rw = NULL;
    c->rx = mem;
    c->size = size;
    c->used = size;
    c->pid = getpid();
    return c;
}

/* Copy 'len' bytes of code into the module's code memory; their executable
 * address, or NULL when there is no memory for them. */
static void *
code_place(struct wasm_module *mod, const uint8_t *bytes, size_t len)
{
    struct jit_arena *a = arena_get(mod);
    if (!a)
        return NULL;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    pid_t pid = getpid();
    uint8_t *rw = NULL, *rx = NULL;
    pthread_mutex_lock(&a->lock);
    if (len <= JIT_CHUNK_SIZE / 4 && !a->no_shared) {
        struct jit_chunk *c = a->cur;
        size_t at = c ? (c->used + JIT_CODE_ALIGN - 1) & ~(size_t)(JIT_CODE_ALIGN - 1) : 0;
        if (!c || c->pid != pid || at > c->size || c->size - at < len) {
            c = chunk_new_shared(JIT_CHUNK_SIZE);
            if (c) {
                c->next = a->chunks;
                a->chunks = c;
                a->cur = c;
                at = 0;
            } else {
                a->no_shared = true;
            }
        }
        if (c) {
            c->used = at + len;
            rw = c->rw + at;
            rx = c->rx + at;
        }
    }
    if (!rx) {
        struct jit_chunk *c = chunk_new_private(bytes, len, page);
        if (c) {
            c->next = a->chunks;
            a->chunks = c;
            rx = c->rx;
        }
    }
    pthread_mutex_unlock(&a->lock);
    /* The reserved bytes are this thread's alone: copy them outside the lock.
     * The caller publishes the entry with a release store; a thread reaches
     * the code only through that entry (an acquire load, then a call), and
     * x86 keeps instruction fetch coherent with stores to the same physical
     * page, so bytes no thread has run need no further synchronisation. */
    if (rw)
        memcpy(rw, bytes, len);
    return rx;
}

wasm_jit_fn *
wasm_jit_entry(const struct wasm_func_inst *f)
{
    struct wasm_code *code = (struct wasm_code *)f->code;
    void *e = atomic_load_explicit(&code->jit_entry, memory_order_acquire);
    if (e)
        return (wasm_jit_fn *)e;
    if (atomic_load_explicit(&code->jit_state, memory_order_relaxed) == 2)
        return NULL;
    struct wasm_module *mod = f->inst->mod;
    size_t len = 0;
    uint8_t *bytes = NULL;
    if (mod->limits.tier != WASM_TIER_INTERP && env_tier() == 1)
        bytes = compile(mod, code, &len);
    void *mem = bytes ? code_place(mod, bytes, len) : NULL;
    free(bytes);
    if (!mem) {
        atomic_store_explicit(&code->jit_state, 2, memory_order_relaxed);
        return NULL;
    }
    void *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&code->jit_entry, &expected, mem,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        /* lost a race: the winner's code runs, these bytes stay unused */
        return (wasm_jit_fn *)expected;
    }
    atomic_store_explicit(&code->jit_state, 1, memory_order_relaxed);
    perf_map_add(f, mem, len);
    return (wasm_jit_fn *)mem;
}

void
wasm_jit_module_free(struct wasm_module *mod)
{
    struct jit_arena *a = atomic_exchange(&mod->jit_blocks, NULL);
    if (!a)
        return;
    struct jit_chunk *c = a->chunks;
    while (c) {
        struct jit_chunk *next = c->next;
        if (c->rw)
            munmap(c->rw, c->size);
        munmap(c->rx, c->size);
        free(c);
        c = next;
    }
    pthread_mutex_destroy(&a->lock);
    free(a);
}

#else /* no native tier on this platform */

wasm_jit_fn *
wasm_jit_entry(const struct wasm_func_inst *f)
{
    (void)f;
    return NULL;
}

void
wasm_jit_module_free(struct wasm_module *mod)
{
    (void)mod;
}

uintptr_t
wasm_jit_native_limit(void)
{
    return 0;
}

#endif
