#!/usr/bin/env bash
# `make test`: install what is missing, build, run every workspace's compiled tests.
#   scripts/test.sh [MOCHA_ARGS...]   e.g. scripts/test.sh --grep watch
#   SKIFF_TEST_SPEC='common/dist/test/*.test.js' scripts/test.sh   only those files
# Ends with the line `N passed, N failed`; exits non-zero when anything failed.
# Needs no running cluster: the tests start their own etcd/apiserver through the harness.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$SKIFF_ROOT/scripts/install.sh"
use_project_node
cd "$SKIFF_ROOT"

step "running tests"
output=$(mktemp)
trap 'rm -f "$output"' EXIT
set +e
node node_modules/mocha/bin/mocha.js --config scripts/mocha/mocharc.cjs "$@" 2>&1 </dev/null | tee "$output"
status=${PIPESTATUS[0]}
set -e

# Mocha dies before the reporter's closing line when a test file fails to load; the
# closing line must still be there, and must not claim success.
if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$output"; then
  echo "mocha exited with status $status before reporting results"
  echo "0 passed, 1 failed"
  (( status != 0 )) || status=1
fi
exit "$status"
