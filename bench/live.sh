#!/usr/bin/env bash
# Live updates under load, on PostgreSQL with the release build: 1,000 idle
# subscribers (the server's RSS and CPU while they idle), then the time from
# sending a mutation to its event reaching each of 100 subscribers (p50, p99).
# Usage: bench/live.sh [--idle N] [--subscribers N] [--changes N]
# Figures are printed, never asserted; bench/README.md keeps them.
set -euo pipefail
cd "$(dirname "$0")/.."
idle=1000 subscribers=100 changes=200
while [ $# -gt 0 ]; do
  case $1 in
    --idle) idle=$2; shift 2 ;;
    --subscribers) subscribers=$2; shift 2 ;;
    --changes) changes=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
ulimit -n 8192
bin=${BENCH_BIN:-target/release/releasedesk}
[ -n "${BENCH_BIN:-}" ] || cargo build --release -q -p releasedesk --bin releasedesk
(cd tests/clients && [ -d node_modules/graphql-ws ] || npm ci --no-audit --no-fund --loglevel=error)
db="releasedesk_live_bench_$$"
work=$(mktemp -d)
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db" >/dev/null
url="postgres://postgres@127.0.0.1:5432/$db"
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export RELEASEDESK_DATABASE__URL=$url RELEASEDESK_LOG__FILTER=warn RELEASEDESK_JOBS__ENABLED=off RELEASEDESK_ENV=production
"$bin" migrate >/dev/null
token=$("$bin" admin create --email bench@example.com --name Bench | grep -o 'rdk_[0-9a-f]*' | head -n 1)
(cd "$work" && RELEASEDESK_SERVER__BIND=127.0.0.1:18181 exec "$OLDPWD/$bin" serve) &
pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18181/health >/dev/null && break; sleep 0.1; done
node bench/live.mjs http://127.0.0.1:18181 "$token" "$pid" "$idle" "$subscribers" "$changes"
