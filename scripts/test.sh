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
node_output=$(mktemp)
trap 'rm -f "$output" "$node_output"' EXIT

# The node lane (whole clusters, the lab, containerd, network namespaces) mostly waits for
# pods and timers; it runs beside the other suites in a second mocha process, so `make test`
# takes the longer lane's time, not the sum. Arguments or SKIFF_TEST_SPEC (a narrowed run), or
# SKIFF_TEST_SERIAL=1, give one process as before.
NODE_LANE='e2e/dist/test/**/*.test.js kubelet/dist/test/**/*.test.js proxy/dist/test/**/*.test.js'
# Files that measure the apiserver's own latency under attack (the fuzz test holds /readyz to
# 100 ms) run first, alone: beside the node lane they would measure the machine, not Skiff.
ALONE='apiserver/dist/test/fuzz.test.js'
two_lanes=0
if (( $# == 0 )) && [[ -z "${SKIFF_TEST_SPEC:-}" && "${SKIFF_TEST_SERIAL:-}" != 1 ]]; then two_lanes=1; fi

# Mocha dies before the reporter's closing line when a test file fails to load; the
# closing line must still be there, and must not claim success.
lane_result() { # OUTPUT STATUS -> "passed failed"
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
  if [[ -z "$line" ]]; then
    echo "mocha exited with status $2 before reporting results" >&2
    echo "0 1"
  else
    awk '{ print $1, $3 }' <<<"$line"
  fi
}

set +e
if (( two_lanes )); then
  alone_output=$(mktemp)
  SKIFF_TEST_SPEC="$ALONE" node node_modules/mocha/bin/mocha.js --config scripts/mocha/mocharc.cjs 2>&1 </dev/null | tee "$alone_output"
  alone_status=${PIPESTATUS[0]}
  read -r p0 f0 < <(lane_result "$alone_output" "$alone_status")
  rm -f "$alone_output"
  SKIFF_TEST_SPEC="$NODE_LANE" SKIFF_TEST_IGNORE="$ALONE" node node_modules/mocha/bin/mocha.js --config scripts/mocha/mocharc.cjs >"$node_output" 2>&1 </dev/null &
  node_pid=$!
  SKIFF_TEST_IGNORE="$NODE_LANE $ALONE" node node_modules/mocha/bin/mocha.js --config scripts/mocha/mocharc.cjs 2>&1 </dev/null | tee "$output"
  status=${PIPESTATUS[0]}
  wait "$node_pid"
  node_status=$?
  echo
  echo "---- node lane (e2e, kubelet, proxy) ----"
  cat "$node_output"
  read -r p1 f1 < <(lane_result "$output" "$status")
  read -r p2 f2 < <(lane_result "$node_output" "$node_status")
  (( alone_status == 0 && status == 0 && node_status == 0 && f0 + f1 + f2 == 0 )) && status=0 || status=1
  echo
  echo "$((p0 + p1 + p2)) passed, $((f0 + f1 + f2)) failed"
else
  node node_modules/mocha/bin/mocha.js --config scripts/mocha/mocharc.cjs "$@" 2>&1 </dev/null | tee "$output"
  status=${PIPESTATUS[0]}
  read -r p1 f1 < <(lane_result "$output" "$status")
  if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$output"; then
    echo "0 passed, 1 failed"
    (( status != 0 )) || status=1
  fi
fi
set -e
exit "$status"
