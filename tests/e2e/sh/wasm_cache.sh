#!/bin/sh
# wasm_cache.sh: `perch wasm run` keeps compiled modules on disk. The first
# run of a module compiles it and stores
# $XDG_CACHE_HOME/perch/wasm/<sha256>-<engine version>.bin (0600 in a 0700
# directory); a second run in a fresh process loads that instead of
# compiling (PERCH_WASM_CACHE_DEBUG=1 says which) with the same output; a
# corrupt entry is ignored and replaced; PERCH_WASM_CACHE=off bypasses it.
. "$(dirname "$0")/lib.sh"

command -v wat2wasm >/dev/null 2>&1 || { echo "skip: wat2wasm not found"; exit 0; }

cat >"$T/hello.wat" <<'W'
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from the cache\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 21))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
W
wat2wasm "$T/hello.wat" -o "$T/hello.wasm" || { echo "wat2wasm failed" >&2; exit 1; }
hash=$(sha256sum "$T/hello.wasm" | cut -d' ' -f1)
version=$(sed -n 's/^#define WASM_ENGINE_VERSION "\(.*\)"$/\1/p' \
  "$(dirname "$0")/../../../src/wasm/wasm.h")
entry=$T/cache/perch/wasm/$hash-$version.bin

XDG_CACHE_HOME=$T/cache
PERCH_WASM_CACHE_DEBUG=1
export XDG_CACHE_HOME PERCH_WASM_CACHE_DEBUG
unset PERCH_WASM_CACHE

run -w "first run: compiled and stored" wasm run hello.wasm
expect_status 0
expect_out "hello from the cache"
expect_err "perch: wasm cache: miss $entry: compiled, stored"
checks=$((checks + 1))
[ "$(stat -c %a "$entry" 2>/dev/null)" = 600 ] || fail "entry should exist with mode 600"
checks=$((checks + 1))
[ "$(stat -c %a "$T/cache/perch/wasm")" = 700 ] || fail "cache directory should be mode 700"

run -w "second run in a fresh process: from the cache" wasm run hello.wasm
expect_status 0
expect_out "hello from the cache"
expect_err "perch: wasm cache: hit $entry"

# A corrupt entry: ignored (the run still succeeds), then replaced.
printf 'garbage' | dd of="$entry" bs=1 seek=200 conv=notrunc 2>/dev/null
run -w "corrupt entry: ignored, compiled, replaced" wasm run hello.wasm
expect_status 0
expect_out "hello from the cache"
expect_err "perch: wasm cache: ignored $entry (cached code: checksum mismatch): compiled, stored"
run -w "after the replacement: a hit again" wasm run hello.wasm
expect_status 0
expect_out "hello from the cache"
expect_err "perch: wasm cache: hit $entry"

# Without debugging, the cache is silent.
PERCH_WASM_CACHE_DEBUG=0
run -w "silent without PERCH_WASM_CACHE_DEBUG" wasm run hello.wasm
expect_status 0
expect_err ""

PERCH_WASM_CACHE_DEBUG=1
PERCH_WASM_CACHE=off
export PERCH_WASM_CACHE
run -w "PERCH_WASM_CACHE=off" wasm run hello.wasm
expect_status 0
expect_out "hello from the cache"
expect_err "perch: wasm cache: disk cache off (PERCH_WASM_CACHE=off)"

finish
