/*
 * glob.c: pattern matching and expansion (see glob.h).
 *
 * Matching one element is the classic iterative wildcard algorithm: on a
 * mismatch, go back to the last '*' and let it swallow one more
 * character, so the cost stays O(pattern * name) with no recursion.
 * Expansion first splits brace alternatives into separate patterns, then
 * walks each pattern element by element: literal elements are appended
 * without listing the directory, wildcard elements list it, and '**'
 * recurses over subdirectories. The union is sorted once at the end.
 */
#include "base/glob.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#define GLOB_DEFAULT_MAX 1000000
/* Longest pattern accepted (brace splitting is quadratic in the length). */
#define GLOB_MAX_PATTERN 4096
/* Most patterns one brace expression may stand for. */
#define BRACE_MAX 1024
/* '**' descends at most this deep. */
#define GLOB_MAX_DEPTH 256

void
glob_paths_release(struct glob_paths *paths)
{
    if (!paths)
        return;
    for (size_t i = 0; i < paths->count; i++)
        free(paths->items[i]);
    free(paths->items);
    paths->items = NULL;
    paths->count = paths->cap = 0;
}

bool
glob_has_magic(const char *pattern)
{
    for (const char *p = pattern; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (*p == '*' || *p == '?' || *p == '[')
            return true;
    }
    return false;
}

/* Length in bytes of the UTF-8 sequence starting at 's' (1 for bad bytes). */
static size_t
utf8_len(const char *s)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

/*
 * Match the bracket expression at 'p' (just after '[') against byte 'c'.
 * Returns a pointer just past the closing ']', or NULL when the bracket is
 * unterminated (then '[' is an ordinary character).
 */
static const char *
match_class(const char *p, unsigned char c, bool *out_matched)
{
    bool negate = false;
    if (*p == '!' || *p == '^') {
        negate = true;
        p++;
    }
    bool matched = false;
    bool first = true;
    for (;;) {
        if (*p == '\0')
            return NULL;
        if (*p == ']' && !first)
            break;
        first = false;
        unsigned char lo = (unsigned char)*p;
        if (*p == '\\' && p[1]) {
            p++;
            lo = (unsigned char)*p;
        }
        p++;
        unsigned char hi = lo;
        if (*p == '-' && p[1] && p[1] != ']') {
            p++;
            if (*p == '\\' && p[1])
                p++;
            hi = (unsigned char)*p;
            p++;
        }
        if (lo <= c && c <= hi)
            matched = true;
    }
    *out_matched = matched != negate;
    return p + 1;
}

bool
glob_match(const char *pattern, const char *name)
{
    if (name[0] == '.' && pattern[0] != '.')
        return false; /* hidden names need a literal leading dot */
    const char *p = pattern, *n = name;
    const char *star_p = NULL, *star_n = NULL;
    while (*n) {
        bool ok = false;
        const char *next_p = p;
        size_t step = 1;
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (!*p)
                return true;
            star_p = p;
            star_n = n;
            continue;
        } else if (*p == '?') {
            ok = true;
            next_p = p + 1;
            step = utf8_len(n);
        } else if (*p == '[') {
            bool matched = false;
            const char *after = match_class(p + 1, (unsigned char)*n, &matched);
            if (after) {
                ok = matched;
                next_p = after;
            } else {
                ok = *n == '[';
                next_p = p + 1;
            }
        } else if (*p == '\\' && p[1]) {
            ok = p[1] == *n;
            next_p = p + 2;
        } else if (*p) {
            ok = *p == *n;
            next_p = p + 1;
        }
        if (ok) {
            p = next_p;
            n += step;
            continue;
        }
        if (!star_p)
            return false;
        /* Let the last '*' take one more character and retry. */
        star_n += utf8_len(star_n);
        n = star_n;
        p = star_p;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* Expansion state. */
struct walk {
    char **segs; /* pattern elements */
    size_t seg_count;
    bool only_dirs;  /* pattern ended in '/': directories only, shown with the '/' */
    const char *cwd; /* for relative patterns; NULL when absolute */
    bool is_abs;
    size_t max_results;
    struct glob_paths *out;
    struct err *err;
};

/* Filesystem path for display path 'shown'. */
static char *
fs_path(const struct walk *w, const char *shown)
{
    if (w->is_abs)
        return xstrdup(shown[0] ? shown : "/");
    if (!shown[0])
        return xstrdup(w->cwd);
    return xasprintf("%s/%s", w->cwd, shown);
}

static char *
child_path(const struct walk *w, const char *shown, const char *name)
{
    if (!shown[0])
        return w->is_abs ? xasprintf("/%s", name) : xstrdup(name);
    if (strcmp(shown, "/") == 0)
        return xasprintf("/%s", name);
    return xasprintf("%s/%s", shown, name);
}

static bool
add_result(struct walk *w, const char *shown)
{
    if (w->only_dirs) {
        char *fp = fs_path(w, shown);
        struct stat st;
        bool is_dir = stat(fp, &st) == 0 && S_ISDIR(st.st_mode);
        free(fp);
        if (!is_dir)
            return true;
    }
    if (w->out->count >= w->max_results)
        return err_set(w->err, ERR_LIMIT, "glob: more than %zu matches", w->max_results);
    w->out->items = xgrow(w->out->items, &w->out->cap, w->out->count + 1, sizeof(char *));
    /* A pattern ending in '/' keeps its slash ("posts/"), as a shell does. */
    char *item;
    if (!shown[0] || !strcmp(shown, "/"))
        item = xstrdup("/");
    else if (w->only_dirs)
        item = xasprintf("%s/", shown);
    else
        item = xstrdup(shown);
    w->out->items[w->out->count++] = item;
    return true;
}

/* Names in directory 'shown' (sorted for a deterministic walk); false when
 * it cannot be listed, which the walk treats as "no entries". */
static bool
list_names(const struct walk *w, const char *shown, struct glob_paths *names)
{
    char *fp = fs_path(w, shown);
    DIR *d = opendir(fp);
    free(fp);
    if (!d)
        return false;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
        names->items = xgrow(names->items, &names->cap, names->count + 1, sizeof(char *));
        names->items[names->count++] = xstrdup(n);
    }
    closedir(d);
    return true;
}

/* lstat/stat of a display path: 1 dir, 0 other, -1 missing. */
static int
kind_of(const struct walk *w, const char *shown, bool follow)
{
    char *fp = fs_path(w, shown);
    struct stat st;
    int rc = follow ? stat(fp, &st) : lstat(fp, &st);
    free(fp);
    if (rc != 0)
        return -1;
    return S_ISDIR(st.st_mode) ? 1 : 0;
}

static char *
unescape(const char *s)
{
    char *out = xmalloc(strlen(s) + 1);
    size_t w = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        out[w++] = *p;
    }
    out[w] = '\0';
    return out;
}

static bool expand(struct walk *w, const char *shown, size_t seg, int depth);

/* '**' at element 'seg': zero directories, then each subdirectory in turn. */
static bool
expand_globstar(struct walk *w, const char *shown, size_t seg, int depth)
{
    bool is_last = seg + 1 == w->seg_count;
    if (!is_last && !expand(w, shown, seg + 1, depth))
        return false;
    if (depth >= GLOB_MAX_DEPTH)
        return true;
    struct glob_paths names = { 0 };
    if (!list_names(w, shown, &names))
        return true;
    bool ok = true;
    for (size_t i = 0; ok && i < names.count; i++) {
        const char *name = names.items[i];
        if (name[0] == '.')
            continue;
        char *child = child_path(w, shown, name);
        int kind = kind_of(w, child, false);
        if (is_last)
            ok = add_result(w, child);
        if (ok && kind == 1)
            ok = expand_globstar(w, child, seg, depth + 1);
        free(child);
    }
    glob_paths_release(&names);
    return ok;
}

static bool
expand(struct walk *w, const char *shown, size_t seg, int depth)
{
    if (seg == w->seg_count) {
        if (kind_of(w, shown, false) < 0)
            return true;
        return add_result(w, shown);
    }
    const char *pat = w->segs[seg];
    if (strcmp(pat, "**") == 0)
        return expand_globstar(w, shown, seg, depth);
    bool is_last = seg + 1 == w->seg_count;
    if (!glob_has_magic(pat)) {
        char *lit = unescape(pat);
        char *child = child_path(w, shown, lit);
        free(lit);
        bool ok = expand(w, child, seg + 1, depth);
        free(child);
        return ok;
    }
    struct glob_paths names = { 0 };
    if (!list_names(w, shown, &names))
        return true;
    bool ok = true;
    for (size_t i = 0; ok && i < names.count; i++) {
        const char *name = names.items[i];
        if (!glob_match(pat, name))
            continue;
        char *child = child_path(w, shown, name);
        if (is_last)
            ok = add_result(w, child);
        else if (kind_of(w, child, true) == 1)
            ok = expand(w, child, seg + 1, depth);
        free(child);
    }
    glob_paths_release(&names);
    return ok;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk one brace-free pattern, appending unsorted results to 'out'. */
static bool
expand_one(const char *cwd, const char *pattern, size_t max_results, struct glob_paths *out,
           struct err *err)
{
    struct walk w = { 0 };
    w.is_abs = pattern[0] == '/';
    w.cwd = cwd;
    w.max_results = max_results;
    w.out = out;
    w.err = err;
    size_t plen = strlen(pattern);
    w.only_dirs = plen > 1 && pattern[plen - 1] == '/';
    /* Split into elements; empty ones (from "//" or the leading '/') vanish. */
    char *copy = xstrdup(pattern);
    size_t cap = 0;
    for (char *p = copy; *p;) {
        while (*p == '/')
            *p++ = '\0';
        if (!*p)
            break;
        w.segs = xgrow(w.segs, &cap, w.seg_count + 1, sizeof(char *));
        w.segs[w.seg_count++] = p;
        while (*p && *p != '/')
            p++;
    }
    bool ok = expand(&w, w.is_abs ? "/" : "", 0, 0);
    free(w.segs);
    free(copy);
    return ok;
}

/* Index of the '}' matching the '{' at 'open', or 0 when unmatched; sets
 * *out_has_comma when a ',' sits directly inside this pair. */
static size_t
match_brace(const char *p, size_t open, bool *out_has_comma)
{
    int depth = 0;
    *out_has_comma = false;
    for (size_t i = open; p[i]; i++) {
        if (p[i] == '\\' && p[i + 1]) {
            i++;
        } else if (p[i] == '{') {
            depth++;
        } else if (p[i] == '}') {
            if (--depth == 0)
                return i;
        } else if (p[i] == ',' && depth == 1) {
            *out_has_comma = true;
        }
    }
    return 0;
}

/*
 * Brace alternatives, as shells write them: "src/{a,b}/x.c" is "src/a/x.c"
 * and "src/b/x.c"; braces nest; a brace pair without a comma is literal.
 * Appends the brace-free patterns to 'out' (at most BRACE_MAX of them).
 */
static bool
split_braces(const char *pattern, struct glob_paths *out, struct err *err)
{
    for (size_t open = 0; pattern[open]; open++) {
        if (pattern[open] == '\\' && pattern[open + 1]) {
            open++;
            continue;
        }
        if (pattern[open] != '{')
            continue;
        bool has_comma;
        size_t close = match_brace(pattern, open, &has_comma);
        if (!close || !has_comma)
            continue;
        /* prefix{alt1,alt2,...}suffix: recurse on each alternative. */
        size_t start = open + 1;
        int depth = 0;
        for (size_t i = start; i <= close; i++) {
            char c = pattern[i];
            if (c == '\\' && i + 1 < close) {
                i++;
                continue;
            }
            if (c == '{')
                depth++;
            else if (c == '}' && i < close)
                depth--;
            if ((c == ',' && depth == 0) || i == close) {
                char *alt = xasprintf("%.*s%.*s%s", (int)open, pattern, (int)(i - start),
                                      pattern + start, pattern + close + 1);
                bool ok = split_braces(alt, out, err);
                free(alt);
                if (!ok)
                    return false;
                start = i + 1;
            }
        }
        return true;
    }
    if (out->count >= BRACE_MAX)
        return err_set(err, ERR_LIMIT, "glob: more than %d brace alternatives", BRACE_MAX);
    out->items = xgrow(out->items, &out->cap, out->count + 1, sizeof(char *));
    out->items[out->count++] = xstrdup(pattern);
    return true;
}

bool
glob_expand(const char *cwd, const char *pattern, size_t max_results, struct glob_paths *out,
            struct err *err)
{
    if (!pattern[0])
        return err_set(err, ERR_USAGE, "glob: empty pattern");
    if (strlen(pattern) > GLOB_MAX_PATTERN)
        return err_set(err, ERR_LIMIT, "glob: pattern longer than %d bytes", GLOB_MAX_PATTERN);
    if (!max_results)
        max_results = GLOB_DEFAULT_MAX;
    struct glob_paths patterns = { 0 };
    size_t start = out->count;
    bool ok = split_braces(pattern, &patterns, err);
    for (size_t i = 0; ok && i < patterns.count; i++)
        ok = expand_one(cwd, patterns.items[i], max_results, out, err);
    glob_paths_release(&patterns);
    if (!ok)
        return false;
    /* Sort the new results and drop duplicates ('**' paths can overlap). */
    size_t n = out->count - start;
    if (n == 0)
        return true;
    char **items = out->items + start;
    if (n > 1)
        qsort(items, n, sizeof(char *), cmp_str);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (kept > 0 && strcmp(items[kept - 1], items[i]) == 0) {
            free(items[i]);
            continue;
        }
        items[kept++] = items[i];
    }
    out->count = start + kept;
    return true;
}
