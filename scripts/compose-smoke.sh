#!/usr/bin/env bash
# Proves docker-compose.yml starts and serves: builds the images, starts the core services
# (postgres, migrate, api, worker; not the metrics profile), waits for /ready, uploads a document,
# waits for the worker to ingest it, searches it, runs /analyze on the offline `local` provider,
# and tears everything down (volumes included), also on failure.
#
#   npm install && sudo scripts/compose-smoke.sh
#
# Uses Compose v2 (`docker compose`) when present, else docker-compose 1.29 (Debian 12); installs
# docker.io, docker-compose and debootstrap with apt when missing and starts dockerd when no daemon
# answers. Base images: scripts/compose-base-images.sh (public ones, or local ones built from
# Debian packages when no registry answers, cached for the next run).
#
# Exits 77 when Docker cannot run here (no docker.io package, or a daemon that cannot start).
#
# Environment (optional): CAIRN_SMOKE_PORT host port of the api (default 18787),
# CAIRN_SMOKE_TIMEOUT_S longest wait for /ready and for ingestion (default 180).
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null

start=$SECONDS
log() { printf '[%s +%ds] compose-smoke: %s\n' "$(date -u +%H:%M:%S)" "$((SECONDS - start))" "$*" >&2; }
die() {
  log "FAILED: $*"
  exit 1
}
skip() {
  log "SKIPPED: $*"
  exit 77
}

SUDO=
if [[ $(id -u) != 0 ]]; then SUDO=sudo; fi

# --- tools --------------------------------------------------------------------
[[ -d node_modules ]] || die "run npm install first: the smoke test mints its token with scripts/token.ts"
need=()
command -v docker >/dev/null 2>&1 || need+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v curl >/dev/null 2>&1 || need+=(curl)
if ((${#need[@]})); then
  log "apt-get install ${need[*]}"
  apt_install() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}" >/dev/null; }
  apt_install || { $SUDO apt-get update -q >/dev/null && apt_install; } || skip "cannot install ${need[*]}"
fi
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null 2>&1 || skip "no Docker daemon answers and dockerd is not installed"
  log "starting dockerd (log: /tmp/dockerd.log)"
  $SUDO sh -c 'dockerd >/tmp/dockerd.log 2>&1 &'
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break || sleep 1; done
  docker info >/dev/null 2>&1 || skip "dockerd did not start; see /tmp/dockerd.log"
fi
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
# shellcheck source=SCRIPTDIR/ensure-node.sh
source scripts/ensure-node.sh >&2

# --- stack --------------------------------------------------------------------
images=$(bash scripts/compose-base-images.sh) || die "no base images"
eval "$images"
export NODE_IMAGE POSTGRES_IMAGE
log "base images: $NODE_IMAGE, $POSTGRES_IMAGE"

export COMPOSE_PROJECT_NAME=cairn-smoke
export API_PORT=${CAIRN_SMOKE_PORT:-18787}
export JWT_SECRET LLM_PROVIDER=local
JWT_SECRET=$(node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("hex"))')
timeout_s=${CAIRN_SMOKE_TIMEOUT_S:-180}
base=http://127.0.0.1:$API_PORT

ok=0
teardown() {
  if ((ok == 0)); then
    log "logs of the failed run:"
    "${compose[@]}" ps >&2 || true
    "${compose[@]}" logs --no-color --tail=40 >&2 || true
  fi
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || log "compose down failed"
  if ((ok == 1)); then log "OK in $((SECONDS - start)) s (build ${build_s}s, up to ready ${ready_s}s, requests ${requests_s}s)"; fi
}
trap teardown EXIT

t=$SECONDS
log "${compose[*]} build"
build_log=$(mktemp)
"${compose[@]}" build >"$build_log" 2>&1 || {
  tail -n 40 "$build_log" >&2
  die "build failed (log: $build_log)"
}
rm -f "$build_log"
build_s=$((SECONDS - t))

t=$SECONDS
log "${compose[*]} up -d (postgres, migrate, api, worker)"
"${compose[@]}" up -d >&2 || die "up failed"
ready=
for _ in $(seq "$timeout_s"); do
  if [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/ready") == 200 ]]; then ready=1 && break; fi
  sleep 1
done
[[ -n $ready ]] || die "/ready did not answer 200 within ${timeout_s}s"
ready_s=$((SECONDS - t))
log "/ready after ${ready_s}s"

# --- requests -----------------------------------------------------------------
t=$SECONDS
token=$(JWT_SECRET=$JWT_SECRET node scripts/token.ts --sub compose-smoke)
# call METHOD PATH [JSON]: the body on stdout; fails unless the status is 2xx.
call() {
  local out status args=(-s -X "$1" -H "Authorization: Bearer $token")
  if (($# > 2)); then args+=(-H 'Content-Type: application/json' --data "$3"); fi
  out=$(mktemp)
  status=$(curl "${args[@]}" -o "$out" -w '%{http_code}' "$base$2")
  if [[ $status != 2* ]]; then
    log "$1 $2 answered $status: $(head -c 500 "$out")"
    rm -f "$out"
    return 1
  fi
  cat "$out"
  rm -f "$out"
}
# field JSON PATH: one value of a JSON body, PATH like results.0.document_id.
field() {
  node -e 'let v = JSON.parse(process.argv[1]); for (const k of process.argv[2].split(".")) v = v?.[k]; process.stdout.write(String(v))' "$1" "$2"
}

upload=$(call POST /documents '{"title":"Lighthouse keeping","mime_type":"text/markdown","content":"# Lighthouse keeping\n\nThe keeper trims the wick at dusk and winds the clockwork that turns the Fresnel lens through the night."}') ||
  die "upload failed"
id=$(field "$upload" document_id)
log "uploaded document $id; waiting for the worker to ingest it"
status=
for _ in $(seq "$timeout_s"); do
  status=$(field "$(call GET "/documents/$id")" status) || die "document lookup failed"
  [[ $status == ready || $status == failed ]] && break
  sleep 1
done
[[ $status == ready ]] || die "document $id is '$status', not ready"
# Each job logs one "job" line: the worker's, never the api's.
[[ $("${compose[@]}" logs --no-color worker) == *'"msg":"job"'* ]] || die "the worker logged no job"
[[ $("${compose[@]}" logs --no-color api) != *'"msg":"job"'* ]] || die "the api ran a job (PROCESS_ROLE=api)"

search=$(call POST /search '{"query":"who winds the clockwork of the lens","top_k":3}') || die "search failed"
[[ $(field "$search" results.0.document_id) == "$id" ]] || die "search did not find the document: $search"
log "search found it"

analysis=$(call POST /analyze '{"text":"The new release is fast and the docs are excellent, though setup took a while."}') ||
  die "/analyze failed"
log "/analyze answered: $(head -c 200 <<<"$analysis")"
requests_s=$((SECONDS - t))
ok=1
