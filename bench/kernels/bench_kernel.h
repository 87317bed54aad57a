/*
 * bench/kernels/bench_kernel.h: what every benchmark kernel shares.
 *
 * A kernel is a plain C program, built natively and for wasm32-wasi from the
 * same source. It takes one optional argument, the size in percent of the
 * full workload (default 100), and prints one line "name: checksum" so the
 * runner can check that both builds computed the same thing.
 */
#ifndef PERCH_BENCH_KERNEL_H
#define PERCH_BENCH_KERNEL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The workload size in percent, from argv[1]; at least 1. */
static inline unsigned
kernel_scale(int argc, char **argv)
{
    long pct = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
    return pct < 1 ? 1 : (unsigned)pct;
}

/* A small deterministic generator (xorshift64*), identical on every target. */
static inline uint64_t
kernel_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#endif
