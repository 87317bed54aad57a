# tests/bundle/rebuild.sh: building is deterministic, a built binary can
# build (its own payload is stripped first: no nesting), and the size
# overhead is the payload plus the footer only.
. "$(dirname "$0")/lib.sh"

src="$T/src"
mkdir -p "$src/data/deep"
printf 'one\n' >"$src/data/one.txt"
printf 'two\n' >"$src/data/deep/two.txt"
cat >"$src/app.perch" <<'PERCH'
name "app"
version "0.3"
command count
    do
        files = glob "${script_dir}/data/**/*.txt"
        for_each "${files}" f
            x = read_file "${f}"
            print "${x}"
        end
    end
end
PERCH

(cd "$src" && "$PERCH" --build -f app.perch --include data -o "$T/app1" >"$T/out" 2>"$T/err")
status=$?
expect_status 0 "first build"
(cd "$src" && "$PERCH" --build -f app.perch --include data -o "$T/app1b" >"$T/out" 2>"$T/err")
check 'cmp -s "$T/app1" "$T/app1b"' "two builds of the same files are identical"

# Overhead: the built binary is perch + payload + 80-byte footer, and the
# payload is the files' bytes plus 16 bytes and the path per entry.
perch_size=$(file_size "$PERCH")
size=$(file_size "$T/app1")
psize=$(footer_u64 "$T/app1" 24)
check '[ "$size" -eq $((perch_size + psize + 80)) ]' "size == perch + payload + footer"
files_bytes=$(( $(file_size "$src/app.perch") + 4 + 4 ))
names_bytes=$((9 + 12 + 17)) # app.perch, data/one.txt, data/deep/two.txt
check '[ "$psize" -eq $((files_bytes + names_bytes + 3 * 16)) ]' \
    "payload == file bytes + paths + 16 bytes per entry"

# Build again from the built binary: same bytes (the old payload is not
# nested inside the new one).
(cd "$src" && "$T/app1" --build -f app.perch --include data -o "$T/app2" >"$T/out" 2>"$T/err")
status=$?
expect_status 0 "build from a built binary"
check 'cmp -s "$T/app1" "$T/app2"' "building from a built binary gives the same file"

# A changed file changes the payload and its hash; the new binary replaces
# the old one atomically, through a temporary file that does not remain.
printf 'three\n' >"$src/data/three.txt"
(cd "$src" && "$T/app1" --build -f app.perch --include data -o "$T/app2" >"$T/out" 2>"$T/err")
status=$?
expect_status 0 "rebuild over an existing output"
check '! cmp -s "$T/app1" "$T/app2"' "a new file changes the binary"
check '[ "$(ls -A "$T" | grep -c "\.build\.")" -eq 0 ]' "no temporary file left beside the output"
home="$T/home"
mkdir -p "$home"
run_clean "$T" "$home" ./app2 count
expect_status 0 "the rebuilt binary runs"
expect_out "three" "the rebuilt binary has the new file"
run_clean "$T" "$home" ./app1 count
expect_status 0 "the first binary still runs its own files"
check '! grep -q three "$T/out"' "the first binary does not see the new file"
check '[ "$(ls "$home/.cache/perch/bundles" | wc -l)" -eq 2 ]' "one extraction per payload hash"

# An include named through a symlink to the program's directory is inside it.
ln -s "$src" "$T/link"
(cd "$src" && "$PERCH" --build -f app.perch --include "$T/link/data" -o "$T/app3" >"$T/out" 2>"$T/err")
status=$?
expect_status 0 "an include through a symlink"
expect_err "data/one.txt" "an include through a symlink keeps its path"

# Building inside the directory being included never embeds the output.
(cd "$src" && "$PERCH" --build -f app.perch --include . -o app >"$T/out" 2>"$T/err")
status=$?
expect_status 0 "build with --include ."
(cd "$src" && "$PERCH" --build -f app.perch --include . -o app >"$T/out" 2>"$T/err")
status=$?
expect_status 0 "build again with the output present"
check '! grep -q "  app$" "$T/err"' "the output itself is not embedded"
check '[ "$(file_size "$src/app")" -lt $((perch_size + 4096)) ]' "the output does not grow"

finish
