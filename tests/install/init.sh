#!/bin/sh
# init.sh: `perch --init [DIR]` writes a commands.perch that checks clean and
# runs as it is (build, its test, and the wasm_run example when clang can
# target wasm32-wasi), and never overwrites an existing file.
. "$(dirname "$0")/lib.sh"

# In a new directory (created), with the wasm example when clang works.
(cd "$T" && "$PERCH" --init proj >"$T/out" 2>"$T/err")
check "--init proj exits 0" test $? -eq 0
check "--init writes proj/commands.perch" test -s "$T/proj/commands.perch"
check "--init says what it wrote" contains "$T/err" "proj/commands.perch"
check "--init prints nothing on stdout" test ! -s "$T/out"
check "the file is commented" grep -q '^# ' "$T/proj/commands.perch"
check "the file names the project" grep -qx 'name "proj"' "$T/proj/commands.perch"
check "it passes --check" sh -c "cd '$T/proj' && '$PERCH' --check"
check "--help lists build" sh -c "cd '$T/proj' && '$PERCH' --help | grep -q '^  build '"
check "perch build runs" sh -c "cd '$T/proj' && '$PERCH' build --out dist"
check "build wrote its output" contains "$T/proj/dist/greeting.txt" "hello from perch"
check "perch test passes" sh -c "cd '$T/proj' && '$PERCH' test >'$T/test.out' 2>&1"
check "a test ran" contains "$T/test.out" " passed, 0 failed"

probe="$T/probe"
mkdir "$probe"
printf 'int main(void){return 0;}\n' >"$probe/p.c"
if clang --target=wasm32-wasi -O2 "$probe/p.c" -o "$probe/p.wasm" >/dev/null 2>&1; then
    check "wasm/hello.c written" test -s "$T/proj/wasm/hello.c"
    check "hello runs the module" sh -c "cd '$T/proj' && test \"\$('$PERCH' hello)\" = 'hello, world'"
    check "hello passes its argument" sh -c "cd '$T/proj' && test \"\$('$PERCH' hello you)\" = 'hello, you'"
    check "the module was built once" test -s "$T/proj/wasm/hello.wasm"
    check "two tests passed" contains "$T/test.out" "2 passed, 0 failed"
else
    check "no wasm example without a WASI clang" test ! -e "$T/proj/wasm"
fi

# Never overwrite: exit 1, a clear message, the file untouched.
echo "# mine" >"$T/mine.perch"
cp "$T/mine.perch" "$T/proj/commands.perch"
(cd "$T/proj" && "$PERCH" --init >"$T/out" 2>"$T/err")
check "--init over an existing file exits 1" test $? -eq 1
check "and says it exists" contains "$T/err" "already exists; not overwriting it"
check "the file is untouched" cmp "$T/mine.perch" "$T/proj/commands.perch"

# Without the WASI compiler: no wasm part, still runs.
mkdir "$T/plain"
PERCH_WASM_CC=/nonexistent/clang "$PERCH" --init "$T/plain" >/dev/null 2>&1
check "--init with no WASI compiler exits 0" test $? -eq 0
check "no wasm directory" test ! -e "$T/plain/wasm"
check "no wasm_run block in the file" sh -c "! grep -q '^ *wasm_run ' '$T/plain/commands.perch'"
check "it still passes --check" "$PERCH" -f "$T/plain/commands.perch" --check
check "its test passes" sh -c "cd '$T/plain' && '$PERCH' test"
PERCH_WASM_CC= "$PERCH" --init "$T/plain2" >/dev/null 2>&1
check "PERCH_WASM_CC= leaves the example out" test ! -e "$T/plain2/wasm"

# Bad input: a clear error, never a crash.
echo x >"$T/afile"
"$PERCH" --init "$T/afile" >/dev/null 2>"$T/err"
check "--init on a file exits 1" test $? -eq 1
check "and says it is not a directory" contains "$T/err" "is not a directory"
"$PERCH" --init "$T/a" "$T/b" >/dev/null 2>"$T/err"
check "two directories: usage error 2" test $? -eq 2
"$PERCH" --init --bogus >/dev/null 2>"$T/err"
check "an unknown flag: usage error 2" test $? -eq 2
"$PERCH" --init "$T/no/such/parent" >/dev/null 2>"$T/err"
check "a missing parent exits 1" test $? -eq 1
check "and says why" contains "$T/err" "cannot create directory"
"$PERCH" --init --help >"$T/out" 2>&1
check "--init --help exits 0" test $? -eq 0
check "--init --help shows usage" contains "$T/out" "Usage: perch --init [DIR]"
finish
