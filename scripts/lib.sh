# Shared helpers for the Skiff scripts. Sourced, never executed.
# Every script sources this right after `set -euo pipefail`.

SKIFF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SKIFF_DIR="${SKIFF_DIR:-$SKIFF_ROOT/.skiff}"

# Progress goes to stderr so scripts that print data on stdout stay pipeable. Each step says
# when it began, in seconds since the command started (SKIFF_STARTED_AT, set once by the first
# script of a `make` target and inherited by the scripts it runs), so that a slow step shows.
export SKIFF_STARTED_AT="${SKIFF_STARTED_AT:-$EPOCHREALTIME}"
elapsed() {
  local now=${EPOCHREALTIME/./} start=${SKIFF_STARTED_AT/./}
  local ms=$(( (now - start) / 1000 ))
  printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100))
}
# A Node component's V8 flags: SKIFF_NODE_FLAGS_<name> (dashes as underscores) when set, else
# its line in scripts/node-flags.conf.
node_flags_of() {
  local flags_var="SKIFF_NODE_FLAGS_${1//-/_}"
  if [[ -n "${!flags_var+set}" ]]; then printf '%s\n' "${!flags_var}"; return; fi
  local name flags
  [[ -f "$SKIFF_ROOT/scripts/node-flags.conf" ]] || { printf '\n'; return; }
  while read -r name flags; do
    [[ "$name" == "$1" ]] && { printf '%s\n' "$flags"; return; }
  done <"$SKIFF_ROOT/scripts/node-flags.conf"
  printf '\n'
}

step() { printf '==> %s  [%s]\n' "$*" "$(elapsed)" >&2; }
info() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Node 24 lives in node_modules/.bin (the `node` npm package); the system node is
# only good enough to run the bootstrap `npm ci`.
use_project_node() {
  case ":$PATH:" in
    *":$SKIFF_ROOT/node_modules/.bin:"*) ;;
    *) PATH="$SKIFF_ROOT/node_modules/.bin:$PATH" ;;
  esac
  export PATH
  # Node keeps the compiled code of every module it loads here (keyed by the file's content and
  # Node's version), so the next start of a component does not compile them again: tests and the
  # lab start hundreds of Node processes, and compiling dependencies was a tenth of each start.
  export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$SKIFF_ROOT/.skiff/cache/node-compile}"
}

# skiff_program WORKSPACE [PATH]: node's arguments, one per line, to run a Skiff program:
# WORKSPACE/dist/src/PATH.js when built, else the TypeScript source (also with
# SKIFF_FROM_SOURCE=1). PATH defaults to main, a component, which gets its V8 flags
# (node_flags_of). Use: mapfile -t args < <(skiff_program proxy)
skiff_program() {
  local rel=${2:-main}
  if [[ "$rel" == main ]]; then
    local -a flags=()
    read -r -a flags <<<"$(node_flags_of "$1")"
    [[ ${#flags[@]} -eq 0 ]] || printf '%s\n' "${flags[@]}"
  fi
  if [[ "${SKIFF_FROM_SOURCE:-0}" == 1 || ! -f "$SKIFF_ROOT/$1/dist/src/$rel.js" ]]; then
    printf '%s\n' --conditions=source "$SKIFF_ROOT/$1/src/$rel.ts"
  else
    printf '%s\n' "$SKIFF_ROOT/$1/dist/src/$rel.js"
  fi
}

# PATH without node_modules/.bin, for running the system npm: `npm ci` deletes
# node_modules, including the node binary that would otherwise be running it.
system_path() {
  local out="" dir
  local IFS=:
  for dir in $PATH; do
    [[ "$dir" == "$SKIFF_ROOT/node_modules/.bin" || "$dir" == "node_modules/.bin" ]] && continue
    out="${out:+$out:}$dir"
  done
  printf '%s' "$out"
}

# Run as root, or through sudo when we are not.
as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root to run: $* (re-run as root or install sudo)"
  fi
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.25 s; non-zero on timeout.
wait_until() {
  local timeout=$1; shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || return 1
    sleep 0.25
  done
}
