#!/bin/sh
# staged.sh: `make install` into DESTDIR with the default and a custom PREFIX:
# the staged perch runs and reports the version; man pages, completions and
# docs land where man, bash-completion, zsh and fish look; `make uninstall`
# removes exactly what the install manifest lists, and nothing else.
. "$(dirname "$0")/lib.sh"
: "${SRC:?}" "${BIN:?}"
command -v make >/dev/null 2>&1 || skip "make is not installed"

# The manifest belongs to whoever installed from this build tree last: keep it.
manifest="$BIN/install_manifest.txt"
if [ -f "$manifest" ]; then
    cp "$manifest" "$T/manifest.saved"
    trap 'cp "$T/manifest.saved" "$manifest"; rm -rf "$T"' EXIT
else
    trap 'rm -f "$manifest"; rm -rf "$T"' EXIT
fi

stage="$T/stage"
make -s -C "$SRC" install BUILD="$BIN" JOBS=2 DESTDIR="$stage" >"$T/install.log" 2>&1
check "make install exits 0" test $? -eq 0
p="$stage/usr/local"
# What the build tree's perch (just rebuilt by make install, if at all) reports.
VERSION=$("$PERCH" --version | sed -n '1s/^perch //p')
check "built perch reports a version" test -n "$VERSION"

# The binary runs from the staging directory and says what it is.
"$p/bin/perch" --version >"$T/version" 2>&1
check "staged perch --version exits 0" test $? -eq 0
check "--version first line is 'perch VERSION'" sh -c "head -n 1 '$T/version' | grep -qxF 'perch $VERSION'"
engine=$(sed -n 's/^#define WASM_ENGINE_VERSION "\(.*\)"$/\1/p' "$SRC/src/wasm/wasm.h")
check "wasm.h defines WASM_ENGINE_VERSION" test -n "$engine"
check "--version names the engine ($engine)" contains "$T/version" "engine: $engine "
check "--version lists the features" contains "$T/version" "features: "
if [ -x "$BIN/perch-mcp" ]; then
    check "perch-mcp installed" test -x "$p/bin/perch-mcp"
    check "staged perch-mcp --version" sh -c "'$p/bin/perch-mcp' --version | grep -qF '$VERSION'"
fi

for f in share/man/man1/perch.1 share/man/man1/perch-mcp.1 share/man/man5/perch.5 \
         share/doc/perch/README.md share/doc/perch/language.md; do
    check "installed $f" test -s "$p/$f"
done
# man finds the pages under the prefix.
if command -v man >/dev/null 2>&1; then
    check "man -M finds perch(5)" sh -c "MANPATH='$p/share/man' man -w 5 perch | grep -qF '$p/share/man/man5/perch.5'"
fi

# Completions are the binary's own output, under the names each shell loads.
"$PERCH" --completions bash >"$T/c.bash"
"$PERCH" --completions zsh >"$T/c.zsh"
"$PERCH" --completions fish >"$T/c.fish"
check "bash completion" cmp "$T/c.bash" "$p/share/bash-completion/completions/perch"
check "zsh completion" cmp "$T/c.zsh" "$p/share/zsh/site-functions/_perch"
check "fish completion" cmp "$T/c.fish" "$p/share/fish/vendor_completions.d/perch.fish"
check "bash completion parses" bash -n "$p/share/bash-completion/completions/perch"

# The manifest lists every installed file, and only those.
(cd "$stage" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$T/found"
sort "$manifest" >"$T/listed"
check "manifest == files installed" cmp "$T/found" "$T/listed"
check "nothing outside the prefix" sh -c "! grep -v '^/usr/local/' '$T/found'"

# Uninstall removes those files; a file of someone else's stays.
echo keep >"$p/share/man/man1/other.1"
make -s -C "$SRC" uninstall BUILD="$BIN" DESTDIR="$stage" >"$T/uninstall.log" 2>&1
check "make uninstall exits 0" test $? -eq 0
check "uninstall leaves only the foreign file" sh -c \
    "test \"\$(cd '$stage' && find . -type f)\" = ./usr/local/share/man/man1/other.1"
check "uninstall removes share/doc/perch" test ! -e "$p/share/doc/perch"
make -s -C "$SRC" uninstall BUILD="$BIN" DESTDIR="$stage" >"$T/uninstall2.log" 2>&1
check "a second uninstall is harmless" test $? -eq 0

# PREFIX moves everything; DESTDIR still stages it.
make -s -C "$SRC" install BUILD="$BIN" JOBS=2 DESTDIR="$T/s2" PREFIX=/opt/perch >"$T/install2.log" 2>&1
check "make install PREFIX=/opt/perch" test $? -eq 0
check "binary under the prefix" test -x "$T/s2/opt/perch/bin/perch"
check "man page under the prefix" test -f "$T/s2/opt/perch/share/man/man5/perch.5"
check "staged /opt perch runs" sh -c "'$T/s2/opt/perch/bin/perch' --version | grep -qF '$VERSION'"
check "nothing but /opt/perch" sh -c "test \"\$(ls '$T/s2')\" = opt"

rm -f "$manifest"
make -s -C "$SRC" uninstall BUILD="$BIN" >"$T/uninstall3.log" 2>&1
check_not "uninstall without a manifest fails" test $? -eq 0
check "and says why" contains "$T/uninstall3.log" "no install manifest"
finish
