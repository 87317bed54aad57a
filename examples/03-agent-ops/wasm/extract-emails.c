/* examples/03-agent-ops/wasm/extract-emails.c: prints every email address
 * found in a text file, one per line, in order of first appearance, each
 * once. A WASI Preview 1 command used by ops.perch (walkthrough 3).
 *
 *   extract-emails FILE
 *
 * An address is LOCAL@DOMAIN where LOCAL is made of letters, digits and
 * . _ % + - (no leading, trailing or doubled dot, at most 64 bytes) and
 * DOMAIN is two or more dot-separated labels of letters, digits and '-'
 * (no label starts or ends with '-', at most 63 bytes each) ending in an
 * alphabetic top-level label of two or more letters. Punctuation around an
 * address ("<a@b.io>", "mailto:a@b.io", "a@b.io.") is not part of it.
 * The domain is printed in lower case; duplicates are found ignoring case.
 *
 * Exit status: 0 (also when nothing is found), 2 on a usage or I/O error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (16u * 1024 * 1024)
#define MAX_LOCAL 64
#define MAX_ADDRESS 254

static bool
is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_local_char(char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static bool
is_domain_char(char c)
{
    return is_alnum(c) || c == '.' || c == '-';
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Checks DOMAIN = text[start, *io_end) and shortens *io_end past trailing
 * punctuation; returns whether a valid domain remains. */
static bool
trim_domain(const char *text, size_t start, size_t *io_end)
{
    size_t end = *io_end;
    while (end > start && (text[end - 1] == '.' || text[end - 1] == '-'))
        end--;
    /* Walk the labels. */
    size_t labels = 0, label_start = start;
    for (size_t i = start; i <= end; i++) {
        if (i == end || text[i] == '.') {
            size_t n = i - label_start;
            if (n == 0 || n > 63 || text[label_start] == '-' || text[i - 1] == '-')
                return false;
            labels++;
            label_start = i + 1;
        }
    }
    if (labels < 2)
        return false;
    /* The last label: alphabetic, two letters or more. */
    size_t tld = end;
    while (tld > start && text[tld - 1] != '.')
        tld--;
    if (end - tld < 2)
        return false;
    for (size_t i = tld; i < end; i++)
        if (!is_alpha(text[i]))
            return false;
    *io_end = end;
    return true;
}

struct seen {
    char **items;
    size_t count;
    size_t cap;
};

/* Records 'key' (taken); returns false if it was already there. */
static bool
seen_add(struct seen *s, char *key)
{
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->items[i], key) == 0) {
            free(key);
            return false;
        }
    }
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **items = realloc(s->items, cap * sizeof(*items));
        if (items == NULL) {
            fputs("extract-emails: out of memory\n", stderr);
            exit(2);
        }
        s->items = items;
        s->cap = cap;
    }
    s->items[s->count++] = key;
    return true;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: extract-emails FILE\n"
              "Prints each email address found in FILE once, in order.\n", stderr);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open: %s\n", argv[1], strerror(errno));
        return 2;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + got > MAX_FILE_BYTES) {
            fprintf(stderr, "%s: file is larger than %u bytes\n", argv[1], MAX_FILE_BYTES);
            fclose(f);
            free(text);
            return 2;
        }
        if (len + got > cap) {
            cap = (len + got) * 2;
            char *t = realloc(text, cap);
            if (t == NULL) {
                fputs("extract-emails: out of memory\n", stderr);
                return 2;
            }
            text = t;
        }
        memcpy(text + len, chunk, got);
        len += got;
    }
    bool read_failed = ferror(f);
    fclose(f);
    if (read_failed) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        free(text);
        return 2;
    }

    struct seen seen = { 0 };
    size_t resume = 0; /* text before this offset belongs to an earlier match */
    for (size_t at = 0; at < len; at++) {
        if (text[at] != '@' || at < resume)
            continue;
        size_t start = at;
        while (start > resume && is_local_char(text[start - 1]))
            start--;
        while (start < at && text[start] == '.')
            start++;
        size_t end = at + 1;
        while (end < len && is_domain_char(text[end]))
            end++;
        size_t local_len = at - start;
        if (local_len == 0 || local_len > MAX_LOCAL || text[at - 1] == '.')
            continue;
        bool doubled = false;
        for (size_t i = start; i + 1 < at; i++)
            doubled |= text[i] == '.' && text[i + 1] == '.';
        if (doubled || !trim_domain(text, at + 1, &end))
            continue;
        if (end - start > MAX_ADDRESS)
            continue;
        /* An '@' right after the domain means this was not an address
         * ("a@b.c@d"): skip it whole. */
        if (end < len && text[end] == '@') {
            resume = end + 1;
            continue;
        }
        size_t n = end - start;
        char *out = malloc(n + 1);
        char *key = malloc(n + 1);
        if (out == NULL || key == NULL) {
            fputs("extract-emails: out of memory\n", stderr);
            return 2;
        }
        for (size_t i = 0; i < n; i++) {
            char c = text[start + i];
            out[i] = start + i > at ? lower(c) : c;
            key[i] = lower(c);
        }
        out[n] = key[n] = '\0';
        if (seen_add(&seen, key))
            printf("%s\n", out);
        free(out);
        resume = end;
        at = end - 1;
    }
    for (size_t i = 0; i < seen.count; i++)
        free(seen.items[i]);
    free(seen.items);
    free(text);
    return fflush(stdout) == 0 ? 0 : 2;
}
