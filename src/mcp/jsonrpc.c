/*
 * src/mcp/jsonrpc.c: JSON-RPC 2.0 messages for perch-mcp: classifying an
 * input line (request, notification, response, or what error it deserves)
 * and building the messages we send. Protocol revision names live here too.
 */
#include "mcp/mcp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "mcp/mcp.h"

static const char *const version_names[MCP_V_COUNT] = {
    [MCP_V_2024_11_05] = "2024-11-05",
    [MCP_V_2025_03_26] = "2025-03-26",
    [MCP_V_2025_06_18] = "2025-06-18",
    [MCP_V_2025_11_25] = "2025-11-25",
    [MCP_V_2026_07_28] = "2026-07-28",
};

const char *const mcp_protocol_versions[] = {
    "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28", NULL,
};

const char *
mcp_version_name(enum mcp_version v)
{
    return (unsigned)v < MCP_V_COUNT ? version_names[v] : "?";
}

bool
mcp_version_from_name(const char *name, enum mcp_version *out_v)
{
    for (int v = 0; v < MCP_V_COUNT; v++) {
        if (!strcmp(name, version_names[v])) {
            *out_v = (enum mcp_version)v;
            return true;
        }
    }
    return false;
}

static void
set_invalid(struct mcp_msg *msg, int code, const char *text)
{
    msg->kind = MCP_MSG_INVALID;
    msg->error_code = code;
    snprintf(msg->error_msg, sizeof(msg->error_msg), "%s", text);
}

/* JSON-RPC ids are strings or numbers; MCP forbids null. */
static bool
id_is_valid(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id) || json_is_real(id);
}

static void classify(json_t *root, struct mcp_msg *out);

void
mcp_msg_parse(const char *line, size_t len, struct mcp_msg *out)
{
    memset(out, 0, sizeof(*out));
    json_error_t jerr;
    out->root = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
    if (!out->root) {
        char text[sizeof(out->error_msg)];
        snprintf(text, sizeof(text), "parse error: %s (at byte %d)", jerr.text, jerr.position);
        set_invalid(out, MCP_PARSE_ERROR, text);
        return;
    }
    json_t *root = out->root;
    if (json_is_array(root)) {
        if (!json_array_size(root)) {
            set_invalid(out, MCP_INVALID_REQUEST, "invalid request: empty batch");
            return;
        }
        out->kind = MCP_MSG_BATCH;
        return;
    }
    classify(root, out);
}

void
mcp_msg_classify(json_t *root, struct mcp_msg *out)
{
    memset(out, 0, sizeof(*out));
    out->root = json_incref(root);
    if (json_is_array(root)) {
        set_invalid(out, MCP_INVALID_REQUEST, "invalid request: a batch inside a batch");
        return;
    }
    classify(root, out);
}

static void
classify(json_t *root, struct mcp_msg *out)
{
    if (!json_is_object(root)) {
        set_invalid(out, MCP_INVALID_REQUEST, "invalid request: a message must be an object");
        return;
    }
    json_t *id = json_object_get(root, "id");
    bool has_id = id != NULL;
    if (has_id && id_is_valid(id))
        out->id = id; /* usable in an error response even if the rest is bad */
    json_t *method = json_object_get(root, "method");
    if (!has_id && json_is_string(method)) {
        /* A notification, even a malformed one: it never gets an answer.
         * The caller checks "jsonrpc" and "params" before acting on it. */
        out->kind = MCP_MSG_NOTIFICATION;
        json_t *version = json_object_get(root, "jsonrpc");
        json_t *params = json_object_get(root, "params");
        if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") ||
            (params && !json_is_object(params)))
            out->kind = MCP_MSG_INVALID_NOTIFICATION;
        out->method = json_string_value(method);
        out->params = params;
        return;
    }

    json_t *version = json_object_get(root, "jsonrpc");
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0")) {
        set_invalid(out, MCP_INVALID_REQUEST, "invalid request: \"jsonrpc\" must be \"2.0\"");
        return;
    }
    if (has_id && !id_is_valid(id)) {
        set_invalid(out, MCP_INVALID_REQUEST,
                    "invalid request: \"id\" must be a string or a number");
        return;
    }
    if (!method) {
        /* A response to a request of ours (we send none, so it is ignored). */
        bool has_result = json_object_get(root, "result") != NULL;
        bool has_error = json_object_get(root, "error") != NULL;
        if (has_id && has_result != has_error) {
            out->kind = MCP_MSG_RESPONSE;
            return;
        }
        set_invalid(out, MCP_INVALID_REQUEST, "invalid request: \"method\" is missing");
        return;
    }
    if (!json_is_string(method) || !json_string_length(method)) {
        set_invalid(out, MCP_INVALID_REQUEST,
                    "invalid request: \"method\" must be a non-empty string");
        return;
    }
    if (strlen(json_string_value(method)) != json_string_length(method)) {
        set_invalid(out, MCP_INVALID_REQUEST, "invalid request: \"method\" contains a NUL");
        return;
    }
    out->method = json_string_value(method);
    json_t *params = json_object_get(root, "params");
    if (params && !json_is_object(params) && !json_is_array(params)) {
        set_invalid(out, MCP_INVALID_REQUEST,
                    "invalid request: \"params\" must be an object or an array");
        return;
    }
    out->params = params;
    out->kind = has_id ? MCP_MSG_REQUEST : MCP_MSG_NOTIFICATION;
}

void
mcp_msg_release(struct mcp_msg *msg)
{
    if (!msg)
        return;
    json_decref(msg->root);
    memset(msg, 0, sizeof(*msg));
}

static json_t *
envelope(json_t *id)
{
    json_t *msg = json_object();
    json_object_set_new(msg, "jsonrpc", json_string("2.0"));
    json_object_set(msg, "id", id ? id : json_null());
    return msg;
}

json_t *
mcp_make_result(json_t *id, json_t *result)
{
    json_t *msg = envelope(id);
    json_object_set_new(msg, "result", result ? result : json_object());
    return msg;
}

json_t *
mcp_make_error(json_t *id, int code, const char *message, json_t *data)
{
    json_t *msg = envelope(id);
    json_t *e = json_object();
    json_object_set_new(e, "code", json_integer(code));
    /* The message may quote client input: keep it valid UTF-8. */
    struct sbuf sb;
    sbuf_init(&sb);
    mcp_utf8_append(&sb, message, strlen(message));
    json_object_set_new(e, "message", json_stringn(sb.buf, sb.len));
    sbuf_release(&sb);
    if (data)
        json_object_set_new(e, "data", data);
    json_object_set_new(msg, "error", e);
    return msg;
}

json_t *
mcp_make_notification(const char *method, json_t *params)
{
    json_t *msg = json_object();
    json_object_set_new(msg, "jsonrpc", json_string("2.0"));
    json_object_set_new(msg, "method", json_string(method));
    if (params)
        json_object_set_new(msg, "params", params);
    return msg;
}

char *
mcp_encode_line(const json_t *msg, size_t *out_len)
{
    /* Compact, one line: JSON strings escape every control character, so
     * the only newline is the one we add. */
    char *text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        BUG("cannot encode a JSON-RPC message");
    size_t n = strlen(text);
    char *line = xmalloc(n + 2);
    memcpy(line, text, n);
    line[n] = '\n';
    line[n + 1] = '\0';
    free(text);
    *out_len = n + 1;
    return line;
}
