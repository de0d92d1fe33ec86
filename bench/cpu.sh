#!/usr/bin/env bash
# CPU per request, of the server and of PostgreSQL, for one or two builds back
# to back on the same seeded database: wrk runs each query for a few seconds
# while /proc counts the CPU each side used. Quicker than bench/run.sh and less
# noisy for telling what one change bought (CPU time, not wall time).
#
#   bench/cpu.sh [--seconds S] BIN [OTHER_BIN]
# Prints, per binary and query: requests/s, server CPU ms/request, PostgreSQL
# CPU ms/request.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=8
if [ "${1:-}" = --seconds ]; then seconds="$2"; shift 2; fi
[ $# -ge 1 ] || { echo "usage: bench/cpu.sh [--seconds S] BIN [OTHER_BIN]" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
db="releasedesk_cpu_$$"
server=""
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db"
export RELEASEDESK_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$db" RELEASEDESK_LOG__FILTER=warn
"$1" migrate >/dev/null
token=$("$1" seed-bench --releases 10000 | tail -n 1)
psql -h 127.0.0.1 -U postgres -d "$db" -qc "VACUUM ANALYZE" >/dev/null

list='{ releases(first: 20) { nodes { id title status plannedStart milestones { id title status sequence } } } }'
one='{ release(id: \"5000\") { id title status plannedStart milestones { id title status sequence } } }'
# DRAFT releases of the lower half only, so adds never reach the page `list` reads
add='mutation { addMilestone(input: { releaseId: \"%d\", title: \"Bench step\" }) { id sequence } }'
script() { # file query mutation?
  {
    echo 'wrk.method = "POST"'
    echo 'wrk.headers["Content-Type"] = "application/json"'
    echo "wrk.headers[\"Authorization\"] = \"Bearer $token\""
    printf 'local body = [==[{"query":"%s"}]==]\n' "$2"
    if [ -n "${3:-}" ]; then
      echo 'function request() return wrk.format(nil, nil, nil, string.format(body, 1 + 5 * math.random(0, 999))) end'
    else
      echo 'wrk.body = body'
    fi
  } >"$1"
}
script "$work/list.lua" "$list"
script "$work/one.lua" "$one"
script "$work/add.lua" "$add" mutation

ticks() { # pids... -> utime + stime in clock ticks
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$(( total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat") ))
  done
  echo "$total"
}
postgres_pids() { pgrep -u postgres -x postgres || true; }

hz=$(getconf CLK_TCK)
printf '%-32s %-5s %9s %14s %16s\n' binary query req/s "server ms/req" "postgres ms/req"
for bin in "$@"; do
  port=$(( 30000 + RANDOM % 20000 ))
  RELEASEDESK_SERVER__BIND="127.0.0.1:$port" RELEASEDESK_JOBS__ENABLED=off RELEASEDESK_ENV=production \
    "$bin" serve >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.2; done
  for query in list one add; do
    wrk -t2 -c16 -d2s -s "$work/$query.lua" "http://127.0.0.1:$port/graphql" >/dev/null
    mapfile -t pg < <(postgres_pids)
    s0=$(ticks "$server"); p0=$(ticks "${pg[@]}")
    out=$(wrk -t2 -c16 -d"${seconds}s" -s "$work/$query.lua" "http://127.0.0.1:$port/graphql")
    s1=$(ticks "$server"); p1=$(ticks "${pg[@]}")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    awk -v b="$bin" -v q="$query" -v n="$requests" -v s="$((s1 - s0))" -v p="$((p1 - p0))" \
      -v hz="$hz" -v secs="$seconds" 'BEGIN {
        printf "%-32s %-5s %9.0f %14.3f %16.3f\n", b, q, n / secs, 1000 * s / hz / n, 1000 * p / hz / n }'
  done
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
done
