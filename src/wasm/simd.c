/* simd.c: the fixed-width SIMD instructions (0xfd prefix): their validation
 * signatures, used by lower.c, and their execution, called by interp.c for
 * every SIMD operation except v128.load, v128.store and v128.const. A v128
 * occupies two stack slots, lanes in little-endian order as in memory. */
#include <math.h>
#include <string.h>

#include "wasm/numeric.h"
#include "wasm/wasm_int.h"

union v128 {
    int8_t i8[16];
    uint8_t u8[16];
    int16_t i16[8];
    uint16_t u16[8];
    int32_t i32[4];
    uint32_t u32[4];
    int64_t i64[2];
    uint64_t u64[2];
    float f32[4];
    double f64[2];
};

/* ---- signatures ---------------------------------------------------------------- */

#define I32 WASM_I32
#define I64 WASM_I64
#define F32 WASM_F32
#define F64 WASM_F64

bool
wasm_simd_sig(uint32_t sub, struct wasm_simd_sig *out)
{
    memset(out, 0, sizeof(*out));
    if (sub > 255)
        return false;
    static const uint8_t load_align[] = { 4, 3, 3, 3, 3, 3, 3, 0, 1, 2, 3, 4 };
    if (sub <= 11) {
        out->kind = sub == 11 ? WASM_SIMD_STORE : WASM_SIMD_LOAD;
        out->align = load_align[sub];
        return true;
    }
    if (sub == 12 || sub == 13) {
        out->kind = sub == 12 ? WASM_SIMD_CONST : WASM_SIMD_SHUFFLE;
        return true;
    }
    if (sub >= 15 && sub <= 20) {
        static const uint8_t t[] = { I32, I32, I32, I64, F32, F64 };
        out->kind = WASM_SIMD_SPLAT;
        out->scalar = t[sub - 15];
        return true;
    }
    if (sub >= 21 && sub <= 34) {
        static const uint8_t lanes[] = { 16, 16, 16, 8, 8, 8, 4, 4, 2, 2, 4, 4, 2, 2 };
        static const uint8_t t[] = { I32, I32, I32, I32, I32, I32, I32, I32, I64, I64, F32, F32,
                                     F64, F64 };
        static const uint8_t is_replace[] = { 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 };
        out->kind = is_replace[sub - 21] ? WASM_SIMD_REPLACE : WASM_SIMD_EXTRACT;
        out->lanes = lanes[sub - 21];
        out->scalar = t[sub - 21];
        return true;
    }
    if (sub >= 84 && sub <= 91) {
        static const uint8_t lanes[] = { 16, 8, 4, 2 };
        out->kind = sub <= 87 ? WASM_SIMD_LOAD_LANE : WASM_SIMD_STORE_LANE;
        out->align = (uint8_t)((sub - 84) & 3);
        out->lanes = lanes[(sub - 84) & 3];
        return true;
    }
    if (sub == 92 || sub == 93) {
        out->kind = WASM_SIMD_LOAD;
        out->align = sub == 92 ? 2 : 3;
        return true;
    }
    if (sub == 82) {
        out->kind = WASM_SIMD_TERNARY;
        return true;
    }
    switch (sub) {
    case 83: case 99: case 100: case 131: case 132: case 163: case 164: case 195: case 196:
        out->kind = WASM_SIMD_TEST;
        return true;
    case 107: case 108: case 109: case 139: case 140: case 141: case 171: case 172: case 173:
    case 203: case 204: case 205:
        out->kind = WASM_SIMD_SHIFT;
        return true;
    case 77: case 94: case 95: case 96: case 97: case 98: case 103: case 104: case 105:
    case 106: case 116: case 117: case 122: case 124: case 125: case 126: case 127: case 128:
    case 129: case 135: case 136: case 137: case 138: case 148: case 160: case 161: case 167:
    case 168: case 169: case 170: case 192: case 193: case 199: case 200: case 201: case 202:
    case 224: case 225: case 227: case 236: case 237: case 239: case 248: case 249: case 250:
    case 251: case 252: case 253: case 254: case 255:
        out->kind = WASM_SIMD_UNARY;
        return true;
    case 154: case 162: case 165: case 166: case 175: case 176: case 178: case 179: case 180:
    case 187: case 194: case 197: case 198: case 207: case 208: case 210: case 211: case 212:
    case 226: case 238:
        return false;
    }
    if (sub == 14 || (sub >= 35 && sub <= 81) || sub <= 255) {
        out->kind = WASM_SIMD_BINARY;
        return true;
    }
    return false;
}

/* ---- helpers ------------------------------------------------------------------- */

static inline float
qnan32(float a)
{
    return a + a;
}

static inline int32_t
sat_s32(double x)
{
    if (isnan(x))
        return 0;
    if (x <= -2147483648.0)
        return INT32_MIN;
    if (x >= 2147483647.0)
        return INT32_MAX;
    return (int32_t)x;
}

static inline uint32_t
sat_u32(double x)
{
    if (isnan(x) || x <= -1.0)
        return 0;
    if (x >= 4294967295.0)
        return UINT32_MAX;
    return (uint32_t)x;
}

static inline int8_t
sat8s(int v)
{
    return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

static inline uint8_t
sat8u(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static inline int16_t
sat16s(int v)
{
    return (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
}

static inline uint16_t
sat16u(int v)
{
    return (uint16_t)(v < 0 ? 0 : v > 65535 ? 65535 : v);
}

#define LANES(n, expr)                                                                             \
    for (int i = 0; i < (n); i++)                                                                  \
        r.expr;

/* Comparisons: all ones when true. */
#define CMP(n, field, ufield, op) LANES(n, ufield[i] = (a.field[i] op b.field[i]) ? (__typeof__(r.ufield[i]))~0ull : 0)

/* ---- execution ------------------------------------------------------------------ */

uint64_t *
wasm_simd_exec(uint32_t sub, const union wasm_cell *imm, uint64_t *sp, uint8_t *mb, uint64_t ms,
               int *out_trap)
{
    union v128 a, b, c, r;
    memset(&r, 0, sizeof(r));
    struct wasm_simd_sig sig;
    wasm_simd_sig(sub, &sig);

    switch (sig.kind) {
    case WASM_SIMD_LOAD: {
        uint64_t ea = (uint64_t)(uint32_t)sp[-1] + imm[0].u64;
        static const uint8_t size[] = { 16, 8, 8, 8, 8, 8, 8, 1, 2, 4, 8 };
        unsigned n = sub == 92 ? 4 : sub == 93 ? 8 : size[sub];
        if (ea + n > ms) {
            *out_trap = WASM_TRAP_MEMORY_OOB;
            return sp;
        }
        union v128 m;
        memset(&m, 0, sizeof(m));
        memcpy(&m, mb + ea, n);
        switch (sub) {
        case 1: LANES(8, i16[i] = m.i8[i]) break;
        case 2: LANES(8, u16[i] = m.u8[i]) break;
        case 3: LANES(4, i32[i] = m.i16[i]) break;
        case 4: LANES(4, u32[i] = m.u16[i]) break;
        case 5: LANES(2, i64[i] = m.i32[i]) break;
        case 6: LANES(2, u64[i] = m.u32[i]) break;
        case 7: LANES(16, u8[i] = m.u8[0]) break;
        case 8: LANES(8, u16[i] = m.u16[0]) break;
        case 9: LANES(4, u32[i] = m.u32[0]) break;
        case 10: LANES(2, u64[i] = m.u64[0]) break;
        default: r = m; break;
        }
        memcpy(sp - 1, &r, 16);
        return sp + 1;
    }
    case WASM_SIMD_STORE: {
        uint64_t ea = (uint64_t)(uint32_t)sp[-3] + imm[0].u64;
        if (ea + 16 > ms) {
            *out_trap = WASM_TRAP_MEMORY_OOB;
            return sp;
        }
        memcpy(mb + ea, sp - 2, 16);
        return sp - 3;
    }
    case WASM_SIMD_LOAD_LANE:
    case WASM_SIMD_STORE_LANE: {
        unsigned n = 1u << ((sub - 84) & 3);
        unsigned lane = (unsigned)imm[1].u64;
        uint64_t ea = (uint64_t)(uint32_t)sp[-3] + imm[0].u64;
        if (ea + n > ms) {
            *out_trap = WASM_TRAP_MEMORY_OOB;
            return sp;
        }
        memcpy(&a, sp - 2, 16);
        if (sig.kind == WASM_SIMD_LOAD_LANE) {
            memcpy(a.u8 + lane * n, mb + ea, n);
            memcpy(sp - 3, &a, 16);
            return sp - 1;
        }
        memcpy(mb + ea, a.u8 + lane * n, n);
        return sp - 3;
    }
    case WASM_SIMD_SHUFFLE: {
        memcpy(&b, sp - 2, 16);
        memcpy(&a, sp - 4, 16);
        uint8_t lanes[16];
        memcpy(lanes, imm, 16);
        LANES(16, u8[i] = lanes[i] < 16 ? a.u8[lanes[i]] : b.u8[lanes[i] - 16])
        memcpy(sp - 4, &r, 16);
        return sp - 2;
    }
    case WASM_SIMD_SPLAT: {
        uint64_t x = sp[-1];
        switch (sub) {
        case 15: LANES(16, u8[i] = (uint8_t)x) break;
        case 16: LANES(8, u16[i] = (uint16_t)x) break;
        case 17: case 19: LANES(4, u32[i] = (uint32_t)x) break;
        default: LANES(2, u64[i] = x) break;
        }
        memcpy(sp - 1, &r, 16);
        return sp + 1;
    }
    case WASM_SIMD_EXTRACT: {
        unsigned lane = (unsigned)imm[1].u64;
        memcpy(&a, sp - 2, 16);
        uint64_t x;
        switch (sub) {
        case 21: x = (uint32_t)(int32_t)a.i8[lane]; break;
        case 22: x = a.u8[lane]; break;
        case 24: x = (uint32_t)(int32_t)a.i16[lane]; break;
        case 25: x = a.u16[lane]; break;
        case 27: case 31: x = a.u32[lane]; break;
        default: x = a.u64[lane]; break;
        }
        sp[-2] = x;
        return sp - 1;
    }
    case WASM_SIMD_REPLACE: {
        unsigned lane = (unsigned)imm[1].u64;
        uint64_t x = sp[-1];
        memcpy(&a, sp - 3, 16);
        switch (sub) {
        case 23: a.u8[lane] = (uint8_t)x; break;
        case 26: a.u16[lane] = (uint16_t)x; break;
        case 28: case 32: a.u32[lane] = (uint32_t)x; break;
        default: a.u64[lane] = x; break;
        }
        memcpy(sp - 3, &a, 16);
        return sp - 1;
    }
    case WASM_SIMD_TEST: {
        memcpy(&a, sp - 2, 16);
        uint32_t x = 0;
        switch (sub) {
        case 83: x = (a.u64[0] | a.u64[1]) != 0; break;
        case 99: x = 1; for (int i = 0; i < 16; i++) x &= a.u8[i] != 0; break;
        case 100: for (int i = 0; i < 16; i++) x |= (uint32_t)(a.u8[i] >> 7) << i; break;
        case 131: x = 1; for (int i = 0; i < 8; i++) x &= a.u16[i] != 0; break;
        case 132: for (int i = 0; i < 8; i++) x |= (uint32_t)(a.u16[i] >> 15) << i; break;
        case 163: x = 1; for (int i = 0; i < 4; i++) x &= a.u32[i] != 0; break;
        case 164: for (int i = 0; i < 4; i++) x |= (a.u32[i] >> 31) << i; break;
        case 195: x = a.u64[0] != 0 && a.u64[1] != 0; break;
        case 196: x = (uint32_t)((a.u64[0] >> 63) | ((a.u64[1] >> 63) << 1)); break;
        }
        sp[-2] = x;
        return sp - 1;
    }
    case WASM_SIMD_SHIFT: {
        uint32_t s = (uint32_t)sp[-1];
        memcpy(&a, sp - 3, 16);
        switch (sub) {
        case 107: LANES(16, u8[i] = (uint8_t)(a.u8[i] << (s & 7))) break;
        case 108: LANES(16, i8[i] = (int8_t)(a.i8[i] >> (s & 7))) break;
        case 109: LANES(16, u8[i] = (uint8_t)(a.u8[i] >> (s & 7))) break;
        case 139: LANES(8, u16[i] = (uint16_t)(a.u16[i] << (s & 15))) break;
        case 140: LANES(8, i16[i] = (int16_t)(a.i16[i] >> (s & 15))) break;
        case 141: LANES(8, u16[i] = (uint16_t)(a.u16[i] >> (s & 15))) break;
        case 171: LANES(4, u32[i] = a.u32[i] << (s & 31)) break;
        case 172: LANES(4, i32[i] = a.i32[i] >> (s & 31)) break;
        case 173: LANES(4, u32[i] = a.u32[i] >> (s & 31)) break;
        case 203: LANES(2, u64[i] = a.u64[i] << (s & 63)) break;
        case 204: LANES(2, i64[i] = a.i64[i] >> (s & 63)) break;
        case 205: LANES(2, u64[i] = a.u64[i] >> (s & 63)) break;
        }
        memcpy(sp - 3, &r, 16);
        return sp - 1;
    }
    case WASM_SIMD_TERNARY:
        memcpy(&c, sp - 2, 16);
        memcpy(&b, sp - 4, 16);
        memcpy(&a, sp - 6, 16);
        LANES(2, u64[i] = (a.u64[i] & c.u64[i]) | (b.u64[i] & ~c.u64[i]))
        memcpy(sp - 6, &r, 16);
        return sp - 4;
    case WASM_SIMD_UNARY:
        memcpy(&a, sp - 2, 16);
        switch (sub) {
        case 77: LANES(2, u64[i] = ~a.u64[i]) break;
        case 94: r.f32[0] = (float)a.f64[0]; r.f32[1] = (float)a.f64[1]; break;
        case 95: r.f64[0] = a.f32[0]; r.f64[1] = a.f32[1]; break;
        case 96: LANES(16, u8[i] = (uint8_t)(a.i8[i] < 0 ? -a.i8[i] : a.i8[i])) break;
        case 97: LANES(16, u8[i] = (uint8_t)(0u - a.u8[i])) break;
        case 98: LANES(16, u8[i] = (uint8_t)__builtin_popcount(a.u8[i])) break;
        case 103: LANES(4, f32[i] = isnan(a.f32[i]) ? qnan32(a.f32[i]) : ceilf(a.f32[i])) break;
        case 104: LANES(4, f32[i] = isnan(a.f32[i]) ? qnan32(a.f32[i]) : floorf(a.f32[i])) break;
        case 105: LANES(4, f32[i] = isnan(a.f32[i]) ? qnan32(a.f32[i]) : truncf(a.f32[i])) break;
        case 106:
            LANES(4, f32[i] = isnan(a.f32[i]) ? qnan32(a.f32[i]) : nearbyintf(a.f32[i])) break;
        case 116: LANES(2, f64[i] = isnan(a.f64[i]) ? a.f64[i] + a.f64[i] : ceil(a.f64[i])) break;
        case 117: LANES(2, f64[i] = isnan(a.f64[i]) ? a.f64[i] + a.f64[i] : floor(a.f64[i])) break;
        case 122: LANES(2, f64[i] = isnan(a.f64[i]) ? a.f64[i] + a.f64[i] : trunc(a.f64[i])) break;
        case 148:
            LANES(2, f64[i] = isnan(a.f64[i]) ? a.f64[i] + a.f64[i] : nearbyint(a.f64[i])) break;
        case 124: LANES(8, i16[i] = (int16_t)(a.i8[2 * i] + a.i8[2 * i + 1])) break;
        case 125: LANES(8, u16[i] = (uint16_t)(a.u8[2 * i] + a.u8[2 * i + 1])) break;
        case 126: LANES(4, i32[i] = a.i16[2 * i] + a.i16[2 * i + 1]) break;
        case 127: LANES(4, u32[i] = (uint32_t)a.u16[2 * i] + a.u16[2 * i + 1]) break;
        case 128: LANES(8, u16[i] = (uint16_t)(a.i16[i] < 0 ? -a.i16[i] : a.i16[i])) break;
        case 129: LANES(8, u16[i] = (uint16_t)(0u - a.u16[i])) break;
        case 135: LANES(8, i16[i] = a.i8[i]) break;
        case 136: LANES(8, i16[i] = a.i8[i + 8]) break;
        case 137: LANES(8, u16[i] = a.u8[i]) break;
        case 138: LANES(8, u16[i] = a.u8[i + 8]) break;
        case 160: LANES(4, u32[i] = a.i32[i] < 0 ? 0u - a.u32[i] : a.u32[i]) break;
        case 161: LANES(4, u32[i] = 0u - a.u32[i]) break;
        case 167: LANES(4, i32[i] = a.i16[i]) break;
        case 168: LANES(4, i32[i] = a.i16[i + 4]) break;
        case 169: LANES(4, u32[i] = a.u16[i]) break;
        case 170: LANES(4, u32[i] = a.u16[i + 4]) break;
        case 192: LANES(2, u64[i] = a.i64[i] < 0 ? 0u - a.u64[i] : a.u64[i]) break;
        case 193: LANES(2, u64[i] = 0u - a.u64[i]) break;
        case 199: LANES(2, i64[i] = a.i32[i]) break;
        case 200: LANES(2, i64[i] = a.i32[i + 2]) break;
        case 201: LANES(2, u64[i] = a.u32[i]) break;
        case 202: LANES(2, u64[i] = a.u32[i + 2]) break;
        case 224: LANES(4, u32[i] = a.u32[i] & 0x7fffffffu) break;
        case 225: LANES(4, u32[i] = a.u32[i] ^ 0x80000000u) break;
        case 227: LANES(4, f32[i] = sqrtf(a.f32[i])) break;
        case 236: LANES(2, u64[i] = a.u64[i] & 0x7fffffffffffffffull) break;
        case 237: LANES(2, u64[i] = a.u64[i] ^ 0x8000000000000000ull) break;
        case 239: LANES(2, f64[i] = sqrt(a.f64[i])) break;
        case 248: LANES(4, i32[i] = sat_s32(a.f32[i])) break;
        case 249: LANES(4, u32[i] = sat_u32(a.f32[i])) break;
        case 250: LANES(4, f32[i] = (float)a.i32[i]) break;
        case 251: LANES(4, f32[i] = (float)a.u32[i]) break;
        case 252: LANES(2, i32[i] = sat_s32(a.f64[i])) break;
        case 253: LANES(2, u32[i] = sat_u32(a.f64[i])) break;
        case 254: LANES(2, f64[i] = (double)a.i32[i]) break;
        case 255: LANES(2, f64[i] = (double)a.u32[i]) break;
        }
        memcpy(sp - 2, &r, 16);
        return sp;
    case WASM_SIMD_BINARY:
        memcpy(&b, sp - 2, 16);
        memcpy(&a, sp - 4, 16);
        switch (sub) {
        case 14: LANES(16, u8[i] = b.u8[i] < 16 ? a.u8[b.u8[i]] : 0) break;
        case 35: CMP(16, u8, u8, ==) break;
        case 36: CMP(16, u8, u8, !=) break;
        case 37: CMP(16, i8, u8, <) break;
        case 38: CMP(16, u8, u8, <) break;
        case 39: CMP(16, i8, u8, >) break;
        case 40: CMP(16, u8, u8, >) break;
        case 41: CMP(16, i8, u8, <=) break;
        case 42: CMP(16, u8, u8, <=) break;
        case 43: CMP(16, i8, u8, >=) break;
        case 44: CMP(16, u8, u8, >=) break;
        case 45: CMP(8, u16, u16, ==) break;
        case 46: CMP(8, u16, u16, !=) break;
        case 47: CMP(8, i16, u16, <) break;
        case 48: CMP(8, u16, u16, <) break;
        case 49: CMP(8, i16, u16, >) break;
        case 50: CMP(8, u16, u16, >) break;
        case 51: CMP(8, i16, u16, <=) break;
        case 52: CMP(8, u16, u16, <=) break;
        case 53: CMP(8, i16, u16, >=) break;
        case 54: CMP(8, u16, u16, >=) break;
        case 55: CMP(4, u32, u32, ==) break;
        case 56: CMP(4, u32, u32, !=) break;
        case 57: CMP(4, i32, u32, <) break;
        case 58: CMP(4, u32, u32, <) break;
        case 59: CMP(4, i32, u32, >) break;
        case 60: CMP(4, u32, u32, >) break;
        case 61: CMP(4, i32, u32, <=) break;
        case 62: CMP(4, u32, u32, <=) break;
        case 63: CMP(4, i32, u32, >=) break;
        case 64: CMP(4, u32, u32, >=) break;
        case 65: CMP(4, f32, u32, ==) break;
        case 66: CMP(4, f32, u32, !=) break;
        case 67: CMP(4, f32, u32, <) break;
        case 68: CMP(4, f32, u32, >) break;
        case 69: CMP(4, f32, u32, <=) break;
        case 70: CMP(4, f32, u32, >=) break;
        case 71: CMP(2, f64, u64, ==) break;
        case 72: CMP(2, f64, u64, !=) break;
        case 73: CMP(2, f64, u64, <) break;
        case 74: CMP(2, f64, u64, >) break;
        case 75: CMP(2, f64, u64, <=) break;
        case 76: CMP(2, f64, u64, >=) break;
        case 78: LANES(2, u64[i] = a.u64[i] & b.u64[i]) break;
        case 79: LANES(2, u64[i] = a.u64[i] & ~b.u64[i]) break;
        case 80: LANES(2, u64[i] = a.u64[i] | b.u64[i]) break;
        case 81: LANES(2, u64[i] = a.u64[i] ^ b.u64[i]) break;
        case 101:
            LANES(8, i8[i] = sat8s(a.i16[i]))
            LANES(8, i8[i + 8] = sat8s(b.i16[i]))
            break;
        case 102:
            LANES(8, u8[i] = sat8u(a.i16[i]))
            LANES(8, u8[i + 8] = sat8u(b.i16[i]))
            break;
        case 110: LANES(16, u8[i] = (uint8_t)(a.u8[i] + b.u8[i])) break;
        case 111: LANES(16, i8[i] = sat8s(a.i8[i] + b.i8[i])) break;
        case 112: LANES(16, u8[i] = sat8u(a.u8[i] + b.u8[i])) break;
        case 113: LANES(16, u8[i] = (uint8_t)(a.u8[i] - b.u8[i])) break;
        case 114: LANES(16, i8[i] = sat8s(a.i8[i] - b.i8[i])) break;
        case 115: LANES(16, u8[i] = sat8u(a.u8[i] - b.u8[i])) break;
        case 118: LANES(16, i8[i] = a.i8[i] < b.i8[i] ? a.i8[i] : b.i8[i]) break;
        case 119: LANES(16, u8[i] = a.u8[i] < b.u8[i] ? a.u8[i] : b.u8[i]) break;
        case 120: LANES(16, i8[i] = a.i8[i] > b.i8[i] ? a.i8[i] : b.i8[i]) break;
        case 121: LANES(16, u8[i] = a.u8[i] > b.u8[i] ? a.u8[i] : b.u8[i]) break;
        case 123: LANES(16, u8[i] = (uint8_t)((a.u8[i] + b.u8[i] + 1) >> 1)) break;
        case 130:
            LANES(8, i16[i] = sat16s((a.i16[i] * b.i16[i] + 0x4000) >> 15)) break;
        case 133:
            LANES(4, i16[i] = sat16s(a.i32[i] < -32768 ? -32768 : a.i32[i] > 32767 ? 32767 : a.i32[i]))
            LANES(4, i16[i + 4] = sat16s(b.i32[i] < -32768 ? -32768 : b.i32[i] > 32767 ? 32767 : b.i32[i]))
            break;
        case 134:
            LANES(4, u16[i] = sat16u(a.i32[i] < 0 ? 0 : a.i32[i] > 65535 ? 65535 : a.i32[i]))
            LANES(4, u16[i + 4] = sat16u(b.i32[i] < 0 ? 0 : b.i32[i] > 65535 ? 65535 : b.i32[i]))
            break;
        case 142: LANES(8, u16[i] = (uint16_t)(a.u16[i] + b.u16[i])) break;
        case 143: LANES(8, i16[i] = sat16s(a.i16[i] + b.i16[i])) break;
        case 144: LANES(8, u16[i] = sat16u(a.u16[i] + b.u16[i])) break;
        case 145: LANES(8, u16[i] = (uint16_t)(a.u16[i] - b.u16[i])) break;
        case 146: LANES(8, i16[i] = sat16s(a.i16[i] - b.i16[i])) break;
        case 147: LANES(8, u16[i] = sat16u(a.u16[i] - b.u16[i])) break;
        case 149: LANES(8, u16[i] = (uint16_t)((uint32_t)a.u16[i] * b.u16[i])) break;
        case 150: LANES(8, i16[i] = a.i16[i] < b.i16[i] ? a.i16[i] : b.i16[i]) break;
        case 151: LANES(8, u16[i] = a.u16[i] < b.u16[i] ? a.u16[i] : b.u16[i]) break;
        case 152: LANES(8, i16[i] = a.i16[i] > b.i16[i] ? a.i16[i] : b.i16[i]) break;
        case 153: LANES(8, u16[i] = a.u16[i] > b.u16[i] ? a.u16[i] : b.u16[i]) break;
        case 155: LANES(8, u16[i] = (uint16_t)((a.u16[i] + b.u16[i] + 1) >> 1)) break;
        case 156: LANES(8, i16[i] = (int16_t)(a.i8[i] * b.i8[i])) break;
        case 157: LANES(8, i16[i] = (int16_t)(a.i8[i + 8] * b.i8[i + 8])) break;
        case 158: LANES(8, u16[i] = (uint16_t)(a.u8[i] * b.u8[i])) break;
        case 159: LANES(8, u16[i] = (uint16_t)(a.u8[i + 8] * b.u8[i + 8])) break;
        case 174: LANES(4, u32[i] = a.u32[i] + b.u32[i]) break;
        case 177: LANES(4, u32[i] = a.u32[i] - b.u32[i]) break;
        case 181: LANES(4, u32[i] = a.u32[i] * b.u32[i]) break;
        case 182: LANES(4, i32[i] = a.i32[i] < b.i32[i] ? a.i32[i] : b.i32[i]) break;
        case 183: LANES(4, u32[i] = a.u32[i] < b.u32[i] ? a.u32[i] : b.u32[i]) break;
        case 184: LANES(4, i32[i] = a.i32[i] > b.i32[i] ? a.i32[i] : b.i32[i]) break;
        case 185: LANES(4, u32[i] = a.u32[i] > b.u32[i] ? a.u32[i] : b.u32[i]) break;
        case 186:
            LANES(4, u32[i] = (uint32_t)((int32_t)a.i16[2 * i] * b.i16[2 * i]) +
                              (uint32_t)((int32_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]))
            break;
        case 188: LANES(4, i32[i] = (int32_t)a.i16[i] * b.i16[i]) break;
        case 189: LANES(4, i32[i] = (int32_t)a.i16[i + 4] * b.i16[i + 4]) break;
        case 190: LANES(4, u32[i] = (uint32_t)a.u16[i] * b.u16[i]) break;
        case 191: LANES(4, u32[i] = (uint32_t)a.u16[i + 4] * b.u16[i + 4]) break;
        case 206: LANES(2, u64[i] = a.u64[i] + b.u64[i]) break;
        case 209: LANES(2, u64[i] = a.u64[i] - b.u64[i]) break;
        case 213: LANES(2, u64[i] = a.u64[i] * b.u64[i]) break;
        case 214: CMP(2, u64, u64, ==) break;
        case 215: CMP(2, u64, u64, !=) break;
        case 216: CMP(2, i64, u64, <) break;
        case 217: CMP(2, i64, u64, >) break;
        case 218: CMP(2, i64, u64, <=) break;
        case 219: CMP(2, i64, u64, >=) break;
        case 220: LANES(2, i64[i] = (int64_t)a.i32[i] * b.i32[i]) break;
        case 221: LANES(2, i64[i] = (int64_t)a.i32[i + 2] * b.i32[i + 2]) break;
        case 222: LANES(2, u64[i] = (uint64_t)a.u32[i] * b.u32[i]) break;
        case 223: LANES(2, u64[i] = (uint64_t)a.u32[i + 2] * b.u32[i + 2]) break;
        case 228: LANES(4, f32[i] = a.f32[i] + b.f32[i]) break;
        case 229: LANES(4, f32[i] = a.f32[i] - b.f32[i]) break;
        case 230: LANES(4, f32[i] = a.f32[i] * b.f32[i]) break;
        case 231: LANES(4, f32[i] = a.f32[i] / b.f32[i]) break;
        case 232: LANES(4, f32[i] = fmin32(a.f32[i], b.f32[i])) break;
        case 233: LANES(4, f32[i] = fmax32(a.f32[i], b.f32[i])) break;
        case 234: LANES(4, u32[i] = b.f32[i] < a.f32[i] ? b.u32[i] : a.u32[i]) break;
        case 235: LANES(4, u32[i] = a.f32[i] < b.f32[i] ? b.u32[i] : a.u32[i]) break;
        case 240: LANES(2, f64[i] = a.f64[i] + b.f64[i]) break;
        case 241: LANES(2, f64[i] = a.f64[i] - b.f64[i]) break;
        case 242: LANES(2, f64[i] = a.f64[i] * b.f64[i]) break;
        case 243: LANES(2, f64[i] = a.f64[i] / b.f64[i]) break;
        case 244: LANES(2, f64[i] = fmin64(a.f64[i], b.f64[i])) break;
        case 245: LANES(2, f64[i] = fmax64(a.f64[i], b.f64[i])) break;
        case 246: LANES(2, u64[i] = b.f64[i] < a.f64[i] ? b.u64[i] : a.u64[i]) break;
        case 247: LANES(2, u64[i] = a.f64[i] < b.f64[i] ? b.u64[i] : a.u64[i]) break;
        }
        memcpy(sp - 4, &r, 16);
        return sp - 2;
    default:
        return sp;
    }
}
