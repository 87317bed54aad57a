/*
 * duration.c: durations as users write them: "500ms", "30s", "5m",
 * "1h30m", "7d", "2w"; a bare number means seconds.
 */
#include "exec/exec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_MS  INT64_C(1000000)
#define NS_PER_SEC INT64_C(1000000000)

bool
exec_duration_parse(const char *text, int64_t *out_ns, struct err *err)
{
    static const struct {
        const char *unit;
        int64_t ns;
    } units[] = {
        /* longest first, so "ms" is not read as "m" followed by "s" */
        { "ms", NS_PER_MS },           { "us", 1000 },
        { "ns", 1 },                   { "s", NS_PER_SEC },
        { "m", 60 * NS_PER_SEC },      { "h", 3600 * NS_PER_SEC },
        { "d", 86400 * NS_PER_SEC },   { "w", 7 * 86400 * NS_PER_SEC },
    };
    const char *p = text;
    while (*p == ' ')
        p++;
    if (!*p)
        return err_set(err, ERR_USAGE, "invalid duration '%s'", text);
    double total = 0;
    bool any = false;
    while (*p && *p != ' ') {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return err_set(err, ERR_USAGE, "invalid duration '%s' (examples: 500ms, 30s, 1h30m)",
                           text);
        double n = 0, scale = 0;
        for (; isdigit((unsigned char)*p) || *p == '.'; p++) {
            if (*p == '.') {
                if (scale)
                    return err_set(err, ERR_USAGE, "invalid duration '%s'", text);
                scale = 1;
                continue;
            }
            if (scale)
                n += (*p - '0') * (scale /= 10);
            else
                n = n * 10 + (*p - '0');
        }
        int64_t mult = 0;
        if (!*p || *p == ' ') {
            if (any)
                return err_set(err, ERR_USAGE, "invalid duration '%s': missing unit", text);
            mult = NS_PER_SEC; /* a bare number is seconds */
        } else {
            for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                size_t ulen = strlen(units[i].unit);
                if (!strncmp(p, units[i].unit, ulen) && !isalpha((unsigned char)p[ulen])) {
                    mult = units[i].ns;
                    p += ulen;
                    break;
                }
            }
            if (!mult)
                return err_set(err, ERR_USAGE,
                               "invalid duration '%s': unknown unit (use ms, s, m, h, d, w)",
                               text);
        }
        total += n * (double)mult;
        any = true;
    }
    while (*p == ' ')
        p++;
    if (*p || total > 9.2e18)
        return err_set(err, ERR_USAGE, "invalid duration '%s'", text);
    *out_ns = (int64_t)total;
    return true;
}

void
exec_duration_format(int64_t ns, char *buf, size_t size)
{
    if (ns < NS_PER_SEC) {
        snprintf(buf, size, "%.0fms", (double)ns / (double)NS_PER_MS);
    } else if (ns < 60 * NS_PER_SEC) {
        snprintf(buf, size, "%.2fs", (double)ns / (double)NS_PER_SEC);
    } else {
        int64_t s = ns / NS_PER_SEC;
        if (s < 3600)
            snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)(s % 60));
        else if (s < 86400)
            snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s % 3600 / 60));
        else
            snprintf(buf, size, "%dd%dh", (int)(s / 86400), (int)(s % 86400 / 3600));
    }
}
