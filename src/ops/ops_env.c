/* ops_env.c: environment ops (get_env, set_env) and list_commands. The
 * environment lives in the interpreter's scopes, reached through the ctx
 * callbacks; the C environment is never read or written here. */
#include <ctype.h>

#include "base/err.h"
#include "ops/ops_int.h"

static bool
is_env_name(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

bool
ops_do_get_env(struct op_call *call, struct sbuf *out, struct err *err)
{
    const char *name = call->argv[0];
    if (!is_env_name(name))
        return err_set(err, ERR_USAGE, "get_env: invalid variable name '%s'", name);
    if (!op_check(call->ctx, OP_CHECK_ENV, name, err))
        return false;
    const char *value = op_getenv(call->ctx, name);
    if (!value && call->argc > 1)
        value = call->argv[1];
    if (value)
        sbuf_adds(out, value);
    return true;
}

bool
ops_do_set_env(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    const char *name = call->argv[0];
    if (!is_env_name(name))
        return err_set(err, ERR_USAGE, "set_env: invalid variable name '%s'", name);
    if (!call->ctx->vt || !call->ctx->vt->setenv)
        return err_set(err, ERR_OP_FAILED, "set_env: no environment to set '%s' in", name);
    call->ctx->vt->setenv(call->ctx->self, name, call->argv[1]);
    return true;
}

bool
ops_do_list_commands(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    if (call->ctx->vt && call->ctx->vt->list_commands) {
        call->ctx->vt->list_commands(call->ctx->self, out);
        sbuf_rtrim(out, "\n");
    }
    return true;
}
