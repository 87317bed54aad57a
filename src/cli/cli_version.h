/*
 * src/cli/cli_version.h: `perch --version`: the version, the WebAssembly
 * engine's version and what this build includes.
 */
#ifndef PERCH_CLI_CLI_VERSION_H
#define PERCH_CLI_CLI_VERSION_H

#include <stdio.h>

/* Print the version report to 'out' ("perch VERSION" first, then details). */
void cli_print_version(FILE *out);

#endif
