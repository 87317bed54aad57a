/*
 * tests/spec/spectest.h: pieces of perch-spectest shared between its files.
 *
 * spectest_host.c builds the "spectest" module the test suite imports from;
 * spectest.c reads wast2json output and runs its commands.
 */
#ifndef PERCH_TESTS_SPEC_SPECTEST_H
#define PERCH_TESTS_SPEC_SPECTEST_H

#include <stdbool.h>

#include "wasm/wasm.h"

struct err;

/*
 * Instantiate the spectest host module against 'linker' and register it
 * there as "spectest". The print functions come from a host module defined
 * with wasm_linker_define_func; they print their arguments when 'verbose'.
 * Returns the instance (the caller frees it after every instance that
 * imports from it) or NULL with 'err' filled.
 */
struct wasm_instance *spectest_host_new(struct wasm_linker *linker, bool verbose,
                                        struct err *err);

#endif
