/*
 * ops_text.c: text ops (trim, lower, upper, replace, split, join, contains,
 * lines, format, regex_match, regex_replace).
 *
 * Text is bytes; case mapping is ASCII only so results never depend on
 * the host locale. Regular expressions are POSIX extended (regex.h), as
 * grep -E understands them.
 */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "ops/ops_int.h"

#define WHITESPACE " \t\r\n\v\f"

bool
ops_do_trim(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    const char *s = call->argv[0];
    const char *chars = call->argc > 1 ? call->argv[1] : WHITESPACE;
    size_t start = strspn(s, chars);
    size_t end = strlen(s);
    while (end > start && strchr(chars, s[end - 1]))
        end--;
    sbuf_add(out, s + start, end - start);
    return true;
}

static bool
map_case(struct op_call *call, struct sbuf *out, int (*fn)(int))
{
    for (const char *p = call->argv[0]; *p; p++) {
        unsigned char c = (unsigned char)*p;
        sbuf_addc(out, c < 0x80 ? (char)fn(c) : (char)c);
    }
    return true;
}

bool
ops_do_lower(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    return map_case(call, out, tolower);
}

bool
ops_do_upper(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    return map_case(call, out, toupper);
}

bool
ops_do_replace(struct op_call *call, struct sbuf *out, struct err *err)
{
    const char *s = call->argv[0], *old = call->argv[1], *new_text = call->argv[2];
    size_t old_len = strlen(old);
    if (!old_len)
        return err_set(err, ERR_USAGE, "replace: the text to replace is empty");
    const char *hit;
    while ((hit = strstr(s, old)) != NULL) {
        sbuf_add(out, s, (size_t)(hit - s));
        sbuf_adds(out, new_text);
        s = hit + old_len;
    }
    sbuf_adds(out, s);
    return true;
}

bool
ops_do_split(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    const char *s = call->argv[0];
    bool first = true;
    if (call->argc < 2) {
        /* Runs of whitespace separate; leading and trailing ones vanish. */
        for (;;) {
            s += strspn(s, WHITESPACE);
            if (!*s)
                break;
            size_t n = strcspn(s, WHITESPACE);
            if (!first)
                sbuf_addc(out, '\n');
            sbuf_add(out, s, n);
            first = false;
            s += n;
        }
        return true;
    }
    const char *sep = call->argv[1];
    size_t sep_len = strlen(sep);
    if (!sep_len) {
        /* An empty separator splits into characters (UTF-8 sequences). */
        for (; *s; first = false) {
            size_t n = 1;
            while (((unsigned char)s[n] & 0xc0) == 0x80)
                n++;
            if (!first)
                sbuf_addc(out, '\n');
            sbuf_add(out, s, n);
            s += n;
        }
        return true;
    }
    for (;;) {
        const char *hit = strstr(s, sep);
        size_t n = hit ? (size_t)(hit - s) : strlen(s);
        if (!first)
            sbuf_addc(out, '\n');
        sbuf_add(out, s, n);
        first = false;
        if (!hit)
            break;
        s = hit + sep_len;
    }
    return true;
}

/*
 * The lines of 's' (split at '\n', a trailing '\r' dropped from each)
 * joined with 'sep', leaving out empty lines when 'skip_empty'.
 */
static void
add_lines(struct sbuf *out, const char *s, const char *sep, bool skip_empty)
{
    bool first = true;
    while (*s) {
        size_t n = strcspn(s, "\n");
        size_t item = n;
        if (item && s[item - 1] == '\r')
            item--;
        if (item || !skip_empty) {
            if (!first)
                sbuf_adds(out, sep);
            sbuf_add(out, s, item);
            first = false;
        }
        s += n;
        if (*s == '\n')
            s++;
    }
}

bool
ops_do_join(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    /* Empty lines are not items (for_each skips them too). */
    add_lines(out, call->argv[0], call->argv[1], true);
    return true;
}

bool
ops_do_contains(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    ops_ret_bool(out, strstr(call->argv[0], call->argv[1]) != NULL);
    return true;
}

bool
ops_do_lines(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)err;
    add_lines(out, call->argv[0], "\n", false);
    return true;
}

bool
ops_do_format(struct op_call *call, struct sbuf *out, struct err *err)
{
    const char *t = call->argv[0];
    size_t arg_count = call->argc - 1;
    size_t next = 0;
    while (*t) {
        if (t[0] == '{' && t[1] == '{') {
            sbuf_addc(out, '{');
            t += 2;
        } else if (t[0] == '}' && t[1] == '}') {
            sbuf_addc(out, '}');
            t += 2;
        } else if (t[0] == '{') {
            const char *close = strchr(t, '}');
            if (!close)
                return err_set(err, ERR_USAGE, "format: unclosed '{' in template");
            size_t index;
            if (close == t + 1) {
                index = next++;
            } else {
                index = 0;
                for (const char *p = t + 1; p < close; p++) {
                    if (!isdigit((unsigned char)*p) || index > 100000)
                        return err_set(err, ERR_USAGE,
                                       "format: invalid placeholder '%.*s' (use {} or {N})",
                                       (int)(close - t + 1), t);
                    index = index * 10 + (size_t)(*p - '0');
                }
            }
            if (index >= arg_count)
                return err_set(err, ERR_USAGE,
                               "format: placeholder %zu needs %zu argument%s, got %zu", index,
                               index + 1, index ? "s" : "", arg_count);
            sbuf_adds(out, call->argv[1 + index]);
            t = close + 1;
        } else if (t[0] == '}') {
            return err_set(err, ERR_USAGE,
                           "format: unmatched '}' in template (write }} for a brace)");
        } else {
            sbuf_addc(out, *t++);
        }
    }
    return true;
}

static bool
compile_regex(struct op_call *call, regex_t *re, const char *pattern, int flags, struct err *err)
{
    int rc = regcomp(re, pattern, REG_EXTENDED | flags);
    if (rc == 0)
        return true;
    char msg[160];
    regerror(rc, re, msg, sizeof(msg));
    return err_set(err, ERR_USAGE, "%s: invalid regular expression '%s': %s", ops_name(call),
                   pattern, msg);
}

bool
ops_do_regex_match(struct op_call *call, struct sbuf *out, struct err *err)
{
    regex_t re;
    if (!compile_regex(call, &re, call->argv[1], REG_NOSUB, err))
        return false;
    ops_ret_bool(out, regexec(&re, call->argv[0], 0, NULL, 0) == 0);
    regfree(&re);
    return true;
}

/* Append 'repl' with \0-\9 replaced by the groups of a match at 'base'. */
static void
add_replacement(struct sbuf *out, const char *repl, const char *base, const regmatch_t *m,
                size_t group_count)
{
    for (const char *r = repl; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '9') {
            size_t g = (size_t)(r[1] - '0');
            if (g < group_count && m[g].rm_so >= 0)
                sbuf_add(out, base + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
            r++;
        } else if (r[0] == '\\' && r[1] == '\\') {
            sbuf_addc(out, '\\');
            r++;
        } else {
            sbuf_addc(out, *r);
        }
    }
}

bool
ops_do_regex_replace(struct op_call *call, struct sbuf *out, struct err *err)
{
    regex_t re;
    if (!compile_regex(call, &re, call->argv[1], 0, err))
        return false;
    const char *s = call->argv[0];
    const char *repl = call->argv[2];
    regmatch_t m[10];
    size_t group_count = re.re_nsub + 1 < 10 ? re.re_nsub + 1 : 10;
    int flags = 0;
    while (*s || flags == 0) {
        if (regexec(&re, s, 10, m, flags) != 0)
            break;
        sbuf_add(out, s, (size_t)m[0].rm_so);
        add_replacement(out, repl, s, m, group_count);
        if (m[0].rm_eo == m[0].rm_so) {
            /* An empty match: copy one character so the scan advances. */
            if (!s[m[0].rm_eo]) {
                s += m[0].rm_eo;
                break;
            }
            sbuf_addc(out, s[m[0].rm_eo]);
            s += m[0].rm_eo + 1;
        } else {
            s += m[0].rm_eo;
        }
        flags = REG_NOTBOL;
    }
    sbuf_adds(out, s);
    regfree(&re);
    return true;
}
