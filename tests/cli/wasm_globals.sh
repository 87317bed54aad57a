#!/bin/sh
# wasm_globals.sh: perch's global flags apply to `perch wasm run`, given
# before `wasm` or after `run` (before MODULE): --max-runtime stops a
# module that never ends (exit 124), --no-write refuses a read-write --dir
# mount (as wasm_mount_write is refused inside a .perch file) while --ro-dir
# still works, --env A,B limits which host variables `--env K` can pass,
# --trace/--audit observe the run, and flags that mean nothing for a module
# (-f, --jobs, --check, ...) are refused instead of ignored.
. "$(dirname "$0")/lib.sh"

command -v wat2wasm >/dev/null 2>&1 || { echo "skip: wat2wasm not found"; exit 0; }

cat >"$T/loop.wat" <<'W'
(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))
W
cat >"$T/hello.wat" <<'W'
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
W
wat2wasm "$T/loop.wat" -o "$T/loop.wasm" || { echo "wat2wasm failed" >&2; exit 1; }
wat2wasm "$T/hello.wat" -o "$T/hello.wasm" || { echo "wat2wasm failed" >&2; exit 1; }
mkdir "$T/data"
PERCH_WASM_CACHE=off
export PERCH_WASM_CACHE

# --max-runtime, before `wasm` and after `run`: the loop is stopped.
start=$(date +%s)
run --max-runtime 1 wasm run "$T/loop.wasm"
expect_status 124 "--max-runtime before wasm"
expect_err "(--max-runtime 1" "--max-runtime before wasm"
run wasm run --max-runtime=1 "$T/loop.wasm"
expect_status 124 "--max-runtime after run"
end=$(date +%s)
checks=$((checks + 1))
[ $((end - start)) -lt 20 ] || fail "two 1s --max-runtime runs took $((end - start))s"
run --max-runtime nope wasm run "$T/hello.wasm"
expect_status 2 "bad --max-runtime value"

# --no-write refuses a read-write mount before the module runs.
run --no-write wasm run --dir "$T/data::/w" "$T/hello.wasm"
expect_status 1 "--no-write with --dir"
expect_err "needs write (denied by --no-write)" "--no-write with --dir"
expect_out_empty "--no-write with --dir: the module did not run"
run wasm run --dir "$T/data::/w" --no-write "$T/hello.wasm"
expect_status 1 "--no-write after run with --dir"
expect_err "denied by --no-write" "--no-write after run with --dir"
run --no-write wasm run --ro-dir "$T/data::/r" "$T/hello.wasm"
expect_status 0 "--no-write with --ro-dir"
expect_out_exact "hello" "--no-write with --ro-dir"
run --no-network --no-shell --no-subprocess wasm run "$T/hello.wasm"
expect_status 0 "--no-network --no-shell --no-subprocess"

# --env A,B before wasm: `--env K` passes only listed host variables.
SECRET_TOKEN=s3 run --env HOME wasm run --env SECRET_TOKEN "$T/hello.wasm"
expect_status 2 "--env K outside the allowlist"
expect_err "'SECRET_TOKEN' is not in the --env allowlist" "--env K outside the allowlist"
run --env HOME wasm run --env HOME --env X=1 "$T/hello.wasm"
expect_status 0 "--env K inside the allowlist"

# --trace and --audit see the run as one wasm_run span.
run --trace wasm run "$T/hello.wasm"
expect_status 0 "--trace"
expect_err "wasm_run" "--trace"
run wasm run --audit "$T/audit.ndjson" "$T/hello.wasm" a1
expect_status 0 "--audit after run"
checks=$((checks + 1))
grep -q '"kind": *"wasm_run"' "$T/audit.ndjson" 2>/dev/null ||
    fail "--audit: no wasm_run event in $(cat "$T/audit.ndjson" 2>/dev/null)"

# Flags that cannot apply are refused, not ignored.
for f in "--jobs 2" "-f x.perch" "--check" "--include x"; do
    # shellcheck disable=SC2086
    run $f wasm run "$T/hello.wasm"
    expect_status 2 "$f before wasm"
    expect_err "does not apply" "$f before wasm"
    expect_out_empty "$f before wasm"
    # shellcheck disable=SC2086
    run wasm run $f "$T/hello.wasm"
    expect_status 2 "$f after run"
    expect_err "does not apply" "$f after run"
done
run wasm run --bogus "$T/hello.wasm"
expect_status 2 "unknown flag after run"
expect_err "unknown flag '--bogus'" "unknown flag after run"

finish
