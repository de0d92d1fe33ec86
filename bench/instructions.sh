#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable for the
# same binary and inputs whatever else the machine is doing, so two builds can
# be compared exactly. Serves the benchmark list query (20 releases with their
# milestones) on PostgreSQL from `seed-bench`, N times after a warm-up.
#
#   bench/instructions.sh [--requests N] [--body JSON] BIN [OTHER_BIN]
# Prints instructions per request for each binary and, with two, their ratio;
# the callgrind files stay in the printed folder (callgrind_annotate reads them).
set -euo pipefail
cd "$(dirname "$0")/.."
requests=300
query='{"query":"{ releases(first: 20) { nodes { id title status plannedStart milestones { id title status sequence } } } }"}'
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    # another request body, such as '{"query":"mutation { addMilestone(input: { releaseId: \"6\", title: \"x\" }) { id } }"}'
    --body) query="$2"; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: bench/instructions.sh [--requests N] [--body JSON] BIN [OTHER_BIN]" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

work=$(mktemp -d)
name="releasedesk_instr_$$"
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $name"
trap 'pkill -f "callgrind-out-file=$work" 2>/dev/null || true; psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null' EXIT
export RELEASEDESK_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$name" RELEASEDESK_LOG__FILTER=warn
"$1" migrate >/dev/null
token=$("$1" seed-bench --releases 2000 | tail -n 1)

measure() { # binary label
  local bin=$1 label=$2 port=$(( 30000 + RANDOM % 20000 ))
  RELEASEDESK_SERVER__BIND=127.0.0.1:$port RELEASEDESK_JOBS__ENABLED=off RELEASEDESK_ENV=production \
    valgrind --tool=callgrind --callgrind-out-file="$work/$label.out" "$bin" serve >"$work/$label.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
  post() { curl -s -o /dev/null -H "Authorization: Bearer $token" -H 'content-type: application/json' -d "$query" "http://127.0.0.1:$port/graphql"; }
  for _ in $(seq 1 20); do post; done
  callgrind_control -z "$(pgrep -f "callgrind-out-file=$work/$label.out" | tail -n 1)" >/dev/null 2>&1
  for _ in $(seq 1 "$requests"); do post; done
  callgrind_control -d "$(pgrep -f "callgrind-out-file=$work/$label.out" | tail -n 1)" >/dev/null 2>&1
  kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
  # the dump after zeroing holds exactly the measured requests
  local dump
  dump=$(ls -t "$work/$label.out"* | grep -v '\.out$' | head -n 1 || true)
  [ -n "$dump" ] || dump="$work/$label.out"
  local total
  total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
  echo $(( total / requests ))
}

first=$(measure "$1" a)
printf '%-40s %14s instructions/request\n' "$1" "$first"
if [ $# -ge 2 ]; then
  second=$(measure "$2" b)
  printf '%-40s %14s instructions/request\n' "$2" "$second"
  awk -v a="$first" -v b="$second" 'BEGIN { printf "ratio second/first: %.3f\n", b / a }'
fi
echo "callgrind files in $work"
