/* test_os_fs.c: filesystem helpers: atomic replacement, tree removal that
 * never follows symlinks, tree copies, mkdir -p, sorted listings, and the
 * lexical path functions. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "os/fs.h"
#include "os/path.h"

static int
setup_dir(void **state)
{
    char tmpl[] = "/tmp/perch-fs-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    *state = realpath(tmpl, NULL);
    return 0;
}

static int
teardown_dir(void **state)
{
    os_fs_remove_tree(*state, NULL);
    free(*state);
    return 0;
}

static char *
at(const char *dir, const char *rel)
{
    return xasprintf("%s/%s", dir, rel);
}

static char *
slurp(const char *path)
{
    struct sbuf sb = SBUF_INIT;
    struct err err = { 0 };
    if (!os_fs_read_file(path, 0, &sb, &err))
        fail_msg("read %s: %s", path, err.msg);
    return sbuf_detach(&sb, NULL);
}

static void
put(const char *path, const char *text)
{
    struct err err = { 0 };
    if (!os_fs_write_atomic(path, text, strlen(text), &err))
        fail_msg("write %s: %s", path, err.msg);
}

static void
put_at(const char *dir, const char *rel, const char *text)
{
    char *p = at(dir, rel);
    put(p, text);
    free(p);
}

static char *
slurp_at(const char *dir, const char *rel)
{
    char *p = at(dir, rel);
    char *s = slurp(p);
    free(p);
    return s;
}

static void
test_os_fs_atomic_write_replaces_and_keeps_mode(void **state)
{
    const char *dir = *state;
    char *p = at(dir, "f.txt");
    put(p, "first");
    assert_int_equal(chmod(p, 0751), 0);
    put(p, "second\nline");
    char *got = slurp(p);
    assert_string_equal(got, "second\nline");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0751);
    /* No temporary files are left behind. */
    struct os_strlist names = { 0 };
    struct err err = { 0 };
    assert_true(os_fs_list_dir(dir, &names, &err));
    assert_int_equal(names.count, 1);
    assert_string_equal(names.items[0], "f.txt");
    os_strlist_release(&names);
    free(got);
    free(p);
}

static void
test_os_fs_atomic_write_through_a_symlink_keeps_the_link(void **state)
{
    const char *dir = *state;
    char *real = at(dir, "real.conf");
    char *link = at(dir, "link.conf");
    put(real, "old");
    assert_int_equal(symlink("real.conf", link), 0);
    put(link, "new");
    struct os_fs_info info;
    struct err err = { 0 };
    assert_true(os_fs_lstat(link, &info, &err));
    assert_int_equal(info.type, OS_FS_LINK);
    char *got = slurp(real);
    assert_string_equal(got, "new");
    free(got);
    free(real);
    free(link);
}

static void
test_os_fs_write_errors_name_the_path(void **state)
{
    const char *dir = *state;
    char *p = at(dir, "missing-dir/f.txt");
    struct err err = { 0 };
    assert_false(os_fs_write_atomic(p, "x", 1, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "missing-dir"));
    err_clear(&err);
    assert_false(os_fs_write_atomic(dir, "x", 1, &err));
    assert_non_null(strstr(err.msg, "is a directory"));
    free(p);
}

static void
test_os_fs_read_large_file_and_limit(void **state)
{
    const char *dir = *state;
    char *p = at(dir, "big");
    size_t n = 300000;
    char *data = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    struct err err = { 0 };
    assert_true(os_fs_write_atomic(p, data, n, &err));
    struct sbuf sb = SBUF_INIT;
    assert_true(os_fs_read_file(p, 0, &sb, &err));
    assert_int_equal(sb.len, n);
    assert_memory_equal(sb.buf, data, n);
    sbuf_reset(&sb);
    assert_false(os_fs_read_file(p, 1000, &sb, &err));
    assert_int_equal(err.kind, ERR_LIMIT);
    err_clear(&err);
    char *missing = at(dir, "nope");
    assert_false(os_fs_read_file(missing, 0, &sb, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_int_equal(err.code, ENOENT);
    assert_non_null(strstr(err.msg, missing));
    sbuf_release(&sb);
    free(missing);
    free(data);
    free(p);
}

static void
test_os_fs_remove_tree_does_not_follow_symlinks(void **state)
{
    const char *dir = *state;
    char *outside = at(dir, "outside");
    char *keep = at(dir, "outside/keep.txt");
    char *tree = at(dir, "tree");
    char *deep = at(dir, "tree/a/b/c");
    char *link = at(dir, "tree/a/link-to-outside");
    struct err err = { 0 };
    assert_true(os_fs_mkdir_p(outside, 0755, &err));
    put(keep, "precious");
    assert_true(os_fs_mkdir_p(deep, 0755, &err));
    char *f = at(dir, "tree/a/b/c/file");
    put(f, "x");
    assert_int_equal(symlink(outside, link), 0);
    assert_true(os_fs_remove_tree(tree, &err));
    struct os_fs_info info;
    assert_true(os_fs_lstat(tree, &info, &err));
    assert_int_equal(info.type, OS_FS_NONE);
    char *got = slurp(keep); /* the symlink's target survived */
    assert_string_equal(got, "precious");
    /* Removing what is not there names it. */
    assert_false(os_fs_remove_tree(tree, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    /* A symlink given directly is removed itself, even spelled "link/". */
    char *top_link = at(dir, "top-link");
    assert_int_equal(symlink(outside, top_link), 0);
    err_clear(&err);
    char *slashed = xasprintf("%s/", top_link);
    assert_true(os_fs_remove_tree(slashed, &err));
    free(slashed);
    assert_true(os_fs_lstat(top_link, &info, &err));
    assert_int_equal(info.type, OS_FS_NONE);
    assert_true(os_fs_stat(keep, &info, &err));
    assert_int_equal(info.type, OS_FS_FILE);
    free(got);
    free(top_link);
    free(f);
    free(outside);
    free(keep);
    free(tree);
    free(deep);
    free(link);
}

static void
test_os_fs_copy_tree_and_refuse_copy_into_itself(void **state)
{
    const char *dir = *state;
    char *src = at(dir, "src");
    char *sub = at(dir, "src/sub");
    struct err err = { 0 };
    assert_true(os_fs_mkdir_p(sub, 0755, &err));
    char *a = at(dir, "src/a.txt");
    char *b = at(dir, "src/sub/b.sh");
    put(a, "alpha");
    put(b, "#!/bin/sh\n");
    assert_int_equal(chmod(b, 0755), 0);
    char *link = at(dir, "src/link");
    assert_int_equal(symlink("a.txt", link), 0);
    free(link);
    char *dst = at(dir, "dst");
    assert_true(os_fs_copy(src, dst, &err));
    char *got = slurp_at(dir, "dst/a.txt");
    assert_string_equal(got, "alpha");
    struct stat st;
    char *db = at(dir, "dst/sub/b.sh");
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    char target[64] = { 0 };
    char *dlink = at(dir, "dst/link");
    assert_true(readlink(dlink, target, sizeof(target) - 1) > 0);
    free(dlink);
    assert_string_equal(target, "a.txt");
    char *inside = at(dir, "src/sub/again");
    assert_false(os_fs_copy(src, inside, &err));
    assert_non_null(strstr(err.msg, "into itself"));
    free(got);
    free(inside);
    free(db);
    free(src);
    free(sub);
    free(a);
    free(b);
    free(dst);
}

static void
test_os_fs_mkdir_p_and_sorted_listing(void **state)
{
    const char *dir = *state;
    char *deep = at(dir, "x/y/z");
    struct err err = { 0 };
    assert_true(os_fs_mkdir_p(deep, 0755, &err));
    assert_true(os_fs_mkdir_p(deep, 0755, &err)); /* existing is fine */
    char *file = at(dir, "x/file");
    put(file, "");
    char *under_file = at(dir, "x/file/sub");
    assert_false(os_fs_mkdir_p(under_file, 0755, &err));
    const char *names[] = { "b", "a", "C", ".hidden", "a2" };
    for (size_t i = 0; i < 5; i++)
        put_at(dir, names[i], "");
    struct os_strlist list = { 0 };
    err_clear(&err);
    assert_true(os_fs_list_dir(dir, &list, &err));
    const char *want[] = { ".hidden", "C", "a", "a2", "b", "x" };
    assert_int_equal(list.count, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(list.items[i], want[i]);
    os_strlist_release(&list);
    free(deep);
    free(file);
    free(under_file);
}

static void
test_os_fs_move_and_temp_names(void **state)
{
    const char *dir = *state;
    char *a = at(dir, "a");
    char *b = at(dir, "b");
    put(a, "moved");
    struct err err = { 0 };
    assert_true(os_fs_move(a, b, &err));
    char *got = slurp(b);
    assert_string_equal(got, "moved");
    char *t1 = os_fs_mkdtemp(dir, "job-", &err);
    char *t2 = os_fs_mkdtemp(dir, "job-", &err);
    assert_non_null(t1);
    assert_non_null(t2);
    assert_string_not_equal(t1, t2);
    assert_non_null(strstr(t1, "/job-"));
    struct stat st;
    assert_int_equal(stat(t1, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_null(os_fs_mkdtemp(dir, "bad/prefix", &err));
    free(t1);
    free(t2);
    free(got);
    free(a);
    free(b);
}

/* Moving a directory into itself says so, instead of "Invalid argument". */
static void
test_os_fs_move_into_itself_is_explained(void **state)
{
    const char *dir = *state;
    char *d = at(dir, "d");
    char *sub = at(dir, "d/sub");
    char *deeper = at(dir, "d/x/y");
    struct err err = { 0 };
    assert_true(os_fs_mkdir_p(d, 0755, &err));
    assert_false(os_fs_move(d, sub, &err));
    assert_non_null(strstr(err.msg, "into itself"));
    assert_null(strstr(err.msg, "Invalid argument"));
    err_clear(&err);
    assert_false(os_fs_move(d, deeper, &err));
    assert_true(err_is_set(&err));
    /* Onto a directory that is not empty: named as such. */
    char *full = at(dir, "full");
    char *inner = at(dir, "full/f");
    assert_true(os_fs_mkdir_p(full, 0755, &err));
    put(inner, "x");
    err_clear(&err);
    assert_false(os_fs_move(d, full, &err));
    assert_non_null(strstr(err.msg, "not empty"));
    struct stat st;
    assert_int_equal(stat(d, &st), 0); /* still there */
    free(full);
    free(inner);
    free(d);
    free(sub);
    free(deeper);
}

static void
test_os_fs_move_across_filesystems(void **state)
{
    const char *dir = *state;
    /* /dev/shm is usually a tmpfs, another filesystem than /tmp. */
    struct stat a, b;
    if (stat("/dev/shm", &a) != 0 || stat(dir, &b) != 0 || a.st_dev == b.st_dev
        || access("/dev/shm", W_OK) != 0) {
        skip();
        return;
    }
    char tmpl[] = "/dev/shm/perch-fs-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *src_dir = at(tmpl, "tree");
    char *src_file = at(tmpl, "tree/f.txt");
    struct err err = { 0 };
    assert_true(os_fs_mkdir_p(src_dir, 0755, &err));
    put(src_file, "crossed");
    char *dst = at(dir, "moved");
    assert_true(os_fs_move(src_dir, dst, &err));
    char *got = slurp_at(dir, "moved/f.txt");
    assert_string_equal(got, "crossed");
    struct os_fs_info info;
    assert_true(os_fs_lstat(src_dir, &info, &err));
    assert_int_equal(info.type, OS_FS_NONE);
    os_fs_remove_tree(tmpl, NULL);
    free(got);
    free(dst);
    free(src_dir);
    free(src_file);
}

#define EXPECT_PATH(call, want)    \
 do {                              \
  char *got_ = call;               \
  assert_string_equal(got_, want); \
  free(got_);                      \
 } while (0)

static void
test_os_path_lexical_functions(void **state)
{
    (void)state;
    EXPECT_PATH(os_path_clean("a//b/./c/.."), "a/b");
    EXPECT_PATH(os_path_clean("/../x"), "/x");
    EXPECT_PATH(os_path_clean("../../a/../b"), "../../b");
    EXPECT_PATH(os_path_clean("a/.."), ".");
    EXPECT_PATH(os_path_clean(""), ".");
    EXPECT_PATH(os_path_clean("/"), "/");
    EXPECT_PATH(os_path_join("a/b", "../c"), "a/c");
    EXPECT_PATH(os_path_join("a", "/abs"), "/abs");
    EXPECT_PATH(os_path_join("", "x"), "x");
    EXPECT_PATH(os_path_abs("/home/u", "src/../bin"), "/home/u/bin");
    EXPECT_PATH(os_path_base("dir/file.tar.gz"), "file.tar.gz");
    EXPECT_PATH(os_path_base("dir/sub/"), "sub");
    EXPECT_PATH(os_path_base("/"), "/");
    EXPECT_PATH(os_path_dir("dir/sub/file"), "dir/sub");
    EXPECT_PATH(os_path_dir("file"), ".");
    EXPECT_PATH(os_path_dir("/file"), "/");
    EXPECT_PATH(os_path_ext("a/b.tar.gz"), ".gz");
    EXPECT_PATH(os_path_ext(".bashrc"), "");
    EXPECT_PATH(os_path_ext("noext"), "");
    EXPECT_PATH(os_path_stem("a/b.tar.gz"), "b.tar");
    EXPECT_PATH(os_path_stem(".bashrc"), ".bashrc");
    EXPECT_PATH(os_path_rel("/", "/a/b", "/a/b/c/d"), "c/d");
    EXPECT_PATH(os_path_rel("/", "/a/c", "/a/b"), "../b");
    EXPECT_PATH(os_path_rel("/", "/ab", "/a"), "../a");
    EXPECT_PATH(os_path_rel("/", "/a", "/a"), ".");
    EXPECT_PATH(os_path_rel("/", "/", "/x/y"), "x/y");
    EXPECT_PATH(os_path_rel("/w", "sub", "other/f"), "../other/f");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_os_fs_atomic_write_replaces_and_keeps_mode, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_os_fs_atomic_write_through_a_symlink_keeps_the_link,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_os_fs_write_errors_name_the_path, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_os_fs_read_large_file_and_limit, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_os_fs_remove_tree_does_not_follow_symlinks, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_os_fs_copy_tree_and_refuse_copy_into_itself, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_os_fs_mkdir_p_and_sorted_listing, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_os_fs_move_and_temp_names, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_os_fs_move_into_itself_is_explained, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_os_fs_move_across_filesystems, setup_dir,
                                        teardown_dir),
        cmocka_unit_test(test_os_path_lexical_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
