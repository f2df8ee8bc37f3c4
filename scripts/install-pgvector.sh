#!/usr/bin/env bash
# Build and install pgvector into this machine's running PostgreSQL (Debian),
# from Debian's own source package. See "Running on PostgreSQL" in README.md.
#
#   sudo scripts/install-pgvector.sh
#
# Debian 12's PostgreSQL 15 has no pgvector package, so:
#   1. skip everything when the server already lists the `vector` extension;
#   2. apt-get install postgresql-server-dev-<major> (+ build-essential);
#   3. in a temp dir with its own apt state, add ONE deb-src line for the
#      Debian release that ships pgvector (trixie), whose mirror URI is read
#      from this machine's apt sources (no host is written in this repo);
#   4. apt-get source --download-only pgvector, dpkg-source -x, make install;
#   5. check that `CREATE EXTENSION vector` works in a scratch database.
#
# Environment (all optional):
#   PG_MAJOR               server major version (default: asked from the server)
#   CAIRN_PGVECTOR_SUITE   Debian suite to take the source from (default trixie)
#   CAIRN_DEBIAN_MIRROR    Debian mirror URI (default: derived from apt sources)
#   CAIRN_DEBIAN_KEYRING   keyring for the deb-src line
#                          (default /usr/share/keyrings/debian-archive-keyring.gpg)
#   CAIRN_KEEP_TMP=1       keep the temp dir for inspection
#   PGHOST / PGPORT        where the server listens (default 127.0.0.1:5432)
set -euo pipefail

log() { printf '[%s] install-pgvector: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

export DEBIAN_FRONTEND=noninteractive
SUITE=${CAIRN_PGVECTOR_SUITE:-trixie}
KEYRING=${CAIRN_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432}
start=$SECONDS

SUDO=
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "run as root (or install sudo): apt-get and make install need it"
  SUDO=sudo
fi

# psql as the postgres superuser: over TCP (CI trusts 127.0.0.1), else
# through the local socket as the postgres OS user (peer auth, Debian default).
psql_pg() {
  if psql -X -q -At -v ON_ERROR_STOP=1 -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
    psql -X -q -At -v ON_ERROR_STOP=1 -U postgres "$@"
  elif [[ $(id -u) == 0 ]] && command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u postgres -- env -u PGHOST psql -X -q -At -v ON_ERROR_STOP=1 "$@")
  else
    (cd / && sudo -u postgres env -u PGHOST psql -X -q -At -v ON_ERROR_STOP=1 "$@")
  fi
}

vector_available() {
  [[ $(psql_pg -d postgres -c "SELECT 1 FROM pg_available_extensions WHERE name='vector'") == 1 ]]
}

command -v psql >/dev/null 2>&1 || die "psql not found; is PostgreSQL installed?"
psql_pg -d postgres -c 'select 1' >/dev/null 2>&1 ||
  die "cannot reach PostgreSQL at $PGHOST:$PGPORT as postgres (start it with scripts/ensure-postgres.sh)"

if vector_available; then
  log "vector extension already available ($(psql_pg -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name='vector'")); nothing to do"
  exit 0
fi

PG_MAJOR=${PG_MAJOR:-$(($(psql_pg -d postgres -c 'SHOW server_version_num') / 10000))}
PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
log "vector not available; building pgvector for PostgreSQL $PG_MAJOR from Debian $SUITE source"

# --- 1. build dependencies ----------------------------------------------------
need=()
dpkg -s "postgresql-server-dev-$PG_MAJOR" >/dev/null 2>&1 || need+=("postgresql-server-dev-$PG_MAJOR")
command -v make >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1 || need+=(build-essential)
command -v dpkg-source >/dev/null 2>&1 || need+=(dpkg-dev)
if ((${#need[@]})); then
  log "apt-get install ${need[*]}"
  if ! $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; then
    log "install failed; running apt-get update once and retrying"
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
[[ -x $PG_CONFIG ]] || die "$PG_CONFIG missing after installing postgresql-server-dev-$PG_MAJOR"

# --- 2. Debian mirror URI from this machine's apt sources -------------------
# Prints candidate URIs, best first: those of the main Debian archive (a plain
# release suite, not -security/-updates/-backports), then any URI ending in
# /debian. Third-party repositories are ignored.
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
debian_uris() {
  local f files=()
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [[ -r $f ]] && files+=("$f"); done
  if ((${#files[@]})); then
    # one-line style: deb [opts] uri suite component...
    awk -v cn="$codename" '
      $1 == "deb" || $1 == "deb-src" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        uri = $(i); suite = $(i + 1)
        print uri "\t" suite
      }' "${files[@]}"
  fi
  files=()
  for f in /etc/apt/sources.list.d/*.sources; do [[ -r $f ]] && files+=("$f"); done
  if ((${#files[@]})); then
    # deb822 style: paragraphs of "Field: value" lines
    awk '
      function flush(   n, s, u, k) {
        if (types ~ /(^| )deb(-src)?( |$)/ && enabled !~ /^(no|false)$/ && uris != "") {
          n = split(suites, s, " "); split(uris, u, " ")
          for (k = 1; k <= n; k++) print u[1] "\t" s[k]
        }
        types = uris = suites = enabled = ""; last = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { if (last == "uris") uris = uris " " $1; next }
      {
        key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
        last = key
        if (key == "types") types = val
        else if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "enabled") enabled = tolower(val)
      }
      END { flush() }' "${files[@]}"
  fi
}
pick_debian_uri() {
  local all
  all=$(debian_uris | awk -F'\t' '$1 !~ /^cdrom:/' || true)
  # main archive: suite is the release codename or a Debian alias
  awk -F'\t' -v cn="$codename" '
    $1 !~ /security/ && ($2 == cn || $2 ~ /^(stable|oldstable|oldoldstable|testing|unstable|sid|bullseye|bookworm|trixie|forky|duke)$/) { print $1 }' <<<"$all"
  awk -F'\t' '$1 ~ /\/debian\/?$/ { print $1 }' <<<"$all"
}
if [[ -n ${CAIRN_DEBIAN_MIRROR:-} ]]; then
  mirror=$CAIRN_DEBIAN_MIRROR
  log "using mirror from CAIRN_DEBIAN_MIRROR"
else
  mirror=$(pick_debian_uri | sed -n 1p)
  [[ -n $mirror ]] || die "no Debian mirror found in /etc/apt/sources.list{,.d/*.list,.d/*.sources}; set CAIRN_DEBIAN_MIRROR"
fi
mirror=${mirror%/}
log "Debian mirror (from apt sources): $mirror"

# --- 3. private apt state with a single deb-src line ------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-pgvector.XXXXXX")
cleanup() {
  if [[ ${CAIRN_KEEP_TMP:-} == 1 ]]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
# apt downloads as the unprivileged _apt user: let it reach the tree.
chmod 755 "$tmp"
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/src"
if id _apt >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then chown _apt "$tmp/src"; fi

APT_OPTS=(
  -o "Dir::Etc::SourceList=$tmp/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$tmp/lists"
  -o "Dir::Cache=$tmp/cache"
)
write_sources() { # $1: apt options inside [...]
  printf 'deb-src [%s] %s %s main\n' "$1" "$mirror" "$SUITE" >"$tmp/sources.list"
}
apt_update() {
  $SUDO apt-get "${APT_OPTS[@]}" update -q >"$tmp/update.log" 2>&1
}

auth="checked by apt against the signed $SUITE index"
if [[ -r $KEYRING ]]; then write_sources "signed-by=$KEYRING"; else write_sources ""; fi
log "apt-get update ($SUITE main sources only, private state in $tmp)"
if ! apt_update || grep -qE 'NO_PUBKEY|EXPKEYSIG|KEYEXPIRED|BADSIG|is not signed|could ?n.t be verified' "$tmp/update.log"; then
  if grep -qE 'NO_PUBKEY|EXPKEYSIG|KEYEXPIRED|BADSIG|is not signed|could ?n.t be verified' "$tmp/update.log"; then
    log "WARNING: the installed Debian keyring does not verify $SUITE; retrying with [trusted=yes] (sources unauthenticated)"
    sed 's/^/  apt: /' "$tmp/update.log" | grep -E 'NO_PUBKEY|EXPKEYSIG|KEYEXPIRED|BADSIG|signed|verified' >&2 || true
    write_sources "trusted=yes"
    auth="NOT authenticated: the $SUITE index is unsigned for this keyring"
    APT_OPTS+=(-o APT::Get::AllowUnauthenticated=true)
    apt_update || {
      sed 's/^/  apt: /' "$tmp/update.log" >&2
      die "apt-get update for $SUITE failed"
    }
  else
    sed 's/^/  apt: /' "$tmp/update.log" >&2
    die "apt-get update for $SUITE failed"
  fi
fi

log "apt-get source --download-only pgvector"
(cd "$tmp/src" && $SUDO apt-get "${APT_OPTS[@]}" source --download-only -q pgvector) >"$tmp/source.log" 2>&1 || {
  sed 's/^/  apt: /' "$tmp/source.log" >&2
  die "apt-get source pgvector failed"
}
dsc=$(find "$tmp/src" -maxdepth 1 -name 'pgvector_*.dsc' -print -quit)
[[ -n $dsc ]] || die "no pgvector .dsc downloaded"
log "got $(basename "$dsc") (file hashes $auth)"

# --- 4. unpack, build, install ----------------------------------------------
# dpkg-source warns that it cannot check the uploader's signature on the .dsc
# (debian-keyring is not installed); apt has already verified the files.
(cd "$tmp/src" && dpkg-source -q -x "$(basename "$dsc")" build) >"$tmp/dpkg-source.log" 2>&1 || {
  sed 's/^/  dpkg-source: /' "$tmp/dpkg-source.log" >&2
  die "dpkg-source -x failed"
}
log "building with PG_CONFIG=$PG_CONFIG ($(nproc) jobs)"
make -s -C "$tmp/src/build" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >"$tmp/make.log" 2>&1 || {
  tail -n 40 "$tmp/make.log" | sed 's/^/  make: /' >&2
  die "make failed"
}
$SUDO make -s -C "$tmp/src/build" PG_CONFIG="$PG_CONFIG" install >>"$tmp/make.log" 2>&1 || {
  tail -n 40 "$tmp/make.log" | sed 's/^/  make: /' >&2
  die "make install failed"
}
log "installed into $("$PG_CONFIG" --pkglibdir) and $("$PG_CONFIG" --sharedir)/extension"

# --- 5. verify ----------------------------------------------------------------
vector_available || die "vector still not listed in pg_available_extensions"
check_db=cairn_pgvector_check_$$
psql_pg -d postgres -c "CREATE DATABASE $check_db" >/dev/null
if out=$(psql_pg -d "$check_db" -c "CREATE EXTENSION vector; SELECT extversion FROM pg_extension WHERE extname='vector'; SELECT '[1,2,3]'::vector <-> '[1,2,5]'::vector" 2>&1); then
  psql_pg -d postgres -c "DROP DATABASE $check_db" >/dev/null
else
  psql_pg -d postgres -c "DROP DATABASE IF EXISTS $check_db" >/dev/null || true
  die "CREATE EXTENSION vector failed: $out"
fi
read -r version _ <<<"$(echo "$out" | tr '\n' ' ')"
log "OK: pgvector $version works (CREATE EXTENSION vector in a scratch database) in $((SECONDS - start)) s"
