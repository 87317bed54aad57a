/*
 * src/ops/ops_int.h: private to src/ops: the op functions the registry
 * table points at, and helpers the op families share.
 *
 * Conventions every op follows:
 * - arguments are already interpolated; the registry has checked their count;
 * - a path argument is resolved against ctx->cwd and checked with op_check
 *   (OP_CHECK_READ / OP_CHECK_WRITE on the absolute path) before use;
 * - a list value is its items joined by '\n' with no trailing newline;
 * - messages start with the op name: `read_file: cannot open '/x': ...`.
 */
#ifndef PERCH_OPS_OPS_INT_H
#define PERCH_OPS_OPS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/ops.h"

/* Largest file read_file, sha256 and friends load into memory. */
#define OPS_MAX_FILE_BYTES ((size_t)256 << 20)
/* Largest captured output or HTTP body. */
#define OPS_MAX_CAPTURE_BYTES ((size_t)256 << 20)

/* One declaration per op: ops_do_<name>. */
#define OPS_DECLARE(name) \
 bool ops_do_##name(struct op_call *call, struct sbuf *out, struct err *err);
/* fs */
OPS_DECLARE(glob)
OPS_DECLARE(write_file)
OPS_DECLARE(append_file)
OPS_DECLARE(read_file)
OPS_DECLARE(rm)
OPS_DECLARE(cp)
OPS_DECLARE(mv)
OPS_DECLARE(mkdir)
OPS_DECLARE(exists)
OPS_DECLARE(is_dir)
OPS_DECLARE(file_size)
OPS_DECLARE(list_dir)
OPS_DECLARE(mktemp_dir)
OPS_DECLARE(mktemp_file)
OPS_DECLARE(chmod)
OPS_DECLARE(touch)
/* path */
OPS_DECLARE(path_join)
OPS_DECLARE(path_base)
OPS_DECLARE(path_dir)
OPS_DECLARE(path_ext)
OPS_DECLARE(path_stem)
OPS_DECLARE(path_abs)
OPS_DECLARE(path_rel)
/* text */
OPS_DECLARE(trim)
OPS_DECLARE(lower)
OPS_DECLARE(upper)
OPS_DECLARE(replace)
OPS_DECLARE(split)
OPS_DECLARE(join)
OPS_DECLARE(contains)
OPS_DECLARE(lines)
OPS_DECLARE(format)
OPS_DECLARE(regex_match)
OPS_DECLARE(regex_replace)
/* hash */
OPS_DECLARE(sha256)
OPS_DECLARE(sha256_file)
/* json */
OPS_DECLARE(json_get)
OPS_DECLARE(json_parse)
OPS_DECLARE(json_stringify)
/* env */
OPS_DECLARE(get_env)
OPS_DECLARE(set_env)
OPS_DECLARE(list_commands)
/* process */
OPS_DECLARE(shell)
OPS_DECLARE(shell_output)
OPS_DECLARE(try_shell)
OPS_DECLARE(exec)
OPS_DECLARE(print)
/* time */
OPS_DECLARE(now)
OPS_DECLARE(sleep)
/* assertions */
OPS_DECLARE(assert_eq)
OPS_DECLARE(assert_neq)
OPS_DECLARE(assert_contains)
OPS_DECLARE(assert_not_contains)
OPS_DECLARE(assert_exists)
OPS_DECLARE(assert_not_exists)
OPS_DECLARE(assert_match)
/* http */
OPS_DECLARE(http_get)
OPS_DECLARE(download)
#undef OPS_DECLARE

/* The op's name, for messages. */
static inline const char *
ops_name(const struct op_call *call)
{
    return call->def ? call->def->name : "op";
}

/* Resolve 'path' against the cwd and check it for reading / writing.
 * Returns the absolute path (caller frees) or NULL with 'err' set. */
char *ops_path_for_read(struct op_call *call, const char *path, struct err *err);
char *ops_path_for_write(struct op_call *call, const char *path, struct err *err);

/* Values. */
void ops_ret_bool(struct sbuf *out, bool value);
void ops_ret_int(struct sbuf *out, int64_t value);
/* Append one list item (adds the '\n' separator when needed). */
void ops_list_add(struct sbuf *out, const char *item);

/* Append 's' quoted for a message: "like this", with newlines and tabs
 * escaped and anything beyond 'max' bytes cut with "…". */
void ops_quote(struct sbuf *out, const char *s, size_t max);

/* Fail with ERR_TIMEOUT when the run must stop (deadline or interrupt). */
bool ops_check_stop(struct op_call *call, struct err *err);

#endif
