/* examples/04-pipeline/wasm/transform.c: stage 2 of the pipeline
 * walkthrough. Reads the records extract wrote (JSON Lines, string fields)
 * and writes them normalised and enriched. A WASI Preview 1 command.
 *
 *   transform RECORDS.jsonl ENRICHED.jsonl
 *
 * Output fields, in this order, for every record:
 *   id            integer when the input is all digits, else the string
 *   name          whitespace collapsed; words in ALL CAPS or all lower case
 *                 title-cased
 *   email         trimmed, lower case
 *   email_domain  the part after '@' (null when the email is not valid)
 *   country       ISO 3166 alpha-2 code from a code or an English name
 *   amount        a number: spaces, thousands separators and a leading
 *                 currency sign ($, £, €) removed
 *   currency      the record's amount.currency, else the sign's, else USD
 *   amount_usd    amount at fixed example rates, rounded to cents
 *   signup        YYYY-MM-DD, from YYYY-MM-DD, YYYY/MM/DD or DD.MM.YYYY,
 *                 checked against the calendar
 *   signup_year   integer
 *   tags          lower-case, de-duplicated, from "tag"/"tags" (strings,
 *                 arrays, comma-separated lists)
 *   errors        one message per field that could not be normalised
 * A field that is missing or invalid is null and named in "errors"; the
 * record is still written, so the classify stage sees every record.
 *
 * Exit status: 0 (prints "transform: N records -> OUTPUT"); 2 on a usage or
 * I/O error or a line that is not a JSON object ("INPUT:LINE: ...").
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../02-jsonschema/json.h"

#define MAX_FILE_BYTES ((size_t)256 * 1024 * 1024)

struct pair {
    const char *from;
    const char *to;
};

static const struct pair countries[] = {
    { "uk", "GB" }, { "gb", "GB" }, { "united kingdom", "GB" }, { "great britain", "GB" },
    { "england", "GB" }, { "us", "US" }, { "usa", "US" }, { "united states", "US" },
    { "united states of america", "US" }, { "de", "DE" }, { "germany", "DE" },
    { "deutschland", "DE" }, { "fr", "FR" }, { "france", "FR" }, { "nl", "NL" },
    { "netherlands", "NL" }, { "holland", "NL" }, { "be", "BE" }, { "belgium", "BE" },
    { "ie", "IE" }, { "ireland", "IE" }, { "es", "ES" }, { "spain", "ES" }, { "it", "IT" },
    { "italy", "IT" }, { "pl", "PL" }, { "poland", "PL" }, { "pt", "PT" },
    { "portugal", "PT" }, { "se", "SE" }, { "sweden", "SE" }, { "ch", "CH" },
    { "switzerland", "CH" }, { "at", "AT" }, { "austria", "AT" }, { "ca", "CA" },
    { "canada", "CA" }, { "mx", "MX" }, { "mexico", "MX" }, { "br", "BR" },
    { "brazil", "BR" }, { "jp", "JP" }, { "japan", "JP" }, { "in", "IN" },
    { "india", "IN" }, { "au", "AU" }, { "australia", "AU" },
};

/* Fixed example rates (USD per unit): the pipeline must be deterministic. */
static const struct {
    const char *code;
    double usd;
} rates[] = {
    { "USD", 1.0 }, { "EUR", 1.08 }, { "GBP", 1.27 }, { "CHF", 1.13 },
    { "CAD", 0.73 }, { "AUD", 0.66 }, { "JPY", 0.0067 }, { "PLN", 0.25 },
};

static void
oom(void)
{
    fputs("transform: out of memory\n", stderr);
    exit(2);
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char
upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A field's text, or NULL when absent or not a string. */
static const char *
field(const struct json *rec, const char *key)
{
    const struct json *v = json_get(rec, key);
    return v && v->type == JSON_STRING ? v->str : NULL;
}

/* A copy of 's' with whitespace runs collapsed to one space and trimmed. */
static char *
collapse(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (out == NULL)
        oom();
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_space(s[i])) {
            if (len > 0 && out[len - 1] != ' ')
                out[len++] = ' ';
        } else {
            out[len++] = s[i];
        }
    }
    if (len > 0 && out[len - 1] == ' ')
        len--;
    out[len] = '\0';
    return out;
}

struct errors {
    struct json *list;
};

static void
add_error(struct errors *e, const char *field_name, const char *what, const char *value)
{
    char msg[256];
    if (value)
        snprintf(msg, sizeof(msg), "%s: %s '%.120s'", field_name, what, value);
    else
        snprintf(msg, sizeof(msg), "%s: %s", field_name, what);
    json_array_push_take(e->list, json_new_string(msg, strlen(msg)));
}

static struct json *
make_name(const struct json *rec, struct errors *e)
{
    const char *raw = field(rec, "name");
    if (raw == NULL) {
        add_error(e, "name", "missing", NULL);
        return json_new(JSON_NULL);
    }
    char *s = collapse(raw);
    if (*s == '\0') {
        free(s);
        add_error(e, "name", "empty", NULL);
        return json_new(JSON_NULL);
    }
    /* Words written in one case only ("ada", "LOVELACE") are title-cased;
     * mixed-case words ("McAdams") are left as they are. */
    for (char *w = s; *w;) {
        char *end = strchr(w, ' ');
        if (end == NULL)
            end = w + strlen(w);
        bool has_upper = false, has_lower = false;
        for (const char *c = w; c < end; c++) {
            has_upper |= *c >= 'A' && *c <= 'Z';
            has_lower |= *c >= 'a' && *c <= 'z';
        }
        if (has_upper != has_lower) {
            bool start = true;
            for (char *c = w; c < end; c++) {
                bool letter = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
                if (letter)
                    *c = start ? upper(*c) : lower(*c);
                start = !letter && (*c == '-' || *c == '\'');
            }
        }
        w = *end ? end + 1 : end;
    }
    struct json *v = json_new_string(s, strlen(s));
    free(s);
    return v;
}

/* Sets email and email_domain. */
static void
make_email(const struct json *rec, struct json *out, struct errors *e)
{
    const char *raw = field(rec, "email");
    if (raw == NULL) {
        add_error(e, "email", "missing", NULL);
        json_object_set_take(out, "email", json_new(JSON_NULL));
        json_object_set_take(out, "email_domain", json_new(JSON_NULL));
        return;
    }
    char *s = collapse(raw);
    for (char *c = s; *c; c++)
        *c = lower(*c);
    const char *at = strchr(s, '@');
    const char *domain = at ? at + 1 : NULL;
    bool ok = at != NULL && at != s && strchr(domain, '@') == NULL && strchr(s, ' ') == NULL &&
              strchr(domain, '.') != NULL && domain[0] != '.' &&
              domain[strlen(domain) - 1] != '.';
    json_object_set_take(out, "email", json_new_string(s, strlen(s)));
    if (ok) {
        json_object_set_take(out, "email_domain", json_new_string(domain, strlen(domain)));
    } else {
        add_error(e, "email", "not an address", s);
        json_object_set_take(out, "email_domain", json_new(JSON_NULL));
    }
    free(s);
}

static struct json *
make_country(const struct json *rec, struct errors *e)
{
    const char *raw = field(rec, "country");
    if (raw == NULL) {
        add_error(e, "country", "missing", NULL);
        return json_new(JSON_NULL);
    }
    char *s = collapse(raw);
    for (char *c = s; *c; c++)
        *c = lower(*c);
    for (size_t i = 0; i < sizeof(countries) / sizeof(countries[0]); i++) {
        if (strcmp(s, countries[i].from) == 0) {
            free(s);
            return json_new_string(countries[i].to, 2);
        }
    }
    add_error(e, "country", "unknown", raw);
    free(s);
    return json_new(JSON_NULL);
}

/* Sets amount, currency and amount_usd. */
static void
make_amount(const struct json *rec, struct json *out, struct errors *e)
{
    const char *raw = field(rec, "amount");
    const char *cur_attr = field(rec, "amount.currency");
    char currency[8] = "";
    double amount = NAN;
    if (raw == NULL) {
        add_error(e, "amount", "missing", NULL);
    } else {
        const char *s = raw;
        while (is_space(*s))
            s++;
        /* A leading currency sign (UTF-8 for £ and €). */
        if (*s == '$') {
            strcpy(currency, "USD");
            s++;
        } else if (!strncmp(s, "\xc2\xa3", 2)) {
            strcpy(currency, "GBP");
            s += 2;
        } else if (!strncmp(s, "\xe2\x82\xac", 3)) {
            strcpy(currency, "EUR");
            s += 3;
        }
        char digits[64];
        size_t n = 0;
        bool bad = false, seen_dot = false;
        for (; *s; s++) {
            if (is_space(*s) || *s == ',')
                continue;
            if (*s == '.' && !seen_dot) {
                seen_dot = true;
            } else if (!is_digit(*s) && !(*s == '-' && n == 0)) {
                bad = true;
                break;
            }
            if (n + 1 >= sizeof(digits)) {
                bad = true;
                break;
            }
            digits[n++] = *s;
        }
        digits[n] = '\0';
        if (!bad && n > 0 && is_digit(digits[n - 1]))
            amount = strtod(digits, NULL);
        if (isnan(amount))
            add_error(e, "amount", "not a number", raw);
    }
    if (cur_attr != NULL) {
        char *c = collapse(cur_attr);
        size_t n = strlen(c);
        if (n == 3) {
            for (size_t i = 0; i < 3; i++)
                currency[i] = upper(c[i]);
            currency[3] = '\0';
        } else {
            add_error(e, "currency", "not a currency code", cur_attr);
        }
        free(c);
    }
    if (currency[0] == '\0')
        strcpy(currency, "USD");
    double rate = NAN;
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
        if (strcmp(currency, rates[i].code) == 0)
            rate = rates[i].usd;
    if (isnan(rate))
        add_error(e, "currency", "no exchange rate for", currency);
    json_object_set_take(out, "amount", isnan(amount) ? json_new(JSON_NULL)
                                                      : json_new_number(amount));
    json_object_set_take(out, "currency", json_new_string(currency, strlen(currency)));
    if (isnan(amount) || isnan(rate))
        json_object_set_take(out, "amount_usd", json_new(JSON_NULL));
    else
        json_object_set_take(out, "amount_usd", json_new_number(round(amount * rate * 100) / 100));
}

static bool
parse_int(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return n > 0;
}

/* Sets signup and signup_year. */
static void
make_signup(const struct json *rec, struct json *out, struct errors *e)
{
    const char *raw = field(rec, "signup");
    int y = 0, m = 0, d = 0;
    bool ok = false;
    if (raw == NULL) {
        add_error(e, "signup", "missing", NULL);
    } else {
        char *s = collapse(raw);
        size_t n = strlen(s);
        if (n == 10 && (s[4] == '-' || s[4] == '/') && s[7] == s[4])
            ok = parse_int(s, 4, &y) && parse_int(s + 5, 2, &m) && parse_int(s + 8, 2, &d);
        else if (n == 10 && s[2] == '.' && s[5] == '.')
            ok = parse_int(s, 2, &d) && parse_int(s + 3, 2, &m) && parse_int(s + 6, 4, &y);
        if (ok) {
            static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
            bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            ok = y >= 1900 && m >= 1 && m <= 12 && d >= 1 &&
                 d <= days[m - 1] + (m == 2 && leap);
        }
        if (!ok)
            add_error(e, "signup", "not a date", s);
        free(s);
    }
    if (ok) {
        char iso[16];
        snprintf(iso, sizeof(iso), "%04d-%02d-%02d", y, m, d);
        json_object_set_take(out, "signup", json_new_string(iso, 10));
        json_object_set_take(out, "signup_year", json_new_number(y));
    } else {
        json_object_set_take(out, "signup", json_new(JSON_NULL));
        json_object_set_take(out, "signup_year", json_new(JSON_NULL));
    }
}

/* Adds each comma-separated tag in 's' to 'tags' (lower case, once). */
static void
add_tags(struct json *tags, const char *s)
{
    char *copy = collapse(s);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        char *t = collapse(tok);
        for (char *c = t; *c; c++)
            *c = lower(*c);
        bool dup = *t == '\0';
        for (size_t i = 0; i < tags->count && !dup; i++)
            dup = strcmp(tags->items[i]->str, t) == 0;
        if (!dup)
            json_array_push_take(tags, json_new_string(t, strlen(t)));
        free(t);
    }
    free(copy);
}

static struct json *
make_tags(const struct json *rec)
{
    struct json *tags = json_new(JSON_ARRAY);
    static const char *const keys[] = { "tag", "tags" };
    for (size_t k = 0; k < 2; k++) {
        const struct json *v = json_get(rec, keys[k]);
        if (v && v->type == JSON_STRING)
            add_tags(tags, v->str);
        else if (v && v->type == JSON_ARRAY)
            for (size_t i = 0; i < v->count; i++)
                if (v->items[i]->type == JSON_STRING)
                    add_tags(tags, v->items[i]->str);
    }
    return tags;
}

static struct json *
make_id(const struct json *rec, struct errors *e)
{
    const char *raw = field(rec, "id");
    if (raw == NULL) {
        add_error(e, "id", "missing", NULL);
        return json_new(JSON_NULL);
    }
    size_t n = strlen(raw);
    bool digits = n > 0 && n < 16;
    for (size_t i = 0; i < n && digits; i++)
        digits = is_digit(raw[i]);
    return digits ? json_new_number(strtod(raw, NULL)) : json_new_string(raw, n);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: transform RECORDS.jsonl ENRICHED.jsonl\n"
              "Normalises and enriches each record written by extract.\n", stderr);
        return 2;
    }
    char msg[200];
    size_t len;
    char *text = json_read_file(argv[1], MAX_FILE_BYTES, &len, msg, sizeof(msg));
    if (text == NULL) {
        fprintf(stderr, "%s: %s\n", argv[1], msg);
        return 2;
    }
    FILE *out = fopen(argv[2], "w");
    if (out == NULL) {
        fprintf(stderr, "%s: cannot create: %s\n", argv[2], strerror(errno));
        free(text);
        return 2;
    }
    size_t count = 0;
    unsigned lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        lineno++;
        const char *line = text + pos;
        size_t line_len = end - pos;
        pos = end + 1;
        bool blank = true;
        for (size_t i = 0; i < line_len && blank; i++)
            blank = is_space(line[i]);
        if (blank)
            continue;
        struct json_error err;
        struct json *rec = json_parse(line, line_len, &err);
        if (rec == NULL || rec->type != JSON_OBJECT) {
            fprintf(stderr, "%s:%u: %s%s\n", argv[1], lineno,
                    rec ? "expected a JSON object" : "invalid JSON: ", rec ? "" : err.msg);
            json_free(rec);
            fclose(out);
            free(text);
            return 2;
        }
        struct errors e = { json_new(JSON_ARRAY) };
        struct json *o = json_new(JSON_OBJECT);
        json_object_set_take(o, "id", make_id(rec, &e));
        json_object_set_take(o, "name", make_name(rec, &e));
        make_email(rec, o, &e);
        json_object_set_take(o, "country", make_country(rec, &e));
        make_amount(rec, o, &e);
        make_signup(rec, o, &e);
        json_object_set_take(o, "tags", make_tags(rec));
        json_object_set_take(o, "errors", e.list);
        json_write(out, o);
        fputc('\n', out);
        json_free(o);
        json_free(rec);
        count++;
    }
    free(text);
    if (fclose(out) != 0) {
        fprintf(stderr, "%s: cannot write: %s\n", argv[2], strerror(errno));
        return 2;
    }
    printf("transform: %zu record%s -> %s\n", count, count == 1 ? "" : "s", argv[2]);
    return fflush(stdout) == 0 ? 0 : 2;
}
