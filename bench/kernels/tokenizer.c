/*
 * bench/kernels/tokenizer.c: a C-like lexer over generated source text;
 * character classes, branches, and an identifier hash.
 */
#include <string.h>

#include "bench_kernel.h"

enum { TOK_IDENT, TOK_NUMBER, TOK_STRING, TOK_OP, TOK_COMMENT, TOK_KINDS };

static const char *const words[] = { "if", "else", "while", "return", "count", "value",
                                     "buffer", "x", "index_of", "parse_header", "len", "node" };
static const char *const ops[] = { "+", "-", "*", "/", "==", "!=", "<=", ">=", "&&", "||",
                                   "(", ")", "{", "}", ";", ",", "=", "->" };

/* Fill 'out' (of 'size' bytes) with plausible source text. */
static size_t
generate(char *out, size_t size, uint64_t *seed)
{
    size_t len = 0;
    while (len + 64 < size) {
        uint64_t r = kernel_rand(seed);
        const char *piece;
        char tmp[48];
        switch (r % 8) {
        case 0:
        case 1:
        case 2:
            piece = words[(r >> 8) % (sizeof(words) / sizeof(words[0]))];
            break;
        case 3:
            snprintf(tmp, sizeof(tmp), "%u", (unsigned)(r >> 16) % 100000);
            piece = tmp;
            break;
        case 4:
            piece = (r >> 8) & 1 ? "\"a string with \\\"escapes\\\"\"" : "\"short\"";
            break;
        case 5:
            piece = (r >> 8) & 3 ? "\n" : "/* a comment */\n";
            break;
        default:
            piece = ops[(r >> 8) % (sizeof(ops) / sizeof(ops[0]))];
            break;
        }
        size_t n = strlen(piece);
        memcpy(out + len, piece, n);
        len += n;
        out[len++] = ' ';
    }
    out[len] = '\0';
    return len;
}

static int
is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int
main(int argc, char **argv)
{
    unsigned scale = kernel_scale(argc, argv);
    size_t size = 4u << 20;
    char *text = malloc(size);
    if (!text)
        return 1;
    uint64_t seed = 77;
    size_t len = generate(text, size, &seed);
    unsigned reps = (24 * scale + 99) / 100;
    uint64_t counts[TOK_KINDS] = { 0 };
    uint32_t ident_hash = 2166136261u;
    for (unsigned r = 0; r < reps; r++) {
        const char *p = text, *end = text + len;
        while (p < end) {
            char c = *p;
            if (c == ' ' || c == '\n' || c == '\t') {
                p++;
            } else if (is_ident_start(c)) {
                while (p < end && (is_ident_start(*p) || is_digit(*p))) {
                    ident_hash = (ident_hash ^ (uint8_t)*p) * 16777619u;
                    p++;
                }
                counts[TOK_IDENT]++;
            } else if (is_digit(c)) {
                while (p < end && is_digit(*p))
                    p++;
                counts[TOK_NUMBER]++;
            } else if (c == '"') {
                p++;
                while (p < end && *p != '"')
                    p += (*p == '\\') ? 2 : 1;
                p++;
                counts[TOK_STRING]++;
            } else if (c == '/' && p + 1 < end && p[1] == '*') {
                /* a plain scan: some libcs' strstr measure the whole haystack first */
                p += 2;
                while (p + 1 < end && !(p[0] == '*' && p[1] == '/'))
                    p++;
                p = p + 1 < end ? p + 2 : end;
                counts[TOK_COMMENT]++;
            } else {
                /* two-character operators first */
                if (p + 1 < end && ((c == '=' && p[1] == '=') || (c == '!' && p[1] == '=')
                                    || (c == '<' && p[1] == '=') || (c == '>' && p[1] == '=')
                                    || (c == '&' && p[1] == '&') || (c == '|' && p[1] == '|')
                                    || (c == '-' && p[1] == '>')))
                    p += 2;
                else
                    p++;
                counts[TOK_OP]++;
            }
        }
    }
    printf("tokenizer: %llu %llu %llu %llu %llu %u\n", (unsigned long long)counts[0],
           (unsigned long long)counts[1], (unsigned long long)counts[2],
           (unsigned long long)counts[3], (unsigned long long)counts[4], (unsigned)ident_hash);
    free(text);
    return 0;
}
