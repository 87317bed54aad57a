#!/bin/sh
# bundle_name.sh: a built binary (perch --build) speaks under its own name
# everywhere: unknown commands and flags, bad arguments, run errors, its
# `test` subcommand, --help and --version. "perch:" never starts one of its
# messages.
. "$(dirname "$0")/lib.sh"

# Built binaries extract into the cache: keep it inside the test directory.
XDG_CACHE_HOME=$T/cache
export XDG_CACHE_HOME
mkdir "$T/proj"
cat >"$T/proj/tool.perch" <<'P'
name "mytool"
version "2.0.0"
about "a built tool"

command greet
    description "say hello"
    arg count
        type int
        default "1"
    end
    do
        print "hello ${count}"
    end
end

command broken
    do
        fail "it broke"
    end
end
P
(cd "$T/proj" && "$PERCH" --build -f tool.perch -o "$T/mytool") >"$T/out" 2>"$T/err" </dev/null
status=$?
expect_status 0 "perch --build"

# runb ARGS...: runs the built binary instead of perch.
runb() {
    "$T/mytool" "$@" >"$T/out" 2>"$T/err" </dev/null
    status=$?
}

runb greet --count 2
expect_status 0 "built binary runs"
expect_out_exact "hello 2" "built binary runs"

runb nope
expect_status 2 "unknown command"
expect_err "mytool: unknown command 'nope'" "unknown command"
expect_err "run 'mytool --help'" "unknown command"

runb --bogus greet
expect_status 2 "unknown global flag"
expect_err "mytool: unknown flag '--bogus'" "unknown global flag"
expect_err "run 'mytool --help' for usage" "unknown global flag"

runb --max-runtime never greet
expect_status 2 "bad global flag value"
expect_err "mytool: --max-runtime" "bad global flag value"

runb greet --count many
expect_status 2 "bad argument"
expect_err "mytool: argument 'count'" "bad argument"
expect_err "run 'mytool greet --help'" "bad argument"

runb broken
expect_status 1 "run error"
expect_err "it broke" "run error"

runb test --bad
expect_status 2 "test subcommand"
expect_err "mytool test: unknown argument" "test subcommand"

runb test
expect_status 0 "test without tests"
expect_err "mytool test: no commands marked \`test\`" "test without tests"

runb --help
expect_status 0 "--help"
expect_out "Usage: mytool" "--help"
expect_no_out "Usage: perch" "--help"

runb greet --help
expect_status 0 "command --help"
expect_out "Usage: mytool greet" "command --help"

runb --version
expect_status 0 "--version"
expect_out "mytool 2.0.0" "--version"

runb -f other.perch greet
expect_status 2 "-f refused"
expect_err "mytool: -f is for perch itself" "-f refused"

if [ -w /dev/full ]; then
    "$T/mytool" greet >/dev/full 2>"$T/err" </dev/null
    status=$?
    : >"$T/out"
    expect_status 1 "full stdout"
    expect_err "mytool: write error on stdout" "full stdout"
fi

# The compiled-module cache's debug lines (PERCH_WASM_CACHE_DEBUG) carry the
# binary's name too.
if command -v wat2wasm >/dev/null 2>&1; then
    mkdir "$T/wproj"
    printf '(module (memory (export "memory") 1) (func (export "_start")))\n' >"$T/wproj/ok.wat"
    wat2wasm "$T/wproj/ok.wat" -o "$T/wproj/ok.wasm"
    cat >"$T/wproj/w.perch" <<'P'
name "wtool"

command run_mod
    do
        wasm_run "${script_dir}/ok.wasm"
        end
    end
end
P
    (cd "$T/wproj" && "$PERCH" --build -f w.perch --include ok.wasm -o "$T/wtool") >"$T/out" 2>"$T/err" </dev/null
    status=$?
    expect_status 0 "perch --build with a module"
    PERCH_WASM_CACHE_DEBUG=1 "$T/wtool" run_mod >"$T/out" 2>"$T/err" </dev/null
    status=$?
    expect_status 0 "built binary runs a module"
    expect_err "wtool: wasm cache:" "cache debug lines use the binary's name"
    checks=$((checks + 1))
    ! grep -q '^perch' "$T/err" || fail "cache debug lines start with 'perch'"
    PERCH_WASM_CACHE_DEBUG=1 "$PERCH" -f "$T/wproj/w.perch" run_mod >"$T/out" 2>"$T/err" </dev/null
    status=$?
    expect_status 0 "perch runs a module"
    expect_err "perch: wasm cache:" "perch's own cache debug lines"
fi

# Under any of these, no message of the binary's own starts with "perch:".
for a in nope --bogus "greet --count many" broken "test --bad" test; do
    # shellcheck disable=SC2086
    runb $a
    checks=$((checks + 1))
    ! grep -q '^perch' "$T/err" || fail "no message starting with 'perch' for '$a'"
done

finish
