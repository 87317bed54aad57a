/*
 * cli_init.c: `perch --init [DIR]`. Writes a commented commands.perch with a
 * build command, a test (`perch test`) and, when `clang --target=wasm32-wasi`
 * can build a module on this machine, a wasm_run example with its C source
 * in wasm/hello.c (compiled by the command itself on first use). The files
 * are created with O_EXCL: an existing file is never overwritten.
 *
 * PERCH_WASM_CC names the compiler probed and used (default "clang"); an
 * empty value leaves the wasm example out.
 */
#include "cli/cli_init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sbuf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "os/clock.h"
#include "os/spawn.h"

extern char **environ;

static const char hello_c[] =
    "/*\n"
    " * hello.c: a WASI Preview 1 command, run by `perch hello [NAME]`.\n"
    " * Built with: clang --target=wasm32-wasi -O2 hello.c -o hello.wasm\n"
    " * Inside wasm_run it sees only its arguments: no environment, no files.\n"
    " */\n"
    "#include <stdio.h>\n"
    "\n"
    "int\n"
    "main(int argc, char **argv)\n"
    "{\n"
    "    printf(\"hello, %s\\n\", argc > 1 ? argv[1] : \"world\");\n"
    "    return 0;\n"
    "}\n";

static const char perch_head1[] =
    "# commands.perch: the commands of this project, run with `perch COMMAND`.\n"
    "#   perch --help            lists them\n"
    "#   perch build --help      shows a command's arguments\n"
    "#   perch test              runs the commands marked `test`\n"
    "#   perch --check           checks this file without running anything\n"
    "# The language and every op: `man 5 perch`, `perch help`, `perch help OP`.\n"
    "name \"";
static const char perch_head2[] =
    "\"\n"
    "about \"Project commands\"\n"
    "\n"
    "# A top-level binding; UPPER_CASE names are also exported to programs run.\n"
    "GREETING = \"hello from perch\"\n"
    "\n"
    "command build\n"
    "    description \"Write the build output into a directory (default: out)\"\n"
    "    arg out\n"
    "        type string\n"
    "        default \"out\"\n"
    "        description \"Directory to write into\"\n"
    "    end\n"
    "    do\n"
    "        # Replace these lines with your real build, e.g. exec \"make\" \"-j4\".\n"
    "        mkdir \"${out}\"\n"
    "        write_file \"${out}/greeting.txt\" \"${GREETING}\"\n"
    "        print \"built ${out}/greeting.txt\"\n"
    "    end\n"
    "end\n"
    "\n"
    "# A test: `perch test` runs it in a fresh temporary directory.\n"
    "command test_build_writes_greeting\n"
    "    test\n"
    "    do\n"
    "        build --out \"out\"\n"
    "        assert_exists \"out/greeting.txt\"\n"
    "        text = read_file \"out/greeting.txt\"\n"
    "        assert_eq \"${text}\" \"${GREETING}\"\n"
    "    end\n"
    "end\n";

static const char perch_wasm1[] =
    "\n"
    "# wasm_run runs a WebAssembly (WASI Preview 1) module with only what the\n"
    "# block grants: here one argument. Mount directories with wasm_mount_read\n"
    "# and wasm_mount_write, pass variables with wasm_env.\n"
    "command hello\n"
    "    description \"Build wasm/hello.c (once) and run it in the sandbox\"\n"
    "    arg name\n"
    "        type string\n"
    "        index 0\n"
    "        default \"world\"\n"
    "        description \"Who to greet\"\n"
    "    end\n"
    "    do\n"
    "        module = \"${script_dir}/wasm/hello.wasm\"\n"
    "        if not exists \"${module}\"\n"
    "            exec \"";
static const char perch_wasm2[] =
    "\" \"--target=wasm32-wasi\" \"-O2\" \"${script_dir}/wasm/hello.c\" "
    "\"-o\" \"${module}\"\n"
    "        end\n"
    "        wasm_run \"${module}\"\n"
    "            wasm_arg \"${name}\"\n"
    "        end\n"
    "    end\n"
    "end\n"
    "\n"
    "command test_hello_greets\n"
    "    test\n"
    "    test_allow_subprocess\n"
    "    do\n"
    "        out = hello \"perch\"\n"
    "        assert_eq \"${out}\" \"hello, perch\"\n"
    "    end\n"
    "end\n";

/* Run argv (argv[0] looked up in PATH) with output discarded; true when it
 * exits 0. Bounded by a minute, so a hanging compiler cannot hang --init. */
static bool
run_quiet(const char *const *argv)
{
    struct err err = { 0 };
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)))
        return false;
    char *program = os_spawn_find_program(argv[0], getenv("PATH"), cwd, &err);
    if (!program)
        return false;
    struct os_spawn spec = { 0 };
    spec.program = program;
    spec.argv = argv;
    spec.envp = (const char *const *)environ;
    spec.stdin_fd = -1;
    spec.deadline_ns = os_clock_mono_ns() + INT64_C(60) * 1000000000;
    struct os_spawn_result res;
    bool ok = os_spawn_run(&spec, &res, &err) && !res.signal && !res.timed_out &&
              res.exit_code == 0;
    free(program);
    return ok;
}

/* Can 'cc' build a WASI module here? Compiles hello.c in a temporary dir. */
static bool
wasi_cc_works(const char *cc)
{
    const char *tmp = getenv("TMPDIR");
    struct sbuf dir = SBUF_INIT;
    sbuf_addf(&dir, "%s/perch-init-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir.buf)) {
        sbuf_release(&dir);
        return false;
    }
    struct sbuf src = SBUF_INIT, out = SBUF_INIT;
    sbuf_addf(&src, "%s/hello.c", dir.buf);
    sbuf_addf(&out, "%s/hello.wasm", dir.buf);
    bool ok = false;
    FILE *f = fopen(src.buf, "w");
    if (f) {
        bool written = fputs(hello_c, f) >= 0;
        if (fclose(f) == 0 && written) {
            const char *argv[] = { cc, "--target=wasm32-wasi", "-O2", src.buf, "-o", out.buf,
                                   NULL };
            ok = run_quiet(argv);
        }
    }
    unlink(out.buf);
    unlink(src.buf);
    rmdir(dir.buf);
    sbuf_release(&out);
    sbuf_release(&src);
    sbuf_release(&dir);
    return ok;
}

/* Create 'path' with 'text'; refuses an existing file. */
static bool
write_new(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            fprintf(stderr, "perch --init: %s already exists; not overwriting it\n", path);
        else
            fprintf(stderr, "perch --init: cannot create %s: %s\n", path, strerror(errno));
        return false;
    }
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "perch --init: writing %s: %s\n", path, strerror(errno));
            close(fd);
            unlink(path);
            return false;
        }
        done += (size_t)n;
    }
    if (close(fd) != 0) {
        fprintf(stderr, "perch --init: writing %s: %s\n", path, strerror(errno));
        unlink(path);
        return false;
    }
    return true;
}

/* The project name: the directory's last component, made a safe string. */
static char *
project_name(const char *dir)
{
    char *abs = realpath(dir, NULL);
    const char *p = abs ? abs : dir;
    const char *slash = strrchr(p, '/');
    const char *base = slash && slash[1] ? slash + 1 : p;
    struct sbuf name = SBUF_INIT;
    for (; *base; base++) {
        char c = *base;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.';
        sbuf_addc(&name, plain ? c : '-');
    }
    if (!name.len || !strcmp(name.buf, "-") || !strcmp(name.buf, ".") ||
        !strcmp(name.buf, ".."))
    {
        sbuf_reset(&name);
        sbuf_adds(&name, "project");
    }
    free(abs);
    return sbuf_detach(&name, NULL);
}

static void
print_init_usage(FILE *out)
{
    fputs("Usage: perch --init [DIR]\n"
          "Writes DIR/commands.perch (default DIR: the current directory, created when\n"
          "missing): a commented starting point with a build command, a test and, when\n"
          "clang can target wasm32-wasi, a wasm_run example built from wasm/hello.c.\n"
          "Existing files are never overwritten.\n",
          out);
}

int
cli_init_main(int argc, char **argv)
{
    const char *dir = ".";
    int given = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_init_usage(stdout);
            return CLI_EXIT_OK;
        }
        if (argv[i][0] == '-' || given++) {
            fprintf(stderr, "perch --init: unexpected argument '%s'\n", argv[i]);
            print_init_usage(stderr);
            return CLI_EXIT_USAGE;
        }
        dir = argv[i];
    }
    if (!*dir) {
        fprintf(stderr, "perch --init: the directory name is empty\n");
        return CLI_EXIT_USAGE;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "perch --init: cannot create directory %s: %s\n", dir, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "perch --init: %s is not a directory\n", dir);
        return CLI_EXIT_FAIL;
    }

    struct sbuf path = SBUF_INIT, wasm_dir = SBUF_INIT, c_path = SBUF_INIT, text = SBUF_INIT;
    sbuf_addf(&path, "%s/commands.perch", dir);
    sbuf_addf(&wasm_dir, "%s/wasm", dir);
    sbuf_addf(&c_path, "%s/hello.c", wasm_dir.buf);
    int status = CLI_EXIT_FAIL;
    if (access(path.buf, F_OK) == 0) {
        fprintf(stderr, "perch --init: %s already exists; not overwriting it\n", path.buf);
        goto done;
    }

    const char *cc = getenv("PERCH_WASM_CC");
    if (!cc)
        cc = "clang";
    bool with_wasm = *cc && !strpbrk(cc, "\"\\$") && wasi_cc_works(cc);
    if (with_wasm && access(c_path.buf, F_OK) == 0) {
        fprintf(stderr, "perch --init: %s already exists; not overwriting it\n", c_path.buf);
        goto done;
    }

    char *name = project_name(dir);
    sbuf_adds(&text, perch_head1);
    sbuf_adds(&text, name);
    sbuf_adds(&text, perch_head2);
    free(name);
    if (with_wasm) {
        sbuf_adds(&text, perch_wasm1);
        sbuf_adds(&text, cc);
        sbuf_adds(&text, perch_wasm2);
    } else
        sbuf_adds(&text, "\n# (No wasm_run example: `clang --target=wasm32-wasi` did not work here.\n"
                           "# Install clang, lld and wasi-libc, then see `man 5 perch`.)\n");

    if (with_wasm) {
        if (mkdir(wasm_dir.buf, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "perch --init: cannot create directory %s: %s\n", wasm_dir.buf,
                    strerror(errno));
            goto done;
        }
        if (!write_new(c_path.buf, hello_c))
            goto done;
    }
    if (!write_new(path.buf, text.buf)) {
        if (with_wasm)
            unlink(c_path.buf);
        goto done;
    }
    fprintf(stderr, "perch: wrote %s%s%s\n", path.buf, with_wasm ? " and " : "",
            with_wasm ? c_path.buf : "");
    fprintf(stderr, "try: cd %s && perch --help && perch build%s && perch test\n", dir,
            with_wasm ? " && perch hello" : "");
    status = CLI_EXIT_OK;
done:
    sbuf_release(&text);
    sbuf_release(&c_path);
    sbuf_release(&wasm_dir);
    sbuf_release(&path);
    return status;
}
