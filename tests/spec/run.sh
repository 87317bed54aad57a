#!/usr/bin/env bash
# tests/spec/run.sh: run the WebAssembly spec test suite against perch's engine.
#
#   tests/spec/run.sh [-v] [--update-known] [--tier auto|interp] BUILD_DIR [SUBDIR...]
#
# SUBDIRs are folders of ../shared/wasm-spec-tests (default: core core-older-revs simd).
# Converts their .wast files with the suite's convert.sh into BUILD_DIR/spec-json/<SUBDIR>
# (again only when a .wast is newer than the last conversion), runs perch-spectest on every
# JSON file (one process per file, so a crash is reported and the rest still run), and
# compares the failing commands with tests/spec/known_failures.txt in both directions:
# a failure not listed, a listed failure that now passes, or a crash fails the run.
#
#   -v               pass -v to the runner (every failure with what was expected and got)
#   --update-known   rewrite the entries of known_failures.txt for the files run from
#                    this run's failures (entries of other files are kept)
#   --tier T         the engine tier to run the modules in (perch-spectest --tier):
#                    auto (default: native code where supported) or interp
# env: PERCH_SHARED        the shared folder (default: <repo>/../shared)
#      PERCH_SPECTEST      the runner (default: BUILD_DIR/tests/spec/perch-spectest)
#      SPEC_FILE_TIMEOUT   seconds one .wast file may take (default 600)
set -u
here=$(cd "$(dirname "$0")" && pwd)
verbose=""; update=0; tier=auto
while [ $# -gt 0 ]; do
  case $1 in
    -v) verbose=-v; shift ;;
    --update-known) update=1; shift ;;
    --tier) [ $# -ge 2 ] || { echo "run.sh: --tier needs auto or interp" >&2; exit 2; }
            tier=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: $0 [-v] [--update-known] BUILD_DIR [SUBDIR...]" >&2; exit 2; }
build=$(cd "$1" 2>/dev/null && pwd) || { echo "run.sh: no build folder $1" >&2; exit 2; }
shift
[ $# -gt 0 ] || set -- core core-older-revs simd

root=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null) || root=$(cd "$here/../.." && pwd)
shared=${PERCH_SHARED:-$root/../shared}
suite=$shared/wasm-spec-tests
[ -x "$suite/convert.sh" ] || { echo "run.sh: no spec tests at $suite (set PERCH_SHARED)" >&2; exit 2; }
runner=${PERCH_SPECTEST:-$build/tests/spec/perch-spectest}
[ -x "$runner" ] || { echo "run.sh: no runner at $runner (build the perch-spectest target)" >&2; exit 2; }
known=$here/known_failures.txt
timeout_s=${SPEC_FILE_TIMEOUT:-600}

work=$build/spec-json
mkdir -p "$work"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/perch-spec.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Convert each folder unless its stamp is newer than every .wast in it.
for sub in "$@"; do
  [ -d "$suite/$sub" ] || { echo "run.sh: no such folder: $suite/$sub" >&2; exit 2; }
  stamp=$work/$sub/.converted
  if [ -e "$stamp" ] && [ -z "$(find "$suite/$sub" -name '*.wast' -newer "$stamp" | head -1)" ]; then
    continue
  fi
  rm -rf "${work:?}/$sub"
  "$suite/convert.sh" "$work/$sub" "$sub" >"$tmp/convert.log" 2>&1 \
    || { cat "$tmp/convert.log" >&2; echo "run.sh: conversion of $sub failed" >&2; exit 2; }
  touch "$stamp"
done

passed=0; failed=0; skipped=0; mismatches=0; crashed=""
: >"$tmp/failures"; : >"$tmp/files"; : >"$tmp/crashed"
for sub in "$@"; do
  for json in "$work/$sub"/*/*.json; do
    [ -e "$json" ] || continue
    name=$(basename "$json" .json).wast
    echo "$name" >>"$tmp/files"
    timeout -k 5 "$timeout_s" "$runner" $verbose --tier "$tier" --list-failures "$tmp/one" "$json" >"$tmp/out" 2>&1
    rc=$?
    # Everything but the runner's closing total line (run.sh prints its own).
    grep -v -E '^[0-9]+ (passed|assertions)' "$tmp/out"
    if [ $rc -gt 1 ]; then
      case $rc in
        2) why="the runner could not read it" ;;
        124|137) why="timed out after ${timeout_s}s" ;;
        *) if [ $rc -gt 128 ]; then why="killed by signal $((rc - 128))"; else why="exit status $rc"; fi ;;
      esac
      echo "CRASH $sub/$name: $why"
      crashed="$crashed $name"; echo "$name" >>"$tmp/crashed"
      continue
    fi
    cat "$tmp/one" >>"$tmp/failures"
    line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$" "$tmp/out" | tail -1)
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -E 's/.* ([0-9]+) skipped.*/\1/')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
    m=$(sed -n -E 's/^([0-9]+) assertions failed with the right kind.*/\1/p' "$tmp/out")
    mismatches=$((mismatches + ${m:-0}))
  done
done

sort -u "$tmp/failures" >"$tmp/actual"
# The files whose results count: those that ran without crashing.
sort -u "$tmp/files" | comm -23 - <(sort -u "$tmp/crashed") >"$tmp/ran"
# known_failures.txt without comments and blank lines: "name.wast:LINE".
sed -E 's/#.*//; s/[[:space:]]+$//; s/^[[:space:]]+//; /^$/d' "$known" 2>/dev/null >"$tmp/known.all" || :
awk -F: 'NR == FNR { ran[$0] = 1; next } ($1 in ran)' "$tmp/ran" "$tmp/known.all" | sort -u >"$tmp/known"

comm -23 "$tmp/actual" "$tmp/known" >"$tmp/new"
comm -13 "$tmp/actual" "$tmp/known" >"$tmp/fixed"
n_new=$(wc -l <"$tmp/new"); n_fixed=$(wc -l <"$tmp/fixed")

if [ $update -eq 1 ]; then
  {
    grep -E '^#' "$known" 2>/dev/null \
      || echo "# Spec commands that fail today, one name.wast:LINE per line (see README.md)."
    { awk -F: 'NR == FNR { ran[$0] = 1; next } !($1 in ran)' "$tmp/ran" "$tmp/known.all"
      cat "$tmp/actual"; } | sort -t: -k1,1 -k2,2n -u
  } >"$tmp/known.new"
  cp "$tmp/known.new" "$known"
  echo "run.sh: wrote $(grep -c -v '^#' "$known") entries to $known"
  n_new=0; n_fixed=0
fi

if [ "$n_new" -gt 0 ]; then
  echo "new failures (not in known_failures.txt): $n_new"
  head -50 "$tmp/new" | sed 's/^/  /'
  [ "$n_new" -gt 50 ] && echo "  ..."
fi
if [ "$n_fixed" -gt 0 ]; then
  echo "unexpected passes (listed in known_failures.txt, now pass; remove them): $n_fixed"
  head -50 "$tmp/fixed" | sed 's/^/  /'
  [ "$n_fixed" -gt 50 ] && echo "  ..."
fi
[ -n "$crashed" ] && echo "crashed:$crashed"
[ "$mismatches" -gt 0 ] && echo "$mismatches assertions failed with the right kind of error but another message (-v shows them)"
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$n_new" -eq 0 ] && [ "$n_fixed" -eq 0 ] && [ -z "$crashed" ]
