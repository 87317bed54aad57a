/* examples/04-pipeline/wasm/classify.c: stage 3 of the pipeline
 * walkthrough. Reads the enriched records transform wrote and adds a class
 * to each. A WASI Preview 1 command.
 *
 *   classify ENRICHED.jsonl OUTPUT.jsonl
 *
 * Every record gets two fields, "class" and "class_reason":
 *   invalid     the record has errors (from transform)
 *   enterprise  amount_usd >= 10000
 *   business    amount_usd >= 1000, or any amount from a company domain
 *               (not a free mail provider) and at least 500
 *   consumer    everything else
 * The rules are ordered; the first that applies wins.
 *
 * Exit status: 0 (prints "classify: N records (enterprise A, business B,
 * consumer C, invalid D) -> OUTPUT"); 2 on a usage or I/O error or a line
 * that is not a JSON object ("INPUT:LINE: ...").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../02-jsonschema/json.h"

#define MAX_FILE_BYTES ((size_t)256 * 1024 * 1024)

enum klass { CLASS_ENTERPRISE, CLASS_BUSINESS, CLASS_CONSUMER, CLASS_INVALID, CLASS_COUNT };

static const char *const class_names[CLASS_COUNT] = { "enterprise", "business", "consumer",
                                                      "invalid" };

static const char *const free_mail[] = { "gmail.com", "googlemail.com", "yahoo.com",
                                         "outlook.com", "hotmail.com", "icloud.com",
                                         "proton.me", "gmx.de", "web.de" };

static bool
is_free_mail(const char *domain)
{
    for (size_t i = 0; i < sizeof(free_mail) / sizeof(free_mail[0]); i++)
        if (strcmp(domain, free_mail[i]) == 0)
            return true;
    return false;
}

static enum klass
classify(const struct json *rec, char *reason, size_t cap)
{
    const struct json *errors = json_get(rec, "errors");
    if (errors && errors->type == JSON_ARRAY && errors->count > 0) {
        snprintf(reason, cap, "%zu field error%s", errors->count, errors->count == 1 ? "" : "s");
        return CLASS_INVALID;
    }
    const struct json *usd = json_get(rec, "amount_usd");
    if (usd == NULL || usd->type != JSON_NUMBER) {
        snprintf(reason, cap, "no amount_usd");
        return CLASS_INVALID;
    }
    double amount = usd->number;
    const struct json *domain = json_get(rec, "email_domain");
    bool company = domain && domain->type == JSON_STRING && !is_free_mail(domain->str);
    if (amount >= 10000) {
        snprintf(reason, cap, "amount_usd >= 10000");
        return CLASS_ENTERPRISE;
    }
    if (amount >= 1000) {
        snprintf(reason, cap, "amount_usd >= 1000");
        return CLASS_BUSINESS;
    }
    if (company && amount >= 500) {
        snprintf(reason, cap, "company domain and amount_usd >= 500");
        return CLASS_BUSINESS;
    }
    snprintf(reason, cap, "amount_usd < 1000");
    return CLASS_CONSUMER;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: classify ENRICHED.jsonl OUTPUT.jsonl\n"
              "Adds \"class\" and \"class_reason\" to each record written by transform.\n",
              stderr);
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
    size_t counts[CLASS_COUNT] = { 0 };
    size_t total = 0;
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
            blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
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
        char reason[96];
        enum klass k = classify(rec, reason, sizeof(reason));
        counts[k]++;
        total++;
        json_object_set_take(rec, "class", json_new_string(class_names[k],
                                                           strlen(class_names[k])));
        json_object_set_take(rec, "class_reason", json_new_string(reason, strlen(reason)));
        json_write(out, rec);
        fputc('\n', out);
        json_free(rec);
    }
    free(text);
    if (fclose(out) != 0) {
        fprintf(stderr, "%s: cannot write: %s\n", argv[2], strerror(errno));
        return 2;
    }
    printf("classify: %zu record%s (enterprise %zu, business %zu, consumer %zu, invalid %zu)"
           " -> %s\n", total, total == 1 ? "" : "s", counts[CLASS_ENTERPRISE],
           counts[CLASS_BUSINESS], counts[CLASS_CONSUMER], counts[CLASS_INVALID], argv[2]);
    return fflush(stdout) == 0 ? 0 : 2;
}
