/*
 * test_mcp_tools.c: perch-mcp's pieces without a process around them:
 * UTF-8 clean-up, tool names, generated schemas and argument checks, and
 * JSON-RPC message classification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "base/sbuf.h"
#include "exec/exec.h"
#include "lang/lang.h"
#include "mcp/mcp_int.h"

static const char program_text[] =
    "command typed\n"
    "    description \"Typed arguments\"\n"
    "    arg s\n"
    "        type string\n"
    "    end\n"
    "    arg n\n"
    "        type int\n"
    "        default 7\n"
    "    end\n"
    "    arg f\n"
    "        type float\n"
    "        optional\n"
    "    end\n"
    "    arg b\n"
    "        type bool\n"
    "        default false\n"
    "    end\n"
    "    arg home\n"
    "        default \"${HOME}/x\"\n"
    "    end\n"
    /* a rest argument takes zero or more words: never required */
    "    arg words\n"
    "        rest\n"
    "    end\n"
    "    do\n"
    "        print \"${s}\"\n"
    "    end\n"
    "end\n"
    "command secret\n"
    "    private\n"
    "    do\n"
    "        print \"x\"\n"
    "    end\n"
    "end\n";

static struct lang_program *
load(void)
{
    struct lang_diags diags;
    lang_diags_init(&diags);
    struct lang_program *prog =
        lang_load_string("t.perch", program_text, strlen(program_text), &diags);
    lang_diags_print(&diags, stderr);
    lang_diags_release(&diags);
    assert_non_null(prog);
    return prog;
}

/* Clean 'len' bytes and return the result (static buffer for the test). */
static const char *
clean(const char *data, size_t len, size_t *out_len)
{
    static char out[256];
    struct sbuf sb = SBUF_INIT;
    mcp_utf8_append(&sb, data, len);
    assert_true(sb.len < sizeof(out));
    memcpy(out, sb.buf, sb.len + 1);
    *out_len = sb.len;
    sbuf_release(&sb);
    return out;
}

#define FFFD "\xEF\xBF\xBD"

static void
test_utf8_keeps_valid_text(void **state)
{
    (void)state;
    size_t n;
    const char *text = "a \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 z"; /* é € 😀 */
    assert_string_equal(clean(text, strlen(text), &n), text);
    assert_int_equal(n, strlen(text));
}

static void
test_utf8_replaces_each_bad_byte(void **state)
{
    (void)state;
    size_t n;
    /* invalid bytes, an overlong '/', a surrogate, past U+10FFFF, a cut sequence */
    assert_string_equal(clean("\xFF\xFE", 2, &n), FFFD FFFD);
    assert_string_equal(clean("\xC0\xAF", 2, &n), FFFD FFFD);
    assert_string_equal(clean("\xED\xA0\x80", 3, &n), FFFD FFFD FFFD);
    assert_string_equal(clean("\xF4\x90\x80\x80", 4, &n), FFFD FFFD FFFD FFFD);
    assert_string_equal(clean("ok\xE2\x82", 4, &n), "ok" FFFD FFFD);
    assert_string_equal(clean("a\0b", 3, &n), "a" FFFD "b");
    json_t *j = mcp_json_text("\xE2\x82 x \xFF", 6);
    assert_non_null(j);
    assert_string_equal(json_string_value(j), FFFD FFFD " x " FFFD);
    json_decref(j);
}

static void
test_tool_names(void **state)
{
    (void)state;
    char name[MCP_TOOL_NAME_MAX + 1];
    /* The MCP tool name alphabet has '.', so a namespaced command keeps it. */
    mcp_tool_name("ns.build", name);
    assert_string_equal(name, "ns.build");
    mcp_tool_name("a b/c", name);
    assert_string_equal(name, "a_b_c");
    mcp_tool_name("a-b_C9", name);
    assert_string_equal(name, "a-b_C9");
    mcp_tool_name("caf\xC3\xA9", name);
    assert_string_equal(name, "caf__");
    char long_name[100];
    memset(long_name, 'x', 99);
    long_name[99] = '\0';
    mcp_tool_name(long_name, name);
    assert_int_equal(strlen(name), MCP_TOOL_NAME_MAX);
}

static void
test_tools_skip_private_and_add_builtins(void **state)
{
    (void)state;
    struct lang_program *prog = load();
    struct mcp_tools tools;
    mcp_tools_build(&tools, prog, NULL);
    assert_int_equal(tools.count, 3);
    assert_string_equal(tools.items[0].name, "typed");
    assert_string_equal(tools.items[1].name, "perch_list");
    assert_string_equal(tools.items[2].name, "perch_run");
    assert_null(mcp_tools_find(&tools, "secret"));
    assert_null(mcp_find_public_command(prog, &tools, "secret"));
    assert_non_null(mcp_find_public_command(prog, &tools, "typed"));
    mcp_tools_release(&tools);
    lang_program_free(prog);
}

static void
test_schema_from_arg_blocks(void **state)
{
    (void)state;
    struct lang_program *prog = load();
    json_t *schema = mcp_command_schema(lang_find_command(prog, "typed"));
    json_t *props = json_object_get(schema, "properties");
    assert_string_equal(json_string_value(json_object_get(json_object_get(props, "s"), "type")),
                        "string");
    json_t *n = json_object_get(props, "n");
    assert_string_equal(json_string_value(json_object_get(n, "type")), "integer");
    assert_int_equal(json_integer_value(json_object_get(n, "default")), 7);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(props, "f"), "type")), "number");
    json_t *b = json_object_get(props, "b");
    assert_true(json_is_false(json_object_get(b, "default")));
    /* a default computed at run time is not shown, and does not make it required */
    assert_null(json_object_get(json_object_get(props, "home"), "default"));
    assert_non_null(json_object_get(json_object_get(props, "words"), "description"));
    json_t *required = json_object_get(schema, "required");
    assert_int_equal(json_array_size(required), 1);
    assert_string_equal(json_string_value(json_array_get(required, 0)), "s");
    assert_true(json_is_false(json_object_get(schema, "additionalProperties")));
    json_decref(schema);
    lang_program_free(prog);
}

/* Check 'args_json' against "typed"; returns the error message or NULL. */
static const char *
check(const struct lang_program *prog, const char *args_json, struct exec_args *out)
{
    static struct err err;
    memset(&err, 0, sizeof(err));
    json_t *args = json_loads(args_json, 0, NULL);
    assert_non_null(args);
    bool ok = mcp_args_from_json(lang_find_command(prog, "typed"), args, out, &err);
    json_decref(args);
    return ok ? NULL : err.msg;
}

static const char *
value_of(const struct exec_args *args, const char *name)
{
    for (size_t i = 0; i < args->count; i++)
        if (!strcmp(args->items[i].name, name))
            return args->items[i].value;
    return NULL;
}

static void
test_arguments_checked_against_schema(void **state)
{
    (void)state;
    struct lang_program *prog = load();
    struct exec_args a = { 0 };
    assert_null(check(prog, "{\"s\":\"x\",\"n\":2.0,\"f\":3,\"b\":true}", &a));
    assert_string_equal(value_of(&a, "n"), "2");
    assert_string_equal(value_of(&a, "f"), "3");
    assert_string_equal(value_of(&a, "b"), "true");
    exec_args_release(&a);
    /* A string that is exactly an int, float or bool counts as one. */
    struct exec_args t = { 0 };
    assert_null(check(prog, "{\"s\":\"x\",\"n\":\"7\",\"f\":\"-1.5\",\"b\":\"true\"}", &t));
    assert_string_equal(value_of(&t, "n"), "7");
    assert_string_equal(value_of(&t, "f"), "-1.5");
    assert_string_equal(value_of(&t, "b"), "true");
    exec_args_release(&t);

    struct {
        const char *json, *message;
    } bad[] = {
        { "{\"s\":\"x\",\"n\":\"x\"}", "argument \"n\": expected integer, got \"x\"" },
        { "{\"s\":\"x\",\"n\":2.5}", "argument \"n\": expected integer, got 2.5" },
        { "{\"s\":\"x\",\"n\":1e300}", "argument \"n\": expected integer, got 1e300" },
        { "{\"s\":1}", "argument \"s\": expected string, got 1" },
        { "{\"s\":\"x\",\"b\":\"yes\"}", "argument \"b\": expected boolean, got \"yes\"" },
        { "{\"s\":\"x\",\"b\":\"True\"}", "argument \"b\": expected boolean, got \"True\"" },
        { "{\"s\":\"x\",\"n\":\"7.5\"}", "argument \"n\": expected integer, got \"7.5\"" },
        { "{\"s\":\"x\",\"n\":\" 7\"}", "argument \"n\": expected integer, got \" 7\"" },
        { "{\"s\":\"x\",\"n\":\"\"}", "argument \"n\": expected integer, got \"\"" },
        { "{\"s\":\"x\",\"f\":\"inf\"}", "argument \"f\": expected number, got \"inf\"" },
        { "{\"s\":\"x\",\"f\":\"1e999\"}", "argument \"f\": expected number, got \"1e999\"" },
        { "{\"s\":\"x\",\"f\":null}", "argument \"f\": expected number, got null" },
        { "{\"s\":\"x\",\"zz\":1}",
          "unknown argument \"zz\" (command \"typed\" takes: s, n, f, b, home, words)" },
        { "{}", "missing required argument \"s\" (string)" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct exec_args args = { 0 };
        const char *msg = check(prog, bad[i].json, &args);
        assert_non_null(msg);
        assert_string_equal(msg, bad[i].message);
        exec_args_release(&args);
    }
    lang_program_free(prog);
}

static void
test_message_classification(void **state)
{
    (void)state;
    struct {
        const char *line;
        enum mcp_msg_kind kind;
        int code;
    } cases[] = {
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", MCP_MSG_REQUEST, 0 },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}", MCP_MSG_NOTIFICATION, 0 },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":1}", MCP_MSG_INVALID_NOTIFICATION,
          0 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", MCP_MSG_RESPONSE, 0 },
        { "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", MCP_MSG_BATCH, 0 },
        { "{", MCP_MSG_INVALID, MCP_PARSE_ERROR },
        { "[]", MCP_MSG_INVALID, MCP_INVALID_REQUEST },
        { "7", MCP_MSG_INVALID, MCP_INVALID_REQUEST },
        { "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}", MCP_MSG_INVALID,
          MCP_INVALID_REQUEST },
        { "{\"jsonrpc\":\"2.0\",\"id\":1}", MCP_MSG_INVALID, MCP_INVALID_REQUEST },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mcp_msg msg;
        mcp_msg_parse(cases[i].line, strlen(cases[i].line), &msg);
        assert_int_equal(msg.kind, cases[i].kind);
        if (cases[i].kind == MCP_MSG_INVALID)
            assert_int_equal(msg.error_code, cases[i].code);
        mcp_msg_release(&msg);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_keeps_valid_text),
        cmocka_unit_test(test_utf8_replaces_each_bad_byte),
        cmocka_unit_test(test_tool_names),
        cmocka_unit_test(test_tools_skip_private_and_add_builtins),
        cmocka_unit_test(test_schema_from_arg_blocks),
        cmocka_unit_test(test_arguments_checked_against_schema),
        cmocka_unit_test(test_message_classification),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
