#!/usr/bin/env bash
# tests/realworld/guide.sh: the user guide's .perch snippets (walkthroughs
# 1-5 and "Common patterns", /work/shared/seed/wasm-walkthroughs.md), each
# written out exactly as the guide has it and run against the examples'
# modules and data; then the nearest correct form. docs/compat.md lists the
# outcomes; this script keeps that list true: a snippet that starts or stops
# working as written fails here until the doc is updated.
#
# Skips when the example modules are not built (the examples target).
. "$(dirname "$0")/lib.sh"

EX=$PERCH_SRC/examples
for m in 01-frontmatter/frontmatter.wasm 02-jsonschema/jsonschema.wasm \
    03-agent-ops/wasm/normalize-address.wasm 04-pipeline/wasm/classify.wasm \
    05-lint/wasm/golint.wasm; do
    [ -f "$EX/$m" ] || rw_skip "examples/$m is not built (cmake --build ... --target examples)"
done

W=$RW_WORK/guide
rm -rf "$W"
mkdir -p "$W/tmp" "$W/logs"
export XDG_CACHE_HOME=$W/cache
export TMPDIR=$W/tmp

# run NAME WANT_RC DIR PERCH_ARGS...: perch in DIR; the output goes to logs/NAME.
run() {
    local name=$1 want=$2 dir=$3
    shift 3
    runx "$name" "$want" "$dir" "$PERCH" "$@"
}
# runx NAME WANT_RC DIR COMMAND...: the same for any command.
runx() {
    local name=$1 want=$2 dir=$3 rc
    shift 3
    (cd "$dir" && "$@") >"$W/logs/$name" 2>&1
    rc=$?
    if [ "$rc" = "$want" ]; then
        rw_ok "$name: exit $rc"
    else
        rw_fail "$name: exit $rc, expected $want"
        sed 's/^/    /' "$W/logs/$name" | head -n 20
    fi
}
# has NAME TEXT: the output of run NAME contains TEXT.
has() {
    if grep -qF -- "$2" "$W/logs/$1"; then
        rw_ok "$1: says '$2'"
    else
        rw_fail "$1: does not say '$2'"
        sed 's/^/    /' "$W/logs/$1" | head -n 20
    fi
}
# fix FILE OLD NEW: the correction, as a literal one-place replacement.
fix() {
    python3 - "$1" "$2" "$3" <<'PY' || rw_fail "fix: '$2' not found in $1"
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
if old not in text:
    sys.exit(1)
open(path, "w").write(text.replace(old, new))
PY
}

# ======================= Walkthrough 1 =======================
D=$W/w1
mkdir -p "$D"
cp -r "$EX/01-frontmatter/posts" "$EX/01-frontmatter/frontmatter.wasm" "$D/"
cat >"$D/docs-ci.perch" <<'EOF'
name "docs-ci"
about "Validate every markdown file's frontmatter"

command validate_one
    description "Validate ONE file (used internally by validate_all)"
    arg path
        type string
        index 0
    end
    do
        wasm_run "${script_dir}/frontmatter.wasm"
            wasm_arg "/ro/posts/${path}"
            wasm_mount_read "${script_dir}/posts"
        end
    end
end

command validate_all
    description "Validate every .md under ./posts"
    do
        files = glob "${script_dir}/posts/*.md"
        for_each "${files}" file
            wasm_run "${script_dir}/frontmatter.wasm"
                wasm_arg "/ro/posts/${file}"
                wasm_mount_read "${script_dir}/posts"
            end
        end
    end
end

command test_validator_catches_missing_title
    test
    test_allow_write
    do
        write_file "${script_dir}/posts/_bad.md" "---\ndate: 2026-01-01\ntags: [a]\n---\nbody"
        r = try_shell "perch -f ${script_dir}/docs-ci.perch validate_one /ro/posts/_bad.md"
        rm "${script_dir}/posts/_bad.md"
        assert_neq "${r}" "0"
    end
end
EOF
run w1-check 0 "$D" --check -f docs-ci.perch
# glob gives host paths: "/ro/posts/" + "/.../posts/launch-2025.md".
run w1-validate_all 2 "$D" -f docs-ci.perch validate_all
has w1-validate_all "/ro/posts/$D/posts/launch-2025.md: cannot open: No such file or directory"
run w1-validate_one 0 "$D" -f docs-ci.perch validate_one welcome.md
has w1-validate_one "/ro/posts/welcome.md: ok"
run w1-validate_one-sketch 1 "$D" -f docs-ci.perch validate_one sketch.md
has w1-validate_one-sketch "/ro/posts/sketch.md: missing: title, tags"
# Tests start without shell: try_shell needs test_allow_shell.
run w1-test 1 "$D" -f docs-ci.perch test
has w1-test "'try_shell' needs shell (denied by no_shell)"
# The failure skips its rm: the test leaves posts/_bad.md behind.
rw_check "w1: the failed test left posts/_bad.md behind" test -e "$D/posts/_bad.md"
rm -f "$D/posts/_bad.md"

# Nearest correct forms.
fix "$D/docs-ci.perch" 'wasm_arg "/ro/posts/${file}"' 'wasm_arg "/ro/posts/${path_base(file)}"'
run w1-validate_all-fixed 1 "$D" -f docs-ci.perch validate_all
has w1-validate_all-fixed "/ro/posts/launch-2025.md: ok"
has w1-validate_all-fixed "/ro/posts/sketch.md: missing: title, tags"
# for_each stops at the first failure (the guide's sample output goes on).
rw_check "w1: for_each stops at sketch.md, before welcome.md" \
    sh -c "! grep -q welcome.md '$W/logs/w1-validate_all-fixed'"
# \n in a double-quoted string is a newline: the file has frontmatter.
fix "$D/docs-ci.perch" '    test_allow_write
' '    test_allow_write
    test_allow_shell
'
fix "$D/docs-ci.perch" 'try_shell "perch -f ${script_dir}/docs-ci.perch validate_one /ro/posts/_bad.md"' \
    'try_shell "${exe_path} -f ${script_dir}/docs-ci.perch validate_one _bad.md"'
fix "$D/docs-ci.perch" 'assert_neq "${r}" "0"' 'assert_eq "${r}" "1"'
run w1-test-fixed 0 "$D" -f docs-ci.perch test
rw_check "w1: the test removed its file" test ! -e "$D/posts/_bad.md"

# "Adding parallelism", with the cache line the guide suggests.
cat >"$D/parallel.perch" <<'EOF'
name "docs-ci"
command validate_all
    do
        files = glob "${script_dir}/posts/*.md"
        parallel
            for_each "${files}" file
                wasm_run "${script_dir}/frontmatter.wasm"
                    wasm_arg "/ro/posts/${file}"
                    wasm_mount_read "${script_dir}/posts"
                end
            end
        end
    end
end
EOF
run w1-parallel 1 "$D" -f parallel.perch validate_all
has w1-parallel "parallel: 3 branches failed"
fix "$D/parallel.perch" 'wasm_arg "/ro/posts/${file}"' 'wasm_arg "/ro/posts/${path_base(file)}"'
run w1-parallel-fixed 1 "$D" -f parallel.perch validate_all
has w1-parallel-fixed "/ro/posts/launch-2025.md: ok"
has w1-parallel-fixed "/ro/posts/welcome.md: ok"
has w1-parallel-fixed "/ro/posts/sketch.md: missing: title, tags"
cat >"$D/cached.perch" <<'EOF'
name "docs-ci"
command validate_all
    do
        files = glob "${script_dir}/posts/*.md"
        parallel
            for_each "${files}" file
                cache "frontmatter-${sha256_file('frontmatter.wasm')}-${file}" "7d"
                    wasm_run "${script_dir}/frontmatter.wasm"
                        wasm_arg "/ro/posts/${path_base(file)}"
                        wasm_mount_read "${script_dir}/posts"
                    end
                end
            end
        end
    end
end
EOF
rm -f "$D/posts/sketch.md"
run w1-cached 0 "$D" -f cached.perch validate_all
run w1-cached-again 0 "$D" -f cached.perch validate_all
has w1-cached-again "cache hit: frontmatter-"

# ======================= Walkthrough 2 =======================
D=$W/w2
mkdir -p "$D"
cp -r "$EX/02-jsonschema/schemas" "$EX/02-jsonschema/fixtures" "$EX/02-jsonschema/_lib.perch" \
    "$EX/02-jsonschema/jsonschema.wasm" "$D/"
rm -f "$D"/fixtures/*/invalid-*.json # the guide's sample output has only valid files
cat >"$D/commands.perch" <<'EOF'
name "schema-ci"
import "./_lib.perch"

command validate_dir
    description "Validate every JSON file in a dir against its schema"
    arg schema
        type string
        index 0
        description "Path to the JSON schema"
    end
    arg dir
        type string
        index 1
        description "Directory of JSON documents to validate"
    end
    do
        schema_hash = sha256_file "${schema}"
        docs = glob "${dir}/*.json"
        for_each "${docs}" doc
            doc_hash = sha256_file "${doc}"
            cache "schema-${schema_hash}-${doc_hash}" "30d"
                wasm_run "${script_dir}/jsonschema.wasm"
                    wasm_arg "/ro/schema/${schema}"
                    wasm_arg "/ro/docs/${doc}"
                    wasm_mount_read "${schema}"
                    wasm_mount_read "${dir}"
                end
            end
        end
    end
end

command validate_all
    do
        parallel
            validate_dir "./schemas/user.json" "./fixtures/users"
            validate_dir "./schemas/order.json" "./fixtures/orders"
            validate_dir "./schemas/payment.json" "./fixtures/payments"
        end
    end
end
EOF
# A single mounted file is /ro/<its name>; a directory is /ro/<its name>.
run w2-validate_dir 2 "$D" validate_dir ./schemas/user.json ./fixtures/users
has w2-validate_dir "/ro/schema/./schemas/user.json: cannot open: Capabilities insufficient"
run w2-validate_all 1 "$D" validate_all
has w2-validate_all "parallel: 3 branches failed"
fix "$D/commands.perch" 'wasm_arg "/ro/schema/${schema}"' 'wasm_arg "/ro/${path_base(schema)}"'
fix "$D/commands.perch" 'wasm_arg "/ro/docs/${doc}"' 'wasm_arg "/ro/${path_base(dir)}/${path_base(doc)}"'
run w2-validate_dir-fixed 0 "$D" validate_dir ./schemas/user.json ./fixtures/users
has w2-validate_dir-fixed "/ro/users/ada.json: valid"
run w2-validate_dir-warm 0 "$D" validate_dir ./schemas/user.json ./fixtures/users
has w2-validate_dir-warm "cache hit: schema-"
run w2-validate_all-fixed 0 "$D" validate_all
has w2-validate_all-fixed "/ro/payments/P-2.json: valid"
has w2-validate_all-fixed "/ro/orders/A-100201.json: valid"

# ======================= Walkthrough 3 =======================
D=$W/w3
mkdir -p "$D/wasm"
cp -r "$EX/03-agent-ops/models" "$EX/03-agent-ops/schemas" "$EX/03-agent-ops/uploads" "$D/"
cp "$EX/03-agent-ops/wasm/"*.wasm "$D/wasm/"
cat >"$D/ops.perch" <<'EOF'
name "agent-ops"
about "MCP-exposed verbs — every operation runs in a constrained WASM module"

command validate_json
    description "Validate a JSON file against a schema"
    arg file
        type string
        description "Path to a JSON document (under ./uploads)"
    end
    arg schema
        type string
        description "Schema name (must match a file in ./schemas)"
    end
    do
        # Per-call sandbox: even though we already use wasm_run,
        # belt-and-braces — the perch sandbox prevents any escape
        # ops in the body from shelling out anyway.
        sandbox "no_shell,no_network,no_subprocess"
            wasm_run "${script_dir}/wasm/jsonschema.wasm"
                wasm_arg "/ro/schemas/${schema}.json"
                wasm_arg "/ro/uploads/${file}"
                wasm_mount_read "${script_dir}/schemas"
                wasm_mount_read "${script_dir}/uploads"
            end
        end
    end
end

command extract_emails
    description "Extract email addresses from a text file"
    arg file
        type string
    end
    do
        sandbox "no_shell,no_network,no_subprocess"
            wasm_run "${script_dir}/wasm/extract-emails.wasm"
                wasm_arg "/ro/uploads/${file}"
                wasm_mount_read "${script_dir}/uploads"
            end
        end
    end
end

command normalize_address
    description "Normalize a postal address string"
    arg address
        type string
    end
    do
        sandbox "no_shell,no_network,no_subprocess"
            wasm_run "${script_dir}/wasm/normalize-address.wasm"
                wasm_arg "${address}"
            end
        end
    end
end

command classify_intent
    description "Classify a text snippet's intent"
    arg text
        type string
    end
    do
        sandbox "no_shell,no_network,no_subprocess"
            wasm_run "${script_dir}/wasm/classify-intent.wasm"
                wasm_arg "${text}"
                wasm_mount_read "${script_dir}/models"
            end
        end
    end
end
EOF
run w3-validate_json 0 "$D" -f ops.perch validate_json --file user-upload.json --schema user
has w3-validate_json "/ro/uploads/user-upload.json: valid"
run w3-extract_emails 0 "$D" -f ops.perch extract_emails --file signup-form.txt
has w3-extract_emails "Ada.Lovelace@example.com"
run w3-normalize_address 0 "$D" -f ops.perch normalize_address --address "123 Main St, NYC"
has w3-normalize_address "123 Main Street, New York, NY"
run w3-classify_intent 0 "$D" -f ops.perch classify_intent --text "cancel my subscription"
has w3-classify_intent "cancel_subscription"
# "Read files outside ./uploads": the mount is the only root.
run w3-escape 2 "$D" -f ops.perch extract_emails --file ../schemas/user.json
has w3-escape "Capabilities insufficient"
# perch-mcp with the guide's flags; the guide's perch_run call.
MCP=$(dirname "$PERCH")/perch-mcp
if [ -x "$MCP" ]; then
    printf '%s\n' \
        '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"guide","version":"1"}}}' \
        '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
        '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"perch_run","arguments":{"command":"validate_json","args":{"file":"user-upload.json","schema":"user"}}}}' \
        '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"normalize_address","arguments":{"address":"123 Main St, NYC"}}}' \
        >"$W/mcp.in"
    # stdin stays open until both answers are in (EOF cancels running calls).
    {
        cat "$W/mcp.in"
        for _ in $(seq 100); do
            [ "$(grep -c '"id":[23],' "$W/logs/w3-mcp" 2>/dev/null)" = 2 ] && break
            sleep 0.1
        done
    } | (cd "$D" && "$MCP" --no-shell --no-network --no-subprocess --env "" --max-runtime 30 \
            -f ops.perch) >"$W/logs/w3-mcp" 2>&1
    has w3-mcp '/ro/uploads/user-upload.json: valid'
    has w3-mcp '123 Main Street, New York, NY'
else
    echo "note: no perch-mcp next to perch; the MCP call is not checked"
fi

# ======================= Walkthrough 4 =======================
D=$W/w4
mkdir -p "$D"
cp -r "$EX/04-pipeline/batch" "$EX/04-pipeline/wasm" "$D/"
cat >"$D/commands.perch" <<'EOF'
name "pipeline"

command process
    description "Run the full extract → transform → classify pipeline"
    arg input
        type string
        index 0
        description "Path to input.xml"
    end
    arg out
        type string
        index 1
        description "Path to output.jsonl"
    end
    do
        # Each stage writes its output to a tmpdir; the next stage
        # reads from it. perch's mount_write convention puts files
        # under /rw/<basename> inside the module.
        work = mktemp_dir
        cp "${input}" "${work}/input.xml"

        timeout "30s"
            wasm_run "${script_dir}/wasm/extract.wasm"
                wasm_arg "/ro/work/input.xml"
                wasm_arg "/rw/work/records.jsonl"
                wasm_mount_read "${work}"
                wasm_mount_write "${work}"
            end
        end

        timeout "30s"
            wasm_run "${script_dir}/wasm/transform.wasm"
                wasm_arg "/ro/work/records.jsonl"
                wasm_arg "/rw/work/enriched.jsonl"
                wasm_mount_read "${work}"
                wasm_mount_write "${work}"
            end
        end

        timeout "60s"
            wasm_run "${script_dir}/wasm/classify.wasm"
                wasm_arg "/ro/work/enriched.jsonl"
                wasm_arg "/rw/work/output.jsonl"
                wasm_mount_read "${work}"
                wasm_mount_write "${work}"
            end
        end

        cp "${work}/output.jsonl" "${out}"
        rm "${work}"
    end
end

command process_batch
    description "Process every input under ./batch — three at a time"
    do
        inputs = glob "${script_dir}/batch/*.xml"
        n = 0
        for_each "${inputs}" f
            parallel
                process "${f}" "${script_dir}/out/$(basename ${f} .xml).jsonl"
            end
        end
    end
end
EOF
# mktemp_dir has a random name: the mount is /ro/perch-XXXXXX, not /ro/work.
run w4-process 2 "$D" process batch/eu-signups.xml eu.jsonl
has w4-process "/ro/work/input.xml: cannot open: Capabilities insufficient"
rw_check "w4: the failed run left its work directory behind (no try/finally)" \
    sh -c "ls -d '$TMPDIR'/perch-* >/dev/null 2>&1"
rm -rf "$TMPDIR"/perch-*
# The nearest form keeps the guide's guest paths with `at`.
python3 - "$D/commands.perch" <<'PY'
import sys
p = sys.argv[1]
t = open(p).read()
t = t.replace('wasm_mount_read "${work}"\n', 'wasm_mount_read "${work}" at "/ro/work"\n')
t = t.replace('wasm_mount_write "${work}"\n', 'wasm_mount_write "${work}" at "/rw/work"\n')
open(p, "w").write(t)
PY
run w4-process-fixed 0 "$D" process batch/eu-signups.xml eu.jsonl
rw_same "w4: the output is the expected one" "$EX/04-pipeline/expected/eu-signups.jsonl" "$D/eu.jsonl"
# $(basename ...) is shell syntax: perch leaves it as text, so the output
# path names a directory that does not exist.
run w4-process_batch 1 "$D" process_batch
has w4-process_batch "cp: cannot create a file in '$D/out/\$(basename $D/batch'"
fix "$D/commands.perch" '        n = 0
        for_each "${inputs}" f
            parallel
                process "${f}" "${script_dir}/out/$(basename ${f} .xml).jsonl"
            end
        end' '        mkdir "${script_dir}/out"
        parallel 3
            for_each "${inputs}" f
                process "${f}" "${script_dir}/out/${path_stem(f)}.jsonl"
            end
        end'
run w4-process_batch-fixed 0 "$D" process_batch
for f in "$EX"/04-pipeline/expected/*.jsonl; do
    rw_same "w4: batch output $(basename "$f")" "$f" "$D/out/$(basename "$f")"
done
# "Going further": one executable, run from elsewhere.
run w4-build 0 "$D" --build -f commands.perch --include ./wasm -o pipeline-tool
mkdir -p "$W/elsewhere"
cp "$D/batch/us-signups.xml" "$W/elsewhere/in.xml"
runx w4-built-tool 0 "$W/elsewhere" "$D/pipeline-tool" process in.xml out.jsonl
rw_same "w4: the built tool's output" "$EX/04-pipeline/expected/us-signups.jsonl" \
    "$W/elsewhere/out.jsonl"

# ======================= Walkthrough 5 =======================
D=$W/w5
mkdir -p "$D/wasm"
cp -r "$EX/05-lint/src" "$D/"
cp "$EX/05-lint/wasm/golint.wasm" "$D/wasm/"
cat >"$D/commands.perch" <<'EOF'
name "lint"

LINTER = "${script_dir}/wasm/golint.wasm"

command lint_all
    description "Lint every file under ./src — cache results per (linter, file)"
    do
        linter_hash = sha256_file "${LINTER}"
        files = glob "${script_dir}/src/**/*.go"
        parallel
            for_each "${files}" f
                file_hash = sha256_file "${f}"
                cache "lint-${linter_hash}-${file_hash}" "30d"
                    wasm_run "${LINTER}"
                        wasm_arg "/ro/src/${f}"
                        wasm_mount_read "${script_dir}/src"
                    end
                end
            end
        end
    end
end
EOF
nfiles=$(find "$D/src" -name '*.go' | wc -l)
run w5-lint_all 1 "$D" lint_all
has w5-lint_all "parallel: $nfiles branches failed"
has w5-lint_all "/ro/src/$D/src/main.go"
fix "$D/commands.perch" 'wasm_arg "/ro/src/${f}"' 'wasm_arg "/ro/${path_rel(f, script_dir)}"'
# The example's sources have lint findings on purpose; a clean tree passes.
run w5-lint_all-fixed 1 "$D" lint_all
has w5-lint_all-fixed "/ro/src/cmd/tool/flags.go:7: indented with spaces"
rw_check "w5: no file was unreadable" sh -c "! grep -q 'cannot open' '$W/logs/w5-lint_all-fixed'"
find "$D/src" -name '*.go' ! -name main.go -delete
printf 'package main\n\nfunc main() {}\n' >"$D/src/main.go"
run w5-clean 0 "$D" lint_all
run w5-clean-warm 0 "$D" lint_all
has w5-clean-warm "cache hit: lint-"

# ======================= Common patterns =======================
D=$W/patterns/proj
mkdir -p "$D/data" "$D/out"
echo "a" >"$D/data/a.txt"
echo "b" >"$D/data/b.txt"
CLANG=$(command -v clang || command -v clang-14 || true)
if [ -n "$CLANG" ] && "$CLANG" --target=wasm32-wasi -O2 "$(dirname "$0")/guide_tool.c" \
    -o "$D/tool.wasm" 2>"$W/logs/clang"; then
    for m in extractor check-a check-b check-c; do cp "$D/tool.wasm" "$D/$m.wasm"; done
    cat >"$D/commands.perch" <<'EOF'
name "patterns"

command config
    do
        json_config = '{"level": 3}'
        write_file "${cwd}/.config.json" "${json_config}"
        wasm_run "./tool.wasm"
            wasm_arg "/ro/config/.config.json"
            wasm_mount_read "${cwd}"
        end
        rm "${cwd}/.config.json"
    end
end

command capture
    do
        wasm_run "./extractor.wasm"
            wasm_arg "/rw/out/result.json"
            wasm_mount_write "${cwd}/out"
        end
        result = read_file "${cwd}/out/result.json"
        print "${result}"
    end
end

command checks
    do
        parallel
            wasm_run "./check-a.wasm"
                wasm_mount_read "./data"
            end
            wasm_run "./check-b.wasm"
                wasm_mount_read "./data"
            end
            wasm_run "./check-c.wasm"
                wasm_mount_read "./data"
            end
        end
    end
end
EOF
    # ${cwd} mounts at /ro/<its basename>: /ro/proj here, not /ro/config.
    run p-config 1 "$D" config
    has p-config "/ro/config/.config.json: Capabilities insufficient"
    rw_check "p-config: the failed run left .config.json behind (no try/finally)" \
        test -e "$D/.config.json"
    rm -f "$D/.config.json"
    cp "$D/commands.perch" "$D/as-written.perch"
    fix "$D/commands.perch" 'wasm_mount_read "${cwd}"
        end
        rm' 'wasm_mount_read "${cwd}" at "/ro/config"
        end
        rm'
    run p-config-fixed 0 "$D" config
    has p-config-fixed '{"level": 3}'
    rw_check "p-config: .config.json removed" test ! -e "$D/.config.json"
    # Run from a directory named config, the snippet works as written.
    mkdir -p "$W/patterns/config"
    cp "$D/as-written.perch" "$W/patterns/config/commands.perch"
    cp "$D/tool.wasm" "$W/patterns/config/"
    run p-config-in-config 0 "$W/patterns/config" config
    has p-config-in-config '{"level": 3}'
    run p-capture 0 "$D" capture
    has p-capture '{"extracted":true}'
    run p-checks 0 "$D" checks
    has p-checks "check-a.wasm: 2 entries in /ro/data"
    has p-checks "check-c.wasm: 2 entries in /ro/data"
else
    echo "note: clang cannot build wasm32-wasi; the common patterns are not checked"
fi

rw_done
