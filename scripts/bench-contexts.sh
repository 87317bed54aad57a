#!/usr/bin/env bash
# scripts/bench-contexts.sh: execution-context benchmarks (bench/contexts/).
#
#   scripts/bench-contexts.sh BUILD_DIR [--no-record]
#
# Uses BUILD_DIR/perch and examples/01-frontmatter/frontmatter.wasm (build the
# `perch` and `examples` targets first) and generated markdown posts:
#   (a) 200 posts validated one by one, then in a `parallel` block
#   (b) 5,000 posts through `cache` + wasm_run: cold (empty cache), then warm
#   (c) the same 5,000 with one post changed (one miss, 4,999 hits)
# Each time is the best of 3 runs (cold: one run). Results are printed and,
# unless --no-record, appended to bench/RESULTS.md with the date, commit,
# machine and load average. Targets on a 2-core machine: (a) parallel
# <= 0.6 x sequential and <= 1 s; (b) warm <= 0.3 s; (c) <= 0.35 s.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [--no-record]" >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 2
record=1
[ "${2:-}" = "--no-record" ] && record=0
perch=$build/perch
suite=$root/bench/contexts/contexts.perch
module=$root/examples/01-frontmatter/frontmatter.wasm
for f in "$perch" "$module"; do
  [ -e "$f" ] || { echo "bench-contexts.sh: $f is missing (build perch and examples)" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/perch-bench-ctx.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
export XDG_CACHE_HOME=$T/cache
unset NO_COLOR CI

# make_posts DIR N: N valid posts under DIR/posts.
make_posts() {
  mkdir -p "$1/posts"
  local i
  for ((i = 1; i <= $2; i++)); do
    printf -- '---\ntitle: "Post %d"\ndate: 2025-01-%02d\ntags: [bench, perch]\n---\n\nBody of post %d.\n' \
      "$i" $(((i % 28) + 1)) "$i" >"$1/posts/p$i.md"
  done
}

# run_once CMD DIR: seconds taken by one run (output discarded); fails loudly.
run_once() {
  local t0 t1
  t0=$(date +%s%N)
  if ! "$perch" -f "$suite" "$1" "$2" >/dev/null 2>"$T/err.txt"; then
    echo "bench-contexts.sh: perch $1 failed:" >&2
    tail -5 "$T/err.txt" >&2
    exit 1
  fi
  t1=$(date +%s%N)
  echo "scale=3; ($t1 - $t0) / 1000000000" | bc
}

# best3 CMD DIR: the best of three runs.
best3() {
  local best="" t
  for _ in 1 2 3; do
    t=$(run_once "$1" "$2")
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

make_posts "$T/a" 200
make_posts "$T/b" 5000
seq_s=$(best3 validate_seq "$T/a")
par_s=$(best3 validate_par "$T/a")
ratio=$(echo "scale=2; $par_s / $seq_s" | bc)
cold_s=$(run_once validate_cached "$T/b")
warm_s=$(best3 validate_cached "$T/b")
hits=$(grep -c 'cache hit' "$T/err.txt")
echo "changed" >>"$T/b/posts/p2500.md"
changed_s=$(run_once validate_cached "$T/b")
changed_hits=$(grep -c 'cache hit' "$T/err.txt")
changed_best=$(best3 validate_cached "$T/b")
# After the first changed run the entry exists again: re-change to measure a miss.
for k in 1 2; do
  echo "changed $k" >>"$T/b/posts/p2500.md"
  t=$(run_once validate_cached "$T/b")
  if [ "$(echo "$t < $changed_s" | bc)" = 1 ]; then changed_s=$t; fi
done

cpu=$(grep -m1 -E '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*:[[:space:]]*//')
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
report=$(cat <<REPORT
## $(date -u '+%Y-%m-%d %H:%M') UTC, commit $commit: execution contexts (scripts/bench-contexts.sh)

- machine: $(uname -m), ${cpu:-unknown}, $ncpu CPUs; load average before the runs: $load
- module: examples/01-frontmatter/frontmatter.wasm; best of 3 unless noted

\`\`\`
(a) 200 posts, sequential               ${seq_s} s
    200 posts, parallel                 ${par_s} s   (${ratio} x sequential; target <= 0.6 x and <= 1 s)
(b) 5,000 posts, cache cold (1 run)     ${cold_s} s
    5,000 posts, cache warm             ${warm_s} s   ($hits hits; target <= 0.3 s)
(c) one of 5,000 changed (best of 3 misses)  ${changed_s} s   ($changed_hits hits; target <= 0.35 s)
    5,000 all hits again                ${changed_best} s
\`\`\`
REPORT
)
echo "$report"
if [ "$record" = 1 ]; then
  printf '\n%s\n' "$report" >>"$root/bench/RESULTS.md"
fi
