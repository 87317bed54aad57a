/*
 * tests/unit/test_wasi_path.c: confinement of guest paths (src/wasi/path.c),
 * tested directly on a scratch tree, once through openat2 (where the kernel
 * has it) and once through the component walk.
 *
 * Tree under a fresh temporary directory T:
 *   T/root/a.txt            "A"
 *   T/root/sub/b.txt        "B"
 *   T/root/link_in       -> sub/b.txt
 *   T/root/link_abs      -> /etc          (absolute: must not be followed)
 *   T/root/link_up       -> ../outside    (relative, leaves root)
 *   T/root/sub/link_up2  -> ../../outside
 *   T/root/dangling_out  -> ../outside/created.txt
 *   T/root/loop          -> loop
 *   T/outside/secret.txt    "S"
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/path.h"
#include "wasi/wasi_int.h"

struct fixture {
    char tmp[256];
    int root_fd;
    enum wasi_resolve_mode how;
};

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int
setup_common(void **state, enum wasi_resolve_mode how)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    snprintf(fx->tmp, sizeof(fx->tmp), "%s/perch-wasi-path-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(fx->tmp))
        return -1;
    char p[512];
    snprintf(p, sizeof(p), "%s/root", fx->tmp);
    mkdir(p, 0777);
    snprintf(p, sizeof(p), "%s/root/sub", fx->tmp);
    mkdir(p, 0777);
    snprintf(p, sizeof(p), "%s/outside", fx->tmp);
    mkdir(p, 0777);
    snprintf(p, sizeof(p), "%s/root/a.txt", fx->tmp);
    write_text(p, "A");
    snprintf(p, sizeof(p), "%s/root/sub/b.txt", fx->tmp);
    write_text(p, "B");
    snprintf(p, sizeof(p), "%s/outside/secret.txt", fx->tmp);
    write_text(p, "S");
    struct {
        const char *target, *name;
    } links[] = {
        { "sub/b.txt", "root/link_in" },
        { "/etc", "root/link_abs" },
        { "../outside", "root/link_up" },
        { "../../outside", "root/sub/link_up2" },
        { "../outside/created.txt", "root/dangling_out" },
        { "loop", "root/loop" },
    };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", fx->tmp, links[i].name);
        if (symlink(links[i].target, p) != 0)
            return -1;
    }
    snprintf(p, sizeof(p), "%s/root", fx->tmp);
    fx->root_fd = open(p, O_RDONLY | O_DIRECTORY);
    fx->how = how;
    *state = fx;
    return fx->root_fd >= 0 ? 0 : -1;
}

static int
setup_auto(void **state)
{
    return setup_common(state, WASI_RESOLVE_AUTO);
}

static int
setup_walk(void **state)
{
    return setup_common(state, WASI_RESOLVE_WALK);
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    close(fx->root_fd);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->tmp);
    int rc = system(cmd);
    (void)rc;
    free(fx);
    return 0;
}

/* Open 'path' read-only; returns the WASI errno and the first byte read. */
static uint16_t
open_read(struct fixture *fx, const char *path, bool follow, char *out_byte)
{
    int fd = -1;
    uint16_t rc = wasi_path_open(fx->root_fd, path, O_RDONLY, 0, follow, fx->how, &fd);
    if (rc == WASI_ESUCCESS) {
        char c = 0;
        if (read(fd, &c, 1) != 1)
            c = 0;
        if (out_byte)
            *out_byte = c;
        close(fd);
    }
    return rc;
}

static void
test_inside_paths_open(void **state)
{
    struct fixture *fx = *state;
    char c = 0;
    assert_int_equal(open_read(fx, "a.txt", true, &c), WASI_ESUCCESS);
    assert_int_equal(c, 'A');
    assert_int_equal(open_read(fx, "sub/b.txt", true, &c), WASI_ESUCCESS);
    assert_int_equal(c, 'B');
    assert_int_equal(open_read(fx, "sub/../a.txt", true, &c), WASI_ESUCCESS);
    assert_int_equal(c, 'A');
    assert_int_equal(open_read(fx, "./sub//./b.txt", true, &c), WASI_ESUCCESS);
    assert_int_equal(c, 'B');
    assert_int_equal(open_read(fx, "link_in", true, &c), WASI_ESUCCESS);
    assert_int_equal(c, 'B');
    assert_int_equal(open_read(fx, "missing.txt", true, NULL), WASI_ENOENT);
}

static void
test_dotdot_escapes_refused(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(open_read(fx, "../outside/secret.txt", true, NULL), WASI_ENOTCAPABLE);
    assert_int_equal(open_read(fx, "sub/../../outside/secret.txt", true, NULL), WASI_ENOTCAPABLE);
    assert_int_equal(open_read(fx, "..", true, NULL), WASI_ENOTCAPABLE);
    assert_int_equal(open_read(fx, "sub/../..", true, NULL), WASI_ENOTCAPABLE);
}

static void
test_absolute_refused(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(open_read(fx, "/etc/passwd", true, NULL), WASI_ENOTCAPABLE);
    char *copy = NULL;
    assert_int_equal(wasi_path_copy((const uint8_t *)"/etc/passwd", 11, &copy), WASI_ENOTCAPABLE);
    assert_null(copy);
}

static void
test_symlinks_out_refused(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(open_read(fx, "link_abs/passwd", true, NULL), WASI_ENOTCAPABLE);
    assert_int_equal(open_read(fx, "link_abs", true, NULL), WASI_ENOTCAPABLE);
    assert_int_equal(open_read(fx, "link_up/secret.txt", true, NULL), WASI_ENOTCAPABLE);
    assert_int_equal(open_read(fx, "sub/link_up2/secret.txt", true, NULL), WASI_ENOTCAPABLE);
}

static void
test_symlink_nofollow_and_loops(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(open_read(fx, "link_in", false, NULL), WASI_ELOOP);
    assert_int_equal(open_read(fx, "loop", true, NULL), WASI_ELOOP);
}

static void
test_create_through_dangling_link_refused(void **state)
{
    struct fixture *fx = *state;
    int fd = -1;
    uint16_t rc =
        wasi_path_open(fx->root_fd, "dangling_out", O_WRONLY | O_CREAT, 0644, true, fx->how, &fd);
    assert_int_equal(rc, WASI_ENOTCAPABLE);
    char p[512];
    snprintf(p, sizeof(p), "%s/outside/created.txt", fx->tmp);
    assert_int_equal(access(p, F_OK), -1);
    /* Creating a plain file inside works. */
    rc = wasi_path_open(fx->root_fd, "sub/new.txt", O_WRONLY | O_CREAT, 0644, false, fx->how, &fd);
    assert_int_equal(rc, WASI_ESUCCESS);
    close(fd);
}

static void
test_parent_resolution(void **state)
{
    struct fixture *fx = *state;
    struct wasi_parent p;
    assert_int_equal(wasi_path_parent(fx->root_fd, "sub/b.txt", fx->how, &p), WASI_ESUCCESS);
    assert_string_equal(p.name, "b.txt");
    assert_false(p.trailing_slash);
    struct stat st;
    assert_int_equal(fstatat(p.dir_fd, p.name, &st, AT_SYMLINK_NOFOLLOW), 0);
    wasi_parent_release(&p);

    assert_int_equal(wasi_path_parent(fx->root_fd, "sub/", fx->how, &p), WASI_ESUCCESS);
    assert_string_equal(p.name, "sub");
    assert_true(p.trailing_slash);
    wasi_parent_release(&p);

    assert_int_equal(wasi_path_parent(fx->root_fd, ".", fx->how, &p), WASI_ESUCCESS);
    assert_string_equal(p.name, ".");
    wasi_parent_release(&p);

    /* The parent of a name is resolved with the same confinement. */
    assert_int_equal(wasi_path_parent(fx->root_fd, "..", fx->how, &p), WASI_ENOTCAPABLE);
    assert_int_equal(wasi_path_parent(fx->root_fd, "../outside/secret.txt", fx->how, &p),
                     WASI_ENOTCAPABLE);
    assert_int_equal(wasi_path_parent(fx->root_fd, "link_up/secret.txt", fx->how, &p),
                     WASI_ENOTCAPABLE);
    /* A final symlink is the name itself, never followed. */
    assert_int_equal(wasi_path_parent(fx->root_fd, "link_abs", fx->how, &p), WASI_ESUCCESS);
    assert_string_equal(p.name, "link_abs");
    assert_int_equal(fstatat(p.dir_fd, p.name, &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISLNK(st.st_mode));
    wasi_parent_release(&p);
}

static void
test_path_copy_checks(void **state)
{
    (void)state;
    char *copy = NULL;
    assert_int_equal(wasi_path_copy((const uint8_t *)"a\0b", 3, &copy), WASI_EILSEQ);
    assert_int_equal(wasi_path_copy((const uint8_t *)"", 0, &copy), WASI_ENOENT);
    static uint8_t big[WASI_MAX_PATH + 1];
    memset(big, 'a', sizeof(big));
    assert_int_equal(wasi_path_copy(big, sizeof(big), &copy), WASI_ENAMETOOLONG);
    assert_int_equal(wasi_path_copy((const uint8_t *)"sub/x", 5, &copy), WASI_ESUCCESS);
    assert_string_equal(copy, "sub/x");
    free(copy);
}

static void
test_symlink_targets(void **state)
{
    (void)state;
    assert_true(wasi_symlink_target_ok("l", "a.txt"));
    assert_true(wasi_symlink_target_ok("sub/l", "../a.txt"));
    assert_true(wasi_symlink_target_ok("sub/deeper/l", "../../a.txt"));
    assert_false(wasi_symlink_target_ok("l", "../x"));
    assert_false(wasi_symlink_target_ok("sub/l", "../../x"));
    assert_false(wasi_symlink_target_ok("l", "/etc/passwd"));
    assert_false(wasi_symlink_target_ok("l", ""));
    assert_false(wasi_symlink_target_ok("sub/l", "a/../../../x"));
    assert_true(wasi_symlink_target_ok("l", "./a/./b/.."));
}

#define BOTH(fn)                                            \
 cmocka_unit_test_setup_teardown(fn, setup_auto, teardown), \
     cmocka_unit_test_setup_teardown(fn, setup_walk, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_inside_paths_open),
        BOTH(test_dotdot_escapes_refused),
        BOTH(test_absolute_refused),
        BOTH(test_symlinks_out_refused),
        BOTH(test_symlink_nofollow_and_loops),
        BOTH(test_create_through_dangling_link_refused),
        BOTH(test_parent_resolution),
        cmocka_unit_test(test_path_copy_checks),
        cmocka_unit_test(test_symlink_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
