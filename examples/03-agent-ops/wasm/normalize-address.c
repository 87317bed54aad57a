/* examples/03-agent-ops/wasm/normalize-address.c: normalises a US-style
 * postal address given on the command line and prints it on one line. A
 * WASI Preview 1 command used by ops.perch (walkthrough 3).
 *
 *   normalize-address "123 main st., nyc"     ->  123 Main Street, New York, NY
 *
 * Several arguments are joined with spaces. The address is split into
 * comma-separated parts (line breaks count as commas); then:
 *   - whitespace is collapsed, stray periods dropped, words title-cased;
 *   - street line (the first part): street-type abbreviations are spelled
 *     out when they end the street name (St -> Street, Ave -> Avenue, ...;
 *     "St" before a name is Saint), directions too (N -> North), unit words
 *     are normalised (Ste -> Suite, Apt -> Apt), ordinals read "5th",
 *     "PO Box" stays upper case;
 *   - city aliases expand to city and state (NYC -> New York, NY);
 *   - state names become their two-letter codes, codes are upper-cased;
 *     a ZIP code in its own part joins the state before it ("NY 10001");
 *   - a trailing country spelled "us", "usa" or "united states" reads USA.
 * Exit status: 0, or 2 on a usage error (no address).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT 4096
#define MAX_PARTS 16
#define MAX_WORDS 64

struct pair {
    const char *from;
    const char *to;
};

/* Street types, USPS abbreviations and common variants. */
static const struct pair street_types[] = {
    { "st", "Street" },     { "str", "Street" },    { "ave", "Avenue" },   { "av", "Avenue" },
    { "rd", "Road" },       { "blvd", "Boulevard" }, { "dr", "Drive" },    { "ln", "Lane" },
    { "ct", "Court" },      { "pl", "Place" },      { "sq", "Square" },    { "hwy", "Highway" },
    { "pkwy", "Parkway" },  { "ter", "Terrace" },   { "cir", "Circle" },   { "trl", "Trail" },
    { "expy", "Expressway" }, { "fwy", "Freeway" },  { "aly", "Alley" },   { "plz", "Plaza" },
    { "way", "Way" },
};

static const struct pair directions[] = {
    { "n", "North" }, { "s", "South" }, { "e", "East" }, { "w", "West" },
    { "ne", "Northeast" }, { "nw", "Northwest" }, { "se", "Southeast" }, { "sw", "Southwest" },
};

static const struct pair units[] = {
    { "apt", "Apt" }, { "apartment", "Apt" }, { "ste", "Suite" }, { "suite", "Suite" },
    { "unit", "Unit" }, { "fl", "Floor" }, { "flr", "Floor" }, { "rm", "Room" },
    { "bldg", "Building" },
};

/* Whole-part city aliases: "to" is "City, ST". */
static const struct pair city_aliases[] = {
    { "nyc", "New York, NY" },        { "new york city", "New York, NY" },
    { "sf", "San Francisco, CA" },    { "philly", "Philadelphia, PA" },
    { "washington dc", "Washington, DC" }, { "dc", "Washington, DC" },
    { "nola", "New Orleans, LA" },    { "vegas", "Las Vegas, NV" },
};

static const struct pair states[] = {
    { "alabama", "AL" }, { "alaska", "AK" }, { "arizona", "AZ" }, { "arkansas", "AR" },
    { "california", "CA" }, { "colorado", "CO" }, { "connecticut", "CT" },
    { "delaware", "DE" }, { "district of columbia", "DC" }, { "florida", "FL" },
    { "georgia", "GA" }, { "hawaii", "HI" }, { "idaho", "ID" }, { "illinois", "IL" },
    { "indiana", "IN" }, { "iowa", "IA" }, { "kansas", "KS" }, { "kentucky", "KY" },
    { "louisiana", "LA" }, { "maine", "ME" }, { "maryland", "MD" },
    { "massachusetts", "MA" }, { "michigan", "MI" }, { "minnesota", "MN" },
    { "mississippi", "MS" }, { "missouri", "MO" }, { "montana", "MT" },
    { "nebraska", "NE" }, { "nevada", "NV" }, { "new hampshire", "NH" },
    { "new jersey", "NJ" }, { "new mexico", "NM" }, { "new york", "NY" },
    { "north carolina", "NC" }, { "north dakota", "ND" }, { "ohio", "OH" },
    { "oklahoma", "OK" }, { "oregon", "OR" }, { "pennsylvania", "PA" },
    { "rhode island", "RI" }, { "south carolina", "SC" }, { "south dakota", "SD" },
    { "tennessee", "TN" }, { "texas", "TX" }, { "utah", "UT" }, { "vermont", "VT" },
    { "virginia", "VA" }, { "washington", "WA" }, { "west virginia", "WV" },
    { "wisconsin", "WI" }, { "wyoming", "WY" }, { "puerto rico", "PR" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

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
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Case-insensitive equality of a word with a lower-case table entry. */
static bool
word_is(const char *word, const char *entry)
{
    for (; *word && *entry; word++, entry++)
        if (lower(*word) != *entry)
            return false;
    return *word == '\0' && *entry == '\0';
}

static const char *
lookup(const struct pair *table, size_t count, const char *word)
{
    for (size_t i = 0; i < count; i++)
        if (word_is(word, table[i].from))
            return table[i].to;
    return NULL;
}

static bool
is_state_code(const char *word)
{
    if (strlen(word) != 2)
        return false;
    for (size_t i = 0; i < COUNT(states); i++)
        if (lower(word[0]) == lower(states[i].to[0]) && lower(word[1]) == lower(states[i].to[1]))
            return true;
    return false;
}

static bool
is_zip(const char *w)
{
    size_t n = strlen(w);
    if (n != 5 && n != 10)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (i == 5 ? w[i] != '-' : !is_digit(w[i]))
            return false;
    }
    return true;
}

/* Title case: upper-case the first letter of each run of letters that
 * starts the word or follows '-', '\'' or '.', lower-case the rest. */
static void
title_case(char *w)
{
    bool start = true;
    for (; *w; w++) {
        if (is_alpha(*w)) {
            *w = start ? upper(*w) : lower(*w);
            start = false;
        } else {
            start = *w == '-' || *w == '\'' || *w == '.';
        }
    }
}

/* "5TH" -> "5th", "12b" -> "12B": a word starting with a digit. */
static void
number_case(char *w)
{
    size_t n = strlen(w);
    size_t digits = 0;
    while (digits < n && is_digit(w[digits]))
        digits++;
    bool ordinal = n == digits + 2 && digits > 0 &&
                   (word_is(w + digits, "st") || word_is(w + digits, "nd") ||
                    word_is(w + digits, "rd") || word_is(w + digits, "th"));
    for (size_t i = digits; i < n; i++)
        w[i] = ordinal ? lower(w[i]) : upper(w[i]);
}

struct part {
    char *words[MAX_WORDS];
    size_t count;
};

/* The output line. Every word expands to at most a few times its length,
 * and put() truncates rather than overflow. */
struct out {
    char buf[MAX_INPUT * 4];
    size_t len;
};

static void
put(struct out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + n + 1 > sizeof(o->buf))
        n = sizeof(o->buf) - o->len - 1;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* The street line: expand types, directions and units. */
static void
put_street(struct out *o, struct part *p)
{
    for (size_t i = 0; i < p->count; i++) {
        char *w = p->words[i];
        const char *next = i + 1 < p->count ? p->words[i + 1] : NULL;
        const char *after = i + 2 < p->count ? p->words[i + 2] : NULL;
        bool ends_name = next == NULL || lookup(units, COUNT(units), next) != NULL ||
                         next[0] == '#' ||
                         (lookup(directions, COUNT(directions), next) != NULL &&
                          (after == NULL || lookup(units, COUNT(units), after) != NULL ||
                           after[0] == '#'));
        const char *rep = NULL;
        if (i > 0 && word_is(w, "st") && !ends_name)
            rep = "Saint";
        else if (i > 0 && ends_name)
            rep = lookup(street_types, COUNT(street_types), w);
        if (rep == NULL && i > 0 && !lookup(units, COUNT(units), p->words[i - 1]))
            rep = lookup(directions, COUNT(directions), w);
        if (rep == NULL)
            rep = lookup(units, COUNT(units), w);
        if (i > 0)
            put(o, " ");
        if (rep != NULL) {
            put(o, rep);
        } else if (word_is(w, "po") && next && word_is(next, "box")) {
            put(o, "PO");
        } else if (word_is(w, "p.o.") || word_is(w, "p.o")) {
            put(o, "PO");
        } else if (is_digit(w[0]) || w[0] == '#') {
            number_case(w);
            put(o, w);
        } else if (i > 0 && lookup(units, COUNT(units), p->words[i - 1]) && strlen(w) <= 3) {
            for (char *c = w; *c; c++)
                *c = upper(*c);
            put(o, w); /* "Apt b" -> "Apt B" */
        } else {
            title_case(w);
            put(o, w);
        }
    }
}

/* Joins a part's words with single spaces into 'dst' (lower-cased). */
static void
join_lower(const struct part *p, size_t from, size_t to, char *dst, size_t cap)
{
    size_t len = 0;
    dst[0] = '\0';
    for (size_t i = from; i < to; i++) {
        for (const char *c = p->words[i]; *c && len + 2 < cap; c++)
            dst[len++] = lower(*c);
        if (i + 1 < to && len + 2 < cap)
            dst[len++] = ' ';
    }
    dst[len] = '\0';
}

/* A part after the street line: city, "ST 12345", "Illinois 62701", ... */
static void
put_place(struct out *o, struct part *p, bool is_city, const char **io_alias_state)
{
    char joined[MAX_INPUT];
    /* A city alias, alone or followed by a ZIP ("washington dc 20500"). */
    bool has_zip = p->count >= 2 && is_zip(p->words[p->count - 1]);
    join_lower(p, 0, p->count - has_zip, joined, sizeof(joined));
    const char *alias = lookup(city_aliases, COUNT(city_aliases), joined);
    if (alias != NULL) {
        put(o, alias);
        if (has_zip) {
            put(o, " ");
            put(o, p->words[p->count - 1]);
        }
        *io_alias_state = alias + strlen(alias) - 2;
        return;
    }
    /* A leading full state name ("new york 10001"), longest first. */
    size_t state_words = 0;
    const char *code = NULL;
    for (size_t k = p->count; k >= 1 && code == NULL && !is_city; k--) {
        join_lower(p, 0, k, joined, sizeof(joined));
        code = lookup(states, COUNT(states), joined);
        if (code)
            state_words = k;
    }
    /* Only when the rest is a ZIP (or nothing) is it a state and not a city. */
    if (code != NULL && !(state_words == p->count ||
                          (state_words + 1 == p->count && is_zip(p->words[state_words]))))
        code = NULL;
    size_t i = 0;
    if (code != NULL) {
        put(o, code);
        i = state_words;
    }
    for (; i < p->count; i++) {
        char *w = p->words[i];
        if (i > 0)
            put(o, " ");
        if (is_state_code(w) && (i + 1 == p->count || is_zip(p->words[i + 1])) &&
            (i > 0 || p->count <= 2)) {
            w[0] = upper(w[0]);
            w[1] = upper(w[1]);
            put(o, w);
        } else if (is_digit(w[0])) {
            number_case(w);
            put(o, w);
        } else {
            title_case(w);
            put(o, w);
        }
    }
}

int
main(int argc, char **argv)
{
    static char input[MAX_INPUT];
    size_t len = 0;
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (len + n + 2 > sizeof(input)) {
            fprintf(stderr, "normalize-address: address longer than %d bytes\n", MAX_INPUT - 2);
            return 2;
        }
        if (len > 0)
            input[len++] = ' ';
        memcpy(input + len, argv[i], n);
        len += n;
    }
    input[len] = '\0';

    /* Split into parts and words in place. */
    static struct part parts[MAX_PARTS];
    size_t part_count = 0;
    struct part *cur = NULL;
    char *s = input;
    while (*s) {
        if (*s == ',' || *s == '\n' || *s == ';') {
            *s++ = '\0';
            cur = NULL;
            continue;
        }
        if (*s == ' ' || *s == '\t' || *s == '\r') {
            *s++ = '\0';
            continue;
        }
        char *w = s;
        while (*s && *s != ',' && *s != '\n' && *s != ';' && *s != ' ' && *s != '\t' &&
               *s != '\r')
            s++;
        bool ends_part = *s == ',' || *s == '\n' || *s == ';';
        if (*s)
            *s++ = '\0';
        /* Drop trailing periods ("St." -> "St"), keeping "P.O.". */
        size_t wn = strlen(w);
        if (!word_is(w, "p.o."))
            while (wn > 0 && w[wn - 1] == '.')
                w[--wn] = '\0';
        if (wn > 0) {
            if (cur == NULL) {
                if (part_count == MAX_PARTS) {
                    fprintf(stderr, "normalize-address: more than %d comma-separated parts\n",
                            MAX_PARTS);
                    return 2;
                }
                cur = &parts[part_count++];
            }
            if (cur->count == MAX_WORDS) {
                fprintf(stderr, "normalize-address: more than %d words in one part\n",
                        MAX_WORDS);
                return 2;
            }
            cur->words[cur->count++] = w;
        }
        if (ends_part)
            cur = NULL;
    }
    if (part_count == 0) {
        fputs("usage: normalize-address ADDRESS...\n"
              "Prints a US-style postal address in a normal form, e.g.\n"
              "  normalize-address \"123 main st., nyc\"  ->  123 Main Street, New York, NY\n",
              stderr);
        return 2;
    }

    static struct out o;
    put_street(&o, &parts[0]);
    const char *alias_state = NULL;
    for (size_t i = 1; i < part_count; i++) {
        struct part *p = &parts[i];
        char joined[MAX_INPUT];
        join_lower(p, 0, p->count, joined, sizeof(joined));
        if (i + 1 == part_count && (!strcmp(joined, "us") || !strcmp(joined, "usa") ||
                                    !strcmp(joined, "u.s.a") || !strcmp(joined, "united states") ||
                                    !strcmp(joined, "united states of america"))) {
            put(&o, ", USA");
            continue;
        }
        /* A ZIP on its own after a state: "NY, 10001" -> "NY 10001". */
        if (p->count == 1 && is_zip(p->words[0]) && o.len >= 2 &&
            is_state_code(o.buf + o.len - 2)) {
            put(&o, " ");
            put(&o, p->words[0]);
            continue;
        }
        /* The alias already gave the state: "NYC, NY 10001" keeps one "NY". */
        if (alias_state != NULL && p->count >= 1 && strlen(p->words[0]) == 2 &&
            lower(p->words[0][0]) == lower(alias_state[0]) &&
            lower(p->words[0][1]) == lower(alias_state[1])) {
            for (size_t k = 1; k < p->count; k++) {
                put(&o, " ");
                put(&o, p->words[k]);
            }
            alias_state = NULL;
            continue;
        }
        put(&o, ", ");
        put_place(&o, p, i == 1, &alias_state);
    }
    printf("%s\n", o.buf);
    return fflush(stdout) == 0 ? 0 : 2;
}
