#!/bin/sh
# block_args.sh: a block argument that only turns out bad at run time (it
# comes from ${...}) fails with a message naming the block and the value.
. "$(dirname "$0")/lib.sh"

cat >"$T/b.perch" <<'P'
command blk
    arg kind
        index 0
    end
    arg v
        index 1
    end
    do
        match "${kind}"
            case "parallel"
                parallel "${v}"
                    print "x"
                end
            case "retry"
                retry "${v}"
                    print "x"
                end
            case "backoff"
                retry 2 "${v}"
                    print "x"
                end
            case "timeout"
                timeout "${v}"
                    print "x"
                end
            case "ttl"
                cache "key" "${v}"
                    print "x"
                end
            case "key"
                cache "${v}" "1h"
                    print "x"
                end
            case "with_env"
                with_env "${v}"
                    print "x"
                end
            case "with_cwd"
                with_cwd "${v}"
                    print "x"
                end
            case "sandbox"
                sandbox "${v}"
                    print "x"
                end
        end
    end
end
P

check() {
    run -w "$1 '$2'" -f b.perch blk "$1" "$2"
    expect_status 1
    expect_out ""
    expect_err "$3"
}

check parallel 0 "b.perch:11:17: error: parallel: the limit must be a positive number, got '0' (usage)"
check retry 0 "b.perch:15:17: error: retry: attempts must be a number from 1 to 1000, got '0' (usage)"
check backoff soon "b.perch:19:17: error: retry: backoff: invalid duration 'soon': expected a number before 'soon' (usage)"
check timeout 5parsecs "b.perch:23:17: error: timeout: invalid duration '5parsecs': unknown unit 'parsecs' (use ms, s, m, h, d or w) (usage)"
check ttl bogus "b.perch:27:17: error: cache: TTL: invalid duration 'bogus': expected a number before 'bogus' (usage)"
check key "" "b.perch:31:17: error: cache: the key is empty (usage)"
check with_env NOEQ "b.perch:35:17: error: with_env: expected K=v, got 'NOEQ' (usage)"
check with_env "A B=1" "b.perch:35:17: error: with_env: invalid variable name 'A B' (usage)"
check with_cwd /nonexistent-perch-e2e "b.perch:39:17: error: with_cwd: '/nonexistent-perch-e2e' is not a directory (not_found)"
check with_cwd no-such-dir "b.perch:39:17: error: with_cwd: 'no-such-dir' (@T@/no-such-dir) is not a directory (not_found)"
check sandbox no_fun "b.perch:43:17: error: sandbox: unknown flag 'no_fun' (known: no_shell, no_network, no_subprocess, no_write) (usage)"

cat >"$T/w.perch" <<'P'
command spaced
    do
        with_env "A=b=c, B = two words ,C="
            print "[${A}] [${B}] [${C}]"
        end
    end
end
P
run -w "with_env: spaces around keys and values are layout" -f w.perch spaced
expect_status 0
expect_out "[b=c] [two words] []"
expect_err ""

finish
