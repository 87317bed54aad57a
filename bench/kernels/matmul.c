/* bench/kernels/matmul.c: single-precision matrix multiply (i-k-j order), float loads and FMA-free math. */
#include <string.h>

#include "bench_kernel.h"

int
main(int argc, char **argv)
{
    unsigned scale = kernel_scale(argc, argv);
    const unsigned n = 256;
    unsigned reps = (100 * scale + 99) / 100;
    float *a = malloc(sizeof(float) * n * n);
    float *b = malloc(sizeof(float) * n * n);
    float *c = malloc(sizeof(float) * n * n);
    if (!a || !b || !c)
        return 1;
    uint64_t seed = 7;
    for (unsigned i = 0; i < n * n; i++) {
        a[i] = (float)(kernel_rand(&seed) % 2001) / 1000.0f - 1.0f;
        b[i] = (float)(kernel_rand(&seed) % 2001) / 1000.0f - 1.0f;
    }
    double total = 0;
    for (unsigned r = 0; r < reps; r++) {
        memset(c, 0, sizeof(float) * n * n);
        for (unsigned i = 0; i < n; i++) {
            for (unsigned k = 0; k < n; k++) {
                float aik = a[i * n + k];
                for (unsigned j = 0; j < n; j++)
                    c[i * n + j] += aik * b[k * n + j];
            }
        }
        for (unsigned i = 0; i < n * n; i += 17)
            total += c[i];
        a[r % (n * n)] += 0.5f; /* each round differs */
    }
    printf("matmul: %.6e\n", total);
    free(a), free(b), free(c);
    return 0;
}
