# tests/bundle/integrity.sh: a built binary whose payload was changed or
# cut short refuses to run (exit 1, a clear message) instead of running
# something else; the footer's sizes match the file exactly.
. "$(dirname "$0")/lib.sh"

src="$T/src"
mkdir -p "$src/data"
printf 'payload text\n' >"$src/data/msg.txt"
cat >"$src/tool.perch" <<'PERCH'
name "tool"
command show
    do
        x = read_file "${script_dir}/data/msg.txt"
        print "${x}"
    end
end
PERCH
(cd "$src" && "$PERCH" --build -f tool.perch --include data -o "$T/tool" >"$T/out" 2>"$T/err")
status=$?
expect_status 0 "--build"
home="$T/home"
mkdir -p "$home"
run_clean "$T" "$home" ./tool show
expect_status 0 "the intact binary runs"
expect_out "payload text" "the intact binary runs"

size=$(file_size "$T/tool")
poff=$(footer_u64 "$T/tool" 16)
psize=$(footer_u64 "$T/tool" 24)
check '[ $((poff + psize + 80)) -eq "$size" ]' "footer: offset + payload + footer == file size"
check '[ "$poff" -eq "$(file_size "$PERCH")" ]' "footer: the payload starts where perch ends"
check '[ "$(tail -c 8 "$T/tool")" = PERCHEND ]' "footer ends with its magic"

# Tampering: one byte of the embedded program text, of a data file, and of
# the recorded hash.
for where in program data hash; do
    cp "$T/tool" "$T/bad"
    case $where in
        program) off=$(grep -abo 'msg.txt' "$T/bad" | tail -1 | cut -d: -f1) ;;
        data) off=$(grep -abo 'payload text' "$T/bad" | tail -1 | cut -d: -f1) ;;
        hash) off=$((size - 40)) ;;
    esac
    flip_byte "$T/bad" "$off"
    check '! cmp -s "$T/tool" "$T/bad"' "tampered ($where): the byte changed"
    run_clean "$T" "$home" ./bad show
    expect_status 1 "tampered ($where) is refused"
    expect_err "damaged" "tampered ($where) says why"
    expect_err "SHA-256" "tampered ($where) names the hash"
    check '! grep -q "payload text" "$T/out"' "tampered ($where) runs nothing"
done

# Truncation: the footer cut off, and payload bytes cut out of the middle.
head -c $((size - 10)) "$T/tool" >"$T/cut"
chmod +x "$T/cut"
run_clean "$T" "$home" ./cut show
expect_status 1 "truncated footer is refused"
expect_err "truncated" "truncated footer says why"
head -c $((size - 10)) "$T/tool" | head -c $((size - 90)) >"$T/cut2"
chmod +x "$T/cut2"
run_clean "$T" "$home" ./cut2 show
expect_status 1 "truncated payload (no footer) is refused"
{ head -c $((poff + 5)) "$T/tool"; tail -c 80 "$T/tool"; } >"$T/cut3"
chmod +x "$T/cut3"
run_clean "$T" "$home" ./cut3 show
expect_status 1 "payload cut, footer kept, is refused"
expect_err "truncated" "payload cut says why"
run_clean "$T" "$home" ./cut3 --version
expect_status 1 "a damaged binary refuses even --version"

# A plain perch is not mistaken for a bundle.
run_clean "$T" "$home" "$PERCH" --version
expect_status 0 "plain perch still runs"

finish
