/*
 * cli_cache.c: `perch cache list` and `perch cache clear [PREFIX]`, the
 * entries that `cache "KEY" "TTL"` blocks store (src/exec/block_cache.h).
 *
 *   perch cache list           one line per entry: key, bindings, size, age
 *                              and time left ("expired" once past its TTL),
 *                              sorted by key; entries that do not parse are
 *                              listed as "(unreadable)"
 *                              (stdout), then the entry count and the
 *                              compiled-module count (stderr)
 *   perch cache clear          removes every entry (and temporary files
 *                              left by writers that died), and every
 *                              compiled module of the wasm_run disk cache
 *                              ($XDG_CACHE_HOME/perch/wasm, ops_wasm.h)
 *   perch cache clear PREFIX   removes the entries whose key starts with
 *                              PREFIX (compiled modules have no key: kept)
 *   perch cache clear --wasm   removes only the compiled modules
 *
 * Exit status 0, 1 when the directory cannot be read or an entry cannot be
 * removed, 2 for a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/err.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "exec/block_cache.h"
#include "ops/ops_wasm.h"
#include "os/clock.h"
#include "os/fs.h"
#include "os/path.h"

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int
cmp_info(const void *a, const void *b)
{
    const struct exec_cache_info *x = a, *y = b;
    return strcmp(x->key, y->key);
}

/* The entry files of 'dir' (names ending in .json, or temporaries when
 * 'temps'); a missing directory is an empty list. */
static bool
list_files(const char *dir, struct os_strlist *out, struct err *err)
{
    struct os_strlist names = { 0 };
    if (!os_fs_list_dir(dir, &names, err)) {
        if (err->kind == ERR_NOT_FOUND) {
            err_clear(err);
            return true;
        }
        return false;
    }
    for (size_t i = 0; i < names.count; i++)
        os_strlist_push_take(out, os_path_join(dir, names.items[i]));
    os_strlist_release(&names);
    return true;
}

/* A file of the compiled-module cache: "<sha256>-<engine>.bin", or a
 * writer's temporary ".<name>.bin.tmp-..." (wasm_cache.c). Other files in
 * the directory are not ours and stay. */
static bool
is_wasm_cache_file(const char *path, bool *out_is_entry)
{
    char *base = os_path_base(path);
    *out_is_entry = base[0] != '.' && ends_with(base, ".bin");
    bool temp = base[0] == '.' && strstr(base, ".bin.tmp-") != NULL;
    free(base);
    return *out_is_entry || temp;
}

/* The compiled-module cache: count its entries and bytes, or remove them
 * ('remove'). A missing directory (or no cache base at all) is empty. */
static int
wasm_cache_walk(bool remove, const char *what)
{
    char *dir = ops_wasm_cache_dir();
    if (!dir)
        return 0;
    struct os_strlist files = { 0 };
    struct err err = { 0 };
    if (!list_files(dir, &files, &err)) {
        fprintf(stderr, "perch: %s: %s\n", what, err.msg);
        free(dir);
        return 1;
    }
    size_t count = 0;
    unsigned long long bytes = 0;
    int status = 0;
    for (size_t i = 0; i < files.count; i++) {
        const char *path = files.items[i];
        bool entry;
        if (!is_wasm_cache_file(path, &entry))
            continue;
        if (!remove) {
            struct stat st;
            if (entry && lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                count++;
                bytes += (unsigned long long)st.st_size;
            }
            continue;
        }
        if (unlink(path) != 0 && errno != ENOENT) {
            fprintf(stderr, "perch: %s: cannot remove '%s': %s\n", what, path, strerror(errno));
            status = 1;
            continue;
        }
        if (entry)
            count++;
    }
    os_strlist_release(&files);
    if (remove)
        fprintf(stderr, "removed %zu compiled module%s from %s\n", count, count == 1 ? "" : "s",
                dir);
    else
        fprintf(stderr, "%zu compiled module%s (%llu bytes) in %s\n", count,
                count == 1 ? "" : "s", bytes, dir);
    free(dir);
    return status;
}

static int
cache_list(const char *dir)
{
    struct os_strlist files = { 0 };
    struct err err = { 0 };
    if (!list_files(dir, &files, &err)) {
        fprintf(stderr, "perch: cache list: %s\n", err.msg);
        return 1;
    }
    struct exec_cache_info *infos = NULL;
    size_t count = 0, cap = 0, bad = 0;
    for (size_t i = 0; i < files.count; i++) {
        if (!ends_with(files.items[i], ".json"))
            continue;
        struct exec_cache_info info;
        if (!exec_cache_info_read(files.items[i], &info)) {
            printf("(unreadable)  %s\n", files.items[i]);
            bad++;
            continue;
        }
        infos = xgrow(infos, &cap, count + 1, sizeof(*infos));
        infos[count++] = info;
    }
    if (count)
        qsort(infos, count, sizeof(*infos), cmp_info);
    int64_t now = os_clock_wall_ns() / OS_NS_PER_SEC;
    for (size_t i = 0; i < count; i++) {
        const struct exec_cache_info *in = &infos[i];
        char age[DURATION_FORMAT_MAX], left[DURATION_FORMAT_MAX];
        duration_format((now - in->stored_at) * OS_NS_PER_SEC, age, sizeof(age));
        if (!in->expires_at)
            snprintf(left, sizeof(left), "no expiry");
        else if (in->expires_at <= now)
            snprintf(left, sizeof(left), "expired");
        else
            duration_format((in->expires_at - now) * OS_NS_PER_SEC, left, sizeof(left));
        printf("%s  (%zu binding%s, %zu bytes, stored %s ago, %s%s)\n", in->key, in->bindings,
               in->bindings == 1 ? "" : "s", in->size, age, left,
               in->expires_at && in->expires_at > now ? " left" : "");
        exec_cache_info_release(&infos[i]);
    }
    free(infos);
    os_strlist_release(&files);
    fprintf(stderr, "%zu entr%s in %s\n", count + bad, count + bad == 1 ? "y" : "ies", dir);
    return wasm_cache_walk(false, "cache list");
}

static int
cache_clear(const char *dir, const char *prefix)
{
    struct os_strlist files = { 0 };
    struct err err = { 0 };
    if (!list_files(dir, &files, &err)) {
        fprintf(stderr, "perch: cache clear: %s\n", err.msg);
        return 1;
    }
    size_t removed = 0;
    int status = 0;
    for (size_t i = 0; i < files.count; i++) {
        const char *path = files.items[i];
        /* Temporary files of writers that died: ".<hash>.json.tmp-..." */
        bool entry = ends_with(path, ".json");
        bool temp = strstr(path, ".json.tmp-") != NULL;
        if (!entry && !temp)
            continue;
        if (prefix) {
            /* Only entries whose key matches; unreadable ones have no key. */
            struct exec_cache_info info;
            if (!entry || !exec_cache_info_read(path, &info))
                continue;
            bool match = !strncmp(info.key, prefix, strlen(prefix));
            exec_cache_info_release(&info);
            if (!match)
                continue;
        }
        if (unlink(path) != 0 && errno != ENOENT) {
            fprintf(stderr, "perch: cache clear: cannot remove '%s': %s\n", path,
                    strerror(errno));
            status = 1;
            continue;
        }
        if (entry)
            removed++;
    }
    os_strlist_release(&files);
    fprintf(stderr, "removed %zu entr%s from %s\n", removed, removed == 1 ? "y" : "ies", dir);
    return status;
}

int
cli_cache_main(int argc, char **argv)
{
    static const char usage[] = "usage: perch cache list\n"
                                "       perch cache clear [PREFIX | --wasm]\n"
                                "  clear: every cache block entry and every compiled module;\n"
                                "  PREFIX: only the entries whose key starts with it;\n"
                                "  --wasm: only the compiled modules ($XDG_CACHE_HOME/perch/wasm)\n";
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return 0;
    }
    char *dir = exec_cache_blocks_dir();
    int status;
    if (argc == 2 && !strcmp(argv[1], "list")) {
        status = cache_list(dir);
    } else if (argc == 2 && !strcmp(argv[1], "clear")) {
        status = cache_clear(dir, NULL);
        if (wasm_cache_walk(true, "cache clear"))
            status = 1;
    } else if (argc == 3 && !strcmp(argv[1], "clear") && !strcmp(argv[2], "--wasm")) {
        status = wasm_cache_walk(true, "cache clear");
    } else if (argc == 3 && !strcmp(argv[1], "clear") && argv[2][0] == '-') {
        fprintf(stderr, "perch: cache clear: unknown flag '%s'\n", argv[2]);
        fputs(usage, stderr);
        status = 2;
    } else if (argc == 3 && !strcmp(argv[1], "clear")) {
        status = cache_clear(dir, argv[2]);
    } else {
        if (argc >= 2 && strcmp(argv[1], "list") && strcmp(argv[1], "clear"))
            fprintf(stderr, "perch: cache: unknown subcommand '%s'\n", argv[1]);
        else if (argc >= 2)
            fprintf(stderr, "perch: cache %s: unexpected '%s'\n", argv[1], argv[argc - 1]);
        fputs(usage, stderr);
        status = 2;
    }
    free(dir);
    return status;
}
