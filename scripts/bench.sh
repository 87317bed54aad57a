#!/usr/bin/env bash
# scripts/bench.sh: build and run the engine benchmarks, and record the results.
#
#   scripts/bench.sh BUILD_DIR [perch-bench options...]      (`make bench` runs this)
#
# Builds perch-bench and everything it needs in BUILD_DIR (configuring it first when
# needed), runs it, and appends the output to bench/RESULTS.md under a heading with the
# date, the commit, the machine (uname -m), the CPU model and the compiler.
# Options after BUILD_DIR go to perch-bench (e.g. --reps 3, --scale 50, fib sieve).
# Benchmarks mean something only in an optimised build (build/release, RelWithDebInfo).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [perch-bench options...]" >&2; exit 2; }
build=$1; shift
if [ ! -e "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo || exit 2
fi
if grep -q '^PERCH_SANITIZE:STRING=.\+' "$build/CMakeCache.txt"; then
  echo "bench.sh: warning: $build is a sanitizer build; timings will not be representative" >&2
fi
cmake --build "$build" -j "${JOBS:-2}" --target perch-bench || exit 2

cpu=$(grep -m1 -E '^(model name|Hardware|Processor)' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*:[[:space:]]*//')
[ -n "$cpu" ] || cpu=$(sysctl -n machdep.cpu.brand_string 2>/dev/null || echo unknown)
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
cc_version=$("${cc:-cc}" --version 2>/dev/null | head -1)
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
[ -n "$build_type" ] || build_type="RelWithDebInfo"  # the top CMakeLists.txt's default
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$build/bench/perch-bench" "$@" | tee "$out"
status=${PIPESTATUS[0]}

results=$root/bench/RESULTS.md
[ -e "$results" ] || printf '# Benchmark results\n\nAppended by scripts/bench.sh (`make bench`); newest last.\n' >"$results"
{
  printf '\n## %s, commit %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$commit"
  printf -- '- machine: %s, %s, %s CPUs\n' "$(uname -m)" "$cpu" "$(nproc 2>/dev/null || echo '?')"
  printf -- '- load average before the run: %s (other work on the machine skews the times)\n' "$load"
  printf -- '- build: %s (%s); kernels: native %s -O2, wasm clang --target=wasm32-wasi -O2 -mbulk-memory -msign-ext -mnontrapping-fptoint -mmutable-globals\n' \
    "$build" "$build_type" "$cc_version"
  [ $# -gt 0 ] && printf -- '- options: %s\n' "$*"
  [ "$status" -ne 0 ] && printf -- '- perch-bench exit status %s (a kernel failed or mismatched)\n' "$status"
  printf '\n```\n'
  cat "$out"
  printf '```\n'
} >>"$results"
echo "bench.sh: appended to $results"
exit "$status"
