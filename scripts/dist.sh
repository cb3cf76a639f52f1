#!/usr/bin/env bash
# `make dist`: one release tarball a machine without a clone, npm or a build installs from
# (deploy/install.sh, at the tarball's top as install.sh). Run after the build (`make build`
# or `make up`); nothing is compiled here.
#   scripts/dist.sh [--out DIR]      (default .skiff/dist)
# Writes into DIR:
#   skiff-VERSION-linux-ARCH.tar.gz  VERSION = package.json's version + the git short hash
#                                    (+ ".dirty" when the tree has uncommitted changes)
#   install.sh                       the same installer as in the tarball, for a one-line install
#   SHA256SUMS                       of both (sha256sum -c reads it)
# The tarball holds one directory skiff-VERSION-linux-ARCH/ with: install.sh, VERSION, each
# component's package.json and compiled dist/src (no tests, maps or declarations) plus the
# .proto files it reads at run time, the dashboard's built files, the production node_modules
# of those components only, the pinned Node 24 binary as node_modules/.bin/node (the `node`
# package's real binary), the image recipes (images/) and the scripts a server or an agent runs.
# gzip -1: the Node binary is most of it; a cheap level costs little size.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_project_node

out="$SKIFF_DIR/dist"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    *) die "usage: dist.sh [--out DIR]" ;;
  esac
done

# The workspaces a node runs (e2e and the dashboard's sources are not shipped: the dashboard is
# bundled into dashboard/dist/ui, which the apiserver serves).
COMPONENTS=(common apiserver controller-manager scheduler kubelet proxy dns metrics-server ingress kubectl-lite)
# What a server or an agent runs from scripts/ (not the lab, tests, benchmarks or the dev install).
SCRIPTS=(lib.sh cluster.sh services.sh supervise.sh bootstrap.sh dashboard-login.sh pki.sh kubeconfig.sh
  encryption-config.sh audit-policy.yaml registry.sh images.sh etcd-backup.sh systemd-units.sh
  uninstall.sh debian-packages.sh node-flags.conf)

started_ms=$(date +%s%3N)
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "unsupported machine $(uname -m)" ;;
esac
version=$(node -p 'require(process.argv[1]).version' "$SKIFF_ROOT/package.json")
if hash=$(git -C "$SKIFF_ROOT" rev-parse --short HEAD 2>/dev/null); then
  version="$version-$hash"
  [[ -z "$(git -C "$SKIFF_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]] || version="$version.dirty"
fi
name="skiff-$version-linux-$arch"

for ws in "${COMPONENTS[@]}"; do
  [[ -f "$SKIFF_ROOT/$ws/dist/src/index.js" || -f "$SKIFF_ROOT/$ws/dist/src/main.js" ]] \
    || die "$ws is not built ($ws/dist/src missing): run make build first"
done
[[ -f "$SKIFF_ROOT/dashboard/dist/ui/index.html" ]] || die "the dashboard is not built: run make build first"
node_bin=$(readlink -f "$SKIFF_ROOT/node_modules/.bin/node")
[[ -x "$node_bin" && "$("$node_bin" --version)" == v24.* ]] || die "no Node 24 binary at node_modules/.bin/node"

mkdir -p "$out"
out=$(cd "$out" && pwd)
stage="$out/.stage"
rm -rf "$stage"
root="$stage/$name"
mkdir -p "$root/node_modules/.bin" "$root/node_modules/@skiff" "$root/scripts/node" "$root/dashboard/dist" "$root/bin"

# copy_tree FROM TO PATH...: PATHs under FROM, without source maps and type declarations
copy_tree() {
  local from=$1 to=$2; shift 2
  mkdir -p "$to"
  tar -C "$from" -cf - --exclude='*.map' --exclude='*.d.ts' --exclude='*.d.mts' --exclude='*.d.cts' \
    --exclude='*.tsbuildinfo' "$@" | tar -C "$to" -xf -
}

step "$name: components"
for ws in "${COMPONENTS[@]}"; do
  copy_tree "$SKIFF_ROOT/$ws" "$root/$ws" package.json dist/src
  # .proto files the compiled code reads beside its sources (apiserver protobuf, kubelet CRI)
  (cd "$SKIFF_ROOT/$ws" && find src -name '*.proto' -print0 | tar -cf - --null -T - | tar -C "$root/$ws" -xf -)
  ln -s "../../$ws" "$root/node_modules/@skiff/$ws"
done
copy_tree "$SKIFF_ROOT/dashboard/dist" "$root/dashboard/dist" ui
cp "$SKIFF_ROOT/bin/kubectl-lite" "$root/bin/"

step "$name: production node_modules"
ws_args=()
for ws in "${COMPONENTS[@]}"; do ws_args+=(-w "$ws"); done
mapfile -t deps < <(cd "$SKIFF_ROOT" && PATH="$(system_path):$SKIFF_ROOT/node_modules/.bin" \
  npm ls --omit=dev --all --parseable "${ws_args[@]}" 2>/dev/null \
  | grep -F "$SKIFF_ROOT/node_modules/" | grep -v -e '/node_modules/@skiff/' -e '/node_modules/@types/' | sort -u)
(( ${#deps[@]} > 10 )) || die "npm ls found no production dependencies (is node_modules installed?)"
rel=()
for dep in "${deps[@]}"; do rel+=("${dep#$SKIFF_ROOT/}"); done
# a nested node_modules/ comes with its parent package as well
copy_tree "$SKIFF_ROOT" "$root" "${rel[@]}"
cp "$node_bin" "$root/node_modules/.bin/node"

step "$name: scripts, image recipes, installer"
for s in "${SCRIPTS[@]}"; do cp -p "$SKIFF_ROOT/scripts/$s" "$root/scripts/"; done
cp -rp "$SKIFF_ROOT/scripts/bootstrap" "$root/scripts/"
cp -p "$SKIFF_ROOT"/scripts/node/*.sh "$root/scripts/node/"
cp -rp "$SKIFF_ROOT/images" "$root/"
cp -p "$SKIFF_ROOT/deploy/install.sh" "$root/install.sh"
chmod 755 "$root/install.sh"
printf '%s\n' "$version" >"$root/VERSION"
printf '{ "name": "skiff", "private": true, "version": "%s", "type": "module" }\n' "$version" >"$root/package.json"

step "$name: packing (gzip -1)"
rm -f "$out"/skiff-*-linux-*.tar.gz "$out/SHA256SUMS"
tar -C "$stage" --owner=0 --group=0 -cf - "$name" | gzip -1 >"$out/$name.tar.gz"
cp -p "$SKIFF_ROOT/deploy/install.sh" "$out/install.sh"
(cd "$out" && sha256sum "$name.tar.gz" install.sh >SHA256SUMS)
unpacked=$(du -sm "$root" | cut -f1)
rm -rf "$stage"
elapsed_ms=$(( $(date +%s%3N) - started_ms ))
size=$(stat -c %s "$out/$name.tar.gz")
printf '%s/%s.tar.gz: %d MB (%d MB unpacked), made in %d.%01d s\n' "$out" "$name" $((size / 1000000)) "$unpacked" \
  $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100))
sed 's/^/  sha256 /' "$out/SHA256SUMS"
printf '  sha256 %s  SHA256SUMS (pins both: deploy/cloud-init.yaml)\n' "$(sha256sum "$out/SHA256SUMS" | cut -d' ' -f1)"
