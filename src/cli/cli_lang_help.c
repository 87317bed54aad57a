/*
 * cli_lang_help.c: what `perch help NAME` says about the language itself:
 * every top-level declaration, command and argument setting, control-flow
 * and execution block, and the declarations that only live inside another
 * block (wasm_run's wasm_*, requires entries, bundle include, hooks events).
 * The op registry (src/ops) covers the ops; this table covers the rest.
 * A name may have several entries (`env` is a command setting and a
 * requires entry; `os` a block and a requires entry): all of them print.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

enum lang_help_group {
    LH_TOP,
    LH_COMMAND,
    LH_ARG,
    LH_FLOW,
    LH_BLOCK,
    LH_WASM,
    LH_REQUIRES,
    LH_OTHER,
    LH_GROUP_COUNT
};

static const char *const group_titles[LH_GROUP_COUNT] = {
    [LH_TOP] = "Top-level declarations",
    [LH_COMMAND] = "Command settings (before do)",
    [LH_ARG] = "Argument settings (inside arg NAME ... end)",
    [LH_FLOW] = "Control flow (in bodies)",
    [LH_BLOCK] = "Execution blocks (in bodies)",
    [LH_WASM] = "wasm_run declarations (inside wasm_run ... end)",
    [LH_REQUIRES] = "requires entries (inside requires ... end)",
    [LH_OTHER] = "bundle and hooks entries",
};

struct lang_help {
    const char *name;
    enum lang_help_group group;
    const char *usage;   /* the line as written in a .perch file */
    const char *doc;     /* what it does; may hold '\n' */
    const char *example; /* lines of a .perch file; '\n'-separated */
};

static const struct lang_help entries[] = {
    /* ---- top level ---- */
    { "name", LH_TOP, "name \"TEXT\"", "the program's name, shown by --help (main file only)",
      "name \"tool\"" },
    { "about", LH_TOP, "about \"TEXT\"", "one line on what the file is for, shown by --help",
      "about \"Builds and ships the site\"" },
    { "version", LH_TOP, "version \"X.Y.Z\"",
      "the program's version, shown by --help and a built binary's --version",
      "version \"1.4.0\"" },
    { "import", LH_TOP, "import \"PATH\" [as NS]",
      "merge another .perch file's commands, templates and bindings (PATH is relative to\n"
      "the importing file); with 'as NS' its commands become NS.NAME",
      "import \"lib/common.perch\"\nimport \"lib/release.perch\" as release" },
    { "requires", LH_TOP, "requires ... end",
      "what external ops may touch; without it a file has ambient access. Entries: bin,\n"
      "env, host, read, write, os, arch ('perch help bin' ...)",
      "requires\n    bin \"git\"\n    env \"HOME\"\n    read \"./data\"\n    write \"./out\"\nend" },
    { "bundle", LH_TOP, "bundle ... end",
      "files that perch --build embeds in the built binary ('include PATH [as ALIAS]')",
      "bundle\n    include \"wasm/tool.wasm\" as tool\n    include \"README.md\"\nend" },
    { "hooks", LH_TOP, "hooks ... end",
      "statements run before and after every command, and on its error (before, after,\n"
      "on_error: one op or command call each)",
      "hooks\n    before print \"starting\"\n    on_error print \"failed: ${err.message}\"\nend" },
    { "template", LH_TOP, "template NAME [PARAM...] ... end",
      "a named piece of body, expanded where it is called when the file loads; parameters\n"
      "by position, 'arg' blocks give defaults",
      "template greet who\n    do\n        print \"hello ${who}\"\n    end\nend" },
    { "command", LH_TOP, "command NAME ... end",
      "a command: settings (description, arg, env, ...) then its body in do ... end",
      "command build\n    description \"Build it\"\n    do\n        shell \"make\"\n    end\nend" },
    { "catch", LH_TOP, "catch [KIND...] ... end",
      "runs when a command fails with one of the listed error kinds (any when none), with\n"
      "err.kind, err.message, err.code and err.op bound",
      "catch timeout wasm_exit\n    print \"gave up: ${err.kind}: ${err.message}\"\nend" },
    { "binding", LH_TOP, "NAME = VALUE",
      "a binding for every command: bool, int, float or string (strings interpolated when a\n"
      "command starts); UPPER_CASE bindings are exported to subprocesses",
      "RETRIES = 3\nOUT = \"${script_dir}/out\"" },

    /* ---- command settings ---- */
    { "description", LH_COMMAND, "description \"TEXT\"",
      "shown by --help and as the MCP tool description", "description \"Build one target\"" },
    { "arg", LH_COMMAND, "arg NAME ... end",
      "an argument: type, default, description, optional, index, rest",
      "arg jobs\n    type int\n    default 4\nend" },
    { "do", LH_COMMAND, "do ... end", "the command's body, after its settings",
      "do\n    print \"hello\"\nend" },
    { "private", LH_COMMAND, "private",
      "callable from other commands, hidden from --help and MCP", "private" },
    { "proxy_args", LH_COMMAND, "proxy_args",
      "unknown flags and extra positionals are passed through as ${args}",
      "proxy_args\ndo\n    shell \"cargo test ${args}\"\nend" },
    { "require_os", LH_COMMAND, "require_os OS...", "the command fails on other systems",
      "require_os linux darwin" },
    { "require_arch", LH_COMMAND, "require_arch ARCH...",
      "the command fails on other architectures", "require_arch amd64 arm64" },
    { "dir", LH_COMMAND, "dir \"PATH\"",
      "the working directory the body starts in (relative to the file)", "dir \"./site\"" },
    { "env", LH_COMMAND, "env KEY \"VALUE\"",
      "an environment overlay for the body and its subprocesses", "env CC \"clang\"" },
    { "test", LH_COMMAND, "test",
      "a test, run by 'perch test' in a fresh temporary directory, hidden from --help and MCP",
      "command test_hello\n    test\n    do\n        assert_eq \"a\" \"a\"\n    end\nend" },
    { "test_allow_shell", LH_COMMAND, "test_allow_shell", "a test may run shell ops",
      "test_allow_shell" },
    { "test_allow_network", LH_COMMAND, "test_allow_network", "a test may use the network",
      "test_allow_network" },
    { "test_allow_subprocess", LH_COMMAND, "test_allow_subprocess",
      "a test may run programs", "test_allow_subprocess" },
    { "test_allow_write", LH_COMMAND, "test_allow_write",
      "a test may change the filesystem (accepted; tests may write by default)",
      "test_allow_write" },
    { "test_keep_cwd", LH_COMMAND, "test_keep_cwd",
      "run the test in the current directory, not a fresh temporary one", "test_keep_cwd" },
    { "test_timeout", LH_COMMAND, "test_timeout N",
      "seconds (or a duration like 2m) before the test fails; default 30", "test_timeout 5" },

    /* ---- arg settings ---- */
    { "type", LH_ARG, "type string|int|float|bool",
      "the argument's type (default string); values are checked before anything runs",
      "type int" },
    { "default", LH_ARG, "default VALUE", "the value when not given (makes it optional)",
      "default 4" },
    { "description", LH_ARG, "description \"TEXT\"", "for --help and the MCP schema",
      "description \"What to build\"" },
    { "optional", LH_ARG, "optional", "the argument may be left out", "optional" },
    { "index", LH_ARG, "index N", "position among the positional arguments, from 0",
      "index 0" },
    { "rest", LH_ARG, "rest", "takes every remaining positional argument, one per line",
      "rest" },

    /* ---- control flow ---- */
    { "if", LH_FLOW, "if CONDITION ... [elif CONDITION ...] [else ...] end",
      "runs the first branch whose condition holds: comparisons (== != < <= > >=, numeric\n"
      "or version-aware), truthiness, predicate calls (exists \"p\"), not, and, or",
      "if count >= 3\n    print \"many\"\nelif not exists \"${out}\"\n    print \"missing\"\n"
      "else\n    print \"default\"\nend" },
    { "elif", LH_FLOW, "elif CONDITION", "another condition of an if block",
      "if n > 3\n    print \"big\"\nelif n > 1\n    print \"medium\"\nend" },
    { "else", LH_FLOW, "else",
      "the branch of an if or match block that runs when nothing else matched",
      "if flag\n    print \"on\"\nelse\n    print \"off\"\nend" },
    { "for_each", LH_FLOW, "for_each \"LIST\" ITEM ... end",
      "iterates the non-empty lines of LIST, binding each to ITEM; directly inside parallel\n"
      "the iterations run as branches",
      "files = glob \"*.md\"\nfor_each \"${files}\" f\n    print \"${f}\"\nend" },
    { "match", LH_FLOW, "match \"VALUE\" ... end",
      "runs the first case whose values include VALUE, else the else branch",
      "match \"${os}\"\n    case \"linux\"\n        print \"tux\"\n    else\n"
      "        print \"other\"\nend" },
    { "case", LH_FLOW, "case \"VALUE\"...", "one or more values of a match block",
      "match \"${os}\"\n    case \"darwin\" \"freebsd\"\n        print \"bsd family\"\nend" },
    { "try", LH_FLOW, "try ... [rescue [KIND...] ...] [finally ...] end",
      "runs the body; rescue catches its error (only the listed kinds when given) with\n"
      "err.kind, err.message, err.code and err.op bound; finally always runs",
      "try\n    shell \"make\"\nrescue timeout\n    print \"too slow\"\nfinally\n"
      "    rm \"${work}\"\nend" },
    { "rescue", LH_FLOW, "rescue [KIND...]", "the error handler of a try block",
      "try\n    fail \"no\"\nrescue\n    print \"${err.kind}: ${err.message}\"\nend" },
    { "finally", LH_FLOW, "finally", "the part of a try block that runs in every case",
      "try\n    shell \"make\"\nfinally\n    print \"done\"\nend" },
    { "fail", LH_FLOW, "fail \"MESSAGE\"", "stops the command with an error of kind fail",
      "fail \"missing ${file}\"" },
    { "end", LH_FLOW, "end", "closes the innermost open block", "do\n    print \"x\"\nend" },

    /* ---- execution blocks ---- */
    { "parallel", LH_BLOCK, "parallel [N] ... end",
      "each direct child is a branch (a for_each directly inside: each iteration); at most\n"
      "N at once (default: CPU count, --jobs). All finish; the block fails if any failed",
      "parallel 4\n    shell \"make a\"\n    shell \"make b\"\nend" },
    { "retry", LH_BLOCK, "retry [N] ... end",
      "up to N attempts (default 3) with exponential backoff (1s, 2s, 4s ... at most 5m)",
      "retry 5\n    download \"https://example.com/f\" \"f\"\nend" },
    { "timeout", LH_BLOCK, "timeout \"DURATION\" ... end",
      "a deadline for the body: running modules are interrupted and subprocesses stopped\n"
      "(kind timeout)",
      "timeout \"30s\"\n    shell \"make test\"\nend" },
    { "cache", LH_BLOCK, "cache \"KEY\" \"TTL\" ... end",
      "on a hit within TTL, skip the body and replay the bindings and output it produced;\n"
      "failures are never stored",
      "h = sha256_file \"go.sum\"\ncache \"deps-${h}\" \"7d\"\n    shell \"go mod download\"\nend" },
    { "sandbox", LH_BLOCK, "sandbox \"FLAGS\" ... end",
      "narrows what ops in the body may do: no_shell, no_network, no_subprocess, no_write\n"
      "(kind sandbox_denied); never widens",
      "sandbox \"no_network,no_write\"\n    shell \"make check\"\nend" },
    { "with_env", LH_BLOCK, "with_env \"K=V,K2=V2\" ... end",
      "an environment overlay for the body, restored after it",
      "with_env \"GOOS=wasip1, GOARCH=wasm\"\n    shell \"go build\"\nend" },
    { "with_cwd", LH_BLOCK, "with_cwd \"DIR\" ... end",
      "the working directory for the body, restored after it",
      "with_cwd \"${work}\"\n    shell \"make\"\nend" },
    { "os", LH_BLOCK, "os NAME... ... end", "runs the body only on these systems",
      "os \"linux\"\n    shell \"ldd ./app\"\nend" },
    { "arch", LH_BLOCK, "arch NAME... ... end", "runs the body only on these architectures",
      "arch \"arm64\"\n    print \"arm\"\nend" },
    { "pipe", LH_BLOCK, "pipe ... end",
      "each child's output feeds the next one's input, like a shell pipeline",
      "pipe\n    exec \"git\" \"log\" \"--oneline\"\n    exec \"head\" \"-5\"\nend" },
    { "wasm_run", LH_BLOCK, "[OUT =] wasm_run \"MODULE.wasm\"|ALIAS ... end",
      "runs a WASI Preview 1 module with only what its declarations grant (wasm_arg,\n"
      "wasm_env, wasm_mount_read, wasm_mount_write, wasm_clock, wasm_random,\n"
      "wasm_allow_host); exit N fails with kind wasm_exit; a capture returns its stdout",
      "report = wasm_run \"${script_dir}/check.wasm\"\n    wasm_arg \"/ro/data/in.csv\"\n"
      "    wasm_mount_read \"${script_dir}/data\"\nend" },

    /* ---- wasm_run declarations ---- */
    { "wasm_arg", LH_WASM, "wasm_arg \"VALUE\"",
      "one argument for the module, in order (argv[0] is the module's basename)",
      "wasm_run \"tool.wasm\"\n    wasm_arg \"--strict\"\nend" },
    { "wasm_env", LH_WASM, "wasm_env \"K1,K2\"",
      "only these variables are visible inside the module (nothing by default)",
      "wasm_run \"tool.wasm\"\n    wasm_env \"LANG,TZ\"\nend" },
    { "wasm_mount_read", LH_WASM, "wasm_mount_read \"HOST_PATH\" [at \"/GUEST\"]",
      "mounts a directory or file read-only at /ro/<basename> (or at GUEST)",
      "wasm_run \"tool.wasm\"\n    wasm_mount_read \"${script_dir}/data\"\nend" },
    { "wasm_mount_write", LH_WASM, "wasm_mount_write \"HOST_PATH\" [at \"/GUEST\"]",
      "mounts a directory or file read-write at /rw/<basename> (or at GUEST); refused under\n"
      "--no-write and sandbox \"no_write\"",
      "wasm_run \"tool.wasm\"\n    wasm_mount_write \"${work}\" at \"/out\"\nend" },
    { "wasm_clock", LH_WASM, "wasm_clock",
      "the module reads the real clock (default: a deterministic one)",
      "wasm_run \"tool.wasm\"\n    wasm_clock\nend" },
    { "wasm_random", LH_WASM, "wasm_random",
      "the module gets real entropy (default: a seeded generator)",
      "wasm_run \"tool.wasm\"\n    wasm_random\nend" },
    { "wasm_allow_host", LH_WASM, "wasm_allow_host \"HOST\"",
      "lets the module make HTTP GET requests to HOST through perch's host module; refused\n"
      "under --no-network and sandbox \"no_network\"",
      "wasm_run \"fetch.wasm\"\n    wasm_allow_host \"api.example.com\"\nend" },

    /* ---- requires entries ---- */
    { "bin", LH_REQUIRES, "bin \"NAME\" [hash \"sha256:HEX\"]",
      "a program ops may run (optionally pinned by hash); it may then be called by name",
      "requires\n    bin \"git\"\nend" },
    { "env", LH_REQUIRES, "env \"NAME\"...", "host environment variables the file may read",
      "requires\n    env \"HOME\" \"GITHUB_TOKEN\"\nend" },
    { "host", LH_REQUIRES, "host \"HOST\"...", "hosts network ops may reach",
      "requires\n    host \"api.github.com\"\nend" },
    { "read", LH_REQUIRES, "read \"PATH\"...", "paths ops may read (relative to the file)",
      "requires\n    read \"./data\"\nend" },
    { "write", LH_REQUIRES, "write \"PATH\"...", "paths ops may change (relative to the file)",
      "requires\n    write \"./out\"\nend" },
    { "os", LH_REQUIRES, "os NAME...", "the systems the file runs on (else requirement_unmet)",
      "requires\n    os linux darwin\nend" },
    { "arch", LH_REQUIRES, "arch NAME...",
      "the architectures the file runs on (else requirement_unmet)",
      "requires\n    arch amd64 arm64\nend" },

    /* ---- bundle and hooks entries ---- */
    { "include", LH_OTHER, "include \"PATH\" [as ALIAS]",
      "inside bundle: embed PATH in the built binary; 'wasm_run ALIAS' runs an embedded\n"
      "module from memory",
      "bundle\n    include \"wasm/tool.wasm\" as tool\nend" },
    { "before", LH_OTHER, "before STATEMENT", "inside hooks: runs before every command",
      "hooks\n    before print \"starting\"\nend" },
    { "after", LH_OTHER, "after STATEMENT", "inside hooks: runs after every command that succeeded",
      "hooks\n    after print \"finished\"\nend" },
    { "on_error", LH_OTHER, "on_error STATEMENT", "inside hooks: runs when a command fails",
      "hooks\n    on_error print \"failed: ${err.message}\"\nend" },
};

#define ENTRY_COUNT (sizeof(entries) / sizeof(entries[0]))

static void
print_indented(FILE *out, const char *text, const char *indent)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "%s%.*s\n", indent, (int)n, p);
        if (!nl)
            break;
        p = nl + 1;
    }
}

bool
cli_lang_help(FILE *out, const char *name)
{
    bool found = false;
    for (size_t i = 0; i < ENTRY_COUNT; i++) {
        const struct lang_help *e = &entries[i];
        if (strcmp(e->name, name) != 0)
            continue;
        if (found)
            fputc('\n', out);
        found = true;
        fprintf(out, "%s\n", e->usage);
        fprintf(out, "  kind: %s\n", group_titles[e->group]);
        print_indented(out, e->doc, "  ");
        fputs("  example:\n", out);
        print_indented(out, e->example, "    ");
    }
    return found;
}

void
cli_lang_help_list(FILE *out)
{
    for (int g = 0; g < LH_GROUP_COUNT; g++) {
        size_t width = 8;
        for (size_t i = 0; i < ENTRY_COUNT; i++)
            if ((int)entries[i].group == g && strlen(entries[i].name) > width)
                width = strlen(entries[i].name);
        fprintf(out, "\n%s:\n", group_titles[g]);
        for (size_t i = 0; i < ENTRY_COUNT; i++) {
            const struct lang_help *e = &entries[i];
            if ((int)e->group != g)
                continue;
            /* The usage line, or for a bare word the first line of its doc. */
            const char *nl = strchr(e->doc, '\n');
            if (strcmp(e->usage, e->name) != 0)
                fprintf(out, "  %-*s  %s\n", (int)width, e->name, e->usage);
            else
                fprintf(out, "  %-*s  %.*s\n", (int)width, e->name,
                        nl ? (int)(nl - e->doc) : (int)strlen(e->doc), e->doc);
        }
    }
}

size_t
cli_lang_help_names(const char **names, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < ENTRY_COUNT && n < cap; i++)
        names[n++] = entries[i].name;
    return n;
}

size_t
cli_lang_help_count(void)
{
    return ENTRY_COUNT;
}
