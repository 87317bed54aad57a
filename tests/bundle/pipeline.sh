# tests/bundle/pipeline.sh: examples/04-pipeline built with the guide's
# `perch --build -f pipeline.perch --include ./wasm` (its `bundle` block adds
# batch/), then run alone from an empty directory with a clean environment:
# `process` gives the same output as the unbundled run (and as expected/),
# its tests pass, and process_batch (meant for the checkout) refuses clearly.
. "$(dirname "$0")/lib.sh"

ex="$PERCH_SRC/examples/04-pipeline"
for m in extract transform classify; do
    if [ ! -f "$ex/wasm/$m.wasm" ]; then
        echo "skip: $ex/wasm/$m.wasm is not built"
        exit 0
    fi
done

src="$T/pipeline"
mkdir -p "$src"
cp -R "$ex/pipeline.perch" "$ex/wasm" "$ex/batch" "$ex/expected" "$src/"
(cd "$src" && "$PERCH" --build -f pipeline.perch --include ./wasm \
    -o pipeline-tool >"$T/out" 2>"$T/err")
status=$?
expect_status 0 "--build the pipeline"
expect_err "wasm/extract.wasm" "the modules are embedded"
expect_err "batch/eu-signups.xml" "the batch inputs are embedded (bundle block)"
expect_err "wrote pipeline-tool" "the output is named by -o"

run_dir="$T/run"
home="$T/home"
mkdir -p "$run_dir" "$home"
cp "$src/pipeline-tool" "$run_dir/"
cp "$ex/batch/"*.xml "$run_dir/"

for b in eu-signups us-signups legacy-export; do
    run "$PERCH" -f "$src/pipeline.perch" process "$src/batch/$b.xml" "$T/$b.unbundled.jsonl"
    expect_status 0 "unbundled process $b"
    run_clean "$run_dir" "$home" ./pipeline-tool process "$b.xml" "$b.jsonl"
    expect_status 0 "bundled process $b"
    check 'cmp -s "$T/$b.unbundled.jsonl" "$run_dir/$b.jsonl"' "bundled $b output equals the unbundled"
    check 'cmp -s "$ex/expected/$b.jsonl" "$run_dir/$b.jsonl"' "bundled $b output equals expected/"
done

run_clean "$run_dir" "$home" ./pipeline-tool test
expect_status 0 "the pipeline's tests, bundled"
expect_out "3 passed, 0 failed" "the pipeline's tests, bundled"

run_clean "$run_dir" "$home" ./pipeline-tool --help
expect_status 0 "--help"
expect_out "Usage: pipeline-tool [FLAGS] COMMAND" "--help"
expect_out "process_batch" "--help"

# process_batch writes next to the program: in a built tool that would be
# the extraction directory, so it refuses and says what to run instead.
run_clean "$run_dir" "$home" ./pipeline-tool process_batch
expect_status 1 "process_batch in a built tool"
expect_err "run it from the source checkout" "process_batch in a built tool"
check '[ -z "$(ls "$home/.cache/perch/bundles/"*/out 2>/dev/null)" ]' \
    "process_batch writes nothing into the extraction directory"

# Malformed input: the module's failure is reported the same way.
printf '<signups><signup><name>x</nam></signup></signups>\n' >"$run_dir/broken.xml"
run_clean "$run_dir" "$home" ./pipeline-tool process broken.xml out.jsonl
expect_status 2 "a failing stage"
expect_err "module exited with code 2" "a failing stage"
check '[ ! -e "$run_dir/out.jsonl" ]' "nothing written for a failing stage"

finish
