/*
 * caps.c: what a run may do. The capability mask (`sandbox` blocks, the
 * CLI's --no-* flags, perch test defaults) and `requires` enforcement
 * (bin, env, host, read, write; pinned bin hashes).
 *
 * The mask only narrows: a block ORs flags in and restores the old mask
 * when it ends. Requirement paths are relative to the file that declares
 * them; a path is allowed when it is the declared one or below it.
 */
#include "exec/exec_int.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "base/xalloc.h"
#include "ops/ops.h"
#include "os/fs.h"
#include "os/path.h"
#include "os/spawn.h"

/* ---- capability mask ---------------------------------------------------- */

unsigned
exec_caps_denied(const struct exec_state *st)
{
    return st->deny_caps;
}

void
exec_caps_set_denied(struct exec_state *st, unsigned denied)
{
    st->deny_caps = denied;
}

static const struct {
    unsigned cap;
    const char *flag;
} cap_flags[] = {
    { OP_CAP_SHELL, "no_shell" },
    { OP_CAP_SUBPROCESS, "no_subprocess" },
    { OP_CAP_NETWORK, "no_network" },
    { OP_CAP_WRITE, "no_write" },
};

bool
exec_caps_parse(const char *flags, unsigned *out_caps, struct err *err)
{
    unsigned caps = 0;
    const char *p = flags;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        size_t len = (size_t)(e - p);
        bool found = false;
        for (size_t i = 0; i < sizeof(cap_flags) / sizeof(cap_flags[0]); i++) {
            if (strlen(cap_flags[i].flag) == len && !strncmp(p, cap_flags[i].flag, len)) {
                caps |= cap_flags[i].cap;
                found = true;
            }
        }
        if (!found)
            return err_set(err, ERR_USAGE,
                           "sandbox: unknown flag '%.*s' (known: no_shell, no_network, "
                           "no_subprocess, no_write)",
                           (int)len, p);
        p = e;
    }
    *out_caps = caps;
    return true;
}

bool
exec_caps_check(struct exec_state *st, unsigned caps, const char *what, struct err *err)
{
    unsigned denied = caps & st->deny_caps;
    if (!denied)
        return true;
    for (size_t i = 0; i < sizeof(cap_flags) / sizeof(cap_flags[0]); i++) {
        if (denied & cap_flags[i].cap)
            return err_set(err, ERR_SANDBOX_DENIED, "sandbox: '%s' needs %s (denied by %s)", what,
                           ops_cap_name(cap_flags[i].cap), cap_flags[i].flag);
    }
    return err_set(err, ERR_SANDBOX_DENIED, "sandbox: '%s' is denied", what);
}

/* ---- requires ---------------------------------------------------------- */

/* Is 'path' equal to 'dir' or inside it (both absolute and clean)? */
static bool
path_within(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return true;
    return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/*
 * 'path' (absolute, or relative to 'base') made absolute with every symlink
 * in the part of it that exists resolved, so a declared directory cannot be
 * left through a link inside it. The part that does not exist yet (a file
 * about to be written) is joined on lexically. Returns a new string.
 */
static char *
resolve_path(const char *base, const char *path)
{
    char *raw = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", base, path);
    char real[PATH_MAX];
    char *out = NULL;
    if (realpath(raw, real)) {
        out = xstrdup(real);
    } else {
        /* Walk back one component at a time to the longest existing prefix. */
        size_t cut = strlen(raw);
        while (!out && cut > 0) {
            size_t slash = cut - 1;
            while (slash > 0 && raw[slash] != '/')
                slash--;
            char save = raw[slash];
            raw[slash] = '\0';
            bool ok = realpath(slash ? raw : "/", real) != NULL;
            raw[slash] = save;
            if (ok)
                out = os_path_abs(real, raw + slash + 1);
            cut = slash;
        }
        if (!out)
            out = os_path_abs(base, path);
    }
    free(raw);
    return out;
}

/*
 * The absolute directory of 'file' (a path as the loader opened it, so
 * relative to the process's cwd), for paths that are relative to the file
 * that declares them in an imported file. Falls back to script_dir.
 * Returns a new string.
 */
char *
exec_declaring_dir(struct exec_state *st, const char *file)
{
    if (!file || !*file || file[0] == '<')
        return xstrdup(exec_script_dir(st));
    char pcwd[PATH_MAX];
    if (!getcwd(pcwd, sizeof(pcwd)))
        return xstrdup(exec_script_dir(st));
    char *abs = os_path_abs(pcwd, file);
    char *dir = os_path_dir(abs);
    free(abs);
    char real[PATH_MAX];
    if (realpath(dir, real)) {
        free(dir);
        return xstrdup(real);
    }
    return dir;
}

/* `bin "x" hash "sha256:..."`: the program that would run must have exactly
 * these bytes. Resolved the way the spawn will resolve it (PATH of the
 * state's environment, relative to its cwd). */
static bool
check_bin_hash(struct exec_state *st, const char *program, const char *want, struct err *err)
{
    struct err e = { 0 };
    char *path = os_spawn_find_program(program, exec_getenv(st, "PATH"), st->cwd, &e);
    if (!path)
        return err_set(err, ERR_REQUIREMENT_UNMET, "bin '%s': not found, cannot check its hash",
                       program);
    struct sbuf bytes = SBUF_INIT;
    bool ok = os_fs_read_file(path, (size_t)1 << 30, &bytes, &e);
    char hex[65] = "";
    if (ok) {
        unsigned char md[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)bytes.buf, bytes.len, md);
        for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    sbuf_release(&bytes);
    if (!ok) {
        free(path);
        return err_set(err, ERR_REQUIREMENT_UNMET, "bin '%s': cannot read it to check its hash",
                       program);
    }
    const char *expect = !strncmp(want, "sha256:", 7) ? want + 7 : want;
    if (strcasecmp(hex, expect) != 0) {
        err_set(err, ERR_REQUIREMENT_UNMET,
                "bin '%s' (%s) does not match its declared hash: expected sha256:%s, got sha256:%s",
                program, path, expect, hex);
        free(path);
        return false;
    }
    free(path);
    return true;
}

bool
exec_check_required(struct exec_state *st, enum op_check what, const char *subject,
                    struct err *err)
{
    const struct lang_program *prog = st->prog;
    if (!prog->has_requires)
        return true;
    enum lang_req_kind want;
    enum err_kind kind;
    const char *noun;
    switch (what) {
    case OP_CHECK_BIN:
        want = LANG_REQ_BIN, kind = ERR_BIN_NOT_DECLARED, noun = "bin";
        break;
    case OP_CHECK_ENV:
        want = LANG_REQ_ENV, kind = ERR_ENV_NOT_DECLARED, noun = "env";
        break;
    case OP_CHECK_HOST:
        want = LANG_REQ_HOST, kind = ERR_HOST_NOT_DECLARED, noun = "host";
        break;
    case OP_CHECK_READ:
        want = LANG_REQ_READ, kind = ERR_READ_NOT_DECLARED, noun = "read";
        break;
    case OP_CHECK_WRITE:
    default:
        want = LANG_REQ_WRITE, kind = ERR_WRITE_NOT_DECLARED, noun = "write";
        break;
    }
    char *via_link = NULL; /* the path a symlink leads to, when it differs */
    for (size_t i = 0; i < prog->require_count; i++) {
        const struct lang_require *r = &prog->requires[i];
        /* A declared write location may also be read. */
        if (r->kind != want && !(want == LANG_REQ_READ && r->kind == LANG_REQ_WRITE))
            continue;
        struct err werr = { 0 };
        st->in_requires++;
        char *decl = exec_word(st, &r->value, &werr);
        st->in_requires--;
        if (!decl) {
            /* A declaration that cannot be read must not quietly shrink
             * what is allowed: say which one. */
            free(via_link);
            if (err && !err_is_set(err)) {
                *err = werr;
                err_prefix(err, "requires %s \"%s\"",
                           r->kind == LANG_REQ_WRITE ? "write" : noun, r->value.text);
                err->loc = r->loc;
            }
            return false;
        }
        bool ok = false;
        if (want == LANG_REQ_READ || want == LANG_REQ_WRITE) {
            char *base = exec_declaring_dir(st, r->loc.file);
            char *abs = resolve_path(base, decl);
            free(base);
            char *subj = resolve_path(st->cwd, subject);
            if (!via_link) {
                char *lexical = os_path_abs(st->cwd, subject);
                if (strcmp(lexical, subj) != 0)
                    via_link = xstrdup(subj);
                free(lexical);
            }
            ok = path_within(subj, abs);
            free(abs);
            free(subj);
        } else if (want == LANG_REQ_BIN) {
            const char *base = strrchr(subject, '/');
            const char *dbase = strrchr(decl, '/');
            ok = !strcmp(decl, subject) || (base && !strcmp(dbase ? dbase + 1 : decl, base + 1)) ||
                 (dbase && !strcmp(dbase + 1, subject));
            if (ok && r->hash && !check_bin_hash(st, subject, r->hash, err)) {
                free(decl);
                return false;
            }
        } else {
            ok = !fnmatch(decl, subject, 0);
        }
        free(decl);
        if (ok) {
            free(via_link);
            return true;
        }
    }
    if (via_link) {
        err_set(err, kind, "%s '%s' leads through a symlink to '%s', which is not declared in "
                "requires", noun, subject, via_link);
        free(via_link);
        return false;
    }
    return err_set(err, kind, "%s '%s' is not declared in requires (add: %s \"%s\")", noun,
                   subject, noun, subject);
}

