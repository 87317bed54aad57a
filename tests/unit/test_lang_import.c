/* test_lang_import.c: imports resolve relative to the importing file, merge
 * or namespace, detect cycles (naming the chain) and duplicate names, and
 * can be served from memory for bundles. */
/* cmocka.h needs the headers before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
/* clang-format on */

#include "lang/lang.h"

struct tmp {
    char dir[256];
};

static void
write_file(const struct tmp *t, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
    /* Create the parent directories. */
    for (char *s = path + strlen(t->dir) + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(path, 0755);
            *s = '/';
        }
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int
setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/perch_lang_import_XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    *state = t;
    return 0;
}

static int
teardown(void **state)
{
    struct tmp *t = *state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    if (system(cmd) != 0)
        return -1;
    free(t);
    return 0;
}

static struct lang_program *
load_main(const struct tmp *t, const char *rel, struct lang_diags *d)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
    lang_diags_init(d);
    return lang_load_file(path, d);
}

static void
test_lang_import_merges_and_namespaces(void **state)
{
    struct tmp *t = *state;
    write_file(t, "app/main.perch",
               "name \"main\"\n"
               "import \"lib/common.perch\"\n"
               "import \"lib/tools.perch\" as tools\n"
               "command go\n"
               "    do\n"
               "        greet \"x\"\n"
               "        hello\n"
               "        tools.build\n"
               "    end\n"
               "end\n");
    write_file(t, "app/lib/common.perch",
               "name \"ignored\"\n"
               "SHARED = \"yes\"\n"
               "template greet who\n"
               "    print \"hi ${who}\"\n"
               "end\n"
               "command hello\n"
               "    print \"${SHARED}\"\n"
               "end\n");
    /* Relative to tools.perch, not to main.perch or the cwd. */
    write_file(t, "app/lib/tools.perch",
               "import \"../sub/deep.perch\"\n"
               "command build\n"
               "    helper\n"
               "    deep_cmd\n"
               "end\n"
               "command helper\n"
               "    private\n"
               "    print \"help\"\n"
               "end\n");
    write_file(t, "app/sub/deep.perch", "command deep_cmd\n    print \"deep\"\nend\n");
    struct lang_diags d;
    struct lang_program *p = load_main(t, "app/main.perch", &d);
    if (!p)
        lang_diags_print(&d, stderr);
    assert_non_null(p);
    assert_string_equal(p->name, "main");
    assert_non_null(lang_find_command(p, "hello"));
    assert_non_null(lang_find_binding(p, "SHARED"));
    assert_null(lang_find_command(p, "build"));
    const struct lang_command *b = lang_find_command(p, "tools.build");
    assert_non_null(b);
    /* Calls inside the namespaced file follow the rename. */
    assert_string_equal(b->body.stmts[0].name, "tools.helper");
    assert_string_equal(b->body.stmts[1].name, "tools.deep_cmd");
    assert_true(lang_find_command(p, "tools.helper")->is_private);
    /* The template from the plain import expanded in main. */
    const struct lang_command *go = lang_find_command(p, "go");
    assert_string_equal(go->body.stmts[0].name, "print");
    assert_string_equal(go->body.stmts[0].args[0].text, "hi x");
    /* Every file is kept, the main one first; commands remember theirs. */
    assert_int_equal(p->source_count, 4);
    assert_non_null(strstr(p->sources[0].path, "app/main.perch"));
    assert_non_null(strstr(lang_find_command(p, "hello")->file, "lib/common.perch"));
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_import_cycle_names_the_chain(void **state)
{
    struct tmp *t = *state;
    write_file(t, "a.perch", "import \"b.perch\"\ncommand a\n    print 1\nend\n");
    write_file(t, "b.perch", "import \"./sub/c.perch\"\n");
    write_file(t, "sub/c.perch", "\n\nimport \"../a.perch\"\n");
    struct lang_diags d;
    struct lang_program *p = load_main(t, "a.perch", &d);
    assert_null(p);
    assert_int_equal(d.error_count, 1);
    const char *m = d.items[0].message;
    assert_non_null(strstr(m, "import cycle: "));
    const char *pa = strstr(m, "/a.perch -> ");
    const char *pb = strstr(m, "/b.perch -> ");
    const char *pc = strstr(m, "/sub/c.perch -> ");
    assert_non_null(pa);
    assert_non_null(pb);
    assert_non_null(pc);
    assert_true(pa < pb && pb < pc);
    assert_non_null(strstr(pc, "/a.perch"));
    /* Reported at the import that closes the cycle. */
    assert_non_null(strstr(d.items[0].file, "sub/c.perch"));
    assert_int_equal(d.items[0].loc.line, 3);
    lang_diags_release(&d);
}

static void
test_lang_import_self_cycle(void **state)
{
    struct tmp *t = *state;
    write_file(t, "self.perch", "import \"self.perch\"\n");
    struct lang_diags d;
    struct lang_program *p = load_main(t, "self.perch", &d);
    assert_null(p);
    assert_non_null(strstr(d.items[0].message, "import cycle: "));
    lang_diags_release(&d);
}

static void
test_lang_import_duplicates_and_missing_files(void **state)
{
    struct tmp *t = *state;
    write_file(t, "d.perch",
               "import \"x.perch\"\n"
               "import \"missing.perch\"\n"
               "V = 1\n"
               "command dup\n"
               "    print 1\n"
               "end\n");
    write_file(t, "x.perch", "V = 2\ncommand dup\n    print 2\nend\n");
    struct lang_diags d;
    struct lang_program *p = load_main(t, "d.perch", &d);
    assert_null(p);
    assert_int_equal(d.error_count, 3);
    assert_non_null(strstr(d.items[0].message, "cannot open"));
    assert_non_null(strstr(d.items[0].message, "missing.perch"));
    assert_int_equal(d.items[0].loc.line, 2);
    assert_non_null(strstr(d.items[1].message, "duplicate binding 'V'"));
    assert_non_null(strstr(d.items[2].message, "duplicate name 'dup'"));
    assert_int_equal(d.items[2].loc.line, 4);
    lang_diags_release(&d);
}

static void
test_lang_import_diamond_loads_once(void **state)
{
    struct tmp *t = *state;
    write_file(t, "top.perch", "import \"l.perch\"\nimport \"r.perch\"\n");
    write_file(t, "l.perch", "import \"base.perch\"\ncommand left\n    base\nend\n");
    write_file(t, "r.perch", "import \"base.perch\"\ncommand right\n    base\nend\n");
    write_file(t, "base.perch", "B = 1\ncommand base\n    print 1\nend\n");
    struct lang_diags d;
    struct lang_program *p = load_main(t, "top.perch", &d);
    if (!p)
        lang_diags_print(&d, stderr);
    assert_non_null(p);
    assert_int_equal(p->command_count, 3);
    assert_int_equal(p->binding_count, 1);
    assert_int_equal(p->source_count, 4);
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_import_errors_point_into_the_imported_file(void **state)
{
    struct tmp *t = *state;
    write_file(t, "m.perch", "import \"bad.perch\"\n");
    write_file(t, "bad.perch", "command c\n    do\n        print \"open\n    end\nend\n");
    struct lang_diags d;
    struct lang_program *p = load_main(t, "m.perch", &d);
    assert_null(p);
    assert_int_equal(d.error_count, 1);
    assert_non_null(strstr(d.items[0].file, "bad.perch"));
    assert_int_equal(d.items[0].loc.line, 3);
    assert_string_equal(d.items[0].source_line, "        print \"open");
    lang_diags_release(&d);
}

/* A reader serving files from memory, as a bundle does. */
static char *
mem_read(void *user, const char *path, size_t *out_len, struct err *err)
{
    (void)user;
    if (strcmp(path, "bundle/lib.perch") == 0) {
        const char *text = "command from_lib\n    print \"lib\"\nend\n";
        *out_len = strlen(text);
        return strdup(text);
    }
    err_set(err, ERR_NOT_FOUND, "'%s' is not in the bundle", path);
    return NULL;
}

static void
test_lang_import_from_memory_reader(void **state)
{
    (void)state;
    const char *text = "import \"lib.perch\" as l\ncommand go\n    l.from_lib\nend\n";
    struct lang_load_opts opts = { 0 };
    opts.read = mem_read;
    struct lang_diags d;
    lang_diags_init(&d);
    struct lang_program *p =
        lang_load_string_opts("bundle/main.perch", text, strlen(text), &opts, &d);
    if (!p)
        lang_diags_print(&d, stderr);
    assert_non_null(p);
    assert_non_null(lang_find_command(p, "l.from_lib"));
    assert_string_equal(p->dir, "bundle");
    lang_program_free(p);
    lang_diags_release(&d);

    const char *bad = "import \"nope.perch\"\n";
    lang_diags_init(&d);
    p = lang_load_string_opts("bundle/main.perch", bad, strlen(bad), &opts, &d);
    assert_null(p);
    assert_non_null(strstr(d.items[0].message, "'bundle/nope.perch' is not in the bundle"));
    lang_diags_release(&d);
}

static void
test_lang_import_main_file_missing(void **state)
{
    struct tmp *t = *state;
    struct lang_diags d;
    struct lang_program *p = load_main(t, "nothing.perch", &d);
    assert_null(p);
    assert_int_equal(d.error_count, 1);
    assert_non_null(strstr(d.items[0].message, "nothing.perch"));
    lang_diags_release(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lang_import_merges_and_namespaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lang_import_cycle_names_the_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lang_import_self_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lang_import_duplicates_and_missing_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lang_import_diamond_loads_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lang_import_errors_point_into_the_imported_file, setup,
                                        teardown),
        cmocka_unit_test(test_lang_import_from_memory_reader),
        cmocka_unit_test_setup_teardown(test_lang_import_main_file_missing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
