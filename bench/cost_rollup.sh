#!/usr/bin/env bash
# Benchmark of the `cost-rollup` job on PostgreSQL: N releases (5 milestones
# each) and M cost lines, every stored total at zero, so the first run repairs
# everything; the second finds nothing to repair. The peer, measured in the
# same run on the same database, is PostgreSQL alone aggregating the ledger
# (the two GROUP BY queries any roll-up must at least do).
#
#   bench/cost_rollup.sh [--releases N] [--cost-lines M] [--rounds R]
#   BENCH_BIN=/path/to/releasedesk bench/cost_rollup.sh …
set -euo pipefail
cd "$(dirname "$0")/.."

releases=100000 lines=1000000 rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --releases) releases="$2"; shift 2 ;;
    --cost-lines) lines="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "usage: bench/cost_rollup.sh [--releases N] [--cost-lines M] [--rounds R]" >&2; exit 2 ;;
  esac
done

if [ -n "${BENCH_BIN:-}" ]; then
  bin="$BENCH_BIN"
else
  cargo build --release -q -p releasedesk
  bin="$PWD/target/release/releasedesk"
fi
name="releasedesk_rollup_$$"
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $name"
trap 'psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null' EXIT
export RELEASEDESK_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$name"
export RELEASEDESK_LOG__FILTER=warn
q() { psql -h 127.0.0.1 -U postgres -d "$name" -tAqc "$1"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

"$bin" migrate >/dev/null
start=$(date +%s%N)
"$bin" seed-bench --releases "$releases" --cost-lines "$lines" | head -n 1
echo "seeded in $(ms "$start") ms"
q "VACUUM ANALYZE" >/dev/null

job_ms() { # duration of the latest cost-rollup run, from the job ledger
  q "SELECT round(EXTRACT(EPOCH FROM ended_at - started_at) * 1000) FROM job_runs
     WHERE job = 'cost-rollup' ORDER BY id DESC LIMIT 1"
}

printf '%-6s %14s %16s %14s %10s %12s\n' round "peer (ms)" "repair all (ms)" "no drift (ms)" repaired "repair/peer"
for round in $(seq 1 "$rounds"); do
  start=$(date +%s%N)
  q "SELECT count(*) FROM (SELECT milestone_id, SUM(amount) FROM cost_lines GROUP BY milestone_id) m" >/dev/null
  q "SELECT count(*) FROM (SELECT release_id, SUM(amount) FROM cost_lines GROUP BY release_id) r" >/dev/null
  peer=$(ms "$start")
  q "UPDATE releases SET cost_running = 0; UPDATE milestones SET cost_running = 0" >/dev/null
  "$bin" run-job cost-rollup >/dev/null
  repair=$(job_ms)
  repaired=$(q "SELECT changed FROM job_runs WHERE job = 'cost-rollup' ORDER BY id DESC LIMIT 1")
  "$bin" run-job cost-rollup >/dev/null
  steady=$(job_ms)
  ratio=$(awk -v a="$repair" -v b="$peer" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')
  printf '%-6s %14s %16s %14s %10s %12s\n' "$round" "$peer" "$repair" "$steady" "$repaired" "${ratio}x"
done
totals=$(q "SELECT (SELECT SUM(cost_running) FROM releases), (SELECT SUM(amount) FROM cost_lines)")
echo "check: stored release totals | ledger sum = $totals"
