#!/bin/sh
# scripts.sh: a .perch path as the first argument, shebang scripts, -f.
. "$(dirname "$0")/lib.sh"

cat >"$T/tool.perch" <<P
#!/usr/bin/env perch
command hello
    arg who
        type string
        index 0
        default "you"
    end
    do
        print "hello \${who} from \${script_dir}"
    end
end
P
real_t=$(cd "$T" && pwd -P)

run "$T/tool.perch" hello bob
expect_status 0 "script path as first argument"
expect_out_exact "hello bob from $real_t"

mkdir "$T/elsewhere"
run_in "$T/elsewhere" ../tool.perch hello
expect_status 0 "relative script path"
expect_out_exact "hello you from $real_t"

run "$T/tool.perch" --help
expect_status 0 "script --help"
expect_out "hello"

# Global flags between the script path and the command, as a shebang
# script passes them (`./tool.perch --trace hello`).
run "$T/tool.perch" --trace hello bob
expect_status 0 "global flag after the script path"
expect_out_exact "hello bob from $real_t" "global flag after the script path"
expect_err "print" "--trace after the script path traces"
run "$T/tool.perch" --no-write --jobs 2 hello
expect_status 0 "several global flags after the script path"
run "$T/tool.perch" --bogus hello
expect_status 2 "unknown flag after the script path"
expect_err "unknown flag '--bogus'" "unknown flag after the script path"
run "$T/tool.perch" -f "$T/tool.perch" hello
expect_status 2 "-f after a script path"
expect_err "cannot be combined" "-f after a script path"
run "$T/tool.perch" --version
expect_status 0 "--version after a script path"
expect_out "perch " "--version after a script path"

# A missing script path is named, not mistaken for a missing commands.perch.
run_in "$T/elsewhere" missing.perch hello
expect_status 2 "missing script path"
expect_err "missing.perch" "missing script path is named"
expect_no_err "no commands.perch" "missing script path"

run -f "$T/tool.perch" hello
expect_status 0 "-f"
expect_out_exact "hello you from $real_t"

# As an executable with a shebang, when perch is on PATH.
mkdir "$T/bin"
ln -s "$PERCH" "$T/bin/perch"
chmod +x "$T/tool.perch"
PATH="$T/bin:$PATH" "$T/tool.perch" hello shebang >"$T/out" 2>"$T/err"
status=$?
expect_status 0 "shebang"
expect_out_exact "hello shebang from $real_t"

# `dir` is relative to the file that declares the command, imports included.
mkdir -p "$T/proj/lib"
cat >"$T/proj/lib/tools.perch" <<'P'
command where_lib
    dir "."
    do
        print "${cwd}"
    end
end
P
cat >"$T/proj/commands.perch" <<'P'
import "lib/tools.perch"
command where_main
    dir "lib"
    do
        print "${cwd}"
    end
end
P
run_in "$T" -f proj/commands.perch where_lib
expect_status 0 "imported command with dir"
expect_out_exact "$real_t/proj/lib"
run_in "$T/elsewhere" -f ../proj/commands.perch where_main
expect_out_exact "$real_t/proj/lib" "dir relative to the main file"

finish
