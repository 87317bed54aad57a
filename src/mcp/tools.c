/*
 * src/mcp/tools.c: MCP tools from a program's commands: naming, the
 * inputSchema built from `arg` blocks, checking a call's arguments against
 * it, perch_list's listing, and making text valid UTF-8 for JSON.
 */
#include "mcp/mcp_int.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "exec/value.h"

/* ---- UTF-8 -------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at 'p' (Unicode table 3-7), or 0. */
static size_t
utf8_seq_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < need)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return need;
}

void
mcp_utf8_append(struct sbuf *out, const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t i = 0, run = 0; /* [i - run, i) is valid text not yet copied */
    while (i < len) {
        size_t n = p[i] ? utf8_seq_len(p + i, len - i) : 0;
        if (n) {
            i += n;
            run += n;
            continue;
        }
        sbuf_add(out, data + i - run, run);
        run = 0;
        sbuf_adds(out, "\xEF\xBF\xBD"); /* also for NUL, which would end a C string */
        i++;
    }
    sbuf_add(out, data + i - run, run);
}

json_t *
mcp_json_text(const char *s, size_t len)
{
    struct sbuf sb;
    sbuf_init(&sb);
    mcp_utf8_append(&sb, s, len);
    json_t *j = json_stringn(sb.buf, sb.len);
    sbuf_release(&sb);
    if (!j)
        BUG("json_stringn refused cleaned text");
    return j;
}

json_t *
mcp_json_str(const char *s)
{
    return s ? mcp_json_text(s, strlen(s)) : json_string("");
}

/* ---- names -------------------------------------------------------------- */

void
mcp_tool_name(const char *cmd_name, char *out)
{
    size_t n = 0;
    for (const char *p = cmd_name; *p && n < MCP_TOOL_NAME_MAX; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
}

bool
mcp_command_is_public(const struct lang_command *cmd)
{
    return !cmd->is_test && !cmd->is_private;
}

static void
add_tool(struct mcp_tools *tools, size_t *cap, const char *name, enum mcp_tool_kind kind,
         const struct lang_command *cmd, FILE *log)
{
    if (!name[0])
        return;
    const struct mcp_tool *prev = mcp_tools_find(tools, name);
    if (prev) {
        if (log)
            fprintf(log,
                    "perch-mcp: tool name '%s' (from %s%s%s) is already taken by %s%s%s; "
                    "keeping the first\n",
                    name, cmd ? "command '" : "", cmd ? cmd->name : name, cmd ? "'" : "",
                    prev->cmd ? "command '" : "", prev->cmd ? prev->cmd->name : prev->name,
                    prev->cmd ? "'" : "");
        return;
    }
    tools->items = xgrow(tools->items, cap, tools->count + 1, sizeof(*tools->items));
    struct mcp_tool *t = &tools->items[tools->count++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->kind = kind;
    t->cmd = cmd;
}

void
mcp_tools_build(struct mcp_tools *tools, const struct lang_program *prog, FILE *log)
{
    memset(tools, 0, sizeof(*tools));
    size_t cap = 0;
    char name[MCP_TOOL_NAME_MAX + 1];
    for (size_t i = 0; i < prog->command_count; i++) {
        const struct lang_command *cmd = &prog->commands[i];
        if (!mcp_command_is_public(cmd))
            continue;
        mcp_tool_name(cmd->name, name);
        add_tool(tools, &cap, name, MCP_TOOL_COMMAND, cmd, log);
    }
    add_tool(tools, &cap, "perch_list", MCP_TOOL_LIST, NULL, log);
    add_tool(tools, &cap, "perch_run", MCP_TOOL_RUN, NULL, log);
}

void
mcp_tools_release(struct mcp_tools *tools)
{
    if (!tools)
        return;
    free(tools->items);
    memset(tools, 0, sizeof(*tools));
}

const struct mcp_tool *
mcp_tools_find(const struct mcp_tools *tools, const char *name)
{
    for (size_t i = 0; i < tools->count; i++)
        if (!strcmp(tools->items[i].name, name))
            return &tools->items[i];
    return NULL;
}

const struct mcp_tool *
mcp_tools_find_call(const struct mcp_tools *tools, const char *name)
{
    const struct mcp_tool *t = mcp_tools_find(tools, name);
    if (t)
        return t;
    /* "ns_build" for the tool "ns.build": the name a client that only
     * allows [A-Za-z0-9_-] in tool names would send. */
    for (size_t i = 0; i < tools->count; i++) {
        const char *a = tools->items[i].name, *b = name;
        if (!strchr(a, '.'))
            continue;
        while (*a && *b && (*a == *b || (*a == '.' && *b == '_')))
            a++, b++;
        if (!*a && !*b)
            return &tools->items[i];
    }
    return NULL;
}

const struct lang_command *
mcp_find_public_command(const struct lang_program *prog, const struct mcp_tools *tools,
                        const char *name)
{
    const struct lang_command *cmd = lang_find_command(prog, name);
    if (cmd && mcp_command_is_public(cmd))
        return cmd;
    const struct mcp_tool *t = mcp_tools_find(tools, name);
    return t && t->kind == MCP_TOOL_COMMAND ? t->cmd : NULL;
}

/* ---- schemas ------------------------------------------------------------ */

static const char *
json_type_of(enum lang_type type)
{
    switch (type) {
    case LANG_TYPE_INT:
        return "integer";
    case LANG_TYPE_FLOAT:
        return "number";
    case LANG_TYPE_BOOL:
        return "boolean";
    case LANG_TYPE_STRING:
        break;
    }
    return "string";
}

/* The default as a typed JSON value; NULL when it is computed at run time
 * (it interpolates) or does not read as its type. */
static json_t *
default_json(const struct lang_arg *arg)
{
    const struct lang_word *w = arg->default_value;
    if (!w || w->has_interp)
        return NULL;
    int64_t i;
    double f;
    switch (arg->type) {
    case LANG_TYPE_INT:
        return exec_text_int(w->text, &i) ? json_integer(i) : NULL;
    case LANG_TYPE_FLOAT:
        return exec_text_float(w->text, &f) && isfinite(f) ? json_real(f) : NULL;
    case LANG_TYPE_BOOL:
        return json_boolean(exec_text_truthy(w->text));
    case LANG_TYPE_STRING:
        break;
    }
    return mcp_json_text(w->text, w->len);
}

/* A rest argument takes zero or more words, so it is never required (as
 * `perch CMD --help` says). */
static bool
arg_is_required(const struct lang_arg *arg)
{
    return !arg->is_rest && !arg->default_value && !arg->is_optional;
}

json_t *
mcp_command_schema(const struct lang_command *cmd)
{
    json_t *schema = json_object();
    json_t *props = json_object();
    json_t *required = json_array();
    json_object_set_new(schema, "type", json_string("object"));
    for (size_t i = 0; i < cmd->arg_count; i++) {
        const struct lang_arg *arg = &cmd->args[i];
        json_t *p = json_object();
        json_object_set_new(p, "type", json_string(json_type_of(arg->type)));
        struct sbuf desc;
        sbuf_init(&desc);
        if (arg->description)
            sbuf_adds(&desc, arg->description);
        if (arg->is_rest)
            sbuf_addf(&desc, "%s(the remaining positional words, one per line)",
                      desc.len ? " " : "");
        if (desc.len)
            json_object_set_new(p, "description", mcp_json_text(desc.buf, desc.len));
        sbuf_release(&desc);
        json_t *def = default_json(arg);
        if (def)
            json_object_set_new(p, "default", def);
        json_object_set_new(props, arg->name, p);
        if (arg_is_required(arg))
            json_array_append_new(required, json_string(arg->name));
    }
    json_object_set_new(schema, "properties", props);
    if (json_array_size(required))
        json_object_set_new(schema, "required", required);
    else
        json_decref(required);
    json_object_set_new(schema, "additionalProperties", json_false());
    return schema;
}

static json_t *
run_output_schema(void)
{
    json_t *err_props = json_pack("{s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s}}", "kind",
                                  "type", "string", "message", "type", "string", "code", "type",
                                  "integer", "file", "type", "string", "line", "type", "integer",
                                  "column", "type", "integer");
    json_t *error = json_pack("{s:s,s:o,s:[s,s]}", "type", "object", "properties", err_props,
                              "required", "kind", "message");
    json_t *props = json_pack("{s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:o}", "ok", "type", "boolean",
                              "stdout", "type", "string", "stderr", "type", "string",
                              "truncated", "type", "boolean", "error", error);
    return json_pack("{s:s,s:o,s:[s,s,s]}", "type", "object", "properties", props, "required",
                     "ok", "stdout", "stderr");
}

static json_t *
list_output_schema(void)
{
    json_t *arg = json_pack("{s:s,s:{s:{s:s},s:{s:s},s:{s:s},s:{s:s}}}", "type", "object",
                            "properties", "name", "type", "string", "type", "type", "string",
                            "required", "type", "boolean", "description", "type", "string");
    json_t *cmd = json_pack("{s:s,s:{s:{s:s},s:{s:s},s:{s:s},s:{s:s,s:o}},s:[s]}", "type",
                            "object", "properties", "name", "type", "string", "tool", "type",
                            "string", "description", "type", "string", "args", "type", "array",
                            "items", arg, "required", "name");
    return json_pack("{s:s,s:{s:{s:s,s:o}},s:[s]}", "type", "object", "properties", "commands",
                     "type", "array", "items", cmd, "required", "commands");
}

static json_t *
run_input_schema(const struct lang_program *prog)
{
    /* perch_run names commands by their perch names: every public command,
     * even one whose tool name was taken by an earlier command. */
    json_t *names = json_array();
    for (size_t i = 0; i < prog->command_count; i++)
        if (mcp_command_is_public(&prog->commands[i]))
            json_array_append_new(names, mcp_json_str(prog->commands[i].name));
    json_t *command = json_pack("{s:s,s:s}", "type", "string", "description",
                                "Name of the command to run (see perch_list)");
    if (json_array_size(names))
        json_object_set_new(command, "enum", names);
    else
        json_decref(names);
    json_t *name = json_pack("{s:s,s:s}", "type", "string", "description",
                             "Another name for \"command\"");
    json_t *args = json_pack("{s:s,s:s}", "type", "object", "description",
                             "The command's arguments by name, typed as perch_list shows "
                             "(they may also be given flat, beside \"command\")");
    /* "command" or "name" is required (checked by the server, which says
     * which is missing); other properties are the command's arguments. */
    return json_pack("{s:s,s:{s:o,s:o,s:o},s:b}", "type", "object", "properties", "command",
                     command, "name", name, "args", args, "additionalProperties", 1);
}

json_t *
mcp_tool_describe(const struct mcp_tool *tool, const struct mcp_tools *tools,
                  const struct lang_program *prog, enum mcp_version v)
{
    (void)tools;
    json_t *t = json_object();
    json_object_set_new(t, "name", json_string(tool->name));
    bool modern = v >= MCP_V_2025_06_18;
    switch (tool->kind) {
    case MCP_TOOL_COMMAND: {
        const struct lang_command *cmd = tool->cmd;
        if (modern)
            json_object_set_new(t, "title", mcp_json_str(cmd->name));
        if (cmd->description) {
            json_object_set_new(t, "description", mcp_json_str(cmd->description));
        } else {
            char *d = xasprintf("Run the perch command '%s'", cmd->name);
            json_object_set_new(t, "description", mcp_json_str(d));
            free(d);
        }
        json_object_set_new(t, "inputSchema", mcp_command_schema(cmd));
        if (modern)
            json_object_set_new(t, "outputSchema", run_output_schema());
        break;
    }
    case MCP_TOOL_LIST:
        if (modern)
            json_object_set_new(t, "title", json_string("List perch commands"));
        json_object_set_new(t, "description",
                            json_string("List the commands this server runs, with their "
                                        "arguments (name, type, required, default)"));
        json_object_set_new(t, "inputSchema",
                            json_pack("{s:s,s:{},s:b}", "type", "object", "properties",
                                      "additionalProperties", 0));
        if (modern)
            json_object_set_new(t, "outputSchema", list_output_schema());
        if (v >= MCP_V_2025_03_26)
            json_object_set_new(t, "annotations",
                                json_pack("{s:b,s:b}", "readOnlyHint", 1, "openWorldHint", 0));
        break;
    case MCP_TOOL_RUN:
        if (modern)
            json_object_set_new(t, "title", json_string("Run a perch command"));
        json_object_set_new(t, "description",
                            json_string("Run a command by name with its arguments as an object: "
                                        "{\"command\": \"NAME\", \"args\": {...}} (or "
                                        "\"name\" for \"command\", and the arguments flat "
                                        "beside it)"));
        json_object_set_new(t, "inputSchema", run_input_schema(prog));
        if (modern)
            json_object_set_new(t, "outputSchema", run_output_schema());
        break;
    }
    return t;
}

/* ---- arguments ---------------------------------------------------------- */

/* A short JSON rendering of a client value for messages, cut at ~60 bytes. */
static void
describe_value(struct sbuf *out, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (!text) {
        sbuf_adds(out, "?");
        return;
    }
    size_t n = strlen(text);
    if (n > 60) {
        sbuf_add(out, text, 57);
        sbuf_adds(out, "...");
    } else {
        sbuf_add(out, text, n);
    }
    free(text);
}

static bool
type_error(const struct lang_arg *arg, const json_t *value, struct err *err)
{
    struct sbuf sb;
    sbuf_init(&sb);
    describe_value(&sb, value);
    err_set(err, ERR_USAGE, "argument \"%s\": expected %s, got %s", arg->name,
            json_type_of(arg->type), sb.buf);
    sbuf_release(&sb);
    return false;
}

/*
 * A JSON string given for an int, float or bool argument ("7" for 7): the
 * text perch sees, when the whole string is exactly a value of that type
 * (no blanks around it); else false. Clients driven by a language model
 * often send numbers and booleans as strings.
 */
static bool
typed_string_text(const struct lang_arg *arg, const json_t *value, char **out_text)
{
    const char *s = json_string_value(value);
    size_t n = json_string_length(value);
    if (!n || strlen(s) != n || isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
        return false;
    int64_t i;
    double d;
    switch (arg->type) {
    case LANG_TYPE_INT:
        if (!exec_text_int(s, &i))
            return false;
        *out_text = xasprintf("%lld", (long long)i);
        return true;
    case LANG_TYPE_FLOAT:
        if (!exec_text_float(s, &d) || !isfinite(d))
            return false;
        *out_text = xstrdup(s);
        return true;
    case LANG_TYPE_BOOL:
        if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
            return false;
        *out_text = xstrdup(s);
        return true;
    case LANG_TYPE_STRING:
        break;
    }
    return false;
}

/* The text perch sees for one typed value; false with a type error. */
static bool
value_text(const struct lang_arg *arg, const json_t *value, char **out_text, struct err *err)
{
    if (arg->type != LANG_TYPE_STRING && json_is_string(value)) {
        if (typed_string_text(arg, value, out_text))
            return true;
        return type_error(arg, value, err);
    }
    switch (arg->type) {
    case LANG_TYPE_STRING:
        if (!json_is_string(value))
            return type_error(arg, value, err);
        if (strlen(json_string_value(value)) != json_string_length(value))
            return err_set(err, ERR_USAGE, "argument \"%s\": contains a NUL character",
                           arg->name);
        *out_text = xstrdup(json_string_value(value));
        return true;
    case LANG_TYPE_INT:
        if (json_is_integer(value)) {
            *out_text = xasprintf("%lld", (long long)json_integer_value(value));
            return true;
        }
        if (json_is_real(value)) {
            /* 3.0 is an integer in JSON Schema; 3.5 is not. */
            double d = json_real_value(value);
            if (isfinite(d) && d == floor(d) && d >= -9007199254740992.0 &&
                d <= 9007199254740992.0) {
                *out_text = xasprintf("%lld", (long long)d);
                return true;
            }
        }
        return type_error(arg, value, err);
    case LANG_TYPE_FLOAT:
        if (json_is_integer(value)) {
            *out_text = xasprintf("%lld", (long long)json_integer_value(value));
            return true;
        }
        if (json_is_real(value)) {
            *out_text = xasprintf("%.17g", json_real_value(value));
            return true;
        }
        return type_error(arg, value, err);
    case LANG_TYPE_BOOL:
        if (!json_is_boolean(value))
            return type_error(arg, value, err);
        *out_text = xstrdup(json_is_true(value) ? "true" : "false");
        return true;
    }
    return type_error(arg, value, err);
}

static void
arg_names(struct sbuf *out, const struct lang_command *cmd)
{
    if (!cmd->arg_count) {
        sbuf_adds(out, "none");
        return;
    }
    for (size_t i = 0; i < cmd->arg_count; i++)
        sbuf_addf(out, "%s%s", i ? ", " : "", cmd->args[i].name);
}

bool
mcp_args_from_json(const struct lang_command *cmd, const json_t *arguments,
                   struct exec_args *out, struct err *err)
{
    if (arguments && !json_is_object(arguments))
        return err_set(err, ERR_USAGE, "arguments must be an object");
    const char *key;
    json_t *value;
    if (arguments) {
        json_object_foreach((json_t *)arguments, key, value) {
            const struct lang_arg *arg = lang_command_find_arg(cmd, key);
            if (!arg) {
                struct sbuf names, shown;
                sbuf_init(&names);
                sbuf_init(&shown);
                arg_names(&names, cmd);
                mcp_utf8_append(&shown, key, strlen(key));
                err_set(err, ERR_USAGE, "unknown argument \"%s\" (command \"%s\" takes: %s)",
                        shown.buf, cmd->name, names.buf);
                sbuf_release(&names);
                sbuf_release(&shown);
                return false;
            }
            char *text = NULL;
            if (!value_text(arg, value, &text, err))
                return false;
            bool ok = exec_args_set(out, cmd, arg->name, text, err);
            free(text);
            if (!ok)
                return false;
        }
    }
    for (size_t i = 0; i < cmd->arg_count; i++) {
        const struct lang_arg *arg = &cmd->args[i];
        if (arg_is_required(arg) && !(arguments && json_object_get(arguments, arg->name)))
            return err_set(err, ERR_USAGE, "missing required argument \"%s\" (%s)", arg->name,
                           json_type_of(arg->type));
    }
    return exec_args_check(cmd, out, err);
}

/* ---- perch_list --------------------------------------------------------- */

static const char *
tool_of(const struct mcp_tools *tools, const struct lang_command *cmd)
{
    for (size_t i = 0; i < tools->count; i++)
        if (tools->items[i].cmd == cmd)
            return tools->items[i].name;
    return NULL;
}

char *
mcp_list_text(const struct lang_program *prog, const struct mcp_tools *tools)
{
    struct sbuf sb;
    sbuf_init(&sb);
    for (size_t i = 0; i < prog->command_count; i++) {
        const struct lang_command *cmd = &prog->commands[i];
        if (!mcp_command_is_public(cmd))
            continue;
        const char *tool = tool_of(tools, cmd);
        sbuf_adds(&sb, cmd->name);
        if (!tool)
            sbuf_adds(&sb, " (no tool of its own: call it with perch_run)");
        else if (strcmp(tool, cmd->name))
            sbuf_addf(&sb, " (tool %s)", tool);
        if (cmd->description)
            sbuf_addf(&sb, ": %s", cmd->description);
        sbuf_addc(&sb, '\n');
        for (size_t j = 0; j < cmd->arg_count; j++) {
            const struct lang_arg *arg = &cmd->args[j];
            sbuf_addf(&sb, "  %s (%s%s", arg->name, json_type_of(arg->type),
                      arg_is_required(arg) ? ", required" : "");
            if (arg->default_value)
                sbuf_addf(&sb, ", default %s", arg->default_value->text);
            sbuf_adds(&sb, ")");
            if (arg->description)
                sbuf_addf(&sb, ": %s", arg->description);
            sbuf_addc(&sb, '\n');
        }
    }
    if (!sb.len)
        sbuf_adds(&sb, "no commands\n");
    struct sbuf clean;
    sbuf_init(&clean);
    mcp_utf8_append(&clean, sb.buf, sb.len);
    sbuf_release(&sb);
    return sbuf_detach(&clean, NULL);
}

json_t *
mcp_list_structured(const struct lang_program *prog, const struct mcp_tools *tools)
{
    json_t *list = json_array();
    for (size_t i = 0; i < prog->command_count; i++) {
        const struct lang_command *cmd = &prog->commands[i];
        if (!mcp_command_is_public(cmd))
            continue;
        const char *tool = tool_of(tools, cmd);
        json_t *c = json_object();
        json_object_set_new(c, "name", mcp_json_str(cmd->name));
        if (tool) /* none when its tool name was taken by an earlier command */
            json_object_set_new(c, "tool", json_string(tool));
        if (cmd->description)
            json_object_set_new(c, "description", mcp_json_str(cmd->description));
        json_t *args = json_array();
        for (size_t j = 0; j < cmd->arg_count; j++) {
            const struct lang_arg *arg = &cmd->args[j];
            json_t *a = json_object();
            json_object_set_new(a, "name", mcp_json_str(arg->name));
            json_object_set_new(a, "type", json_string(json_type_of(arg->type)));
            json_object_set_new(a, "required", json_boolean(arg_is_required(arg)));
            json_t *def = default_json(arg);
            if (def)
                json_object_set_new(a, "default", def);
            if (arg->description)
                json_object_set_new(a, "description", mcp_json_str(arg->description));
            json_array_append_new(args, a);
        }
        json_object_set_new(c, "args", args);
        json_array_append_new(list, c);
    }
    return json_pack("{s:o}", "commands", list);
}
