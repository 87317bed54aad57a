/*
 * block_cache.c: `cache "KEY" ["TTL"] ... end` (REFERENCE.md §4) and the
 * entry store it shares with `perch cache` (block_cache.h).
 *
 * A miss runs the body in a scope of its own whose parent is the enclosing
 * one; every assignment lands there, so afterwards that scope holds exactly
 * the bindings the body set, which then move to the enclosing scope (the
 * body behaves as if it ran there). What the body prints goes through a
 * recording sink in front of the current one, so both streams are kept in
 * order while still appearing live. Only a successful body is stored.
 *
 * A hit within the TTL skips the body: it prints the "↪ cache hit" line on
 * stderr, replays the output and binds the stored values.
 *
 * Entries are written to a unique temporary file and renamed over the
 * entry, without fsync: a torn entry after a crash does not parse and is a
 * miss, rewritten by the next run.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "exec/block_cache.h"
#include "exec/blocks.h"
#include "exec/exec.h"
#include "exec/exec_int.h"
#include "exec/value.h"
#include "os/clock.h"
#include "os/fs.h"
#include "os/path.h"
#include "os/sysinfo.h"

/* Keys longer than this are shortened with "…" in messages. */
#define CACHE_KEY_SHOWN 60

static char *
blocks_dir_for(const char *xdg)
{
    char *base;
    if (xdg && xdg[0] == '/') {
        base = xstrdup(xdg);
    } else {
        char *home = os_home_dir(getenv("HOME"));
        base = os_path_join(home ? home : "/", ".cache");
        free(home);
    }
    char *perch = os_path_join(base, "perch");
    char *dir = os_path_join(perch, "blocks");
    free(perch);
    free(base);
    return dir;
}

char *
exec_cache_blocks_dir(void)
{
    return blocks_dir_for(getenv("XDG_CACHE_HOME"));
}

/* For a block: an XDG_CACHE_HOME set in a with_env overlay (or visible
 * host variable) wins, so a script or test can keep its cache aside; one
 * hidden by --env still places the cache. */
static char *
state_blocks_dir(struct exec_state *st)
{
    const char *xdg = exec_getenv(st, "XDG_CACHE_HOME");
    return blocks_dir_for(xdg && xdg[0] == '/' ? xdg : getenv("XDG_CACHE_HOME"));
}

static void
sha256_hex(const char *text, char out[65])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(text, strlen(text), digest, &len, EVP_sha256(), NULL))
        len = 0;
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        unsigned char b = i < len ? digest[i] : 0;
        out[2 * i] = hex[b >> 4];
        out[2 * i + 1] = hex[b & 15];
    }
    out[64] = '\0';
}

static char *
entry_path(const char *dir, const char *key)
{
    char hex[65];
    sha256_hex(key, hex);
    char name[80];
    snprintf(name, sizeof(name), "%s.json", hex);
    return os_path_join(dir, name);
}

static int64_t
wall_seconds(void)
{
    return os_clock_wall_ns() / OS_NS_PER_SEC;
}

/* ---- reading ------------------------------------------------------------ */

/* Load and check an entry: a JSON object of our version for 'key' (any key
 * when NULL). NULL when missing or unusable. */
static json_t *
entry_load(const char *path, const char *key)
{
    struct sbuf text = SBUF_INIT;
    struct err ignored = { 0 };
    if (!os_fs_read_file(path, EXEC_CACHE_MAX_ENTRY, &text, &ignored)) {
        sbuf_release(&text);
        return NULL;
    }
    json_t *root = json_loadb(text.buf ? text.buf : "", text.len, 0, NULL);
    sbuf_release(&text);
    if (!json_is_object(root))
        goto bad;
    json_t *v = json_object_get(root, "v");
    json_t *k = json_object_get(root, "key");
    if (!json_is_integer(v) || json_integer_value(v) != EXEC_CACHE_VERSION ||
        !json_is_string(k) || (key && strcmp(json_string_value(k), key) != 0) ||
        !json_is_integer(json_object_get(root, "stored_at")) ||
        !json_is_object(json_object_get(root, "bindings")) ||
        !json_is_array(json_object_get(root, "output")))
        goto bad;
    json_t *exp = json_object_get(root, "expires_at");
    if (!json_is_integer(exp) && !json_is_null(exp))
        goto bad;
    /* Every binding a scalar, every output piece [1|2, "text"]. */
    const char *name;
    json_t *val;
    json_object_foreach(json_object_get(root, "bindings"), name, val)
    {
        if (!json_is_string(val) && !json_is_integer(val) && !json_is_real(val) &&
            !json_is_boolean(val))
            goto bad;
    }
    size_t i;
    json_array_foreach(json_object_get(root, "output"), i, val)
    {
        json_t *s = json_array_get(val, 0);
        if (json_array_size(val) != 2 || !json_is_integer(s) ||
            (json_integer_value(s) != 1 && json_integer_value(s) != 2) ||
            !json_is_string(json_array_get(val, 1)))
            goto bad;
    }
    return root;
bad:
    json_decref(root);
    return NULL;
}

bool
exec_cache_info_read(const char *path, struct exec_cache_info *out)
{
    memset(out, 0, sizeof(*out));
    json_t *root = entry_load(path, NULL);
    if (!root)
        return false;
    out->key = xstrdup(json_string_value(json_object_get(root, "key")));
    out->path = xstrdup(path);
    out->stored_at = json_integer_value(json_object_get(root, "stored_at"));
    json_t *exp = json_object_get(root, "expires_at");
    out->expires_at = json_is_integer(exp) ? json_integer_value(exp) : 0;
    out->bindings = json_object_size(json_object_get(root, "bindings"));
    struct stat sb;
    out->size = stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
    json_decref(root);
    return true;
}

void
exec_cache_info_release(struct exec_cache_info *info)
{
    free(info->key);
    free(info->path);
    memset(info, 0, sizeof(*info));
}

/* ---- writing ------------------------------------------------------------ */

/* Write 'text' to 'path' through a temporary file beside it (a unique
 * name claimed with O_EXCL) and rename(). A failure does not fail the run
 * (the cache is an optimisation); it returns false with 'err' so the caller
 * can say so. */
static bool
entry_store(const char *dir, const char *path, const char *text, struct err *err)
{
    if (!os_fs_mkdir_p(dir, 0777, err))
        return false;
    char *tmp = NULL;
    int fd = os_fs_open_temp_beside(path, &tmp, err);
    if (fd < 0)
        return false;
    size_t len = strlen(text), off = 0;
    bool ok = true;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = false;
            break;
        }
        off += (size_t)n;
    }
    if (!ok)
        err_errno(err, errno ? errno : EIO, "cannot write '%s'", tmp);
    if (close(fd) != 0 && ok)
        ok = err_errno(err, errno, "cannot write '%s'", tmp);
    if (ok && rename(tmp, path) != 0)
        ok = err_errno(err, errno, "cannot rename '%s' to '%s'", tmp, path);
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok;
}

/* ---- the recording sink --------------------------------------------------- */

struct cache_rec {
    struct exec_sink base;
    pthread_mutex_t lock; /* branches of an inner `parallel` write at once */
    json_t *output;       /* [[stream, "text"], ...], consecutive pieces merged */
    struct sbuf piece;    /* the last piece, not yet in 'output' */
    int piece_stream;
    struct exec_sink *next;
    struct exec_out out;
    struct exec_out *saved;
};

static void
rec_close_piece(struct cache_rec *r)
{
    if (!r->piece.len)
        return;
    json_array_append_new(r->output,
                          json_pack("[i,s%]", r->piece_stream, r->piece.buf, r->piece.len));
    sbuf_reset(&r->piece);
}

static void
rec_write(struct exec_sink *base, int stream, const char *data, size_t len)
{
    struct cache_rec *r = (struct cache_rec *)base;
    pthread_mutex_lock(&r->lock);
    if (stream != r->piece_stream)
        rec_close_piece(r);
    r->piece_stream = stream;
    sbuf_add(&r->piece, data, len);
    pthread_mutex_unlock(&r->lock);
    exec_sink_write(r->next, stream, data, len);
}

static void
rec_begin(struct exec_state *st, struct cache_rec *r)
{
    r->base.write = rec_write;
    pthread_mutex_init(&r->lock, NULL);
    r->output = json_array();
    sbuf_init(&r->piece);
    r->piece_stream = 1;
    r->next = st->out->sink;
    r->saved = st->out;
    exec_out_init(&r->out, &r->base);
    st->out = &r->out;
}

static void
rec_end(struct exec_state *st, struct cache_rec *r)
{
    exec_out_release(&r->out); /* flushes an unterminated last line */
    st->out = r->saved;
    rec_close_piece(r);
    sbuf_release(&r->piece);
    pthread_mutex_destroy(&r->lock);
}

/* ---- the block ------------------------------------------------------------ */

static json_t *
value_json(const struct exec_value *v)
{
    switch (v->type) {
    case EXEC_V_BOOL:
        return json_boolean(v->as.b);
    case EXEC_V_INT:
        return json_integer(v->as.i);
    case EXEC_V_FLOAT:
        return json_real(v->as.f);
    case EXEC_V_STRING:
        break;
    }
    return json_string(v->text);
}

/* Bind a stored value with its type. */
static void
bind_json(struct exec_state *st, const char *name, json_t *val)
{
    struct exec_value v;
    if (json_is_boolean(val)) {
        exec_value_bool(&v, json_is_true(val));
    } else if (json_is_integer(val)) {
        exec_value_int(&v, json_integer_value(val));
    } else if (json_is_real(val)) {
        exec_value_float(&v, json_real_value(val));
    } else {
        exec_value_string(&v, json_string_value(val));
    }
    exec_scope_set_take(st->scope, name, &v);
}

/* 'key' as messages show it: at most CACHE_KEY_SHOWN characters, the cut
 * marked with "…" (never inside a UTF-8 sequence). */
static void
key_shown(const char *key, struct sbuf *out)
{
    size_t chars = 0, i = 0, cut = 0;
    for (; key[i]; i++) {
        if (((unsigned char)key[i] & 0xC0) != 0x80) {
            if (chars == CACHE_KEY_SHOWN - 1)
                cut = i;
            chars++;
        }
    }
    if (chars <= CACHE_KEY_SHOWN) {
        sbuf_adds(out, key);
        return;
    }
    sbuf_add(out, key, cut);
    sbuf_adds(out, "…");
}

static void
replay(struct exec_state *st, const char *key, json_t *root)
{
    json_t *bindings = json_object_get(root, "bindings");
    json_t *exp = json_object_get(root, "expires_at");
    struct sbuf msg = SBUF_INIT;
    sbuf_adds(&msg, "↪ cache hit: ");
    key_shown(key, &msg);
    size_t n = json_object_size(bindings);
    /* The wording is fixed (REFERENCE.md §4): scripts and tools grep it. */
    sbuf_addf(&msg, " (replayed %zu bindings, ", n);
    if (json_is_integer(exp)) {
        char left[DURATION_FORMAT_MAX];
        int64_t secs = json_integer_value(exp) - wall_seconds();
        duration_format(secs * OS_NS_PER_SEC, left, sizeof(left));
        sbuf_addf(&msg, "%s left)\n", left);
    } else {
        sbuf_adds(&msg, "no expiry)\n");
    }
    exec_print(st, 2, msg.buf, msg.len);
    sbuf_release(&msg);

    size_t i;
    json_t *piece;
    json_array_foreach(json_object_get(root, "output"), i, piece)
    {
        json_t *text = json_array_get(piece, 1);
        exec_print(st, (int)json_integer_value(json_array_get(piece, 0)),
                   json_string_value(text), json_string_length(text));
    }
    const char *name;
    json_t *val;
    json_object_foreach(bindings, name, val)
        bind_json(st, name, val);
    exec_span_attr(st, "cache", "hit");
}

bool
block_cache(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
            struct err *err)
{
    (void)out;
    if (stmt->arg_count < 1 || stmt->arg_count > 2)
        return err_set(err, ERR_USAGE, "cache: expected \"KEY\" [\"TTL\"]");
    char *key = exec_word(st, &stmt->args[0], err);
    if (!key)
        return false;
    if (!key[0]) {
        free(key);
        return err_set(err, ERR_USAGE, "cache: the key is empty");
    }
    int64_t ttl_ns = 0;
    if (stmt->arg_count > 1) {
        char *ttl = exec_word(st, &stmt->args[1], err);
        if (!ttl) {
            free(key);
            return false;
        }
        bool ok = duration_parse(ttl, &ttl_ns, err);
        if (!ok)
            err_prefix(err, "cache: TTL");
        if (ok && ttl_ns <= 0)
            ok = err_set(err, ERR_USAGE, "cache: the TTL must be longer than zero, got '%s'",
                         ttl);
        free(ttl);
        if (!ok) {
            free(key);
            return false;
        }
    }
    char *dir = state_blocks_dir(st);
    char *path = entry_path(dir, key);
    int64_t now = wall_seconds();

    json_t *hit = entry_load(path, key);
    if (hit) {
        json_t *exp = json_object_get(hit, "expires_at");
        if (json_is_integer(exp) && json_integer_value(exp) <= now) {
            json_decref(hit);
            hit = NULL;
        }
    }
    if (hit) {
        replay(st, key, hit);
        json_decref(hit);
        free(path);
        free(dir);
        free(key);
        return true;
    }

    /* Miss: run the body in a scope that collects what it binds. */
    struct exec_scope *outer = st->scope;
    struct exec_scope *inner = exec_scope_new(outer);
    st->scope = inner;
    struct cache_rec rec;
    rec_begin(st, &rec);
    bool ok = exec_run_body(st, &stmt->body, err);
    rec_end(st, &rec);
    st->scope = outer;

    json_t *bindings = json_object();
    for (size_t i = 0; i < inner->count; i++) {
        struct exec_binding *b = &inner->items[i];
        if (ok)
            json_object_set_new(bindings, b->name, value_json(&b->value));
        exec_scope_set_take(outer, b->name, &b->value);
    }
    exec_scope_free(inner);

    if (ok) {
        json_t *root = json_object();
        json_object_set_new(root, "v", json_integer(EXEC_CACHE_VERSION));
        json_object_set_new(root, "key", json_string(key));
        json_object_set_new(root, "stored_at", json_integer(now));
        json_object_set_new(root, "expires_at",
                            ttl_ns ? json_integer(now + (ttl_ns + OS_NS_PER_SEC - 1) /
                                                            OS_NS_PER_SEC)
                                   : json_null());
        json_object_set_new(root, "bindings", bindings);
        json_object_set(root, "output", rec.output);
        char *text = json_dumps(root, JSON_COMPACT);
        struct err store_err = { 0 };
        if (text && !entry_store(dir, path, text, &store_err)) {
            /* Not fatal, but not silent either: the next run will miss. */
            struct sbuf msg = SBUF_INIT;
            sbuf_adds(&msg, "↪ cache: could not store ");
            key_shown(key, &msg);
            sbuf_addf(&msg, ": %s\n", store_err.msg);
            exec_print(st, 2, msg.buf, msg.len);
            sbuf_release(&msg);
        }
        free(text);
        json_decref(root);
        exec_span_attr(st, "cache", "miss");
    } else {
        json_decref(bindings);
    }
    json_decref(rec.output);
    free(path);
    free(dir);
    free(key);
    return ok;
}
