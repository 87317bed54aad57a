/*
 * src/os/sysinfo.h: facts about the host and this process (the executable's
 * path, temporary directory, user, host name) for perch's auto variables.
 * Every function returns a new string (caller frees) and never fails
 * silently: NULL means the fact is unknown.
 */
#ifndef PERCH_OS_SYSINFO_H
#define PERCH_OS_SYSINFO_H

struct err;

/* Absolute path of the running executable (/proc/self/exe on Linux,
 * _NSGetExecutablePath on macOS), symlinks resolved. */
char *os_self_exe_path(struct err *err);
/* The temporary directory: 'tmpdir_env' (the TMPDIR value the caller's
 * environment holds; may be NULL) when it is an absolute path, else /tmp.
 * Trailing slashes are removed. */
char *os_temp_dir(const char *tmpdir_env);
/* The host name (gethostname). */
char *os_hostname(void);
/* Login name of the effective user (from the password database), or NULL. */
char *os_user_name(void);
/* Home directory: 'home_env' when set, else from the password database. */
char *os_home_dir(const char *home_env);

#endif
