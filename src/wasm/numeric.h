/*
 * src/wasm/numeric.h: the numeric rules the interpreter (interp.c), its SIMD
 * lanes (simd.c) and the native tier's helpers (jit_helpers.c) share, so that
 * every tier computes exactly the same bits.
 *
 * Values live in 64-bit slots: an f32 in the low 32 bits, an f64 in all 64.
 * min and max follow the spec: a NaN operand gives a NaN (the quiet sum of
 * the operands), and -0 is less than +0.
 */
#ifndef PERCH_WASM_NUMERIC_H
#define PERCH_WASM_NUMERIC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float
f32_of(uint64_t s)
{
    uint32_t u = (uint32_t)s;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint64_t
bits_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline double
f64_of(uint64_t s)
{
    double d;
    memcpy(&d, &s, 8);
    return d;
}

static inline uint64_t
bits_f64(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static inline float
fmin32(float a, float b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == 0 && b == 0)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static inline float
fmax32(float a, float b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == 0 && b == 0)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

static inline double
fmin64(double a, double b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == 0 && b == 0)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static inline double
fmax64(double a, double b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == 0 && b == 0)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

#endif
