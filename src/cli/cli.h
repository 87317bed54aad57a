/*
 * src/cli/cli.h: declarations shared by the cli_*.c files and the two
 * programs (main_perch.c, main_mcp.c).
 *
 * cli/ is the only component that calls exit(): every entry point here
 * returns the process exit status (0 success, 1 failure, 2 usage error,
 * N a module's exit code, 124 timeout) and main() passes it on.
 */
#ifndef PERCH_CLI_CLI_H
#define PERCH_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pthread.h>

#include "base/err.h"
#include "exec/output.h"
#include "lang/lang.h"

#define CLI_EXIT_OK      0
#define CLI_EXIT_FAIL    1
#define CLI_EXIT_USAGE   2
#define CLI_EXIT_TIMEOUT 124

/* Global flags, as parsed from the words before the command name. */
struct cli_opts {
    const char *file;    /* -f FILE; NULL: a script argument or commands.perch upward */
    unsigned deny_caps;  /* --no-shell --no-network --no-subprocess --no-write */
    bool has_env_allow;  /* --env A,B given */
    char **env_allow;    /* owned list of names */
    size_t env_allow_count;
    int jobs;               /* --jobs N; 0 = CPU count */
    int64_t max_runtime_ns; /* --max-runtime SECS; 0 = none */
    bool trace;             /* --trace */
    bool report;            /* --report[=PATH] */
    const char *report_path;
    const char *audit_path; /* --audit FILE */
    bool check;             /* --check */
    bool help;              /* --help / -h */
    bool version;           /* --version */
    bool build;             /* --build */
    const char *out_path;   /* -o OUT */
    const char **includes;  /* --include PATH (repeatable); owned array */
    size_t include_count;
    const char *completions; /* --completions SHELL */
    bool list_commands;      /* --list-commands (used by completion scripts) */
};

/*
 * Parse global flags from argv[1...] up to the first word that is not one
 * (the command, a script path, or a built-in like `test`). Sets *out_next
 * to its index (argc when none). Returns -1 to go on, or an exit status
 * (after printing the problem) for a bad flag.
 */
int cli_parse_globals(int argc, char **argv, struct cli_opts *opts, int *out_next);
/* The same from argv[start...]: the flags after a script path, as in
 * `./tool.perch --trace CMD`. */
int cli_parse_globals_from(int argc, char **argv, int start, struct cli_opts *opts,
                           int *out_next);
void cli_opts_release(struct cli_opts *opts);
/*
 * Parse the one global flag at argv[*i] (and its value, advancing *i past
 * it) into 'opts'. Returns 1 when it was one, 0 when argv[*i] is not a
 * global flag (nothing printed), or CLI_EXIT_USAGE after printing what is
 * wrong with its value.
 */
int cli_parse_global_flag(int argc, char **argv, int *i, struct cli_opts *opts);

/* The nearest commands.perch in 'dir' or its parents; new string or NULL. */
char *cli_find_commands_file(const char *dir);
/* True when 'arg' names an existing regular file ending in ".perch". */
bool cli_is_script_path(const char *arg);
/* True when 'arg' ends in ".perch" (with a name before it), whether or not
 * such a file exists: the user meant a script path. */
bool cli_looks_like_script_path(const char *arg);

/* The closest of 'candidates' to 'word' (edit distance at most a third
 * of the word's length, at least 2), or NULL. */
const char *cli_suggest(const char *word, const char *const *candidates, size_t count);

/* Print a run failure: "FILE:LINE: error: MESSAGE (kind)". */
void cli_print_run_error(const struct err *err);
/* Before 'cmd' runs: print the errors `--check` finds on its lines (and on
 * those of the commands it calls) to 'out'; false when there are any, and
 * then nothing may run (cli_precheck.c). */
bool cli_precheck_command(const struct lang_program *prog, const struct lang_command *cmd,
                          const struct lang_check_opts *opts, FILE *out);

/* Help texts (stdout). */
void cli_print_usage(FILE *out);
void cli_print_program_help(FILE *out, const struct lang_program *prog);
void cli_print_command_help(FILE *out, const struct lang_command *cmd);
/* The program name cli_print_command_help shows (a built binary's); NULL: "perch". */
void cli_set_usage_name(const char *name);
/* The name perch's own messages start with: "perch", or a built binary's
 * (as set by cli_set_usage_name). */
const char *cli_name(void);
/* `perch help [NAME...]`: an op, block or declaration; argv starts at "help". */
int cli_help_main(int argc, char **argv);
/* The language's own words for `perch help` (cli_lang_help.c): print every
 * entry named 'name' (usage line, group, description, example); false when
 * there is none. cli_lang_help_list prints all of them grouped, one line
 * each; cli_lang_help_names fills 'names' with up to 'cap' entry names
 * (for suggestions) and returns how many; cli_lang_help_count is the total. */
bool cli_lang_help(FILE *out, const char *name);
void cli_lang_help_list(FILE *out);
size_t cli_lang_help_names(const char **names, size_t cap);
size_t cli_lang_help_count(void);
/* `perch --completions bash|zsh|fish`. */
int cli_completions(const char *shell);

/*
 * `perch wasm ...`: run a WebAssembly module directly, like `wasmtime run`.
 * 'argv' starts at the word "wasm" (argv[0] == "wasm", argv[1] == "run", ...),
 * the same shape as main()'s argv minus the program name. 'globals' are the
 * global flags given before "wasm"; the same flags may also follow "run"
 * (before MODULE). Those that cannot apply to a module are refused. Returns the exit
 * status perch should exit with (the module's exit code for `wasm run`).
 */
int cli_wasm_main(const struct cli_opts *globals, int argc, char **argv);

/* `perch cache list` / `perch cache clear [PREFIX]` (cli_cache.c): the
 * entries of `cache` blocks. 'argv' starts at the word "cache". */
int cli_cache_main(int argc, char **argv);

/*
 * `perch-mcp` (and `perch mcp`): serve the commands of a .perch file over MCP
 * on stdin/stdout until stdin ends. 'argv[0]' is the program name, the rest
 * perch-mcp's flags (-f FILE, --no-shell ..., --env, --max-runtime, --audit).
 * Returns the exit status.
 */
int cli_mcp_main(int argc, char **argv);

/*
 * stdout that fails (cli_out.c). cli_fd_sink is the exec sink for perch's
 * stdout and stderr (whole batches under one lock, like exec_fd_sink) that
 * remembers a failed write to stdout; cli_write_all writes to a descriptor
 * the same way. cli_finish_stdout flushes stdout at exit: when it or any
 * earlier write to stdout failed, it prints "NAME: write error on stdout:
 * REASON" and returns 1 for a 'status' of 0 (else 'status' unchanged).
 */
struct cli_fd_sink {
    struct exec_sink base;
    pthread_mutex_t lock;
};
void cli_fd_sink_init(struct cli_fd_sink *sink);
void cli_fd_sink_release(struct cli_fd_sink *sink);
void cli_write_all(int fd, const char *data, size_t len);
void cli_stdout_failed(int err);
int cli_finish_stdout(int status, const char *name);

/* Parse an --env allowlist "A, B,C" (spaces trimmed, empty names skipped;
 * "" hides the whole host environment): sets *out_has and appends owned
 * copies of the names to *names / *count. */
void cli_parse_env_list(const char *list, bool *out_has, char ***names, size_t *count);

#endif
