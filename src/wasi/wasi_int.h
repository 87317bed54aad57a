/*
 * src/wasi/wasi_int.h: private to src/wasi. The Preview 1 ABI constants
 * (from the wasi_snapshot_preview1 witx), the per-instance context and fd
 * table, and the helpers the calls_*.c files share.
 *
 * Layout notes (all little-endian in guest memory; offsets in bytes):
 *   iovec / ciovec   size 8:  buf u32 @0, buf_len u32 @4
 *   fdstat           size 24: fs_filetype u8 @0, fs_flags u16 @2,
 *                             fs_rights_base u64 @8, fs_rights_inheriting u64 @16
 *   filestat         size 64: dev @0, ino @8, filetype u8 @16, nlink @24,
 *                             size @32, atim @40, mtim @48, ctim @56
 *   dirent           size 24: d_next u64 @0, d_ino u64 @8, d_namlen u32 @16,
 *                             d_type u8 @20, then d_namlen name bytes
 *   prestat          size 8:  tag u8 @0 (0 = dir), pr_name_len u32 @4
 *   subscription     size 48: userdata u64 @0, tag u8 @8, then the union @16:
 *                             clock { id u32 @16, timeout u64 @24,
 *                             precision u64 @32, flags u16 @40 } or
 *                             fd_readwrite { fd u32 @16 }
 *   event            size 32: userdata u64 @0, error u16 @8, type u8 @10,
 *                             fd_readwrite { nbytes u64 @16, flags u16 @24 }
 */
#ifndef PERCH_WASI_WASI_INT_H
#define PERCH_WASI_WASI_INT_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "wasi/wasi.h"
#include "wasm/wasm.h"

/* ---- errno (witx "errno", u16) ---------------------------------------- */
enum wasi_errno {
    WASI_ESUCCESS = 0,
    WASI_E2BIG = 1,
    WASI_EACCES = 2,
    WASI_EADDRINUSE = 3,
    WASI_EADDRNOTAVAIL = 4,
    WASI_EAFNOSUPPORT = 5,
    WASI_EAGAIN = 6,
    WASI_EALREADY = 7,
    WASI_EBADF = 8,
    WASI_EBADMSG = 9,
    WASI_EBUSY = 10,
    WASI_ECANCELED = 11,
    WASI_ECHILD = 12,
    WASI_ECONNABORTED = 13,
    WASI_ECONNREFUSED = 14,
    WASI_ECONNRESET = 15,
    WASI_EDEADLK = 16,
    WASI_EDESTADDRREQ = 17,
    WASI_EDOM = 18,
    WASI_EDQUOT = 19,
    WASI_EEXIST = 20,
    WASI_EFAULT = 21,
    WASI_EFBIG = 22,
    WASI_EHOSTUNREACH = 23,
    WASI_EIDRM = 24,
    WASI_EILSEQ = 25,
    WASI_EINPROGRESS = 26,
    WASI_EINTR = 27,
    WASI_EINVAL = 28,
    WASI_EIO = 29,
    WASI_EISCONN = 30,
    WASI_EISDIR = 31,
    WASI_ELOOP = 32,
    WASI_EMFILE = 33,
    WASI_EMLINK = 34,
    WASI_EMSGSIZE = 35,
    WASI_EMULTIHOP = 36,
    WASI_ENAMETOOLONG = 37,
    WASI_ENETDOWN = 38,
    WASI_ENETRESET = 39,
    WASI_ENETUNREACH = 40,
    WASI_ENFILE = 41,
    WASI_ENOBUFS = 42,
    WASI_ENODEV = 43,
    WASI_ENOENT = 44,
    WASI_ENOEXEC = 45,
    WASI_ENOLCK = 46,
    WASI_ENOLINK = 47,
    WASI_ENOMEM = 48,
    WASI_ENOMSG = 49,
    WASI_ENOPROTOOPT = 50,
    WASI_ENOSPC = 51,
    WASI_ENOSYS = 52,
    WASI_ENOTCONN = 53,
    WASI_ENOTDIR = 54,
    WASI_ENOTEMPTY = 55,
    WASI_ENOTRECOVERABLE = 56,
    WASI_ENOTSOCK = 57,
    WASI_ENOTSUP = 58,
    WASI_ENOTTY = 59,
    WASI_ENXIO = 60,
    WASI_EOVERFLOW = 61,
    WASI_EOWNERDEAD = 62,
    WASI_EPERM = 63,
    WASI_EPIPE = 64,
    WASI_EPROTO = 65,
    WASI_EPROTONOSUPPORT = 66,
    WASI_EPROTOTYPE = 67,
    WASI_ERANGE = 68,
    WASI_EROFS = 69,
    WASI_ESPIPE = 70,
    WASI_ESRCH = 71,
    WASI_ESTALE = 72,
    WASI_ETIMEDOUT = 73,
    WASI_ETXTBSY = 74,
    WASI_EXDEV = 75,
    WASI_ENOTCAPABLE = 76,
};

/* ---- rights (u64) ------------------------------------------------------ */
#define WASI_RIGHT_FD_DATASYNC             (UINT64_C(1) << 0)
#define WASI_RIGHT_FD_READ                 (UINT64_C(1) << 1)
#define WASI_RIGHT_FD_SEEK                 (UINT64_C(1) << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS     (UINT64_C(1) << 3)
#define WASI_RIGHT_FD_SYNC                 (UINT64_C(1) << 4)
#define WASI_RIGHT_FD_TELL                 (UINT64_C(1) << 5)
#define WASI_RIGHT_FD_WRITE                (UINT64_C(1) << 6)
#define WASI_RIGHT_FD_ADVISE               (UINT64_C(1) << 7)
#define WASI_RIGHT_FD_ALLOCATE             (UINT64_C(1) << 8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY   (UINT64_C(1) << 9)
#define WASI_RIGHT_PATH_CREATE_FILE        (UINT64_C(1) << 10)
#define WASI_RIGHT_PATH_LINK_SOURCE        (UINT64_C(1) << 11)
#define WASI_RIGHT_PATH_LINK_TARGET        (UINT64_C(1) << 12)
#define WASI_RIGHT_PATH_OPEN               (UINT64_C(1) << 13)
#define WASI_RIGHT_FD_READDIR              (UINT64_C(1) << 14)
#define WASI_RIGHT_PATH_READLINK           (UINT64_C(1) << 15)
#define WASI_RIGHT_PATH_RENAME_SOURCE      (UINT64_C(1) << 16)
#define WASI_RIGHT_PATH_RENAME_TARGET      (UINT64_C(1) << 17)
#define WASI_RIGHT_PATH_FILESTAT_GET       (UINT64_C(1) << 18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE  (UINT64_C(1) << 19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES (UINT64_C(1) << 20)
#define WASI_RIGHT_FD_FILESTAT_GET         (UINT64_C(1) << 21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE    (UINT64_C(1) << 22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES   (UINT64_C(1) << 23)
#define WASI_RIGHT_PATH_SYMLINK            (UINT64_C(1) << 24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY   (UINT64_C(1) << 25)
#define WASI_RIGHT_PATH_UNLINK_FILE        (UINT64_C(1) << 26)
#define WASI_RIGHT_POLL_FD_READWRITE       (UINT64_C(1) << 27)
#define WASI_RIGHT_SOCK_SHUTDOWN           (UINT64_C(1) << 28)
#define WASI_RIGHT_SOCK_ACCEPT             (UINT64_C(1) << 29)
#define WASI_RIGHTS_ALL                    ((UINT64_C(1) << 30) - 1)

/* Rights that change a file's contents; refused on read-only mounts. */
#define WASI_RIGHTS_FILE_WRITE \
 (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE)
/* What a regular file fd can ever do. */
#define WASI_RIGHTS_REGULAR                                                                        \
 (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK                                 \
  | WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_WRITE \
  | WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_GET                     \
  | WASI_RIGHT_FD_FILESTAT_SET_SIZE | WASI_RIGHT_FD_FILESTAT_SET_TIMES                             \
  | WASI_RIGHT_POLL_FD_READWRITE)
/* What a directory fd can ever do. */
#define WASI_RIGHTS_DIRECTORY                                                                     \
 (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_ADVISE                      \
  | WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE  \
  | WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN | WASI_RIGHT_FD_READDIR                    \
  | WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE | WASI_RIGHT_PATH_RENAME_TARGET      \
  | WASI_RIGHT_PATH_FILESTAT_GET | WASI_RIGHT_PATH_FILESTAT_SET_SIZE                              \
  | WASI_RIGHT_PATH_FILESTAT_SET_TIMES | WASI_RIGHT_FD_FILESTAT_GET                               \
  | WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK | WASI_RIGHT_PATH_REMOVE_DIRECTORY \
  | WASI_RIGHT_PATH_UNLINK_FILE | WASI_RIGHT_POLL_FD_READWRITE)
/* stdin / stdout / stderr. */
#define WASI_RIGHTS_STDIO                                                   \
 (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_FDSTAT_SET_FLAGS \
  | WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE)

/* ---- flags and enums --------------------------------------------------- */
#define WASI_FDFLAG_APPEND   0x1
#define WASI_FDFLAG_DSYNC    0x2
#define WASI_FDFLAG_NONBLOCK 0x4
#define WASI_FDFLAG_RSYNC    0x8
#define WASI_FDFLAG_SYNC     0x10
#define WASI_FDFLAGS_ALL     0x1f

#define WASI_OFLAG_CREAT     0x1
#define WASI_OFLAG_DIRECTORY 0x2
#define WASI_OFLAG_EXCL      0x4
#define WASI_OFLAG_TRUNC     0x8

#define WASI_LOOKUP_SYMLINK_FOLLOW 0x1

#define WASI_FSTFLAG_ATIM     0x1
#define WASI_FSTFLAG_ATIM_NOW 0x2
#define WASI_FSTFLAG_MTIM     0x4
#define WASI_FSTFLAG_MTIM_NOW 0x8

#define WASI_WHENCE_SET 0
#define WASI_WHENCE_CUR 1
#define WASI_WHENCE_END 2

#define WASI_FILETYPE_UNKNOWN          0
#define WASI_FILETYPE_BLOCK_DEVICE     1
#define WASI_FILETYPE_CHARACTER_DEVICE 2
#define WASI_FILETYPE_DIRECTORY        3
#define WASI_FILETYPE_REGULAR_FILE     4
#define WASI_FILETYPE_SOCKET_DGRAM     5
#define WASI_FILETYPE_SOCKET_STREAM    6
#define WASI_FILETYPE_SYMBOLIC_LINK    7

#define WASI_CLOCK_REALTIME        0
#define WASI_CLOCK_MONOTONIC       1
#define WASI_CLOCK_PROCESS_CPUTIME 2
#define WASI_CLOCK_THREAD_CPUTIME  3

#define WASI_EVENTTYPE_CLOCK    0
#define WASI_EVENTTYPE_FD_READ  1
#define WASI_EVENTTYPE_FD_WRITE 2
#define WASI_SUBCLOCK_ABSTIME   0x1
#define WASI_EVENTRW_HANGUP     0x1

#define WASI_PREOPENTYPE_DIR 0

#define WASI_ADVICE_NOREUSE 5 /* the largest advice value */

/* ---- limits ------------------------------------------------------------ */
#define WASI_MAX_FDS           1024 /* open guest fds per instance */
#define WASI_MAX_PATH          4096 /* bytes in one guest path */
#define WASI_MAX_IOVS          1024 /* iovecs in one read/write call */
#define WASI_MAX_SUBSCRIPTIONS 4096 /* subscriptions in one poll_oneoff */
#define WASI_MAX_SYMLINKS      40   /* symlinks followed in one resolution */

/* ---- the fd table ------------------------------------------------------ */
enum wasi_fd_kind {
    WASI_FD_FREE = 0,
    WASI_FD_STDIN,
    WASI_FD_STDOUT,
    WASI_FD_STDERR,
    WASI_FD_DIR,  /* host_fd is an open directory */
    WASI_FD_FILE, /* host_fd is an open regular file (or other non-directory) */
};

/* One guest fd. Guest fd numbers are indices into wasi_ctx.fds. */
struct wasi_fd {
    enum wasi_fd_kind kind;
    int host_fd;                /* owned; -1 for stdio entries */
    uint8_t filetype;           /* WASI_FILETYPE_* */
    uint16_t fdflags;           /* WASI_FDFLAG_* as the guest last set them */
    uint64_t rights_base;       /* what this fd may do */
    uint64_t rights_inheriting; /* what fds opened through it may do */
    bool is_writable;           /* false: inside a read-only mount */
    /* Preopen only: the guest path reported by fd_prestat_dir_name (owned). */
    char *preopen_name;
    /* Single-file mount only: host path of the file (owned); path "." means it. */
    char *file_mount_path;
    /* fd_readdir state: a stream on a dup of host_fd, and the cookie it is at. */
    DIR *dir_stream;
    uint64_t dir_pos;
    /* The entry the last fd_readdir cut off at the end of the guest's buffer
     * (owned name, or NULL): its cookie is dir_pos - 1, and the next call
     * from that cookie starts with it instead of rewinding the stream. */
    char *dir_pending_name;
    uint64_t dir_pending_ino;
    uint8_t dir_pending_type;
};

/* Per-instance WASI state. Used by the one thread running the instance. */
struct wasi_ctx {
    const struct wasi_config *cfg;
    struct wasi_fd *fds; /* fd_count entries */
    uint32_t fd_count;
    /* Virtual time (deterministic clocks): ns elapsed since the start. */
    uint64_t virtual_ns;
    uint64_t real_start_ns; /* CLOCK_MONOTONIC at start, for process_cputime */
    uint64_t prng_state;
    bool stdin_eof;    /* stdin_fd reached end of file */
    void *iov_scratch; /* calls_fd.c's iovec list; owned, freed by wasi_run */
};

/* Table operations (fdtable.c). */
void wasi_fdtable_init(struct wasi_ctx *ctx);
void wasi_fdtable_release(struct wasi_ctx *ctx);
/* Find a free slot (lowest number >= 3); returns its number or -1 (EMFILE). */
int64_t wasi_fdtable_alloc(struct wasi_ctx *ctx);
/* The entry for guest fd 'fd', or NULL when it is not open. */
struct wasi_fd *wasi_fdtable_get(struct wasi_ctx *ctx, uint32_t fd);
/* Close one entry's host resources and mark it free. */
void wasi_fd_close_entry(struct wasi_fd *entry);
/* Add the mounts as preopens 3, 4, ...; false with 'err' when a host path fails. */
bool wasi_fdtable_add_mounts(struct wasi_ctx *ctx, struct err *err);

/* Host errno -> WASI errno. */
uint16_t wasi_errno_from_host(int host_errno);

/* ---- guest memory helpers ------------------------------------------------ */

/* A pointer to [offset, offset+len) of the caller's memory, or NULL. */
static inline uint8_t *
wasi_mem(struct wasm_call *call, uint64_t offset, uint64_t len)
{
    if (!wasm_call_mem_check(call, offset, len))
        return NULL;
    uint64_t size = 0;
    uint8_t *base = wasm_call_memory(call, &size);
    return base ? base + offset : NULL;
}

static inline void
wasi_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void
wasi_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void
wasi_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t
wasi_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t
wasi_get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline uint64_t
wasi_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Store a u32 / u64 result at a guest offset; false when out of bounds. */
bool wasi_store_u32(struct wasm_call *call, uint32_t offset, uint32_t value);
bool wasi_store_u64(struct wasm_call *call, uint32_t offset, uint64_t value);

/* Fill a 64-byte filestat from a host struct stat. */
struct stat;
void wasi_filestat_encode(uint8_t *out, const struct stat *st);
uint8_t wasi_filetype_from_mode(unsigned mode);

/* ---- the call tables ------------------------------------------------------ */

/* One WASI function: its name, signature and host implementation. */
struct wasi_func {
    const char *name;
    const char *params;  /* one char per param: 'i' i32, 'I' i64 */
    const char *results; /* "" or "i" */
    wasm_host_fn *fn;
};

/* Each calls_*.c file exports its table, terminated by a NULL name. */
extern const struct wasi_func wasi_funcs_args[];
extern const struct wasi_func wasi_funcs_clock[];
extern const struct wasi_func wasi_funcs_fd[];
extern const struct wasi_func wasi_funcs_path[];
extern const struct wasi_func wasi_funcs_proc[];

/* Set up a context for 'cfg' (fd table with stdio and mounts, clocks,
 * PRNG); false with 'err' when a mount fails. Release with wasi_ctx_release. */
bool wasi_ctx_init(struct wasi_ctx *ctx, const struct wasi_config *cfg, struct err *err);
void wasi_ctx_release(struct wasi_ctx *ctx);
/* Define all WASI_FUNC_COUNT functions in 'linker', bound to 'ctx'. */
bool wasi_link_all(struct wasm_linker *linker, struct wasi_ctx *ctx, struct err *err);
/* The index-th function (0 <= index < WASI_FUNC_COUNT), or NULL. */
const struct wasi_func *wasi_func_at(size_t index);

/* Set results[0] to a WASI errno and return true (the host call succeeded). */
static inline bool
wasi_ret(union wasm_val *results, uint16_t wasi_errno)
{
    results[0].i32 = wasi_errno;
    return true;
}

/* The context of the calling instance. */
static inline struct wasi_ctx *
wasi_ctx_of(void *user)
{
    return (struct wasi_ctx *)user;
}

/* Current time of a clock in ns (clocks advance in deterministic mode). */
bool wasi_clock_now(struct wasi_ctx *ctx, uint32_t clock_id, uint64_t *out_ns);
/* Deterministic time only: let 'ns' of virtual time pass. */
void wasi_clock_advance(struct wasi_ctx *ctx, uint64_t ns);
/* Turn WASI (atim, mtim, fst_flags) into a utimensat() pair; false: EINVAL. */
bool wasi_times_decode(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec out[2]);
/* True once the config's interrupt flag is set. */
bool wasi_interrupted(const struct wasi_ctx *ctx);

#endif
