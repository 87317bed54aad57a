/* bench/kernels/sieve.c: sieve of Eratosthenes, byte loads and stores in tight loops. */
#include <string.h>

#include "bench_kernel.h"

int
main(int argc, char **argv)
{
    unsigned scale = kernel_scale(argc, argv);
    const uint32_t limit = 4000000;
    unsigned reps = (40 * scale + 99) / 100;
    uint8_t *composite = malloc(limit + 1);
    if (!composite)
        return 1;
    uint64_t total = 0;
    for (unsigned r = 0; r < reps; r++) {
        memset(composite, 0, limit + 1);
        uint32_t count = 0;
        for (uint32_t i = 2; i <= limit; i++) {
            if (composite[i])
                continue;
            count++;
            for (uint64_t j = (uint64_t)i * i; j <= limit; j += i)
                composite[j] = 1;
        }
        total += count;
    }
    printf("sieve: %llu\n", (unsigned long long)total);
    free(composite);
    return 0;
}
