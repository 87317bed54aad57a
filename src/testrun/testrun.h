/*
 * src/testrun/testrun.h: `perch test` (REFERENCE.md §5).
 *
 * Runs the commands marked `test`, sorted by name, each in a fresh
 * temporary working directory (unless `test_keep_cwd`), with shell,
 * network and subprocess denied unless the test allows them, and a
 * deadline (`test_timeout`, default 30 s). Reports one line per test and a
 * summary.
 */
#ifndef PERCH_TESTRUN_TESTRUN_H
#define PERCH_TESTRUN_TESTRUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "exec/exec.h"

#define TESTRUN_DEFAULT_TIMEOUT_NS (INT64_C(30) * 1000000000)

struct testrun_opts {
    const char *filter; /* run only tests whose name contains this; NULL = all */
    bool verbose;       /* -v: show every test's output, passing ones too */
    bool keep_tempdir;  /* --keep-tempdir: keep (and print) each temp dir */
    const char *name;   /* what messages start with before " test:" (a built
                         * binary's name); NULL = "perch" */
};

/*
 * Run the tests of app->prog, writing the report to 'out' (perch's
 * stdout). app->sink is not used: each test's output is captured and shown
 * under its result line. Returns the exit status: 0 when every test passed
 * (or there are none), 1 when one failed or the filter matched nothing,
 * 130 when the run was interrupted.
 */
int testrun_main(const struct exec_app *app, const struct testrun_opts *opts, FILE *out);

#endif
