/* path.c: lexical path manipulation (see path.h). */
#include "os/path.h"

#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"
#include "base/xalloc.h"

char *
os_path_clean(const char *path)
{
    if (!path[0])
        return xstrdup(".");
    bool is_abs = path[0] == '/';
    size_t len = strlen(path);
    /* Output never grows beyond the input (plus a possible "."). */
    char *out = xmalloc(len + 2);
    size_t w = 0;
    /* 'floor': the first index '..' may not remove past (after "/" or
     * after leading "../" elements of a relative path). */
    size_t floor = 0;
    if (is_abs) {
        out[w++] = '/';
        floor = 1;
    }
    size_t r = 0;
    while (r < len) {
        while (r < len && path[r] == '/')
            r++;
        if (r >= len)
            break;
        size_t start = r;
        while (r < len && path[r] != '/')
            r++;
        size_t elen = r - start;
        const char *elem = path + start;
        if (elen == 1 && elem[0] == '.')
            continue;
        if (elen == 2 && elem[0] == '.' && elem[1] == '.') {
            if (w > floor) {
                /* Drop the last element. */
                while (w > floor && out[w - 1] != '/')
                    w--;
                if (w > floor)
                    w--; /* the separator before it */
                continue;
            }
            if (is_abs)
                continue; /* "/.." is "/" */
            /* Relative: keep the "..", and it becomes part of the floor. */
            if (w > 0)
                out[w++] = '/';
            out[w++] = '.';
            out[w++] = '.';
            floor = w;
            continue;
        }
        if (w > 0 && out[w - 1] != '/')
            out[w++] = '/';
        memcpy(out + w, elem, elen);
        w += elen;
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = '\0';
    return out;
}

char *
os_path_join(const char *a, const char *b)
{
    if (!b[0])
        return os_path_clean(a);
    if (!a[0] || b[0] == '/')
        return os_path_clean(b);
    char *tmp = xasprintf("%s/%s", a, b);
    char *out = os_path_clean(tmp);
    free(tmp);
    return out;
}

char *
os_path_abs(const char *base, const char *path)
{
    return os_path_join(base, path);
}

/* [start, end) of the last element of 'path' after trailing slashes. */
static void
last_elem(const char *path, size_t *out_start, size_t *out_end)
{
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    *out_start = start;
    *out_end = end;
}

char *
os_path_base(const char *path)
{
    if (!path[0])
        return xstrdup(".");
    size_t start, end;
    last_elem(path, &start, &end);
    if (end == 1 && path[0] == '/')
        return xstrdup("/");
    return xstrndup(path + start, end - start);
}

char *
os_path_dir(const char *path)
{
    size_t start, end;
    last_elem(path, &start, &end);
    if (end == 1 && path[0] == '/')
        return xstrdup("/");
    char *head = xstrndup(path, start);
    char *out = os_path_clean(head);
    free(head);
    return out;
}

/* Offset of the extension's dot inside 'name', or strlen(name). */
static size_t
ext_pos(const char *name)
{
    size_t len = strlen(name);
    for (size_t i = len; i > 0; i--) {
        if (name[i - 1] == '.')
            return i - 1 == 0 ? len : i - 1;
    }
    return len;
}

char *
os_path_ext(const char *path)
{
    char *base = os_path_base(path);
    char *out;
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0)
        out = xstrdup("");
    else
        out = xstrdup(base + ext_pos(base));
    free(base);
    return out;
}

char *
os_path_stem(const char *path)
{
    char *base = os_path_base(path);
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0)
        return base;
    base[ext_pos(base)] = '\0';
    return base;
}

char *
os_path_rel(const char *cwd, const char *base, const char *target)
{
    char *b = os_path_abs(cwd, base);
    char *t = os_path_abs(cwd, target);
    /* Length of the common prefix that ends on an element boundary. */
    size_t common = 0;
    size_t i = 0;
    for (;; i++) {
        char cb = b[i], ct = t[i];
        bool end_b = cb == '\0' || cb == '/';
        bool end_t = ct == '\0' || ct == '/';
        if (end_b && end_t)
            common = i;
        if (cb != ct || cb == '\0')
            break;
    }
    if (strcmp(b, "/") == 0)
        common = 0;
    struct sbuf out = SBUF_INIT;
    /* One ".." per element of 'b' after the common prefix. */
    const char *rest_b = b + common;
    for (const char *p = rest_b; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        if (out.len)
            sbuf_addc(&out, '/');
        sbuf_adds(&out, "..");
        while (*p && *p != '/')
            p++;
    }
    const char *rest_t = t + common;
    while (*rest_t == '/')
        rest_t++;
    if (*rest_t) {
        if (out.len)
            sbuf_addc(&out, '/');
        sbuf_adds(&out, rest_t);
    }
    if (!out.len)
        sbuf_addc(&out, '.');
    free(b);
    free(t);
    return sbuf_detach(&out, NULL);
}
