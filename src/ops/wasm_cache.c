/*
 * src/ops/wasm_cache.c: the cache of compiled modules, keyed by the SHA-256
 * of their bytes: in this process, and on disk so a fresh process skips
 * compilation.
 *
 * In-process: shared mutable state, so it has one lock (ARCHITECTURE.md
 * "Threads"). The lock is held while a missing module compiles: a `parallel`
 * block that runs the same module in many branches then compiles it once and
 * every other branch waits for that compilation instead of repeating it.
 * Modules are immutable once loaded, so handing out references is safe;
 * entries live until the process exits (a run loads a handful of modules).
 *
 * On disk: an in-process miss looks for
 * $XDG_CACHE_HOME/perch/wasm/<sha256>-<engine version>.bin (default
 * $HOME/.cache/perch/wasm), a blob of wasm_module_serialize(). A usable one
 * is loaded with wasm_module_load_cached(); a refused one (corrupt, another
 * build) is ignored and replaced. A miss compiles and writes the entry
 * atomically (a 0600 temp file in the same directory, fsync, rename). The
 * directory is created 0700 and is used only when it is ours and not group-
 * or world-writable. The disk cache never fails a run: when it cannot be
 * used (no directory, read-only, full disk) the module is compiled as
 * without it. PERCH_WASM_CACHE=off turns it off; PERCH_WASM_CACHE_DEBUG=1
 * reports each decision on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/progname.h"
#include "base/xalloc.h"
#include "ops/ops_wasm.h"
#include "os/clock.h"
#include "os/fault.h"
#include "os/fs.h"
#include "wasm/wasm.h"

#define CACHE_MAX_ENTRIES 256           /* beyond this, compile without caching */
#define DISK_MAX_BLOB ((size_t)1 << 30) /* a larger cache file is ignored */

struct cache_entry {
    uint8_t digest[32];
    struct wasm_module *mod; /* the cache's own reference */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
/* Everything below is protected by 'cache_lock'. */
static struct cache_entry cache_entries[CACHE_MAX_ENTRIES];
static size_t cache_count;
static size_t cache_compiles;
static size_t cache_disk_hits;
static size_t cache_disk_writes;

static bool
sha256(const uint8_t *bytes, size_t len, uint8_t out[32])
{
    unsigned int out_len = 0;
    return EVP_Digest(bytes, len, out, &out_len, EVP_sha256(), NULL) == 1 && out_len == 32;
}

/* ---- the disk cache --------------------------------------------------------- */

static bool
env_is(const char *name, const char *const *values)
{
    const char *v = getenv(name);
    if (!v)
        return false;
    for (; *values; values++)
        if (strcmp(v, *values) == 0)
            return true;
    return false;
}

static void PRINTF_LIKE(1, 2)
debug(const char *fmt, ...)
{
    static const char *const on[] = { "1", "on", "yes", "true", NULL };
    if (!env_is("PERCH_WASM_CACHE_DEBUG", on))
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: wasm cache: %s\n", progname_get(), line);
}

/* The cache directory's path (caller frees), or NULL when there is no usable base. */
static char *
disk_dir_path(void)
{
    return ops_wasm_cache_dir();
}

char *
ops_wasm_cache_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && xdg[0] == '/') /* the XDG spec: a relative path is ignored */
        return xasprintf("%s/perch/wasm", xdg);
    const char *home = getenv("HOME");
    if (home && home[0] == '/')
        return xasprintf("%s/.cache/perch/wasm", home);
    return NULL;
}

/* Open the cache directory (created 0700 when missing); -1 when it is not usable. */
static int
disk_dir_open(char **out_path)
{
    static const char *const off[] = { "off", "0", "no", "false", NULL };
    *out_path = NULL;
    if (env_is("PERCH_WASM_CACHE", off)) {
        debug("disk cache off (PERCH_WASM_CACHE=%s)", getenv("PERCH_WASM_CACHE"));
        return -1;
    }
    char *path = disk_dir_path();
    if (!path) {
        debug("disk cache unavailable: neither XDG_CACHE_HOME nor HOME is an absolute path");
        return -1;
    }
    struct err err = { 0 };
    if (!os_fs_mkdir_p(path, 0700, &err)) {
        debug("disk cache unavailable: %s", err.msg);
        free(path);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        debug("disk cache unavailable: cannot open '%s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(path);
        return -1;
    }
    if (!os_fs_stat_is_private(&st)) {
        debug("disk cache unavailable: '%s' is not owned by this user or is writable by others",
              path);
        close(fd);
        free(path);
        return -1;
    }
    *out_path = path;
    return fd;
}

/* Read entry 'name'; NULL when missing or not a plain file of ours. (Read,
 * not mapped: a file truncated while mapped would crash the reader.) */
static uint8_t *
disk_read(int dirfd, const char *name, size_t *out_len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    uint8_t *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        st.st_size <= 0 || (uint64_t)st.st_size > DISK_MAX_BLOB)
        goto done;
    size_t len = (size_t)st.st_size;
    buf = try_malloc(len);
    if (!buf)
        goto done;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    *out_len = got; /* a short read makes a truncated blob, which loading refuses */
done:
    close(fd);
    return buf;
}

/* Write entry 'name' atomically; false (with a reason in 'why') when it could not. */
static bool
disk_write(int dirfd, const char *name, const uint8_t *data, size_t len, char *why,
           size_t why_cap)
{
    static atomic_uint serial;
    char tmp[256];
    snprintf(tmp, sizeof(tmp), ".%.100s.tmp-%ld-%u-%08x", name, (long)getpid(),
             atomic_fetch_add(&serial, 1), (unsigned)(os_clock_mono_ns() & 0xffffffffu));
    int fd = os_fault_io() ? (errno = EIO, -1)
                           : openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                    0600);
    if (fd < 0) {
        snprintf(why, why_cap, "cannot create a file: %s", strerror(errno));
        return false;
    }
    const char *step = "write";
    size_t done = 0;
    while (done < len) {
        ssize_t n = os_fault_io() ? (errno = EIO, -1) : write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            goto fail;
        }
        done += (size_t)n;
    }
    step = "fsync";
    if (os_fault_io() ? (errno = EIO, true) : fsync(fd) != 0)
        goto fail;
    step = "close";
    int rc = close(fd);
    fd = -1;
    if (rc != 0)
        goto fail;
    step = "rename";
    if (os_fault_io() ? (errno = EIO, true) : renameat(dirfd, tmp, dirfd, name) != 0)
        goto fail;
    return true;
fail:
    snprintf(why, why_cap, "%s failed: %s", step, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlinkat(dirfd, tmp, 0);
    return false;
}

/* Called with 'cache_lock' held: the module from the disk cache, or compiled
 * (and then written to it). */
static struct wasm_module *
load_through_disk(const uint8_t *bytes, size_t len, const uint8_t digest[32], struct err *err)
{
    char *dir = NULL;
    int dirfd = disk_dir_open(&dir);
    if (dirfd < 0)
        return wasm_module_load(bytes, len, NULL, err);
    char name[160];
    int n = 0;
    for (int i = 0; i < 32; i++)
        n += snprintf(name + n, sizeof(name) - (size_t)n, "%02x", digest[i]);
    snprintf(name + n, sizeof(name) - (size_t)n, "-%s.bin", WASM_ENGINE_VERSION);

    size_t blob_len = 0;
    uint8_t *blob = disk_read(dirfd, name, &blob_len);
    const char *what = "miss";
    char ignored[600] = "";
    if (blob) {
        struct err cerr = { 0 };
        struct wasm_module *mod =
            wasm_module_load_cached_sha(bytes, len, digest, blob, blob_len, NULL, &cerr);
        free(blob);
        if (mod) {
            cache_disk_hits++;
            debug("hit %s/%s", dir, name);
            close(dirfd);
            free(dir);
            return mod;
        }
        what = "ignored";
        snprintf(ignored, sizeof(ignored), " (%s)", cerr.msg);
    }

    struct wasm_module *mod = wasm_module_load(bytes, len, NULL, err);
    if (mod) {
        uint8_t *out = NULL;
        size_t out_len = 0;
        struct err serr = { 0 };
        char why[300] = "";
        if (!wasm_module_serialize_sha(mod, digest, &out, &out_len, &serr))
            snprintf(why, sizeof(why), "%s", serr.msg);
        else if (disk_write(dirfd, name, out, out_len, why, sizeof(why)))
            cache_disk_writes++;
        free(out);
        if (why[0])
            debug("%s %s/%s%s: compiled, not stored: %s", what, dir, name, ignored, why);
        else
            debug("%s %s/%s%s: compiled, stored", what, dir, name, ignored);
    }
    close(dirfd);
    free(dir);
    return mod;
}

/* ---- the cache ---------------------------------------------------------------- */

struct wasm_module *
ops_wasm_cache_get(const uint8_t *bytes, size_t len, struct err *err)
{
    uint8_t digest[32];
    if (!sha256(bytes, len, digest))
        return wasm_module_load(bytes, len, NULL, err);
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < cache_count; i++) {
        if (memcmp(cache_entries[i].digest, digest, 32) == 0) {
            struct wasm_module *mod = wasm_module_ref(cache_entries[i].mod);
            pthread_mutex_unlock(&cache_lock);
            return mod;
        }
    }
    struct wasm_module *mod = load_through_disk(bytes, len, digest, err);
    if (mod)
        cache_compiles++;
    if (mod && cache_count < CACHE_MAX_ENTRIES) {
        memcpy(cache_entries[cache_count].digest, digest, 32);
        cache_entries[cache_count].mod = wasm_module_ref(mod);
        cache_count++;
    }
    pthread_mutex_unlock(&cache_lock);
    return mod;
}

size_t
ops_wasm_cache_compiles(void)
{
    pthread_mutex_lock(&cache_lock);
    size_t n = cache_compiles;
    pthread_mutex_unlock(&cache_lock);
    return n;
}

size_t
ops_wasm_cache_disk_hits(void)
{
    pthread_mutex_lock(&cache_lock);
    size_t n = cache_disk_hits;
    pthread_mutex_unlock(&cache_lock);
    return n;
}

size_t
ops_wasm_cache_disk_writes(void)
{
    pthread_mutex_lock(&cache_lock);
    size_t n = cache_disk_writes;
    pthread_mutex_unlock(&cache_lock);
    return n;
}

void
ops_wasm_cache_forget(void)
{
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < cache_count; i++)
        wasm_module_free(cache_entries[i].mod);
    cache_count = 0;
    pthread_mutex_unlock(&cache_lock);
}
