#!/bin/sh
# check.sh: --check prints diagnostics as file:line:col and exits 1 on errors.
. "$(dirname "$0")/lib.sh"

cat >"$T/good.perch" <<'P'
command hello
    do
        print "hi"
    end
end
P

cat >"$T/bad.perch" <<'P'
command hello
    do
        print "unterminated
    end
end
P

cat >"$T/unknown_op.perch" <<'P'
command hello
    do
        pritn "typo"
    end
end
P

run -f "$T/good.perch" --check
expect_status 0 "good file"
expect_out_empty "--check prints nothing on stdout"

run -f "$T/bad.perch" --check
expect_status 1 "parse error"
expect_err "bad.perch:3:"
expect_err "error:"
expect_out_empty "diagnostics go to stderr"

run -f "$T/unknown_op.perch" --check
expect_status 1 "unknown op"
expect_err "unknown_op.perch:3:"
expect_err "pritn"

# Running a file that does not parse fails with the diagnostics too.
run -f "$T/bad.perch" hello
expect_status 1 "running a broken file"
expect_err "bad.perch:3:"

finish
