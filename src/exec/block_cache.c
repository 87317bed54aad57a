/*
 * block_cache.c: `cache "KEY" "TTL" ... end`.
 *
 * NEEDSWORK: this version checks its words and always runs the body (every
 * lookup is a miss); storing and replaying entries under
 * $XDG_CACHE_HOME/perch/blocks/ (REFERENCE.md §4) replaces it.
 */
#include <stdlib.h>

#include "base/duration.h"
#include "exec/blocks.h"
#include "exec/exec.h"

bool
block_cache(struct exec_state *st, const struct lang_stmt *stmt, struct sbuf *out,
            struct err *err)
{
    (void)out;
    if (stmt->arg_count < 1)
        return err_set(err, ERR_USAGE, "cache: expected \"KEY\" [\"TTL\"]");
    char *key = exec_word(st, &stmt->args[0], err);
    if (!key)
        return false;
    free(key);
    if (stmt->arg_count > 1) {
        char *ttl = exec_word(st, &stmt->args[1], err);
        if (!ttl)
            return false;
        int64_t ns;
        bool ok = duration_parse(ttl, &ns, err);
        free(ttl);
        if (!ok)
            return false;
    }
    return exec_run_body(st, &stmt->body, err);
}
