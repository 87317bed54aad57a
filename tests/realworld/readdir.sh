#!/usr/bin/env bash
# tests/realworld/readdir.sh: fd_readdir with a small buffer while the guest
# removes what it has read (readdir_cut.c), as Rust's std does in
# remove_dir_all. Every entry must be seen once and the directory must end
# up empty. Needs clang for wasm32-wasi (skips without it). node:wasi is run
# too, for information only: uvwasi loses entries here.
. "$(dirname "$0")/lib.sh"

CLANG=$(command -v clang || command -v clang-14 || true)
[ -n "$CLANG" ] || rw_skip "no clang to build wasm32-wasi modules"
W=$RW_WORK/readdir
rm -rf "$W"
mkdir -p "$W"
"$CLANG" --target=wasm32-wasi -O2 "$(dirname "$0")/readdir_cut.c" -o "$W/rc.wasm" \
    2>"$W/clang.log" || rw_skip "clang cannot build for wasm32-wasi: $(head -n 1 "$W/clang.log")"

for n in 1 5 30 200; do
    mkdir -p "$W/d$n"
    out=$("$PERCH" wasm run --dir "$W/d$n::/rw/d" "$W/rc.wasm" /rw/d "$n" 2>&1)
    rc=$?
    if [ $rc = 0 ] && [ "$out" = "seen $n removed $n left 0" ]; then
        rw_ok "$n files: every one seen and removed while reading"
    else
        rw_fail "$n files: exit $rc: $out"
    fi
    rw_check "$n files: the host directory is empty" test -z "$(ls -A "$W/d$n")"
done

NODE=$(rw_node)
if [ -n "$NODE" ]; then
    mkdir -p "$W/node"
    echo "node:wasi (information): $("$NODE" --no-warnings "$PERCH_SRC/examples/run-node.mjs" \
        --dir "$W/node::/rw/d" "$W/rc.wasm" /rw/d 30 2>&1)"
fi
rw_done
