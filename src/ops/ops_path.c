/* ops_path.c: lexical path ops (path_join, path_base, path_dir, path_ext,
 * path_stem, path_abs, path_rel). They never touch the filesystem, so they
 * need no checks and are pure. */
#include <stdlib.h>

#include "base/xalloc.h"
#include "ops/ops_int.h"
#include "os/path.h"

/* Hand a new string from os/path.h to 'out'. */
static bool
ret_take(struct sbuf *out, char *s)
{
    sbuf_adds(out, s);
    free(s);
    return true;
}

bool
ops_do_path_join(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    char *acc = xstrdup(call->argv[0]);
    for (size_t i = 1; i < call->argc; i++) {
        char *next = os_path_join(acc, call->argv[i]);
        free(acc);
        acc = next;
    }
    if (call->argc == 1) {
        char *clean = os_path_clean(acc);
        free(acc);
        acc = clean;
    }
    return ret_take(out, acc);
}

bool
ops_do_path_base(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    return ret_take(out, os_path_base(call->argv[0]));
}

bool
ops_do_path_dir(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    return ret_take(out, os_path_dir(call->argv[0]));
}

bool
ops_do_path_ext(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    return ret_take(out, os_path_ext(call->argv[0]));
}

bool
ops_do_path_stem(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    return ret_take(out, os_path_stem(call->argv[0]));
}

bool
ops_do_path_abs(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    return ret_take(out, op_path_resolve(call->ctx, call->argv[0]));
}

bool
ops_do_path_rel(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    const char *cwd = call->ctx->cwd && call->ctx->cwd[0] ? call->ctx->cwd : "/";
    const char *base = call->argc > 1 ? call->argv[1] : cwd;
    return ret_take(out, os_path_rel(cwd, base, call->argv[0]));
}
