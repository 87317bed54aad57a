/*
 * tests/fuzz/fuzz_jsonrpc.c: perch-mcp's request handling on arbitrary
 * input lines.
 *
 * The input is split at newlines and each line goes through the JSON-RPC
 * classifier (mcp_msg_parse) and then the whole server
 * (mcp_server_handle_line): lifecycle, tools/list cursors, per-request
 * _meta, tools/call argument checks against the generated schemas and, for
 * well-formed calls, a run of a harmless command. Responses go to
 * /dev/null. Properties checked besides "no crash, no leak, no hang":
 * a classified message is consistent (a request has an id and a method, an
 * invalid one a JSON-RPC error code) and cleaned text is always accepted by
 * jansson as UTF-8.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sbuf.h"
#include "exec/exec.h"
#include "exec/output.h"
#include "lang/lang.h"
#include "mcp/mcp.h"
#include "mcp/mcp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char program_text[] =
    "name \"fuzz\"\n"
    "command echo\n"
    "    description \"Print typed arguments\"\n"
    "    arg s\n"
    "        type string\n"
    "        default \"x\"\n"
    "    end\n"
    "    arg n\n"
    "        type int\n"
    "        optional\n"
    "    end\n"
    "    arg f\n"
    "        type float\n"
    "        default 1.5\n"
    "    end\n"
    "    arg b\n"
    "        type bool\n"
    "        optional\n"
    "    end\n"
    "    do\n"
    "        print \"${s} ${f}\"\n"
    "    end\n"
    "end\n";

static struct lang_program *prog;
static struct exec_fd_sink sink;
static struct exec_app app;
static struct mcp_server *srv;

static void
set_up(void)
{
    struct lang_diags diags;
    lang_diags_init(&diags);
    prog = lang_load_string("fuzz.perch", program_text, strlen(program_text), &diags);
    lang_diags_release(&diags);
    if (!prog)
        abort();
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0)
        abort();
    exec_fd_sink_init(&sink, devnull, devnull);
    app.prog = prog;
    app.sink = &sink.base;
    app.stdin_fd = -1;
    app.has_env_allow = true; /* no host environment */
    app.deny_caps = ~0u;      /* nothing but printing */
    app.max_runtime_ns = (int64_t)2000000000;
    struct mcp_server_opts opts = { 0 };
    opts.app = &app;
    opts.out_fd = devnull;
    opts.max_calls = 2;
    srv = mcp_server_new(&opts, NULL);
    if (!srv)
        abort();
}

static void
check_line(const char *line, size_t len)
{
    struct mcp_msg msg;
    mcp_msg_parse(line, len, &msg);
    switch (msg.kind) {
    case MCP_MSG_REQUEST:
        if (!msg.id || !msg.method)
            abort();
        break;
    case MCP_MSG_NOTIFICATION:
    case MCP_MSG_INVALID_NOTIFICATION:
        if (!msg.method)
            abort();
        break;
    case MCP_MSG_INVALID:
        if (msg.error_code != MCP_PARSE_ERROR && msg.error_code != MCP_INVALID_REQUEST)
            abort();
        break;
    case MCP_MSG_RESPONSE:
        if (!msg.id)
            abort();
        break;
    case MCP_MSG_BATCH:
        if (!json_is_array(msg.root) || !json_array_size(msg.root))
            abort();
        break;
    }
    mcp_msg_release(&msg);

    struct sbuf clean;
    sbuf_init(&clean);
    mcp_utf8_append(&clean, line, len);
    json_t *s = json_stringn(clean.buf, clean.len);
    if (!s)
        abort();
    json_decref(s);
    sbuf_release(&clean);

    mcp_server_handle_line(srv, line, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv)
        set_up();
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        check_line(p, (size_t)(stop - p));
        p = nl ? nl + 1 : end;
    }
    /* Let every call this input started finish before the next input. */
    mcp_server_shutdown(srv);
    return 0;
}
