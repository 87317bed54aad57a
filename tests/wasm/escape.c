/*
 * tests/wasm/escape.c: every way out of a mount we could think of must fail.
 * Expects /ro/data (read-only; hello.txt, link_abs -> an absolute host path
 * outside, link_rel -> ../outside/secret.txt) and /rw/work (writable).
 * argv[1] is the absolute host path of a secret file outside every mount.
 * Prints "blocked NAME" or "ESCAPED NAME"; exit status = escapes + failures.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

static int escapes;

/* 'ok' is true when the attempt was refused. */
static void
blocked(int ok, const char *name)
{
    if (ok) {
        printf("blocked %s\n", name);
    } else {
        printf("ESCAPED %s\n", name);
        escapes++;
    }
}

static int
open_fails(const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return 1;
}

int
main(int argc, char **argv)
{
    const char *secret = argc > 1 ? argv[1] : "/etc/passwd";
    struct stat st;

    /* Reading outside. */
    blocked(open_fails(secret, O_RDONLY), "absolute host path");
    blocked(open_fails("/etc/passwd", O_RDONLY), "absolute /etc/passwd");
    blocked(open_fails("/ro/data/../../outside/secret.txt", O_RDONLY), "dotdot from ro");
    blocked(open_fails("/rw/work/../../outside/secret.txt", O_RDONLY), "dotdot from rw");
    blocked(open_fails("/rw/work/../../../../../../../../etc/passwd", O_RDONLY), "many dotdots");
    blocked(open_fails("/ro/data/link_abs", O_RDONLY), "host symlink absolute");
    blocked(open_fails("/ro/data/link_rel", O_RDONLY), "host symlink relative");
    blocked(stat("/ro/data/link_abs", &st) != 0, "stat through host symlink");
    blocked(opendir("/") == NULL, "opendir /");
    blocked(opendir("/ro/data/..") == NULL, "opendir ro/..");
    blocked(chdir("/ro/data") != 0 || open_fails("../../outside/secret.txt", O_RDONLY),
            "relative dotdot after chdir");
    chdir("/");

    /* Symlinks the guest creates. */
    blocked(symlink("/etc/passwd", "/rw/work/abs_link") != 0, "create absolute symlink");
    blocked(symlink("../../outside/secret.txt", "/rw/work/rel_link") != 0,
            "create escaping symlink");
    blocked(open_fails("/rw/work/abs_link", O_RDONLY), "read guest absolute symlink");
    blocked(open_fails("/rw/work/rel_link", O_RDONLY), "read guest relative symlink");
    mkdir("/rw/work/a", 0755);
    CHECK(symlink("..", "/rw/work/a/up") == 0, "symlink to the mount root is allowed");
    blocked(open_fails("/rw/work/a/up/../outside/secret.txt", O_RDONLY),
            "dotdot through an inside symlink");
    blocked(open_fails("/rw/work/a/up/../x", O_WRONLY | O_CREAT),
            "create through an inside symlink");

    /* Hard links and renames leaving the mount, or crossing from read-only. */
    blocked(link("/ro/data/hello.txt", "/rw/work/hl") != 0, "hard link ro file into rw");
    blocked(link(secret, "/rw/work/hl2") != 0, "hard link host file");
    blocked(link("/rw/work/../../outside/secret.txt", "/rw/work/hl3") != 0, "hard link via dotdot");
    int fd = open("/rw/work/f", O_WRONLY | O_CREAT, 0644);
    close(fd);
    blocked(rename("/rw/work/f", "/rw/work/../f") != 0, "rename out via dotdot");
    blocked(rename("/rw/work/f", "/tmp/f") != 0, "rename to host path");
    blocked(rename("/ro/data/hello.txt", "/rw/work/stolen") != 0, "rename ro file into rw");
    blocked(stat("/rw/work/f", &st) == 0, "renamed file still inside");

    /* Writes under the read-only mount: EROFS. */
    CHECK_ERRNO(open("/ro/data/hello.txt", O_WRONLY), EROFS, "ro open for write");
    CHECK_ERRNO(open("/ro/data/hello.txt", O_RDWR), EROFS, "ro open rdwr");
    CHECK_ERRNO(open("/ro/data/new.txt", O_WRONLY | O_CREAT, 0644), EROFS, "ro create");
    CHECK_ERRNO(open("/ro/data/hello.txt", O_RDONLY | O_TRUNC), EROFS, "ro truncate on open");
    CHECK_ERRNO(open("/ro/data/hello.txt", O_WRONLY | O_APPEND), EROFS, "ro append");
    CHECK_ERRNO(truncate("/ro/data/hello.txt", 0), EROFS, "ro truncate");
    CHECK_ERRNO(unlink("/ro/data/hello.txt"), EROFS, "ro unlink");
    CHECK_ERRNO(mkdir("/ro/data/d", 0755), EROFS, "ro mkdir");
    CHECK_ERRNO(rmdir("/ro/data/nested"), EROFS, "ro rmdir");
    CHECK_ERRNO(rename("/ro/data/hello.txt", "/ro/data/x.txt"), EROFS, "ro rename");
    CHECK_ERRNO(symlink("hello.txt", "/ro/data/l"), EROFS, "ro symlink");
    CHECK_ERRNO(link("/ro/data/hello.txt", "/ro/data/l2"), EROFS, "ro link");
    struct timeval tv[2] = { { 1, 0 }, { 1, 0 } };
    CHECK_ERRNO(utimes("/ro/data/hello.txt", tv), EROFS, "ro set times");
    fd = open("/ro/data/hello.txt", O_RDONLY);
    CHECK(fd >= 0, "ro open for read");
    CHECK_ERRNO(write(fd, "x", 1), EROFS, "write to ro fd");
    CHECK_ERRNO(ftruncate(fd, 0), EROFS, "ftruncate ro fd");
    close(fd);
    blocked(stat("/ro/data/hello.txt", &st) == 0 && st.st_size == 6, "ro file unchanged");

    /* The environment holds only what was allowed. */
    blocked(getenv("PERCH_TEST_SECRET") == NULL, "env outside the allowlist");
    CHECK(getenv("ALLOWED") && strcmp(getenv("ALLOWED"), "yes") == 0, "allowed env visible");

    /* fd numbers that were never opened. */
    char c;
    CHECK_ERRNO(read(77, &c, 1), EBADF, "read fd 77");
    CHECK_ERRNO(write(500, "x", 1), EBADF, "write fd 500");
    CHECK_ERRNO(close(1000), EBADF, "close fd 1000");
    CHECK_ERRNO(lseek(0x7fffffff, 0, SEEK_SET), EBADF, "seek huge fd");
    CHECK_ERRNO(fstat(99, &st), EBADF, "fstat fd 99");

    printf("escapes=%d failures=%d\n", escapes, check_failures);
    return escapes + check_failures;
}
