/*
 * ops_fs.c: file and directory ops (glob, read/write, rm, cp, mv, mkdir,
 * predicates, temporaries, chmod, touch).
 *
 * Every path is resolved against the scope's cwd and checked with op_check
 * before use; the work itself is done by os/fs.c, whose messages already
 * name the path ("cannot open '/x/y': No such file or directory").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "base/glob.h"
#include "base/xalloc.h"
#include "ops/ops_int.h"
#include "os/fs.h"
#include "os/path.h"
#include "os/sysinfo.h"

/* The directory a glob pattern starts listing from: its elements before the
 * first wildcard or brace, made absolute (what the READ check is asked
 * about). */
static char *
glob_root(struct op_call *call, const char *pattern)
{
    char *copy = xstrdup(pattern);
    char *cut = NULL;
    for (char *p = copy; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '*' || *p == '?' || *p == '[' || *p == '{') {
            cut = p;
            break;
        }
    }
    if (cut) {
        while (cut > copy && cut[-1] != '/')
            cut--;
        *cut = '\0';
    }
    char *abs = op_path_resolve(call->ctx, copy[0] ? copy : ".");
    free(copy);
    return abs;
}

bool
ops_do_glob(struct op_call *call, struct sbuf *out, struct err *err)
{
    const char *pattern = call->argv[0];
    if (!pattern[0])
        return err_set(err, ERR_USAGE, "glob: empty pattern");
    char *root = glob_root(call, pattern);
    bool allowed = op_check(call->ctx, OP_CHECK_READ, root, err);
    free(root);
    if (!allowed)
        return false;
    struct glob_paths paths = { 0 };
    const char *cwd = call->ctx->cwd && call->ctx->cwd[0] ? call->ctx->cwd : "/";
    if (!glob_expand(cwd, pattern, 0, &paths, err)) {
        glob_paths_release(&paths);
        return false;
    }
    for (size_t i = 0; i < paths.count; i++)
        ops_list_add(out, paths.items[i]);
    glob_paths_release(&paths);
    return true;
}

bool
ops_do_write_file(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    char *path = ops_path_for_write(call, call->argv[0], err);
    if (!path)
        return false;
    const char *content = call->argv[1];
    bool ok = os_fs_write_atomic(path, content, strlen(content), err);
    free(path);
    if (!ok)
        err_prefix(err, "write_file");
    return ok;
}

bool
ops_do_append_file(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    char *path = ops_path_for_write(call, call->argv[0], err);
    if (!path)
        return false;
    const char *content = call->argv[1];
    bool ok = os_fs_append(path, content, strlen(content), err);
    free(path);
    if (!ok)
        err_prefix(err, "append_file");
    return ok;
}

bool
ops_do_read_file(struct op_call *call, struct sbuf *out, struct err *err)
{
    char *path = ops_path_for_read(call, call->argv[0], err);
    if (!path)
        return false;
    size_t start = out->len;
    bool ok = os_fs_read_file(path, OPS_MAX_FILE_BYTES, out, err);
    if (!ok)
        err_prefix(err, "read_file");
    else if (memchr(out->buf + start, '\0', out->len - start))
        /* Values are text: a NUL would silently cut the value short. */
        ok = err_set(err, ERR_IO, "read_file: '%s' is binary (it contains NUL bytes)", path);
    free(path);
    return ok;
}

bool
ops_do_rm(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    for (size_t i = 0; i < call->argc; i++) {
        /* Like rm(1): "." and ".." as the last element are refused. */
        char *base = os_path_base(call->argv[i]);
        bool is_dot = strcmp(base, ".") == 0 || strcmp(base, "..") == 0;
        free(base);
        if (is_dot && call->argv[i][0])
            return err_set(err, ERR_USAGE, "rm: refusing to remove '.' or '..' ('%s')",
                           call->argv[i]);
        char *path = ops_path_for_write(call, call->argv[i], err);
        if (!path)
            return false;
        if (strcmp(path, "/") == 0) {
            free(path);
            return err_set(err, ERR_USAGE, "rm: refusing to remove '/'");
        }
        bool ok = os_fs_remove_tree(path, err);
        free(path);
        if (!ok) {
            err_prefix(err, "rm");
            return false;
        }
    }
    return true;
}

/* Destination for cp/mv: DST itself, or DST/<base of SRC> when DST is an
 * existing directory (as cp(1) and mv(1) do). */
static char *
into_dir_target(const char *src_abs, const char *dst_abs)
{
    struct os_fs_info info;
    if (os_fs_stat(dst_abs, &info, NULL) && info.type == OS_FS_DIR) {
        char *base = os_path_base(src_abs);
        char *target = os_path_join(dst_abs, base);
        free(base);
        return target;
    }
    return xstrdup(dst_abs);
}

bool
ops_do_cp(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    char *src = ops_path_for_read(call, call->argv[0], err);
    if (!src)
        return false;
    char *dst_arg = op_path_resolve(call->ctx, call->argv[1]);
    char *dst = into_dir_target(src, dst_arg);
    free(dst_arg);
    bool ok = op_check(call->ctx, OP_CHECK_WRITE, dst, err) && os_fs_copy(src, dst, err);
    if (!ok && err && err->kind != ERR_WRITE_NOT_DECLARED)
        err_prefix(err, "cp");
    free(src);
    free(dst);
    return ok;
}

bool
ops_do_mv(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    char *src = ops_path_for_write(call, call->argv[0], err);
    if (!src)
        return false;
    char *dst_arg = op_path_resolve(call->ctx, call->argv[1]);
    char *dst = into_dir_target(src, dst_arg);
    free(dst_arg);
    bool ok = op_check(call->ctx, OP_CHECK_WRITE, dst, err) && os_fs_move(src, dst, err);
    if (!ok && err && err->kind != ERR_WRITE_NOT_DECLARED)
        err_prefix(err, "mv");
    free(src);
    free(dst);
    return ok;
}

bool
ops_do_mkdir(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    for (size_t i = 0; i < call->argc; i++) {
        char *path = ops_path_for_write(call, call->argv[i], err);
        if (!path)
            return false;
        bool ok = os_fs_mkdir_p(path, 0777, err);
        free(path);
        if (!ok) {
            err_prefix(err, "mkdir");
            return false;
        }
    }
    return true;
}

/* stat() of a checked path; false only on a real error. */
static bool
stat_arg(struct op_call *call, const char *arg, struct os_fs_info *info, char **out_path,
         struct err *err)
{
    char *path = ops_path_for_read(call, arg, err);
    if (!path)
        return false;
    if (!os_fs_stat(path, info, err)) {
        err_prefix(err, "%s", ops_name(call));
        free(path);
        return false;
    }
    if (out_path)
        *out_path = path;
    else
        free(path);
    return true;
}

bool
ops_do_exists(struct op_call *call, struct sbuf *out, struct err *err)
{
    struct os_fs_info info;
    if (!stat_arg(call, call->argv[0], &info, NULL, err))
        return false;
    ops_ret_bool(out, info.type != OS_FS_NONE);
    return true;
}

bool
ops_do_is_dir(struct op_call *call, struct sbuf *out, struct err *err)
{
    struct os_fs_info info;
    if (!stat_arg(call, call->argv[0], &info, NULL, err))
        return false;
    ops_ret_bool(out, info.type == OS_FS_DIR);
    return true;
}

bool
ops_do_file_size(struct op_call *call, struct sbuf *out, struct err *err)
{
    struct os_fs_info info;
    char *path = NULL;
    if (!stat_arg(call, call->argv[0], &info, &path, err))
        return false;
    bool ok = true;
    if (info.type == OS_FS_NONE)
        ok = err_set_code(err, ERR_NOT_FOUND, ENOENT, "file_size: '%s' does not exist", path);
    else if (info.type == OS_FS_DIR)
        ok = err_set_code(err, ERR_IO, EISDIR, "file_size: '%s' is a directory", path);
    else
        ops_ret_int(out, (int64_t)info.size);
    free(path);
    return ok;
}

bool
ops_do_list_dir(struct op_call *call, struct sbuf *out, struct err *err)
{
    char *path = ops_path_for_read(call, call->argc ? call->argv[0] : ".", err);
    if (!path)
        return false;
    struct os_strlist names = { 0 };
    bool ok = os_fs_list_dir(path, &names, err);
    if (ok) {
        for (size_t i = 0; i < names.count; i++)
            ops_list_add(out, names.items[i]);
    } else {
        err_prefix(err, "list_dir");
    }
    os_strlist_release(&names);
    free(path);
    return ok;
}

static bool
make_temp(struct op_call *call, bool is_dir, struct sbuf *out, struct err *err)
{
    char *dir = os_temp_dir(op_getenv(call->ctx, "TMPDIR"));
    const char *prefix = call->argc ? call->argv[0] : "perch-";
    char *path = NULL;
    if (op_check(call->ctx, OP_CHECK_WRITE, dir, err))
        path = is_dir ? os_fs_mkdtemp(dir, prefix, err) : os_fs_mkstemp(dir, prefix, err);
    free(dir);
    if (!path) {
        if (err && err->kind != ERR_WRITE_NOT_DECLARED)
            err_prefix(err, "%s", ops_name(call));
        return false;
    }
    sbuf_adds(out, path);
    free(path);
    return true;
}

bool
ops_do_mktemp_dir(struct op_call *call, struct sbuf *out, struct err *err)
{
    return make_temp(call, true, out, err);
}

bool
ops_do_mktemp_file(struct op_call *call, struct sbuf *out, struct err *err)
{
    return make_temp(call, false, out, err);
}

/*
 * Apply a chmod MODE to 'old': octal ("755", "0644") or symbolic clauses
 * separated by commas: [ugoa]*[+-=][rwxXst]* ("+x", "u+rw,go-w", "a=r").
 * Returns false for a malformed mode.
 */
static bool
parse_mode(const char *text, unsigned old, bool is_dir, unsigned *out_mode)
{
    if (text[0] >= '0' && text[0] <= '7') {
        char *end;
        unsigned long v = strtoul(text, &end, 8);
        if (*end || v > 07777)
            return false;
        *out_mode = (unsigned)v;
        return true;
    }
    unsigned mode = old & 07777;
    const char *p = text;
    for (;;) {
        unsigned who = 0;
        for (; *p == 'u' || *p == 'g' || *p == 'o' || *p == 'a'; p++)
            who |= *p == 'u' ? 04700u : *p == 'g' ? 02070u : *p == 'o' ? 01007u : 07777u;
        if (*p != '+' && *p != '-' && *p != '=')
            return false;
        if (!who)
            who = 07777u;
        while (*p == '+' || *p == '-' || *p == '=') {
            char op = *p++;
            unsigned perm = 0;
            for (; *p && *p != ',' && *p != '+' && *p != '-' && *p != '='; p++) {
                switch (*p) {
                case 'r':
                    perm |= 0444;
                    break;
                case 'w':
                    perm |= 0222;
                    break;
                case 'x':
                    perm |= 0111;
                    break;
                case 'X':
                    if (is_dir || (old & 0111))
                        perm |= 0111;
                    break;
                case 's':
                    perm |= 06000;
                    break;
                case 't':
                    perm |= 01000;
                    break;
                default:
                    return false;
                }
            }
            unsigned mask = who & perm;
            if (op == '+')
                mode |= mask;
            else if (op == '-')
                mode &= ~mask;
            else
                mode = (mode & ~who) | mask;
        }
        if (*p == '\0')
            break;
        if (*p != ',')
            return false;
        p++;
    }
    *out_mode = mode;
    return true;
}

bool
ops_do_chmod(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    char *path = ops_path_for_write(call, call->argv[1], err);
    if (!path)
        return false;
    bool ok = false;
    struct os_fs_info info;
    if (!os_fs_stat(path, &info, err)) {
        err_prefix(err, "chmod");
    } else if (info.type == OS_FS_NONE) {
        err_set_code(err, ERR_NOT_FOUND, ENOENT, "chmod: '%s' does not exist", path);
    } else {
        unsigned mode;
        if (!parse_mode(call->argv[0], info.mode, info.type == OS_FS_DIR, &mode))
            err_set(err, ERR_USAGE,
                    "chmod: invalid mode '%s' (use octal like 755 or symbolic like u+x,go-w)",
                    call->argv[0]);
        else if (chmod(path, (mode_t)mode) != 0)
            os_errno(err, errno, "chmod: cannot change mode of '%s'", path);
        else
            ok = true;
    }
    free(path);
    return ok;
}

bool
ops_do_touch(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    char *path = ops_path_for_write(call, call->argv[0], err);
    if (!path)
        return false;
    bool ok = os_fs_touch(path, err);
    if (!ok)
        err_prefix(err, "touch");
    free(path);
    return ok;
}
