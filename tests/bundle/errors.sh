# tests/bundle/errors.sh: what --build refuses, with a clear message and
# without leaving anything behind.
. "$(dirname "$0")/lib.sh"

src="$T/proj"
mkdir -p "$src/lib" "$T/outside"
printf 'x\n' >"$T/outside/secret.txt"
cat >"$src/ok.perch" <<'PERCH'
name "ok"
command hi
    do
        print "hi"
    end
end
PERCH

# A missing --include.
run_in_src() { (cd "$src" && "$PERCH" "$@" >"$T/out" 2>"$T/err" </dev/null); status=$?; }
run_in_src --build -f ok.perch --include nowhere -o "$T/o1"
expect_status 1 "missing include"
expect_err "include 'nowhere': no such file or directory" "missing include"
check '[ ! -e "$T/o1" ]' "nothing written for a missing include"
check '[ -z "$(ls -A "$T" | grep "\.build\.")" ]' "no temporary left"

# An include outside the program's directory.
run_in_src --build -f ok.perch --include ../outside -o "$T/o2"
expect_status 1 "include outside"
expect_err "outside the program's directory" "include outside"
check '[ ! -e "$T/o2" ]' "nothing written for an include outside"

# A bundle block naming a missing file points at its line.
cat >"$src/blk.perch" <<'PERCH'
name "blk"
bundle
    include "missing.wasm" as m
end
command hi
    do
        print "hi"
    end
end
PERCH
run_in_src --build -f blk.perch -o "$T/o3"
expect_status 1 "bundle include missing"
expect_err "blk.perch:3" "bundle include missing: the line"
expect_err "missing.wasm" "bundle include missing: the name"

# An import outside the program's directory.
printf 'command shared\n    do\n        print "s"\n    end\nend\n' >"$T/outside/shared.perch"
printf 'import "../outside/shared.perch"\ncommand hi\n    do\n        shared\n    end\nend\n' \
    >"$src/imp.perch"
run_in_src --build -f imp.perch -o "$T/o4"
expect_status 1 "import outside"
expect_err "outside the program's directory" "import outside"

# A program that does not load: its diagnostics, exit 1.
printf 'command broken\n    do\n        print "x\n' >"$src/bad.perch"
run_in_src --build -f bad.perch -o "$T/o5"
expect_status 1 "a program that does not load"
expect_err "bad.perch:" "diagnostics name the file"
check '[ ! -e "$T/o5" ]' "nothing written for a broken program"

# No .perch file at all; words after the flags; an output that is a directory.
mkdir -p "$T/empty"
(cd "$T/empty" && "$PERCH" --build -o x >"$T/out" 2>"$T/err" </dev/null)
status=$?
expect_status 2 "no .perch file"
expect_err "no .perch file" "no .perch file"
run_in_src --build -f ok.perch -o "$T/o6" hi
expect_status 2 "a command after --build"
expect_err "unexpected 'hi'" "a command after --build"
mkdir -p "$T/adir"
run_in_src --build -f ok.perch -o "$T/adir"
expect_status 2 "output is a directory"
expect_err "is a directory" "output is a directory"

# commands.perch is found as usual, and the output defaults to the name.
cp "$src/ok.perch" "$src/commands.perch"
mkdir -p "$src/sub"
(cd "$src/sub" && "$PERCH" --build >"$T/out" 2>"$T/err" </dev/null)
status=$?
expect_status 0 "--build with commands.perch found upward"
check '[ -x "$src/sub/ok" ]' "default output: the program's name, in the cwd"

# --include is relative to the current directory; the path inside the bundle
# is relative to the .perch file.
mkdir -p "$src/assets"
printf 'a\n' >"$src/assets/a.txt"
(cd "$T" && "$PERCH" --build -f proj/ok.perch --include proj/assets -o "$T/o7" >"$T/out" 2>"$T/err" </dev/null)
status=$?
expect_status 0 "--include from another directory"
expect_err "  assets/a.txt" "--include keeps the path relative to the .perch file"
expect_no_err "proj/assets" "--include keeps the path relative to the .perch file"

# -o naming one of the files to embed: refused, the file left as it was. The
# program's own source, an imported file, a bundle include, a file met while
# walking an included directory.
mkdir -p "$src/data" "$src/wasm"
printf 'command helper\n    do\n        print "h"\n    end\nend\n' >"$src/lib/helpers.perch"
printf 'keep me\n' >"$src/data/notes.txt"
printf 'module bytes\n' >"$src/wasm/m.wasm"
cat >"$src/self.perch" <<'PERCH'
name "self"
import "lib/helpers.perch"
bundle
    include "wasm/m.wasm" as m
end
command hi
    do
        print "hi"
    end
end
PERCH
cp "$src/self.perch" "$T/self.perch.orig"
for o in self.perch lib/helpers.perch wasm/m.wasm data/notes.txt; do
    cp "$src/$o" "$T/before"
    run_in_src --build -f self.perch --include data -o "$o"
    expect_status 2 "-o $o (an input)"
    expect_err "writing it would destroy that file" "-o $o (an input)"
    check 'cmp -s "$T/before" "$src/$o"' "-o $o: the file is unchanged"
done
check '[ -z "$(find "$src" -name "*.build.*")" ]' "-o an input: no temporary left"
# An earlier build inside an included directory is not an input: rebuilding
# over it works, and it is not embedded.
run_in_src --build -f self.perch --include data -o data/self-tool
expect_status 0 "first build into an included directory"
run_in_src --build -f self.perch --include data -o data/self-tool
expect_status 0 "rebuild over an earlier build in an included directory"
expect_no_err "  data/self-tool" "the earlier build is not embedded"

# An empty -o, and an output in a directory that does not exist: clear
# messages naming the output.
run_in_src --build -f ok.perch -o ""
expect_status 2 "empty -o"
expect_err "-o needs a file name" "empty -o"
run_in_src --build -f ok.perch -o "$T/nowhere/tool"
expect_status 1 "output in a missing directory"
expect_err "cannot write the output '$T/nowhere/tool'" "output in a missing directory"

finish
