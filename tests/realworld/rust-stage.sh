#!/usr/bin/env bash
# tests/realworld/rust-stage.sh: walkthrough 4's pipeline with its classify
# stage built by the distribution's rustc (examples/04-pipeline/rust/) in
# place of the C one. Rust's std reaches WASI differently from wasi-libc
# (fd_prestat_* to find the mounts, path_open with its own rights and flags,
# environ_*, buffered writes), so this exercises perch's WASI layer on a
# second libc.
#
# Checks: the pipeline's output with the Rust stage is byte-identical to the
# C stage's and to examples/04-pipeline/expected/; the pipeline's own tests
# pass; on edge cases (usage, missing input, bad lines, escapes, duplicate
# keys, a read-only output) both builds print the same stdout and stderr and
# exit the same way; node:wasi runs the Rust module to the same bytes.
# Skips when rustc or its wasm32-wasi std is missing, or when the example
# modules have not been built.
. "$(dirname "$0")/lib.sh"

EX=$PERCH_SRC/examples/04-pipeline
RUSTC=${RW_RUSTC:-}
[ -n "$RUSTC" ] || RUSTC=/usr/bin/rustc
[ -x "$RUSTC" ] || rw_skip "no $RUSTC (scripts/deps.sh installs rustc and libstd-rust-dev-wasm32)"
for m in extract transform classify; do
    [ -f "$EX/wasm/$m.wasm" ] || rw_skip "$EX/wasm/$m.wasm is not built (cmake --build ... --target examples)"
done

W=$RW_WORK/rust-stage
rm -rf "$W"
mkdir -p "$W"
RS_WASM=$W/classify-rs.wasm
if ! "$RUSTC" --edition 2021 -O -C strip=debuginfo --target wasm32-wasi \
    "$EX/rust/classify.rs" -o "$RS_WASM" 2>"$W/rustc.log"; then
    if grep -q "can't find crate for .std." "$W/rustc.log"; then
        rw_skip "rustc has no wasm32-wasi std (Debian: libstd-rust-dev-wasm32)"
    fi
    cat "$W/rustc.log"
    echo "FAIL: rustc could not build examples/04-pipeline/rust/classify.rs"
    exit 1
fi
rw_ok "rustc --target wasm32-wasi builds the Rust classify stage ($(stat -c %s "$RS_WASM") bytes)"
C_WASM=$EX/wasm/classify.wasm

# ---- the whole pipeline, C stage and Rust stage ----
for v in c rs; do
    mkdir -p "$W/$v"
    cp -r "$EX/pipeline.perch" "$EX/batch" "$EX/expected" "$EX/wasm" "$W/$v/"
done
cp "$RS_WASM" "$W/rs/wasm/classify.wasm"
for v in c rs; do
    rw_check "process_batch with the $v stage" \
        sh -c "'$PERCH' -f '$W/$v/pipeline.perch' process_batch >'$W/$v.log' 2>&1"
done
for f in "$W/c/expected/"*.jsonl; do
    b=$(basename "$f")
    rw_same "Rust and C stages agree on $b" "$W/c/out/$b" "$W/rs/out/$b"
    rw_same "the Rust stage's $b is the expected output" "$f" "$W/rs/out/$b"
done
sort "$W/c.log" >"$W/c.sorted"
sort "$W/rs.log" | sed 's#perch-[A-Za-z0-9]*#perch-X#g' >"$W/rs.sorted"
sed -i 's#perch-[A-Za-z0-9]*#perch-X#g' "$W/c.sorted"
rw_same "both print the same summary lines" "$W/c.sorted" "$W/rs.sorted"
rw_check "the pipeline's own tests pass with the Rust stage" \
    sh -c "'$PERCH' -f '$W/rs/pipeline.perch' test >'$W/rs-test.log' 2>&1"

# ---- stage by stage: edge cases, both builds under perch wasm run ----
D=$W/cases
mkdir -p "$D/in" "$D/out-c" "$D/out-rs" "$D/ro"
printf '%s\n' \
    '{"id":1,"amount_usd":12000,"email_domain":"acme.io","errors":[]}' \
    '' \
    '  {"id":2,"amount_usd":700,"email_domain":"acme.io","errors":[]}' \
    '{"id":3,"amount_usd":700,"email_domain":"gmail.com","errors":[]}' \
    '{"id":4,"amount_usd":1e3,"errors":[],"class":"old","x":[1,2.50,-0.0,true,false,null]}' \
    '{"id":5,"amount_usd":"n/a","errors":[]}' \
    '{"id":6,"errors":["a"],"note":"tab\there \"q\" \\ \u00e9\u20ac\ud83d\ude00 \u0001\/"}' \
    '{"id":7,"errors":["a","b"],"id":8,"amount_usd":1}' \
    '{"name":"caf\u00e9 \u2603","amount_usd":999.999,"email_domain":null,"errors":[]}' \
    >"$D/in/good.jsonl"
printf '{"id":1,"amount_usd":5,"errors":[]}\n[1,2]\n' >"$D/in/array.jsonl"
printf '{"id":1,"amount_usd":5,"errors":[]}\n{"id":2,\n' >"$D/in/broken.jsonl"
: >"$D/in/empty.jsonl"

# stage NAME ARGS...: run both builds, compare stdout, stderr, exit and output.
stage() {
    local name=$1
    shift
    local v wasm
    for v in c rs; do
        [ $v = c ] && wasm=$C_WASM || wasm=$RS_WASM
        rm -f "$D/out-$v/out.jsonl"
        "$PERCH" wasm run --ro-dir "$D/in::/ro/in" --dir "$D/out-$v::/rw/out" \
            --ro-dir "$D/ro::/ro/ro" "$wasm" "$@" >"$D/$name.$v.stdout" 2>"$D/$name.$v.stderr"
        echo $? >"$D/$name.$v.rc"
        [ -f "$D/out-$v/out.jsonl" ] && cp "$D/out-$v/out.jsonl" "$D/$name.$v.out" ||
            echo "(no file)" >"$D/$name.$v.out"
    done
    local part ok=1
    for part in ${STAGE_PARTS:-rc stdout stderr out}; do
        if ! cmp -s "$D/$name.c.$part" "$D/$name.rs.$part"; then
            ok=0
            echo "  $name: $part differs:"
            diff "$D/$name.c.$part" "$D/$name.rs.$part" | head -n 10
        fi
    done
    [ $ok = 1 ] && rw_ok "$name: same exit ($(cat "$D/$name.c.rc")) and the same ${STAGE_PARTS:-rc stdout stderr out}" ||
        rw_fail "$name: the Rust stage differs from the C stage"
}
stage records /ro/in/good.jsonl /rw/out/out.jsonl
stage empty /ro/in/empty.jsonl /rw/out/out.jsonl
stage usage /ro/in/good.jsonl
stage missing-input /ro/in/nope.jsonl /rw/out/out.jsonl
stage not-an-object /ro/in/array.jsonl /rw/out/out.jsonl
stage read-only-output /ro/in/good.jsonl /ro/ro/out.jsonl
stage outside-mounts /ro/in/good.jsonl /elsewhere/out.jsonl
rw_check "the records case wrote 8 classified records" \
    test "$(grep -c '"class_reason"' "$D/records.rs.out")" = 8
# Invalid JSON: same exit status and position prefix; the parsers' wording
# may differ.
STAGE_PARTS="rc stdout out" stage broken /ro/in/broken.jsonl /rw/out/out.jsonl
rw_check "broken JSON: exit 2" test "$(cat "$D/broken.rs.rc")" = 2
rw_check "broken JSON: the Rust stage names the line" \
    grep -q '^/ro/in/broken.jsonl:2: invalid JSON: ' "$D/broken.rs.stderr"
rw_check "broken JSON: the C stage names the line" \
    grep -q '^/ro/in/broken.jsonl:2: invalid JSON: ' "$D/broken.c.stderr"

# ---- node:wasi runs the Rust module to the same bytes ----
NODE=$(rw_node)
if [ -n "$NODE" ]; then
    mkdir -p "$D/out-node"
    "$NODE" --no-warnings "$PERCH_SRC/examples/run-node.mjs" --dir "$D/in::/ro/in" \
        --dir "$D/out-node::/rw/out" "$RS_WASM" /ro/in/good.jsonl /rw/out/out.jsonl \
        >"$D/node.stdout" 2>"$D/node.stderr"
    rw_check "node:wasi: the Rust stage exits 0" test $? = 0
    rw_same "node:wasi: the Rust stage writes the same records" \
        "$D/records.rs.out" "$D/out-node/out.jsonl"
    rw_same "node:wasi: the same summary line" "$D/records.rs.stdout" "$D/node.stdout"
else
    echo "note: node with node:wasi not found; no differential run"
fi

# ---- Rust's std on a writable mount (rust_fs.rs) ----
FS_WASM=$W/rust_fs.wasm
if "$RUSTC" --edition 2021 -O -C strip=debuginfo --target wasm32-wasi \
    "$(dirname "$0")/rust_fs.rs" -o "$FS_WASM" 2>"$W/rustc-fs.log"; then
    mkdir -p "$W/fs"
    echo piped | "$PERCH" wasm run --env A=1 --dir "$W/fs::/rw/d" "$FS_WASM" /rw/d \
        >"$W/fs.stdout" 2>"$W/fs.stderr"
    rw_check "rust_fs: exit 3 (std::process::exit)" test $? = 3
    cat >"$W/fs.expected" <<'EOF'
env [("A", "1")]
create_dir_all true
metadata len 12 file true dir false
seek and write "hello WORLD\n"
append "hello WORLD\nmore\n"
set_len "hello"
rename then read_dir ["b.txt"]
read_dir counts 51
removed while reading 51 left 0
remove_dir_all Ok(())
gone true
open missing Err(NotFound)
climb out Err(Some(76))
sleep advanced the clock true
hashmap 1
stdin "piped\n"
EOF
    rw_same "rust_fs: every step gives what std promises" "$W/fs.expected" "$W/fs.stdout"
    rw_check "rust_fs: stderr" grep -qx "stderr line" "$W/fs.stderr"
    rw_check "rust_fs: nothing left in the mount" test -z "$(ls -A "$W/fs")"
else
    cat "$W/rustc-fs.log"
    rw_fail "rustc could not build tests/realworld/rust_fs.rs"
fi

# Which WASI functions each build imports (informative).
if command -v wasm-objdump >/dev/null 2>&1; then
    for v in C:$C_WASM Rust:$RS_WASM; do
        echo "${v%%:*} imports: $(wasm-objdump -x -j Import "${v#*:}" |
            sed -n 's/.*<- wasi_snapshot_preview1\.//p' | sort | tr '\n' ' ')"
    done
fi

rw_done
