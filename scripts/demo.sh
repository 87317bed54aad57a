#!/bin/sh
# scripts/demo.sh BUILD_DIR: the `make demo` walk-through.
#
# 1. A small example end to end: a commands.perch with bindings, args,
#    loops, try/rescue, parallel and its own tests, run through the CLI.
# 2. Walkthrough 1 of the user guide (examples/01-frontmatter), when the
#    wasm_run block is available in this build.
set -u
BUILD=${1:-build/release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PERCH="$ROOT/$BUILD/perch"
case "$BUILD" in /*) PERCH="$BUILD/perch" ;; esac
if [ ! -x "$PERCH" ]; then
    echo "demo: $PERCH not found; build first (make build)" >&2
    exit 1
fi

DEMO=$(mktemp -d "${TMPDIR:-/tmp}/perch-demo-XXXXXX")
trap 'rm -rf "$DEMO"' EXIT

cat >"$DEMO/commands.perch" <<'P'
name "demo"
about "A small tour of perch"

GREETING = "hello"

command greet
    description "Greet someone"
    arg who
        type string
        index 0
        default "world"
        description "Who to greet"
    end
    arg times
        type int
        default 1
    end
    do
        for_each "${upper(who)}\n${who}" name
            print "${GREETING}, ${name}!"
        end
        if times > 1
            print "(asked for ${times} greetings)"
        end
    end
end

command files
    description "Write, hash and list files in a scratch directory"
    do
        dir = mktemp_dir
        parallel
            write_file "${dir}/a.txt" "alpha"
            write_file "${dir}/b.txt" "beta"
        end
        listing = glob "${dir}/*.txt"
        for_each "${listing}" f
            print "${path_base(f)} ${sha256_file(f)}"
        end
        try
            read_file "${dir}/missing.txt"
        rescue
            print "rescued ${err.kind} from ${err.op}"
        end
        rm "${dir}"
    end
end

command test_greet_mentions_the_name
    test
    do
        out = greet "perch"
        assert_contains "${out}" "hello, perch!"
        assert_contains "${out}" "hello, PERCH!"
    end
end
P

step() {
    printf '\n$ %s\n' "$*"
}

echo "== a small example ($DEMO/commands.perch)"
cd "$DEMO" || exit 1
step perch --help
"$PERCH" --help || exit 1
step perch greet --help
"$PERCH" greet --help || exit 1
step perch greet perch --times 2
"$PERCH" greet perch --times 2 || exit 1
step perch files
"$PERCH" files || exit 1
step perch test
"$PERCH" test || exit 1
step perch greet --times lots
"$PERCH" greet --times lots
echo "(exit status $?: a usage error)"

WT="$ROOT/examples/01-frontmatter"
if [ -f "$WT/docs-ci.perch" ]; then
    echo
    echo "== walkthrough 1: markdown frontmatter validator (examples/01-frontmatter)"
    cd "$WT" || exit 1
    step perch -f docs-ci.perch --help
    "$PERCH" -f docs-ci.perch --help
    step perch -f docs-ci.perch validate_one welcome.md
    "$PERCH" -f docs-ci.perch validate_one welcome.md
    echo "(exit status $?)"
    step perch -f docs-ci.perch validate_all
    "$PERCH" -f docs-ci.perch validate_all
    echo "(exit status $?: the module's exit code; a post with missing fields fails the run)"
    step perch -f docs-ci.perch validate_all_parallel
    "$PERCH" -f docs-ci.perch validate_all_parallel
    echo "(exit status $?)"
    step perch -f docs-ci.perch test
    "$PERCH" -f docs-ci.perch test
fi
exit 0
