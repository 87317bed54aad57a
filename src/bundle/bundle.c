/*
 * bundle.c: finding, checking and extracting the payload a built binary
 * carries (the format is described in bundle.h).
 */
#include "bundle/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "lang/lang.h"
#include "os/fs.h"
#include "os/path.h"

/* ---- little-endian fields ------------------------------------------------ */

static void
put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t
get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint16_t
get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

void
bundle_footer_encode(const struct bundle_footer *f, uint8_t out[BUNDLE_FOOTER_SIZE])
{
    memset(out, 0, BUNDLE_FOOTER_SIZE);
    memcpy(out, BUNDLE_MAGIC, 8);
    put_u32(out + 8, f->version);
    put_u32(out + 12, f->entry_count);
    put_u64(out + 16, f->payload_offset);
    put_u64(out + 24, f->payload_size);
    put_u32(out + 32, f->main_index);
    put_u32(out + 36, 0);
    memcpy(out + 40, f->sha256, 32);
    memcpy(out + 72, BUNDLE_END_MAGIC, 8);
}

bool
bundle_footer_decode(const uint8_t in[BUNDLE_FOOTER_SIZE], struct bundle_footer *f)
{
    if (memcmp(in, BUNDLE_MAGIC, 8) != 0 || memcmp(in + 72, BUNDLE_END_MAGIC, 8) != 0)
        return false;
    f->version = get_u32(in + 8);
    f->entry_count = get_u32(in + 12);
    f->payload_offset = get_u64(in + 16);
    f->payload_size = get_u64(in + 24);
    f->main_index = get_u32(in + 32);
    memcpy(f->sha256, in + 40, 32);
    return true;
}

/* ---- reading ------------------------------------------------------------- */

static bool
read_at(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return true;
}

/* The furthest byte a section table says is used (SHT_NOBITS sections take
 * no room in the file). 'tab' holds 'n' headers of 'entsize' bytes. */
static uint64_t
sections_end(const uint8_t *tab, uint16_t n, uint16_t entsize, bool is64)
{
    uint64_t end = 0;
    for (uint16_t i = 0; i < n; i++) {
        const uint8_t *s = tab + (size_t)i * entsize;
        uint32_t type = get_u32(s + 4);
        uint64_t off = is64 ? get_u64(s + 24) : get_u32(s + 16);
        uint64_t size = is64 ? get_u64(s + 32) : get_u32(s + 20);
        if (type != 8 /* SHT_NOBITS */ && off + size > end)
            end = off + size;
    }
    return end;
}

/*
 * Where an ELF file's own contents end (the furthest of its section header
 * table, program header table and sections), or 0 when 'fd' is not ELF.
 * Bytes past that point without a footer are a damaged bundle.
 */
static uint64_t
elf_end(int fd, uint64_t file_size)
{
    uint8_t h[64];
    if (file_size < 64 || !read_at(fd, h, 64, 0) || memcmp(h, "\177ELF", 4) != 0 || h[5] != 1)
        return 0; /* not ELF, or big-endian: no check */
    bool is64 = h[4] == 2;
    if (!is64 && h[4] != 1)
        return 0;
    uint64_t shoff = is64 ? get_u64(h + 40) : get_u32(h + 32);
    uint64_t phoff = is64 ? get_u64(h + 32) : get_u32(h + 28);
    uint16_t phentsize = get_u16(h + (is64 ? 54 : 42)), phnum = get_u16(h + (is64 ? 56 : 44));
    uint16_t shentsize = get_u16(h + (is64 ? 58 : 46)), shnum = get_u16(h + (is64 ? 60 : 48));
    uint64_t end = shoff + (uint64_t)shentsize * shnum;
    if (phoff + (uint64_t)phentsize * phnum > end)
        end = phoff + (uint64_t)phentsize * phnum;
    if (end > file_size)
        return 0;
    /* Sections may lie after the section header table: one read of it. */
    size_t tab_len = (size_t)shentsize * shnum;
    if (shnum && shentsize >= (is64 ? 40 : 24)) {
        uint8_t *tab = try_malloc(tab_len);
        if (!tab || !read_at(fd, tab, tab_len, shoff)) {
            free(tab);
            return 0;
        }
        uint64_t s_end = sections_end(tab, shnum, shentsize, is64);
        free(tab);
        if (s_end > end)
            end = s_end;
    }
    return end <= file_size ? end : 0;
}

/* Reads the footer of 'fd'. Returns 1 (footer in 'f'), 0 (no bundle) or -1. */
static int
read_footer(int fd, const char *exe_path, struct bundle_footer *f, uint64_t *out_size,
            struct err *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        err_errno(err, errno, "cannot stat '%s'", exe_path);
        return -1;
    }
    uint64_t size = (uint64_t)st.st_size;
    *out_size = size;
    uint8_t buf[BUNDLE_FOOTER_SIZE];
    if (size >= BUNDLE_FOOTER_SIZE && read_at(fd, buf, sizeof(buf), size - BUNDLE_FOOTER_SIZE)
        && bundle_footer_decode(buf, f)) {
        if (f->version != BUNDLE_FORMAT_VERSION) {
            err_set(err, ERR_BUNDLE,
                    "%s: bundle format version %u is not supported by this perch (it reads "
                    "version %u); rebuild it with perch --build",
                    exe_path, f->version, BUNDLE_FORMAT_VERSION);
            return -1;
        }
        if (f->payload_size > BUNDLE_MAX_PAYLOAD || f->payload_offset > size
            || f->payload_offset + f->payload_size + BUNDLE_FOOTER_SIZE != size) {
            err_set(err, ERR_BUNDLE,
                    "%s: the embedded program is damaged (truncated: its sizes do not add up "
                    "to the file's %llu bytes); rebuild it with perch --build",
                    exe_path, (unsigned long long)size);
            return -1;
        }
        return 1;
    }
    uint64_t end = elf_end(fd, size);
    if (end && end < size) {
        err_set(err, ERR_BUNDLE,
                "%s: the embedded program is damaged (%llu bytes after the executable but no "
                "bundle footer: truncated?); rebuild it with perch --build",
                exe_path, (unsigned long long)(size - end));
        return -1;
    }
    return 0;
}

bool
bundle_exe_len(const char *exe_path, uint64_t *out_len, struct err *err)
{
    int fd = open(exe_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_errno(err, errno, "cannot open '%s'", exe_path);
    struct bundle_footer f;
    uint64_t size = 0;
    int rc = read_footer(fd, exe_path, &f, &size, err);
    close(fd);
    if (rc < 0)
        return false;
    *out_len = rc ? f.payload_offset : size;
    return true;
}

/* A relative path with no empty, "." or ".." element. */
static bool
safe_rel_path(const char *p, size_t len)
{
    if (len == 0 || p[0] == '/')
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] == '\0')
            return false;
        if (i == len || p[i] == '/') {
            size_t n = i - start;
            if (n == 0 || (n == 1 && p[start] == '.')
                || (n == 2 && p[start] == '.' && p[start + 1] == '.'))
                return false;
            start = i + 1;
        }
    }
    return true;
}

static bool
parse_entries(struct bundle *b, const struct bundle_footer *f, const char *exe_path,
              struct err *err)
{
    if (f->entry_count == 0 || f->entry_count > BUNDLE_MAX_ENTRIES
        || f->main_index >= f->entry_count)
        return err_set(err, ERR_BUNDLE, "%s: the embedded program is damaged (bad entry count)",
                       exe_path);
    b->entries = xcalloc(f->entry_count, sizeof(*b->entries));
    struct sbuf names = SBUF_INIT;
    size_t *offs = xcalloc(f->entry_count, sizeof(size_t));
    const uint8_t *p = b->payload;
    size_t left = b->payload_len;
    bool ok = true;
    for (uint32_t i = 0; i < f->entry_count; i++) {
        if (left < 16) {
            ok = false;
            break;
        }
        uint32_t plen = get_u32(p), flags = get_u32(p + 4);
        uint64_t dlen = get_u64(p + 8);
        p += 16;
        left -= 16;
        if (plen > BUNDLE_MAX_PATH_LEN || plen > left || dlen > left - plen
            || !safe_rel_path((const char *)p, plen)) {
            ok = false;
            break;
        }
        offs[i] = names.len;
        sbuf_add(&names, p, plen);
        sbuf_addc(&names, '\0');
        b->entries[i].data = p + plen;
        b->entries[i].len = (size_t)dlen;
        b->entries[i].flags = flags;
        p += plen + dlen;
        left -= plen + (size_t)dlen;
    }
    if (ok && left != 0)
        ok = false;
    b->paths = sbuf_detach(&names, NULL);
    if (ok) {
        b->entry_count = f->entry_count;
        for (size_t i = 0; i < b->entry_count; i++)
            b->entries[i].path = b->paths + offs[i];
        b->main_index = f->main_index;
    }
    free(offs);
    if (!ok)
        return err_set(err, ERR_BUNDLE,
                       "%s: the embedded program is damaged (its file table does not parse)",
                       exe_path);
    return true;
}

static void
hex_of(const uint8_t *md, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

int
bundle_open(const char *exe_path, struct bundle *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    int fd = open(exe_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_errno(err, errno, "cannot open '%s'", exe_path);
        return -1;
    }
    struct bundle_footer f;
    uint64_t size = 0;
    int rc = read_footer(fd, exe_path, &f, &size, err);
    if (rc <= 0) {
        close(fd);
        return rc;
    }
    out->exe_len = f.payload_offset;
    out->payload_len = (size_t)f.payload_size;
    out->payload = try_malloc(out->payload_len ? out->payload_len : 1);
    if (!out->payload) {
        close(fd);
        err_set(err, ERR_OOM, "%s: no memory for the %zu-byte embedded program", exe_path,
                out->payload_len);
        return -1;
    }
    bool read_ok = read_at(fd, out->payload, out->payload_len, f.payload_offset);
    close(fd);
    if (!read_ok) {
        err_set(err, ERR_BUNDLE, "%s: cannot read the embedded program", exe_path);
        bundle_release(out);
        return -1;
    }
    uint8_t md[32];
    unsigned md_len = 0;
    if (!EVP_Digest(out->payload, out->payload_len, md, &md_len, EVP_sha256(), NULL)
        || md_len != 32) {
        err_set(err, ERR_BUNDLE, "%s: cannot hash the embedded program", exe_path);
        bundle_release(out);
        return -1;
    }
    if (memcmp(md, f.sha256, 32) != 0) {
        err_set(err, ERR_BUNDLE,
                "%s: the embedded program is damaged (its SHA-256 does not match the one "
                "recorded at build time: modified or corrupted); refusing to run it",
                exe_path);
        bundle_release(out);
        return -1;
    }
    hex_of(md, out->hash);
    if (!parse_entries(out, &f, exe_path, err)) {
        bundle_release(out);
        return -1;
    }
    return 1;
}

void
bundle_release(struct bundle *b)
{
    if (!b)
        return;
    free(b->payload);
    free(b->paths);
    free(b->entries);
    free(b->dir);
    memset(b, 0, sizeof(*b));
}

const struct bundle_entry *
bundle_find(const struct bundle *b, const char *path)
{
    for (size_t i = 0; i < b->entry_count; i++)
        if (strcmp(b->entries[i].path, path) == 0)
            return &b->entries[i];
    return NULL;
}

/* ---- extraction ---------------------------------------------------------- */

char *
bundle_cache_root(const char *xdg, const char *home)
{
    if (xdg && xdg[0] == '/')
        return os_path_join(xdg, "perch/bundles");
    if (home && home[0] == '/')
        return os_path_join(home, ".cache/perch/bundles");
    return xasprintf("/tmp/perch-bundles-%ld", (long)getuid());
}

/* Is 'path' (followed if a symlink: ~/.cache may be one) a directory of ours
 * that nobody else can write to? The extracted files are run
 * (wasm_run "${script_dir}/...") and read as the program's data, so a
 * directory another user can write to (a squatted /tmp/perch-bundles-UID, a
 * chmod 777 cache) must never be trusted. */
static bool
root_is_private(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && os_fs_stat_is_private(&st);
}

/*
 * Does 'dir' hold every entry with the right size, as plain files of ours
 * (no symlinks) in a directory of ours?
 */
static bool
dir_matches(const struct bundle *b, const char *dir)
{
    struct stat dst;
    if (lstat(dir, &dst) != 0 || !S_ISDIR(dst.st_mode) || !os_fs_stat_is_private(&dst))
        return false;
    for (size_t i = 0; i < b->entry_count; i++) {
        char *p = os_path_join(dir, b->entries[i].path);
        struct stat st;
        bool ok = lstat(p, &st) == 0 && S_ISREG(st.st_mode) && os_fs_stat_is_private(&st)
                  && (uint64_t)st.st_size == (uint64_t)b->entries[i].len;
        free(p);
        if (!ok)
            return false;
    }
    return true;
}

static bool
write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool
write_entries(const struct bundle *b, const char *dir, struct err *err)
{
    for (size_t i = 0; i < b->entry_count; i++) {
        const struct bundle_entry *e = &b->entries[i];
        char *p = os_path_join(dir, e->path);
        char *parent = os_path_dir(p);
        bool ok = os_fs_mkdir_p(parent, 0755, err);
        free(parent);
        if (ok) {
            unsigned mode = (e->flags & BUNDLE_ENTRY_EXEC) ? 0755 : 0644;
            int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
            if (fd < 0) {
                ok = err_errno(err, errno, "cannot create '%s'", p);
            } else {
                if (!write_all(fd, e->data, e->len))
                    ok = err_errno(err, errno, "cannot write '%s'", p);
                if (close(fd) != 0 && ok)
                    ok = err_errno(err, errno, "cannot write '%s'", p);
            }
        }
        free(p);
        if (!ok)
            return false;
    }
    return true;
}

bool
bundle_extract(struct bundle *b, const char *root, struct err *err)
{
    char *dir = os_path_join(root, b->hash);
    if (!os_fs_mkdir_p(root, 0700, err)) {
        err_prefix(err, "cannot extract the embedded files");
        free(dir);
        return false;
    }
    if (!root_is_private(root)) {
        err_set(err, ERR_BUNDLE,
                "cannot extract the embedded files to '%s': it is not owned by this user or "
                "is writable by others",
                root);
        free(dir);
        return false;
    }
    if (dir_matches(b, dir)) {
        b->dir = dir;
        return true;
    }
    char *prefix = xasprintf("%.16s.tmp.", b->hash);
    char *tmp = os_fs_mkdtemp(root, prefix, err);
    free(prefix);
    if (!tmp) {
        err_prefix(err, "cannot extract the embedded files");
        free(dir);
        return false;
    }
    chmod(tmp, 0755);
    if (!write_entries(b, tmp, err)) {
        err_prefix(err, "cannot extract the embedded files");
        os_fs_remove_tree(tmp, NULL);
        free(tmp);
        free(dir);
        return false;
    }
    if (rename(tmp, dir) != 0) {
        int e = errno;
        if ((e == EEXIST || e == ENOTEMPTY) && !dir_matches(b, dir)) {
            /* A damaged earlier extraction: move it aside and take its place. */
            char *old = xasprintf("%s.stale.%ld", dir, (long)getpid());
            if (rename(dir, old) == 0)
                os_fs_remove_tree(old, NULL);
            free(old);
            if (rename(tmp, dir) == 0) {
                free(tmp);
                b->dir = dir;
                return true;
            }
            e = errno;
        }
        os_fs_remove_tree(tmp, NULL);
        free(tmp);
        if (!(e == EEXIST || e == ENOTEMPTY) || !dir_matches(b, dir)) {
            err_errno(err, e, "cannot extract the embedded files to '%s'", dir);
            free(dir);
            return false;
        }
        /* Another process extracted the same bundle first: use its directory. */
        b->dir = dir;
        return true;
    }
    free(tmp);
    b->dir = dir;
    return true;
}

/* ---- loading the program -------------------------------------------------- */

static char *
read_from_bundle(void *user, const char *path, size_t *out_len, struct err *err)
{
    const struct bundle *b = user;
    size_t n = strlen(b->dir);
    const char *rel = NULL;
    if (strncmp(path, b->dir, n) == 0 && path[n] == '/')
        rel = path + n + 1;
    const struct bundle_entry *e = rel ? bundle_find(b, rel) : NULL;
    if (!e) {
        err_set(err, ERR_NOT_FOUND, "cannot open '%s': not in the bundle", path);
        return NULL;
    }
    char *text = xmalloc(e->len + 1);
    if (e->len)
        memcpy(text, e->data, e->len);
    text[e->len] = '\0';
    *out_len = e->len;
    return text;
}

struct lang_program *
bundle_load_program(const struct bundle *b, struct lang_diags *diags)
{
    const struct bundle_entry *m = &b->entries[b->main_index];
    char *name = os_path_join(b->dir, m->path);
    struct lang_load_opts lo = { 0 };
    lo.read = read_from_bundle;
    lo.read_user = (void *)b;
    struct lang_program *prog =
        lang_load_string_opts(name, (const char *)m->data, m->len, &lo, diags);
    free(name);
    return prog;
}
