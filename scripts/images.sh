#!/usr/bin/env bash
# Builds every recipe under images/ and pushes it to the local registry as
# <registry>/skiff/<folder>:latest and <registry>/library/<folder>:latest (the name the
# docker.io mirror of every node's containerd looks up for `busybox`); a push is skipped when the registry already has the same
# manifest digest (the builder is reproducible). Env: SKIFF_REGISTRY_ADDR, SKIFF_DIR,
# SKIFF_REGISTRY_CA (the registry serves HTTPS with a certificate from this CA).
# Usage: scripts/images.sh [NAME...]   (default: all folders with an image.json)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
skiff_dir="${SKIFF_DIR:-$repo_root/.skiff}"
addr="${SKIFF_REGISTRY_ADDR:-127.0.0.1:5000}"
cli=(--conditions=source "$repo_root/kubelet/src/images/cli.ts")
# a release (make dist) has only the compiled builder
[[ -f "${cli[1]}" ]] || cli=("$repo_root/kubelet/dist/src/images/cli.js")
# The project pins Node 24 (runs .ts directly) in node_modules/.bin.
export PATH="$repo_root/node_modules/.bin:$PATH"

if [[ $# -gt 0 ]]; then names=("$@"); else
  names=()
  for recipe in "$repo_root"/images/*/image.json; do names+=("$(basename "$(dirname "$recipe")")"); done
fi

# The registry already holds what these recipes and this builder make, when the stamp of the
# last full push matches and the registry still has every manifest: nothing to build (each
# build is a Node process and some tarring, about 0.7 s an image, on `make up`'s path).
stamp_file="$skiff_dir/images/pushed-$(printf '%s' "$addr" | tr -c 'A-Za-z0-9.-' '_').stamp"
fingerprint() {
  (cd "$repo_root" && find images kubelet/src/images -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}
registry_has() {
  local scheme=http
  [[ -n "${SKIFF_REGISTRY_CA:-}" ]] && scheme=https
  curl -fsS -o /dev/null --max-time 2 ${SKIFF_REGISTRY_CA:+--cacert "$SKIFF_REGISTRY_CA"} -I \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "$scheme://$addr/v2/$1/manifests/latest"
}
all_pushed() {
  [[ $# -eq 0 && -f "$stamp_file" && "$(cat "$stamp_file")" == "$(fingerprint)" ]] || return 1
  local recipe name
  for recipe in "$repo_root"/images/*/image.json; do
    name=$(basename "$(dirname "$recipe")")
    registry_has "skiff/$name" && registry_has "library/$name" || return 1
  done
}
if all_pushed "$@"; then
  echo "images: the registry has them all, built from the current recipes"
  exit 0
fi

for name in "${names[@]}"; do
  [[ -f "$repo_root/images/$name/image.json" ]] || { echo "no recipe images/$name/image.json" >&2; exit 1; }
  node "${cli[@]}" build "$repo_root/images/$name" --name "skiff/$name:latest" --alias "library/$name:latest" \
    --out "$skiff_dir/images" --push --registry "$addr" ${SKIFF_REGISTRY_CA:+--registry-ca "$SKIFF_REGISTRY_CA"}
done
if [[ $# -eq 0 ]]; then
  mkdir -p "$(dirname "$stamp_file")"
  fingerprint >"$stamp_file"
fi
