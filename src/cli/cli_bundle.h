/*
 * src/cli/cli_bundle.h: `perch --build` and the start-up of a built binary
 * (cli_bundle.c); used by main_perch.c.
 */
#ifndef PERCH_CLI_CLI_BUNDLE_H
#define PERCH_CLI_CLI_BUNDLE_H

#include <stdio.h>

#include "bundle/bundle.h"
#include "cli/cli.h"

/*
 * `perch --build`: bundle 'path' (the .perch file found the usual way; NULL
 * when there is none) with o->includes into o->out_path. 'extra' words
 * after the flags are a usage error. Returns the exit status.
 */
int cli_build(const struct cli_opts *o, const char *path, int extra_count, char **extra);

/*
 * Does this executable carry a program? Returns 0 (no: plain perch), 1 (yes:
 * 'b' holds it, extracted, b->dir set) or -1 after printing why it is
 * refused (damaged payload, extraction failed), under the basename of
 * 'argv0' (the built binary's name).
 */
int cli_bundle_open_self(struct bundle *b, const char *argv0);

/* --help of a built binary: the program's commands under 'invoked' (the
 * name it was run as). */
void cli_bundle_print_help(FILE *out, const struct lang_program *prog, const char *invoked);
/* --version of a built binary: the program's name and version, and perch's. */
void cli_bundle_print_version(FILE *out, const struct lang_program *prog, const char *invoked);

#endif
