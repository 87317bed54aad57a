/*
 * src/cli/cli_init.h: `perch --init [DIR]`: start a project with a small,
 * commented commands.perch that runs as it is.
 */
#ifndef PERCH_CLI_CLI_INIT_H
#define PERCH_CLI_CLI_INIT_H

/*
 * 'argv' starts at the word "--init"; argv[1], when given, is the directory
 * (created when missing; default: the current directory). Writes
 * DIR/commands.perch, and DIR/wasm/hello.c when a WASI C compiler works.
 * Never overwrites: an existing file is an error. Returns the exit status.
 */
int cli_init_main(int argc, char **argv);

#endif
