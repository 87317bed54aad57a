/* examples/05-lint/wasm/golint.c: a small style linter for Go source files,
 * the module of the CI hot-loop walkthrough (5). A WASI Preview 1 command.
 *
 *   golint FILE...
 *
 * Prints one finding per line, "FILE:LINE: message", in line order:
 *   - line is N characters long (max 100)          (tabs count as one)
 *   - trailing whitespace
 *   - line ends with CRLF
 *   - indented with spaces (gofmt indents with tabs)
 *   - space before tab in indentation
 *   - TODO without an owner (write TODO(name): ...)   also FIXME and XXX
 *   - missing newline at end of file
 * The checks know Go's lexical structure: text inside raw strings (`...`,
 * which may span lines) is content, so its indentation and trailing spaces
 * are not findings; TODO is only looked for in comments, not in strings.
 *
 * Exit status: 0 when there are no findings, 1 when there are, 2 on a usage
 * or I/O error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE_CHARS 100
#define MAX_FILE_BYTES (16u * 1024 * 1024)

/* Lexical state carried from one line to the next. */
enum lex_state { LEX_CODE, LEX_BLOCK_COMMENT, LEX_RAW_STRING };

static bool
is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

/* Checks one comment's text (or one line of a block comment) for a leading
 * TODO, FIXME or XXX without "(owner)" right after it. Only a tag that
 * starts the comment counts: "// TODO: x" is a note, "// a TODO list" is
 * prose. */
static void
check_comment(const char *path, int lineno, const char *s, size_t n, int *findings)
{
    static const char *const tags[] = { "TODO", "FIXME", "XXX" };
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '*'))
        i++;
    for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
        size_t tn = strlen(tags[t]);
        if (i + tn > n || memcmp(s + i, tags[t], tn) != 0)
            continue;
        if (i + tn < n && is_word_char(s[i + tn]))
            continue;
        size_t j = i + tn;
        bool owned = false;
        if (j < n && s[j] == '(') {
            size_t k = j + 1;
            while (k < n && s[k] != ')')
                k++;
            owned = k < n && k > j + 1;
        }
        if (!owned) {
            printf("%s:%d: %s without an owner (write %s(name): ...)\n", path, lineno, tags[t],
                   tags[t]);
            (*findings)++;
        }
        return;
    }
}

/*
 * Scans one line (without its newline) for strings and comments, starting in
 * '*io_state', and runs the comment checks on comment text. Leaves the state
 * the next line starts in.
 */
static void
scan_line(const char *path, int lineno, const char *s, size_t n, enum lex_state *io_state,
          int *findings, bool report)
{
    size_t i = 0;
    while (i < n) {
        if (*io_state == LEX_BLOCK_COMMENT) {
            size_t start = i;
            while (i < n && !(s[i] == '*' && i + 1 < n && s[i + 1] == '/'))
                i++;
            if (report)
                check_comment(path, lineno, s + start, i - start, findings);
            if (i < n) {
                i += 2;
                *io_state = LEX_CODE;
            }
            continue;
        }
        if (*io_state == LEX_RAW_STRING) {
            while (i < n && s[i] != '`')
                i++;
            if (i < n) {
                i++;
                *io_state = LEX_CODE;
            }
            continue;
        }
        char c = s[i];
        if (c == '/' && i + 1 < n && s[i + 1] == '/') {
            if (report)
                check_comment(path, lineno, s + i + 2, n - i - 2, findings);
            return;
        }
        if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            i += 2;
            *io_state = LEX_BLOCK_COMMENT;
            continue;
        }
        if (c == '`') {
            i++;
            *io_state = LEX_RAW_STRING;
            continue;
        }
        if (c == '"' || c == '\'') {
            /* Interpreted string or rune literal: ends on this line. */
            i++;
            while (i < n && s[i] != c) {
                if (s[i] == '\\')
                    i++;
                i++;
            }
            i++;
            continue;
        }
        i++;
    }
}

/* Number of Unicode code points in s[0..n). */
static size_t
char_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            count++;
    return count;
}

/* Lints one file; returns the number of findings, or -1 on an I/O error. */
static int
lint_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    char chunk[8192];
    size_t got;
    bool too_big = false;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + got > MAX_FILE_BYTES) {
            too_big = true;
            break;
        }
        if (len + got > cap) {
            cap = (len + got) * 2;
            char *t = realloc(text, cap);
            if (t == NULL) {
                fclose(f);
                free(text);
                fputs("golint: out of memory\n", stderr);
                return -1;
            }
            text = t;
        }
        memcpy(text + len, chunk, got);
        len += got;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad || too_big) {
        fprintf(stderr, "%s: %s\n", path, bad ? "cannot read" : "file larger than 16 MiB");
        free(text);
        return -1;
    }

    int findings = 0;
    int lineno = 0;
    enum lex_state state = LEX_CODE;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        lineno++;
        pos = end + 1;
        bool in_raw = state == LEX_RAW_STRING; /* the line starts inside `...` */

        bool crlf = n > 0 && s[n - 1] == '\r';
        if (crlf)
            n--;
        /* Where the line ends: inside a raw string, its trailing spaces are
         * content. */
        enum lex_state end_state = state;
        scan_line(path, lineno, s, n, &end_state, &findings, false);
        size_t chars = char_count(s, n);
        if (chars > MAX_LINE_CHARS) {
            printf("%s:%d: line is %zu characters long (max %d)\n", path, lineno, chars,
                   MAX_LINE_CHARS);
            findings++;
        }
        if (end_state != LEX_RAW_STRING && n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
            printf("%s:%d: trailing whitespace\n", path, lineno);
            findings++;
        }
        if (crlf) {
            printf("%s:%d: line ends with CRLF\n", path, lineno);
            findings++;
        }
        if (!in_raw && state != LEX_BLOCK_COMMENT) {
            size_t ws = 0;
            while (ws < n && (s[ws] == ' ' || s[ws] == '\t'))
                ws++;
            if (ws < n) { /* blank lines are the trailing-whitespace check's */
                if (s[0] == ' ') {
                    printf("%s:%d: indented with spaces (gofmt indents with tabs)\n", path,
                           lineno);
                    findings++;
                } else if (memchr(s, ' ', ws) != NULL && memchr(s, '\t', ws) != NULL) {
                    const char *sp = memchr(s, ' ', ws);
                    if (memchr(sp, '\t', ws - (size_t)(sp - s)) != NULL) {
                        printf("%s:%d: space before tab in indentation\n", path, lineno);
                        findings++;
                    }
                }
            }
        }
        scan_line(path, lineno, s, n, &state, &findings, true);
    }
    if (len > 0 && text[len - 1] != '\n') {
        printf("%s:%d: missing newline at end of file\n", path, lineno);
        findings++;
    }
    free(text);
    return findings;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: golint FILE...\n"
              "Reports style problems in Go source files as FILE:LINE: message.\n"
              "Exit status: 0 clean, 1 findings, 2 usage or I/O error.\n", stderr);
        return 2;
    }
    int total = 0;
    bool io_error = false;
    for (int i = 1; i < argc; i++) {
        int n = lint_file(argv[i]);
        if (n < 0)
            io_error = true;
        else
            total += n;
    }
    if (fflush(stdout) != 0)
        return 2;
    return io_error ? 2 : total > 0 ? 1 : 0;
}
