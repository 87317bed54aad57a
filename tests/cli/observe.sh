#!/bin/sh
# observe.sh: --trace, --report and --audit.
. "$(dirname "$0")/lib.sh"

cat >"$T/commands.perch" <<'P'
command build
    do
        print "building"
        write_file "${script_dir}/out.txt" "x"
        timeout "5s"
            print "inside"
        end
    end
end

command broken
    do
        print "before"
        read_file "${script_dir}/missing.txt"
    end
end
P

run --trace -f "$T/commands.perch" build
expect_status 0 "--trace"
expect_out_exact "building
inside" "--trace leaves stdout alone"
expect_err "▸ command build"
expect_err "  ▸ print \"building\""
expect_err "  ▸ write_file \"$T/out.txt\""
expect_err "  ▸ timeout \"5s\""
expect_err "    ▸ print \"inside\""
expect_err "✓ ("

run --trace -f "$T/commands.perch" broken
expect_status 1
expect_err "  ▸ read_file"
expect_err "  ✗ read_file: cannot open"

run --report -f "$T/commands.perch" build
expect_status 0 "--report"
expect_err "report:"
expect_err "✓ command build ("
expect_err "✓ print \"building\" ("
expect_no_err "▸" "--report alone does not trace"

run --report="$T/report.txt" -f "$T/commands.perch" broken
expect_status 1 "--report=PATH"
checks=$((checks + 1))
grep -qF "✗ read_file" "$T/report.txt" || fail "--report=PATH writes the tree to PATH"

run --audit "$T/audit.ndjson" -f "$T/commands.perch" build
expect_status 0 "--audit"
run --audit "$T/audit.ndjson" -f "$T/commands.perch" broken
expect_status 1
checks=$((checks + 1))
[ "$(grep -c '"event":"session_start"' "$T/audit.ndjson")" -eq 2 ] || fail "two sessions appended"
checks=$((checks + 1))
grep -q '"event":"op","ts":"[^"]*","kind":"write_file","args":\["[^"]*out.txt","x"\]' "$T/audit.ndjson" ||
    fail "op events carry kind and args"
checks=$((checks + 1))
grep -q '"kind":"read_file".*"ok":false,"error":"read_file: cannot open' "$T/audit.ndjson" ||
    fail "failed ops carry the error"
checks=$((checks + 1))
grep -q '"event":"session_end".*"ok":false,"exit_code":1' "$T/audit.ndjson" ||
    fail "session_end records the exit code"
if command -v node >/dev/null 2>&1; then
    checks=$((checks + 1))
    node -e 'require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").forEach(l=>JSON.parse(l))' \
        "$T/audit.ndjson" || fail "every audit line is JSON"
fi

run --audit "$T/no/such/dir/audit.ndjson" -f "$T/commands.perch" build
expect_status 2 "unwritable audit file"
expect_err "--audit: cannot open"

run --report="$T/no/such/dir/report.txt" -f "$T/commands.perch" build
expect_status 2 "unwritable report file is refused before the run"
expect_err "--report: cannot write"
expect_no_out "building" "nothing runs when the report cannot be written"

finish
