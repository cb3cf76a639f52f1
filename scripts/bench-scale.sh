#!/usr/bin/env bash
# `make bench-scale`: issue 22's density run (figure P7, and P8 during it), too long for
# `make bench`: e2e/src/scale/main.ts with hollow nodes and pods through Deployments, then the
# summary of its figures. make bench's summary shows the newest of these runs.
#   SCALE_NODES=1000 SCALE_PODS=10000 SCALE_POD_RATE=50 SCALE_NODES_PER_PROCESS=500 (the defaults)
# The figures go to .skiff/bench/scale-figures-TIME.jsonl, the report to scale-report-TIME.json.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_project_node
cd "$SKIFF_ROOT"

mkdir -p .skiff/bench
SKIFF_BENCH_FIGURES="$SKIFF_ROOT/.skiff/bench/scale-figures-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
export SKIFF_BENCH_FIGURES
: >"$SKIFF_BENCH_FIGURES"
rc=0
node e2e/dist/src/scale/main.js </dev/null || rc=$?
failed=''
(( rc == 2 )) && failed=e2e/src/scale/main.ts
node --conditions=source common/src/testing/bench-summary.ts --figures "$SKIFF_BENCH_FIGURES" --ran e2e/src/scale/main.ts --failed "$failed" --only-scale
exit "$rc"
