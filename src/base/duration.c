/* duration.c: parsing and printing durations (see duration.h). */
#include "base/duration.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

#define NS_US INT64_C(1000)
#define NS_MS INT64_C(1000000)
#define NS_S  INT64_C(1000000000)
#define NS_M  (60 * NS_S)
#define NS_H  (60 * NS_M)
#define NS_D  (24 * NS_H)
#define NS_W  (7 * NS_D)

struct unit {
    const char *name;
    int64_t ns;
};

/* Longer names first where one is a prefix of another ("ms" before "m"). */
static const struct unit units[] = {
    { "ns", 1 },   { "us", NS_US }, { "\xc2\xb5s", NS_US }, { "ms", NS_MS }, { "s", NS_S },
    { "m", NS_M }, { "h", NS_H },   { "d", NS_D },          { "w", NS_W },
};

static const struct unit *
match_unit(const char *p, size_t *out_len)
{
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t n = strlen(units[i].name);
        if (strncmp(p, units[i].name, n) == 0) {
            *out_len = n;
            return &units[i];
        }
    }
    return NULL;
}

/* whole * unit + frac_num / frac_den * unit, checked for overflow. */
static bool
scale(uint64_t whole, uint64_t frac_num, uint64_t frac_den, int64_t unit_ns, int64_t *out)
{
    uint64_t u = (uint64_t)unit_ns;
    if (whole > (uint64_t)INT64_MAX / u)
        return false;
    uint64_t total = whole * u;
    /* frac_num < frac_den <= 10^18 keeps this in range via long double. */
    long double f = (long double)frac_num / (long double)frac_den * (long double)u;
    uint64_t extra = (uint64_t)(f + 0.5L);
    if (total > (uint64_t)INT64_MAX - extra)
        return false;
    *out = (int64_t)(total + extra);
    return true;
}

bool
duration_parse(const char *text, int64_t *out_ns, struct err *err)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    size_t len = strlen(p);
    while (len > 0 && isspace((unsigned char)p[len - 1]))
        len--;
    if (len == 0)
        return err_set(err, ERR_USAGE, "invalid duration '%s': empty", text);
    if (*p == '-')
        return err_set(err, ERR_USAGE, "invalid duration '%s': must not be negative", text);
    if (*p == '+')
        p++, len--;
    const char *end = p + len;
    int64_t total = 0;
    bool first = true;
    while (p < end) {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return err_set(err, ERR_USAGE, "invalid duration '%s': expected a number before '%.*s'",
                           text, (int)(end - p), p);
        uint64_t whole = 0, frac = 0, den = 1;
        bool any_digit = false;
        for (; p < end && isdigit((unsigned char)*p); p++) {
            if (whole > (UINT64_MAX - 9) / 10)
                return err_set(err, ERR_USAGE, "invalid duration '%s': too large", text);
            whole = whole * 10 + (uint64_t)(*p - '0');
            any_digit = true;
        }
        if (p < end && *p == '.') {
            p++;
            for (; p < end && isdigit((unsigned char)*p); p++) {
                if (den < UINT64_C(1000000000000000000)) {
                    frac = frac * 10 + (uint64_t)(*p - '0');
                    den *= 10;
                }
                any_digit = true;
            }
        }
        if (!any_digit)
            return err_set(err, ERR_USAGE, "invalid duration '%s': expected a number", text);
        int64_t unit_ns;
        if (p == end) {
            if (!first)
                return err_set(err, ERR_USAGE,
                               "invalid duration '%s': missing unit after the last number", text);
            unit_ns = NS_S; /* a bare number is seconds */
        } else {
            size_t ulen = 0;
            const struct unit *u = match_unit(p, &ulen);
            if (!u || (p + ulen < end && isalpha((unsigned char)p[ulen]))) {
                const char *q = p;
                while (q < end && !isdigit((unsigned char)*q) && *q != '.')
                    q++;
                return err_set(err, ERR_USAGE,
                               "invalid duration '%s': unknown unit '%.*s' (use ms, s, m, h, d "
                               "or w)",
                               text, (int)(q - p), p);
            }
            unit_ns = u->ns;
            p += ulen;
        }
        int64_t part;
        if (!scale(whole, frac, den, unit_ns, &part) || total > INT64_MAX - part)
            return err_set(err, ERR_USAGE, "invalid duration '%s': too large", text);
        total += part;
        first = false;
    }
    *out_ns = total;
    return true;
}

bool
duration_parse_ms(const char *text, int64_t *out_ms, struct err *err)
{
    int64_t ns;
    if (!duration_parse(text, &ns, err))
        return false;
    *out_ms = ns / NS_MS + (ns % NS_MS != 0);
    return true;
}

/* "<a><ua><b><ub>", dropping the second part when it is zero. */
static void
two_units(char *buf, size_t size, int64_t ns, int64_t big, const char *big_name, int64_t small,
          const char *small_name)
{
    int64_t a = ns / big;
    int64_t b = (ns % big) / small;
    if (b)
        snprintf(buf, size, "%lld%s%lld%s", (long long)a, big_name, (long long)b, small_name);
    else
        snprintf(buf, size, "%lld%s", (long long)a, big_name);
}

char *
duration_format(int64_t ns, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    if (ns < 0)
        ns = 0;
    if (ns == 0)
        snprintf(buf, size, "0ms");
    else if (ns < NS_US)
        snprintf(buf, size, "%lldns", (long long)ns);
    else if (ns < NS_MS)
        snprintf(buf, size, "%lld\xc2\xb5s", (long long)(ns / NS_US));
    else if (ns < NS_S)
        snprintf(buf, size, "%lldms", (long long)(ns / NS_MS));
    else if (ns < NS_M)
        snprintf(buf, size, "%lld.%llds", (long long)(ns / NS_S),
                 (long long)((ns % NS_S) / (NS_S / 10)));
    else if (ns < NS_H)
        two_units(buf, size, ns, NS_M, "m", NS_S, "s");
    else if (ns < NS_D)
        two_units(buf, size, ns, NS_H, "h", NS_M, "m");
    else
        two_units(buf, size, ns, NS_D, "d", NS_H, "h");
    return buf;
}
