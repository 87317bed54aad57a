/* bench/kernels/hashtable.c: an open-addressing hash table (linear probing, tombstones). */
#include <stdbool.h>
#include <string.h>

#include "bench_kernel.h"

#define EMPTY 0u
#define TOMB 1u /* keys are >= 2 */

struct table {
    uint32_t *keys;
    uint32_t *values;
    uint32_t mask;
};

static uint32_t
hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352d;
    x ^= x >> 15;
    x *= 0x846ca68b;
    x ^= x >> 16;
    return x;
}

static uint32_t *
find_slot(struct table *t, uint32_t key, bool insert)
{
    uint32_t i = hash32(key) & t->mask;
    uint32_t *tomb = NULL;
    for (;;) {
        uint32_t k = t->keys[i];
        if (k == key)
            return &t->keys[i];
        if (k == EMPTY)
            return insert ? (tomb ? tomb : &t->keys[i]) : NULL;
        if (k == TOMB && !tomb)
            tomb = &t->keys[i];
        i = (i + 1) & t->mask;
    }
}

int
main(int argc, char **argv)
{
    unsigned scale = kernel_scale(argc, argv);
    struct table t;
    t.mask = (1u << 20) - 1;
    t.keys = calloc(t.mask + 1, sizeof(uint32_t));
    t.values = calloc(t.mask + 1, sizeof(uint32_t));
    if (!t.keys || !t.values)
        return 1;
    unsigned long ops = 6000000ul * scale / 100;
    uint64_t seed = 1234;
    uint64_t check = 0;
    uint32_t live = 0;
    for (unsigned long op = 0; op < ops; op++) {
        uint64_t r = kernel_rand(&seed);
        uint32_t key = 2 + (uint32_t)(r % 600000); /* keeps the load factor under 0.6 */
        unsigned what = (unsigned)(r >> 60);
        if (what < 8) { /* insert or bump */
            uint32_t *slot = find_slot(&t, key, true);
            size_t idx = (size_t)(slot - t.keys);
            if (*slot != key) {
                *slot = key;
                t.values[idx] = 0;
                live++;
            }
            t.values[idx]++;
        } else if (what < 14) { /* look up */
            uint32_t *slot = find_slot(&t, key, false);
            check += slot ? t.values[slot - t.keys] : 1;
        } else { /* delete */
            uint32_t *slot = find_slot(&t, key, false);
            if (slot) {
                *slot = TOMB;
                live--;
            }
        }
    }
    printf("hashtable: %llu %u\n", (unsigned long long)check, live);
    free(t.keys), free(t.values);
    return 0;
}
