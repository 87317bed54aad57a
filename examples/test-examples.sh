#!/bin/sh
# examples/test-examples.sh: runs the commands each example's README shows,
# through perch, and checks what a user relies on: the modules' output lines,
# exit statuses, cache hits on a second run, and the .perch files' own tests.
#
#   sh examples/test-examples.sh BUILD_DIR      (uses BUILD_DIR/perch)
#
# Runs from a scratch directory (the .perch files use ${script_dir}, so the
# cwd must not matter) with a private XDG_CACHE_HOME. perch's own messages on
# stderr are only searched for the module lines, never compared whole.
# Exit status: 0 when every check passes, 1 otherwise.
set -u
build=${1:?usage: test-examples.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
perch=$(cd "$build" && pwd)/perch
if [ ! -x "$perch" ]; then
    echo "test-examples.sh: $perch is missing; build the perch target first" >&2
    exit 1
fi
for m in 01-frontmatter/frontmatter 02-jsonschema/jsonschema 03-agent-ops/wasm/jsonschema \
    03-agent-ops/wasm/extract-emails 03-agent-ops/wasm/normalize-address \
    03-agent-ops/wasm/classify-intent 04-pipeline/wasm/extract 04-pipeline/wasm/transform \
    04-pipeline/wasm/classify 05-lint/wasm/golint; do
    if [ ! -f "$here/$m.wasm" ]; then
        echo "test-examples.sh: examples/$m.wasm is missing; build the 'examples' target" >&2
        exit 1
    fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/perch-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
export XDG_CACHE_HOME="$T/cache"
mkdir -p "$T/cwd" "$XDG_CACHE_HOME"
pass=0
fail=0
current=""

# p ARGS...: runs perch ARGS from the scratch cwd; sets $out, $err, $rc.
p() {
    current="perch $*"
    (cd "$T/cwd" && "$perch" "$@") >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    out=$(cat "$T/out")
    err=$(cat "$T/err")
}

ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $current: $1"
    printf '  exit %s\n  stdout:\n%s\n  stderr:\n%s\n' "$rc" "$out" "$err" | sed 's/^/    /'
}

expect_rc() { if [ "$rc" = "$1" ]; then ok; else bad "exit status $rc, want $1"; fi; }
expect_out() { if [ "$out" = "$1" ]; then ok; else bad "stdout differs; want:
$1"; fi; }
# expect_out_sorted TEXT: stdout equals TEXT up to line order (parallel runs).
expect_out_sorted() {
    a=$(printf '%s\n' "$out" | sort)
    b=$(printf '%s\n' "$1" | sort)
    if [ "$a" = "$b" ]; then ok; else bad "stdout lines differ; want (any order):
$1"; fi
}
expect_err_has() {
    case $err in *"$1"*) ok ;; *) bad "stderr lacks: $1" ;; esac
}
expect_err_lacks() {
    case $err in *"$1"*) bad "stderr has: $1" ;; *) ok ;; esac
}
# count_in TEXT NEEDLE: number of lines of TEXT containing NEEDLE.
count_in() { printf '%s\n' "$1" | grep -cF -- "$2"; }

# ---- 01-frontmatter -------------------------------------------------------
F="-f $here/01-frontmatter/docs-ci.perch"
p $F validate_one welcome.md
expect_rc 0
expect_out "/ro/posts/welcome.md: ok"
p $F validate_one sketch.md
expect_rc 1
expect_err_has "/ro/posts/sketch.md: missing: title, tags"
p $F validate_one /ro/posts/launch-2025.md
expect_rc 0
expect_out "/ro/posts/launch-2025.md: ok"
p $F validate_all
expect_rc 1
expect_out "/ro/posts/launch-2025.md: ok"
expect_err_has "/ro/posts/sketch.md: missing: title, tags"
p $F validate_all_parallel
expect_rc 1
expect_out_sorted "/ro/posts/launch-2025.md: ok
/ro/posts/welcome.md: ok"
expect_err_has "/ro/posts/sketch.md: missing: title, tags"
p $F test
expect_rc 0

# ---- 02-jsonschema --------------------------------------------------------
J="-f $here/02-jsonschema/schema-ci.perch"
S=$here/02-jsonschema/schemas
X=$here/02-jsonschema/fixtures
p $J validate_dir "$S/user.json" "$X/users"
expect_rc 1
expect_out "/ro/users/ada.json: valid
/ro/users/alan.json: valid
/ro/users/grace.json: valid"
expect_err_has "/ro/users/invalid-age.json: at '/age': expected integer, got number 9.5"
expect_err_lacks "cache hit"
# Second run: the three valid documents replay from the cache (their output
# too); the invalid one was never stored, so it runs and fails again.
p $J validate_dir "$S/user.json" "$X/users"
expect_rc 1
expect_out "/ro/users/ada.json: valid
/ro/users/alan.json: valid
/ro/users/grace.json: valid"
if [ "$(count_in "$err" "cache hit: schema-")" = 3 ]; then ok; else bad "want 3 cache hits"; fi
expect_err_has "/ro/users/invalid-age.json: at '/age'"
p $J validate_all
expect_rc 1
expect_err_has "/ro/orders/invalid-lines.json: at '/status'"
expect_err_has "/ro/payments/invalid-method.json: at '/method'"
expect_err_has "/ro/users/invalid-age.json: at '/age'"
p $J check_file "$S/payment.json" "$X/payments/P-2.json"
expect_rc 0
expect_out "/ro/payments/P-2.json: valid"
p $J test
expect_rc 0

# The guide's cold / warm / one-file-changed sequence, on a copy without the
# invalid documents.
cp -R "$here/02-jsonschema" "$T/schema-ci"
rm -f "$T/schema-ci"/fixtures/*/invalid-*.json
cp "$here/02-jsonschema/jsonschema.wasm" "$T/schema-ci/"
J2="-f $T/schema-ci/schema-ci.perch"
p $J2 validate_all
expect_rc 0
expect_out_sorted "/ro/users/ada.json: valid
/ro/users/alan.json: valid
/ro/users/grace.json: valid
/ro/orders/A-100200.json: valid
/ro/orders/A-100201.json: valid
/ro/payments/P-1.json: valid
/ro/payments/P-2.json: valid"
p $J2 validate_all
expect_rc 0
if [ "$(count_in "$err" "cache hit: schema-")" = 7 ]; then ok; else bad "want 7 cache hits"; fi
printf '{"id": 2, "name": "Grace B. Hopper", "email": "grace@example.com", "role": "admin"}\n' \
    >"$T/schema-ci/fixtures/users/grace.json"
p $J2 validate_dir "$T/schema-ci/schemas/user.json" "$T/schema-ci/fixtures/users"
expect_rc 0
if [ "$(count_in "$err" "cache hit: schema-")" = 2 ]; then ok; else bad "want 2 cache hits"; fi

# @@MORE@@

echo "test-examples: $pass passed, $fail failed"
[ "$fail" = 0 ]
