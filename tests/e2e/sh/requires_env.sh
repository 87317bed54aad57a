#!/bin/sh
# requires_env.sh: how `requires` and the host environment meet. A `${NAME}`
# in the body reads a host variable only when an `env` line declares it;
# a `${HOME}` inside the requires block itself is the author's and always
# works; a requires entry that cannot be read is an error naming it.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/home/data"
echo "payload" >"$T/home/data/f.txt"
HOME="$T/home"
PERCH_E2E_SECRET="s3cret"
export HOME PERCH_E2E_SECRET

cat >"$T/r.perch" <<'P'
requires
    read "${HOME}/data"
end
command read_home
    do
        x = read_file "${home}/data/f.txt"
        print "${x}"
    end
end
command leak
    do
        print "${PERCH_E2E_SECRET}"
    end
end
P
cat >"$T/bad.perch" <<'P'
requires
    read "${PERCH_E2E_NOT_SET}/data"
end
command a
    do
        x = read_file "/etc/hostname"
    end
end
P

run -w "\${HOME} inside requires needs no env line" -f r.perch read_home
expect_status 0
expect_out "payload"
expect_err ""

run -w "an undeclared host variable in the body is refused" -f r.perch leak
expect_status 1
expect_out ""
expect_err "r.perch:12:16: error: env 'PERCH_E2E_SECRET' is not declared in requires (add: env \"PERCH_E2E_SECRET\") (env_not_declared)"

run -w "a requires entry that cannot be read" -f bad.perch a
expect_status 1
expect_err "bad.perch:2:10: error: requires read \"\${PERCH_E2E_NOT_SET}/data\": unresolved variable 'PERCH_E2E_NOT_SET' (unresolved_var)"

finish
