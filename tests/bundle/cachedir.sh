# tests/bundle/cachedir.sh: a built binary never trusts an extraction
# directory someone else could have filled. The extracted files are the
# program's data and modules (read_file / wasm_run "${script_dir}/..."), so a
# cache root writable by others (a squatted /tmp/perch-bundles-UID, a chmod
# 777 cache) or a symlink planted in place of an extracted file must not be
# used, even when every size matches.
. "$(dirname "$0")/lib.sh"

src="$T/src"
mkdir -p "$src/data"
printf 'genuine\n' >"$src/data/word.txt"
cat >"$src/app.perch" <<'PERCH'
name "app"
bundle
    include "data"
end

command word
    do
        w = read_file "${script_dir}/data/word.txt"
        print "word=${w}"
        print "dir=${bundle_dir}"
    end
end
PERCH
run "$PERCH" --build -f "$src/app.perch" -o "$T/app"
expect_status 0 "build"
run_dir="$T/run"
mkdir -p "$run_dir" "$T/tmp"
cp "$T/app" "$run_dir/app"

# A first run in a private cache, for the hash. (Not "home": run_clean sets
# that variable.)
priv_home="$T/home"
mkdir -p "$priv_home"
run_clean "$run_dir" "$priv_home" ./app word
expect_status 0 "first run"
expect_out "word=genuine" "first run"
bdir=$(sed -n 's/^dir=//p' "$T/out")
hash=$(basename "$bdir")
check '[ "$bdir" = "$priv_home/.cache/perch/bundles/$hash" ]' "extracted in the cache"
check '[ "$(stat -c %a "$priv_home/.cache/perch/bundles")" = 700 ]' \
    "a new cache root is private (0700)"

# A cache root writable by others, holding a planted directory with the
# right name and sizes: not used; the binary extracts into its private
# fallback under TMPDIR instead.
evil="$T/evil"
mkdir -p "$evil/.cache/perch/bundles/$hash/data"
cp "$src/app.perch" "$evil/.cache/perch/bundles/$hash/app.perch"
printf 'planted\n' >"$evil/.cache/perch/bundles/$hash/data/word.txt"
chmod 0777 "$evil/.cache/perch/bundles"
run_clean "$run_dir" "$evil" env TMPDIR="$T/tmp" ./app word
expect_status 0 "world-writable cache root"
expect_out "word=genuine" "a world-writable cache root is not trusted"
expect_no_err "planted" "a world-writable cache root is not trusted"
check '[ "$(sed -n "s/^dir=//p" "$T/out")" != "$evil/.cache/perch/bundles/$hash" ]' \
    "the planted directory is not the bundle directory"

# The same squatted root as the only choice (no private fallback either):
# a clear error, nothing planted is run.
chmod 0777 "$T/tmp"
mkdir -p "$T/tmp/perch-bundles-$(id -u)/$hash/data"
cp "$src/app.perch" "$T/tmp/perch-bundles-$(id -u)/$hash/app.perch"
printf 'planted\n' >"$T/tmp/perch-bundles-$(id -u)/$hash/data/word.txt"
chmod 0777 "$T/tmp/perch-bundles-$(id -u)"
run_clean "$run_dir" "$evil" env TMPDIR="$T/tmp" ./app word
expect_status 1 "no trustworthy directory"
expect_no_err "planted" "no trustworthy directory"
check '! grep -q planted "$T/out"' "nothing planted is printed"
expect_err "writable by others" "says why"

# In the private cache, an extracted file replaced by a symlink (to a file of
# the same size) is damage: the directory is extracted again.
printf 'planted\n' >"$T/decoy.txt"
rm "$bdir/data/word.txt"
ln -s "$T/decoy.txt" "$bdir/data/word.txt"
run_clean "$run_dir" "$priv_home" ./app word
expect_status 0 "symlinked file"
expect_out "word=genuine" "a symlink in place of an extracted file is not followed"
check '[ -f "$bdir/data/word.txt" ] && [ ! -L "$bdir/data/word.txt" ]' \
    "the symlink is replaced by the extracted file"

# A bundle directory writable by others is not reused either.
chmod 0777 "$bdir/data"
printf 'planted\n' >"$bdir/data/word.txt"
chmod 0777 "$bdir"
run_clean "$run_dir" "$priv_home" ./app word
expect_status 0 "group/world-writable bundle directory"
expect_out "word=genuine" "a bundle directory writable by others is extracted again"

finish
