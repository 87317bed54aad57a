/* sysinfo.c: host and process facts (see sysinfo.h). */
#include "os/sysinfo.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __APPLE__
# include <mach-o/dyld.h>
#endif

#include "base/err.h"
#include "base/xalloc.h"
#include "os/fs.h"
#include "os/path.h"

char *
os_self_exe_path(struct err *err)
{
#ifdef __APPLE__
    uint32_t size = 0;
    _NSGetExecutablePath(NULL, &size);
    char *raw = xmalloc(size + 1);
    if (_NSGetExecutablePath(raw, &size) != 0) {
        free(raw);
        err_set(err, ERR_IO, "cannot find the path of the running executable");
        return NULL;
    }
    char *resolved = realpath(raw, NULL);
    free(raw);
    if (!resolved)
        os_errno(err, errno, "cannot resolve the path of the running executable");
    return resolved;
#else
    char *resolved = realpath("/proc/self/exe", NULL);
    if (!resolved)
        os_errno(err, errno, "cannot resolve '/proc/self/exe'");
    return resolved;
#endif
}

char *
os_temp_dir(const char *tmpdir_env)
{
    if (tmpdir_env && tmpdir_env[0] == '/')
        return os_path_clean(tmpdir_env);
    return xstrdup("/tmp");
}

char *
os_hostname(void)
{
    char buf[256];
    if (gethostname(buf, sizeof(buf)) != 0)
        return NULL;
    buf[sizeof(buf) - 1] = '\0';
    return xstrdup(buf);
}

/* getpwuid_r for the effective user; fills *out and returns it or NULL.
 * 'buf' must stay alive while the result is used. */
static struct passwd *
self_passwd(struct passwd *out, char *buf, size_t size)
{
    struct passwd *res = NULL;
    if (getpwuid_r(geteuid(), out, buf, size, &res) != 0)
        return NULL;
    return res;
}

char *
os_user_name(void)
{
    struct passwd pw;
    char buf[4096];
    struct passwd *res = self_passwd(&pw, buf, sizeof(buf));
    return res && res->pw_name ? xstrdup(res->pw_name) : NULL;
}

char *
os_home_dir(const char *home_env)
{
    if (home_env && home_env[0])
        return xstrdup(home_env);
    struct passwd pw;
    char buf[4096];
    struct passwd *res = self_passwd(&pw, buf, sizeof(buf));
    return res && res->pw_dir ? xstrdup(res->pw_dir) : NULL;
}
