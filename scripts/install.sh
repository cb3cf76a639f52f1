#!/usr/bin/env bash
# Installs whatever is missing for building and running Skiff, then builds it.
#   scripts/install.sh [--no-build]
# Safe to run any number of times: each step is skipped when already satisfied.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=1
case "${1:-}" in
  "") ;;
  --no-build) build=0 ;;
  *) die "usage: install.sh [--no-build]" ;;
esac

# The runtime the cluster needs, from Debian (scripts/debian-packages.sh: a server's packages),
# and the browser the dashboard's tests drive (playwright-core, e2e/test/single-node/dashboard.test.ts).
source "$SKIFF_ROOT/scripts/debian-packages.sh"
DEBIAN_PACKAGES=("${SKIFF_SERVER_PACKAGES[@]}" chromium)

# npm ci when node_modules is missing or older than the lock file. npm writes
# node_modules/.package-lock.json at the end of every install, so it marks completion.
install_node_modules() {
  local stamp="$SKIFF_ROOT/node_modules/.package-lock.json"
  if [[ -f "$stamp" && ! "$SKIFF_ROOT/package-lock.json" -nt "$stamp" ]]; then
    info "node_modules: up to date"
    return 0
  fi
  local syspath; syspath=$(system_path)
  if ! PATH="$syspath" command -v npm >/dev/null; then
    install_debian_packages npm
  fi
  step "npm ci (node_modules missing or older than package-lock.json)"
  (cd "$SKIFF_ROOT" && PATH="$syspath" npm ci --no-audit --no-fund </dev/null) || die "npm ci failed"
}

check_node() {
  use_project_node
  local version
  version=$(node --version 2>/dev/null) || die "node not found in $SKIFF_ROOT/node_modules/.bin (npm ci did not install the node package?)"
  [[ "$version" == v24.* ]] || die "expected Node 24 from node_modules/.bin, got $version from $(command -v node)"
  info "node $version ($(command -v node))"
}


step "checking dependencies"
install_debian_packages "${DEBIAN_PACKAGES[@]}"
install_node_modules
check_node
[[ $build -eq 1 ]] && bash "$SKIFF_ROOT/scripts/build.sh"
exit 0
