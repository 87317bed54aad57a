#!/bin/sh
# help.sh: --help, COMMAND --help, --version, perch help [OP], did-you-mean.
. "$(dirname "$0")/lib.sh"

cat >"$T/commands.perch" <<'P'
name "tool"
about "Builds things"
version "1.2.3"

command build
    description "Build the project"
    arg target
        type string
        index 0
        description "What to build"
    end
    arg jobs
        type int
        default 4
        description "Parallel jobs"
    end
    arg release
        type bool
        description "Optimise"
    end
    do
        print "building ${target} with ${jobs} jobs release=${release}"
    end
end

command deploy
    description "Ship it"
    do
        print "deploying"
    end
end

command gather
    arg first
        type string
        index 0
    end
    arg more
        rest
    end
    arg quiet
        type bool
    end
    do
        print "gathered ${first} ${more}"
    end
end

command internal_step
    private
    do
        print "secret"
    end
end

command test_something
    test
    do
        print "testing"
    end
end
P

run -f "$T/commands.perch" --help
expect_status 0 "--help"
expect_out "tool 1.2.3: Builds things"
expect_out "Usage: perch [FLAGS] COMMAND [ARGS]"
expect_out "build" "--help lists build"
expect_out "Build the project" "--help shows descriptions"
expect_out "deploy"
expect_out "Ship it"
expect_no_out "internal_step" "--help hides private commands"
expect_no_out "test_something" "--help hides tests"
expect_err_empty "--help"

run -f "$T/commands.perch" build --help
expect_status 0 "CMD --help"
expect_out "Usage: perch build <target> [--jobs <int>] [--release]"
expect_out "Build the project"
expect_out "What to build"
expect_out "default: 4"
expect_out "Parallel jobs"
expect_out "bool"

# A rest argument takes zero or more values: optional in the usage line and
# never marked required. No help line ends in spaces.
run -f "$T/commands.perch" gather --help
expect_status 0 "CMD --help with a rest argument"
expect_out "Usage: perch gather <first> [more...] [--quiet]" "rest argument is optional"
grep -q "^  more .*required" "$T/out" && fail "rest argument listed as required"
checks=$((checks + 1))
run -f "$T/commands.perch" gather one
expect_status 0 "a rest argument may be empty"
for h in "--help" "build --help" "gather --help" "deploy --help"; do
    # shellcheck disable=SC2086
    run -f "$T/commands.perch" $h
    grep -q " $" "$T/out" && fail "$h: a line ends in spaces"
    checks=$((checks + 1))
done

run --version
expect_status 0 "--version"
expect_out "perch "

run help
expect_status 0 "perch help"
expect_out "write_file"
expect_out "sha256_file"

run help sha256_file
expect_status 0 "perch help OP"
expect_out "sha256_file PATH"
expect_out "returns: string"

run help sha256_fil
expect_status 2 "perch help unknown op"
expect_err "did you mean 'sha256_file'?"

# perch help NAME covers the language, not only ops: every block and
# declaration has a usage line and an example.
for name in wasm_run parallel timeout cache sandbox retry with_env with_cwd pipe \
    for_each if elif else match case try rescue finally fail os arch \
    wasm_arg wasm_env wasm_mount_read wasm_mount_write wasm_clock wasm_random \
    wasm_allow_host command template catch import requires bundle hooks arg do \
    description private proxy_args require_os require_arch dir env test test_timeout \
    test_allow_shell test_keep_cwd type default optional index rest bin host read \
    write include before after on_error name about version binding; do
    run help "$name"
    expect_status 0 "perch help $name"
    expect_out "example:" "perch help $name"
    expect_err_empty "perch help $name"
done
run help timeout
expect_out_exact 'timeout "DURATION" ... end
  kind: Execution blocks (in bodies)
  a deadline for the body: running modules are interrupted and subprocesses stopped
  (kind timeout)
  example:
    timeout "30s"
        shell "make test"
    end' "perch help timeout"
run help wasm_mount_write
expect_out 'wasm_mount_write "HOST_PATH" [at "/GUEST"]' "perch help wasm_mount_write"
expect_out "no_write" "perch help wasm_mount_write"
# A word with two meanings prints both.
run help env
expect_status 0 "perch help env"
expect_out 'env KEY "VALUE"' "perch help env: the command setting"
expect_out 'env "NAME"...' "perch help env: the requires entry"
# Several names at once, and a typo of a block.
run help parallel print
expect_status 0 "perch help BLOCK OP"
expect_out "parallel [N] ... end"
expect_out "returns:"
run help wasm_rn
expect_status 2 "perch help unknown block"
expect_err "did you mean 'wasm_run'?"
expect_out_empty "perch help unknown block"
# Without a name: ops, then the language grouped.
run help
expect_out "Execution blocks (in bodies):" "perch help lists blocks"
expect_out "wasm_run declarations (inside wasm_run ... end):" "perch help lists wasm_*"
expect_out "Top-level declarations:" "perch help lists declarations"
expect_out "  sandbox   sandbox \"FLAGS\" ... end" "perch help lists sandbox with its usage"

run -f "$T/commands.perch" biuld
expect_status 2 "unknown command"
expect_err "unknown command 'biuld'; did you mean 'build'?"
expect_out_empty "unknown command"

run -f "$T/commands.perch" zzzzzzzz
expect_status 2
expect_no_err "did you mean" "no suggestion when nothing is close"

run --completions bash
expect_status 0 "bash completions"
expect_out "complete -F _perch perch"
run --completions zsh
expect_status 0
expect_out "#compdef perch"
run --completions fish
expect_status 0
expect_out "complete -c perch"
run --completions tcsh
expect_status 2

# The bash script really completes the commands of the file in the cwd.
if command -v bash >/dev/null 2>&1; then
    mkdir -p "$T/bin"
    ln -sf "$PERCH" "$T/bin/perch"
    got=$(cd "$T" && PATH="$T/bin:$PATH" bash -c \
        'eval "$(perch --completions bash)"; COMP_WORDS=(perch de); COMP_CWORD=1; _perch; echo "${COMPREPLY[*]}"')
    checks=$((checks + 1))
    [ "$got" = "deploy" ] || { status=0; fail "bash completion of 'de' gave '$got'"; }
fi

run -f "$T/commands.perch" --list-commands
expect_out_exact "build
deploy
gather" "--list-commands: public commands only"

# No file at all: usage, and a clear message for a command.
E=$(mktemp -d "${TMPDIR:-/tmp}/perch-cli-empty-XXXXXX")
run_in "$E" --help
expect_status 0 "--help without a file"
expect_out "Usage: perch"
run_in "$E" build
expect_status 2 "no commands.perch"
expect_err "no commands.perch"
rmdir "$E"

# The nearest commands.perch upward is used.
mkdir -p "$T/a/b/c"
run_in "$T/a/b/c" deploy
expect_status 0 "commands.perch found in a parent directory"
expect_out_exact "deploying"

finish
