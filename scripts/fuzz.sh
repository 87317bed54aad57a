#!/usr/bin/env bash
# scripts/fuzz.sh: build the libFuzzer targets (tests/fuzz/fuzz_*.c) and run each briefly.
#
#   scripts/fuzz.sh [TARGET...]        default: every tests/fuzz/fuzz_*.c
#
# Configures build/fuzz with clang, -DPERCH_FUZZ=ON and every library instrumented
# (-fsanitize=fuzzer-no-link,address,undefined), builds the targets, then runs each for
# FUZZ_SECONDS (default 30). Seeds: tests/fuzz/corpus/<target>/ and, for fuzz_wasm_*, the
# spec-test .wasm files (converted from ../shared/wasm-spec-tests into build/fuzz/spec-json).
# New inputs go to build/fuzz/corpus/<target>/ (never into the source tree); crashes to
# build/fuzz/artifacts/. Exits non-zero when a target fails to build or crashes.
# env: FUZZ_SECONDS  CC (default clang)  PERCH_SHARED (default <repo>/../shared)
#      FUZZ_JOBS (cmake -j, default 2)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/fuzz
seconds=${FUZZ_SECONDS:-30}
cc=${CC:-clang}
shared=${PERCH_SHARED:-$root/../shared}
command -v "$cc" >/dev/null || { echo "fuzz.sh: $cc not found (scripts/deps.sh)" >&2; exit 2; }

if [ $# -gt 0 ]; then
  targets="$*"
else
  targets=$(cd "$root/tests/fuzz" && ls fuzz_*.c 2>/dev/null | sed 's/\.c$//')
fi
[ -n "$targets" ] || { echo "fuzz.sh: no tests/fuzz/fuzz_*.c" >&2; exit 2; }

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPERCH_FUZZ=ON -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  >"$build.cmake.log" 2>&1 || { cat "$build.cmake.log" >&2; exit 2; }

status=0; built=""
for t in $targets; do
  if cmake --build "$build" -j "${FUZZ_JOBS:-2}" --target "$t" >"$build/$t.build.log" 2>&1; then
    built="$built $t"
  else
    echo "fuzz.sh: $t does not build:" >&2; tail -20 "$build/$t.build.log" >&2
    status=1
  fi
done

# Spec-test modules make good seeds for the wasm targets.
spec_seeds=""
if echo "$built" | grep -q fuzz_wasm_ && [ -x "$shared/wasm-spec-tests/convert.sh" ]; then
  if [ ! -e "$build/spec-json/.converted" ]; then
    "$shared/wasm-spec-tests/convert.sh" "$build/spec-json" core simd >/dev/null 2>&1 \
      && touch "$build/spec-json/.converted"
  fi
  if [ -e "$build/spec-json/.converted" ]; then
    mkdir -p "$build/spec-seeds"
    find "$build/spec-json" -name '*.wasm' -exec cp -n {} "$build/spec-seeds/" \; 2>/dev/null
    spec_seeds=$build/spec-seeds
  fi
fi

mkdir -p "$build/artifacts"
for t in $built; do
  corpus=$build/corpus/$t
  mkdir -p "$corpus"
  seeds=""
  [ -d "$root/tests/fuzz/corpus/$t" ] && seeds="$root/tests/fuzz/corpus/$t"
  case $t in fuzz_wasm_*) [ -n "$spec_seeds" ] && seeds="$seeds $spec_seeds" ;; esac
  echo "== $t: ${seconds}s"
  # shellcheck disable=SC2086
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$corpus" $seeds \
    >"$build/$t.log" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "fuzz.sh: $t FAILED (exit $rc); log: $build/$t.log" >&2
    grep -E 'ERROR|SUMMARY|Test unit written|artifact' "$build/$t.log" | head -10 >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$build/$t.log" \
      | sed "s/^/  /"
  fi
done
exit $status
