/*
 * src/exec/block_cache.h: the on-disk store behind `cache "KEY" "TTL"`
 * blocks, shared by the block handler and `perch cache list|clear`.
 *
 * Entries live at $XDG_CACHE_HOME/perch/blocks/<sha256(KEY)>.json (default
 * ~/.cache/perch/blocks), one JSON object each:
 *
 *   {"v":1,"key":"...","stored_at":S,"expires_at":S|null,
 *    "bindings":{"name":value,...},"output":[[stream,"text"],...]}
 *
 * (times in Unix seconds; a binding's JSON type is its value type). They are
 * written atomically (temporary file + rename), so any number of threads and
 * processes may read and write the same entry at once: a reader sees an old
 * entry, a new one, or none. An entry that does not parse, has another
 * version or names another key is a miss.
 */
#ifndef PERCH_EXEC_BLOCK_CACHE_H
#define PERCH_EXEC_BLOCK_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define EXEC_CACHE_VERSION 1
/* Largest entry file read back (a bigger one is a miss). */
#define EXEC_CACHE_MAX_ENTRY (64u * 1024 * 1024)

/* The blocks directory for this process's environment ($XDG_CACHE_HOME,
 * else $HOME/.cache). New string. */
char *exec_cache_blocks_dir(void);

/* One entry as `perch cache list` shows it. */
struct exec_cache_info {
    char *key;          /* owned */
    char *path;         /* owned: the entry file */
    int64_t stored_at;  /* Unix seconds */
    int64_t expires_at; /* Unix seconds; 0 = never */
    size_t bindings;
    size_t size;        /* bytes on disk */
};

/* Read the entry file at 'path' for listing. False when it is not a valid
 * entry (the caller shows or skips it). */
bool exec_cache_info_read(const char *path, struct exec_cache_info *out);
void exec_cache_info_release(struct exec_cache_info *info);

#endif
