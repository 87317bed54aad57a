/* examples/03-agent-ops/wasm/classify-intent.c: classifies a short text's
 * intent with a keyword model and prints the label (e.g.
 * "cancel_subscription"). A WASI Preview 1 command used by ops.perch
 * (walkthrough 3).
 *
 *   classify-intent TEXT...
 *
 * The model is read from /ro/models/intents.txt (ops.perch mounts the
 * models/ directory); the environment variable CLASSIFY_MODEL names another
 * file. Model format, one rule per line, '#' starts a comment:
 *
 *   LABEL  WEIGHT  PHRASE...
 *   cancel_subscription  3  cancel my subscription
 *
 * The text is lower-cased and split into words (letters, digits and
 * apostrophes). Each rule whose phrase occurs in the text as consecutive
 * words adds WEIGHT (a positive integer) to its label, once per occurrence.
 * The label with the highest score wins; a tie goes to the label that comes
 * first in the model. With no match the label is "unknown".
 *
 * Exit status: 0; 2 on a usage error or an unreadable or malformed model.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MODEL "/ro/models/intents.txt"
#define MAX_MODEL_BYTES (1u * 1024 * 1024)
#define MAX_WORDS 4096
#define MAX_PHRASE_WORDS 8
#define MAX_LABELS 256

struct rule {
    int label;                          /* index into labels[] */
    long weight;
    char *words[MAX_PHRASE_WORDS];
    size_t count;
};

struct model {
    char *labels[MAX_LABELS];
    size_t label_count;
    struct rule *rules;
    size_t rule_count;
    size_t rule_cap;
};

static void
oom(void)
{
    fputs("classify-intent: out of memory\n", stderr);
    exit(2);
}

static bool
is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '\'' || (unsigned char)c >= 0x80;
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Splits 's' in place into lower-case words; returns how many were stored. */
static size_t
split_words(char *s, char **out, size_t cap)
{
    size_t count = 0;
    while (*s) {
        while (*s && !is_word_char(*s))
            s++;
        if (!*s)
            break;
        char *w = s;
        while (*s && is_word_char(*s)) {
            *s = lower(*s);
            s++;
        }
        if (*s)
            *s++ = '\0';
        /* Leading and trailing apostrophes are quotes, not part of words. */
        while (*w == '\'')
            w++;
        size_t n = strlen(w);
        while (n > 0 && w[n - 1] == '\'')
            w[--n] = '\0';
        if (n == 0)
            continue;
        if (count == cap)
            return count;
        out[count++] = w;
    }
    return count;
}

static int
label_index(struct model *m, const char *label, const char *path, int lineno)
{
    for (size_t i = 0; i < m->label_count; i++)
        if (strcmp(m->labels[i], label) == 0)
            return (int)i;
    if (m->label_count == MAX_LABELS) {
        fprintf(stderr, "%s:%d: more than %d labels\n", path, lineno, MAX_LABELS);
        exit(2);
    }
    size_t n = strlen(label) + 1;
    m->labels[m->label_count] = malloc(n);
    if (m->labels[m->label_count] == NULL)
        oom();
    memcpy(m->labels[m->label_count], label, n);
    return (int)m->label_count++;
}

/* Reads the model; exits 2 with a message on any problem. The rules' words
 * point into '*out_text', which the caller frees. */
static void
load_model(struct model *m, const char *path, char **out_text)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "classify-intent: cannot open model %s: %s%s\n", path, strerror(errno),
                strcmp(path, DEFAULT_MODEL) == 0
                    ? " (mount the models directory: wasm_mount_read \"${script_dir}/models\")"
                    : "");
        exit(2);
    }
    char *text = malloc(MAX_MODEL_BYTES + 1);
    if (text == NULL)
        oom();
    size_t len = fread(text, 1, MAX_MODEL_BYTES + 1, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad || len > MAX_MODEL_BYTES) {
        fprintf(stderr, "%s: %s\n", path, bad ? "cannot read" : "model larger than 1 MiB");
        exit(2);
    }
    text[len] = '\0';
    *out_text = text;

    int lineno = 0;
    char *line = text;
    while (line != NULL && *line) {
        lineno++;
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *next = nl ? nl + 1 : NULL;

        char *fields[2 + MAX_PHRASE_WORDS + 1];
        size_t n = 0;
        for (char *tok = strtok(line, " \t\r"); tok && n < sizeof(fields) / sizeof(fields[0]);
             tok = strtok(NULL, " \t\r"))
            fields[n++] = tok;
        line = next;
        if (n == 0)
            continue;
        char *end;
        long weight = n >= 2 ? strtol(fields[1], &end, 10) : 0;
        if (n < 3 || *end != '\0' || weight <= 0 || weight > 1000) {
            fprintf(stderr, "%s:%d: expected 'LABEL WEIGHT PHRASE...' with WEIGHT 1..1000\n",
                    path, lineno);
            exit(2);
        }
        if (n > 2 + MAX_PHRASE_WORDS) {
            fprintf(stderr, "%s:%d: a phrase has at most %d words\n", path, lineno,
                    MAX_PHRASE_WORDS);
            exit(2);
        }
        if (m->rule_count == m->rule_cap) {
            m->rule_cap = m->rule_cap ? m->rule_cap * 2 : 64;
            m->rules = realloc(m->rules, m->rule_cap * sizeof(*m->rules));
            if (m->rules == NULL)
                oom();
        }
        struct rule *r = &m->rules[m->rule_count++];
        r->label = label_index(m, fields[0], path, lineno);
        r->weight = weight;
        r->count = 0;
        for (size_t i = 2; i < n; i++) {
            /* Normalise the phrase the way the text is normalised. */
            char *w[MAX_PHRASE_WORDS];
            size_t got = split_words(fields[i], w, MAX_PHRASE_WORDS);
            for (size_t k = 0; k < got && r->count < MAX_PHRASE_WORDS; k++)
                r->words[r->count++] = w[k];
        }
        if (r->count == 0) {
            fprintf(stderr, "%s:%d: the phrase has no words\n", path, lineno);
            exit(2);
        }
    }
    if (m->rule_count == 0) {
        fprintf(stderr, "%s: the model has no rules\n", path);
        exit(2);
    }
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: classify-intent TEXT...\n"
              "Prints the intent label of TEXT (model: " DEFAULT_MODEL
              ", or $CLASSIFY_MODEL).\n", stderr);
        return 2;
    }
    size_t total = 0;
    for (int i = 1; i < argc; i++)
        total += strlen(argv[i]) + 1;
    char *text = malloc(total + 1);
    if (text == NULL)
        oom();
    text[0] = '\0';
    for (int i = 1; i < argc; i++) {
        strcat(text, argv[i]);
        strcat(text, " ");
    }
    static char *words[MAX_WORDS];
    size_t word_count = split_words(text, words, MAX_WORDS);

    const char *path = getenv("CLASSIFY_MODEL");
    if (path == NULL || *path == '\0')
        path = DEFAULT_MODEL;
    struct model m = { 0 };
    char *model_text = NULL;
    load_model(&m, path, &model_text);

    long scores[MAX_LABELS] = { 0 };
    for (size_t r = 0; r < m.rule_count; r++) {
        const struct rule *rule = &m.rules[r];
        for (size_t i = 0; i + rule->count <= word_count; i++) {
            size_t k = 0;
            while (k < rule->count && strcmp(words[i + k], rule->words[k]) == 0)
                k++;
            if (k == rule->count)
                scores[rule->label] += rule->weight;
        }
    }
    int best = -1;
    for (size_t i = 0; i < m.label_count; i++)
        if (scores[i] > 0 && (best < 0 || scores[i] > scores[best]))
            best = (int)i;
    printf("%s\n", best < 0 ? "unknown" : m.labels[best]);

    for (size_t i = 0; i < m.label_count; i++)
        free(m.labels[i]);
    free(m.rules);
    free(model_text);
    free(text);
    return fflush(stdout) == 0 ? 0 : 2;
}
