/*
 * tests/realworld/readdir_cut.c: reads a directory the way Rust's std does
 * (fd_readdir into a small buffer, the next call from the last whole
 * entry's cookie) and unlinks every file as soon as it is seen. Every file
 * must be seen once and the directory must end up empty. Built for
 * wasm32-wasi by readdir.sh.
 *
 *   readdir_cut DIR N    (DIR: a writable guest path; creates N files first)
 *
 * Prints "seen S removed R left L"; exit 0 when S == R == N and L == 0.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#define RC_BUF 64

/* Counts (and, with 'remove', unlinks) the regular files of 'dir_fd'. */
static int
rc_walk(int dir_fd, int remove, int *removed)
{
    uint8_t buf[RC_BUF];
    __wasi_dircookie_t cookie = 0;
    int seen = 0;
    for (;;) {
        __wasi_size_t used = 0;
        if (__wasi_fd_readdir(dir_fd, buf, sizeof(buf), cookie, &used) != 0)
            return -1;
        if (used == 0)
            return seen;
        size_t off = 0;
        int progressed = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t de;
            memcpy(&de, buf + off, sizeof(de));
            if (off + sizeof(de) + de.d_namlen > used)
                break; /* cut off: ask again from its cookie */
            char name[256];
            size_t n = de.d_namlen < sizeof(name) - 1 ? de.d_namlen : sizeof(name) - 1;
            memcpy(name, buf + off + sizeof(de), n);
            name[n] = '\0';
            if (de.d_type == __WASI_FILETYPE_REGULAR_FILE) {
                seen++;
                if (remove && unlinkat(dir_fd, name, 0) == 0)
                    (*removed)++;
            }
            cookie = de.d_next;
            off += sizeof(de) + de.d_namlen;
            progressed = 1;
        }
        if (!progressed)
            return -1; /* an entry larger than the buffer */
        if (used < sizeof(buf))
            return seen;
    }
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: readdir_cut DIR N\n", stderr);
        return 2;
    }
    int n = atoi(argv[2]);
    char path[512];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/entry-%03d", argv[1], i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || close(fd) != 0) {
            perror(path);
            return 2;
        }
    }
    int dir_fd = open(argv[1], O_RDONLY | O_DIRECTORY);
    if (dir_fd < 0) {
        perror(argv[1]);
        return 2;
    }
    int removed = 0;
    int seen = rc_walk(dir_fd, 1, &removed);
    close(dir_fd);
    dir_fd = open(argv[1], O_RDONLY | O_DIRECTORY);
    int left = dir_fd < 0 ? -1 : rc_walk(dir_fd, 0, &removed);
    printf("seen %d removed %d left %d\n", seen, removed, left);
    return seen == n && removed == n && left == 0 ? 0 : 1;
}
