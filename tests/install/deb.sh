#!/bin/sh
# deb.sh: the Debian package (CPack DEB, what `make deb` builds) declares the
# packages of every shared library perch links, installs cleanly with
# `apt-get install ./perch_*.deb`, puts perch, perch-mcp, the man pages and
# the completions in /usr, reports the build's version, and is removed
# cleanly. It changes the system, so it runs only as root with apt, and only
# when no perch is installed already; otherwise it is skipped.
. "$(dirname "$0")/lib.sh"
: "${BIN:?}"
[ "$(id -u)" = 0 ] || skip "not root"
for tool in apt-get dpkg dpkg-deb cpack objdump; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not available"
done
dpkg -s perch >/dev/null 2>&1 && skip "a perch package is installed already"
[ -e /usr/bin/perch ] && skip "/usr/bin/perch exists already"

# Build first: the build may reconfigure (new version); cpack then reads the new config.
cmake --build "$BIN" --target perch_installables >"$T/build.log" 2>&1
check "perch_installables builds" test $? -eq 0
(cd "$BIN" && cpack -G DEB -B "$T/pkg") >"$T/cpack.log" 2>&1
check "cpack -G DEB exits 0" test $? -eq 0
deb=$(ls "$T"/pkg/perch_*.deb 2>/dev/null | head -n 1)
check "a perch_*.deb was written" test -n "$deb"
[ -n "$deb" ] || finish

# Version: PERCH_VERSION_STRING, spelled for dpkg.
version=$("$PERCH" --version | sed -n '1s/^perch //p')
deb_version=$(printf '%s' "$version" | sed 's/[^A-Za-z0-9.+~]/./g')
check "package version is perch's ($deb_version)" \
    test "$(dpkg-deb -f "$deb" Version)" = "$deb_version"
check "package name" test "$(dpkg-deb -f "$deb" Package)" = perch
depends=$(dpkg-deb -f "$deb" Depends)
for pkg in libc6 libjansson4 libssl3 libcurl4; do
    check "Depends names $pkg" sh -c "printf '%s' '$depends' | grep -qw '$pkg'"
done

# Every library the packaged binaries need belongs to a package in Depends.
dpkg-deb -x "$deb" "$T/root"
for exe in "$T/root/usr/bin/perch" "$T/root/usr/bin/perch-mcp"; do
    [ -f "$exe" ] || continue
    for lib in $(objdump -p "$exe" | awk '$1 == "NEEDED" { print $2 }'); do
        path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
        owner=$(dpkg -S "$path" 2>/dev/null | head -n 1 | sed 's/[:,].*//')
        if [ -z "$owner" ] && [ -n "$path" ]; then
            # /lib is a symlink to /usr/lib on merged-/usr systems.
            owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | sed 's/[:,].*//')
        fi
        check "${exe##*/}: $lib comes from a package" test -n "$owner"
        check "${exe##*/}: $lib's package ($owner) is in Depends" \
            sh -c "printf '%s' '$depends' | grep -qw -- '$owner'"
    done
done

# Install, use, remove.
trap 'DEBIAN_FRONTEND=noninteractive apt-get remove -y perch >/dev/null 2>&1; rm -rf "$T"' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" >"$T/apt.log" 2>&1
check "apt-get install ./perch_*.deb exits 0" test $? -eq 0
check "dpkg says installed" sh -c "dpkg -s perch | grep -q '^Status: install ok installed'"
/usr/bin/perch --version >"$T/version" 2>&1
check "/usr/bin/perch --version exits 0" test $? -eq 0
check "/usr/bin/perch reports the version" sh -c "head -n 1 '$T/version' | grep -qxF 'perch $version'"
check "/usr/bin/perch-mcp runs" sh -c "/usr/bin/perch-mcp --version | grep -qF '$version'"
for f in /usr/share/man/man1/perch.1 /usr/share/man/man1/perch-mcp.1 /usr/share/man/man5/perch.5 \
         /usr/share/bash-completion/completions/perch /usr/share/zsh/site-functions/_perch \
         /usr/share/fish/vendor_completions.d/perch.fish /usr/share/doc/perch/README.md; do
    check "package installs $f" test -s "$f"
done
mkdir "$T/proj"
check "the installed perch runs a program" sh -c \
    "cd '$T/proj' && PERCH_WASM_CC= /usr/bin/perch --init >/dev/null 2>&1 && /usr/bin/perch test >/dev/null 2>&1"

DEBIAN_FRONTEND=noninteractive apt-get remove -y perch >"$T/remove.log" 2>&1
check "apt-get remove perch exits 0" test $? -eq 0
check "/usr/bin/perch is gone" test ! -e /usr/bin/perch
check "the man page is gone" test ! -e /usr/share/man/man5/perch.5
check "dpkg no longer lists it installed" sh -c "! dpkg -s perch 2>/dev/null | grep -q '^Status: install ok installed'"
finish
