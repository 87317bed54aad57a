/* bench/kernels/qsort.c: libc qsort with a comparison callback (indirect calls). */
#include <string.h>

#include "bench_kernel.h"

struct record {
    uint32_t key;
    uint32_t tie;
};

static int
compare_records(const void *pa, const void *pb)
{
    const struct record *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->tie > b->tie) - (a->tie < b->tie);
}

int
main(int argc, char **argv)
{
    unsigned scale = kernel_scale(argc, argv);
    const size_t count = 200000;
    unsigned reps = (10 * scale + 99) / 100;
    struct record *v = malloc(count * sizeof(*v));
    if (!v)
        return 1;
    uint64_t seed = 5, check = 0;
    for (unsigned r = 0; r < reps; r++) {
        for (size_t i = 0; i < count; i++) {
            uint64_t x = kernel_rand(&seed);
            v[i].key = (uint32_t)(x % 100000);
            v[i].tie = (uint32_t)(x >> 32);
        }
        qsort(v, count, sizeof(*v), compare_records);
        for (size_t i = 1; i < count; i++) {
            if (compare_records(&v[i - 1], &v[i]) > 0) {
                printf("qsort: not sorted\n");
                return 1;
            }
        }
        check = check * 31 + v[count / 2].key + v[count / 3].tie;
    }
    printf("qsort: %llu\n", (unsigned long long)check);
    free(v);
    return 0;
}
