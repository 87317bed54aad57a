/*
 * tests/wasm/fs.c: file system work inside mounts, through wasi-libc.
 * Expects /ro/data (read-only: hello.txt = "hello\n", nested/x.txt = "x")
 * and /rw/work (writable, empty). Exit status = number of failed checks.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

static int
read_all(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (int)n;
}

static int
write_all(const char *path, const char *text, int flags)
{
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
    char buf[256];
    struct stat st;

    /* Reading a read-only mount. */
    CHECK(read_all("/ro/data/hello.txt", buf, sizeof(buf)) == 6 && strcmp(buf, "hello\n") == 0,
          "read ro file");
    CHECK(read_all("/ro/data/nested/x.txt", buf, sizeof(buf)) == 1 && buf[0] == 'x',
          "read nested ro file");
    CHECK(stat("/ro/data/hello.txt", &st) == 0 && st.st_size == 6 && S_ISREG(st.st_mode),
          "stat ro file");
    CHECK(stat("/ro/data/nested", &st) == 0 && S_ISDIR(st.st_mode), "stat ro dir");
    CHECK_ERRNO(stat("/ro/data/missing", &st), ENOENT, "stat missing is ENOENT");

    /* readdir: sorted names, "." and ".." left out. */
    DIR *d = opendir("/ro/data");
    CHECK(d != NULL, "opendir ro");
    if (d) {
        char *names[16];
        int count = 0;
        struct dirent *e;
        while ((e = readdir(d)) && count < 16) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                names[count++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, (size_t)count, sizeof(names[0]), cmp_str);
        printf("listing:");
        for (int i = 0; i < count; i++) {
            printf(" %s", names[i]);
            free(names[i]);
        }
        printf("\n");
        CHECK(count == 2, "readdir finds both entries");
    }

    /* Writing a writable mount. */
    CHECK(write_all("/rw/work/out.txt", "abc", O_TRUNC) == 0, "create and write");
    CHECK(read_all("/rw/work/out.txt", buf, sizeof(buf)) == 3 && strcmp(buf, "abc") == 0,
          "read back");
    CHECK(write_all("/rw/work/out.txt", "def", O_APPEND) == 0, "append");
    CHECK(read_all("/rw/work/out.txt", buf, sizeof(buf)) == 6 && strcmp(buf, "abcdef") == 0,
          "append result");

    int fd = open("/rw/work/out.txt", O_RDWR);
    CHECK(fd >= 0, "open rdwr");
    CHECK(lseek(fd, 2, SEEK_SET) == 2, "seek set");
    CHECK(read(fd, buf, 1) == 1 && buf[0] == 'c', "read after seek");
    CHECK(lseek(fd, 0, SEEK_CUR) == 3, "tell");
    CHECK(lseek(fd, 0, SEEK_END) == 6, "seek end");
    CHECK(pwrite(fd, "X", 1, 1) == 1, "pwrite");
    CHECK(pread(fd, buf, 2, 0) == 2 && buf[0] == 'a' && buf[1] == 'X', "pread");
    CHECK(fsync(fd) == 0, "fsync");
    CHECK(fdatasync(fd) == 0, "fdatasync");
    CHECK(ftruncate(fd, 2) == 0 && fstat(fd, &st) == 0 && st.st_size == 2, "ftruncate");
    CHECK(posix_fallocate(fd, 0, 100) == 0 && fstat(fd, &st) == 0 && st.st_size == 100,
          "fallocate grows the file");
    int fl = fcntl(fd, F_GETFL);
    CHECK(fl >= 0 && fcntl(fd, F_SETFL, fl | O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND),
          "set append flag");
    close(fd);

    CHECK(mkdir("/rw/work/d", 0755) == 0, "mkdir");
    CHECK_ERRNO(mkdir("/rw/work/d", 0755), EEXIST, "mkdir twice is EEXIST");
    CHECK(rename("/rw/work/out.txt", "/rw/work/d/moved.txt") == 0, "rename");
    CHECK_ERRNO(stat("/rw/work/out.txt", &st), ENOENT, "renamed source gone");
    CHECK(stat("/rw/work/d/moved.txt", &st) == 0 && st.st_size == 100, "renamed target");
    CHECK(symlink("moved.txt", "/rw/work/d/ln") == 0, "symlink inside");
    ssize_t n = readlink("/rw/work/d/ln", buf, sizeof(buf));
    CHECK(n == 9 && memcmp(buf, "moved.txt", 9) == 0, "readlink");
    CHECK(lstat("/rw/work/d/ln", &st) == 0 && S_ISLNK(st.st_mode), "lstat symlink");
    CHECK(stat("/rw/work/d/ln", &st) == 0 && S_ISREG(st.st_mode), "stat through symlink");
    CHECK(read_all("/rw/work/d/ln", buf, sizeof(buf)) == 100 && buf[0] == 'a',
          "read through symlink");
    CHECK(link("/rw/work/d/moved.txt", "/rw/work/hard") == 0, "hard link inside");
    CHECK(stat("/rw/work/hard", &st) == 0 && st.st_nlink == 2, "link count");
    struct timeval tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
    CHECK(utimes("/rw/work/hard", tv) == 0 && stat("/rw/work/hard", &st) == 0
              && st.st_mtim.tv_sec == 1000000000,
          "set times");
    CHECK_ERRNO(rmdir("/rw/work/d"), ENOTEMPTY, "rmdir non-empty");
    CHECK(unlink("/rw/work/hard") == 0, "unlink link");
    CHECK(unlink("/rw/work/d/ln") == 0, "unlink symlink");
    CHECK(unlink("/rw/work/d/moved.txt") == 0, "unlink file");
    CHECK_ERRNO(unlink("/rw/work/d"), EISDIR, "unlink a directory");
    CHECK(rmdir("/rw/work/d") == 0, "rmdir");
    CHECK(write_all("/rw/work/result.txt", "done\n", O_TRUNC) == 0, "leave a result");
    return check_failures;
}
