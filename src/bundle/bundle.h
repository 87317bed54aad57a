/*
 * src/bundle/bundle.h: `perch --build` bundles and how a built binary finds
 * and uses its own.
 *
 * A bundle is a copy of the perch executable with a payload and a footer
 * appended:
 *
 *   [ executable (exe_len bytes) ][ payload ][ footer (BUNDLE_FOOTER_SIZE) ]
 *
 * The payload is a sequence of entries, sorted by path, each
 *
 *   u32 path_len, u32 flags, u64 data_len, path bytes, data bytes
 *
 * (little-endian). Paths are relative to the .perch file's directory,
 * '/'-separated, without "." or ".." elements. The footer holds, in order:
 * the magic "PERCHBDL", u32 format version, u32 entry count, u64 payload
 * offset (== exe_len), u64 payload size, u32 index of the main .perch file,
 * u32 zero, the SHA-256 of the payload (32 bytes) and the magic "PERCHEND".
 * The payload is a pure function of the bundled files, so building again
 * from the same files (even from a built binary: the old payload is
 * stripped first) gives the same payload and hash.
 *
 * At start-up perch reads the last bytes of its own executable; when a
 * footer is there the payload is read, its hash checked, its files
 * extracted once per hash into $XDG_CACHE_HOME/perch/bundles/<hash>/ and
 * the program loaded from memory with that directory as its script_dir.
 */
#ifndef PERCH_BUNDLE_BUNDLE_H
#define PERCH_BUNDLE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct err;
struct lang_program;
struct lang_diags;

#define BUNDLE_FORMAT_VERSION 1u
#define BUNDLE_FOOTER_SIZE    80u
#define BUNDLE_MAGIC          "PERCHBDL"
#define BUNDLE_END_MAGIC      "PERCHEND"
/* The largest payload a reader accepts (and a writer produces). */
#define BUNDLE_MAX_PAYLOAD ((uint64_t)2 << 30)
/* The most entries, and the longest entry path. */
#define BUNDLE_MAX_ENTRIES  100000u
#define BUNDLE_MAX_PATH_LEN 4096u

/* Entry flags. */
#define BUNDLE_ENTRY_EXEC 1u /* extracted with mode 0755 instead of 0644 */

struct bundle_entry {
    const char *path;    /* relative; points into the payload copy 'paths' */
    const uint8_t *data; /* into the payload */
    size_t len;
    uint32_t flags;
};

struct bundle {
    uint8_t *payload; /* owned */
    size_t payload_len;
    char *paths; /* owned: NUL-terminated copies of every entry path */
    struct bundle_entry *entries; /* owned */
    size_t entry_count;
    size_t main_index; /* the main .perch file */
    uint64_t exe_len;  /* bytes before the payload: the plain executable */
    char hash[65];     /* hex SHA-256 of the payload */
    char *dir;         /* extraction directory (bundle_extract), owned; NULL before */
};

/*
 * Look at the end of 'exe_path' for a bundle footer. Returns 1 with 'out'
 * filled (payload read and its hash verified), 0 when the file carries no
 * bundle (a plain perch), -1 with ERR_BUNDLE when it carries a damaged one:
 * bad hash (tampered), sizes that do not add up or bytes after the
 * executable without a footer (truncated), an unknown format version, or
 * entries that do not parse.
 */
int bundle_open(const char *exe_path, struct bundle *out, struct err *err);
void bundle_release(struct bundle *b);

/*
 * How many leading bytes of 'exe_path' are the plain executable: its size
 * when it carries no bundle, else the payload offset. False with ERR_BUNDLE
 * for a damaged bundle or ERR_IO.
 */
bool bundle_exe_len(const char *exe_path, uint64_t *out_len, struct err *err);

/* The entry with this relative path, or NULL. */
const struct bundle_entry *bundle_find(const struct bundle *b, const char *path);

/* $XDG_CACHE_HOME/perch/bundles (else $HOME/.cache/..., else the temp dir);
 * 'xdg' and 'home' are the environment's values or NULL. New string. */
char *bundle_cache_root(const char *xdg, const char *home);

/*
 * Make the bundle's files available on disk under '<root>/<hash>/' and set
 * b->dir to it. An existing directory whose files have the right sizes is
 * reused; else the files are written to a temporary directory beside it
 * and renamed into place (when another process won the race, its
 * directory is used and ours removed).
 */
bool bundle_extract(struct bundle *b, const char *root, struct err *err);

/*
 * Load the embedded program from memory. Its path is '<b->dir>/<main>' (so
 * script_dir is the extracted bundle); imports are served from the payload.
 * bundle_extract must have run. NULL with diagnostics like lang_load_file.
 */
struct lang_program *bundle_load_program(const struct bundle *b, struct lang_diags *diags);

/* ---- writing ------------------------------------------------------------ */

struct bundle_build_opts {
    const char *file;                 /* the .perch file */
    const char *const *includes;      /* --include paths (relative to the cwd) */
    size_t include_count;
    const char *out_path;             /* NULL: the program's name */
    const char *exe_path;             /* the running executable (copied, old payload stripped) */
    FILE *log;                        /* what was embedded and where it went; may be NULL */
};

/*
 * Write the bundle for 'o->file': the executable's first bytes (without
 * any bundle of its own), the program's sources (the file and everything it
 * imports), the files of its `bundle` includes and of o->includes
 * (directories walked, skipping .git, .hg, .svn, node_modules, build
 * directories and the output itself), then the footer. Written to a
 * temporary file beside the output and renamed over it, mode 0755.
 * Errors: ERR_PARSE (the program does not load; diagnostics printed to
 * o->log), ERR_NOT_FOUND (an include is missing), ERR_BUNDLE (a path outside
 * the program's directory, too large), ERR_IO.
 */
bool bundle_build(const struct bundle_build_opts *o, struct err *err);

/* Encode / decode a footer (exposed for the tests). */
struct bundle_footer {
    uint32_t version;
    uint32_t entry_count;
    uint64_t payload_offset;
    uint64_t payload_size;
    uint32_t main_index;
    uint8_t sha256[32];
};
void bundle_footer_encode(const struct bundle_footer *f, uint8_t out[BUNDLE_FOOTER_SIZE]);
/* False when the magics are not there (no bundle). */
bool bundle_footer_decode(const uint8_t in[BUNDLE_FOOTER_SIZE], struct bundle_footer *f);

#endif
