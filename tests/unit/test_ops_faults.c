/* test_ops_faults.c: I/O fault injection (os/fault.h) through the file and
 * process ops: whichever step fails, the op reports a clear `io` error
 * naming what failed, and no temporary file is left behind. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "os/fault.h"
#include "test_ops_fake.h"

/* The scenario: every step must succeed when no fault is injected. */
static bool
scenario(struct fake *f, struct sbuf *out, struct err *err)
{
    return fake_run(f, out, err, "write_file", "a.txt", "alpha\n", NULL)
           && fake_run(f, out, err, "append_file", "a.txt", "beta\n", NULL)
           && fake_run(f, out, err, "read_file", "a.txt", NULL)
           && fake_run(f, out, err, "mkdir", "tree/sub", NULL)
           && fake_run(f, out, err, "write_file", "tree/sub/b.txt", "b", NULL)
           && fake_run(f, out, err, "cp", "tree", "copy", NULL)
           && fake_run(f, out, err, "cp", "a.txt", "copy/a.txt", NULL)
           && fake_run(f, out, err, "shell_output", "cat copy/a.txt", NULL)
           && fake_run(f, out, err, "sha256_file", "a.txt", NULL);
}

/* True when some name below 'dir' looks like a temporary file. */
static bool
has_temp_files(struct fake *f)
{
    struct sbuf out = SBUF_INIT;
    struct err err = { 0 };
    bool found = false;
    if (fake_run(f, &out, &err, "glob", "**", NULL))
        found = strstr(out.buf, ".tmp-") != NULL;
    struct sbuf hidden = SBUF_INIT;
    if (fake_run(f, &hidden, &err, "glob", "**/.*", NULL))
        found = found || strstr(hidden.buf, ".tmp-") != NULL;
    if (fake_run(f, &hidden, &err, "glob", ".*", NULL))
        found = found || strstr(hidden.buf, ".tmp-") != NULL;
    sbuf_release(&out);
    sbuf_release(&hidden);
    return found;
}

static void
test_ops_faults_every_io_step_fails_cleanly(void **state)
{
    (void)state;
    int injected = 0;
    for (long n = 1; n < 200; n++) {
        struct fake f;
        fake_init(&f);
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };
        os_fault_io_countdown(n);
        bool ok = scenario(&f, &out, &err);
        os_fault_io_countdown(0);
        if (ok) {
            assert_int_equal(out.len, 64); /* the last step's digest */
            sbuf_release(&out);
            fake_release(&f);
            break;
        }
        injected++;
        assert_int_equal(err.kind, ERR_IO);
        assert_int_equal(err.code, 5 /* EIO */);
        if (!strstr(err.msg, "Input/output error") && !strstr(err.msg, "I/O error"))
            fail_msg("step %ld: unexpected message \"%s\"", n, err.msg);
        if (has_temp_files(&f))
            fail_msg("step %ld (%s) left a temporary file", n, err.msg);
        sbuf_release(&out);
        fake_release(&f);
    }
    /* Opens, writes, syncs, renames and the process start were all hit. */
    assert_true(injected >= 15);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_faults_every_io_step_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
