/*
 * ops_json.c: JSON ops over jansson (json_get, json_parse, json_stringify).
 *
 * json_get paths: elements separated by '.', array indexes in brackets,
 * keys with dots or brackets quoted in brackets: a.b[0].c, items[-1]
 * (negative counts from the end), ["key.with.dots"].x. An empty path or "."
 * is the whole document. A string value comes back raw (no quotes);
 * anything else comes back as compact JSON.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "ops/ops_int.h"

static json_t *
parse_doc(struct op_call *call, const char *text, struct err *err)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!doc)
        err_set(err, ERR_JSON, "%s: invalid JSON at line %d, column %d: %s", ops_name(call),
                jerr.line, jerr.column, jerr.text);
    return doc;
}

static bool
add_json(struct op_call *call, struct sbuf *out, const json_t *v, struct err *err)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return err_set(err, ERR_JSON, "%s: cannot encode the value", ops_name(call));
    sbuf_adds(out, s);
    free(s);
    return true;
}

/* The value reached by the first 'len' bytes of 'path', for messages:
 * "the document" for none, else "'a.b[0]'" (without a trailing dot). */
static const char *
path_so_far(const char *path, size_t len, char *buf, size_t size)
{
    if (len && path[len - 1] == '.')
        len--;
    if (!len)
        return "the document";
    snprintf(buf, size, "'%.*s'", (int)len, path);
    return buf;
}

/* Step into 'cur' by one path element; on failure names the path so far. */
static json_t *
step(json_t *cur, const char *path, const char **pp, struct err *err)
{
    const char *p = *pp;
    if (*p == '[') {
        p++;
        if (*p == '"' || *p == '\'') {
            char quote = *p++;
            const char *end = strchr(p, quote);
            if (!end || end[1] != ']') {
                err_set(err, ERR_USAGE, "json_get: unclosed quoted key in path '%s'", path);
                return NULL;
            }
            char *key = xstrndup(p, (size_t)(end - p));
            json_t *next = json_is_object(cur) ? json_object_get(cur, key) : NULL;
            if (!next)
                err_set(err, ERR_NOT_FOUND, "json_get: no key \"%s\" at '%.*s' in path '%s'", key,
                        (int)(*pp - path), path, path);
            free(key);
            *pp = end + 2;
            return next;
        }
        char *end;
        long long idx = strtoll(p, &end, 10);
        if (end == p || *end != ']') {
            err_set(err, ERR_USAGE, "json_get: bad index in path '%s' (use [N] or [\"key\"])",
                    path);
            return NULL;
        }
        *pp = end + 1;
        if (!json_is_array(cur)) {
            char buf[256];
            err_set(err, ERR_NOT_FOUND, "json_get: %s is not an array (path '%s')",
                    path_so_far(path, (size_t)(p - 1 - path), buf, sizeof(buf)), path);
            return NULL;
        }
        long long size = (long long)json_array_size(cur);
        if (idx < 0)
            idx += size;
        if (idx < 0 || idx >= size) {
            err_set(err, ERR_NOT_FOUND,
                    "json_get: index %.*s out of range (array has %lld) in "
                    "path '%s'",
                    (int)(end - p), p, size, path);
            return NULL;
        }
        return json_array_get(cur, (size_t)idx);
    }
    size_t n = strcspn(p, ".[");
    if (n == 0) {
        err_set(err, ERR_USAGE, "json_get: empty key in path '%s'", path);
        return NULL;
    }
    char *key = xstrndup(p, n);
    json_t *next = NULL;
    char buf[256];
    if (!json_is_object(cur))
        err_set(err, ERR_NOT_FOUND, "json_get: %s is not an object (path '%s')",
                path_so_far(path, (size_t)(p - path), buf, sizeof(buf)), path);
    else if (!(next = json_object_get(cur, key)))
        err_set(err, ERR_NOT_FOUND, "json_get: no key \"%s\" in path '%s'", key, path);
    free(key);
    *pp = p + n;
    return next;
}

bool
ops_do_json_get(struct op_call *call, struct sbuf *out, struct err *err)
{
    json_t *doc = parse_doc(call, call->argv[0], err);
    if (!doc)
        return false;
    const char *path = call->argv[1];
    const char *p = path;
    if (*p == '$')
        p++;
    json_t *cur = doc;
    bool ok = true;
    while (*p) {
        if (*p == '.') {
            p++;
            if (!*p)
                break;
            if (*p == '.') {
                ok = err_set(err, ERR_USAGE, "json_get: empty key in path '%s'", path);
                break;
            }
        }
        cur = step(cur, path, &p, err);
        if (!cur) {
            ok = false;
            break;
        }
    }
    if (ok) {
        if (json_is_string(cur))
            sbuf_add(out, json_string_value(cur), json_string_length(cur));
        else
            ok = add_json(call, out, cur, err);
    }
    json_decref(doc);
    return ok;
}

bool
ops_do_json_parse(struct op_call *call, struct sbuf *out, struct err *err)
{
    json_t *doc = parse_doc(call, call->argv[0], err);
    if (!doc)
        return false;
    bool ok = add_json(call, out, doc, err);
    json_decref(doc);
    return ok;
}

bool
ops_do_json_stringify(struct op_call *call, struct sbuf *out, struct err *err)
{
    json_t *v;
    if (call->argc == 1) {
        v = json_stringn(call->argv[0], strlen(call->argv[0]));
        if (!v)
            return err_set(err, ERR_JSON, "json_stringify: text is not valid UTF-8");
    } else {
        if (call->argc % 2 != 0)
            return err_set(err, ERR_USAGE,
                           "json_stringify: KEY VALUE pairs expected, got %zu arguments",
                           call->argc);
        v = json_object();
        for (size_t i = 0; i < call->argc; i += 2) {
            json_t *s = json_string(call->argv[i + 1]);
            if (!s || json_object_set_new(v, call->argv[i], s) != 0) {
                json_decref(v);
                return err_set(err, ERR_JSON,
                               "json_stringify: key or value for '%s' is not "
                               "valid UTF-8",
                               call->argv[i]);
            }
        }
    }
    bool ok = add_json(call, out, v, err);
    json_decref(v);
    return ok;
}
