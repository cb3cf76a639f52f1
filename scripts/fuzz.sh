#!/usr/bin/env bash
# `make fuzz`: the apiserver fuzz test with a random seed (CI runs it with the fixed seed 13).
#   scripts/fuzz.sh [SEED]   SKIFF_FUZZ_REQUESTS=N for another request count (default 20000)
# A failing seed reproduces with `scripts/fuzz.sh SEED`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$SKIFF_ROOT/scripts/install.sh"
use_project_node
cd "$SKIFF_ROOT"

seed=${1:-$(( (RANDOM << 15) | RANDOM ))}
step "fuzzing the apiserver with seed $seed"
SKIFF_FUZZ_SEED=$seed node node_modules/mocha/bin/mocha.js --config scripts/mocha/mocharc.cjs apiserver/dist/test/fuzz.test.js </dev/null
