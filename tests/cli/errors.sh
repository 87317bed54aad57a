#!/bin/sh
# errors.sh: how failures read: locations, kinds, hints, catch blocks,
# runaway recursion, requires with a pinned bin hash.
. "$(dirname "$0")/lib.sh"

cat >"$T/commands.perch" <<'P'
catch "fail"
    print "cleanup after ${err.kind}: ${err.message} (line ${err.line})"
end

command forever
    do
        forever
    end
end

command typo
    do
        pritn "x"
    end
end

command boom
    do
        fail "kaboom"
    end
end

command bad_binding_user
    do
        print "${undefined_thing}"
    end
end

command not_an_op_in_string
    do
        print "${read_fiel('x')}"
    end
end

command effects_in_string
    do
        print "${write_file('x', 'y')}"
    end
end
P

run -f "$T/commands.perch" forever
expect_status 1 "runaway recursion is an error, not a crash"
expect_err "nesting deeper than"
expect_err "(limit_exceeded)"

run -f "$T/commands.perch" typo
expect_status 1
expect_err "commands.perch:13:9: error: unknown op or command 'pritn' (did you mean 'print'?)"

run -f "$T/commands.perch" boom
expect_status 1 "catch does not turn a failure into success"
expect_out_exact "cleanup after fail: kaboom (line 19)" "catch runs with err.* bound"
expect_err "commands.perch:19:9: error: kaboom (fail)"

run -f "$T/commands.perch" not_an_op_in_string
expect_status 1
expect_err "read_fiel"

run -f "$T/commands.perch" effects_in_string
expect_status 1 "only pure ops inside \${...}"
expect_err "only pure ops"

# A pinned bin: the right hash runs, a wrong one is refused before running.
sh_path=$(command -v sh)
sh_real=$(readlink -f "$sh_path" 2>/dev/null || realpath "$sh_path" 2>/dev/null || echo "$sh_path")
if command -v sha256sum >/dev/null 2>&1; then
    real_hash=$(sha256sum "$sh_real" | cut -d' ' -f1)
else
    real_hash=$(shasum -a 256 "$sh_real" | cut -d' ' -f1)
fi
cat >"$T/pinned.perch" <<P
requires
    bin "sh" hash "sha256:$real_hash"
end
command run
    do
        exec "sh" "-c" "echo pinned ok"
    end
end
P
run -f "$T/pinned.perch" run
expect_status 0 "matching bin hash"
expect_out_exact "pinned ok"

cat >"$T/wrongpin.perch" <<'P'
requires
    bin "sh" hash "sha256:0000000000000000000000000000000000000000000000000000000000000000"
end
command run
    do
        exec "sh" "-c" "echo should not run"
    end
end
P
run -f "$T/wrongpin.perch" run
expect_status 1 "mismatching bin hash"
expect_err "(requirement_unmet)"
expect_err "does not match its declared hash"
expect_out_empty "nothing ran"

cat >"$T/undeclared.perch" <<'P'
requires
    bin "git"
end
command run
    do
        exec "sh" "-c" "echo should not run"
    end
end
P
run -f "$T/undeclared.perch" run
expect_status 1 "undeclared bin"
expect_err "(bin_not_declared)"

# hooks: before and after around a run, on_error with err.* bound.
cat >"$T/hooks.perch" <<'P'
hooks
    before print "hook: before"
    after print "hook: after"
    on_error print "hook: failed with ${err.kind}"
end
command good
    do
        print "body"
    end
end
command bad
    do
        fail "nope"
    end
end
P
run -f "$T/hooks.perch" good
expect_status 0 "hooks around a good run"
expect_out_exact "hook: before
body
hook: after"
run -f "$T/hooks.perch" bad
expect_status 1 "hooks around a failing run"
expect_out_exact "hook: before
hook: failed with fail"

# A mistake --check finds stops a command before its first step runs (and
# before the commands it calls), but not an unrelated command of the file.
mkdir -p "$T/pre"
cat >"$T/pre/commands.perch" <<'P'
command half
    do
        print "first step ran"
        write_file "made.txt" "x"
        helper
    end
end

command helper
    private
    do
        wasm_run "x.wasm"
            wasm_args "1"
        end
    end
end

command fine
    do
        print "fine ran"
    end
end
P
run_in "$T/pre" -f commands.perch half
expect_status 1 "a command with a checked error in what it calls"
expect_out_empty "nothing of the command ran"
expect_err "commands.perch:13:13: error: 'wasm_args' cannot appear in a 'wasm_run' block"
checks=$((checks + 1))
[ ! -e "$T/pre/made.txt" ] || fail "no file may be written before the error"
run_in "$T/pre" -f commands.perch fine
expect_status 0 "an unrelated command still runs"
expect_out_exact "fine ran"

finish
