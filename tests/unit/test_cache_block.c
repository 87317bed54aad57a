/*
 * test_cache_block.c: `cache` blocks through exec_run, on programs loaded
 * from strings, with XDG_CACHE_HOME in a temporary directory: miss then
 * hit (bindings with their types, both output streams in order), failures
 * not stored, corrupt / foreign / expired entries, the listing API, and
 * many threads running `parallel` + `cache` on one key at once (this
 * program also runs under ThreadSanitizer: label tsan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "exec/block_cache.h"
#include "exec/exec.h"
#include "exec/output.h"
#include "lang/lang.h"
#include "os/fs.h"
#include "os/path.h"
#include "os/thread.h"

static const char *const no_env[] = { NULL };

struct fixture {
    char *root; /* XDG_CACHE_HOME */
    char *dir;  /* root/perch/blocks */
    struct lang_program *prog;
    struct exec_capture_sink sink;
    struct exec_app app;
};

static const char program[] =
    "command c\n"
    "    cache \"key-one\" \"1h\"\n"
    "        print \"computed\"\n"
    "        shell \"echo to-stderr >&2\"\n"
    "        word = \"hello\"\n"
    "        n = 42\n"
    "        ok = true\n"
    "        print \"last\"\n"
    "    end\n"
    "    print \"word=${word} n=${n} ok=${ok}\"\n"
    "    if n > 41\n"
    "        print \"n is a number\"\n"
    "    end\n"
    "end\n"
    "command failing\n"
    "    cache \"key-fail\" \"1h\"\n"
    "        print \"partial\"\n"
    "        fail \"broken\"\n"
    "    end\n"
    "end\n"
    "command shared\n"
    "    parallel 4\n"
    "        for_each \"1\\n2\\n3\\n4\\n5\\n6\\n7\\n8\" i\n"
    "            cache \"key-shared\" \"1h\"\n"
    "                v = \"same\"\n"
    "                print \"line\"\n"
    "            end\n"
    "        end\n"
    "    end\n"
    "end\n"
    "command short\n"
    "    cache \"key-short\" \"1s\"\n"
    "        append_file \"${cwd}/runs.txt\" \"x\"\n"
    "    end\n"
    "end\n";

static int
setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err = { 0 };
    f->root = os_fs_mkdtemp("/tmp", "perch-cache-test-", &err);
    assert_non_null(f->root);
    setenv("XDG_CACHE_HOME", f->root, 1);
    f->dir = exec_cache_blocks_dir();
    char *want = os_path_join(f->root, "perch/blocks");
    assert_string_equal(f->dir, want);
    free(want);
    struct lang_diags diags;
    lang_diags_init(&diags);
    f->prog = lang_load_string("t.perch", program, strlen(program), &diags);
    if (!f->prog)
        lang_diags_print(&diags, stderr);
    assert_non_null(f->prog);
    lang_diags_release(&diags);
    exec_capture_sink_init(&f->sink, NULL);
    f->app.prog = f->prog;
    f->app.sink = &f->sink.base;
    f->app.stdin_fd = -1;
    f->app.host_env = no_env;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    os_fs_remove_tree(f->root, &err);
    exec_capture_sink_release(&f->sink);
    lang_program_free(f->prog);
    free(f->dir);
    free(f->root);
    free(f);
    return 0;
}

static bool
run(struct fixture *f, const char *cmd, struct err *err)
{
    const struct lang_command *c = lang_find_command(f->prog, cmd);
    assert_non_null(c);
    struct exec_args args = { 0 };
    struct exec_run_opts opts = { 0 };
    opts.cwd = f->root;
    bool ok = exec_run(&f->app, c, &args, &opts, err);
    exec_args_release(&args);
    return ok;
}

static void
reset_sink(struct fixture *f)
{
    sbuf_reset(&f->sink.out);
    sbuf_reset(&f->sink.err);
    sbuf_reset(&f->sink.all);
}

static size_t
count_entries(const struct fixture *f)
{
    struct os_strlist names = { 0 };
    struct err err = { 0 };
    if (!os_fs_list_dir(f->dir, &names, &err))
        return 0;
    size_t n = names.count;
    os_strlist_release(&names);
    return n;
}

static char *
only_entry(const struct fixture *f)
{
    struct os_strlist names = { 0 };
    struct err err = { 0 };
    assert_true(os_fs_list_dir(f->dir, &names, &err));
    assert_int_equal(names.count, 1);
    char *path = os_path_join(f->dir, names.items[0]);
    os_strlist_release(&names);
    return path;
}

static void
test_cache_miss_then_hit_replays_output_and_typed_bindings(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    assert_true(run(f, "c", &err));
    const char *want_all = "computed\nto-stderr\nlast\nword=hello n=42 ok=true\nn is a number\n";
    assert_string_equal(f->sink.all.buf, want_all);
    assert_int_equal(count_entries(f), 1);

    reset_sink(f);
    assert_true(run(f, "c", &err));
    /* The hit line, then the same output in the same order; the replayed
     * n is still a number for `if n > 41`. */
    assert_non_null(strstr(f->sink.err.buf, "\xe2\x86\xaa cache hit: key-one (replayed 3 bindings, "));
    assert_non_null(strstr(f->sink.err.buf, " left)\n"));
    const char *replay = strstr(f->sink.all.buf, "computed\n");
    assert_non_null(replay);
    assert_string_equal(replay, want_all);
    assert_string_equal(f->sink.out.buf, "computed\nlast\nword=hello n=42 ok=true\nn is a number\n");

    /* The listing API sees the entry. */
    char *path = only_entry(f);
    struct exec_cache_info info;
    assert_true(exec_cache_info_read(path, &info));
    assert_string_equal(info.key, "key-one");
    assert_int_equal(info.bindings, 3);
    assert_true(info.expires_at - info.stored_at >= 3600);
    assert_true(info.expires_at - info.stored_at <= 3601);
    exec_cache_info_release(&info);
    free(path);
}

static void
test_cache_failure_is_not_stored(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    assert_false(run(f, "failing", &err));
    assert_string_equal(err.msg, "broken");
    assert_int_equal(count_entries(f), 0);
    assert_string_equal(f->sink.out.buf, "partial\n");
}

static void
test_cache_corrupt_and_foreign_entries_are_misses(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    assert_true(run(f, "c", &err));
    char *path = only_entry(f);
    static const char *const bad[] = {
        "",
        "not json",
        "{\"v\":1,\"key\":\"key-one\"",
        "[1,2,3]",
        "{\"v\":2,\"key\":\"key-one\",\"stored_at\":1,\"expires_at\":null,\"bindings\":{},"
        "\"output\":[]}",
        "{\"v\":1,\"key\":\"other\",\"stored_at\":1,\"expires_at\":null,\"bindings\":{},"
        "\"output\":[]}",
        "{\"v\":1,\"key\":\"key-one\",\"stored_at\":1,\"expires_at\":null,"
        "\"bindings\":{\"x\":[1]},\"output\":[]}",
        "{\"v\":1,\"key\":\"key-one\",\"stored_at\":1,\"expires_at\":null,\"bindings\":{},"
        "\"output\":[[3,\"x\"]]}",
        /* expired */
        "{\"v\":1,\"key\":\"key-one\",\"stored_at\":1,\"expires_at\":2,\"bindings\":{},"
        "\"output\":[]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_true(os_fs_write_atomic(path, bad[i], strlen(bad[i]), &err));
        reset_sink(f);
        assert_true(run(f, "c", &err));
        /* A miss: the body ran (no hit line) and rewrote a valid entry. */
        assert_null(strstr(f->sink.err.buf ? f->sink.err.buf : "", "cache hit"));
        assert_string_equal(f->sink.out.buf,
                            "computed\nlast\nword=hello n=42 ok=true\nn is a number\n");
        struct exec_cache_info info;
        assert_true(exec_cache_info_read(path, &info));
        exec_cache_info_release(&info);
    }
    free(path);
}

struct worker_arg {
    struct fixture *f;
    bool ok;
    struct err err;
};

static void *
shared_worker(void *p)
{
    struct worker_arg *a = p;
    a->ok = run(a->f, "shared", &a->err);
    return NULL;
}

/* Eight threads, each running a parallel block of eight branches that all
 * read and write one key: every run succeeds, every branch printed its
 * line, and one valid entry is left with no temporary files. */
static void
test_cache_many_writers_one_key(void **state)
{
    struct fixture *f = *state;
    enum { THREADS = 8 };
    struct os_thread t[THREADS];
    struct worker_arg args[THREADS];
    memset(args, 0, sizeof(args));
    for (int i = 0; i < THREADS; i++) {
        struct err err = { 0 };
        args[i].f = f;
        assert_true(os_thread_create(&t[i], 0, shared_worker, &args[i], &err));
    }
    for (int i = 0; i < THREADS; i++)
        os_thread_join(&t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        assert_true(args[i].ok);
    size_t lines = 0;
    for (const char *p = f->sink.out.buf; p && (p = strstr(p, "line\n")); p += 5)
        lines++;
    assert_int_equal(lines, THREADS * 8);
    char *path = only_entry(f);
    struct exec_cache_info info;
    assert_true(exec_cache_info_read(path, &info));
    assert_string_equal(info.key, "key-shared");
    assert_int_equal(info.bindings, 1);
    exec_cache_info_release(&info);
    free(path);
}

static void
test_cache_entry_expires(void **state)
{
    struct fixture *f = *state;
    struct err err = { 0 };
    assert_true(run(f, "short", &err));
    assert_true(run(f, "short", &err));
    char *runs = os_path_join(f->root, "runs.txt");
    struct sbuf text = SBUF_INIT;
    assert_true(os_fs_read_file(runs, 0, &text, &err));
    assert_string_equal(text.buf, "x");
    /* Expiry is in whole seconds: 2.1s is always past a 1s TTL. */
    usleep(2100 * 1000);
    assert_true(run(f, "short", &err));
    sbuf_reset(&text);
    assert_true(os_fs_read_file(runs, 0, &text, &err));
    assert_string_equal(text.buf, "xx");
    sbuf_release(&text);
    free(runs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cache_miss_then_hit_replays_output_and_typed_bindings,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_failure_is_not_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_corrupt_and_foreign_entries_are_misses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cache_many_writers_one_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_entry_expires, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
