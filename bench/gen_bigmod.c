/*
 * bench/gen_bigmod.c: writes a large, valid WebAssembly module for the
 * load-time benchmark (decode + validate + compile).
 *
 *     gen_bigmod OUT.wasm [FUNCTION_COUNT [SEED]]      default 20000 functions, seed 1
 *
 * Function bodies are generated from a small typed grammar so that they look
 * like compiled C: several locals of each type, nested expressions, loads
 * and stores, counted loops, if/else, br_table dispatch, direct calls,
 * call_indirect through a table, globals and selects. Every body is
 * type-correct by construction (the generator tracks the type of every
 * expression), and loops terminate, although the benchmark never runs them.
 * The same seed always gives the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output buffer ------------------------------------------------------- */

struct buf {
    uint8_t *data;
    size_t len, cap;
};

static void
buf_put(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data) {
            fprintf(stderr, "gen_bigmod: out of memory\n");
            exit(1);
        }
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void
byte(struct buf *b, uint8_t v)
{
    buf_put(b, &v, 1);
}

static void
uleb(struct buf *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        if (v)
            c |= 0x80;
        byte(b, c);
    } while (v);
}

static void
sleb(struct buf *b, int64_t v)
{
    for (;;) {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        int done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
        byte(b, done ? c : (uint8_t)(c | 0x80));
        if (done)
            return;
    }
}

static void
name(struct buf *b, const char *s)
{
    uleb(b, strlen(s));
    buf_put(b, s, strlen(s));
}

static void
section(struct buf *out, uint8_t id, struct buf *body)
{
    byte(out, id);
    uleb(out, body->len);
    buf_put(out, body->data, body->len);
    body->len = 0;
}

/* ---- randomness ------------------------------------------------------------ */

static uint64_t rng_state;

static uint32_t
rnd(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

/* ---- types and functions ---------------------------------------------------- */

enum vt { I32 = 0x7f, I64 = 0x7e, F64 = 0x7c };

/* The signatures functions are drawn from. */
struct sig {
    unsigned param_count;
    enum vt params[2];
    int has_result;
    enum vt result;
};

static const struct sig sigs[] = {
    { 2, { I32, I32 }, 1, I32 }, /* 0: int f(int, int) */
    { 1, { I32 }, 1, I32 },      /* 1: int f(int); also the call_indirect type */
    { 2, { I64, I32 }, 1, I64 }, /* 2 */
    { 1, { F64 }, 1, F64 },      /* 3 */
    { 0, { I32 }, 0, I32 },      /* 4: void f(void) */
};
#define SIG_COUNT 5
#define TABLE_SIZE 64
#define MAX_LOCALS 24
#define LOOP_COUNTERS 3 /* one reserved i32 local per loop nesting level */

static uint32_t function_count;
static uint8_t *function_sig; /* per function */

/* The function being generated. */
struct func_ctx {
    uint32_t index;
    enum vt local_type[MAX_LOCALS];
    unsigned local_count;  /* params + declared locals */
    unsigned counter_base; /* first loop-counter local */
    unsigned loop_depth;
    unsigned block_depth;
};

/* A local of type 't' other than the loop counters, or -1. */
static int
pick_local(const struct func_ctx *f, enum vt t)
{
    unsigned candidates[MAX_LOCALS], n = 0;
    for (unsigned i = 0; i < f->local_count; i++)
        if (f->local_type[i] == t && (i < f->counter_base || i >= f->counter_base + LOOP_COUNTERS))
            candidates[n++] = i;
    return n ? (int)candidates[rnd(n)] : -1;
}

/* A function with signature 'sig', preferring nearby indices like real call graphs. */
static uint32_t
pick_callee(uint32_t from, unsigned sig)
{
    for (int tries = 0; tries < 16; tries++) {
        uint32_t span = 200;
        uint32_t lo = from > span ? from - span : 0;
        uint32_t cand = lo + rnd(span * 2);
        if (cand < function_count && function_sig[cand] == sig)
            return cand;
    }
    for (uint32_t i = 0; i < function_count; i++)
        if (function_sig[i] == sig)
            return i;
    return 0;
}

static void expr(struct buf *b, struct func_ctx *f, enum vt t, unsigned depth);

/* An in-bounds address: (expr & 0xfff0) + small offset via the memarg. */
static void
address(struct buf *b, struct func_ctx *f, unsigned depth)
{
    expr(b, f, I32, depth + 1);
    byte(b, 0x41);
    sleb(b, 0xfff0);
    byte(b, 0x71); /* i32.and */
}

static void
memarg(struct buf *b, unsigned align)
{
    uleb(b, align);
    uleb(b, rnd(4) * 4); /* offset */
}

static void
call_args(struct buf *b, struct func_ctx *f, unsigned sig, unsigned depth)
{
    for (unsigned i = 0; i < sigs[sig].param_count; i++)
        expr(b, f, sigs[sig].params[i], depth + 1);
}

/* Append an expression that leaves one value of type 't'. */
static void
expr(struct buf *b, struct func_ctx *f, enum vt t, unsigned depth)
{
    unsigned choice = depth >= 3 ? rnd(2) : rnd(9);
    int local;
    switch (t) {
    case I32:
        switch (choice) {
        case 0:
            byte(b, 0x41);
            sleb(b, (int32_t)rnd(2000) - 1000);
            return;
        case 1:
            if ((local = pick_local(f, I32)) >= 0) {
                byte(b, 0x20);
                uleb(b, (unsigned)local);
            } else {
                byte(b, 0x41);
                sleb(b, 1);
            }
            return;
        case 2: {
            static const uint8_t binops[] = { 0x6a, 0x6b, 0x6c, 0x71, 0x72, 0x73, 0x74, 0x76 };
            expr(b, f, I32, depth + 1);
            expr(b, f, I32, depth + 1);
            byte(b, binops[rnd(sizeof(binops))]);
            return;
        }
        case 3: {
            static const uint8_t cmps[] = { 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d };
            expr(b, f, I32, depth + 1);
            expr(b, f, I32, depth + 1);
            byte(b, cmps[rnd(sizeof(cmps))]);
            return;
        }
        case 4:
            address(b, f, depth);
            byte(b, rnd(2) ? 0x28 : 0x2d); /* i32.load or i32.load8_u */
            memarg(b, 0);
            return;
        case 5:
            expr(b, f, I64, depth + 1);
            byte(b, 0xa7); /* i32.wrap_i64 */
            return;
        case 6: {
            unsigned sig = rnd(2); /* sigs 0 and 1 return i32 */
            call_args(b, f, sig, depth);
            byte(b, 0x10);
            uleb(b, pick_callee(f->index, sig));
            return;
        }
        case 7:
            expr(b, f, I32, depth + 1);
            expr(b, f, I32, depth + 1);
            expr(b, f, I32, depth + 1);
            byte(b, 0x1b); /* select */
            return;
        default:
            byte(b, 0x23); /* global.get 0 */
            uleb(b, 0);
            return;
        }
    case I64:
        switch (choice) {
        case 0:
            byte(b, 0x42);
            sleb(b, (int64_t)rnd(1u << 30) * 977);
            return;
        case 1:
            if ((local = pick_local(f, I64)) >= 0) {
                byte(b, 0x20);
                uleb(b, (unsigned)local);
            } else {
                byte(b, 0x42);
                sleb(b, 3);
            }
            return;
        case 2:
        case 3: {
            static const uint8_t binops[] = { 0x7c, 0x7d, 0x7e, 0x83, 0x84, 0x85, 0x86, 0x88 };
            expr(b, f, I64, depth + 1);
            expr(b, f, I64, depth + 1);
            byte(b, binops[rnd(sizeof(binops))]);
            return;
        }
        case 4:
            address(b, f, depth);
            byte(b, 0x29); /* i64.load */
            memarg(b, 3);
            return;
        case 5:
        case 7:
            expr(b, f, I32, depth + 1);
            byte(b, rnd(2) ? 0xad : 0xac); /* i64.extend_i32_u / _s */
            return;
        case 6:
            call_args(b, f, 2, depth);
            byte(b, 0x10);
            uleb(b, pick_callee(f->index, 2));
            return;
        default:
            expr(b, f, F64, depth + 1);
            byte(b, 0xbd); /* i64.reinterpret_f64 */
            return;
        }
    case F64:
        switch (choice) {
        case 0: {
            double d = (double)rnd(100000) / 64.0;
            uint64_t bits;
            memcpy(&bits, &d, 8);
            byte(b, 0x44);
            for (int i = 0; i < 8; i++)
                byte(b, (uint8_t)(bits >> (8 * i)));
            return;
        }
        case 1:
            if ((local = pick_local(f, F64)) >= 0) {
                byte(b, 0x20);
                uleb(b, (unsigned)local);
            } else {
                expr(b, f, I32, depth + 1);
                byte(b, 0xb7); /* f64.convert_i32_s */
            }
            return;
        case 2:
        case 3: {
            static const uint8_t binops[] = { 0xa0, 0xa1, 0xa2, 0xa4, 0xa5 };
            expr(b, f, F64, depth + 1);
            expr(b, f, F64, depth + 1);
            byte(b, binops[rnd(sizeof(binops))]);
            return;
        }
        case 4:
            address(b, f, depth);
            byte(b, 0x2b); /* f64.load */
            memarg(b, 3);
            return;
        case 5:
            expr(b, f, I32, depth + 1);
            byte(b, 0xb8); /* f64.convert_i32_u */
            return;
        case 6:
            call_args(b, f, 3, depth);
            byte(b, 0x10);
            uleb(b, pick_callee(f->index, 3));
            return;
        default:
            expr(b, f, F64, depth + 1);
            byte(b, 0x9f); /* f64.sqrt */
            return;
        }
    }
}

static void stmts(struct buf *b, struct func_ctx *f, unsigned count, unsigned depth);

/* Append a statement: code that leaves the operand stack as it found it. */
static void
stmt(struct buf *b, struct func_ctx *f, unsigned depth)
{
    static const enum vt types[] = { I32, I32, I32, I64, F64 };
    unsigned choice = depth >= 2 ? rnd(5) : rnd(10);
    switch (choice) {
    case 0:
    case 1:
    case 2: { /* local.set */
        enum vt t = types[rnd(5)];
        int local = pick_local(f, t);
        if (local < 0)
            t = I32, local = pick_local(f, I32);
        int tee = rnd(4) == 0; /* local.tee + drop now and then */
        expr(b, f, t, 0);
        byte(b, tee ? 0x22 : 0x21);
        uleb(b, (unsigned)local);
        if (tee)
            byte(b, 0x1a);
        return;
    }
    case 3: { /* store */
        enum vt t = types[rnd(5)];
        address(b, f, 0);
        expr(b, f, t, 1);
        byte(b, t == I32 ? (rnd(2) ? 0x36 : 0x3a) : t == I64 ? 0x37 : 0x39);
        memarg(b, t == I32 ? 0 : 3);
        return;
    }
    case 4: /* global.set, or a void call */
        if (rnd(2)) {
            expr(b, f, I32, 0);
            byte(b, 0x24);
            uleb(b, 0);
        } else {
            byte(b, 0x10);
            uleb(b, pick_callee(f->index, 4));
        }
        return;
    case 5: /* if / else */
        expr(b, f, I32, 1);
        byte(b, 0x04);
        byte(b, 0x40);
        stmts(b, f, 1 + rnd(3), depth + 1);
        if (rnd(2)) {
            byte(b, 0x05);
            stmts(b, f, 1 + rnd(3), depth + 1);
        }
        byte(b, 0x0b);
        return;
    case 6: /* counted loop */
        if (f->loop_depth < LOOP_COUNTERS) {
            unsigned counter = f->counter_base + f->loop_depth;
            byte(b, 0x41);
            sleb(b, 1 + rnd(100));
            byte(b, 0x21);
            uleb(b, counter);
            byte(b, 0x02); /* block */
            byte(b, 0x40);
            byte(b, 0x03); /* loop */
            byte(b, 0x40);
            f->loop_depth++;
            stmts(b, f, 1 + rnd(4), depth + 1);
            f->loop_depth--;
            byte(b, 0x20); /* counter = counter - 1; br_if loop (counter != 0) */
            uleb(b, counter);
            byte(b, 0x41);
            sleb(b, 1);
            byte(b, 0x6b);
            byte(b, 0x22);
            uleb(b, counter);
            byte(b, 0x0d);
            uleb(b, 0);
            byte(b, 0x0b);
            byte(b, 0x0b);
            return;
        }
        /* fall through */
    case 7: { /* br_table dispatch over three blocks */
        byte(b, 0x02), byte(b, 0x40);
        byte(b, 0x02), byte(b, 0x40);
        byte(b, 0x02), byte(b, 0x40);
        expr(b, f, I32, 1);
        byte(b, 0x0e); /* br_table */
        unsigned n = 2 + rnd(6);
        uleb(b, n);
        for (unsigned i = 0; i < n; i++)
            uleb(b, rnd(3));
        uleb(b, 2);
        byte(b, 0x0b);
        stmts(b, f, 1 + rnd(2), depth + 1);
        byte(b, 0x0b);
        stmts(b, f, 1 + rnd(2), depth + 1);
        byte(b, 0x0b);
        return;
    }
    case 8: /* call_indirect through the table */
        expr(b, f, I32, 1);
        byte(b, 0x41);
        sleb(b, rnd(TABLE_SIZE));
        byte(b, 0x11);
        uleb(b, 1); /* type 1 */
        uleb(b, 0); /* table 0 */
        byte(b, 0x1a);
        return;
    default: /* an expression for its effects */
        expr(b, f, types[rnd(5)], 0);
        byte(b, 0x1a);
        return;
    }
}

static void
stmts(struct buf *b, struct func_ctx *f, unsigned count, unsigned depth)
{
    for (unsigned i = 0; i < count; i++)
        stmt(b, f, depth);
}

/* Append function 'index' (its size, locals and body) to the code section. */
static void
function_body(struct buf *code, uint32_t index)
{
    static struct buf body;
    body.len = 0;
    struct func_ctx f;
    memset(&f, 0, sizeof(f));
    f.index = index;
    const struct sig *s = &sigs[function_sig[index]];
    for (unsigned i = 0; i < s->param_count; i++)
        f.local_type[f.local_count++] = s->params[i];
    /* local declarations: i32s (including the loop counters), i64s, f64s */
    unsigned n_i32 = 2 + rnd(5), n_i64 = rnd(3), n_f64 = rnd(3);
    uleb(&body, 1 + (n_i64 > 0) + (n_f64 > 0));
    uleb(&body, n_i32 + LOOP_COUNTERS);
    byte(&body, I32);
    for (unsigned i = 0; i < n_i32; i++)
        f.local_type[f.local_count++] = I32;
    f.counter_base = f.local_count;
    for (unsigned i = 0; i < LOOP_COUNTERS; i++)
        f.local_type[f.local_count++] = I32;
    if (n_i64) {
        uleb(&body, n_i64);
        byte(&body, I64);
        for (unsigned i = 0; i < n_i64; i++)
            f.local_type[f.local_count++] = I64;
    }
    if (n_f64) {
        uleb(&body, n_f64);
        byte(&body, F64);
        for (unsigned i = 0; i < n_f64; i++)
            f.local_type[f.local_count++] = F64;
    }
    stmts(&body, &f, 3 + rnd(10), 0);
    if (s->has_result)
        expr(&body, &f, s->result, 0);
    byte(&body, 0x0b);
    uleb(code, body.len);
    buf_put(code, body.data, body.len);
}

int
main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: gen_bigmod OUT.wasm [FUNCTION_COUNT [SEED]]\n");
        return 2;
    }
    function_count = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 20000;
    rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (function_count < TABLE_SIZE || rng_state == 0) {
        fprintf(stderr, "gen_bigmod: need at least %d functions and a non-zero seed\n",
                TABLE_SIZE);
        return 2;
    }
    function_sig = malloc(function_count);
    if (!function_sig)
        return 1;
    /* Every signature appears (the first ones fix that), then a C-like mix. */
    for (uint32_t i = 0; i < function_count; i++) {
        static const uint8_t mix[] = { 0, 0, 0, 1, 1, 1, 2, 3, 4, 4 };
        function_sig[i] = i < SIG_COUNT ? (uint8_t)i : mix[rnd(sizeof(mix))];
    }
    function_sig[SIG_COUNT] = 1; /* the table holds type-1 functions from here on */

    struct buf out = { 0 }, sec = { 0 };
    buf_put(&out, "\0asm\1\0\0\0", 8);

    uleb(&sec, SIG_COUNT); /* type section */
    for (unsigned i = 0; i < SIG_COUNT; i++) {
        byte(&sec, 0x60);
        uleb(&sec, sigs[i].param_count);
        for (unsigned p = 0; p < sigs[i].param_count; p++)
            byte(&sec, sigs[i].params[p]);
        uleb(&sec, (unsigned)sigs[i].has_result);
        if (sigs[i].has_result)
            byte(&sec, sigs[i].result);
    }
    section(&out, 1, &sec);

    uleb(&sec, function_count); /* function section */
    for (uint32_t i = 0; i < function_count; i++)
        uleb(&sec, function_sig[i]);
    section(&out, 3, &sec);

    uleb(&sec, 1); /* table section: funcref, TABLE_SIZE */
    byte(&sec, 0x70);
    byte(&sec, 0x00);
    uleb(&sec, TABLE_SIZE);
    section(&out, 4, &sec);

    uleb(&sec, 1); /* memory section: 1 to 16 pages */
    byte(&sec, 0x01);
    uleb(&sec, 1);
    uleb(&sec, 16);
    section(&out, 5, &sec);

    uleb(&sec, 1); /* global section: (mut i32) 0 */
    byte(&sec, I32);
    byte(&sec, 0x01);
    byte(&sec, 0x41);
    sleb(&sec, 0);
    byte(&sec, 0x0b);
    section(&out, 6, &sec);

    uleb(&sec, 3); /* export section */
    name(&sec, "memory");
    byte(&sec, 0x02);
    uleb(&sec, 0);
    name(&sec, "first");
    byte(&sec, 0x00);
    uleb(&sec, 0);
    name(&sec, "last");
    byte(&sec, 0x00);
    uleb(&sec, function_count - 1);
    section(&out, 7, &sec);

    /* element section: active, table 0, offset 0, TABLE_SIZE type-1 functions */
    uint32_t elems[TABLE_SIZE];
    unsigned found = 0;
    for (uint32_t i = 0; i < function_count && found < TABLE_SIZE; i++)
        if (function_sig[i] == 1)
            elems[found++] = i;
    while (found < TABLE_SIZE) /* few type-1 functions: repeat the first */
        elems[found++] = elems[0];
    uleb(&sec, 1);
    uleb(&sec, 0);
    byte(&sec, 0x41);
    sleb(&sec, 0);
    byte(&sec, 0x0b);
    uleb(&sec, TABLE_SIZE);
    for (unsigned i = 0; i < TABLE_SIZE; i++)
        uleb(&sec, elems[i]);
    section(&out, 9, &sec);

    uleb(&sec, function_count); /* code section */
    for (uint32_t i = 0; i < function_count; i++)
        function_body(&sec, i);
    size_t code_size = sec.len;
    section(&out, 10, &sec);

    FILE *fp = fopen(argv[1], "wb");
    if (!fp || fwrite(out.data, 1, out.len, fp) != out.len || fclose(fp) != 0) {
        fprintf(stderr, "gen_bigmod: cannot write '%s'\n", argv[1]);
        return 1;
    }
    printf("gen_bigmod: %s: %u functions, %zu bytes of code, %zu bytes in all\n", argv[1],
           function_count, code_size, out.len);
    free(out.data);
    free(sec.data);
    free(function_sig);
    return 0;
}
