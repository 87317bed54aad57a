/*
 * block_wasm.c: the `wasm_run` block (REFERENCE.md §3).
 *
 *     [out =] wasm_run "path/to/mod.wasm" | BUNDLE_ALIAS
 *         wasm_arg "VALUE"                 argv, in order
 *         wasm_env "K1,K2"                 only these names are visible
 *         wasm_mount_read "HOST" [at "/g"] read-only at /ro/<basename>
 *         wasm_mount_write "HOST" [at "/g"] read-write at /rw/<basename>
 *         wasm_clock                       the real clock instead of virtual time
 *         wasm_random                      real entropy instead of a seeded PRNG
 *         wasm_allow_host "HOST"           link perch.http_get, for these hosts only
 *     end
 *
 * The body is read here, never run: each declaration's words are
 * interpolated with exec_word and collected into an ops_wasm_request, and
 * src/ops/ops_wasm.c does the run. Deny by default: without declarations
 * the module sees no env, no files, and only its own name in argv.
 */
#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"
#include "base/xalloc.h"
#include "exec/blocks.h"
#include "exec/exec_int.h"
#include "ops/ops_wasm.h"
#include "os/fs.h"
#include "os/path.h"

/* Owned strings collected from the body. */
struct decls {
    char **args;
    size_t arg_count;
    char **env; /* "K=V" */
    size_t env_count;
    struct ops_wasm_mount *mounts;
    struct src_loc *mount_locs; /* one per mount: its declaration */
    char **mount_strings; /* host and guest strings the mounts point at */
    size_t mount_count, mount_string_count;
    char **hosts; /* wasm_allow_host */
    size_t host_count;
    bool real_clock, real_random;
};

static void
decls_release(struct decls *d)
{
    for (size_t i = 0; i < d->arg_count; i++)
        free(d->args[i]);
    for (size_t i = 0; i < d->env_count; i++)
        free(d->env[i]);
    for (size_t i = 0; i < d->mount_string_count; i++)
        free(d->mount_strings[i]);
    free(d->args);
    free(d->env);
    free(d->mounts);
    free(d->mount_locs);
    for (size_t i = 0; i < d->host_count; i++)
        free(d->hosts[i]);
    free(d->hosts);
    free(d->mount_strings);
}

static void
push_str(char ***list, size_t *count, char *s)
{
    *list = xrealloc(*list, (*count + 1) * sizeof(**list));
    (*list)[(*count)++] = s;
}

static bool
need_args(const struct lang_stmt *s, size_t min, size_t max, const char *usage, struct err *err)
{
    if (s->arg_count < min || s->arg_count > max)
        return err_set(err, ERR_USAGE, "%s: expected %s", s->name, usage);
    return true;
}

/* A perch name or an environment variable name: letters, digits, '_' and
 * '-' (perch names such as `dry-run`), starting with a letter or '_'. */
static bool
is_var_name(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return false;
    return true;
}

/* wasm_env "K1,K2": look each name up in the scope, then the environment. */
static bool
add_env(struct exec_state *st, struct decls *d, const char *names, struct err *err)
{
    const char *p = names;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *end = e;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end > p) {
            char *name = xstrndup(p, (size_t)(end - p));
            if (!is_var_name(name)) {
                err_set(err, ERR_USAGE,
                        "wasm_env: '%s' is not a variable name (list the names to pass: "
                        "wasm_env \"K1,K2\"; patterns and values are not accepted)",
                        name);
                free(name);
                return false;
            }
            if (!exec_check_required(st, OP_CHECK_ENV, name, err)) {
                free(name);
                return false;
            }
            const char *value = exec_lookup(st, name);
            if (!value)
                value = exec_getenv(st, name);
            if (value)
                push_str(&d->env, &d->env_count, xasprintf("%s=%s", name, value));
            free(name);
        }
        p = e;
    }
    return true;
}

/* A host name or IP address as a URL names it: letters, digits, '.', '-',
 * '_' and ':' (IPv6), at most 253 characters. No scheme, port, path or pattern. */
static bool
is_host_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' && *s != '_' && *s != ':')
            return false;
    return true;
}

/* wasm_allow_host "H1,H2": each host must also be allowed by `requires`. */
static bool
add_hosts(struct exec_state *st, struct decls *d, const char *list, struct err *err)
{
    const char *p = list;
    bool any = false;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *end = e;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end > p) {
            char *host = xstrndup(p, (size_t)(end - p));
            size_t n = strlen(host);
            if (n > 2 && host[0] == '[' && host[n - 1] == ']') { /* [::1] -> ::1 */
                memmove(host, host + 1, n - 2);
                host[n - 2] = '\0';
            }
            if (!is_host_name(host)) {
                err_set(err, ERR_USAGE,
                        "wasm_allow_host: '%s' is not a host name (write the host alone, "
                        "without scheme, port or path: wasm_allow_host \"api.example.com\")",
                        host);
                free(host);
                return false;
            }
            if (!exec_check_required(st, OP_CHECK_HOST, host, err)) {
                free(host);
                return false;
            }
            push_str(&d->hosts, &d->host_count, host);
            any = true;
        }
        p = e;
    }
    if (!any)
        return err_set(err, ERR_USAGE, "wasm_allow_host: no host given");
    return true;
}

static bool
add_mount(struct exec_state *st, struct decls *d, const struct lang_stmt *s, bool is_writable,
          struct err *err)
{
    if (!need_args(s, 1, 3, "a host path, optionally followed by at \"/guest/path\"", err))
        return false;
    if (is_writable && !exec_caps_check(st, OP_CAP_WRITE, "wasm_mount_write", err))
        return false;
    char *guest = NULL;
    if (s->arg_count > 1) {
        if (s->arg_count != 3 || strcmp(s->args[1].text, "at") != 0)
            return err_set(err, ERR_USAGE, "%s: expected \"HOST\" or \"HOST\" at \"/guest/path\"",
                           s->name);
        guest = exec_word(st, &s->args[2], err);
        if (!guest)
            return false;
        if (guest[0] != '/') {
            err_set(err, ERR_USAGE, "%s: the guest path after 'at' must be absolute, got '%s'",
                    s->name, guest);
            free(guest);
            return false;
        }
    }
    char *host = exec_word(st, &s->args[0], err);
    if (!host) {
        free(guest);
        return false;
    }
    if (!host[0]) {
        /* "" would resolve to the current directory: never what was meant. */
        err_set(err, ERR_USAGE, "%s: the host path is empty", s->name);
        free(host);
        free(guest);
        return false;
    }
    push_str(&d->mount_strings, &d->mount_string_count, host);
    if (guest)
        push_str(&d->mount_strings, &d->mount_string_count, guest);
    d->mounts = xrealloc(d->mounts, (d->mount_count + 1) * sizeof(*d->mounts));
    d->mount_locs = xrealloc(d->mount_locs, (d->mount_count + 1) * sizeof(*d->mount_locs));
    d->mount_locs[d->mount_count] = s->loc;
    d->mounts[d->mount_count++] = (struct ops_wasm_mount){ host, guest, is_writable };
    return true;
}

static bool
read_decl(struct exec_state *st, const struct lang_stmt *s, struct decls *d, struct err *err)
{
    const char *name = s->kind == LANG_STMT_CALL ? s->name : NULL;
    if (name && strcmp(name, "wasm_arg") == 0) {
        if (!need_args(s, 1, 1, "one value", err))
            return false;
        char *v = exec_word(st, &s->args[0], err);
        if (!v)
            return false;
        push_str(&d->args, &d->arg_count, v);
    } else if (name && strcmp(name, "wasm_env") == 0) {
        if (!need_args(s, 1, 1, "a comma-separated list of names", err))
            return false;
        char *v = exec_word(st, &s->args[0], err);
        if (!v)
            return false;
        bool ok = add_env(st, d, v, err);
        free(v);
        if (!ok)
            return false;
    } else if (name && strcmp(name, "wasm_mount_read") == 0) {
        if (!add_mount(st, d, s, false, err))
            return false;
    } else if (name && strcmp(name, "wasm_mount_write") == 0) {
        if (!add_mount(st, d, s, true, err))
            return false;
    } else if (name && strcmp(name, "wasm_clock") == 0) {
        d->real_clock = true;
    } else if (name && strcmp(name, "wasm_random") == 0) {
        d->real_random = true;
    } else if (name && strcmp(name, "wasm_allow_host") == 0) {
        if (!need_args(s, 1, 1, "a host name, or a comma-separated list of them", err))
            return false;
        if (!exec_caps_check(st, OP_CAP_NETWORK, "wasm_allow_host", err))
            return false;
        char *v = exec_word(st, &s->args[0], err);
        if (!v)
            return false;
        bool ok = add_hosts(st, d, v, err);
        free(v);
        if (!ok)
            return false;
    } else {
        err_set(err, ERR_USAGE,
                "wasm_run: unexpected '%s' in the body (expected wasm_arg, wasm_env, "
                "wasm_mount_read, wasm_mount_write, wasm_clock, wasm_random or "
                "wasm_allow_host)",
                s->name ? s->name : "statement");
        return false;
    }
    return true;
}

/* Every declaration's error points at the declaration, not at wasm_run. */
static bool
read_decls(struct exec_state *st, const struct lang_body *body, struct decls *d, struct err *err)
{
    for (size_t i = 0; i < body->count; i++) {
        const struct lang_stmt *s = &body->stmts[i];
        if (!read_decl(st, s, d, err)) {
            if (err && !err->loc.line)
                err->loc = s->loc;
            return false;
        }
    }
    return true;
}

/* A `bundle` alias names an included module; its path is relative to the script. */
static char *
bundle_alias_path(struct exec_state *st, const char *word)
{
    const struct lang_program *prog = exec_program(st);
    if (!prog || strchr(word, '/'))
        return NULL;
    for (size_t i = 0; i < prog->bundle_count; i++) {
        const struct lang_bundle_item *item = &prog->bundle[i];
        if (item->alias && strcmp(item->alias, word) == 0) {
            if (item->path[0] == '/')
                return xstrdup(item->path);
            return xasprintf("%s/%s", exec_script_dir(st), item->path);
        }
    }
    return NULL;
}

/* What --audit records for a run (attached to the block's span): the
 * module's sha256, argv, the names (never the values) of the variables it
 * sees, its mounts and its exit code. Only computed when the run is
 * observed. */
static void
span_details(struct exec_state *st, const struct ops_wasm_request *req, const char *module,
             bool ran, int exit_code)
{
    if (!st->app->observer)
        return;
    struct sbuf bytes = SBUF_INIT;
    struct err ignored = { 0 };
    char *path = NULL;
    const void *data = req->module_bytes;
    size_t len = req->module_len;
    if (!data) {
        path = os_path_abs(exec_cwd(st), req->module_path);
        if (os_fs_read_file(path, 0, &bytes, &ignored)) {
            data = bytes.buf ? bytes.buf : "";
            len = bytes.len;
        }
    }
    if (data) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL)) {
            char hex[2 * EVP_MAX_MD_SIZE + 1];
            for (unsigned i = 0; i < n; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
            exec_span_attr(st, "sha256", hex);
        }
    }
    free(path);
    sbuf_release(&bytes);
    json_t *argv = json_array();
    char *base = os_path_base(req->module_path ? req->module_path : module);
    json_array_append_new(argv, json_string(base));
    free(base);
    for (size_t i = 0; i < req->arg_count; i++)
        json_array_append_new(argv, json_string(req->args[i]));
    json_t *env = json_array();
    for (size_t i = 0; i < req->env_count; i++) {
        const char *eq = strchr(req->env[i], '=');
        json_array_append_new(env, json_stringn(req->env[i], eq ? (size_t)(eq - req->env[i])
                                                                : strlen(req->env[i])));
    }
    json_t *mounts = json_array();
    for (size_t i = 0; i < req->mount_count; i++) {
        const struct ops_wasm_mount *m = &req->mounts[i];
        json_t *o = json_pack("{s:s,s:b}", "host", m->host_path, "writable", m->is_writable);
        if (m->guest_path)
            json_object_set_new(o, "guest", json_string(m->guest_path));
        json_array_append_new(mounts, o);
    }
    const char *keys[] = { "argv", "env", "mounts" };
    json_t *vals[] = { argv, env, mounts };
    for (size_t i = 0; i < 3; i++) {
        char *text = json_dumps(vals[i], JSON_COMPACT);
        if (text)
            exec_span_attr_json(st, keys[i], text);
        free(text);
        json_decref(vals[i]);
    }
    if (ran) {
        char code[16];
        snprintf(code, sizeof(code), "%d", exit_code);
        exec_span_attr_json(st, "exit_code", code);
    }
}

bool
block_wasm_run(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
               struct err *err)
{
    if (stmt->arg_count != 1)
        return err_set(err, ERR_USAGE,
                       "wasm_run: expected one module path (wasm_run \"path/to/mod.wasm\")");
    char *module = exec_word(st, &stmt->args[0], err);
    if (!module)
        return false;
    struct decls d = { 0 };
    bool ok = false;
    char *alias_path = bundle_alias_path(st, module);
    if (!read_decls(st, &stmt->body, &d, err))
        goto done;
    struct ops_wasm_request req = { 0 };
    req.module_path = alias_path ? alias_path : module;
    /* In a built binary an aliased module runs from the embedded bytes. */
    if (alias_path && st->app->bundle_file)
        (void)st->app->bundle_file(st->app->bundle_user, alias_path, &req.module_bytes,
                                   &req.module_len);
    req.shown_as = module; /* messages name the alias or path as written */
    req.args = (const char *const *)d.args;
    req.arg_count = d.arg_count;
    req.env = (const char *const *)d.env;
    req.env_count = d.env_count;
    req.mounts = d.mounts;
    req.mount_count = d.mount_count;
    req.mount_locs = d.mount_locs;
    req.allow_hosts = (const char *const *)d.hosts;
    req.allow_host_count = d.host_count;
    req.real_clock = d.real_clock;
    req.real_random = d.real_random;
    struct op_ctx ctx;
    exec_op_ctx(st, &ctx);
    bool is_capture = stmt->target && out;
    struct err run_err = { 0 };
    int exit_code = -1;
    ok = ops_wasm_run(&ctx, &req, is_capture ? out : NULL, &exit_code, &run_err);
    span_details(st, &req, module, exit_code >= 0, exit_code);
    if (is_capture)
        sbuf_rtrim(out, "\n");
    if (!ok && err && !err_is_set(err))
        *err = run_err;
done:
    decls_release(&d);
    free(alias_path);
    free(module);
    return ok;
}
