/*
 * test_wasm_disk_cache.c: the on-disk cache of compiled modules
 * (src/ops/wasm_cache.c) under a temporary $XDG_CACHE_HOME. A miss compiles
 * and writes <sha256>-<engine version>.bin (directory 0700, file 0600); a
 * fresh process (the in-process cache forgotten) then loads it from disk
 * instead of compiling; corrupt, truncated or foreign entries are ignored
 * and replaced; PERCH_WASM_CACHE=off, an unusable base and a directory
 * writable by others or owned by someone else are skipped; failing I/O at
 * any step never fails the load nor leaves temp files; processes writing
 * the same entry at once leave one valid file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "ops/ops_wasm.h"
#include "os/fault.h"
#include "os/fs.h"
#include "wasm/wasm.h"

/* (module (func (export "f") (result i32) (i32.const 42))) */
static const uint8_t small_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60,
    0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66,
    0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,
};

struct fixture {
    char *root;  /* $XDG_CACHE_HOME */
    char *dir;   /* root/perch/wasm */
    char *entry; /* dir/<sha>-<version>.bin */
};

static int
setup(void **state)
{
    struct fixture *fx = xcalloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    fx->root = os_fs_mkdtemp(tmp, "perch-wasm-cache-", NULL);
    assert_non_null(fx->root);
    setenv("XDG_CACHE_HOME", fx->root, 1);
    unsetenv("PERCH_WASM_CACHE");
    unsetenv("PERCH_WASM_CACHE_DEBUG");
    fx->dir = xasprintf("%s/perch/wasm", fx->root);
    uint8_t d[32];
    unsigned int n = 0;
    assert_int_equal(EVP_Digest(small_wasm, sizeof(small_wasm), d, &n, EVP_sha256(), NULL), 1);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    fx->entry = xasprintf("%s/%s-%s.bin", fx->dir, hex, WASM_ENGINE_VERSION);
    ops_wasm_cache_forget();
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    os_fault_io_countdown(0);
    ops_wasm_cache_forget();
    chmod(fx->dir, 0700);
    if (chown(fx->dir, geteuid(), getegid()) != 0) {
        /* only matters when a test handed it to someone else */
    }
    os_fs_remove_tree(fx->root, NULL);
    unsetenv("PERCH_WASM_CACHE");
    free(fx->root);
    free(fx->dir);
    free(fx->entry);
    free(fx);
    return 0;
}

/* Load the module through the cache as a fresh process would, and run it. */
static void
load_fresh(void)
{
    ops_wasm_cache_forget();
    struct err err = { 0 };
    struct wasm_module *mod = ops_wasm_cache_get(small_wasm, sizeof(small_wasm), &err);
    assert_non_null(mod);
    struct wasm_instance_options opts = { 0 };
    struct wasm_instance *inst = wasm_instance_new(mod, NULL, &opts, &err);
    assert_non_null(inst);
    union wasm_val r;
    assert_true(wasm_instance_call(inst, "f", NULL, 0, &r, 1, &err));
    assert_int_equal(r.i32, 42);
    wasm_instance_free(inst);
    wasm_module_free(mod);
}

static bool
exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The names in the cache directory other than the entry: temp files left behind. */
static size_t
strays(const struct fixture *fx)
{
    struct os_strlist names = { 0 };
    if (!os_fs_list_dir(fx->dir, &names, NULL))
        return 0;
    size_t n = 0;
    const char *base = strrchr(fx->entry, '/') + 1;
    for (size_t i = 0; i < names.count; i++)
        if (strcmp(names.items[i], base) != 0)
            n++;
    os_strlist_release(&names);
    return n;
}

static void
write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void
test_miss_writes_then_a_fresh_process_hits(void **state)
{
    struct fixture *fx = *state;
    size_t hits = ops_wasm_cache_disk_hits(), writes = ops_wasm_cache_disk_writes();
    load_fresh();
    assert_int_equal(ops_wasm_cache_disk_writes(), writes + 1);
    assert_int_equal(ops_wasm_cache_disk_hits(), hits);
    struct stat st;
    assert_int_equal(stat(fx->entry, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(fx->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(strays(fx), 0);

    load_fresh();
    assert_int_equal(ops_wasm_cache_disk_hits(), hits + 1);
    assert_int_equal(ops_wasm_cache_disk_writes(), writes + 1);
    /* In the same process, the in-process cache answers: no disk access. */
    struct err err = { 0 };
    struct wasm_module *mod = ops_wasm_cache_get(small_wasm, sizeof(small_wasm), &err);
    assert_non_null(mod);
    wasm_module_free(mod);
    assert_int_equal(ops_wasm_cache_disk_hits(), hits + 1);
}

/* Damage the entry with 'damage', then check it is ignored, replaced, and hit next time. */
static void
check_replaced(struct fixture *fx, void (*damage)(const char *path))
{
    load_fresh();
    damage(fx->entry);
    size_t hits = ops_wasm_cache_disk_hits(), writes = ops_wasm_cache_disk_writes();
    load_fresh();
    assert_int_equal(ops_wasm_cache_disk_hits(), hits);
    assert_int_equal(ops_wasm_cache_disk_writes(), writes + 1);
    load_fresh();
    assert_int_equal(ops_wasm_cache_disk_hits(), hits + 1);
    assert_int_equal(strays(fx), 0);
}

static void
flip_a_byte(const char *path)
{
    struct sbuf sb = SBUF_INIT;
    assert_true(os_fs_read_file(path, 0, &sb, NULL));
    sb.buf[sb.len / 2] ^= 0x10;
    write_file(path, sb.buf, sb.len);
    sbuf_release(&sb);
}

static void
truncate_it(const char *path)
{
    assert_int_equal(truncate(path, 100), 0);
}

static void
empty_it(const char *path)
{
    write_file(path, "", 0);
}

static void
another_modules_blob(const char *path)
{
    /* (module) compiled: a valid blob, for other bytes. */
    static const uint8_t empty[] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
    struct err err = { 0 };
    struct wasm_module *mod = wasm_module_load(empty, sizeof(empty), NULL, &err);
    assert_non_null(mod);
    uint8_t *blob;
    size_t len;
    assert_true(wasm_module_serialize(mod, &blob, &len, &err));
    write_file(path, blob, len);
    free(blob);
    wasm_module_free(mod);
}

static void
a_directory(const char *path)
{
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
}

static void
test_damaged_entries_are_ignored_and_replaced(void **state)
{
    struct fixture *fx = *state;
    check_replaced(fx, flip_a_byte);
    check_replaced(fx, truncate_it);
    check_replaced(fx, empty_it);
    check_replaced(fx, another_modules_blob);
    /* A directory in the entry's place cannot be replaced; loading still works. */
    load_fresh();
    a_directory(fx->entry);
    size_t hits = ops_wasm_cache_disk_hits();
    load_fresh();
    load_fresh();
    assert_int_equal(ops_wasm_cache_disk_hits(), hits);
    assert_int_equal(strays(fx), 0);
}

static void
test_off_switch(void **state)
{
    struct fixture *fx = *state;
    setenv("PERCH_WASM_CACHE", "off", 1);
    size_t writes = ops_wasm_cache_disk_writes();
    load_fresh();
    load_fresh();
    assert_int_equal(ops_wasm_cache_disk_writes(), writes);
    assert_false(exists(fx->dir));
    /* With an entry there, off still compiles. */
    unsetenv("PERCH_WASM_CACHE");
    load_fresh();
    setenv("PERCH_WASM_CACHE", "off", 1);
    size_t hits = ops_wasm_cache_disk_hits();
    load_fresh();
    assert_int_equal(ops_wasm_cache_disk_hits(), hits);
}

static void
test_unsafe_directories_are_not_used(void **state)
{
    struct fixture *fx = *state;
    assert_true(os_fs_mkdir_p(fx->dir, 0700, NULL));
    size_t writes = ops_wasm_cache_disk_writes();
    assert_int_equal(chmod(fx->dir, 0777), 0);
    load_fresh();
    assert_int_equal(chmod(fx->dir, 0770), 0);
    load_fresh();
    assert_int_equal(ops_wasm_cache_disk_writes(), writes);
    assert_false(exists(fx->entry));
    assert_int_equal(chmod(fx->dir, 0700), 0);
    if (geteuid() == 0) {
        /* Owned by someone else (only root can arrange that here). */
        assert_int_equal(chown(fx->dir, 65534, 65534), 0);
        load_fresh();
        assert_int_equal(ops_wasm_cache_disk_writes(), writes);
        assert_false(exists(fx->entry));
        assert_int_equal(chown(fx->dir, 0, 0), 0);
    }
    load_fresh();
    assert_int_equal(ops_wasm_cache_disk_writes(), writes + 1);
}

static void
test_unusable_bases_are_skipped(void **state)
{
    struct fixture *fx = *state;
    size_t writes = ops_wasm_cache_disk_writes();
    char *file = xasprintf("%s/a-file", fx->root);
    write_file(file, "x", 1);
    setenv("XDG_CACHE_HOME", file, 1); /* not a directory */
    load_fresh();
    setenv("XDG_CACHE_HOME", "relative/cache", 1); /* ignored: HOME then */
    char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
    setenv("HOME", "/proc/perch-no-such-home", 1);
    load_fresh();
    unsetenv("HOME");
    load_fresh();
    if (old_home)
        setenv("HOME", old_home, 1);
    assert_int_equal(ops_wasm_cache_disk_writes(), writes);
    setenv("XDG_CACHE_HOME", fx->root, 1);
    free(old_home);
    free(file);
}

static void
test_failing_io_never_fails_the_load(void **state)
{
    struct fixture *fx = *state;
    /* Each I/O step of writing the entry fails in turn (a full or read-only disk). */
    bool completed = false;
    for (long n = 1; n <= 30 && !completed; n++) {
        unlink(fx->entry);
        size_t writes = ops_wasm_cache_disk_writes();
        os_fault_io_countdown(n);
        load_fresh();
        os_fault_io_countdown(0);
        assert_int_equal(strays(fx), 0);
        completed = ops_wasm_cache_disk_writes() == writes + 1;
        if (!completed)
            assert_false(exists(fx->entry));
    }
    assert_true(completed);
    /* What was finally written loads. */
    size_t hits = ops_wasm_cache_disk_hits();
    load_fresh();
    assert_int_equal(ops_wasm_cache_disk_hits(), hits + 1);
}

static void
test_concurrent_writers_leave_a_valid_entry(void **state)
{
    struct fixture *fx = *state;
    enum { WRITERS = 8 };
    for (int round = 0; round < 3; round++) {
        unlink(fx->entry);
        int gate[2];
        assert_int_equal(pipe(gate), 0);
        pid_t pids[WRITERS];
        for (int i = 0; i < WRITERS; i++) {
            pids[i] = fork();
            assert_true(pids[i] >= 0);
            if (pids[i] == 0) {
                close(gate[1]);
                char c;
                if (read(gate[0], &c, 1) < 0)
                    _exit(3);
                ops_wasm_cache_forget();
                struct err err = { 0 };
                struct wasm_module *mod =
                    ops_wasm_cache_get(small_wasm, sizeof(small_wasm), &err);
                _exit(mod ? 0 : 1);
            }
        }
        close(gate[0]);
        close(gate[1]); /* every writer starts now */
        for (int i = 0; i < WRITERS; i++) {
            int status;
            assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
        }
        assert_true(exists(fx->entry));
        assert_int_equal(strays(fx), 0);
        size_t hits = ops_wasm_cache_disk_hits();
        load_fresh();
        assert_int_equal(ops_wasm_cache_disk_hits(), hits + 1);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_miss_writes_then_a_fresh_process_hits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_damaged_entries_are_ignored_and_replaced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_off_switch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_directories_are_not_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unusable_bases_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_io_never_fails_the_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers_leave_a_valid_entry, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
