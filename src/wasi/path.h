/*
 * src/wasi/path.h: confined path resolution (see path.c). Private to
 * src/wasi and its unit tests.
 */
#ifndef PERCH_WASI_PATH_H
#define PERCH_WASI_PATH_H

#include <stdbool.h>
#include <stdint.h>

/* How a path is resolved beneath a directory fd. */
enum wasi_resolve_mode {
    WASI_RESOLVE_AUTO = 0, /* openat2(RESOLVE_BENEATH) where available, else the walk */
    WASI_RESOLVE_WALK,     /* always the component walk (tests exercise both) */
};

/*
 * Check a guest path ('len' bytes, not NUL-terminated) and copy it into a
 * new NUL-terminated string (*out_path, caller frees). Returns a WASI errno:
 * EILSEQ for an embedded NUL byte, ENAMETOOLONG beyond WASI_MAX_PATH,
 * ENOENT for the empty path, ENOTCAPABLE for an absolute path, ENOMEM.
 */
uint16_t wasi_path_copy(const uint8_t *bytes, uint32_t len, char **out_path);

/*
 * Open 'path' (relative, from wasi_path_copy) beneath 'root_fd' with host
 * open flags 'flags'. Intermediate symlinks are followed only while they
 * stay beneath root_fd; the last component is followed only when
 * 'follow_last'. On success *out_fd is a new host fd (O_CLOEXEC).
 * Returns a WASI errno; ENOTCAPABLE for every attempt to leave root_fd.
 */
uint16_t wasi_path_open(int root_fd, const char *path, int flags, unsigned mode, bool follow_last,
                        enum wasi_resolve_mode how, int *out_fd);

/* The directory that holds a path's last component, for *at() calls. */
struct wasi_parent {
    int dir_fd;          /* owned host fd of the parent directory */
    char *name;          /* last component (no '/'); "." when the path names root_fd itself */
    bool trailing_slash; /* the guest wrote "name/": the target must be a directory */
};

/*
 * Resolve everything but the last component of 'path' beneath 'root_fd'.
 * A last component of "." or ".." is resolved too, and 'name' is then ".".
 * Returns a WASI errno; on success release 'out' with wasi_parent_release().
 */
uint16_t wasi_path_parent(int root_fd, const char *path, enum wasi_resolve_mode how,
                          struct wasi_parent *out);
void wasi_parent_release(struct wasi_parent *parent);

/*
 * True when a symlink at 'link_path' (relative to its mount root) whose
 * contents are 'target' would resolve inside the mount by lexical rules: the
 * target is relative and its ".." never climb above the root. Guests may
 * only create such links, so a later host-side reader is not led out.
 */
bool wasi_symlink_target_ok(const char *link_path, const char *target);

#endif
