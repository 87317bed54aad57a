/*
 * cli_out.c: perch's own stdout sink, and the check that what was written
 * to stdout got there. A write to stdout that fails (a full disk, a closed
 * terminal, /dev/full) makes the run fail with one message, as sh does,
 * instead of exiting 0 with the output lost.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* errno of the first failed write to stdout; 0 while none has failed. */
static atomic_int stdout_errno;

void
cli_stdout_failed(int err)
{
    int expected = 0;
    /* A closed pipe is SIGPIPE's business (perch leaves it at its default,
     * so it never gets here except where a caller ignores it). */
    if (err && err != EPIPE)
        atomic_compare_exchange_strong(&stdout_errno, &expected, err);
}

void
cli_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (fd == STDOUT_FILENO)
                cli_stdout_failed(n < 0 ? errno : EIO);
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

static void
fd_sink_write(struct exec_sink *base, int stream, const char *data, size_t len)
{
    struct cli_fd_sink *s = (struct cli_fd_sink *)base;
    pthread_mutex_lock(&s->lock);
    cli_write_all(stream == 1 ? STDOUT_FILENO : STDERR_FILENO, data, len);
    pthread_mutex_unlock(&s->lock);
}

void
cli_fd_sink_init(struct cli_fd_sink *sink)
{
    sink->base.write = fd_sink_write;
    pthread_mutex_init(&sink->lock, NULL);
}

void
cli_fd_sink_release(struct cli_fd_sink *sink)
{
    pthread_mutex_destroy(&sink->lock);
}

int
cli_finish_stdout(int status, const char *name)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        cli_stdout_failed(errno ? errno : EIO);
    int e = atomic_load(&stdout_errno);
    if (!e)
        return status;
    fprintf(stderr, "%s: write error on stdout: %s\n", name && *name ? name : "perch",
            strerror(e));
    return status == CLI_EXIT_OK ? CLI_EXIT_FAIL : status;
}
