/*
 * auto.c: auto variables (script_dir, os, home, ...) and the host
 * environment as the interpreter sees it.
 *
 * Auto variables are computed once per run into the root scope; `cwd` is
 * the exception and is answered live by exec_lookup (it follows with_cwd).
 * os and arch use Go's names (linux, darwin; amd64, arm64) because scripts
 * written for the original implementation compare against those.
 */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "exec/exec_int.h"
#include "os/path.h"

const char *
exec_host_env(const struct exec_app *app, const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = app->host_env; e && *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

const char *
exec_os_name(void)
{
#if defined(__APPLE__)
    return "darwin";
#elif defined(__linux__)
    return "linux";
#elif defined(__FreeBSD__)
    return "freebsd";
#else
    return "unknown";
#endif
}

const char *
exec_arch_name(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__i386__)
    return "386";
#elif defined(__arm__)
    return "arm";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#else
    return "unknown";
#endif
}

static void
set(struct exec_scope *s, const char *name, const char *value)
{
    exec_scope_set_text(s, name, value ? value : "");
}

void
exec_autos_fill(struct exec_state *st, struct exec_scope *autos)
{
    const struct exec_app *app = st->app;
    const struct lang_program *prog = st->prog;
    char buf[PATH_MAX];

    /* script_dir / script_path, absolute. The program's paths are relative
     * to the process's cwd (where it was loaded), not to this run's cwd. */
    char pcwd[PATH_MAX];
    if (!getcwd(pcwd, sizeof(pcwd)))
        snprintf(pcwd, sizeof(pcwd), "/");
    char *dir = os_path_abs(pcwd, prog->dir && *prog->dir ? prog->dir : ".");
    char *path = os_path_abs(pcwd, prog->path ? prog->path : ".");
    if (realpath(dir, buf)) {
        free(dir);
        dir = xstrdup(buf);
    }
    if (realpath(path, buf)) {
        free(path);
        path = xstrdup(buf);
    }
    set(autos, "script_dir", dir);
    set(autos, "script_path", path);
    free(dir);
    free(path);

    set(autos, "os", exec_os_name());
    set(autos, "arch", exec_arch_name());

    const char *home = exec_host_env(app, "HOME");
    struct passwd pw, *pwp = NULL;
    char pwbuf[1024];
    getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &pwp);
    if (!home && pwp)
        home = pw.pw_dir;
    set(autos, "home", home ? home : "/");

    const char *tmp = exec_host_env(app, "TMPDIR");
    set(autos, "temp_dir", tmp && *tmp ? tmp : "/tmp");

    const char *xdg = exec_host_env(app, "XDG_CACHE_HOME");
    if (xdg && *xdg) {
        set(autos, "cache_dir", xdg);
    } else {
        char *c = os_path_join(home ? home : "/", ".cache");
        set(autos, "cache_dir", c);
        free(c);
    }

    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(buf, sizeof(buf), "%ld", ncpu > 0 ? ncpu : 1);
    set(autos, "cpu_count", buf);
    snprintf(buf, sizeof(buf), "%ld", (long)getpid());
    set(autos, "pid", buf);

    const char *user = exec_host_env(app, "USER");
    if (!user && pwp)
        user = pw.pw_name;
    set(autos, "user", user ? user : "");

    if (gethostname(buf, sizeof(buf)) != 0)
        buf[0] = '\0';
    buf[sizeof(buf) - 1] = '\0';
    set(autos, "hostname", buf);

    set(autos, "exe_path", app->exe_path ? app->exe_path : "perch");
    char *exe_dir = app->exe_path ? os_path_dir(app->exe_path) : xstrdup(".");
    set(autos, "exe_dir", exe_dir);
    free(exe_dir);

    set(autos, "bundle_dir", app->bundle_dir);
    set(autos, "bundle_hash", app->bundle_hash);
}
