#!/bin/sh
# limits.sh: hostile surroundings: a file size limit (ulimit -f) stops a
# write with a clear error and leaves the old file whole, with no temporary
# file behind; children still get the default SIGXFSZ; binary files and
# deep nesting are reported with file:line:col, unreadable files by name;
# SIGTERM stops the program perch runs too.
. "$(dirname "$0")/lib.sh"

cat >"$T/commands.perch" <<'P'
command write
    arg path
        index 0
    end
    arg size
        index 1
    end
    do
        data = shell_output "head -c ${size} /dev/zero | tr '\\0' x"
        write_file "${path}" "${data}"
        print "wrote"
    end
end

command child_write
    arg path
        index 0
    end
    do
        try_shell "head -c 400000 /dev/zero > '${path}'"
        print "after child"
    end
end
P

mkdir "$T/data"
echo "old contents" >"$T/data/keep.txt"

# 100 blocks of 512 bytes: 51200 bytes at most.
status=0
(ulimit -f 100 && "$PERCH" -f "$T/commands.perch" write "$T/data/keep.txt" 200000 \
    >"$T/out" 2>"$T/err" </dev/null) || status=$?
expect_status 1 "a write past the file size limit is an error, not a signal"
expect_err "commands.perch:10:9: error: write_file: cannot write '$T/data/keep.txt': File too large (io)"
checks=$((checks + 1))
[ "$(cat "$T/data/keep.txt")" = "old contents" ] || fail "the old file must stay whole"
checks=$((checks + 1))
[ "$(ls -A "$T/data")" = "keep.txt" ] || fail "no temporary file is left behind: $(ls -A "$T/data")"

status=0
(ulimit -f 100 && "$PERCH" -f "$T/commands.perch" write "$T/data/keep.txt" 20 \
    >"$T/out" 2>"$T/err" </dev/null) || status=$?
expect_status 0 "a write under the limit works"
checks=$((checks + 1))
[ "$(cat "$T/data/keep.txt")" = "xxxxxxxxxxxxxxxxxxxx" ] || fail "the new contents are written"

# A child process past the limit gets the default SIGXFSZ, as it would from a shell.
status=0
(ulimit -f 100 && "$PERCH" -f "$T/commands.perch" child_write "$T/data/big" \
    >"$T/out" 2>"$T/err" </dev/null) || status=$?
expect_status 0
expect_out "after child"
checks=$((checks + 1))
[ "$(wc -c <"$T/data/big")" -eq 51200 ] || fail "the child stops at the limit"

# Binary garbage: a NUL byte is named with its place.
printf 'command go\n    do\n  \000 print "a"\n    end\nend\n' >"$T/bin.perch"
run -f "$T/bin.perch" go
expect_status 1
expect_err "bin.perch:3:3: error: '$T/bin.perch' contains a NUL byte: not a text file"

# Deep nesting stops at the limit with a location, no crash.
{
    printf 'command go\n    do\n'
    i=0
    while [ $i -lt 200 ]; do echo "if true"; i=$((i + 1)); done
    echo 'print "deep"'
    i=0
    while [ $i -lt 200 ]; do echo "end"; i=$((i + 1)); done
    printf '    end\nend\n'
} >"$T/deep.perch"
run -f "$T/deep.perch" go
expect_status 1
expect_err "deep.perch:67:1: error: blocks nested too deeply (at most 64 levels)"

# `kill PID` (SIGTERM) stops perch and the program it runs: exit 143, no orphan.
cat >"$T/slow.perch" <<'P'
command slow
    arg dir
        index 0
    end
    do
        shell "echo \$\$ > '${dir}/child.pid'; exec sleep 30"
    end
end
P
"$PERCH" -f "$T/slow.perch" slow "$T" >"$T/out" 2>"$T/err" </dev/null &
perch_pid=$!
i=0
while [ ! -s "$T/child.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$perch_pid"
status=0
wait "$perch_pid" || status=$?
expect_status 143 "SIGTERM exits as a shell reports it"
expect_err "was interrupted (cancelled)"
checks=$((checks + 1))
child=$(cat "$T/child.pid")
sleep 0.2
if kill -0 "$child" 2>/dev/null; then
    kill "$child"
    fail "the child $child outlived perch"
fi

# A file that cannot be read is named without a made-up position.
run -f "$T/missing.perch" go
expect_status 2
expect_err "$T/missing.perch: error: cannot open '$T/missing.perch': No such file or directory"
expect_no_err ":0:0:" "no line 0, column 0"
run -f "$T/data" go
expect_status 2
expect_err "$T/data: error: '$T/data' is a directory"
run -f "$T/missing.perch" --check
expect_status 2
expect_err "$T/missing.perch: error: cannot open"

finish
