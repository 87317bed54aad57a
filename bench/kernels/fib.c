/* bench/kernels/fib.c: recursive calls (naive Fibonacci), the call path of an engine. */
#include "bench_kernel.h"

static uint32_t
fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int
main(int argc, char **argv)
{
    unsigned scale = kernel_scale(argc, argv);
    /* fib(30) is about 2.7 million calls; the full size runs it (or fib(31)) 200 times */
    unsigned reps = (200 * scale + 99) / 100;
    volatile uint32_t n = 30;
    uint32_t sum = 0;
    for (unsigned i = 0; i < reps; i++)
        sum += fib(n + (i & 1));
    printf("fib: %u\n", (unsigned)sum);
    return 0;
}
