/*
 * cli_wasm.c: `perch wasm run [--dir HOST[::GUEST]] [--ro-dir ...] [--env K=V]
 * MODULE [ARGS]`, running a module directly like `wasmtime run`.
 *
 * Placeholder until the WASI host lands: says so and exits with a usage error.
 */
#include "cli/cli.h"

#include <stdio.h>

int
cli_wasm_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "perch wasm: not available yet\n");
    return 2;
}
