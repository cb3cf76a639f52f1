# Shared defaults for the node scripts: a node NAME maps to a directory under .skiff/nodes.
# Sourced, not executed.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
skiff_dir="${SKIFF_DIR:-$repo_root/.skiff}"
node_dir() { echo "$skiff_dir/nodes/$1"; }
die() { echo "$(basename "$0"): $*" >&2; exit 2; }
