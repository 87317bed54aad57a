/*
 * build.c: `perch --build`: collect the program's sources and included files,
 * and write the executable with them appended (format in bundle.h).
 */
#include <dirent.h>
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
#include "base/vec.h"
#include "base/xalloc.h"
#include "bundle/bundle.h"
#include "lang/lang.h"
#include "os/fs.h"
#include "os/path.h"

/* Directory names a walk never descends into. */
static const char *const skipped_dirs[] = { ".git", ".hg", ".svn", "node_modules", "build" };

/* One file to embed. */
struct item {
    char *rel;         /* path inside the bundle */
    char *src;         /* absolute path on disk; NULL when 'text' holds the bytes */
    const char *text;  /* a program source, borrowed from the program */
    size_t len;
    uint32_t flags;
};

struct collector {
    VEC(struct item) items;
    const char *cwd;      /* absolute */
    const char *root;     /* absolute directory of the .perch file */
    dev_t out_dev;        /* the output file, never embedded */
    ino_t out_ino;
    bool has_out;
    bool out_is_bundle;   /* it is an earlier build: skipped where a walk meets it */
    const char *out;      /* as given, for messages */
    uint64_t total;
};

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

/* 'abs' relative to the program's directory, or NULL when it lies outside. */
static char *
rel_to_root(const struct collector *c, const char *abs)
{
    size_t n = strlen(c->root);
    if (strcmp(c->root, "/") == 0)
        return abs[1] ? xstrdup(abs + 1) : NULL;
    if (strncmp(abs, c->root, n) != 0 || abs[n] != '/' || !abs[n + 1])
        return NULL;
    return xstrdup(abs + n + 1);
}

/* Is 'abs' the program's directory or under it? */
static bool
under_root(const struct collector *c, const char *abs)
{
    size_t n = strlen(c->root);
    if (strcmp(c->root, "/") == 0)
        return true;
    return strncmp(abs, c->root, n) == 0 && (abs[n] == '/' || abs[n] == '\0');
}

/* An include as the user named it, made absolute; when it only reaches the
 * program's directory through a symlink, its resolved path. New string. */
static char *
include_path(const struct collector *c, const char *base, const char *path)
{
    char *abs = os_path_abs(base, path);
    char real[PATH_MAX];
    if (!under_root(c, abs) && realpath(abs, real) && under_root(c, real)) {
        free(abs);
        abs = xstrdup(real);
    }
    return abs;
}

static bool
add_item(struct collector *c, char *rel, char *src, const char *text, size_t len, uint32_t flags)
{
    for (size_t i = 0; i < c->items.count; i++) {
        if (strcmp(c->items.items[i].rel, rel) == 0) { /* included twice */
            free(rel);
            free(src);
            return true;
        }
    }
    struct item it = { rel, src, text, len, flags };
    vec_push(&c->items, it);
    c->total += len;
    return true;
}

static bool
is_build_dir(const char *dir, const char *name)
{
    for (size_t i = 0; i < sizeof(skipped_dirs) / sizeof(skipped_dirs[0]); i++)
        if (strcmp(name, skipped_dirs[i]) == 0)
            return true;
    if (strncmp(name, "cmake-build-", 12) == 0)
        return true;
    char *cache = os_path_join(dir, "CMakeCache.txt");
    bool cmake = access(cache, F_OK) == 0;
    free(cache);
    return cmake;
}

/* Does 'path' end with a bundle footer (an earlier perch --build output)? */
static bool
is_bundle_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    bool yes = false;
    struct stat st;
    uint8_t foot[BUNDLE_FOOTER_SIZE];
    struct bundle_footer f;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)sizeof(foot)
        && pread(fd, foot, sizeof(foot), st.st_size - (off_t)sizeof(foot)) == (ssize_t)sizeof(foot))
        yes = bundle_footer_decode(foot, &f);
    close(fd);
    return yes;
}

static bool add_path(struct collector *c, const char *abs, bool top, const char *shown,
                     struct err *err);

static bool
add_dir(struct collector *c, const char *abs, const char *shown, struct err *err)
{
    struct os_strlist names = { 0 };
    if (!os_fs_list_dir(abs, &names, err))
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < names.count; i++) {
        char *child = os_path_join(abs, names.items[i]);
        ok = add_path(c, child, false, shown, err);
        free(child);
    }
    os_strlist_release(&names);
    return ok;
}

/* Add a file or (walked) directory. 'top': named by the user, so even a
 * skipped name is taken. 'shown': the include as written, for messages. */
static bool
add_path(struct collector *c, const char *abs, bool top, const char *shown, struct err *err)
{
    struct stat st;
    if (stat(abs, &st) != 0) {
        if (top)
            return err_set(err, ERR_NOT_FOUND, "--build: include '%s': no such file or directory",
                           shown);
        return true; /* a dangling symlink inside a tree */
    }
    if (c->has_out && st.st_dev == c->out_dev && st.st_ino == c->out_ino) {
        /* An earlier build lying in an included directory is left out; any
         * other file would be embedded and then overwritten by the output. */
        if (!top && c->out_is_bundle)
            return true;
        return err_set(err, ERR_USAGE,
                       "--build: the output '%s' is one of the files to embed ('%s', from "
                       "include '%s'); writing it would destroy that file: choose another -o",
                       c->out, abs, shown);
    }
    if (S_ISDIR(st.st_mode)) {
        char *base = os_path_base(abs);
        bool skip = !top && is_build_dir(abs, base);
        free(base);
        if (skip)
            return true;
        struct stat lst;
        if (!top && lstat(abs, &lst) == 0 && S_ISLNK(lst.st_mode))
            return true; /* no symlinked directories: no loops */
        return add_dir(c, abs, shown, err);
    }
    if (!S_ISREG(st.st_mode))
        return true;
    char *rel = rel_to_root(c, abs);
    if (!rel)
        return err_set(err, ERR_BUNDLE,
                       "--build: include '%s': '%s' is outside the program's directory '%s' "
                       "(bundled files keep their path relative to the .perch file)",
                       shown, abs, c->root);
    if (strlen(rel) > BUNDLE_MAX_PATH_LEN) {
        free(rel);
        return err_set(err, ERR_BUNDLE, "--build: path too long: '%s'", abs);
    }
    if ((uint64_t)st.st_size > BUNDLE_MAX_PAYLOAD || c->total + (uint64_t)st.st_size > BUNDLE_MAX_PAYLOAD) {
        free(rel);
        return err_set(err, ERR_BUNDLE, "--build: the bundle would exceed %llu bytes at '%s'",
                       (unsigned long long)BUNDLE_MAX_PAYLOAD, abs);
    }
    uint32_t flags = (st.st_mode & 0111) ? BUNDLE_ENTRY_EXEC : 0;
    return add_item(c, rel, xstrdup(abs), NULL, (size_t)st.st_size, flags);
}

static int
cmp_items(const void *a, const void *b)
{
    return strcmp(((const struct item *)a)->rel, ((const struct item *)b)->rel);
}

static bool
write_all(int fd, const void *data, size_t len, EVP_MD_CTX *md)
{
    const uint8_t *p = data;
    if (md && !EVP_DigestUpdate(md, data, len))
        return false;
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

/* Copy the first 'len' bytes of 'src' to 'fd'. */
static bool
copy_prefix(int fd, const char *src, uint64_t len, struct err *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return err_errno(err, errno, "--build: cannot open '%s'", src);
    uint8_t *buf = xmalloc(1 << 16);
    bool ok = true;
    while (ok && len > 0) {
        size_t want = len < (1u << 16) ? (size_t)len : (1u << 16);
        ssize_t n = read(in, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0 ? err_set(err, ERR_IO, "--build: '%s' is shorter than expected", src)
                        : err_errno(err, errno, "--build: cannot read '%s'", src);
            break;
        }
        if (!write_all(fd, buf, (size_t)n, NULL))
            ok = err_errno(err, errno, "--build: cannot write the output");
        len -= (uint64_t)n;
    }
    free(buf);
    close(in);
    return ok;
}

/* Write one entry's header and data, hashing them. */
static bool
write_entry(int fd, const struct item *it, EVP_MD_CTX *md, struct err *err)
{
    uint8_t h[16];
    size_t plen = strlen(it->rel);
    put_u32(h, (uint32_t)plen);
    put_u32(h + 4, it->flags);
    put_u64(h + 8, it->len);
    if (!write_all(fd, h, sizeof(h), md) || !write_all(fd, it->rel, plen, md))
        return err_errno(err, errno, "--build: cannot write the output");
    if (it->text)
        return write_all(fd, it->text, it->len, md)
               || err_errno(err, errno, "--build: cannot write the output");
    struct sbuf data = SBUF_INIT;
    if (!os_fs_read_file(it->src, (size_t)BUNDLE_MAX_PAYLOAD, &data, err)) {
        sbuf_release(&data);
        return false;
    }
    bool ok = true;
    if (data.len != it->len)
        ok = err_set(err, ERR_IO, "--build: '%s' changed while it was being bundled", it->src);
    else if (!write_all(fd, data.buf, data.len, md))
        ok = err_errno(err, errno, "--build: cannot write the output");
    sbuf_release(&data);
    return ok;
}

static bool
collect_program(struct collector *c, const struct lang_program *prog, struct err *err)
{
    for (size_t i = 0; i < prog->source_count; i++) {
        const struct lang_source *s = &prog->sources[i];
        char *abs = os_path_abs(c->cwd, s->path);
        char real[PATH_MAX];
        if (realpath(abs, real)) {
            free(abs);
            abs = xstrdup(real);
        }
        struct stat sst;
        if (c->has_out && stat(abs, &sst) == 0 && sst.st_dev == c->out_dev
            && sst.st_ino == c->out_ino) {
            err_set(err, ERR_USAGE,
                    "--build: the output '%s' is the program's source '%s'; writing it would "
                    "destroy that file: choose another -o",
                    c->out, s->path);
            free(abs);
            return false;
        }
        char *rel = rel_to_root(c, abs);
        if (!rel) {
            err_set(err, ERR_BUNDLE,
                    "--build: '%s' imports '%s', outside the program's directory '%s'; move it "
                    "under that directory to bundle it",
                    prog->path, s->path, c->root);
            free(abs);
            return false;
        }
        add_item(c, rel, NULL, s->text, s->len, 0);
        free(abs);
    }
    for (size_t i = 0; i < prog->bundle_count; i++) {
        const struct lang_bundle_item *b = &prog->bundle[i];
        char *base = os_path_abs(c->cwd, b->base_dir && *b->base_dir ? b->base_dir : ".");
        char *abs = include_path(c, base, b->path);
        free(base);
        bool ok = add_path(c, abs, true, b->path, err);
        free(abs);
        if (!ok) {
            /* The location is in the message: the program (which owns
             * loc.file) is freed before the caller sees the error. */
            if (b->loc.file && b->loc.line)
                err_prefix(err, "%s:%u", b->loc.file, (unsigned)b->loc.line);
            return false;
        }
    }
    return true;
}

bool
bundle_build(const struct bundle_build_opts *o, struct err *err)
{
    struct lang_diags diags;
    lang_diags_init(&diags);
    struct lang_program *prog = lang_load_file(o->file, &diags);
    if (!prog) {
        if (o->log)
            lang_diags_print(&diags, o->log);
        lang_diags_release(&diags);
        return err_set(err, ERR_PARSE, "--build: '%s' does not load", o->file);
    }
    lang_diags_release(&diags);

    bool ok = false;
    char cwd[PATH_MAX], real[PATH_MAX];
    char *root = NULL, *out = NULL, *tmp = NULL, *main_rel = NULL;
    int fd = -1;
    EVP_MD_CTX *md = NULL;
    struct collector c = { 0 };
    if (!getcwd(cwd, sizeof(cwd))) {
        err_errno(err, errno, "--build: cannot read the current directory");
        goto done;
    }
    c.cwd = cwd;
    root = os_path_abs(cwd, prog->dir && *prog->dir ? prog->dir : ".");
    if (realpath(root, real)) {
        free(root);
        root = xstrdup(real);
    }
    c.root = root;

    if (o->out_path && !*o->out_path) {
        err_set(err, ERR_USAGE, "--build: -o needs a file name (it is empty)");
        goto done;
    }
    if (o->out_path) {
        out = xstrdup(o->out_path);
    } else if (prog->name && *prog->name && !strchr(prog->name, '/')) {
        out = xstrdup(prog->name);
    } else {
        char *base = os_path_base(o->file);
        out = os_path_stem(base);
        free(base);
    }
    struct stat ost;
    if (stat(out, &ost) == 0) {
        if (S_ISDIR(ost.st_mode)) {
            err_set(err, ERR_USAGE, "--build: the output '%s' is a directory (use -o FILE)", out);
            goto done;
        }
        c.has_out = true;
        c.out_dev = ost.st_dev;
        c.out_ino = ost.st_ino;
        c.out_is_bundle = is_bundle_file(out);
    }
    c.out = out;

    size_t main_index = 0;
    if (!collect_program(&c, prog, err))
        goto done;
    main_rel = xstrdup(c.items.items[0].rel);
    for (size_t i = 0; i < o->include_count; i++) {
        char *abs = include_path(&c, cwd, o->includes[i]);
        bool added = add_path(&c, abs, true, o->includes[i], err);
        free(abs);
        if (!added)
            goto done;
    }
    if (c.items.count > BUNDLE_MAX_ENTRIES) {
        err_set(err, ERR_BUNDLE, "--build: too many files (%zu; at most %u)", c.items.count,
                BUNDLE_MAX_ENTRIES);
        goto done;
    }
    qsort(c.items.items, c.items.count, sizeof(struct item), cmp_items);
    for (size_t i = 0; i < c.items.count; i++)
        if (strcmp(c.items.items[i].rel, main_rel) == 0)
            main_index = i;

    uint64_t exe_len = 0;
    if (!bundle_exe_len(o->exe_path, &exe_len, err))
        goto done;

    /* Temporary file beside the output, renamed over it at the end. */
    char *dir = os_path_dir(out);
    char *base = os_path_base(out);
    char *prefix = xasprintf(".%s.build.", base);
    tmp = os_fs_mkstemp(dir, prefix, err);
    free(prefix);
    free(base);
    free(dir);
    if (!tmp) {
        err_prefix(err, "--build: cannot write the output '%s'", out);
        goto done;
    }
    fd = open(tmp, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        err_errno(err, errno, "--build: cannot open '%s'", tmp);
        goto done;
    }
    if (!copy_prefix(fd, o->exe_path, exe_len, err))
        goto done;
    md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        err_set(err, ERR_BUNDLE, "--build: cannot start SHA-256");
        goto done;
    }
    uint64_t payload_size = 0;
    for (size_t i = 0; i < c.items.count; i++) {
        if (!write_entry(fd, &c.items.items[i], md, err))
            goto done;
        payload_size += 16 + strlen(c.items.items[i].rel) + c.items.items[i].len;
    }
    struct bundle_footer f = { 0 };
    unsigned md_len = 0;
    if (!EVP_DigestFinal_ex(md, f.sha256, &md_len) || md_len != 32) {
        err_set(err, ERR_BUNDLE, "--build: cannot finish SHA-256");
        goto done;
    }
    f.version = BUNDLE_FORMAT_VERSION;
    f.entry_count = (uint32_t)c.items.count;
    f.payload_offset = exe_len;
    f.payload_size = payload_size;
    f.main_index = (uint32_t)main_index;
    uint8_t foot[BUNDLE_FOOTER_SIZE];
    bundle_footer_encode(&f, foot);
    if (!write_all(fd, foot, sizeof(foot), NULL)) {
        err_errno(err, errno, "--build: cannot write '%s'", tmp);
        goto done;
    }
    if (fchmod(fd, 0755) != 0 || fsync(fd) != 0) {
        err_errno(err, errno, "--build: cannot finish '%s'", tmp);
        goto done;
    }
    int cfd = fd;
    fd = -1;
    if (close(cfd) != 0) {
        err_errno(err, errno, "--build: cannot write '%s'", tmp);
        goto done;
    }
    if (rename(tmp, out) != 0) {
        err_errno(err, errno, "--build: cannot rename '%s' to '%s'", tmp, out);
        goto done;
    }
    free(tmp);
    tmp = NULL;
    if (o->log) {
        for (size_t i = 0; i < c.items.count; i++)
            fprintf(o->log, "  %10zu  %s\n", c.items.items[i].len, c.items.items[i].rel);
        char hex[65];
        static const char digits[] = "0123456789abcdef";
        for (int i = 0; i < 32; i++) {
            hex[2 * i] = digits[f.sha256[i] >> 4];
            hex[2 * i + 1] = digits[f.sha256[i] & 15];
        }
        hex[64] = '\0';
        fprintf(o->log,
                "perch: embedded %zu file%s (%llu bytes; payload %llu bytes, sha256 %.12s) "
                "from %s\nperch: wrote %s (%llu bytes)\n",
                c.items.count, c.items.count == 1 ? "" : "s", (unsigned long long)c.total,
                (unsigned long long)payload_size, hex, prog->path, out,
                (unsigned long long)(exe_len + payload_size + BUNDLE_FOOTER_SIZE));
    }
    ok = true;
done:
    if (md)
        EVP_MD_CTX_free(md);
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    for (size_t i = 0; i < c.items.count; i++) {
        free(c.items.items[i].rel);
        free(c.items.items[i].src);
    }
    vec_release(&c.items);
    free(main_rel);
    free(out);
    free(root);
    lang_program_free(prog);
    return ok;
}
