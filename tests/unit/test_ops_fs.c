/* test_ops_fs.c: file ops through a fake interpreter: paths resolve
 * against the scope's cwd, reads and writes are checked with `requires`,
 * missing files fail with `not_found` naming the path. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_ops_fixture.h"

static void
test_ops_fs_write_read_append(void **state)
{
    (void)state;
    RUN_OK("write_file", "notes.txt", "line one\nline two\n");
    EXPECT("line one\nline two\n", "read_file", "notes.txt");
    RUN_OK("append_file", "notes.txt", "three\n");
    EXPECT("line one\nline two\nthree\n", "read_file", "notes.txt");
    RUN_OK("append_file", "new.log", "first");
    EXPECT("first", "read_file", "new.log");
    RUN_OK("write_file", "notes.txt", "");
    EXPECT("", "read_file", "notes.txt");
    /* Binary files cannot become values (a NUL would cut them short). */
    char *bin = fake_path(&f, "blob.bin");
    struct err werr = { 0 };
    assert_true(os_fs_write_atomic(bin, "ab\0cd", 5, &werr));
    EXPECT_FAIL(ERR_IO, "binary", "read_file", "blob.bin");
    free(bin);
    /* Absolute paths work as well. */
    char *abs = fake_path(&f, "abs.txt");
    RUN_OK("write_file", abs, "x");
    EXPECT("x", "read_file", "abs.txt");
    free(abs);
}

static void
test_ops_fs_missing_files_are_not_found(void **state)
{
    (void)state;
    char *missing = fake_path(&f, "nope.txt");
    EXPECT_FAIL(ERR_NOT_FOUND, missing, "read_file", "nope.txt");
    EXPECT_FAIL(ERR_NOT_FOUND, missing, "rm", "nope.txt");
    EXPECT_FAIL(ERR_NOT_FOUND, missing, "cp", "nope.txt", "dst.txt");
    EXPECT_FAIL(ERR_NOT_FOUND, missing, "file_size", "nope.txt");
    EXPECT_FAIL(ERR_NOT_FOUND, "no/such/dir", "write_file", "no/such/dir/f", "x");
    EXPECT_FAIL(ERR_NOT_FOUND, "read_file: cannot open", "read_file", "nope.txt");
    free(missing);
}

static void
test_ops_fs_checks_reads_and_writes_with_absolute_paths(void **state)
{
    (void)state;
    f.has_deny = true;
    f.deny_what = OP_CHECK_WRITE;
    char *abs = fake_path(&f, "sub/x.txt");
    EXPECT_FAIL(ERR_WRITE_NOT_DECLARED, "sub/x.txt", "write_file", "sub/../sub/x.txt", "data");
    assert_string_equal(f.last_subject, abs);
    EXPECT_FAIL(ERR_WRITE_NOT_DECLARED, "", "rm", "sub");
    EXPECT_FAIL(ERR_WRITE_NOT_DECLARED, "", "mkdir", "sub");
    EXPECT_FAIL(ERR_WRITE_NOT_DECLARED, "", "mktemp_dir");
    f.deny_what = OP_CHECK_READ;
    fake_write(&f, "r.txt", "secret");
    EXPECT_FAIL(ERR_READ_NOT_DECLARED, "r.txt", "read_file", "r.txt");
    EXPECT_FAIL(ERR_READ_NOT_DECLARED, "", "exists", "r.txt");
    EXPECT_FAIL(ERR_READ_NOT_DECLARED, "", "glob", "*.txt");
    assert_string_equal(f.last_subject, f.dir);
    f.has_deny = false;
    free(abs);
}

static void
test_ops_fs_mkdir_exists_is_dir_size(void **state)
{
    (void)state;
    RUN_OK("mkdir", "a/b/c", "d");
    EXPECT("true", "is_dir", "a/b/c");
    EXPECT("true", "exists", "d");
    EXPECT("false", "exists", "zzz");
    EXPECT("false", "is_dir", "zzz");
    fake_write(&f, "a/file.bin", "12345");
    EXPECT("false", "is_dir", "a/file.bin");
    EXPECT("5", "file_size", "a/file.bin");
    EXPECT_FAIL(ERR_IO, "is a directory", "file_size", "a");
    EXPECT_FAIL(ERR_IO, "a file exists there", "mkdir", "a/file.bin");
}

static void
test_ops_fs_cp_mv_rm(void **state)
{
    (void)state;
    fake_write(&f, "in/input.xml", "<x/>");
    RUN_OK("mkdir", "work");
    /* Into an existing directory, and to an explicit name. */
    RUN_OK("cp", "in/input.xml", "work");
    EXPECT("<x/>", "read_file", "work/input.xml");
    RUN_OK("cp", "in/input.xml", "work/copy.xml");
    EXPECT("<x/>", "read_file", "work/copy.xml");
    /* Trees. */
    RUN_OK("cp", "work", "backup");
    EXPECT("copy.xml\ninput.xml", "list_dir", "backup");
    RUN_OK("mv", "backup", "moved");
    EXPECT("false", "exists", "backup");
    EXPECT("<x/>", "read_file", "moved/copy.xml");
    RUN_OK("mv", "moved/copy.xml", "work/renamed.xml");
    EXPECT("copy.xml\ninput.xml\nrenamed.xml", "list_dir", "work");
    /* rm takes files and trees, several at once. */
    RUN_OK("rm", "work", "moved", "in/input.xml");
    EXPECT("false", "exists", "work");
    EXPECT("false", "exists", "moved");
    EXPECT("", "list_dir", "in");
    EXPECT_FAIL(ERR_USAGE, "refusing", "rm", "/");
    EXPECT_FAIL(ERR_USAGE, "refusing to remove '.' or '..'", "rm", ".");
    EXPECT_FAIL(ERR_USAGE, "refusing to remove '.' or '..'", "rm", "in/..");
    EXPECT("true", "exists", "in");
}

static void
test_ops_fs_list_dir_and_glob(void **state)
{
    (void)state;
    fake_write(&f, "posts/b.md", "");
    fake_write(&f, "posts/a.md", "");
    fake_write(&f, "posts/.hidden.md", "");
    fake_write(&f, "posts/sub/c.md", "");
    EXPECT(".hidden.md\na.md\nb.md\nsub", "list_dir", "posts");
    EXPECT("posts/a.md\nposts/b.md", "glob", "posts/*.md");
    EXPECT("posts/a.md\nposts/b.md\nposts/sub/c.md", "glob", "posts/**/*.md");
    EXPECT("", "glob", "*.none");
    char *pattern = fake_path(&f, "posts/*.md");
    char *want = xasprintf("%s/posts/a.md\n%s/posts/b.md", f.dir, f.dir);
    EXPECT(want, "glob", pattern);
    free(pattern);
    free(want);
    /* The scope's cwd, not the process's, anchors relative patterns. */
    char *posts = fake_path(&f, "posts");
    const char *saved = f.ctx.cwd;
    f.ctx.cwd = posts;
    EXPECT("a.md\nb.md", "glob", "*.md");
    EXPECT(".hidden.md\na.md\nb.md\nsub", "list_dir");
    f.ctx.cwd = saved;
    free(posts);
}

static void
test_ops_fs_temp_chmod_touch(void **state)
{
    (void)state;
    RUN_OK("mktemp_dir");
    char *dir = xstrdup(out.buf);
    assert_true(strncmp(dir, f.dir, strlen(f.dir)) == 0); /* honours TMPDIR */
    EXPECT("true", "is_dir", dir);
    RUN_OK("mktemp_file", "build-");
    char *file = xstrdup(out.buf);
    assert_non_null(strstr(file, "/build-"));
    EXPECT("0", "file_size", file);
    struct stat st;
    RUN_OK("chmod", "755", file);
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    RUN_OK("chmod", "go-rx", file);
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    RUN_OK("chmod", "a=r,u+w", file);
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    RUN_OK("chmod", "+x", file);
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    EXPECT_FAIL(ERR_USAGE, "invalid mode 'rwx'", "chmod", "rwx", file);
    EXPECT_FAIL(ERR_USAGE, "invalid mode '999'", "chmod", "999", file);
    EXPECT_FAIL(ERR_NOT_FOUND, "does not exist", "chmod", "644", "ghost");
    RUN_OK("touch", "stamp");
    EXPECT("true", "exists", "stamp");
    RUN_OK("touch", "stamp");
    free(dir);
    free(file);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ops_fs_write_read_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_fs_missing_files_are_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_fs_checks_reads_and_writes_with_absolute_paths,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_fs_mkdir_exists_is_dir_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_fs_cp_mv_rm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_fs_list_dir_and_glob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_fs_temp_chmod_touch, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    sbuf_release(&out);
    return rc;
}
