#!/bin/sh
# cache_clear.sh: `perch cache clear` removes the cache blocks' entries and
# the compiled-module cache ($XDG_CACHE_HOME/perch/wasm); with a PREFIX only
# the matching block entries; `--wasm` only the compiled modules. `perch
# cache list` counts the compiled modules too.
. "$(dirname "$0")/lib.sh"

command -v wat2wasm >/dev/null 2>&1 || { echo "skip: wat2wasm not found"; exit 0; }
XDG_CACHE_HOME=$T/xdg
export XDG_CACHE_HOME
unset PERCH_WASM_CACHE

printf '(module (memory (export "memory") 1) (func (export "_start")))\n' >"$T/ok.wat"
wat2wasm "$T/ok.wat" -o "$T/ok.wasm" || { echo "wat2wasm failed" >&2; exit 1; }
cat >"$T/commands.perch" <<'P'
command fill
    cache "alpha-1" "1h"
        a = "1"
    end
    cache "beta-1" "1h"
        b = "1"
    end
    wasm_run "${script_dir}/ok.wasm"
    end
end
P

count_bins() {
    find "$XDG_CACHE_HOME/perch/wasm" -name '*.bin' 2>/dev/null | wc -l | tr -d ' '
}
count_blocks() {
    find "$XDG_CACHE_HOME/perch/blocks" -name '*.json' 2>/dev/null | wc -l | tr -d ' '
}

run -f "$T/commands.perch" fill
expect_status 0 "fill the caches"
checks=$((checks + 1))
[ "$(count_bins)" = 1 ] || fail "a compiled module is cached (got $(count_bins))"
checks=$((checks + 1))
[ "$(count_blocks)" = 2 ] || fail "two block entries (got $(count_blocks))"

run cache list
expect_status 0 "cache list"
expect_out "alpha-1" "cache list"
expect_err "1 compiled module" "cache list counts compiled modules"

# A prefix selects block entries by key: compiled modules stay.
run cache clear alpha-
expect_status 0 "cache clear PREFIX"
expect_err "removed 1 entry" "cache clear PREFIX"
checks=$((checks + 1))
[ "$(count_bins)" = 1 ] || fail "cache clear PREFIX keeps compiled modules"

# --wasm: only the compiled modules.
run cache clear --wasm
expect_status 0 "cache clear --wasm"
expect_err "removed 1 compiled module" "cache clear --wasm"
checks=$((checks + 1))
[ "$(count_bins)" = 0 ] || fail "cache clear --wasm removes compiled modules"
checks=$((checks + 1))
[ "$(count_blocks)" = 1 ] || fail "cache clear --wasm keeps block entries"

# No argument: everything.
run -f "$T/commands.perch" fill
run cache clear
expect_status 0 "cache clear"
expect_err "removed 2 entries" "cache clear: block entries"
expect_err "removed 1 compiled module" "cache clear: compiled modules"
checks=$((checks + 1))
[ "$(count_bins)" = 0 ] || fail "cache clear removes compiled modules"
checks=$((checks + 1))
[ "$(count_blocks)" = 0 ] || fail "cache clear removes block entries"
# Files that are not ours are left alone.
echo keep >"$XDG_CACHE_HOME/perch/wasm/notes.txt"
run cache clear
expect_status 0 "cache clear with a stranger file"
checks=$((checks + 1))
[ -f "$XDG_CACHE_HOME/perch/wasm/notes.txt" ] || fail "cache clear removed a file not its own"

# Nothing cached at all is not an error.
rm -rf "$XDG_CACHE_HOME"
run cache clear
expect_status 0 "cache clear with no cache"
run cache clear --bogus
expect_status 2 "cache clear with an unknown flag"

finish
