/* test_bundle_format.c: the bundle reader on hand-made files: a valid
 * payload is found and served, and every kind of damage or unsafe entry
 * (paths escaping the bundle, sizes past the end, bad version) is refused
 * even when the recorded hash matches. Extraction: written once, reused,
 * a damaged directory replaced, modes kept. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "bundle/bundle.h"
#include "lang/lang.h"
#include "os/fs.h"
#include "os/path.h"

static char *tmp_root;

struct fake_entry {
    const char *path;
    const char *data;
    uint32_t flags;
};

static void
put_u32(struct sbuf *sb, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        sbuf_addc(sb, (char)(v >> (8 * i)));
}

static void
put_u64(struct sbuf *sb, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        sbuf_addc(sb, (char)(v >> (8 * i)));
}

/* Write "<prefix><payload><footer>" to a new file and return its path.
 * 'extra_len' is added to the first entry's recorded data length (a lie). */
static char *
write_fake(const struct fake_entry *e, size_t n, uint32_t main_index, uint32_t version,
           uint64_t extra_len)
{
    static const char prefix[] = "not an executable, but a prefix of known size\n";
    struct sbuf payload = SBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        put_u32(&payload, (uint32_t)strlen(e[i].path));
        put_u32(&payload, e[i].flags);
        put_u64(&payload, strlen(e[i].data) + (i == 0 ? extra_len : 0));
        sbuf_adds(&payload, e[i].path);
        sbuf_adds(&payload, e[i].data);
    }
    struct bundle_footer f = { 0 };
    f.version = version;
    f.entry_count = (uint32_t)n;
    f.payload_offset = sizeof(prefix) - 1;
    f.payload_size = payload.len;
    f.main_index = main_index;
    unsigned md_len = 0;
    assert_true(EVP_Digest(payload.buf, payload.len, f.sha256, &md_len, EVP_sha256(), NULL));
    uint8_t foot[BUNDLE_FOOTER_SIZE];
    bundle_footer_encode(&f, foot);

    char *path = os_fs_mkstemp(tmp_root, "fake", NULL);
    assert_non_null(path);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite(prefix, 1, sizeof(prefix) - 1, fp);
    fwrite(payload.buf, 1, payload.len, fp);
    fwrite(foot, 1, sizeof(foot), fp);
    fclose(fp);
    sbuf_release(&payload);
    return path;
}

static int
open_fake(const struct fake_entry *e, size_t n, uint32_t main_index, uint32_t version,
          uint64_t extra_len, struct bundle *b, struct err *err)
{
    char *path = write_fake(e, n, main_index, version, extra_len);
    int rc = bundle_open(path, b, err);
    unlink(path);
    free(path);
    return rc;
}

static const struct fake_entry good[] = {
    { "lib/util.perch", "command helper\n    private\n    do\n        print \"from lib\"\n    end\nend\n",
      0 },
    { "main.perch",
      "name \"fake\"\nimport \"lib/util.perch\"\ncommand hi\n    do\n        helper\n    end\nend\n",
      0 },
    { "tools/run.sh", "#!/bin/sh\necho run\n", BUNDLE_ENTRY_EXEC },
};

static void
test_footer_round_trip(void **state)
{
    (void)state;
    struct bundle_footer f = { 0 }, g;
    f.version = 1;
    f.entry_count = 3;
    f.payload_offset = 0x0102030405060708ull;
    f.payload_size = 77;
    f.main_index = 2;
    for (int i = 0; i < 32; i++)
        f.sha256[i] = (uint8_t)i;
    uint8_t buf[BUNDLE_FOOTER_SIZE];
    bundle_footer_encode(&f, buf);
    assert_memory_equal(buf, "PERCHBDL", 8);
    assert_memory_equal(buf + 72, "PERCHEND", 8);
    assert_int_equal(buf[16], 0x08); /* little-endian */
    assert_true(bundle_footer_decode(buf, &g));
    assert_true(g.payload_offset == f.payload_offset);
    assert_int_equal(g.main_index, 2);
    assert_memory_equal(g.sha256, f.sha256, 32);
    buf[75] ^= 1;
    assert_false(bundle_footer_decode(buf, &g));
}

static void
test_open_finds_entries(void **state)
{
    (void)state;
    struct bundle b;
    struct err err = { 0 };
    assert_int_equal(open_fake(good, 3, 1, BUNDLE_FORMAT_VERSION, 0, &b, &err), 1);
    assert_int_equal(b.entry_count, 3);
    assert_int_equal(b.main_index, 1);
    assert_int_equal(strlen(b.hash), 64);
    const struct bundle_entry *e = bundle_find(&b, "tools/run.sh");
    assert_non_null(e);
    assert_int_equal(e->len, strlen(good[2].data));
    assert_memory_equal(e->data, good[2].data, e->len);
    assert_true(e->flags & BUNDLE_ENTRY_EXEC);
    assert_null(bundle_find(&b, "nope"));
    bundle_release(&b);
}

static void
test_plain_file_is_not_a_bundle(void **state)
{
    (void)state;
    char *path = os_fs_mkstemp(tmp_root, "plain", NULL);
    FILE *fp = fopen(path, "wb");
    fputs("just some bytes, no footer here, long enough to have 80 of them ........................"
          "..........\n",
          fp);
    fclose(fp);
    struct bundle b;
    struct err err = { 0 };
    assert_int_equal(bundle_open(path, &b, &err), 0);
    uint64_t len = 0;
    assert_true(bundle_exe_len(path, &len, &err));
    struct stat st;
    stat(path, &st);
    assert_true(len == (uint64_t)st.st_size);
    unlink(path);
    free(path);
}

static void
expect_refused(const struct fake_entry *e, size_t n, uint32_t main_index, uint32_t version,
               uint64_t extra_len, const char *words)
{
    struct bundle b;
    struct err err = { 0 };
    assert_int_equal(open_fake(e, n, main_index, version, extra_len, &b, &err), -1);
    assert_int_equal(err.kind, ERR_BUNDLE);
    if (!strstr(err.msg, words))
        fail_msg("expected '%s' in '%s'", words, err.msg);
    assert_null(b.payload);
}

static void
test_unsafe_paths_are_refused_even_with_a_good_hash(void **state)
{
    (void)state;
    static const char *const bad_paths[] = {
        "../evil", "a/../../evil", "/etc/passwd", "a//b", "./a", "a/.", "", "a/",
    };
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        struct fake_entry e[2] = { { "main.perch", "command x\n    do\n    end\nend\n", 0 },
                                   { bad_paths[i], "payload", 0 } };
        expect_refused(e, 2, 0, BUNDLE_FORMAT_VERSION, 0, "does not parse");
    }
}

static void
test_bad_tables_are_refused(void **state)
{
    (void)state;
    /* A data length past the end of the payload. */
    expect_refused(good, 3, 1, BUNDLE_FORMAT_VERSION, 1000, "does not parse");
    /* The main file index out of range. */
    expect_refused(good, 3, 3, BUNDLE_FORMAT_VERSION, 0, "entry count");
    /* A format this perch does not read. */
    expect_refused(good, 3, 1, BUNDLE_FORMAT_VERSION + 1, 0, "format version");
}

static char *
extract_to(struct bundle *b, const char *root)
{
    struct err err = { 0 };
    if (!bundle_extract(b, root, &err))
        fail_msg("bundle_extract: %s", err.msg);
    return b->dir;
}

static void
test_extract_once_reuse_and_repair(void **state)
{
    (void)state;
    struct bundle b;
    struct err err = { 0 };
    assert_int_equal(open_fake(good, 3, 1, BUNDLE_FORMAT_VERSION, 0, &b, &err), 1);
    char *root = os_path_join(tmp_root, "cache/perch/bundles");
    char *dir = extract_to(&b, root);
    char *want = os_path_join(root, b.hash);
    assert_string_equal(dir, want);

    char *sh = os_path_join(dir, "tools/run.sh");
    struct stat st;
    assert_int_equal(stat(sh, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    char *util = os_path_join(dir, "lib/util.perch");
    assert_int_equal(stat(util, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    /* Reused: a marker file in the directory survives a second extraction. */
    char *marker = os_path_join(dir, "marker");
    assert_true(os_fs_touch(marker, NULL));
    struct bundle b2;
    assert_int_equal(open_fake(good, 3, 1, BUNDLE_FORMAT_VERSION, 0, &b2, &err), 1);
    extract_to(&b2, root);
    assert_int_equal(stat(marker, &st), 0);
    bundle_release(&b2);

    /* Damaged (a file truncated): replaced by a fresh extraction. */
    assert_int_equal(truncate(util, 3), 0);
    assert_int_equal(open_fake(good, 3, 1, BUNDLE_FORMAT_VERSION, 0, &b2, &err), 1);
    extract_to(&b2, root);
    assert_int_equal(stat(util, &st), 0);
    assert_int_equal(st.st_size, (off_t)strlen(good[0].data));
    bundle_release(&b2);

    /* Nothing but the one directory is left in the root. */
    struct os_strlist names = { 0 };
    assert_true(os_fs_list_dir(root, &names, NULL));
    assert_int_equal(names.count, 1);
    os_strlist_release(&names);

    /* The program loads from memory, its import served from the payload,
     * with the extraction directory as its directory. */
    struct lang_diags diags;
    lang_diags_init(&diags);
    struct lang_program *prog = bundle_load_program(&b, &diags);
    if (!prog)
        lang_diags_print(&diags, stderr);
    assert_non_null(prog);
    assert_string_equal(prog->dir, dir);
    assert_non_null(lang_find_command(prog, "helper"));
    assert_int_equal(prog->source_count, 2);
    lang_program_free(prog);
    lang_diags_release(&diags);

    free(marker);
    free(util);
    free(sh);
    free(want);
    free(root);
    bundle_release(&b);
}

static void
test_cache_root(void **state)
{
    (void)state;
    char *a = bundle_cache_root("/x/cache", "/home/u");
    assert_string_equal(a, "/x/cache/perch/bundles");
    char *b = bundle_cache_root(NULL, "/home/u");
    assert_string_equal(b, "/home/u/.cache/perch/bundles");
    char *c = bundle_cache_root("relative", "/home/u");
    assert_string_equal(c, "/home/u/.cache/perch/bundles");
    char *d = bundle_cache_root(NULL, NULL);
    assert_non_null(strstr(d, "perch-bundles-"));
    free(a);
    free(b);
    free(c);
    free(d);
}

static int
setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    tmp_root = os_fs_mkdtemp(t && *t == '/' ? t : "/tmp", "perch-bundle-unit-", NULL);
    return tmp_root ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    os_fs_remove_tree(tmp_root, NULL);
    free(tmp_root);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_footer_round_trip),
        cmocka_unit_test(test_open_finds_entries),
        cmocka_unit_test(test_plain_file_is_not_a_bundle),
        cmocka_unit_test(test_unsafe_paths_are_refused_even_with_a_good_hash),
        cmocka_unit_test(test_bad_tables_are_refused),
        cmocka_unit_test(test_extract_once_reuse_and_repair),
        cmocka_unit_test(test_cache_root),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
