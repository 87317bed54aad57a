#!/bin/sh
# stdout_full.sh: output that cannot be written is a failure, as in sh. With
# stdout on /dev/full (every write fails with ENOSPC), a command that
# prints, a module that prints and help all exit 1 with one message on
# stderr instead of exiting 0 with the output lost. A run that prints
# nothing is unaffected.
. "$(dirname "$0")/lib.sh"

[ -w /dev/full ] || { echo "skip: no /dev/full"; exit 0; }

# run_full ARGS...: runs perch with stdout on /dev/full.
run_full() {
    "$PERCH" "$@" >/dev/full 2>"$T/err" </dev/null
    status=$?
    : >"$T/out"
}

cat >"$T/x.perch" <<'P'
command p
    do
        print "hello"
    end
end

command quiet
    do
        x = "nothing printed"
    end
end

command failing
    do
        print "hello"
        fail "it broke"
    end
end
P

run_full -f "$T/x.perch" p
expect_status 1 "print to a full stdout"
expect_err "perch: write error on stdout: No space left on device" "print to a full stdout"
checks=$((checks + 1))
[ "$(grep -c 'write error' "$T/err")" -eq 1 ] || fail "print to a full stdout: one message"

run_full -f "$T/x.perch" quiet
expect_status 0 "nothing printed to a full stdout"
expect_err_empty "nothing printed to a full stdout"

run_full -f "$T/x.perch" failing
expect_status 1 "a failing command keeps its status"
expect_err "it broke" "a failing command keeps its status"

run_full --help
expect_status 1 "--help to a full stdout"
expect_err "write error on stdout" "--help to a full stdout"

run_full -f "$T/x.perch" --list-commands
expect_status 1 "--list-commands to a full stdout"

if command -v wat2wasm >/dev/null 2>&1; then
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
    wat2wasm "$T/hello.wat" -o "$T/hello.wasm" || { echo "wat2wasm failed" >&2; exit 1; }
    PERCH_WASM_CACHE=off run_full wasm run "$T/hello.wasm"
    expect_status 1 "wasm run to a full stdout"
    expect_err "perch: write error on stdout: No space left on device" "wasm run to a full stdout"
fi

finish
