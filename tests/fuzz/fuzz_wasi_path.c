/*
 * tests/fuzz/fuzz_wasi_path.c: libFuzzer target for guest path confinement
 * (src/wasi/path.c).
 *
 * Input: byte 0 picks the operation and resolution mode, the rest is the
 * guest path (any bytes). Against a fixed scratch tree with symlinks that
 * point outside, the target resolves the path the way the WASI calls do and
 * checks the one invariant that matters: every host fd it gets back names a
 * file under the root (checked through /proc/self/fd where it exists).
 * Anything else must be a clean WASI errno, never a crash or a hang.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/path.h"
#include "wasi/wasi_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Process-wide because libFuzzer calls the target with no context to keep. */
static pthread_once_t tree_once = PTHREAD_ONCE_INIT;
static char root_path[PATH_MAX];
static int root_fd = -1;

static char scratch_base[64];

/* Remove the scratch tree when the process ends. */
static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

static void
remove_tree(void)
{
    nftw(scratch_base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
make_tree(void)
{
    char tmpl[] = "/tmp/perch-fuzz-wasi-XXXXXX";
    if (!mkdtemp(tmpl))
        abort();
    snprintf(scratch_base, sizeof(scratch_base), "%s", tmpl);
    atexit(remove_tree);
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/root", tmpl);
    mkdir(p, 0777);
    if (!realpath(p, root_path))
        abort();
    snprintf(p, sizeof(p), "%s/outside", tmpl);
    mkdir(p, 0777);
    snprintf(p, sizeof(p), "%s/sub", root_path);
    mkdir(p, 0777);
    static const char *const links[][2] = {
        { "/etc", "up_abs" },      { "..", "up_one" }, { "../outside", "up_rel" },
        { "sub", "in" },           { "loop", "loop" }, { "../../outside", "sub/up2" },
        { "../in/..", "sub/mid" },
    };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", root_path, links[i][1]);
        if (symlink(links[i][0], p) != 0)
            abort();
    }
    snprintf(p, sizeof(p), "%s/file", root_path);
    FILE *f = fopen(p, "w");
    if (f)
        fclose(f);
    root_fd = open(root_path, O_RDONLY | O_DIRECTORY);
    if (root_fd < 0)
        abort();
}

/* Abort unless 'fd' refers to the root or something beneath it. */
static void
check_inside(int fd)
{
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return; /* no /proc: nothing to compare with */
    target[n] = '\0';
    size_t rl = strlen(root_path);
    if (strncmp(target, root_path, rl) != 0 || (target[rl] != '\0' && target[rl] != '/')) {
        fprintf(stderr, "escaped the root: %s\n", target);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pthread_once(&tree_once, make_tree);
    if (size < 1)
        return 0;
    uint8_t op = data[0];
    char *path = NULL;
    if (wasi_path_copy(data + 1,
                       (uint32_t)(size - 1 > WASI_MAX_PATH + 1 ? WASI_MAX_PATH + 1 : size - 1),
                       &path)
        != WASI_ESUCCESS)
        return 0;
    enum wasi_resolve_mode how = (op & 1) ? WASI_RESOLVE_WALK : WASI_RESOLVE_AUTO;
    bool follow = op & 2;
    switch ((op >> 2) % 3) {
    case 0: {
        int fd = -1;
        if (wasi_path_open(root_fd, path, O_RDONLY | O_NONBLOCK, 0, follow, how, &fd)
            == WASI_ESUCCESS) {
            check_inside(fd);
            close(fd);
        }
        break;
    }
    case 1: {
        struct wasi_parent parent;
        if (wasi_path_parent(root_fd, path, how, &parent) == WASI_ESUCCESS) {
            check_inside(parent.dir_fd);
            if (strchr(parent.name, '/'))
                abort(); /* the last component never contains a slash */
            wasi_parent_release(&parent);
        }
        break;
    }
    default:
        (void)wasi_symlink_target_ok("sub/link", path);
        break;
    }
    free(path);
    return 0;
}
