#!/usr/bin/env bash
# Install Debian's PostgreSQL HTML manual (postgresql-doc-<major>) for offline
# reading, and print its directory as the last line.
#
#   scripts/install-pg-docs.sh            # PG_MAJOR defaults to 15
#   xdg-open "$(scripts/install-pg-docs.sh | tail -n1)/index.html"
set -euo pipefail

log() { printf '[%s] install-pg-docs: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

PG_MAJOR=${PG_MAJOR:-15}
pkg=postgresql-doc-$PG_MAJOR
html=/usr/share/doc/$pkg/html
export DEBIAN_FRONTEND=noninteractive

SUDO=
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "run as root (or install sudo) to apt-get install $pkg"
  SUDO=sudo
fi

if [[ -d $html ]]; then
  log "$pkg already installed"
else
  log "apt-get install $pkg"
  # Docker-style images drop /usr/share/doc via dpkg path-exclude rules; the
  # check below catches that instead of printing an empty directory.
  if ! $SUDO apt-get install -y -q --no-install-recommends "$pkg" >/dev/null; then
    log "install failed; running apt-get update once and retrying"
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends "$pkg" >/dev/null
  fi
fi

[[ -d $html ]] || die "$html missing after install (is /usr/share/doc excluded in /etc/dpkg/dpkg.cfg.d/?)"
count=$(find "$html" -maxdepth 1 -name '*.html' | wc -l)
((count > 1000)) || die "$html has only $count html pages; expected about 1,100+"
log "$count html pages in $html"
echo "$html"
