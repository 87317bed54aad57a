/* test_ops_path.c: the path ops as scripts call them, relative paths
 * resolving against the scope's cwd (never the process's). */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "test_ops_fixture.h"

/* Relative paths resolve against a cwd that does not exist on disk. */
static int
path_setup(void **state)
{
    setup(state);
    f.ctx.cwd = "/home/dev/project";
    return 0;
}

static int
path_teardown(void **state)
{
    f.ctx.cwd = f.dir;
    return teardown(state);
}

static void
test_ops_path_join_base_dir(void **state)
{
    (void)state;
    EXPECT("a/b/c.txt", "path_join", "a", "b", "c.txt");
    EXPECT("a/c", "path_join", "a/b", "../c");
    EXPECT("/etc/x", "path_join", "a", "/etc", "x");
    EXPECT("a", "path_join", "a/");
    EXPECT("report.md", "path_base", "/tmp/out/report.md");
    EXPECT("out", "path_base", "/tmp/out/");
    EXPECT("/tmp/out", "path_dir", "/tmp/out/report.md");
    EXPECT(".", "path_dir", "report.md");
}

static void
test_ops_path_ext_and_stem(void **state)
{
    (void)state;
    EXPECT(".xml", "path_ext", "batch/input.xml");
    EXPECT(".gz", "path_ext", "pkg.tar.gz");
    EXPECT("", "path_ext", "Makefile");
    EXPECT("", "path_ext", ".gitignore");
    EXPECT("input", "path_stem", "batch/input.xml");
    EXPECT("pkg.tar", "path_stem", "pkg.tar.gz");
    EXPECT(".gitignore", "path_stem", ".gitignore");
}

static void
test_ops_path_abs_and_rel_use_the_scope_cwd(void **state)
{
    (void)state;
    EXPECT("/home/dev/project/src/main.c", "path_abs", "src/./main.c");
    EXPECT("/home/dev/lib", "path_abs", "../lib");
    EXPECT("/etc/hosts", "path_abs", "/etc/hosts");
    EXPECT("src/main.c", "path_rel", "/home/dev/project/src/main.c");
    EXPECT("../other", "path_rel", "/home/dev/other");
    EXPECT("main.c", "path_rel", "src/main.c", "src");
    EXPECT("../../x", "path_rel", "/x", "/a/b");
    EXPECT(".", "path_rel", "/home/dev/project");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_path_join_base_dir),
        cmocka_unit_test(test_ops_path_ext_and_stem),
        cmocka_unit_test(test_ops_path_abs_and_rel_use_the_scope_cwd),
    };
    return cmocka_run_group_tests(tests, path_setup, path_teardown);
}
