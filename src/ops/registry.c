/*
 * registry.c: the table of every op, and the helpers ops.h promises.
 *
 * The table is a sorted, constant array: ops_find() is a binary search and
 * the whole registry is safe to read from any thread. Keep the entries in
 * strcmp order; a debug check in ops_find verifies that on first use in
 * tests (see test_ops_registry.c).
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "ops/ops.h"
#include "ops/ops_int.h"
#include "os/clock.h"
#include "os/path.h"

#define W   OP_CAP_WRITE
#define NET OP_CAP_NETWORK
#define SUB OP_CAP_SUBPROCESS
#define SH  (OP_CAP_SHELL | OP_CAP_SUBPROCESS)

/* clang-format off */
#define OP(n, usage, ret, caps, min, max, pure, doc) \
    { #n, usage, OP_RET_##ret, caps, doc, min, max, pure, ops_do_##n }
/* clang-format on */

/* Sorted by name (strcmp order). */
static const struct op_def op_table[] = {
    OP(append_file, "PATH CONTENT", NONE, W, 2, 2, false,
       "append CONTENT to the file at PATH, creating it when missing"),
    OP(assert_contains, "TEXT PART [MESSAGE]", NONE, 0, 2, 3, false,
       "fail unless TEXT contains PART"),
    OP(assert_eq, "ACTUAL EXPECTED [MESSAGE]", NONE, 0, 2, 3, false,
       "fail unless ACTUAL equals EXPECTED"),
    OP(assert_exists, "PATH [MESSAGE]", NONE, 0, 1, 2, false,
       "fail unless a file or directory exists at PATH"),
    OP(assert_match, "TEXT REGEX [MESSAGE]", NONE, 0, 2, 3, false,
       "fail unless TEXT matches the extended regular expression REGEX"),
    OP(assert_neq, "ACTUAL UNEXPECTED [MESSAGE]", NONE, 0, 2, 3, false,
       "fail when ACTUAL equals UNEXPECTED"),
    OP(assert_not_contains, "TEXT PART [MESSAGE]", NONE, 0, 2, 3, false,
       "fail when TEXT contains PART"),
    OP(assert_not_exists, "PATH [MESSAGE]", NONE, 0, 1, 2, false,
       "fail when anything exists at PATH"),
    OP(chmod, "MODE PATH", NONE, W, 2, 2, false,
       "set permissions: octal (755) or symbolic (+x, u+rw,go-w)"),
    OP(contains, "TEXT PART", BOOL, 0, 2, 2, true, "true when TEXT contains PART"),
    OP(cp, "SRC DST", NONE, W, 2, 2, false,
       "copy a file or directory tree (into DST when DST is a directory)"),
    OP(download, "URL PATH", NONE, NET | W, 2, 2, false,
       "fetch URL over HTTP(S) into the file at PATH (atomically)"),
    OP(exec, "PROGRAM [ARG...]", STRING, SUB, 1, -1, false,
       "run PROGRAM with explicit arguments, no shell; fails on a non-zero exit"),
    OP(exists, "PATH", BOOL, 0, 1, 1, true, "true when a file or directory exists at PATH"),
    OP(file_size, "PATH", INT, 0, 1, 1, true, "size of the file at PATH in bytes"),
    OP(format, "TEMPLATE [ARG...]", STRING, 0, 1, -1, true,
       "fill {} (in order) and {N} (by index) placeholders; {{ and }} are literal braces"),
    OP(get_env, "NAME [DEFAULT]", STRING, 0, 1, 2, true,
       "value of environment variable NAME, else DEFAULT (or empty)"),
    OP(glob, "PATTERN", LIST, 0, 1, 1, true,
       "sorted paths matching PATTERN (*, ?, [...], **, {a,b}), in the pattern's form"),
    OP(http_get, "URL", STRING, NET, 1, 1, false, "body of an HTTP(S) GET of URL"),
    OP(is_dir, "PATH", BOOL, 0, 1, 1, true, "true when PATH is a directory"),
    OP(join, "LIST SEPARATOR", STRING, 0, 2, 2, true, "the lines of LIST joined with SEPARATOR"),
    OP(json_get, "JSON PATH", STRING, 0, 2, 2, true,
       "value at PATH (a.b[0].c) in JSON: strings raw, anything else as JSON"),
    OP(json_parse, "TEXT", STRING, 0, 1, 1, true, "check that TEXT is JSON and return it compact"),
    OP(json_stringify, "VALUE | KEY VALUE...", STRING, 0, 1, -1, true,
       "encode VALUE as a JSON string, or KEY VALUE pairs as a JSON object of strings"),
    OP(lines, "TEXT", LIST, 0, 1, 1, true, "split TEXT into a list of lines (CRLF accepted)"),
    OP(list_commands, "", LIST, 0, 0, 0, false, "names of the public commands"),
    OP(list_dir, "[PATH]", LIST, 0, 0, 1, true,
       "sorted names of the entries of directory PATH (default: the cwd)"),
    OP(lower, "TEXT", STRING, 0, 1, 1, true, "convert the ASCII letters of TEXT to lower case"),
    OP(mkdir, "PATH...", NONE, W, 1, -1, false, "create directories and their missing parents"),
    OP(mktemp_dir, "[PREFIX]", STRING, W, 0, 1, false,
       "create a fresh private temporary directory and return its path"),
    OP(mktemp_file, "[PREFIX]", STRING, W, 0, 1, false,
       "create a fresh empty temporary file and return its path"),
    OP(mv, "SRC DST", NONE, W, 2, 2, false,
       "move or rename a file or directory (into DST when DST is a directory)"),
    OP(now, "[FORMAT]", STRING, 0, 0, 1, true,
       "current UTC time: ISO 8601, \"unix\", \"unix_ms\" or a strftime FORMAT"),
    OP(path_abs, "PATH", STRING, 0, 1, 1, true, "make PATH absolute against the cwd"),
    OP(path_base, "PATH", STRING, 0, 1, 1, true, "last element of PATH"),
    OP(path_dir, "PATH", STRING, 0, 1, 1, true,
       "directory part of PATH (all but its last element)"),
    OP(path_ext, "PATH", STRING, 0, 1, 1, true, "extension of PATH with its dot, or empty"),
    OP(path_join, "PART...", STRING, 0, 1, -1, true,
       "join the PARTs with '/' and clean the result"),
    OP(path_rel, "PATH [BASE]", STRING, 0, 1, 2, true,
       "express PATH relative to BASE (default: the cwd)"),
    OP(path_stem, "PATH", STRING, 0, 1, 1, true, "last element of PATH without its extension"),
    OP(print, "[TEXT...]", NONE, 0, 0, -1, false, "print the TEXTs separated by spaces"),
    OP(read_file, "PATH", STRING, 0, 1, 1, true, "contents of the file at PATH"),
    OP(regex_match, "TEXT REGEX", BOOL, 0, 2, 2, true,
       "true when TEXT matches the extended regular expression REGEX"),
    OP(regex_replace, "TEXT REGEX REPLACEMENT", STRING, 0, 3, 3, true,
       "replace every match of REGEX in TEXT (\\0-\\9 insert groups)"),
    OP(replace, "TEXT OLD NEW", STRING, 0, 3, 3, true, "replace every OLD in TEXT with NEW"),
    OP(rm, "PATH...", NONE, W, 1, -1, false,
       "remove files and directory trees (symlinks are removed, not followed)"),
    OP(set_env, "NAME VALUE", NONE, 0, 2, 2, false,
       "set NAME for the rest of this scope and its subprocesses"),
    OP(sha256, "TEXT", STRING, 0, 1, 1, true, "hex SHA-256 digest of TEXT"),
    OP(sha256_file, "PATH", STRING, 0, 1, 1, true, "hex SHA-256 digest of the file at PATH"),
    OP(shell, "COMMAND", STRING, SH, 1, 1, false,
       "run COMMAND with /bin/sh -c, streaming its output (captured: its stdout); fails on a "
       "non-zero exit"),
    OP(shell_output, "COMMAND", STRING, SH, 1, 1, false,
       "run COMMAND with /bin/sh -c and return its stdout, trailing newlines trimmed"),
    OP(sleep, "DURATION", NONE, 0, 1, 1, false, "wait for DURATION (500ms, 2s, 1m ...)"),
    OP(split, "TEXT [SEPARATOR]", LIST, 0, 1, 2, true,
       "split TEXT at SEPARATOR (default: runs of whitespace) into a list"),
    OP(touch, "PATH", NONE, W, 1, 1, false, "create an empty file or update its times"),
    OP(trim, "TEXT [CHARS]", STRING, 0, 1, 2, true,
       "strip leading and trailing whitespace (or CHARS) from TEXT"),
    OP(try_shell, "COMMAND", INT, SH, 1, 1, false,
       "run COMMAND with /bin/sh -c and return its exit status; never fails on non-zero"),
    OP(upper, "TEXT", STRING, 0, 1, 1, true, "convert the ASCII letters of TEXT to upper case"),
    OP(write_file, "PATH CONTENT", NONE, W, 2, 2, false,
       "replace the file at PATH with CONTENT (atomically)"),
};

#define OP_COUNT (sizeof(op_table) / sizeof(op_table[0]))

const struct op_def *
ops_find(const char *name)
{
    size_t lo = 0, hi = OP_COUNT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, op_table[mid].name);
        if (c == 0)
            return &op_table[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const struct op_def *
ops_all(size_t *out_count)
{
    *out_count = OP_COUNT;
    return op_table;
}

const char *
ops_cap_name(unsigned caps)
{
    if (caps & OP_CAP_SHELL)
        return "shell";
    if (caps & OP_CAP_SUBPROCESS)
        return "subprocess";
    if (caps & OP_CAP_NETWORK)
        return "network";
    if (caps & OP_CAP_WRITE)
        return "write";
    return "none";
}

void
op_envp_free(char **envp)
{
    if (!envp)
        return;
    for (size_t i = 0; envp[i]; i++)
        free(envp[i]);
    free(envp);
}

char *
op_path_resolve(const struct op_ctx *ctx, const char *path)
{
    return os_path_abs(ctx->cwd && ctx->cwd[0] ? ctx->cwd : "/", path);
}

bool
op_should_stop(const struct op_ctx *ctx)
{
    if (ctx->interrupt && atomic_load(ctx->interrupt))
        return true;
    return ctx->deadline_ns > 0 && os_clock_mono_ns() >= ctx->deadline_ns;
}

bool
ops_call(const struct op_def *def, struct op_ctx *ctx, size_t argc, char *const *argv,
         bool is_captured, struct sbuf *out, struct err *err)
{
    if (argc < (size_t)def->min_args || (def->max_args >= 0 && argc > (size_t)def->max_args)) {
        const char *what = def->min_args == def->max_args ? "exactly"
                           : argc < (size_t)def->min_args ? "at least"
                                                          : "at most";
        int n = argc < (size_t)def->min_args ? def->min_args : def->max_args;
        return err_set(err, ERR_USAGE, "%s takes %s %d argument%s, got %zu (usage: %s%s%s)",
                       def->name, what, n, n == 1 ? "" : "s", argc, def->name,
                       def->usage[0] ? " " : "", def->usage);
    }
    struct op_call call = {
        .ctx = ctx, .def = def, .argc = argc, .argv = argv, .is_captured = is_captured
    };
    if (!ops_check_stop(&call, err))
        return false;
    return def->fn(&call, out, err);
}

/* Helpers shared by the families (ops_int.h). */

bool
ops_check_stop(struct op_call *call, struct err *err)
{
    if (!op_should_stop(call->ctx))
        return true;
    return err_set(err, ERR_TIMEOUT, "%s: stopped: the run timed out or was cancelled",
                   ops_name(call));
}

static char *
path_checked(struct op_call *call, const char *path, enum op_check what, struct err *err)
{
    if (!path[0]) {
        err_set(err, ERR_USAGE, "%s: empty path", ops_name(call));
        return NULL;
    }
    char *abs = op_path_resolve(call->ctx, path);
    if (!op_check(call->ctx, what, abs, err)) {
        free(abs);
        return NULL;
    }
    return abs;
}

char *
ops_path_for_read(struct op_call *call, const char *path, struct err *err)
{
    return path_checked(call, path, OP_CHECK_READ, err);
}

char *
ops_path_for_write(struct op_call *call, const char *path, struct err *err)
{
    return path_checked(call, path, OP_CHECK_WRITE, err);
}

void
ops_ret_bool(struct sbuf *out, bool value)
{
    sbuf_adds(out, value ? "true" : "false");
}

void
ops_ret_int(struct sbuf *out, int64_t value)
{
    sbuf_addf(out, "%lld", (long long)value);
}

void
ops_list_add(struct sbuf *out, const char *item)
{
    if (out->len)
        sbuf_addc(out, '\n');
    sbuf_adds(out, item);
}

void
ops_quote(struct sbuf *out, const char *s, size_t max)
{
    size_t len = strlen(s);
    size_t cut = len;
    if (len > max) {
        /* Cut before 'max', never inside a UTF-8 sequence. */
        cut = max;
        while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
            cut--;
    }
    sbuf_addc(out, '"');
    for (size_t i = 0; i < cut; i++) {
        char c = s[i];
        if (c == '\n')
            sbuf_adds(out, "\\n");
        else if (c == '\t')
            sbuf_adds(out, "\\t");
        else if (c == '\r')
            sbuf_adds(out, "\\r");
        else if (c == '"')
            sbuf_adds(out, "\\\"");
        else if (c == '\\')
            sbuf_adds(out, "\\\\");
        else
            sbuf_addc(out, c);
    }
    if (cut < len)
        sbuf_adds(out, "\xe2\x80\xa6");
    sbuf_addc(out, '"');
}
