#!/bin/sh
# args.sh: positionals by index, -name=value, --name value, --flag, any
# order, --, rest arguments, type errors.
. "$(dirname "$0")/lib.sh"

cat >"$T/commands.perch" <<'P'
command show
    arg src
        type string
        index 0
    end
    arg dst
        type string
        index 1
        default "out"
    end
    arg count
        type int
        default 1
    end
    arg ratio
        type float
        default 0.5
    end
    arg verbose
        type bool
    end
    do
        print "src=${src} dst=${dst} count=${count} ratio=${ratio} verbose=${verbose}"
    end
end

command many
    arg first
        type string
        index 0
    end
    arg others
        type string
        rest
    end
    do
        for_each "${others}" o
            print "${first}:${o}"
        end
    end
end
P

run -f "$T/commands.perch" show a
expect_status 0
expect_out_exact "src=a dst=out count=1 ratio=0.5 verbose=false" "defaults"

run -f "$T/commands.perch" show --verbose -count=3 a b --ratio 2
expect_status 0
expect_out_exact "src=a dst=b count=3 ratio=2.0 verbose=true" "flags in any order"

run -f "$T/commands.perch" show --count=-2 -- --not-a-flag
expect_status 0
expect_out_exact "src=--not-a-flag dst=out count=-2 ratio=0.5 verbose=false" "-- ends flags"

run -f "$T/commands.perch" show a --count many
expect_status 2 "int type error"
expect_err "argument 'count'"
expect_err "'many'"

run -f "$T/commands.perch" show a --ratio x1
expect_status 2 "float type error"
expect_err "argument 'ratio'"

run -f "$T/commands.perch" show a --verbose=maybe
expect_status 2 "bool type error"
expect_err "argument 'verbose'"

run -f "$T/commands.perch" show a b c
expect_status 2 "too many positionals"
expect_err "unexpected argument 'c'"

run -f "$T/commands.perch" show a --colour red
expect_status 2 "unknown flag"
expect_err "unknown flag '--colour'"

run -f "$T/commands.perch" many x 1 2 3
expect_status 0
expect_out_exact "x:1
x:2
x:3" "rest"

finish
