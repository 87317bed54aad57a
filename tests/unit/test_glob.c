/* test_glob.c: shell-style patterns: element matching, expansion with
 * '**', sorting, hidden files and the pattern's own form in results. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/glob.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "os/fs.h"

static void
test_glob_match_wildcards(void **state)
{
    (void)state;
    assert_true(glob_match("*.md", "post.md"));
    assert_false(glob_match("*.md", "post.mdx"));
    assert_true(glob_match("a*b*c", "aXXbYYc"));
    assert_false(glob_match("a*b*c", "aXXbYY"));
    assert_true(glob_match("*", "anything"));
    assert_true(glob_match("?.txt", "a.txt"));
    assert_false(glob_match("?.txt", "ab.txt"));
    assert_true(glob_match("?", "\xc3\xa9")); /* one UTF-8 character */
    assert_true(glob_match("**x", "abx"));
    assert_true(glob_match("a*", "a"));
}

static void
test_glob_match_brackets_and_escapes(void **state)
{
    (void)state;
    assert_true(glob_match("[abc].c", "b.c"));
    assert_false(glob_match("[abc].c", "d.c"));
    assert_true(glob_match("file[0-9]", "file7"));
    assert_false(glob_match("file[!0-9]", "file7"));
    assert_true(glob_match("file[^0-9]", "filex"));
    assert_true(glob_match("[]]", "]"));
    assert_true(glob_match("x[", "x[")); /* unterminated: literal */
    assert_true(glob_match("\\*", "*"));
    assert_false(glob_match("\\*", "a"));
    assert_true(glob_match("a\\?b", "a?b"));
}

static void
test_glob_match_hidden_names_need_a_dot(void **state)
{
    (void)state;
    assert_false(glob_match("*", ".hidden"));
    assert_false(glob_match("?hidden", ".hidden"));
    assert_false(glob_match("[.]hidden", ".hidden"));
    assert_true(glob_match(".*", ".hidden"));
    assert_true(glob_match(".h*", ".hidden"));
}

static void
test_glob_has_magic(void **state)
{
    (void)state;
    assert_true(glob_has_magic("src/*.c"));
    assert_true(glob_has_magic("a?"));
    assert_true(glob_has_magic("[ab]"));
    assert_false(glob_has_magic("plain/path.txt"));
    assert_false(glob_has_magic("escaped\\*"));
}

/* A tree for the expansion tests. */
struct tree {
    char *root;
};

static void
touch_file(const char *root, const char *rel)
{
    char *p = xasprintf("%s/%s", root, rel);
    struct err err = { 0 };
    char *dir = xstrdup(p);
    *strrchr(dir, '/') = '\0';
    assert_true(os_fs_mkdir_p(dir, 0755, &err));
    assert_true(os_fs_write_atomic(p, "x", 1, &err));
    free(dir);
    free(p);
}

static int
setup_tree(void **state)
{
    struct tree *t = xcalloc(1, sizeof(*t));
    char tmpl[] = "/tmp/perch-glob-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    t->root = realpath(tmpl, NULL);
    const char *files[] = { "posts/b.md",
                            "posts/a.md",
                            "posts/c.txt",
                            "posts/.draft.md",
                            "src/main.go",
                            "src/pkg/util.go",
                            "src/pkg/deep/x.go",
                            "src/.git/config.go",
                            "src/pkg/notes.txt",
                            "file1",
                            "file2",
                            "fileA",
                            "weird name.md" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        touch_file(t->root, files[i]);
    *state = t;
    return 0;
}

static int
teardown_tree(void **state)
{
    struct tree *t = *state;
    os_fs_remove_tree(t->root, NULL);
    free(t->root);
    free(t);
    return 0;
}

/* Expand and join the results with ',' for easy comparison. */
static char *
expand(const char *cwd, const char *pattern)
{
    struct glob_paths paths = { 0 };
    struct err err = { 0 };
    if (!glob_expand(cwd, pattern, 0, &paths, &err))
        fail_msg("glob_expand(%s): %s", pattern, err.msg);
    struct sbuf sb = SBUF_INIT;
    for (size_t i = 0; i < paths.count; i++) {
        if (i)
            sbuf_addc(&sb, ',');
        sbuf_adds(&sb, paths.items[i]);
    }
    glob_paths_release(&paths);
    return sbuf_detach(&sb, NULL);
}

#define EXPECT_GLOB(cwd, pattern, want) \
 do {                                   \
  char *got_ = expand(cwd, pattern);    \
  assert_string_equal(got_, want);      \
  free(got_);                           \
 } while (0)

static void
test_glob_relative_pattern_gives_sorted_relative_paths(void **state)
{
    struct tree *t = *state;
    EXPECT_GLOB(t->root, "posts/*.md", "posts/a.md,posts/b.md");
    EXPECT_GLOB(t->root, "./posts/*.md", "./posts/a.md,./posts/b.md");
    EXPECT_GLOB(t->root, "file?", "file1,file2,fileA");
    EXPECT_GLOB(t->root, "file[0-9]", "file1,file2");
    EXPECT_GLOB(t->root, "*/*.txt", "posts/c.txt");
    EXPECT_GLOB(t->root, "weird*", "weird name.md");
}

static void
test_glob_absolute_pattern_gives_absolute_paths(void **state)
{
    struct tree *t = *state;
    char *pattern = xasprintf("%s/posts/*.md", t->root);
    char *want = xasprintf("%s/posts/a.md,%s/posts/b.md", t->root, t->root);
    EXPECT_GLOB("/nonexistent-cwd", pattern, want);
    free(pattern);
    free(want);
}

static void
test_glob_globstar_matches_any_depth_but_skips_hidden(void **state)
{
    struct tree *t = *state;
    EXPECT_GLOB(t->root, "src/**/*.go", "src/main.go,src/pkg/deep/x.go,src/pkg/util.go");
    EXPECT_GLOB(t->root, "**/*.txt", "posts/c.txt,src/pkg/notes.txt");
    EXPECT_GLOB(t->root, "src/**",
                "src/main.go,src/pkg,src/pkg/deep,src/pkg/deep/x.go,"
                "src/pkg/notes.txt,src/pkg/util.go");
    /* Overlapping globstars give each path once. */
    EXPECT_GLOB(t->root, "src/**/**/x.go", "src/pkg/deep/x.go");
}

static void
test_glob_hidden_files_only_with_a_dot_pattern(void **state)
{
    struct tree *t = *state;
    EXPECT_GLOB(t->root, "posts/*", "posts/a.md,posts/b.md,posts/c.txt");
    EXPECT_GLOB(t->root, "posts/.*", "posts/.draft.md");
    EXPECT_GLOB(t->root, "src/.git/*", "src/.git/config.go");
}

static void
test_glob_no_match_and_literal_paths(void **state)
{
    struct tree *t = *state;
    EXPECT_GLOB(t->root, "*.nothing", "");
    EXPECT_GLOB(t->root, "missing/*", "");
    EXPECT_GLOB(t->root, "posts/a.md", "posts/a.md");
    EXPECT_GLOB(t->root, "posts/zzz.md", "");
    /* A trailing '/' matches directories only and keeps the slash, as a
     * shell does. */
    EXPECT_GLOB(t->root, "*/", "posts/,src/");
    EXPECT_GLOB(t->root, "posts/", "posts/");
    EXPECT_GLOB(t->root, "posts//", "posts/");
    EXPECT_GLOB(t->root, "posts/a.md/", "");
    EXPECT_GLOB(t->root, "src/*/", "src/pkg/");
    EXPECT_GLOB(t->root, "src/**/", "src/pkg/,src/pkg/deep/");
}

static void
test_glob_brace_alternatives(void **state)
{
    struct tree *t = *state;
    EXPECT_GLOB(t->root, "posts/*.{md,txt}", "posts/a.md,posts/b.md,posts/c.txt");
    EXPECT_GLOB(t->root, "{posts,src}/*.{md,go}", "posts/a.md,posts/b.md,src/main.go");
    EXPECT_GLOB(t->root, "src/{pkg/{deep/x,util},main}.go",
                "src/main.go,src/pkg/deep/x.go,src/pkg/util.go");
    /* Overlapping alternatives give each path once; no comma: literal. */
    EXPECT_GLOB(t->root, "posts/{a,a,?}.md", "posts/a.md,posts/b.md");
    EXPECT_GLOB(t->root, "file{1}", "");
    EXPECT_GLOB(t->root, "file\\{1,2}", "");
}

static void
test_glob_errors(void **state)
{
    struct tree *t = *state;
    struct glob_paths paths = { 0 };
    struct err err = { 0 };
    assert_false(glob_expand(t->root, "", 0, &paths, &err));
    assert_int_equal(err.kind, ERR_USAGE);
    err_clear(&err);
    assert_false(glob_expand(t->root, "**", 3, &paths, &err));
    assert_int_equal(err.kind, ERR_LIMIT);
    glob_paths_release(&paths);
    /* 2^11 alternatives is past the limit. */
    err_clear(&err);
    assert_false(glob_expand(t->root, "{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", 0,
                             &paths, &err));
    assert_int_equal(err.kind, ERR_LIMIT);
    assert_non_null(strstr(err.msg, "brace"));
    err_clear(&err);
    char *huge = xmalloc(5000);
    memset(huge, 'a', 4999);
    huge[4999] = '\0';
    assert_false(glob_expand(t->root, huge, 0, &paths, &err));
    assert_int_equal(err.kind, ERR_LIMIT);
    free(huge);
    glob_paths_release(&paths);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob_match_wildcards),
        cmocka_unit_test(test_glob_match_brackets_and_escapes),
        cmocka_unit_test(test_glob_match_hidden_names_need_a_dot),
        cmocka_unit_test(test_glob_has_magic),
        cmocka_unit_test_setup_teardown(test_glob_relative_pattern_gives_sorted_relative_paths,
                                        setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_glob_absolute_pattern_gives_absolute_paths, setup_tree,
                                        teardown_tree),
        cmocka_unit_test_setup_teardown(test_glob_globstar_matches_any_depth_but_skips_hidden,
                                        setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_glob_hidden_files_only_with_a_dot_pattern, setup_tree,
                                        teardown_tree),
        cmocka_unit_test_setup_teardown(test_glob_no_match_and_literal_paths, setup_tree,
                                        teardown_tree),
        cmocka_unit_test_setup_teardown(test_glob_brace_alternatives, setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_glob_errors, setup_tree, teardown_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
