/* test_lang_parse.c: every construct of the .perch language parses into the
 * tree the interpreter expects; the user guide's files load cleanly; bad
 * input gets several located diagnostics, never a crash. */
/* cmocka.h needs the headers before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "lang/lang.h"

static const char every_construct[] =
    "#!/usr/bin/env perch\n"
    "name \"demo\"\n"
    "about 'Every construct'\n"
    "version \"1.2.3\"\n"
    "\n"
    "VERBOSE = true\n"
    "count = 3\n"
    "ratio = 0.5\n"
    "OUT = \"${script_dir}/out\"\n"
    "mode = release\n"
    "\n"
    "requires\n"
    "    bin \"git\" hash "
    "\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
    "    bin docker\n"
    "    env \"HOME\" \"PATH\"\n"
    "    host \"example.com\"\n"
    "    read \"./data\"\n"
    "    write \"./out\"\n"
    "    os linux darwin\n"
    "    arch amd64\n"
    "end\n"
    "\n"
    "bundle\n"
    "    include \"wasm/tool.wasm\" as tool\n"
    "    include \"README.md\"\n"
    "end\n"
    "\n"
    "hooks\n"
    "    before print \"starting\"\n"
    "    on_error print \"failed: ${err.message}\"\n"
    "end\n"
    "\n"
    "command build\n"
    "    description \"Build it\"\n"
    "    arg target\n"
    "        type string\n"
    "        index 0\n"
    "        description \"What to build\"\n"
    "    end\n"
    "    arg jobs\n"
    "        type int\n"
    "        default 4\n"
    "    end\n"
    "    arg extra\n"
    "        rest\n"
    "    end\n"
    "    arg dry\n"
    "        type bool\n"
    "        optional\n"
    "    end\n"
    "    private\n"
    "    proxy_args\n"
    "    require_os linux\n"
    "    require_arch amd64 arm64\n"
    "    dir \"${script_dir}/src\"\n"
    "    env CC \"clang\"\n"
    "    do\n"
    "        x = 0\n"
    "        out = \"${target}/x\"\n"
    "        files = glob \"*.c\"\n"
    "        if x == \"0\"\n"
    "            print \"zero\"\n"
    "        elif not exists \"${out}\"\n"
    "            print \"missing\"\n"
    "        elif VERBOSE and count >= 2 or not dry\n"
    "            print \"combo\"\n"
    "        else\n"
    "            fail \"no\"\n"
    "        end\n"
    "        for_each \"${files}\" f\n"
    "            print \"${f}\"\n"
    "        end\n"
    "        match \"${target}\"\n"
    "            case \"a\" \"b\"\n"
    "                print \"ab\"\n"
    "            else\n"
    "                print \"other\"\n"
    "        end\n"
    "        try\n"
    "            shell \"make\"\n"
    "        rescue timeout shell_failed\n"
    "            print \"${err.kind}\"\n"
    "        finally\n"
    "            print \"done\"\n"
    "        end\n"
    "        os \"linux\"\n"
    "            print \"on linux\"\n"
    "        end\n"
    "        arch \"arm64\"\n"
    "            print \"on arm\"\n"
    "        end\n"
    "        parallel 4\n"
    "            print \"a\"\n"
    "            print \"b\"\n"
    "        end\n"
    "        timeout \"30s\"\n"
    "            sleep \"1s\"\n"
    "        end\n"
    "        retry 5\n"
    "            http_get \"https://example.com\"\n"
    "        end\n"
    "        cache \"key-${target}\" \"7d\"\n"
    "            y = shell_output \"date\"\n"
    "        end\n"
    "        sandbox \"no_shell,no_network\"\n"
    "            print \"safe\"\n"
    "        end\n"
    "        with_env \"A=1,B=2\"\n"
    "            print \"${A}\"\n"
    "        end\n"
    "        with_cwd \"/tmp\"\n"
    "            print \"${cwd}\"\n"
    "        end\n"
    "        res = wasm_run \"${script_dir}/m.wasm\"\n"
    "            wasm_arg \"--flag\"\n"
    "            wasm_env \"K1,K2\"\n"
    "            wasm_mount_read \"./in\"\n"
    "            wasm_mount_write \"./out\" at \"/guest/out\"\n"
    "            wasm_clock\n"
    "            wasm_random\n"
    "            wasm_allow_host \"api.example.com\"\n"
    "        end\n"
    "        pipe\n"
    "            exec \"ls\"\n"
    "            exec \"wc\" \"-l\"\n"
    "        end\n"
    "        mkdir ./out && print \"ok\" || print \"bad\"\n"
    "    end\n"
    "end\n"
    "\n"
    "command test_it\n"
    "    test\n"
    "    test_allow_shell\n"
    "    test_allow_network\n"
    "    test_allow_subprocess\n"
    "    test_allow_write\n"
    "    test_keep_cwd\n"
    "    test_timeout 60\n"
    "    do\n"
    "        assert_eq \"1\" \"1\"\n"
    "    end\n"
    "end\n"
    "\n"
    "command implicit\n"
    "    print \"no do block\"\n"
    "end\n"
    "\n"
    "catch timeout\n"
    "    print \"timed out: ${err.message}\"\n"
    "end\n";

static const char every_construct_dump[] =
    "name demo\n"
    "about Every construct\n"
    "version 1.2.3\n"
    "binding VERBOSE bool exported bare:true\n"
    "binding count int bare:3\n"
    "binding ratio float bare:0.5\n"
    "binding OUT string exported \"${script_dir}/out\"\n"
    "binding mode string bare:release\n"
    "requires\n"
    "  bin \"git\" hash sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
    "  bin bare:docker\n"
    "  env \"HOME\"\n"
    "  env \"PATH\"\n"
    "  host \"example.com\"\n"
    "  read \"./data\"\n"
    "  write \"./out\"\n"
    "  os bare:linux\n"
    "  os bare:darwin\n"
    "  arch bare:amd64\n"
    "include wasm/tool.wasm as tool\n"
    "include README.md\n"
    "hook before\n"
    "  call print [\"starting\"]\n"
    "hook on_error\n"
    "  call print [\"failed: ${err.message}\"]\n"
    "command build private proxy_args os=linux arch=amd64 arch=arm64\n"
    "  description Build it\n"
    "  arg target string index=0\n"
    "  arg jobs int index=-1 optional default=bare:4\n"
    "  arg extra string index=-1 rest\n"
    "  arg dry bool index=-1 optional\n"
    "  dir \"${script_dir}/src\"\n"
    "  env CC \"clang\"\n"
    "  x = assign = [bare:0]\n"
    "  out = assign = [\"${target}/x\"]\n"
    "  files = call glob [\"*.c\"]\n"
    "  if if []\n"
    "  if (bare:x == \"0\")\n"
    "    call print [\"zero\"]\n"
    "  elif (not (call exists [\"${out}\"]))\n"
    "    call print [\"missing\"]\n"
    "  elif (or (and (truthy bare:VERBOSE) (bare:count >= bare:2)) (not (truthy bare:dry)))\n"
    "    call print [\"combo\"]\n"
    "  else\n"
    "    call fail [\"no\"]\n"
    "  for_each for_each [\"${files}\" bare:f]\n"
    "    call print [\"${f}\"]\n"
    "  match match [\"${target}\"]\n"
    "  case [\"a\" \"b\"]\n"
    "    call print [\"ab\"]\n"
    "  else\n"
    "    call print [\"other\"]\n"
    "  try try []\n"
    "    call shell [\"make\"]\n"
    "  rescue [bare:timeout bare:shell_failed]\n"
    "    call print [\"${err.kind}\"]\n"
    "  finally\n"
    "    call print [\"done\"]\n"
    "  block os [\"linux\"]\n"
    "    call print [\"on linux\"]\n"
    "  block arch [\"arm64\"]\n"
    "    call print [\"on arm\"]\n"
    "  block parallel [bare:4]\n"
    "    call print [\"a\"]\n"
    "    call print [\"b\"]\n"
    "  block timeout [\"30s\"]\n"
    "    call sleep [\"1s\"]\n"
    "  block retry [bare:5]\n"
    "    call http_get [\"https://example.com\"]\n"
    "  block cache [\"key-${target}\" \"7d\"]\n"
    "    y = call shell_output [\"date\"]\n"
    "  block sandbox [\"no_shell,no_network\"]\n"
    "    call print [\"safe\"]\n"
    "  block with_env [\"A=1,B=2\"]\n"
    "    call print [\"${A}\"]\n"
    "  block with_cwd [\"/tmp\"]\n"
    "    call print [\"${cwd}\"]\n"
    "  res = block wasm_run [\"${script_dir}/m.wasm\"]\n"
    "    call wasm_arg [\"--flag\"]\n"
    "    call wasm_env [\"K1,K2\"]\n"
    "    call wasm_mount_read [\"./in\"]\n"
    "    call wasm_mount_write [\"./out\" bare:at \"/guest/out\"]\n"
    "    call wasm_clock []\n"
    "    call wasm_random []\n"
    "    call wasm_allow_host [\"api.example.com\"]\n"
    "  block pipe []\n"
    "    call exec [\"ls\"]\n"
    "    call exec [\"wc\" \"-l\"]\n"
    "  call mkdir [bare:./out] && print [\"ok\"] || print [\"bad\"]\n"
    "command test_it test allow_shell allow_network allow_subprocess allow_write keep_cwd "
    "timeout=60\n"
    "  call assert_eq [\"1\" \"1\"]\n"
    "command implicit\n"
    "  call print [\"no do block\"]\n"
    "catch [bare:timeout]\n"
    "  call print [\"timed out: ${err.message}\"]\n";

static struct lang_program *
load(const char *text, struct lang_diags *diags)
{
    lang_diags_init(diags);
    return lang_load_string("t.perch", text, strlen(text), diags);
}

/* The dump of a program, as a heap string. */
static char *
dump(const struct lang_program *prog)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    lang_program_dump(prog, f);
    fclose(f);
    return buf;
}

/* Printed diagnostics, as a heap string. */
static char *
printed(const struct lang_diags *diags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    lang_diags_print(diags, f);
    fclose(f);
    return buf;
}

static void
test_lang_parse_every_construct(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load(every_construct, &d);
    if (!p)
        lang_diags_print(&d, stderr);
    assert_non_null(p);
    assert_int_equal(d.error_count, 0);
    char *text = dump(p);
    if (strcmp(text, every_construct_dump) != 0)
        fprintf(stderr, "got:\n%s", text);
    assert_string_equal(text, every_construct_dump);
    free(text);
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_parse_tree_fields(void **state)
{
    (void)state;
    struct lang_diags d;
    struct lang_program *p = load(every_construct, &d);
    assert_non_null(p);
    assert_string_equal(p->name, "demo");
    assert_string_equal(p->version, "1.2.3");
    /* Bindings: typed, UPPER_CASE exported. */
    const struct lang_binding *b = lang_find_binding(p, "VERBOSE");
    assert_non_null(b);
    assert_int_equal(b->type, LANG_TYPE_BOOL);
    assert_true(b->is_exported);
    assert_int_equal(lang_find_binding(p, "count")->type, LANG_TYPE_INT);
    assert_false(lang_find_binding(p, "count")->is_exported);
    assert_int_equal(lang_find_binding(p, "ratio")->type, LANG_TYPE_FLOAT);
    assert_true(lang_find_binding(p, "OUT")->value.has_interp);
    /* requires */
    assert_true(p->has_requires);
    assert_int_equal(p->requires[0].kind, LANG_REQ_BIN);
    assert_string_equal(p->requires[0].value.text, "git");
    assert_non_null(p->requires[0].hash);
    assert_null(p->requires[1].hash);
    /* bundle */
    const struct lang_bundle_item *bi = lang_find_bundle_alias(p, "tool");
    assert_non_null(bi);
    assert_string_equal(bi->path, "wasm/tool.wasm");
    assert_null(lang_find_bundle_alias(p, "README.md"));
    /* command config */
    const struct lang_command *c = lang_find_command(p, "build");
    assert_non_null(c);
    assert_string_equal(c->description, "Build it");
    assert_int_equal(c->arg_count, 4);
    const struct lang_arg *a = lang_command_find_arg(c, "jobs");
    assert_int_equal(a->type, LANG_TYPE_INT);
    assert_true(a->is_optional);
    assert_string_equal(a->default_value->text, "4");
    assert_int_equal(lang_command_find_arg(c, "target")->index, 0);
    assert_true(lang_command_find_arg(c, "extra")->is_rest);
    assert_true(c->is_private);
    assert_true(c->proxy_args);
    assert_int_equal(c->require_arch_count, 2);
    assert_string_equal(c->env[0].key, "CC");
    assert_string_equal(c->env[0].value.text, "clang");
    /* statements: literal assignment, capture, blocks */
    assert_int_equal(c->body.stmts[0].kind, LANG_STMT_ASSIGN);
    assert_string_equal(c->body.stmts[0].target, "x");
    assert_int_equal(c->body.stmts[2].kind, LANG_STMT_CALL);
    assert_string_equal(c->body.stmts[2].target, "files");
    assert_string_equal(c->body.stmts[2].name, "glob");
    const struct lang_stmt *ifs = &c->body.stmts[3];
    assert_int_equal(ifs->kind, LANG_STMT_IF);
    assert_int_equal(ifs->clause_count, 4);
    assert_int_equal(ifs->clauses[0].cond->kind, LANG_COND_COMPARE);
    assert_int_equal(ifs->clauses[0].cond->op, LANG_CMP_EQ);
    assert_int_equal(ifs->clauses[0].cond->lhs.quote, LANG_QUOTE_BARE);
    assert_int_equal(ifs->clauses[1].cond->kind, LANG_COND_NOT);
    assert_int_equal(ifs->clauses[1].cond->sub->kind, LANG_COND_CALL);
    assert_string_equal(ifs->clauses[1].cond->sub->name, "exists");
    assert_int_equal(ifs->clauses[3].kind, LANG_CLAUSE_ELSE);
    assert_null(ifs->clauses[3].cond);
    /* wasm_run capture with its declarations as calls */
    const struct lang_stmt *wr = NULL;
    for (size_t i = 0; i < c->body.count; i++)
        if (c->body.stmts[i].block == LANG_BLOCK_WASM_RUN)
            wr = &c->body.stmts[i];
    assert_non_null(wr);
    assert_int_equal(wr->kind, LANG_STMT_BLOCK);
    assert_string_equal(wr->target, "res");
    assert_int_equal(wr->body.count, 7);
    assert_string_equal(wr->body.stmts[3].name, "wasm_mount_write");
    assert_int_equal(wr->body.stmts[3].arg_count, 3);
    /* chain */
    const struct lang_stmt *last = &c->body.stmts[c->body.count - 1];
    assert_int_equal(last->chain, LANG_CHAIN_AND);
    assert_string_equal(last->next->name, "print");
    assert_int_equal(last->next->chain, LANG_CHAIN_OR);
    assert_null(last->next->next->next);
    /* test modifiers */
    const struct lang_command *t = lang_find_command(p, "test_it");
    assert_true(t->is_test && t->test_allow_shell && t->test_allow_network
                && t->test_allow_subprocess && t->test_allow_write && t->test_keep_cwd);
    assert_string_equal(t->test_timeout, "60");
    /* every node is located */
    assert_int_equal(c->loc.line, 33);
    assert_int_equal(c->loc.col, 1);
    assert_string_equal(c->loc.file, "t.perch");
    assert_int_equal(ifs->loc.line, 61);
    assert_int_equal(ifs->loc.col, 9);
    lang_program_free(p);
    lang_diags_release(&d);
}

/* The .perch files of the user guide (kept as fuzz seeds) all load and
 * check; the pipeline's `process ... "$(basename ${f} .xml)"` passes
 * `$(...)` to a command as literal text, which --check warns about. */
static void
test_lang_parse_user_guide_files(void **state)
{
    (void)state;
    static const char *const files[] = {
        "guide_docs_ci.perch",  "guide_schema_ci.perch", "guide_agent_ops.perch",
        "guide_pipeline.perch", "guide_lint.perch",
    };
    static const size_t warnings[] = { 0, 0, 0, 1, 0 };
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    assert_non_null(slash);
    *slash = '\0';
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[1200];
        snprintf(path, sizeof(path), "%s/../fuzz/corpus/fuzz_lang_parse/%s", dir, files[i]);
        struct lang_diags d;
        lang_diags_init(&d);
        struct lang_program *p = lang_load_file(path, &d);
        if (!p)
            lang_diags_print(&d, stderr);
        assert_non_null(p);
        assert_true(p->command_count >= 1);
        assert_true(lang_check(p, NULL, NULL, &d));
        assert_int_equal(d.warning_count, warnings[i]);
        lang_program_free(p);
        lang_diags_release(&d);
    }
}

static void
test_lang_parse_guide_parallel_for_each_shape(void **state)
{
    (void)state;
    const char *text = "command validate_all\n"
                       "    do\n"
                       "        files = glob \"${script_dir}/posts/*.md\"\n"
                       "        parallel\n"
                       "            for_each \"${files}\" file\n"
                       "                wasm_run \"${script_dir}/frontmatter.wasm\"\n"
                       "                    wasm_arg \"/ro/posts/${file}\"\n"
                       "                end\n"
                       "            end\n"
                       "        end\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    const struct lang_stmt *par = &p->commands[0].body.stmts[1];
    assert_int_equal(par->block, LANG_BLOCK_PARALLEL);
    assert_int_equal(par->body.count, 1);
    const struct lang_stmt *fe = &par->body.stmts[0];
    assert_int_equal(fe->kind, LANG_STMT_FOR_EACH);
    assert_string_equal(fe->args[1].text, "file");
    assert_int_equal(fe->body.stmts[0].block, LANG_BLOCK_WASM_RUN);
    lang_program_free(p);
    lang_diags_release(&d);
}

/* An arg without its 'end', followed by another arg or by the body, gives
 * one error at the arg, not one per line that follows. */
static void
test_lang_parse_arg_missing_end_is_one_error(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "command go\n    arg path\n    arg size\n        default \"1\"\n    end\n"
        "    do\n        print \"x\"\n    end\nend\n",
        "command go\n    arg path\n    do\n        print \"x\"\n    end\nend\n",
        "command go\n    arg path\n        index 0\n    if true\n        print \"x\"\n"
        "    end\nend\n",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct lang_diags d;
        struct lang_program *p = load(texts[i], &d);
        assert_null(p);
        assert_int_equal(d.error_count, 1);
        assert_int_equal(d.items[0].loc.line, 2);
        assert_int_equal(d.items[0].loc.col, 5);
        assert_string_equal(d.items[0].message, "missing 'end' for 'arg' opened here");
        lang_diags_release(&d);
    }
}

static void
test_lang_parse_errors_recover_and_report_several(void **state)
{
    (void)state;
    const char *text = "name \"bad\"\n"                    /* 1 */
                       "command one\n"                     /* 2 */
                       "    do\n"                          /* 3 */
                       "        if\n"                      /* 4: missing condition */
                       "            print \"x\"\n"         /* 5 */
                       "        end\n"                     /* 6 */
                       "        for_each \"${x}\"\n"       /* 7: needs 2 arguments */
                       "        end\n"                     /* 8 */
                       "        else\n"                    /* 9: else without if */
                       "        \"quoted\" start\n"        /* 10 */
                       "    end\n"                         /* 11 */
                       "end\n"                             /* 12 */
                       "bogus line\n"                      /* 13 */
                       "command two\n"                     /* 14 */
                       "    arg a\n"                       /* 15 */
                       "        type strnig\n"             /* 16 */
                       "    end\n"                         /* 17 */
                       "    do\n"                          /* 18 */
                       "        print \"fine\"\n"          /* 19 */
                       "    end\n"                         /* 20 */
                       "end\n"                             /* 21 */
                       "command three\n"                   /* 22 */
                       "    do\n"                          /* 23 */
                       "        print \"never closed\"\n"; /* 24 */
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    static const struct {
        unsigned line, col;
        const char *msg;
    } want[] = {
        { 4, 11, "missing condition" },
        { 7, 9, "'for_each' needs 2 arguments" },
        { 9, 9, "'else' without a matching 'if'" },
        { 10, 9, "a statement must start with a name" },
        { 13, 1, "unexpected 'bogus' at top level" },
        { 16, 14, "unknown type 'strnig'" },
        { 23, 5, "missing 'end' for 'do' opened here" },
        { 22, 1, "missing 'end' for 'command' opened here" },
    };
    assert_int_equal(d.error_count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(d.items[i].loc.line, want[i].line);
        assert_int_equal(d.items[i].loc.col, want[i].col);
        if (!strstr(d.items[i].message, want[i].msg))
            fail_msg("diag %zu: '%s' does not contain '%s'", i, d.items[i].message, want[i].msg);
    }
    lang_diags_release(&d);
}

static void
test_lang_parse_diagnostic_format_with_caret(void **state)
{
    (void)state;
    const char *text = "command c\n    do\n        timeout\n        end\n    end\nend\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    char *out = printed(&d);
    assert_string_equal(out, "t.perch:3:9: error: 'timeout' needs 1 argument\n"
                             "            timeout\n"
                             "            ^~~~~~~\n");
    free(out);
    struct err e = { 0 };
    assert_false(lang_diags_to_err(&d, &e));
    assert_int_equal(e.kind, ERR_PARSE);
    assert_int_equal(e.loc.line, 3);
    assert_non_null(strstr(e.msg, "t.perch:3:9: 'timeout' needs 1 argument"));
    lang_diags_release(&d);
}

static void
test_lang_parse_diagnostics_are_capped(void **state)
{
    (void)state;
    char text[4096] = "";
    for (int i = 0; i < 30; i++)
        strcat(text, "oops\n");
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    assert_int_equal(d.error_count, 30);
    assert_int_equal(d.count, LANG_MAX_DIAGS);
    assert_int_equal(d.dropped, 30 - LANG_MAX_DIAGS);
    char *out = printed(&d);
    assert_non_null(strstr(out, "... and 10 more diagnostics not shown\n"));
    free(out);
    lang_diags_release(&d);
}

static void
test_lang_parse_nesting_is_capped(void **state)
{
    (void)state;
    /* 10,000 nested blocks: one error, no deep recursion, no crash. */
    size_t n = 10000;
    size_t cap = n * 16 + 64;
    char *text = malloc(cap);
    assert_non_null(text);
    strcpy(text, "command c\ndo\n");
    size_t len = strlen(text);
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "retry 2\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "end\n");
    len += (size_t)sprintf(text + len, "end\nend\n");
    struct lang_diags d;
    lang_diags_init(&d);
    struct lang_program *p = lang_load_string("deep.perch", text, len, &d);
    assert_null(p);
    assert_int_equal(d.error_count, 1);
    assert_non_null(strstr(d.items[0].message, "nested too deeply"));
    assert_int_equal(d.items[0].loc.line, 2 + LANG_MAX_DEPTH + 1);
    lang_diags_release(&d);
    free(text);
}

static void
test_lang_parse_long_conditions_and_chains_are_capped(void **state)
{
    (void)state;
    /* Trees that walkers recurse on stay shallow: 100 'and's, 100 '&&'s. */
    char text[8192] = "command c\n    if x";
    for (int i = 0; i < 100; i++)
        strcat(text, " and x");
    strcat(text, "\n    end\n    print 0");
    for (int i = 0; i < 100; i++)
        strcat(text, " && print 1");
    strcat(text, "\nend\n");
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    assert_int_equal(d.error_count, 2);
    assert_non_null(strstr(d.items[0].message, "condition too complex"));
    assert_non_null(strstr(d.items[1].message, "chain too long"));
    lang_diags_release(&d);
}

static void
test_lang_parse_reserved_words_cannot_be_names(void **state)
{
    (void)state;
    const char *text = "end = 1\n"          /* 1: binding */
                       "command parallel\n" /* 2: command */
                       "    print 1\n"
                       "end\n"
                       "template if\n" /* 5: template */
                       "    print 1\n"
                       "end\n"
                       "command ok\n"
                       "    do\n"
                       "        else = 2\n"      /* 10: variable; the block goes on */
                       "        os = \"mine\"\n" /* a block word is a fine variable */
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    static const unsigned lines[] = { 1, 2, 5, 10 };
    assert_int_equal(d.error_count, sizeof(lines) / sizeof(lines[0]));
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        assert_int_equal(d.items[i].loc.line, lines[i]);
        assert_non_null(strstr(d.items[i].message, "is a reserved word"));
    }
    lang_diags_release(&d);
}

static void
test_lang_parse_find_command_among_many(void **state)
{
    (void)state;
    /* Names in a scrambled order; every one is found, absent ones are not. */
    char *text = malloc(64 * 1024);
    assert_non_null(text);
    text[0] = '\0';
    for (int i = 0; i < 300; i++) {
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "command c%d\n    print 1\nend\n", (i * 7919) % 300);
        strcat(text, cmd);
    }
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_int_equal(p->command_count, 300);
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof(name), "c%d", i);
        const struct lang_command *c = lang_find_command(p, name);
        assert_non_null(c);
        assert_string_equal(c->name, name);
    }
    assert_null(lang_find_command(p, "c300"));
    assert_null(lang_find_command(p, "c"));
    assert_null(lang_find_command(p, ""));
    /* Declaration order is kept in 'commands'. */
    assert_string_equal(p->commands[1].name, "c119");
    lang_program_free(p);
    lang_diags_release(&d);
    free(text);
}

static void
test_lang_parse_missing_spaces_around_operators(void **state)
{
    (void)state;
    const char *text = "command c\n"
                       "    n=0\n"
                       "    if x==\"a\"\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    assert_int_equal(d.error_count, 2);
    assert_string_equal(d.items[0].message, "'n=0': write 'n = 0' with spaces around '='");
    assert_string_equal(d.items[1].message, "'x==\"a\"': put spaces around '==' to compare");
    lang_diags_release(&d);
}

static void
test_lang_parse_top_level_block_errors(void **state)
{
    (void)state;
    const char *text = "hooks\n"
                       "    during print 1\n" /* 2: unknown event */
                       "    before\n"         /* 3: no statement */
                       "    after parallel\n" /* 4: a block */
                       "    on_error print \"x\"\n"
                       "end\n"
                       "bundle\n"
                       "    add \"x\"\n"            /* 8 */
                       "    include \"\"\n"         /* 9: empty path */
                       "    include \"a\" as b c\n" /* 10 */
                       "end\n"
                       "import \"x.perch\" as a.b\n" /* 12: dotted namespace */
                       "catch\n"
                       "    print \"${err.kind}\"\n"
                       "end\n"
                       "name\n"; /* 16: no value */
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    static const unsigned lines[] = { 2, 3, 4, 8, 9, 10, 12, 16 };
    if (d.error_count != sizeof(lines) / sizeof(lines[0]))
        lang_diags_print(&d, stderr);
    assert_int_equal(d.error_count, sizeof(lines) / sizeof(lines[0]));
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        assert_int_equal(d.items[i].loc.line, lines[i]);
    lang_diags_release(&d);
}

static void
test_lang_parse_condition_forms(void **state)
{
    (void)state;
    const char *text = "command c\n"
                       "    do\n"
                       "        if flag\n"
                       "            print 1\n"
                       "        elif \"${v}\" != \"x\"\n"
                       "            print 2\n"
                       "        elif n <= 3\n"
                       "            print 3\n"
                       "        elif not not is_dir \"d\"\n"
                       "            print 4\n"
                       "        end\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    const struct lang_stmt *s = &p->commands[0].body.stmts[0];
    assert_int_equal(s->clauses[0].cond->kind, LANG_COND_TRUTHY);
    assert_string_equal(s->clauses[0].cond->lhs.text, "flag");
    const struct lang_cond *c1 = s->clauses[1].cond;
    assert_int_equal(c1->kind, LANG_COND_COMPARE);
    assert_int_equal(c1->op, LANG_CMP_NE);
    assert_int_equal(c1->lhs.quote, LANG_QUOTE_DOUBLE);
    assert_true(c1->lhs.has_interp);
    assert_int_equal(s->clauses[2].cond->op, LANG_CMP_LE);
    assert_string_equal(s->clauses[2].cond->rhs.text, "3");
    const struct lang_cond *c3 = s->clauses[3].cond;
    assert_int_equal(c3->kind, LANG_COND_NOT);
    assert_int_equal(c3->sub->kind, LANG_COND_NOT);
    assert_int_equal(c3->sub->sub->kind, LANG_COND_CALL);
    assert_string_equal(c3->sub->sub->name, "is_dir");
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_parse_rejects_misplaced_constructs(void **state)
{
    (void)state;
    const char *text = "command c\n"
                       "    do\n"
                       "        x = if y\n" /* 3: cannot capture if */
                       "        end\n"
                       "        try\n"
                       "        finally\n"
                       "        rescue\n" /* 7: rescue after finally */
                       "        end\n"
                       "        if a\n"
                       "        else\n"
                       "        elif b\n" /* 11: elif after else */
                       "        end\n"
                       "        print 1 &&\n" /* 13: missing statement */
                       "        n = 1 2\n"    /* 14: one value */
                       "    end\n"
                       "end\n"
                       "command c\n" /* 17: duplicate name */
                       "    print 1\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    static const unsigned lines[] = { 3, 7, 11, 13, 14, 17 };
    assert_int_equal(d.error_count, sizeof(lines) / sizeof(lines[0]));
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        assert_int_equal(d.items[i].loc.line, lines[i]);
    assert_non_null(strstr(d.items[5].message, "duplicate name 'c'"));
    lang_diags_release(&d);
}

static void
test_lang_parse_missing_end_stops_at_next_command(void **state)
{
    (void)state;
    const char *text = "command a\n"
                       "    do\n"
                       "        print 1\n"
                       "    end\n"
                       "command b\n" /* 5: a lacks its end */
                       "    description \"b\"\n"
                       "    do\n"
                       "        if x\n"
                       "            print 2\n"
                       "    end\n"
                       "end\n"
                       "command c\n"
                       "    print 3\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    /* Exactly the two missing ends, at their openers; c parses cleanly. */
    assert_int_equal(d.error_count, 2);
    assert_int_equal(d.items[0].loc.line, 1);
    assert_non_null(strstr(d.items[0].message, "missing 'end' for 'command'"));
    assert_int_equal(d.items[1].loc.line, 5);
    assert_non_null(strstr(d.items[1].message, "missing 'end' for 'command'"));
    lang_diags_release(&d);
}

static void
test_lang_parse_config_values_are_validated(void **state)
{
    (void)state;
    const char *text = "requires\n"
                       "    bin \"x\" hash \"sha256:zz\"\n" /* 2 */
                       "    gpu \"any\"\n"                  /* 3 */
                       "end\n"
                       "command t\n"
                       "    test_timeout 1h30m\n"
                       "    arg a\n"
                       "    end\n"
                       "    arg b\n"
                       "        index -1\n" /* 10 */
                       "    end\n"
                       "    arg a\n" /* 12: duplicate */
                       "    end\n"
                       "    print 1\n"
                       "end\n"
                       "command u\n"
                       "    test_timeout soon\n" /* 17 */
                       "    print 1\n"
                       "end\n"
                       "bundle\n"
                       "    include \"x\" as\n" /* 21 */
                       "end\n"
                       "import \"${x}.perch\"\n"; /* 23 */
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    static const unsigned lines[] = { 2, 3, 10, 12, 17, 21, 23 };
    if (d.error_count != sizeof(lines) / sizeof(lines[0]))
        lang_diags_print(&d, stderr);
    assert_int_equal(d.error_count, sizeof(lines) / sizeof(lines[0]));
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        assert_int_equal(d.items[i].loc.line, lines[i]);
    lang_diags_release(&d);
}

static void
test_lang_parse_typos_get_suggestions_and_recover(void **state)
{
    (void)state;
    const char *text = "comand build\n"         /* 1 */
                       "    descripton \"x\"\n" /* 2 */
                       "    arg a\n"
                       "        tpye int\n" /* 4 */
                       "    end\n"
                       "    do\n"
                       "        print 1\n"
                       "    end\n"
                       "end\n"
                       "command other\n"
                       "    mkdir ./x\n" /* a body, not a typo of 'dir' */
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    assert_int_equal(d.error_count, 3);
    assert_string_equal(d.items[0].message, "unexpected 'comand' at top level (did you mean "
                                            "'command'?)");
    assert_string_equal(d.items[1].message, "unknown command setting 'descripton' (did you mean "
                                            "'description'?)");
    assert_string_equal(d.items[2].message, "unknown arg setting 'tpye' (did you mean 'type'?)");
    lang_diags_release(&d);
}

static bool
known_op(void *user, const char *name)
{
    (void)user;
    static const char *const ops[] = { "print", "glob", "sha256_file", "exists" };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(ops[i], name) == 0)
            return true;
    return false;
}

/* `for_each files f` and `match v` read literal text; when the word names
 * a variable, --check says how to write its value. */
static void
test_lang_parse_check_warns_bare_variable_as_loop_list(void **state)
{
    (void)state;
    const char *text = "command c\n"
                       "    do\n"
                       "        files = glob \"*.md\"\n"
                       "        for_each files f\n" /* 4 */
                       "            print \"${f}\"\n"
                       "        end\n"
                       "        for_each \"${files}\" g\n" /* fine */
                       "            print \"${g}\"\n"
                       "        end\n"
                       "        match os\n" /* 10: an auto variable */
                       "            case \"linux\"\n"
                       "                print \"l\"\n"
                       "        end\n"
                       "        match literal\n" /* no variable of that name */
                       "            case \"literal\"\n"
                       "                print \"x\"\n"
                       "        end\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_true(lang_check(p, known_op, NULL, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "t.perch:4:18: warning: 'for_each' iterates the literal text "
                                "'files', not the variable: write \"${files}\""));
    assert_non_null(strstr(out, "t.perch:10:15: warning: 'match' matches the literal text 'os', "
                                "not the variable: write \"${os}\""));
    assert_int_equal(d.warning_count, 2);
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);
}

/* A call of a command with positional words: a missing required argument
 * and a literal that is not a number for an int or float are caught. */
static void
test_lang_parse_check_judges_command_call_arguments(void **state)
{
    (void)state;
    const char *text = "command callee\n"
                       "    arg n\n"
                       "        type int\n"
                       "        index 0\n"
                       "    end\n"
                       "    arg f\n"
                       "        type float\n"
                       "        index 1\n"
                       "        default 1.5\n"
                       "    end\n"
                       "    do\n"
                       "        print \"${n}\"\n"
                       "    end\n"
                       "end\n"
                       "command c\n"
                       "    do\n"
                       "        callee\n"             /* 17: n missing */
                       "        callee \"one\"\n"     /* 18: not an int */
                       "        callee 2 abc\n"       /* 19: not a float */
                       "        callee 2 3 4\n"       /* 20: too many */
                       "        callee 2 \" 2.5 \"\n" /* fine */
                       "        callee \"${x}\"\n"    /* judged when it runs */
                       "        callee -n=x\n"        /* flags: judged when it runs */
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_false(lang_check(p, known_op, NULL, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "t.perch:17:9: error: command 'callee' needs its argument 'n' "
                                "(int)"));
    assert_non_null(strstr(out, "t.perch:18:16: error: argument 'n' of command 'callee' is an "
                                "int, not 'one'"));
    assert_non_null(strstr(out, "t.perch:19:18: error: argument 'f' of command 'callee' is a "
                                "float, not 'abc'"));
    assert_non_null(strstr(out, "t.perch:20:20: error: too many arguments for command 'callee' "
                                "(it takes 2 positional arguments)"));
    assert_int_equal(d.error_count, 4);
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);

    /* A literal default that does not fit its arg's type. */
    const char *defaults = "command d\n"
                           "    arg n\n"
                           "        type int\n"
                           "        default \"abc\"\n" /* 4 */
                           "    end\n"
                           "    arg b\n"
                           "        type bool\n"
                           "        default maybe\n" /* 8 */
                           "    end\n"
                           "    arg ok\n"
                           "        type float\n"
                           "        default 0.5\n"
                           "    end\n"
                           "    do\n"
                           "        print \"${n}\"\n"
                           "    end\n"
                           "end\n";
    p = load(defaults, &d);
    assert_non_null(p);
    assert_false(lang_check(p, known_op, NULL, &d));
    out = printed(&d);
    assert_non_null(strstr(out, "t.perch:4:17: error: the default of argument 'n' is not an "
                                "int: 'abc'"));
    assert_non_null(strstr(out, "t.perch:8:17: error: the default of argument 'b' is not a "
                                "bool: 'maybe'"));
    assert_int_equal(d.error_count, 2);
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);
}

/* `$(...)` in a command call's argument or a wasm_arg is literal text:
 * --check warns; in a shell op, print or write_file it is left alone. */
static void
test_lang_parse_check_warns_command_substitution_outside_a_shell(void **state)
{
    (void)state;
    const char *text = "command process\n"
                       "    arg out\n"
                       "        index 0\n"
                       "    end\n"
                       "    do\n"
                       "        shell \"echo $(date)\"\n"
                       "        print \"try $(date)\"\n"
                       "    end\n"
                       "end\n"
                       "command c\n"
                       "    do\n"
                       "        process \"out/$(basename x .xml).json\"\n" /* 12 */
                       "        wasm_run \"m.wasm\"\n"
                       "            wasm_arg \"$(pwd)\"\n" /* 14 */
                       "        end\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_true(lang_check(p, NULL, NULL, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "t.perch:12:17: warning: '$(...)' is only run by a shell (shell, "
                                "shell_output, try_shell): 'process' gets it as literal text"));
    assert_non_null(strstr(out, "t.perch:14:22: warning: '$(...)' is only run by a shell"));
    assert_int_equal(d.warning_count, 2);
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);
}

/* A command named like a built-in op shadows it everywhere: a warning. */
static void
test_lang_parse_check_warns_command_shadowing_an_op(void **state)
{
    (void)state;
    const char *text = "command glob\n"
                       "    do\n"
                       "        print \"mine\"\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_true(lang_check(p, known_op, NULL, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "t.perch:1:1: warning: command 'glob' has the name of a built-in "
                                "op: every call of 'glob' in this program runs the command, not "
                                "the op"));
    assert_int_equal(d.warning_count, 1);
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);
}

/* Unknown-variable warnings cover top-level bindings, and know that a
 * proxy_args command has ${args}. */
static void
test_lang_parse_check_unknown_variables_in_bindings_and_proxy_args(void **state)
{
    (void)state;
    const char *text = "OUT = \"${nope}/x\"\n"
                       "DIR = \"${script_dir}/${OUT}\"\n"
                       "command p\n"
                       "    proxy_args\n"
                       "    do\n"
                       "        print \"${args} ${DIR}\"\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_true(lang_check(p, known_op, NULL, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "t.perch:1:8: warning: unknown variable 'nope'"));
    assert_int_equal(d.warning_count, 1);
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);
}

/* Only wasm_run and pipe blocks have a value to capture. */
static void
test_lang_parse_capturing_a_block_without_a_value_is_an_error(void **state)
{
    (void)state;
    const char *text = "command c\n"
                       "    do\n"
                       "        x = timeout \"1s\"\n"
                       "            print \"in\"\n"
                       "        end\n"
                       "        y = pipe\n"
                       "            print \"a\"\n"
                       "        end\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_null(p);
    assert_int_equal(d.error_count, 1);
    char *out = printed(&d);
    assert_non_null(strstr(out, "t.perch:3:13: error: cannot capture the value of 'timeout' "
                                "(only 'wasm_run' and 'pipe' blocks have one)"));
    free(out);
    lang_diags_release(&d);
}

/* retry's backoff is judged like timeout's duration. */
static void
test_lang_parse_check_retry_backoff_duration(void **state)
{
    (void)state;
    const char *text = "command c\n"
                       "    do\n"
                       "        retry 3 \"soon\"\n"
                       "            print \"x\"\n"
                       "        end\n"
                       "        retry 3 \"250ms\"\n"
                       "            print \"x\"\n"
                       "        end\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_false(lang_check(p, known_op, NULL, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "t.perch:3:17: error: the 'retry' backoff is a duration such as "
                                "1s or 500ms, not 'soon'"));
    assert_int_equal(d.error_count, 1);
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);
}

/* with_env items are read as the run reads them. */
static void
test_lang_parse_check_with_env_items(void **state)
{
    (void)state;
    const char *text = "command c\n"
                       "    do\n"
                       "        with_env \"A=1, B = two words ,\"\n" /* fine */
                       "            print \"x\"\n"
                       "        end\n"
                       "        with_env \"A B=1\"\n" /* 6 */
                       "            print \"x\"\n"
                       "        end\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_false(lang_check(p, known_op, NULL, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "t.perch:6:18: error: 'with_env': 'A B' is not a variable name"));
    assert_int_equal(d.error_count, 1);
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);
}

/* Test settings on a command that is not a test do nothing: a warning. */
static void
test_lang_parse_check_test_settings_without_test(void **state)
{
    (void)state;
    const char *text = "command test_forgot\n"
                       "    test_allow_shell\n"
                       "    do\n"
                       "        print \"x\"\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_true(lang_check(p, known_op, NULL, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "t.perch:1:1: warning: command 'test_forgot' has test settings "
                                "but is not marked 'test': perch test will not run it (add a "
                                "'test' line)"));
    assert_int_equal(d.warning_count, 1);
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_parse_check_reports_unknown_names(void **state)
{
    (void)state;
    const char *text = "requires\n"
                       "    bin \"git\"\n"
                       "end\n"
                       "command helper\n"
                       "    print \"h\"\n"
                       "end\n"
                       "command c\n"
                       "    arg a\n"
                       "    end\n"
                       "    do\n"
                       "        helpr\n" /* 11: typo */
                       "        git \"status\"\n"
                       "        mkdri \"x\"\n"    /* 13: unknown op */
                       "        wasm_arg \"y\"\n" /* 14: outside wasm_run */
                       "        print \"${a} ${nope} ${nope} ${HOME} ${bad_fn(a)}\"\n" /* 15 */
                       "        wasm_run \"m.wasm\"\n"
                       "            print \"inside\"\n" /* 17: not a decl */
                       "        end\n"
                       "        parallel many\n" /* 19: not a number */
                       "        end\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_false(lang_check(p, known_op, NULL, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "t.perch:13:9: error: unknown op or command 'mkdri'"));
    assert_non_null(
        strstr(out, "t.perch:14:9: error: 'wasm_arg' belongs inside a 'wasm_run' block"));
    assert_non_null(strstr(out, "t.perch:15:21: warning: unknown variable 'nope'"));
    assert_non_null(strstr(out, "t.perch:15:45: error: unknown function 'bad_fn'"));
    assert_non_null(
        strstr(out, "t.perch:17:13: error: 'print' cannot appear in a 'wasm_run' block"));
    assert_non_null(strstr(out, "t.perch:19:18: error: 'parallel' takes a whole number"));
    assert_non_null(strstr(out, "t.perch:11:9: error: unknown op or command 'helpr' (did you "
                                "mean 'helper'?)"));
    assert_null(strstr(out, "'git'"));
    assert_null(strstr(out, "variable 'HOME'"));
    assert_int_equal(d.warning_count, 1); /* 'nope' once */
    assert_int_equal(d.error_count, 6);
    free(out);
    lang_diags_release(&d);

    /* With the op names at hand, a misspelled op gets a suggestion too. */
    static const char *const names[] = { "print", "glob", "sha256_file", "exists", "mkdir" };
    struct lang_check_opts opts = { 0 };
    opts.is_op = known_op;
    opts.op_names = names;
    opts.op_count = sizeof(names) / sizeof(names[0]);
    lang_diags_init(&d);
    assert_false(lang_check_opts(p, &opts, &d));
    out = printed(&d);
    assert_non_null(strstr(out, "unknown op or command 'mkdri' (did you mean 'mkdir'?)"));
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_parse_check_judges_literal_block_arguments(void **state)
{
    (void)state;
    const char *text = "bundle\n"
                       "    include \"a.wasm\" as tool\n"
                       "end\n"
                       "command c\n"
                       "    timeout \"30 s\"\n" /* 5 */
                       "    end\n"
                       "    timeout \"1h30m\"\n"
                       "    end\n"
                       "    cache \"k\" \"forever\"\n" /* 9 */
                       "    end\n"
                       "    sandbox \"no_shell, no_netwrk\"\n" /* 11 */
                       "    end\n"
                       "    with_env \"A=1,B\"\n" /* 13 */
                       "    end\n"
                       "    wasm_run tool\n"
                       "    end\n"
                       "    wasm_run tol\n" /* 17 */
                       "    end\n"
                       "    timeout \"${t}\"\n" /* judged at run time */
                       "        wasm_run \"./m.wasm\"\n"
                       "        end\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_false(lang_check(p, NULL, NULL, &d));
    static const struct {
        unsigned line;
        const char *msg;
    } want[] = {
        { 5, "'timeout' takes a duration such as 30s or 5m, not '30 s'" },
        { 9, "the 'cache' time to live is a duration" },
        { 11, "unknown sandbox flag 'no_netwrk' (did you mean 'no_network'?)" },
        { 13, "'with_env' takes KEY=value pairs separated by commas, not 'B'" },
        { 17, "unknown bundle alias 'tol'" },
    };
    assert_int_equal(d.error_count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(d.items[i].loc.line, want[i].line);
        if (!strstr(d.items[i].message, want[i].msg))
            fail_msg("diag %zu: '%s' lacks '%s'", i, d.items[i].message, want[i].msg);
    }
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_parse_check_command_call_arity(void **state)
{
    (void)state;
    const char *text = "command two\n"
                       "    arg a\n"
                       "        index 0\n"
                       "    end\n"
                       "    arg b\n"
                       "        index 1\n"
                       "    end\n"
                       "    arg c\n"
                       "        default 1\n"
                       "    end\n"
                       "    print \"${a}${b}${c}\"\n"
                       "end\n"
                       "command many\n"
                       "    arg all\n"
                       "        rest\n"
                       "    end\n"
                       "    print \"${all}\"\n"
                       "end\n"
                       "command go\n"
                       "    two 1 2\n"
                       "    two 1 2 3\n"    /* 21: too many */
                       "    two 1 2 -c=3\n" /* flags: left to the runtime */
                       "    many 1 2 3 4 5\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_false(lang_check(p, NULL, NULL, &d));
    assert_int_equal(d.error_count, 1);
    assert_int_equal(d.items[0].loc.line, 21);
    assert_int_equal(d.items[0].loc.col, 13);
    assert_string_equal(d.items[0].message,
                        "too many arguments for command 'two' (it takes 2 positional arguments)");
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_parse_check_knows_every_binding_form(void **state)
{
    (void)state;
    const char *text = "G = 1\n"
                       "command c\n"
                       "    arg a\n"
                       "    end\n"
                       "    env lower_env \"x\"\n"
                       "    do\n"
                       "        print \"${late}\"\n" /* captured further down: fine */
                       "        late = print \"x\"\n"
                       "        n = 0\n"
                       "        for_each \"${a}\" item\n"
                       "            print \"${item} ${n} ${G} ${lower_env} ${script_dir}\"\n"
                       "        end\n"
                       "        with_env \"k1=1, k2=2\"\n"
                       "            print \"${k1}${k2}\"\n"
                       "        end\n"
                       "        try\n"
                       "            print 1\n"
                       "        rescue\n"
                       "            print \"${err.kind} ${err.message}\"\n"
                       "        end\n"
                       "        print \"${missing}\"\n" /* 21: the one warning */
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_true(lang_check(p, NULL, NULL, &d));
    assert_int_equal(d.warning_count, 1);
    assert_int_equal(d.items[0].loc.line, 21);
    assert_non_null(strstr(d.items[0].message, "unknown variable 'missing'"));
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_parse_check_warns_on_unknown_platform_names(void **state)
{
    (void)state;
    const char *text = "requires\n"
                       "    os linux macos\n"
                       "    arch x86_64\n"
                       "end\n"
                       "command c\n"
                       "    require_os linx\n"
                       "    do\n"
                       "        os \"linux,darwin\"\n"
                       "        end\n"
                       "        arch \"arm64\" \"sparc\"\n"
                       "        end\n"
                       "    end\n"
                       "end\n";
    struct lang_diags d;
    struct lang_program *p = load(text, &d);
    assert_non_null(p);
    assert_true(lang_check(p, NULL, NULL, &d)); /* warnings only */
    char *out = printed(&d);
    assert_int_equal(d.warning_count, 4);
    assert_non_null(strstr(out, "'linx' is not an os name perch uses (did you mean 'linux'?)"));
    assert_non_null(strstr(out, "t.perch:10:22: warning: 'sparc' is not an arch name"));
    assert_non_null(strstr(out, "'macos' is not an os name perch uses (did you mean 'darwin'?)"));
    assert_non_null(strstr(out, "'x86_64' is not an arch name perch uses (did you mean 'amd64'?)"));
    free(out);
    lang_program_free(p);
    lang_diags_release(&d);
}

static void
test_lang_parse_indentation_warnings(void **state)
{
    (void)state;
    const char *text = "command c\n"
                       "    do\n"
                       "      print \"a\"\n"
                       "        print \"b\"\n"
                       "\t  print \"c\"\n"
                       "    end\n"
                       "end\n";
    struct lang_load_opts opts = { 0 };
    opts.warn_indent = true;
    struct lang_diags d;
    lang_diags_init(&d);
    struct lang_program *p = lang_load_string_opts("t.perch", text, strlen(text), &opts, &d);
    assert_non_null(p); /* warnings do not fail the load */
    assert_int_equal(d.warning_count, 2);
    assert_int_equal(d.items[0].loc.line, 3);
    assert_non_null(strstr(d.items[0].message, "expected 8 columns, found 6"));
    assert_int_equal(d.items[1].loc.line, 5);
    assert_non_null(strstr(d.items[1].message, "mixes tabs and spaces"));
    lang_program_free(p);
    lang_diags_release(&d);
    /* Without the option, no warnings at all. */
    p = load(text, &d);
    assert_non_null(p);
    assert_int_equal(d.warning_count, 0);
    lang_program_free(p);
    lang_diags_release(&d);

    /* Tabs on some lines and spaces on others: named as such, not as
     * column counts; a file indented with tabs throughout is fine. */
    static const char *const tabs_then_spaces = "command c\n"
                                                "\tdo\n"
                                                "        print \"x\"\n"
                                                "\tend\n"
                                                "end\n";
    static const char *const tabs_only = "command c\n"
                                         "\tdo\n"
                                         "\t\tprint \"x\"\n"
                                         "\tend\n"
                                         "end\n";
    lang_diags_init(&d);
    p = lang_load_string_opts("t.perch", tabs_then_spaces, strlen(tabs_then_spaces), &opts, &d);
    assert_non_null(p);
    assert_int_equal(d.warning_count, 1);
    assert_int_equal(d.items[0].loc.line, 3);
    assert_string_equal(d.items[0].message, "indentation uses spaces here but tabs on line 2");
    lang_program_free(p);
    lang_diags_release(&d);
    lang_diags_init(&d);
    p = lang_load_string_opts("t.perch", tabs_only, strlen(tabs_only), &opts, &d);
    assert_non_null(p);
    assert_int_equal(d.warning_count, 0);
    lang_program_free(p);
    lang_diags_release(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang_parse_every_construct),
        cmocka_unit_test(test_lang_parse_tree_fields),
        cmocka_unit_test(test_lang_parse_user_guide_files),
        cmocka_unit_test(test_lang_parse_guide_parallel_for_each_shape),
        cmocka_unit_test(test_lang_parse_arg_missing_end_is_one_error),
        cmocka_unit_test(test_lang_parse_errors_recover_and_report_several),
        cmocka_unit_test(test_lang_parse_diagnostic_format_with_caret),
        cmocka_unit_test(test_lang_parse_diagnostics_are_capped),
        cmocka_unit_test(test_lang_parse_nesting_is_capped),
        cmocka_unit_test(test_lang_parse_condition_forms),
        cmocka_unit_test(test_lang_parse_top_level_block_errors),
        cmocka_unit_test(test_lang_parse_missing_spaces_around_operators),
        cmocka_unit_test(test_lang_parse_find_command_among_many),
        cmocka_unit_test(test_lang_parse_reserved_words_cannot_be_names),
        cmocka_unit_test(test_lang_parse_long_conditions_and_chains_are_capped),
        cmocka_unit_test(test_lang_parse_rejects_misplaced_constructs),
        cmocka_unit_test(test_lang_parse_missing_end_stops_at_next_command),
        cmocka_unit_test(test_lang_parse_config_values_are_validated),
        cmocka_unit_test(test_lang_parse_typos_get_suggestions_and_recover),
        cmocka_unit_test(test_lang_parse_check_reports_unknown_names),
        cmocka_unit_test(test_lang_parse_check_test_settings_without_test),
        cmocka_unit_test(test_lang_parse_check_with_env_items),
        cmocka_unit_test(test_lang_parse_check_retry_backoff_duration),
        cmocka_unit_test(test_lang_parse_capturing_a_block_without_a_value_is_an_error),
        cmocka_unit_test(test_lang_parse_check_unknown_variables_in_bindings_and_proxy_args),
        cmocka_unit_test(test_lang_parse_check_warns_command_shadowing_an_op),
        cmocka_unit_test(test_lang_parse_check_warns_command_substitution_outside_a_shell),
        cmocka_unit_test(test_lang_parse_check_judges_command_call_arguments),
        cmocka_unit_test(test_lang_parse_check_warns_bare_variable_as_loop_list),
        cmocka_unit_test(test_lang_parse_check_judges_literal_block_arguments),
        cmocka_unit_test(test_lang_parse_check_command_call_arity),
        cmocka_unit_test(test_lang_parse_check_knows_every_binding_form),
        cmocka_unit_test(test_lang_parse_check_warns_on_unknown_platform_names),
        cmocka_unit_test(test_lang_parse_indentation_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
