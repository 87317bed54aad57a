/* bench/kernels/memops.c: memcpy / memmove / memset over many sizes and alignments. */
#include <string.h>

#include "bench_kernel.h"

int
main(int argc, char **argv)
{
    unsigned scale = kernel_scale(argc, argv);
    const size_t size = 4u << 20;
    uint8_t *src = malloc(size), *dst = malloc(size);
    if (!src || !dst)
        return 1;
    uint64_t seed = 99;
    for (size_t i = 0; i < size; i++)
        src[i] = (uint8_t)kernel_rand(&seed);
    memset(dst, 0, size);
    unsigned long ops = 4000000ul * scale / 100;
    uint64_t check = 0;
    for (unsigned long op = 0; op < ops; op++) {
        uint64_t r = kernel_rand(&seed);
        /* mostly small copies, some large ones, like real programs */
        /* 64-bit arithmetic, so 32-bit size_t (wasm32) gives the same numbers */
        size_t len = (size_t)((r & 15) == 0 ? (r >> 8) % 65536 : (r >> 8) % 256);
        size_t from = (size_t)((r >> 24) % (uint64_t)(size - len));
        size_t to = (size_t)((r >> 40) % (uint64_t)(size - len));
        switch (op % 4) {
        case 0:
        case 1:
            memcpy(dst + to, src + from, len);
            break;
        case 2:
            memmove(dst + to, dst + from, len);
            break;
        default:
            memset(dst + to, (int)(r & 0xff), len);
            break;
        }
        check = check * 31 + dst[(to + len / 2) % size];
    }
    for (size_t i = 0; i < size; i += 4093)
        check = check * 131 + dst[i];
    printf("memops: %llu\n", (unsigned long long)check);
    free(src), free(dst);
    return 0;
}
