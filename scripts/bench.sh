#!/usr/bin/env bash
# `make bench`: runs every benchmark file */bench/*.ts from source, one after another, then
# prints the summary table of the performance figures (issue 22) the benches recorded.
#   scripts/bench.sh [FILTER...]   only files whose path contains one of the FILTERs
#   (make bench FILTER='api.bench scheduler.bench control-plane-rss': the files of the figures)
# The figures of a run go to .skiff/bench/figures-TIME.jsonl (SKIFF_BENCH_FIGURES), one a line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_project_node
cd "$SKIFF_ROOT"

command -v wrk >/dev/null || { step "installing wrk"; apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
mapfile -t files < <(find . -mindepth 3 -maxdepth 3 -path './*/bench/*.ts' -not -path './node_modules/*' -not -name '*.d.ts' | sort)
if (( $# > 0 )); then
  mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -F "${@/#/-e}" || true)
fi
if [[ ${#files[@]} -eq 0 || -z "${files[0]}" ]]; then
  echo "no benchmarks yet"
  exit 0
fi
mkdir -p .skiff/bench
SKIFF_BENCH_FIGURES="$SKIFF_ROOT/.skiff/bench/figures-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
export SKIFF_BENCH_FIGURES
: >"$SKIFF_BENCH_FIGURES"
failed=0
ran=()
failed_files=()
for file in "${files[@]}"; do
  step "bench ${file#./}"
  ran+=("${file#./}")
  node --conditions=source "$file" </dev/null || { echo "bench failed: ${file#./}" >&2; failed=1; failed_files+=("${file#./}"); }
done
# the figures only `make bench-scale` measures come from its newest run, if there was one
scale_figures=$(ls -t .skiff/bench/scale-figures-*.jsonl 2>/dev/null | head -1 || true)
node --conditions=source common/src/testing/bench-summary.ts --figures "$SKIFF_BENCH_FIGURES" --ran "${ran[*]}" --failed "${failed_files[*]:-}" \
  ${scale_figures:+--scale-figures "$scale_figures"}
exit "$failed"
