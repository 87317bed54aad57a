/*
 * src/cli/cli.h: declarations shared by the cli_*.c files and the two
 * programs (main_perch.c, main_mcp.c).
 *
 * cli/ is the only component that calls exit(): every entry point here
 * returns the process exit status (0 success, 1 failure, 2 usage error,
 * N a module's exit code, 124 timeout) and main() passes it on.
 */
#ifndef PERCH_CLI_CLI_H
#define PERCH_CLI_CLI_H

/*
 * `perch wasm ...`: run a WebAssembly module directly, like `wasmtime run`.
 * 'argv' starts at the word "wasm" (argv[0] == "wasm", argv[1] == "run", ...),
 * the same shape as main()'s argv minus the program name. Returns the exit
 * status perch should exit with (the module's exit code for `wasm run`).
 */
int cli_wasm_main(int argc, char **argv);

#endif
