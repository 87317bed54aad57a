/*
 * tests/fuzz/fuzz_lang_parse.c: libFuzzer target for the .perch front end.
 *
 * Feeds arbitrary bytes to the lexer, parser, import resolver, template
 * expander and checker, then walks the whole tree (dump) and prints the
 * diagnostics. Imports are served from memory: "fuzz/lib.perch" is a small
 * fixed library, "fuzz/self.perch" and "fuzz/main.perch" are the input
 * itself again, and any other file is missing. So imports, import cycles and namespaced copies
 * are exercised without touching the disk.
 * Besides "never crash, never hang, never leak", it checks the load
 * contract: a program comes back exactly when no error was recorded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
    const uint8_t *data;
    size_t size;
};

static char *
serve(void *user, const char *path, size_t *out_len, struct err *err)
{
    const struct input *in = user;
    const char *lib =
        "T = 1\ntemplate t x\n    print \"${x}\"\nend\ncommand l\n    t \"${T}\"\nend\n";
    const char *text = (const char *)in->data;
    size_t len = in->size;
    /* Only three files exist, all in "fuzz/": the program can never load
     * more than three, however its imports are written. */
    if (strcmp(path, "fuzz/lib.perch") == 0) {
        text = lib;
        len = strlen(lib);
    } else if (strcmp(path, "fuzz/self.perch") != 0 && strcmp(path, "fuzz/main.perch") != 0) {
        err_set(err, ERR_NOT_FOUND, "cannot open '%s'", path);
        return NULL;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        err_set(err, ERR_OOM, "out of memory");
        return NULL;
    }
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    *out_len = len;
    return copy;
}

static bool
is_op(void *user, const char *name)
{
    (void)user;
    return strcmp(name, "print") == 0 || strcmp(name, "exists") == 0
           || strcmp(name, "sha256_file") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    struct lang_load_opts opts = { 0 };
    opts.read = serve;
    opts.read_user = &in;
    opts.warn_indent = size > 0 && (data[0] & 1);

    struct lang_diags diags;
    lang_diags_init(&diags);
    struct lang_program *prog =
        lang_load_string_opts("fuzz/main.perch", (const char *)data, size, &opts, &diags);
    if ((prog != NULL) != (diags.error_count == 0))
        abort();
    FILE *sink = fopen("/dev/null", "w");
    if (prog) {
        lang_check(prog, is_op, NULL, &diags);
        if (sink)
            lang_program_dump(prog, sink);
        for (size_t i = 0; i < prog->command_count; i++)
            if (lang_find_command(prog, prog->commands[i].name) == NULL)
                abort();
    }
    if (diags.count > LANG_MAX_DIAGS)
        abort();
    if (sink) {
        lang_diags_print(&diags, sink);
        fclose(sink);
    }
    struct err err = { 0 };
    lang_diags_to_err(&diags, &err);
    lang_program_free(prog);
    lang_diags_release(&diags);
    return 0;
}
