#!/bin/sh
# requires_links.sh: `requires read/write` judge where a path really leads,
# so a symlink inside a declared directory cannot take an op outside it.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/p/sub" "$T/p/sub/real" "$T/outside"
ln -s ../../outside "$T/p/sub/out"
ln -s real "$T/p/sub/inner"
echo secret >"$T/outside/secret.txt"
cat >"$T/p/r.perch" <<'P'
requires
    write "./sub"
end
command write_through_link
    do
        write_file "${script_dir}/sub/out/escaped.txt" "x"
    end
end
command read_through_link
    do
        x = read_file "${script_dir}/sub/out/secret.txt"
        print "${x}"
    end
end
command link_inside
    do
        write_file "${script_dir}/sub/inner/ok.txt" "fine"
        x = read_file "${script_dir}/sub/real/ok.txt"
        print "${x}"
    end
end
P

run -w "write through a link leading outside" -f p/r.perch write_through_link
expect_status 1
expect_err "p/r.perch:6:9: error: write '@T@/p/sub/out/escaped.txt' leads through a symlink to '@T@/outside/escaped.txt', which is not declared in requires (write_not_declared)"
checks=$((checks + 1))
[ ! -e "$T/outside/escaped.txt" ] || fail "the file was written outside the declared directory"

run -w "read through a link leading outside" -f p/r.perch read_through_link
expect_status 1
expect_out ""
expect_err "p/r.perch:11:13: error: read '@T@/p/sub/out/secret.txt' leads through a symlink to '@T@/outside/secret.txt', which is not declared in requires (read_not_declared)"

run -w "a link that stays inside is fine" -f p/r.perch link_inside
expect_status 0
expect_out "fine"
expect_err ""

finish
