#!/bin/sh
# wasm_exit.sh: a module's exit code as perch's exit status, the same for
# `perch wasm run` and a wasm_run block in a .perch file. 1 to 255 pass
# through; a code a process status cannot hold (256, 300, 512, 4294967295)
# never reads as success or as another code: exit 1, with a message giving
# the real code.
. "$(dirname "$0")/lib.sh"

command -v wat2wasm >/dev/null 2>&1 || { echo "skip: wat2wasm not found"; exit 0; }
PERCH_WASM_CACHE=off
export PERCH_WASM_CACHE

for code in 0 7 255 256 300 512 4294967295; do
    cat >"$T/exit$code.wat" <<W
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func \$proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call \$proc_exit (i32.const $code))))
W
    wat2wasm "$T/exit$code.wat" -o "$T/exit$code.wasm" || { echo "wat2wasm failed" >&2; exit 1; }
    cat >>"$T/commands.perch" <<P
command exit$code
    do
        wasm_run "\${script_dir}/exit$code.wasm"
        end
    end
end

P
done

for code in 0 7 255; do
    run wasm run "$T/exit$code.wasm"
    expect_status "$code" "wasm run exit $code"
    expect_err_empty "wasm run exit $code"
    run -f "$T/commands.perch" "exit$code"
    expect_status "$code" ".perch exit $code"
done

for code in 256 300 512 4294967295; do
    run wasm run "$T/exit$code.wasm"
    expect_status 1 "wasm run exit $code"
    expect_err "module exited with code" "wasm run exit $code"
    run -f "$T/commands.perch" "exit$code"
    expect_status 1 ".perch exit $code"
    expect_err "module exited with code" ".perch exit $code"
done
run wasm run "$T/exit256.wasm"
expect_err "code 256" "wasm run exit 256 names the real code"
run wasm run "$T/exit300.wasm"
expect_err "code 300" "wasm run exit 300 names the real code"

# retry around a module that always exits 7: retry's own message (kind
# retry_exhausted, still rescued by that name), perch exits 7. A timeout
# around it keeps 124.
cat >>"$T/commands.perch" <<P
command retry_exit7
    retry 2 "10ms"
        wasm_run "\${script_dir}/exit7.wasm"
        end
    end
end

command retry_exit7_rescued
    try
        retry 2 "10ms"
            wasm_run "\${script_dir}/exit7.wasm"
            end
        end
    rescue retry_exhausted
        print "rescued \${err.kind}"
    end
end

command timeout_retry
    timeout "300ms"
        retry 50 "100ms"
            wasm_run "\${script_dir}/exit7.wasm"
            end
        end
    end
end
P
run -f "$T/commands.perch" retry_exit7
expect_status 7 "retry around exit 7"
expect_err "retry: 2 attempts failed; last error:" "retry around exit 7 keeps retry's message"
expect_err "module exited with code 7" "retry around exit 7 names the module's code"
run -f "$T/commands.perch" retry_exit7_rescued
expect_status 0 "rescue retry_exhausted around a module exit"
expect_out "rescued retry_exhausted" "rescue retry_exhausted around a module exit"
run -f "$T/commands.perch" timeout_retry
expect_status 124 "timeout around retry around a module exit"

finish
