#!/bin/sh
# errors.sh: a failed run names file:line:col of the failing statement (or
# of the `${...}` that failed), the message and the kind; a .perch file that
# cannot be read is an input error (exit 2), a file with errors a failure (1).
. "$(dirname "$0")/lib.sh"

cat >"$T/e.perch" <<'P'
command boom
    do
        print "x"
          fail "kaboom"
    end
end
command unresolved
    do
        print "a ${nope} b"
    end
end
command cond
    do
        if nope == "1"
            print "y"
        end
    end
end
command chained
    do
        print "ok" && fail "chained"
    end
end
command capture
    do
        x = read_file "/nonexistent/perch-e2e"
    end
end
command nested
    do
        boom
    end
end
command test_fails
    test
    do
        print "before"
        assert_eq "a" "b"
    end
end
P

run -w "fail: line and column of the statement" -f e.perch boom
expect_status 1
expect_out "x"
expect_err "e.perch:4:11: error: kaboom (fail)"

run -w "unresolved variable: column of the \${" -f e.perch unresolved
expect_status 1
expect_out ""
expect_err "e.perch:9:18: error: unresolved variable 'nope' (unresolved_var)"

run -w "condition: column of the name" -f e.perch cond
expect_status 1
expect_err "e.perch:14:12: error: unresolved variable 'nope' (unresolved_var)"

run -w "chain: column of the failing link" -f e.perch chained
expect_status 1
expect_out "ok"
expect_err "e.perch:21:23: error: chained (fail)"

run -w "capture: column of the op" -f e.perch capture
expect_status 1
expect_err "e.perch:26:13: error: read_file: cannot open '/nonexistent/perch-e2e': No such file or directory (not_found)"

run -w "called command: the failing line inside it" -f e.perch nested
expect_status 1
expect_err "e.perch:4:11: error: kaboom (fail)"

run -w "perch test: the failure's line and column" -f e.perch test
expect_status 1
expect_out_timed "✗ test_fails (DUR)
    e.perch:38:9: assert_eq: expected \"b\", got \"a\" (assertion_failed)
    output:
      before
0 passed, 1 failed in DUR."

printf 'command c\n    do\n        x = print "hi"\n    end\nend\n' >"$T/cap.perch"
run -w "capturing an op that returns nothing" -f cap.perch c
expect_status 1
expect_out ""
expect_err "cap.perch:3:13: error: 'print' has no value to capture in 'x' (it returns nothing) (usage)"

printf 'command d\n    arg n\n        type int\n        default "abc"\n    end\n    do\n        print "${n}"\n    end\nend\n' >"$T/def.perch"
run -w "a default that does not fit its type points at the default" -f def.perch d
expect_status 1
expect_out ""
expect_err "def.perch:4:17: error: the default of argument 'n' of command 'd': expected an int, got 'abc' (usage)"

printf 'command c\n    do\n        if mkdir "x"\n            print "made"\n        end\n    end\nend\n' >"$T/cond.perch"
run -w "an op that returns nothing as a condition" -f cond.perch c
expect_status 1
expect_out ""
expect_err "cond.perch:3:12: error: 'mkdir' returns nothing, so it cannot be a condition (usage)"
checks=$((checks + 1))
[ ! -e "$T/x" ] || fail "the op ran although it cannot be a condition"

run -w "missing -f file: exit 2" -f missing.perch boom
expect_status 2
expect_out ""
expect_err "missing.perch: error: cannot open 'missing.perch': No such file or directory"

run -w "missing -f file with --check: exit 2" -f missing.perch --check
expect_status 2
expect_err "missing.perch: error: cannot open 'missing.perch': No such file or directory"

mkdir "$T/dir.perch"
run -w "a directory as the file: exit 2" -f dir.perch boom
expect_status 2
expect_err "dir.perch: error: 'dir.perch' is a directory"

printf 'command x\n    do\n        print "a"\n' >"$T/bad.perch"
run -w "a file with errors: exit 1" -f bad.perch x
expect_status 1
expect_err_has "bad.perch:1:1: error: missing 'end' for 'command' opened here"

finish
