#!/usr/bin/env bash
# Make sure this machine's PostgreSQL is up with pgvector, and give back a
# fresh database for tests.
#
#   scripts/ensure-postgres.sh [dbname]        # dbname defaults to cairn_test
#   export TEST_DATABASE_URL=$(scripts/ensure-postgres.sh cairn_test | tail -n1)
#
# 1. start the Debian cluster (PG_MAJOR/PG_CLUSTER, default 15/main) when
#    pg_isready fails;
# 2. run scripts/install-pgvector.sh (a no-op once pgvector is installed);
# 3. drop and recreate <dbname> owned by postgres, with the vector extension.
# Progress goes to stderr; the last line on stdout is the connection URL
# postgres://postgres@127.0.0.1:5432/<dbname> (the CI machine trusts 127.0.0.1;
# elsewhere put a password in ~/.pgpass or PGPASSWORD).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[%s] ensure-postgres: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

db=${1:-cairn_test}
[[ $db =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] || die "database name must match [A-Za-z_][A-Za-z0-9_]*, got '$db'"
PG_MAJOR=${PG_MAJOR:-15}
PG_CLUSTER=${PG_CLUSTER:-main}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432}

# --- 1. server up -------------------------------------------------------------
if pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  log "PostgreSQL is accepting connections on $PGHOST:$PGPORT"
else
  log "PostgreSQL not ready; starting cluster $PG_MAJOR/$PG_CLUSTER"
  command -v pg_ctlcluster >/dev/null 2>&1 || die "pg_ctlcluster not found; install Debian's postgresql package"
  if [[ $(id -u) == 0 ]]; then
    pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$PG_CLUSTER" start
  else
    sudo pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$PG_CLUSTER" start
  fi
  for _ in $(seq 1 60); do
    pg_isready -q -h "$PGHOST" -p "$PGPORT" && break
    sleep 0.5
  done
  pg_isready -q -h "$PGHOST" -p "$PGPORT" || die "PostgreSQL did not come up within 30 s (see /var/log/postgresql/postgresql-$PG_MAJOR-$PG_CLUSTER.log)"
  log "PostgreSQL $PG_MAJOR/$PG_CLUSTER started"
fi

# --- 2. pgvector --------------------------------------------------------------
bash "$here/install-pgvector.sh"

# --- 3. fresh database --------------------------------------------------------
url="postgres://postgres@$PGHOST:$PGPORT/$db"
psql_admin() { PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -U postgres -d postgres "$@"; }
psql_admin -c 'select 1' >/dev/null 2>&1 ||
  die "cannot connect as postgres over TCP to $PGHOST:$PGPORT (the URL we print needs it; allow it in pg_hba.conf or set PGPASSWORD)"

log "recreating database $db"
# WITH (FORCE) ends leftover sessions of an earlier, aborted run (PG >= 13).
psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
psql_admin -c "CREATE DATABASE \"$db\" OWNER postgres" >/dev/null
version=$(psql -X -q -At -v ON_ERROR_STOP=1 "$url" \
  -c 'CREATE EXTENSION IF NOT EXISTS vector' \
  -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
log "database $db ready with pgvector $version"
echo "$url"
