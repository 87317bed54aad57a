#!/bin/sh
# man.sh: the man pages render without a warning, and stay in step with the
# program: every flag of `perch --help`, `perch wasm run --help` and
# `perch test --help` is in perch(1), every flag of
# `perch-mcp --help` in perch-mcp(1), every op of `perch help` in perch(5).
. "$(dirname "$0")/lib.sh"
: "${SRC:?}" "${BIN:?}"
command -v groff >/dev/null 2>&1 || skip "groff is not installed (scripts/deps.sh installs groff-base)"

for page in perch.1 perch-mcp.1 perch.5; do
    f="$SRC/man/$page"
    check "$page exists" test -s "$f"
    for dev in ps utf8 ascii; do
        groff -man -ww -z -T"$dev" "$f" >"$T/groff.err" 2>&1
        check "$page renders (-T$dev)" test $? -eq 0
        check "$page renders without warnings (-T$dev)" test ! -s "$T/groff.err"
    done
    check "$page has NAME and SEE ALSO" sh -c "grep -q '^\.SH NAME' '$f' && grep -q '^\.SH SEE ALSO' '$f'"
done

# The text of a page, as a reader sees it (hyphens plain).
plain() { groff -man -Tutf8 -rHY=0 -rLL=300n -P-c "$1" 2>/dev/null | sed 's/\x08.//g; s/‐/-/g; s/−/-/g'; }
plain "$SRC/man/perch.1" >"$T/perch.1.txt"
plain "$SRC/man/perch-mcp.1" >"$T/perch-mcp.1.txt"
plain "$SRC/man/perch.5" >"$T/perch.5.txt"

"$PERCH" --help >"$T/help" 2>&1
"$PERCH" wasm run --help >>"$T/help" 2>&1
"$PERCH" test --help >>"$T/help" 2>&1
grep -oE -- '--[a-z][a-z-]+' "$T/help" | sort -u >"$T/flags"
check "perch --help lists flags" test -s "$T/flags"
while read -r flag; do
    check "perch(1) documents $flag" grep -qF -- "$flag" "$T/perch.1.txt"
done <"$T/flags"
for word in "EXIT STATUS" XDG_CACHE_HOME PERCH_JOBS NO_COLOR CI 124 "perch test" \
            "wasm run" --init --completions; do
    check "perch(1) mentions $word" grep -qF -- "$word" "$T/perch.1.txt"
done

if [ -x "$BIN/perch-mcp" ]; then
    "$BIN/perch-mcp" --help >"$T/mcphelp" 2>&1
    grep -oE -- '--[a-z][a-z-]+' "$T/mcphelp" | sort -u >"$T/mcpflags"
    while read -r flag; do
        check "perch-mcp(1) documents $flag" grep -qF -- "$flag" "$T/perch-mcp.1.txt"
    done <"$T/mcpflags"
fi

"$PERCH" help >"$T/ops" 2>&1
sed -n 's/^  \([a-z_0-9]*\)  .*/\1/p' "$T/ops" >"$T/opnames"
check "perch help lists ops" test "$(wc -l <"$T/opnames")" -gt 20
while read -r op; do
    check "perch(5) documents op $op" grep -qw -- "$op" "$T/perch.5.txt"
done <"$T/opnames"
for block in command template catch requires bundle hooks import if elif for_each match \
             try rescue finally parallel retry timeout cache sandbox with_env with_cwd \
             wasm_run wasm_arg wasm_env wasm_mount_read wasm_mount_write pipe; do
    check "perch(5) documents $block" grep -qw -- "$block" "$T/perch.5.txt"
done
finish
