# tests/bundle/selfcontained.sh: a small program with an import, a WASI
# module (by path and by alias) and a bundled directory, built into one
# executable, copied alone into an empty directory and run with a clean
# environment: every command prints what the unbundled run prints.
. "$(dirname "$0")/lib.sh"

: "${TOOL_WASM:=}"
if [ ! -f "$TOOL_WASM" ]; then
    echo "skip: tests/wasm tool.wasm not built ($TOOL_WASM)"
    exit 0
fi

src="$T/src"
mkdir -p "$src/lib" "$src/wasm" "$src/posts/.git" "$src/posts/node_modules" "$src/build"
cp "$TOOL_WASM" "$src/wasm/tool.wasm"
printf 'first post\n' >"$src/posts/a.md"
printf 'second post\n' >"$src/posts/b.md"
printf 'not bundled\n' >"$src/posts/.git/HEAD"
printf 'not bundled\n' >"$src/posts/node_modules/x.js"
printf 'not bundled\n' >"$src/build/junk"
cat >"$src/lib/words.perch" <<'PERCH'
command shout
    private
    arg text
        type string
        index 0
    end
    do
        print "${text}!"
    end
end
PERCH
cat >"$src/greeter.perch" <<'PERCH'
name "greeter"
version "2.0.1"
about "a bundled test program"
import "lib/words.perch"

bundle
    include "wasm/tool.wasm" as tool
    include "posts"
end

command hello
    description "Say hello"
    arg who
        type string
        index 0
        default "world"
    end
    do
        print "hello ${who}"
        shout "loud"
    end
end

command readpost
    description "Read a bundled post through a bundled module"
    do
        wasm_run "${script_dir}/wasm/tool.wasm"
            wasm_arg "read"
            wasm_arg "/ro/posts/a.md"
            wasm_mount_read "${script_dir}/posts"
        end
    end
end

command byalias
    description "Run the module by its alias"
    do
        out = wasm_run tool
            wasm_arg "read"
            wasm_arg "/ro/posts/b.md"
            wasm_mount_read "${script_dir}/posts"
        end
        print "[${out}]"
    end
end

command listposts
    description "List the bundled posts"
    do
        files = glob "${script_dir}/posts/*.md"
        for_each "${files}" f
            print "${path_base(f)}"
        end
    end
end

command where
    description "Print the bundle variables"
    do
        print "dir=${bundle_dir}"
        print "hash=${bundle_hash}"
        print "script_dir=${script_dir}"
    end
end

command test_hello_passes
    test
    do
        assert_contains "${script_dir}" "/"
    end
end
PERCH

# The unbundled runs, for comparison.
for c in hello readpost byalias listposts; do
    run "$PERCH" -f "$src/greeter.perch" $c
    expect_status 0 "unbundled $c"
    cp "$T/out" "$T/want_$c"
done
check '[ "$(cat "$T/want_hello")" = "hello world
loud!" ]' "unbundled hello output"
check 'grep -q "first post" "$T/want_readpost"' "unbundled readpost output"
check 'grep -q "^\[second post\]$" "$T/want_byalias"' "unbundled byalias output"

# Build from the program's directory with a relative -f and no -o: the
# output is named after the program.
(cd "$src" && "$PERCH" --build -f greeter.perch >"$T/out" 2>"$T/err")
status=$?
expect_status 0 "--build"
expect_err "wrote greeter" "--build names the output"
expect_err "embedded 5 files" "--build counts the files"
expect_err "wasm/tool.wasm" "--build lists the module"
expect_no_err ".git" "--build skips .git"
expect_no_err "node_modules" "--build skips node_modules"
expect_no_err "junk" "--build does not embed unrelated files"
check '[ -x "$src/greeter" ]' "the output is executable"
check '[ "$(stat -c %a "$src/greeter")" = 755 ]' "the output has mode 0755"

# Alone in an empty directory, clean environment.
run_dir="$T/run"
home="$T/home"
mkdir -p "$run_dir" "$home"
cp "$src/greeter" "$run_dir/greeter"
for c in hello readpost byalias listposts; do
    run_clean "$run_dir" "$home" ./greeter $c
    expect_status 0 "bundled $c"
    expect_same_out "$T/want_$c" "bundled $c"
done
run_clean "$run_dir" "$home" ./greeter hello Ada
expect_status 0 "bundled hello with an argument"
expect_out "hello Ada" "bundled hello with an argument"

# --help lists the commands under the program's name; --version both versions.
run_clean "$run_dir" "$home" ./greeter --help
expect_status 0 "--help"
expect_out "greeter 2.0.1: a bundled test program" "--help header"
expect_out "Usage: greeter [FLAGS] COMMAND" "--help usage"
expect_out "readpost" "--help lists commands"
run_clean "$run_dir" "$home" ./greeter hello --help
expect_status 0 "COMMAND --help"
expect_out "Usage: greeter hello [who]" "COMMAND --help names the binary"
run_clean "$run_dir" "$home" ./greeter --version
expect_status 0 "--version"
expect_out "greeter 2.0.1 (perch " "--version"
run_clean "$run_dir" "$home" ./greeter
expect_status 2 "no command"
expect_err "Commands:" "no command prints the help"
run_clean "$run_dir" "$home" ./greeter nosuch
expect_status 2 "unknown command"
expect_err "run 'greeter --help'" "unknown command names the binary"
run_clean "$run_dir" "$home" ./greeter -f x.perch hello
expect_status 2 "-f in a built binary"
run_clean "$run_dir" "$home" ./greeter test
expect_status 0 "bundled test"
expect_out "1 passed" "bundled test"

# Extracted once per hash under $HOME/.cache/perch/bundles/<hash>.
run_clean "$run_dir" "$home" ./greeter where
expect_status 0 "where"
hash=$(sed -n 's/^hash=//p' "$T/out")
bdir=$(sed -n 's/^dir=//p' "$T/out")
sdir=$(sed -n 's/^script_dir=//p' "$T/out")
check '[ ${#hash} -eq 64 ]' "bundle_hash is a SHA-256"
check '[ "$bdir" = "$home/.cache/perch/bundles/$hash" ]' "bundle_dir is in the cache"
check '[ "$sdir" = "$(cd "$bdir" && pwd -P)" ]' "script_dir is the bundle"
check '[ -f "$bdir/greeter.perch" ] && [ -f "$bdir/lib/words.perch" ] && [ -f "$bdir/posts/a.md" ]' \
    "the sources and files are extracted with their paths"
check '[ ! -e "$bdir/posts/.git" ]' ".git not extracted"
check '[ "$(ls "$home/.cache/perch/bundles" | wc -l)" -eq 1 ]' "one directory, no temporary left"
touch -d '2000-01-01' "$bdir/greeter.perch"
run_clean "$run_dir" "$home" ./greeter hello
check '[ "$(stat -c %Y "$bdir/greeter.perch")" = "$(date -d 2000-01-01 +%s)" ]' \
    "a later run reuses the extracted directory"
run_clean "$run_dir" "$home" env XDG_CACHE_HOME="$T/xdg" ./greeter where
expect_out "dir=$T/xdg/perch/bundles/$hash" "XDG_CACHE_HOME is honoured"

# A damaged extraction (a file removed) is replaced.
rm "$bdir/posts/a.md"
run_clean "$run_dir" "$home" ./greeter readpost
expect_status 0 "re-extracted after damage"
expect_same_out "$T/want_readpost" "re-extracted after damage"

# `wasm_run ALIAS` runs the embedded module from memory, not from the
# extracted copy: garbage of the same size in its place changes nothing.
size=$(stat -c %s "$bdir/wasm/tool.wasm")
head -c "$size" /dev/zero | tr '\0' 'x' >"$bdir/wasm/tool.wasm"
run_clean "$run_dir" "$home" ./greeter byalias
expect_status 0 "alias runs from memory"
expect_same_out "$T/want_byalias" "alias runs from memory"
rm "$bdir/wasm/tool.wasm"

# Concurrent first runs all succeed and leave one directory.
home2="$T/home2"
mkdir -p "$home2"
i=0
while [ $i -lt 6 ]; do
    (cd "$run_dir" && env -i HOME="$home2" PATH=/usr/bin:/bin ./greeter listposts >"$T/par$i" 2>&1) &
    i=$((i + 1))
done
wait
i=0
while [ $i -lt 6 ]; do
    check 'cmp -s "$T/want_listposts" "$T/par$i"' "concurrent run $i"
    i=$((i + 1))
done
check '[ "$(ls -A "$home2/.cache/perch/bundles" | wc -l)" -eq 1 ]' "concurrent runs: one directory"

finish
