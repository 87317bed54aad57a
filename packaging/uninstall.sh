#!/bin/sh
# packaging/uninstall.sh MANIFEST: remove exactly the files a `cmake --install`
# wrote, as listed in its install_manifest.txt, under $DESTDIR when set.
# Directories are left alone except share/doc/perch, which is ours alone and
# is removed once empty.
set -u
manifest=${1:-}
if [ -z "$manifest" ] || [ ! -f "$manifest" ]; then
    echo "uninstall: no install manifest '${manifest}' (run 'make install' first)" >&2
    exit 1
fi
dest=${DESTDIR:-}
status=0
removed=0
docdir=
while IFS= read -r f || [ -n "$f" ]; do
    [ -n "$f" ] || continue
    p="$dest$f"
    case "$f" in */share/doc/perch/*) docdir=${p%/*} ;; esac
    if [ -e "$p" ] || [ -L "$p" ]; then
        if rm -f -- "$p"; then
            echo "-- Removed: $p"
            removed=$((removed + 1))
        else
            status=1
        fi
    else
        echo "-- Not found (already removed?): $p"
    fi
done < "$manifest"
if [ -n "$docdir" ] && [ -d "$docdir" ]; then
    rmdir -- "$docdir" 2>/dev/null || true
fi
echo "-- $removed files removed"
exit $status
