#!/bin/sh
# wasm_run.sh: `perch wasm run` with a module path that does not exist. The
# path is the command line's own, relative to the current directory, so the
# error names the absolute path that was tried and says where a relative
# path starts; it never suggests ${script_dir}, which only exists inside
# .perch files.
. "$(dirname "$0")/lib.sh"

mkdir "$T/work"
# The directory the shell and perch both see, symlinks resolved.
work=$(cd "$T/work" && pwd -P)

run_in "$T/work" wasm run nope.wasm
expect_status 1 "relative missing module"
expect_err "module not found at '$work/nope.wasm'" "relative missing module"
expect_err "relative MODULE path starts at the current directory" "relative missing module"
expect_no_err 'script_dir' "relative missing module"

run_in "$T/work" wasm run sub/dir/tool.wasm arg1
expect_status 1 "nested relative missing module"
expect_err "module not found at '$work/sub/dir/tool.wasm'" "nested relative missing module"
expect_no_err 'script_dir' "nested relative missing module"

run wasm run "$work/absent.wasm"
expect_status 1 "absolute missing module"
expect_err "wasm_run \"$work/absent.wasm\": module not found" "absolute missing module"
expect_no_err 'script_dir' "absolute missing module"

# Inside a .perch file the ${script_dir} hint still applies.
cat >"$T/work/cmd.perch" <<'P'
command go
    do
        wasm_run "missing.wasm"
        end
    end
end
P
run_in "$T/work" -f cmd.perch go
expect_status 1 "missing module in a .perch file"
expect_err '${script_dir}/missing.wasm' "missing module in a .perch file"

finish
