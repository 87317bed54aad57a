/*
 * src/mcp/mcp_int.h: declarations shared by the files of src/mcp/:
 * jsonrpc.c (message parsing and building), tools.c (tools from commands,
 * schemas, argument checks, text clean-up) and server.c (lifecycle,
 * dispatch, calls).
 */
#ifndef PERCH_MCP_MCP_INT_H
#define PERCH_MCP_MCP_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "exec/exec.h"
#include "lang/lang.h"

/* ---- protocol versions -------------------------------------------------- */

/* Known revisions, oldest first; the value orders features. */
enum mcp_version {
    MCP_V_2024_11_05,
    MCP_V_2025_03_26, /* progress 'message', tool annotations */
    MCP_V_2025_06_18, /* 'title', outputSchema, structuredContent */
    MCP_V_2025_11_25, /* latest revision with the initialize handshake */
    MCP_V_2026_07_28, /* stateless: server/discover, per-request _meta */
    MCP_V_COUNT
};

#define MCP_V_LATEST_HANDSHAKE MCP_V_2025_11_25

const char *mcp_version_name(enum mcp_version v);
/* False when 'name' is not a revision we know. */
bool mcp_version_from_name(const char *name, enum mcp_version *out_v);

/* ---- JSON-RPC ----------------------------------------------------------- */

#define MCP_PARSE_ERROR      (-32700)
#define MCP_INVALID_REQUEST  (-32600)
#define MCP_METHOD_NOT_FOUND (-32601)
#define MCP_INVALID_PARAMS   (-32602)
#define MCP_INTERNAL_ERROR   (-32603)
/* 2026-07-28: a request's _meta names a revision we do not speak;
 * data {supported, requested}. */
#define MCP_UNSUPPORTED_VERSION (-32022)

enum mcp_msg_kind {
    MCP_MSG_INVALID,      /* answer with 'error_code' / 'error_msg' and 'id' (or null) */
    MCP_MSG_REQUEST,      /* method + id: must be answered */
    MCP_MSG_NOTIFICATION, /* method, no id: never answered */
    MCP_MSG_RESPONSE,     /* result or error + id: a reply to us (we send no requests) */
    MCP_MSG_INVALID_NOTIFICATION, /* a malformed notification: ignored, never answered */
    MCP_MSG_BATCH,        /* a non-empty array: classify each element with mcp_msg_classify */
};

struct mcp_msg {
    enum mcp_msg_kind kind;
    json_t *root;       /* owned: the whole message (NULL after a parse error) */
    json_t *id;         /* borrowed from root; NULL when absent or unusable */
    const char *method; /* borrowed from root; NULL when absent */
    json_t *params;     /* borrowed from root; NULL when absent */
    int error_code;     /* INVALID only */
    char error_msg[200];
};

/*
 * Classify one line: -32700 when it is not JSON, -32600 when it is JSON but
 * not a JSON-RPC 2.0 request, notification, response or non-empty batch.
 * Always fills 'out'; release it with mcp_msg_release().
 */
void mcp_msg_parse(const char *line, size_t len, struct mcp_msg *out);
/* Classify one element of a batch (takes a reference to 'root'). */
void mcp_msg_classify(json_t *root, struct mcp_msg *out);
void mcp_msg_release(struct mcp_msg *msg);

/* {"jsonrpc":"2.0","id":id,"result":result}; steals 'result'; 'id' may be NULL (null). */
json_t *mcp_make_result(json_t *id, json_t *result);
/* {"jsonrpc":"2.0","id":id,"error":{"code","message"[,"data"]}}; steals 'data'. */
json_t *mcp_make_error(json_t *id, int code, const char *message, json_t *data);
/* {"jsonrpc":"2.0","method":method,"params":params}; steals 'params'. */
json_t *mcp_make_notification(const char *method, json_t *params);
/* One line of compact JSON with a trailing newline; caller frees. */
char *mcp_encode_line(const json_t *msg, size_t *out_len);

/* ---- tools -------------------------------------------------------------- */

enum mcp_tool_kind {
    MCP_TOOL_COMMAND, /* one public command */
    MCP_TOOL_LIST,    /* perch_list */
    MCP_TOOL_RUN,     /* perch_run {command, args} */
};

#define MCP_TOOL_NAME_MAX 64

struct mcp_tool {
    char name[MCP_TOOL_NAME_MAX + 1];
    enum mcp_tool_kind kind;
    const struct lang_command *cmd; /* COMMAND only */
};

struct mcp_tools {
    struct mcp_tool *items; /* declaration order, then perch_list, perch_run */
    size_t count;
};

/* Tools for every command that is neither test nor private; a name that
 * collides with an earlier one is skipped and logged to 'log'. */
void mcp_tools_build(struct mcp_tools *tools, const struct lang_program *prog, FILE *log);
void mcp_tools_release(struct mcp_tools *tools);
const struct mcp_tool *mcp_tools_find(const struct mcp_tools *tools, const char *name);
/* The tool a tools/call names: by its exact name, else the dotted tool the
 * name spells with '_' for each '.' ("ns_build" for "ns.build"). */
const struct mcp_tool *mcp_tools_find_call(const struct mcp_tools *tools, const char *name);

/* The tool name for a command name: characters outside [A-Za-z0-9_.-] (the
 * MCP 2025-11-25 tool name alphabet) become '_', cut at MCP_TOOL_NAME_MAX
 * bytes, so `ns.build` of an `import ... as ns` keeps its dotted name.
 * 'out' holds MCP_TOOL_NAME_MAX + 1. */
void mcp_tool_name(const char *cmd_name, char *out);

/* Is 'cmd' callable from a client (not test, not private)? */
bool mcp_command_is_public(const struct lang_command *cmd);
/* A public command by its perch name or its tool name; NULL when none. */
const struct lang_command *mcp_find_public_command(const struct lang_program *prog,
                                                   const struct mcp_tools *tools,
                                                   const char *name);

/* The tools/list entry for 'tool' in revision 'v' (new reference). */
json_t *mcp_tool_describe(const struct mcp_tool *tool, const struct mcp_tools *tools,
                          const struct lang_program *prog, enum mcp_version v);
/* inputSchema of a command: a flat object of typed properties. */
json_t *mcp_command_schema(const struct lang_command *cmd);

/*
 * Check 'arguments' (a JSON object, or NULL for none) against the schema of
 * 'cmd' and fill 'out' with their text. Fails with ERR_USAGE and a message
 * for the client: an unknown property, a value of the wrong JSON type
 * (`argument "n": expected integer, got "x"`), a missing required arg.
 */
bool mcp_args_from_json(const struct lang_command *cmd, const json_t *arguments,
                        struct exec_args *out, struct err *err);

/* The text perch_list returns, and its structured form. */
char *mcp_list_text(const struct lang_program *prog, const struct mcp_tools *tools);
json_t *mcp_list_structured(const struct lang_program *prog, const struct mcp_tools *tools);

/* Append 'data' to 'out' as valid UTF-8: every byte that does not start a
 * well-formed sequence (overlongs, surrogates, past U+10FFFF, truncated)
 * becomes U+FFFD. */
void mcp_utf8_append(struct sbuf *out, const char *data, size_t len);
/* A JSON string of 'len' bytes of 's', made valid UTF-8 as above (jansson
 * refuses invalid UTF-8). */
json_t *mcp_json_text(const char *s, size_t len);
/* The same for a NUL-terminated string; NULL gives "". */
json_t *mcp_json_str(const char *s);

#endif
