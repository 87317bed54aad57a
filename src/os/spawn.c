/*
 * spawn.c: child processes with explicit argv, cwd and envp (see spawn.h).
 *
 * Design:
 * - Start: posix_spawn with POSIX_SPAWN_SETPGROUP (own process group),
 *   default signal dispositions and an empty signal mask, and the cwd set
 *   by posix_spawn_file_actions_addchdir_np. Where that call is missing,
 *   fork + chdir + execve, with a close-on-exec pipe that carries the
 *   exec errno back to the parent.
 * - Run: one poll() loop reads both pipes, hands whole lines to the
 *   callback, and watches the deadline and the interrupt flag. On expiry
 *   it sends SIGTERM to the group, then SIGKILL after the grace period.
 * - End: waitpid(). If the child has exited but something it started in
 *   the background still holds the pipes, reading stops after a short
 *   quiet period, so `cmd &` cannot hang the caller.
 * - Pipelines: a single run is a pipeline of one. Stages are joined by
 *   close-on-exec pipes (each child gets only its own ends through dup2),
 *   share the first stage's process group and one stderr pipe, and the
 *   parent closes every stage end as soon as the stage holds it, so EOF
 *   travels down the pipeline as in a shell.
 *
 * Terminals: a process outside the terminal's foreground group that reads
 * from it is stopped with SIGTTIN. So when stdin is a terminal (perch run
 * by hand, `shell "git commit"` opening an editor, a password prompt) the
 * child stays in perch's own group, gets Ctrl-C with it, and a timeout
 * signals the child alone. NEEDSWORK: handing the terminal to the child's
 * group with tcsetpgrp would let timeouts reach grandchildren there too.
 */
#include "os/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "os/clock.h"
#include "os/fault.h"
#include "os/fs.h"
#include "os/path.h"

/* PERCH_SPAWN_FORCE_FORK (a build flag) exercises the fork path on
 * systems that have the posix_spawn one. */
#if defined(PERCH_SPAWN_FORCE_FORK)
# define HAVE_ADDCHDIR 0
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
# define HAVE_ADDCHDIR 1
#elif defined(__APPLE__)
# define HAVE_ADDCHDIR 1
#else
# define HAVE_ADDCHDIR 0
#endif


/* Pending output longer than this is forwarded even without a newline. */
#define LINE_MAX_PENDING 65536
/* How long pipes may stay open and silent after the child has exited. */
#define AFTER_EXIT_QUIET_MS 200
/* Longest poll() sleep, so the child's exit and the interrupt flag are
 * noticed promptly. */
#define POLL_SLICE_MS 50

static const int reset_signals[] = { SIGPIPE, SIGINT,  SIGQUIT, SIGTERM, SIGHUP,  SIGCHLD, SIGTSTP,
                                     SIGTTIN, SIGTTOU, SIGALRM, SIGUSR1, SIGUSR2, SIGXFSZ };

const char *
os_envp_get(const char *const *envp, const char *name)
{
    if (!envp)
        return NULL;
    size_t n = strlen(name);
    for (size_t i = 0; envp[i]; i++) {
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    }
    return NULL;
}

static bool
is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *
os_spawn_find_program(const char *name, const char *path_env, const char *cwd, struct err *err)
{
    if (!name[0]) {
        err_set(err, ERR_NOT_FOUND, "empty program name");
        return NULL;
    }
    if (strchr(name, '/')) {
        char *full = cwd ? os_path_abs(cwd, name) : xstrdup(name);
        if (is_executable_file(full))
            return full;
        struct stat st;
        if (stat(full, &st) != 0)
            err_set_code(err, ERR_NOT_FOUND, ENOENT, "program '%s' not found", name);
        else
            err_set_code(err, ERR_IO, EACCES, "program '%s' is not an executable file", name);
        free(full);
        return NULL;
    }
    if (!path_env || !path_env[0])
        path_env = "/usr/local/bin:/usr/bin:/bin";
    const char *p = path_env;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t dir_len = colon ? (size_t)(colon - p) : strlen(p);
        /* An empty PATH element means the current directory. */
        char *dir = dir_len ? xstrndup(p, dir_len) : xstrdup(".");
        char *rel = xasprintf("%s/%s", dir, name);
        char *full = cwd ? os_path_abs(cwd, rel) : xstrdup(rel);
        free(dir);
        free(rel);
        if (is_executable_file(full))
            return full;
        free(full);
        if (!colon)
            break;
        p = colon + 1;
    }
    err_set_code(err, ERR_NOT_FOUND, ENOENT, "program '%s' not found in PATH", name);
    return NULL;
}

static char *const empty_env[] = { NULL };

/* Process group of a new child: PGROUP_NONE keeps the caller's, PGROUP_NEW
 * makes the child a group leader, any other value joins that group. */
#define PGROUP_NONE ((pid_t)-1)
#define PGROUP_NEW  ((pid_t)0)

#if HAVE_ADDCHDIR
static int
start_posix_spawn(const struct os_spawn *spec, int in_fd, int out_fd, int err_fd, pid_t pgroup,
                  pid_t *out_pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0)
        return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return rc;
    }
    sigset_t mask, defaults;
    sigemptyset(&mask);
    sigemptyset(&defaults);
    for (size_t i = 0; i < sizeof(reset_signals) / sizeof(reset_signals[0]); i++)
        sigaddset(&defaults, reset_signals[i]);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (pgroup != PGROUP_NONE)
        flags |= POSIX_SPAWN_SETPGROUP;
    if (rc == 0)
        rc = posix_spawnattr_setflags(&attr, flags);
    if (rc == 0 && pgroup != PGROUP_NONE)
        rc = posix_spawnattr_setpgroup(&attr, pgroup);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask(&attr, &mask);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(&attr, &defaults);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    if (rc == 0 && spec->cwd)
        rc = posix_spawn_file_actions_addchdir_np(&fa, spec->cwd);
    if (rc == 0)
        rc = posix_spawn(out_pid, spec->program, &fa, &attr, (char *const *)spec->argv,
                         spec->envp ? (char *const *)spec->envp : empty_env);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}
#else
/* fork + exec. Between fork and exec the child only calls async-signal-safe
 * functions, as POSIX requires of a child of a multithreaded process. */
static int
start_fork(const struct os_spawn *spec, int in_fd, int out_fd, int err_fd, pid_t pgroup,
           pid_t *out_pid)
{
    int report[2];
    if (pipe(report) != 0)
        return errno;
    fcntl(report[0], F_SETFD, FD_CLOEXEC);
    fcntl(report[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        return e;
    }
    if (pid == 0) {
        if (pgroup != PGROUP_NONE)
            setpgid(0, pgroup);
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        for (size_t i = 0; i < sizeof(reset_signals) / sizeof(reset_signals[0]); i++)
            sigaction(reset_signals[i], &sa, NULL);
        sigset_t mask;
        sigemptyset(&mask);
        sigprocmask(SIG_SETMASK, &mask, NULL);
        int e = 0;
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
            e = errno;
        if (!e && spec->cwd && chdir(spec->cwd) != 0)
            e = errno;
        if (!e) {
            execve(spec->program, (char *const *)spec->argv,
                   spec->envp ? (char *const *)spec->envp : empty_env);
            e = errno;
        }
        ssize_t unused = write(report[1], &e, sizeof(e));
        (void)unused;
        _exit(127);
    }
    /* Also done by the child; whichever runs first wins. */
    if (pgroup != PGROUP_NONE)
        setpgid(pid, pgroup == PGROUP_NEW ? pid : pgroup);
    close(report[1]);
    int child_errno = 0;
    ssize_t n;
    do {
        n = read(report[0], &child_errno, sizeof(child_errno));
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof(child_errno)) {
        waitpid(pid, NULL, 0);
        return child_errno;
    }
    *out_pid = pid;
    return 0;
}
#endif

static int
start_one(const struct os_spawn *spec, int in_fd, int out_fd, int err_fd, pid_t pgroup,
          pid_t *out_pid)
{
    if (os_fault_io())
        return EIO;
#if HAVE_ADDCHDIR
    return start_posix_spawn(spec, in_fd, out_fd, err_fd, pgroup, out_pid);
#else
    return start_fork(spec, in_fd, out_fd, err_fd, pgroup, out_pid);
#endif
}

/* Per-stream state of the read loop. */
struct stream {
    int fd; /* read end; -1 once closed */
    int id; /* 1 or 2 */
    struct sbuf pending;
};

static void
flush_lines(const struct os_spawn *spec, struct stream *s, bool at_eof)
{
    if (!s->pending.len)
        return;
    size_t upto = 0;
    if (at_eof || s->pending.len >= LINE_MAX_PENDING) {
        upto = s->pending.len;
    } else {
        for (size_t i = s->pending.len; i > 0; i--) {
            if (s->pending.buf[i - 1] == '\n') {
                upto = i;
                break;
            }
        }
        if (!upto)
            return;
    }
    if (spec->on_output)
        spec->on_output(spec->output_arg, s->id, s->pending.buf, upto);
    size_t rest = s->pending.len - upto;
    memmove(s->pending.buf, s->pending.buf + upto, rest);
    sbuf_setlen(&s->pending, rest);
}

/* Read what is available on 's'; closes it at EOF or on error. */
static void
drain(const struct os_spawn *spec, struct stream *s)
{
    char buf[16384];
    ssize_t n = read(s->fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(s->fd);
        s->fd = -1;
        flush_lines(spec, s, true);
        return;
    }
    sbuf_add(&s->pending, buf, (size_t)n);
    flush_lines(spec, s, false);
}

/* The children of one run and how to stop them. */
struct run {
    const struct os_spawn *spec; /* stage 0: deadline, interrupt, output */
    pid_t *pids;
    int *statuses;
    bool *reaped;
    size_t count;    /* children started */
    bool own_group;  /* all children are in the group of pids[0] */
    int64_t term_at; /* when SIGTERM was sent; 0 = not yet */
    bool kill_sent;
    int64_t grace_ns;
};

static void
signal_all(struct run *r, int sig)
{
    if (r->own_group && r->count > 0) {
        kill(-r->pids[0], sig);
        return;
    }
    for (size_t i = 0; i < r->count; i++)
        if (!r->reaped[i])
            kill(r->pids[i], sig);
}

/* Signal the children if the run must stop; returns the poll timeout (ms)
 * that keeps the next check on time, capped at POLL_SLICE_MS. */
static int
check_stop(struct run *r, struct os_spawn_result *out)
{
    const struct os_spawn *spec = r->spec;
    int64_t now = os_clock_mono_ns();
    if (!r->term_at) {
        bool expired = spec->deadline_ns > 0 && now >= spec->deadline_ns;
        bool interrupted = spec->interrupt && atomic_load(spec->interrupt);
        if (expired || interrupted) {
            out->timed_out = expired;
            out->interrupted = !expired;
            signal_all(r, SIGTERM);
            signal_all(r, SIGCONT); /* a stopped process must run to see SIGTERM */
            r->term_at = now;
        }
    }
    if (r->term_at && !r->kill_sent && now - r->term_at >= r->grace_ns) {
        signal_all(r, SIGKILL);
        r->kill_sent = true;
    }
    int64_t wait_ns = (int64_t)POLL_SLICE_MS * OS_NS_PER_MS;
    if (!r->term_at && spec->deadline_ns > 0 && spec->deadline_ns - now < wait_ns)
        wait_ns = spec->deadline_ns - now;
    if (r->term_at && !r->kill_sent && r->term_at + r->grace_ns - now < wait_ns)
        wait_ns = r->term_at + r->grace_ns - now;
    if (wait_ns < 0)
        wait_ns = 0;
    return (int)((wait_ns + OS_NS_PER_MS - 1) / OS_NS_PER_MS);
}

/* waitpid(WNOHANG, or blocking when 'block') on every unreaped child;
 * returns true once all are reaped. */
static bool
reap(struct run *r, bool block)
{
    bool all = true;
    for (size_t i = 0; i < r->count; i++) {
        if (r->reaped[i])
            continue;
        pid_t w;
        do {
            w = waitpid(r->pids[i], &r->statuses[i], block ? 0 : WNOHANG);
        } while (w < 0 && errno == EINTR);
        if (w == r->pids[i] || w < 0)
            r->reaped[i] = true; /* w < 0: not ours to wait for (ECHILD) */
        else
            all = false;
    }
    return all;
}

static void
record_status(int status, struct os_spawn_result *out)
{
    if (WIFEXITED(status)) {
        out->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        out->signal = WTERMSIG(status);
        out->exit_code = 128 + out->signal;
    }
}

/* Close a descriptor slot if open. */
static void
close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static int
make_pipe(int fds[2])
{
#ifdef __linux__
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
#else
    /* NEEDSWORK: without pipe2 another thread may fork between pipe() and
     * the FD_CLOEXEC below and leak these descriptors into its child. */
    if (pipe(fds) != 0)
        return errno;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

/* Checks before anything starts; false with 'err' for a bad cwd. */
static bool
check_cwd(const struct os_spawn *spec, struct err *err)
{
    if (!spec->cwd)
        return true;
    struct stat st;
    if (stat(spec->cwd, &st) != 0)
        return os_errno(err, errno, "cannot run '%s' in '%s'", spec->program, spec->cwd);
    if (!S_ISDIR(st.st_mode))
        return err_set_code(err, ERR_NOT_FOUND, ENOTDIR,
                            "cannot run '%s': working directory '%s' is not a directory",
                            spec->program, spec->cwd);
    return true;
}

bool
os_spawn_pipeline(const struct os_spawn *stages, size_t count, struct os_spawn_result *out,
                  struct err *err)
{
    if (count == 0)
        return err_set(err, ERR_USAGE, "empty pipeline");
    const struct os_spawn *spec = &stages[0];
    for (size_t i = 0; i < count; i++)
        memset(&out[i], 0, sizeof(out[i]));
    bool stop_now = (spec->deadline_ns > 0 && os_clock_mono_ns() >= spec->deadline_ns)
                    || (spec->interrupt && atomic_load(spec->interrupt));
    if (stop_now) {
        for (size_t i = 0; i < count; i++) {
            out[i].timed_out = spec->deadline_ns > 0 && os_clock_mono_ns() >= spec->deadline_ns;
            out[i].interrupted = !out[i].timed_out;
            out[i].exit_code = 128 + SIGKILL;
        }
        return true;
    }
    for (size_t i = 0; i < count; i++)
        if (!check_cwd(&stages[i], err))
            return false;

    bool ok = false;
    int null_fd = -1;
    int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
    int prev_read = -1; /* read end of the pipe into the next stage */
    struct stream streams[2] = { { -1, 1, SBUF_INIT }, { -1, 2, SBUF_INIT } };
    struct run r = { .spec = spec };
    r.pids = xcalloc(count, sizeof(pid_t));
    r.statuses = xcalloc(count, sizeof(int));
    r.reaped = xcalloc(count, sizeof(bool));
    r.grace_ns = spec->grace_ns > 0 ? spec->grace_ns : OS_SPAWN_GRACE_NS;

    int in_fd = spec->stdin_fd;
    if (in_fd < 0) {
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0) {
            os_errno(err, errno, "cannot open '/dev/null'");
            goto fail;
        }
        in_fd = null_fd;
    }
    int e = make_pipe(out_pipe);
    if (!e)
        e = make_pipe(err_pipe);
    if (e) {
        os_errno(err, e, "cannot create pipes for '%s'", spec->program);
        goto fail;
    }
    r.own_group = !isatty(in_fd);
    for (size_t i = 0; i < count; i++) {
        int next[2] = { -1, -1 };
        bool is_last = i + 1 == count;
        if (!is_last && (e = make_pipe(next)) != 0) {
            os_errno(err, e, "cannot create a pipe for '%s'", stages[i].program);
            goto fail;
        }
        pid_t pgroup = !r.own_group ? PGROUP_NONE : i == 0 ? PGROUP_NEW : r.pids[0];
        int stage_in = i == 0 ? in_fd : prev_read;
        int stage_out = is_last ? out_pipe[1] : next[1];
        int rc = start_one(&stages[i], stage_in, stage_out, err_pipe[1], pgroup, &r.pids[i]);
        close_fd(&prev_read);
        close_fd(&next[1]);
        prev_read = next[0];
        if (rc != 0) {
            close_fd(&prev_read);
            os_errno(err, rc, "cannot run '%s'", stages[i].program);
            goto fail;
        }
        r.count++;
    }
    close_fd(&out_pipe[1]);
    close_fd(&err_pipe[1]);
    close_fd(&null_fd);
    streams[0].fd = out_pipe[0];
    streams[1].fd = err_pipe[0];
    out_pipe[0] = err_pipe[0] = -1;

    bool all_reaped = false;
    int64_t quiet_since = 0; /* after every child exited: when output last arrived */
    while (streams[0].fd >= 0 || streams[1].fd >= 0) {
        int timeout_ms = check_stop(&r, &out[0]);
        struct pollfd pfd[2];
        nfds_t nfds = 0;
        struct stream *which[2];
        for (int i = 0; i < 2; i++) {
            if (streams[i].fd >= 0) {
                pfd[nfds].fd = streams[i].fd;
                pfd[nfds].events = POLLIN;
                pfd[nfds].revents = 0;
                which[nfds++] = &streams[i];
            }
        }
        int n = poll(pfd, nfds, timeout_ms);
        if (n < 0 && errno != EINTR)
            break;
        bool got_data = false;
        for (nfds_t i = 0; n > 0 && i < nfds; i++) {
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
                drain(spec, which[i]);
                got_data = true;
            }
        }
        if (!all_reaped) {
            if (reap(&r, false)) {
                all_reaped = true;
                quiet_since = os_clock_mono_ns();
            }
        } else if (got_data) {
            quiet_since = os_clock_mono_ns();
        } else if (os_clock_mono_ns() - quiet_since >= AFTER_EXIT_QUIET_MS * OS_NS_PER_MS) {
            break; /* background processes hold the pipes; stop listening */
        }
    }
    while (!all_reaped) {
        check_stop(&r, &out[0]);
        bool can_block = !spec->deadline_ns && !spec->interrupt;
        all_reaped = reap(&r, can_block);
        if (!all_reaped)
            os_sleep_ns(5 * OS_NS_PER_MS, 0, NULL);
    }
    for (size_t i = 0; i < count; i++) {
        out[i].timed_out = out[0].timed_out;
        out[i].interrupted = out[0].interrupted;
        record_status(r.statuses[i], &out[i]);
    }
    /* A stopped run takes its whole group down, stragglers included. */
    if (r.term_at && !r.kill_sent && r.own_group)
        kill(-r.pids[0], SIGKILL);
    ok = true;
fail:
    if (!ok && r.count > 0) {
        /* A later stage could not start: stop the ones already running. */
        for (size_t i = 0; i < r.count; i++)
            kill(r.own_group ? -r.pids[0] : r.pids[i], SIGKILL);
        reap(&r, true);
    }
    close_fd(&prev_read);
    close_fd(&null_fd);
    for (int i = 0; i < 2; i++) {
        close_fd(&out_pipe[i]);
        close_fd(&err_pipe[i]);
        close_fd(&streams[i].fd);
        flush_lines(spec, &streams[i], true);
        sbuf_release(&streams[i].pending);
    }
    free(r.pids);
    free(r.statuses);
    free(r.reaped);
    return ok;
}

bool
os_spawn_run(const struct os_spawn *spec, struct os_spawn_result *out, struct err *err)
{
    return os_spawn_pipeline(spec, 1, out, err);
}
