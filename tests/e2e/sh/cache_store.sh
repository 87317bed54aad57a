#!/bin/sh
# cache_store.sh: a cache entry that cannot be stored does not fail the run,
# but perch says so (the next run would otherwise miss without a word).
. "$(dirname "$0")/lib.sh"

cat >"$T/c.perch" <<'P'
command build
    do
        cache "build-key" "1h"
            print "building"
            v = "made"
        end
        print "v=${v}"
    end
end
P
: >"$T/not-a-dir"

XDG_CACHE_HOME="$T/not-a-dir"
export XDG_CACHE_HOME
run -w "unwritable cache directory" -f c.perch build
expect_status 0
expect_out "building
v=made"
expect_err "↪ cache: could not store build-key: cannot create directory '@T@/not-a-dir/perch/blocks': '@T@/not-a-dir' is a file"

XDG_CACHE_HOME="$T/cache"
run -w "a writable one stores quietly" -f c.perch build
expect_status 0
expect_out "building
v=made"
expect_err ""
run -w "and the next run hits" -f c.perch build
expect_status 0
expect_out "building
v=made"
expect_err_has "↪ cache hit: build-key (replayed 1 bindings, "

finish
