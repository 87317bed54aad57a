/* src/base/vec.h: a typed growable array as a macro family.
 *     struct { int *items; size_t count, cap; } v = { 0 };
 *     vec_push(&v, 42);
 *     vec_foreach(&v, p) use(*p);
 *     vec_release(&v);
 * Aborts on out of memory (bookkeeping sizes only; never for untrusted sizes). */
#ifndef PERCH_BASE_VEC_H
#define PERCH_BASE_VEC_H

#include <stdlib.h>

#include "base/xalloc.h"

#define VEC(type)                                                                                  \
    struct {                                                                                       \
        type *items;                                                                               \
        size_t count, cap;                                                                         \
    }

#define vec_reserve(v, n)                                                                          \
    ((v)->items = xgrow((v)->items, &(v)->cap, (n), sizeof(*(v)->items)))
#define vec_push(v, x)                                                                             \
    do {                                                                                           \
        vec_reserve((v), (v)->count + 1);                                                          \
        (v)->items[(v)->count++] = (x);                                                            \
    } while (0)
#define vec_foreach(v, p) for (p = (v)->items; p && p < (v)->items + (v)->count; p++)
#define vec_release(v)                                                                             \
    do {                                                                                           \
        free((v)->items);                                                                          \
        (v)->items = NULL;                                                                         \
        (v)->count = (v)->cap = 0;                                                                 \
    } while (0)

#endif
