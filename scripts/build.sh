#!/usr/bin/env bash
# The build: TypeScript (tsc -b), then the dashboard's and the components' esbuild bundles, each
# skipped when current. Run by install.sh and by `cluster.sh up --build` (make up), which runs
# it while the first services start.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_project_node
step "building (tsc -b)"
(cd "$SKIFF_ROOT" && tsc -b) || die "build failed (tsc -b)"
step "bundling the dashboard and the components (esbuild)"
(cd "$SKIFF_ROOT" && node dashboard/build.mjs) || die "build failed (dashboard/build.mjs)"
(cd "$SKIFF_ROOT" && node scripts/bundle-components.mjs) || die "build failed (scripts/bundle-components.mjs)"
