/*
 * tests/wasm/raw.c: calls all 46 wasi_snapshot_preview1 functions directly
 * (declared here as raw imports, so the exact ABI is exercised), including
 * error cases: bad fds, out-of-bounds pointers, rights, bad arguments.
 * Expects /rw/work (writable, empty) as fd 3. Prints "ok"/"FAIL" lines and a
 * few values the driver compares between runs (clocks, random bytes);
 * exit status = number of failures.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

typedef uint32_t u32;
typedef uint64_t u64;
typedef uint16_t errno_t16;

IMPORT(args_get) int w_args_get(u32 argv, u32 buf);
IMPORT(args_sizes_get) int w_args_sizes_get(u32 argc, u32 size);
IMPORT(environ_get) int w_environ_get(u32 env, u32 buf);
IMPORT(environ_sizes_get) int w_environ_sizes_get(u32 count, u32 size);
IMPORT(clock_res_get) int w_clock_res_get(u32 id, u32 out);
IMPORT(clock_time_get) int w_clock_time_get(u32 id, u64 precision, u32 out);
IMPORT(fd_advise) int w_fd_advise(u32 fd, u64 off, u64 len, u32 advice);
IMPORT(fd_allocate) int w_fd_allocate(u32 fd, u64 off, u64 len);
IMPORT(fd_close) int w_fd_close(u32 fd);
IMPORT(fd_datasync) int w_fd_datasync(u32 fd);
IMPORT(fd_fdstat_get) int w_fd_fdstat_get(u32 fd, u32 out);
IMPORT(fd_fdstat_set_flags) int w_fd_fdstat_set_flags(u32 fd, u32 flags);
IMPORT(fd_fdstat_set_rights) int w_fd_fdstat_set_rights(u32 fd, u64 base, u64 inh);
IMPORT(fd_filestat_get) int w_fd_filestat_get(u32 fd, u32 out);
IMPORT(fd_filestat_set_size) int w_fd_filestat_set_size(u32 fd, u64 size);
IMPORT(fd_filestat_set_times) int w_fd_filestat_set_times(u32 fd, u64 atim, u64 mtim, u32 flags);
IMPORT(fd_pread) int w_fd_pread(u32 fd, u32 iovs, u32 n, u64 off, u32 out);
IMPORT(fd_prestat_get) int w_fd_prestat_get(u32 fd, u32 out);
IMPORT(fd_prestat_dir_name) int w_fd_prestat_dir_name(u32 fd, u32 buf, u32 len);
IMPORT(fd_pwrite) int w_fd_pwrite(u32 fd, u32 iovs, u32 n, u64 off, u32 out);
IMPORT(fd_read) int w_fd_read(u32 fd, u32 iovs, u32 n, u32 out);
IMPORT(fd_readdir) int w_fd_readdir(u32 fd, u32 buf, u32 len, u64 cookie, u32 out);
IMPORT(fd_renumber) int w_fd_renumber(u32 fd, u32 to);
IMPORT(fd_seek) int w_fd_seek(u32 fd, int64_t off, u32 whence, u32 out);
IMPORT(fd_sync) int w_fd_sync(u32 fd);
IMPORT(fd_tell) int w_fd_tell(u32 fd, u32 out);
IMPORT(fd_write) int w_fd_write(u32 fd, u32 iovs, u32 n, u32 out);
IMPORT(path_create_directory) int w_path_create_directory(u32 fd, u32 p, u32 l);
IMPORT(path_filestat_get) int w_path_filestat_get(u32 fd, u32 flags, u32 p, u32 l, u32 out);
IMPORT(path_filestat_set_times)
int w_path_filestat_set_times(u32 fd, u32 flags, u32 p, u32 l, u64 a, u64 m, u32 fst);
IMPORT(path_link) int w_path_link(u32 ofd, u32 oflags, u32 op, u32 ol, u32 nfd, u32 np, u32 nl);
IMPORT(path_open)
int w_path_open(u32 fd, u32 dirflags, u32 p, u32 l, u32 oflags, u64 base, u64 inh, u32 fdflags,
                u32 out);
IMPORT(path_readlink) int w_path_readlink(u32 fd, u32 p, u32 l, u32 buf, u32 len, u32 out);
IMPORT(path_remove_directory) int w_path_remove_directory(u32 fd, u32 p, u32 l);
IMPORT(path_rename) int w_path_rename(u32 fd, u32 op, u32 ol, u32 nfd, u32 np, u32 nl);
IMPORT(path_symlink) int w_path_symlink(u32 op, u32 ol, u32 fd, u32 np, u32 nl);
IMPORT(path_unlink_file) int w_path_unlink_file(u32 fd, u32 p, u32 l);
IMPORT(poll_oneoff) int w_poll_oneoff(u32 in, u32 out, u32 n, u32 nevents);
IMPORT(proc_exit) _Noreturn void w_proc_exit(u32 code);
IMPORT(proc_raise) int w_proc_raise(u32 sig);
IMPORT(sched_yield) int w_sched_yield(void);
IMPORT(random_get) int w_random_get(u32 buf, u32 len);
IMPORT(sock_accept) int w_sock_accept(u32 fd, u32 flags, u32 out);
IMPORT(sock_recv) int w_sock_recv(u32 fd, u32 iovs, u32 n, u32 flags, u32 out, u32 oflags);
IMPORT(sock_send) int w_sock_send(u32 fd, u32 iovs, u32 n, u32 flags, u32 out);
IMPORT(sock_shutdown) int w_sock_shutdown(u32 fd, u32 how);

/* WASI errno values used below. */
enum {
    OK = 0,
    E_BADF = 8,
    E_EXIST = 20,
    E_FAULT = 21,
    E_INVAL = 28,
    E_ISDIR = 31,
    E_NOENT = 44,
    E_NOTDIR = 54,
    E_NOTEMPTY = 55,
    E_NOTSUP = 58,
    E_NOTCAPABLE = 76,
    E_NAMETOOLONG = 37,
    E_NOSYS = 52,
    E_SPIPE = 70
};

#define P(x)                 ((u32)(uintptr_t)(x))
#define S(str)               P(str), (u32)strlen(str)
#define BAD_PTR              0xfffffff0u
#define EQ(call, want, name) CHECK((call) == (want), name)

struct iov {
    u32 buf, len;
};

static u32 open_file(const char *path, u32 oflags, u64 rights, u32 fdflags, int *rc);

static u64
load64(const uint8_t *p)
{
    u64 v;
    memcpy(&v, p, 8);
    return v;
}

int
main(void)
{
    uint8_t buf[512];
    u32 a = 0, b = 0;

    /* args / environ */
    EQ(w_args_sizes_get(P(&a), P(&b)), OK, "args_sizes_get");
    CHECK(a == 2 && b == strlen("raw.wasm") + 1 + strlen("arg one") + 1, "args sizes");
    u32 argv_ptrs[2];
    char argv_buf[64];
    EQ(w_args_get(P(argv_ptrs), P(argv_buf)), OK, "args_get");
    CHECK(strcmp((char *)(uintptr_t)argv_ptrs[1], "arg one") == 0, "args_get content");
    EQ(w_args_get(BAD_PTR, P(argv_buf)), E_FAULT, "args_get bad pointer");
    EQ(w_environ_sizes_get(P(&a), P(&b)), OK, "environ_sizes_get");
    CHECK(a == 1 && b == strlen("ONLY=this") + 1, "environ sizes");
    u32 env_ptr;
    char env_buf[32];
    EQ(w_environ_get(P(&env_ptr), P(env_buf)), OK, "environ_get");
    CHECK(strcmp(env_buf, "ONLY=this") == 0, "environ content");
    EQ(w_environ_sizes_get(BAD_PTR, P(&b)), E_FAULT, "environ_sizes_get bad pointer");

    /* clocks */
    u64 t0 = 0, t1 = 0, res = 0;
    EQ(w_clock_res_get(0, P(&res)), OK, "clock_res_get realtime");
    CHECK(res > 0, "clock resolution positive");
    EQ(w_clock_res_get(9, P(&res)), E_INVAL, "clock_res_get bad id");
    EQ(w_clock_time_get(0, 1, P(&t0)), OK, "clock_time_get realtime");
    printf("realtime %llu\n", (unsigned long long)t0);
    EQ(w_clock_time_get(1, 1, P(&t0)), OK, "clock_time_get monotonic");
    EQ(w_clock_time_get(1, 1, P(&t1)), OK, "clock_time_get monotonic again");
    CHECK(t1 > t0, "monotonic advances");
    EQ(w_clock_time_get(2, 1, P(&t1)), OK, "process cputime");
    EQ(w_clock_time_get(3, 1, P(&t1)), OK, "thread cputime");
    EQ(w_clock_time_get(7, 1, P(&t1)), E_INVAL, "clock_time_get bad id");
    EQ(w_clock_time_get(0, 1, BAD_PTR), E_FAULT, "clock_time_get bad pointer");

    /* poll_oneoff: a 300 ms relative clock and a write subscription on stdout. */
    uint8_t subs[3 * 48] __attribute__((aligned(8)));
    uint8_t events[3 * 32] __attribute__((aligned(8)));
    memset(subs, 0, sizeof(subs));
    u64 ud = 0x1111;
    memcpy(subs, &ud, 8);
    subs[8] = 0; /* clock */
    u32 clock_id = 1;
    memcpy(subs + 16, &clock_id, 4);
    u64 timeout = 300000000ull;
    memcpy(subs + 24, &timeout, 8);
    w_clock_time_get(1, 1, P(&t0));
    EQ(w_poll_oneoff(P(subs), P(events), 1, P(&a)), OK, "poll_oneoff clock");
    w_clock_time_get(1, 1, P(&t1));
    CHECK(a == 1 && load64(events) == 0x1111 && events[10] == 0 && events[8] == 0, "clock event");
    CHECK(t1 - t0 >= timeout, "time passed during the sleep");
    ud = 0x2222;
    memcpy(subs + 48, &ud, 8);
    subs[48 + 8] = 2; /* fd_write */
    u32 one = 1;
    memcpy(subs + 48 + 16, &one, 4);
    EQ(w_poll_oneoff(P(subs), P(events), 2, P(&a)), OK, "poll_oneoff clock + fd_write");
    CHECK(a == 1 && load64(events) == 0x2222 && events[10] == 2, "stdout writable first");
    ud = 0x3333;
    memcpy(subs + 96, &ud, 8);
    subs[96 + 8] = 1; /* fd_read */
    u32 bad_fd = 99;
    memcpy(subs + 96 + 16, &bad_fd, 4);
    EQ(w_poll_oneoff(P(subs + 96), P(events), 1, P(&a)), OK, "poll_oneoff bad fd");
    uint16_t ev_err;
    memcpy(&ev_err, events + 8, 2);
    CHECK(a == 1 && ev_err == E_BADF, "bad fd event carries EBADF");
    EQ(w_poll_oneoff(P(subs), P(events), 0, P(&a)), E_INVAL, "poll_oneoff no subscriptions");
    EQ(w_poll_oneoff(BAD_PTR, P(events), 1, P(&a)), E_FAULT, "poll_oneoff bad pointer");

    /* random, yield, raise, sockets */
    uint8_t rnd[16];
    EQ(w_random_get(P(rnd), sizeof(rnd)), OK, "random_get");
    printf("random ");
    for (int i = 0; i < 16; i++)
        printf("%02x", rnd[i]);
    printf("\n");
    EQ(w_random_get(BAD_PTR, 64), E_FAULT, "random_get bad pointer");
    EQ(w_sched_yield(), OK, "sched_yield");
    CHECK(w_proc_raise(15) != OK, "proc_raise refused");
    EQ(w_sock_accept(99, 0, P(&a)), E_BADF, "sock_accept bad fd");
    EQ(w_sock_accept(3, 0, P(&a)), E_NOTSUP, "sock_accept not a socket");
    EQ(w_sock_recv(1, P(buf), 0, 0, P(&a), P(&b)), E_NOTSUP, "sock_recv");
    EQ(w_sock_send(1, P(buf), 0, 0, P(&a)), E_NOTSUP, "sock_send");
    EQ(w_sock_shutdown(1, 3), E_NOTSUP, "sock_shutdown");
    EQ(w_sock_shutdown(1234, 3), E_BADF, "sock_shutdown bad fd");

    /* prestat */
    EQ(w_fd_prestat_get(3, P(buf)), OK, "fd_prestat_get");
    u32 name_len;
    memcpy(&name_len, buf + 4, 4);
    CHECK(buf[0] == 0 && name_len == 8, "prestat is a dir named with 8 bytes");
    char name[16] = { 0 };
    EQ(w_fd_prestat_dir_name(3, P(name), name_len), OK, "fd_prestat_dir_name");
    CHECK(strcmp(name, "/rw/work") == 0, "preopen name");
    CHECK(w_fd_prestat_dir_name(3, P(name), 2) != OK, "prestat name buffer too small");
    EQ(w_fd_prestat_get(0, P(buf)), E_BADF, "stdin is no preopen");
    EQ(w_fd_prestat_get(4, P(buf)), E_BADF, "fd 4 is not open");

    /* fdstat of stdio */
    EQ(w_fd_fdstat_get(1, P(buf)), OK, "fd_fdstat_get stdout");
    CHECK(buf[0] == 2, "stdout is a character device");
    EQ(w_fd_fdstat_get(3, P(buf)), OK, "fd_fdstat_get preopen");
    CHECK(buf[0] == 3, "preopen is a directory");
    EQ(w_fd_fdstat_get(42, P(buf)), E_BADF, "fd_fdstat_get bad fd");
    EQ(w_fd_fdstat_get(1, BAD_PTR), E_FAULT, "fd_fdstat_get bad pointer");

    /* write/read through stdio */
    struct iov iv = { P("raw stdout line\n"), 16 };
    EQ(w_fd_write(1, P(&iv), 1, P(&a)), OK, "fd_write stdout");
    CHECK(a == 16, "fd_write count");
    struct iov bad_iov = { BAD_PTR, 64 };
    EQ(w_fd_write(1, P(&bad_iov), 1, P(&a)), E_FAULT, "fd_write bad buffer");
    EQ(w_fd_write(1, BAD_PTR, 1, P(&a)), E_FAULT, "fd_write bad iovec array");
    EQ(w_fd_write(0, P(&iv), 1, P(&a)), E_BADF, "write to stdin");
    struct iov rv = { P(buf), 8 };
    EQ(w_fd_read(0, P(&rv), 1, P(&a)), OK, "fd_read empty stdin");
    CHECK(a == 0, "empty stdin reads 0 bytes");
    EQ(w_fd_seek(1, 0, 0, P(&t0)), E_SPIPE, "seek on stdout");

    /* files through path_open */
    int rc;
    u64 rw = (1ull << 1) | (1ull << 2) | (1ull << 5) | (1ull << 6) | (1ull << 0) | (1ull << 4)
             | (1ull << 7) | (1ull << 8) | (1ull << 3) | (1ull << 21) | (1ull << 22) | (1ull << 23);
    u32 fd = open_file("f.txt", 1 /* creat */ | 8 /* trunc */, rw, 0, &rc);
    EQ(rc, OK, "path_open create");
    struct iov wv = { P("hello world"), 11 };
    EQ(w_fd_write(fd, P(&wv), 1, P(&a)), OK, "fd_write file");
    EQ(w_fd_tell(fd, P(&t0)), OK, "fd_tell");
    CHECK(t0 == 11, "tell after write");
    EQ(w_fd_seek(fd, 6, 0, P(&t0)), OK, "fd_seek set");
    struct iov rv2 = { P(buf), 5 };
    EQ(w_fd_read(fd, P(&rv2), 1, P(&a)), OK, "fd_read file");
    CHECK(a == 5 && memcmp(buf, "world", 5) == 0, "read content");
    EQ(w_fd_seek(fd, -5, 2, P(&t0)), OK, "fd_seek end");
    CHECK(t0 == 6, "seek end result");
    EQ(w_fd_seek(fd, 0, 9, P(&t0)), E_INVAL, "fd_seek bad whence");
    struct iov pv = { P("W"), 1 };
    EQ(w_fd_pwrite(fd, P(&pv), 1, 6, P(&a)), OK, "fd_pwrite");
    struct iov prv = { P(buf), 11 };
    EQ(w_fd_pread(fd, P(&prv), 1, 0, P(&a)), OK, "fd_pread");
    CHECK(a == 11 && memcmp(buf, "hello World", 11) == 0, "pread content");
    EQ(w_fd_advise(fd, 0, 11, 2), OK, "fd_advise");
    EQ(w_fd_advise(fd, 0, 11, 77), E_INVAL, "fd_advise bad advice");
    EQ(w_fd_allocate(fd, 0, 64), OK, "fd_allocate");
    EQ(w_fd_filestat_get(fd, P(buf)), OK, "fd_filestat_get");
    CHECK(buf[16] == 4 && load64(buf + 32) == 64, "filestat says regular, 64 bytes");
    EQ(w_fd_filestat_set_size(fd, 5), OK, "fd_filestat_set_size");
    EQ(w_fd_filestat_get(fd, P(buf)), OK, "fd_filestat_get again");
    CHECK(load64(buf + 32) == 5, "size now 5");
    EQ(w_fd_filestat_set_times(fd, 2000000000ull * 1000000000ull / 2, 1500000000ull * 1000000000ull,
                               1 | 4),
       OK, "fd_filestat_set_times");
    EQ(w_fd_filestat_get(fd, P(buf)), OK, "fd_filestat_get times");
    CHECK(load64(buf + 48) == 1500000000ull * 1000000000ull, "mtime set");
    EQ(w_fd_filestat_set_times(fd, 0, 0, 1 | 2), E_INVAL, "set_times atim and atim_now");
    EQ(w_fd_datasync(fd), OK, "fd_datasync");
    EQ(w_fd_sync(fd), OK, "fd_sync");
    EQ(w_fd_fdstat_set_flags(fd, 1), OK, "fd_fdstat_set_flags append");
    EQ(w_fd_fdstat_get(fd, P(buf)), OK, "fd_fdstat_get file");
    uint16_t fl;
    memcpy(&fl, buf + 2, 2);
    CHECK(fl == 1 && buf[0] == 4, "append flag recorded");
    EQ(w_fd_fdstat_set_rights(fd, (1ull << 1) | (1ull << 21), 0), OK,
       "fd_fdstat_set_rights shrink");
    EQ(w_fd_fdstat_set_rights(fd, rw, 0), E_NOTCAPABLE, "rights never grow");
    EQ(w_fd_write(fd, P(&wv), 1, P(&a)), E_NOTCAPABLE, "write without the right");
    u32 fd2 = open_file("f.txt", 0, rw, 0, &rc);
    EQ(rc, OK, "path_open existing");
    EQ(w_fd_renumber(fd2, fd), OK, "fd_renumber");
    EQ(w_fd_close(fd2), E_BADF, "renumbered source is closed");
    EQ(w_fd_write(fd, P(&wv), 1, P(&a)), OK, "renumbered fd has the new rights");
    EQ(w_fd_renumber(fd, 600), E_BADF, "fd_renumber to a closed fd");
    EQ(w_fd_close(fd), OK, "fd_close");
    EQ(w_fd_close(fd), E_BADF, "fd_close twice");
    open_file("f.txt", 1 | 4 /* excl */, rw, 0, &rc);
    EQ(rc, E_EXIST, "path_open excl on existing");
    open_file("missing/x", 0, rw, 0, &rc);
    EQ(rc, E_NOENT, "path_open missing");
    open_file("f.txt", 2 /* directory */, rw, 0, &rc);
    EQ(rc, E_NOTDIR, "path_open directory flag on a file");
    EQ(w_path_open(3, 0, BAD_PTR, 8, 0, rw, 0, 0, P(&a)), E_FAULT, "path_open bad path pointer");
    EQ(w_path_open(3, 0, S("f.txt"), 0, rw, 0, 0, BAD_PTR), E_FAULT, "path_open bad out pointer");
    EQ(w_path_open(3, 0, S("/f.txt"), 0, rw, 0, 0, P(&a)), E_NOTCAPABLE, "path_open absolute");
    EQ(w_path_open(1, 0, S("f.txt"), 0, rw, 0, 0, P(&a)), E_NOTDIR, "path_open on stdout");
    EQ(w_path_open(3, 0, P("f\0x"), 3, 0, rw, 0, 0, P(&a)), 25 /* EILSEQ */, "path with NUL");

    /* directories and names */
    EQ(w_path_create_directory(3, S("dir")), OK, "path_create_directory");
    EQ(w_path_create_directory(3, S("dir")), E_EXIST, "path_create_directory exists");
    EQ(w_path_filestat_get(3, 0, S("dir"), P(buf)), OK, "path_filestat_get");
    CHECK(buf[16] == 3, "dir is a directory");
    EQ(w_path_filestat_get(3, 0, S("nope"), P(buf)), E_NOENT, "path_filestat_get missing");
    EQ(w_path_filestat_set_times(3, 0, S("dir"), 0, 1234000000000ull, 4), OK,
       "path_filestat_set_times");
    EQ(w_path_filestat_get(3, 0, S("dir"), P(buf)), OK, "path_filestat_get after times");
    CHECK(load64(buf + 48) == 1234000000000ull, "dir mtime set");
    EQ(w_path_rename(3, S("f.txt"), 3, S("dir/g.txt")), OK, "path_rename");
    EQ(w_path_link(3, 0, S("dir/g.txt"), 3, S("h.txt")), OK, "path_link");
    EQ(w_path_filestat_get(3, 0, S("h.txt"), P(buf)), OK, "path_filestat_get link");
    CHECK(load64(buf + 24) == 2, "two links");
    EQ(w_path_symlink(S("dir/g.txt"), 3, S("sym")), OK, "path_symlink");
    EQ(w_path_readlink(3, S("sym"), P(buf), sizeof(buf), P(&a)), OK, "path_readlink");
    CHECK(a == 9 && memcmp(buf, "dir/g.txt", 9) == 0, "readlink content");
    EQ(w_path_readlink(3, S("sym"), P(buf), 3, P(&a)), OK, "path_readlink short buffer");
    CHECK(a == 3, "readlink truncated");
    EQ(w_path_readlink(3, S("h.txt"), P(buf), sizeof(buf), P(&a)), E_INVAL,
       "readlink of a non-link");
    EQ(w_path_filestat_get(3, 1, S("sym"), P(buf)), OK, "path_filestat_get follow");
    CHECK(buf[16] == 4, "followed to a regular file");
    EQ(w_path_filestat_get(3, 0, S("sym"), P(buf)), OK, "path_filestat_get nofollow");
    CHECK(buf[16] == 7, "symlink itself");
    EQ(w_path_symlink(S("/etc/passwd"), 3, S("evil")), E_NOTCAPABLE, "absolute symlink refused");
    EQ(w_path_remove_directory(3, S("dir")), E_NOTEMPTY, "remove non-empty dir");
    EQ(w_path_unlink_file(3, S("dir")), E_ISDIR, "unlink a dir");
    EQ(w_path_remove_directory(3, S("h.txt")), E_NOTDIR, "rmdir a file");
    EQ(w_path_unlink_file(3, S("sym")), OK, "unlink symlink");
    EQ(w_path_unlink_file(3, S("h.txt")), OK, "unlink file");
    EQ(w_path_unlink_file(3, S("dir/g.txt")), OK, "unlink file in dir");
    EQ(w_path_unlink_file(3, S("dir/g.txt")), E_NOENT, "unlink twice");

    /* readdir with a tiny buffer: entries come back over several calls. */
    open_file("dir/one", 1, rw, 0, &rc);
    open_file("dir/two", 1, rw, 0, &rc);
    u32 dfd = 0;
    EQ(w_path_open(3, 0, S("dir"), 2, (1ull << 14), 0, 0, P(&dfd)), OK, "open dir");
    u64 cookie = 0;
    int names = 0, calls = 0;
    for (;;) {
        u32 used = 0;
        uint8_t small[40];
        EQ(w_fd_readdir(dfd, P(small), sizeof(small), cookie, P(&used)), OK, "fd_readdir");
        calls++;
        u32 pos = 0;
        int progressed = 0;
        while (pos + 24 <= used) {
            u32 nlen;
            memcpy(&nlen, small + pos + 16, 4);
            if (pos + 24 + nlen > used)
                break;
            if (nlen == 3
                && (memcmp(small + pos + 24, "one", 3) == 0
                    || memcmp(small + pos + 24, "two", 3) == 0))
                names++;
            cookie = load64(small + pos);
            pos += 24 + nlen;
            progressed = 1;
        }
        if (used < sizeof(small) || !progressed || calls > 20)
            break;
    }
    CHECK(names == 2, "readdir found both files across calls");
    EQ(w_fd_readdir(1, P(buf), sizeof(buf), 0, P(&a)), E_NOTDIR, "readdir on stdout");
    EQ(w_fd_close(dfd), OK, "close dir");
    EQ(w_path_unlink_file(3, S("dir/one")), OK, "cleanup one");
    EQ(w_path_unlink_file(3, S("dir/two")), OK, "cleanup two");
    EQ(w_path_remove_directory(3, S("dir")), OK, "path_remove_directory");

    printf("failures=%d\n", check_failures);
    fflush(stdout);
    w_proc_exit((u32)check_failures);
}

static u32
open_file(const char *path, u32 oflags, u64 rights, u32 fdflags, int *rc)
{
    u32 fd = 0;
    *rc = w_path_open(3, 0, S(path), oflags, rights, rights, fdflags, P(&fd));
    if (*rc == OK && (oflags & 1) && !(oflags & 8) && strncmp(path, "dir/", 4) == 0)
        w_fd_close(fd);
    return fd;
}
