/* src/base/check.h: overflow-checked size arithmetic for input-derived sizes. */
#ifndef PERCH_BASE_CHECK_H
#define PERCH_BASE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each returns false (leaving *out untouched) when the result overflows. */
static inline bool
check_add_size(size_t a, size_t b, size_t *out)
{
    if (a > SIZE_MAX - b)
        return false;
    *out = a + b;
    return true;
}

static inline bool
check_mul_size(size_t a, size_t b, size_t *out)
{
    if (b && a > SIZE_MAX / b)
        return false;
    *out = a * b;
    return true;
}

static inline bool
check_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a > UINT64_MAX - b)
        return false;
    *out = a + b;
    return true;
}

#endif
