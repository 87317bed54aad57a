#!/bin/sh
# exit_codes.sh: exit statuses and the stdout/stderr split.
. "$(dirname "$0")/lib.sh"

cat >"$T/commands.perch" <<'P'
command ok
    do
        print "to stdout"
    end
end

command boom
    do
        print "before"
        fail "it broke"
    end
end

command slow
    do
        timeout "300ms"
            sleep "10s"
        end
    end
end

command sleepy
    do
        sleep "10s"
    end
end

command typed
    arg n
        type int
        index 0
    end
    do
        print "n=${n}"
    end
end

command unresolved
    do
        print "value: ${nope}"
    end
end
P

run -f "$T/commands.perch" ok
expect_status 0 "ok"
expect_out_exact "to stdout" "ok"
expect_err_empty "ok"

run -f "$T/commands.perch" boom
expect_status 1 "fail"
expect_out_exact "before" "fail: stdout keeps what was printed"
expect_err "commands.perch:10:9: error: it broke (fail)" "fail: located error on stderr"

run -f "$T/commands.perch" typed abc
expect_status 2 "arg type error is a usage error"
expect_err "argument 'n'" "type error names the arg"
expect_err "'abc'" "type error names the value"
expect_out_empty "type error"

run -f "$T/commands.perch" typed
expect_status 2 "missing required arg"
expect_err "missing required argument 'n'"

run -f "$T/commands.perch" typed 7
expect_status 0 "typed ok"
expect_out_exact "n=7"

run -f "$T/commands.perch" nosuch
expect_status 2 "unknown command"

run -f "$T/commands.perch" slow
expect_status 124 "timeout block"
expect_err "(timeout)"

start=$(date +%s)
run -f "$T/commands.perch" sleepy --max-runtime 1
expect_status 2 "a flag after the command belongs to the command"
expect_err "unknown flag '--max-runtime'"
run --max-runtime 1 -f "$T/commands.perch" sleepy
expect_status 124 "--max-runtime"
end=$(date +%s)
checks=$((checks + 1))
[ $((end - start)) -lt 8 ] || fail "--max-runtime should stop the run after about a second"

run -f "$T/commands.perch" unresolved
expect_status 1 "unresolved variable"
expect_err "unresolved variable 'nope'"
expect_err "commands.perch:40"
expect_err "(unresolved_var)"

# Ctrl-C: the run stops promptly (subprocesses too) with status 130.
for cmd in sleepy; do
    "$PERCH" -f "$T/commands.perch" $cmd >"$T/out" 2>"$T/err" &
    pid=$!
    sleep 1
    kill -INT $pid
    wait $pid
    status=$?
    expect_status 130 "SIGINT"
    expect_err "(cancelled)"
done

run --no-such-flag
expect_status 2 "unknown global flag"
expect_err "unknown flag '--no-such-flag'"

run -f "$T/missing.perch" ok
expect_status 2 "missing file"
checks=$((checks + 1))
[ -s "$T/err" ] || fail "missing file should be reported"

finish
