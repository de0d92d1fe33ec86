#!/usr/bin/env bash
# Load benchmark of Releasedesk, optionally against PostGraphile 5 on the same
# database in the same run. See bench/README.md.
#
#   bench/run.sh [--peer postgraphile] [--releases N] [--seconds S] [--rounds R]
#   BENCH_BIN=/path/to/releasedesk bench/run.sh …   (measure that binary instead)
#
# Builds the release binary, seeds a fresh PostgreSQL database (and an SQLite
# file) with `releasedesk seed-bench`, starts the servers on loopback, drives
# them with wrk and prints one table. Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

peer="" releases=10000 seconds="${BENCH_SECONDS:-10}" rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --peer) peer="$2"; shift 2 ;;
    --releases) releases="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "usage: bench/run.sh [--peer postgraphile] [--releases N] [--seconds S] [--rounds R]" >&2; exit 2 ;;
  esac
done
[ -z "$peer" ] || [ "$peer" = postgraphile ] || { echo "the only peer is postgraphile" >&2; exit 2; }

pg_admin="postgres://postgres@127.0.0.1:5432"
psql -h 127.0.0.1 -U postgres -d test -tAc 'select 1' >/dev/null 2>&1 \
  || { echo "PostgreSQL must answer on 127.0.0.1:5432 (user postgres)" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian's packages"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q wrk >/dev/null; else sudo apt-get install -y -q wrk >/dev/null; fi
fi
if [ -n "$peer" ] && [ ! -x bench/peer/node_modules/.bin/node ]; then
  echo "installing PostGraphile 5 and Node 22 from npm into bench/peer"
  (cd bench/peer && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

if [ -n "${BENCH_BIN:-}" ]; then
  bin="$BENCH_BIN" # another build, to measure what a change buys
else
  echo "building the release binary"
  cargo build --release -q -p releasedesk
  bin="$root/target/release/releasedesk"
fi

work=$(mktemp -d)
db="releasedesk_bench_$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db" >/dev/null
pg_url="$pg_admin/$db"
sqlite_url="sqlite://$work/bench.db?mode=rwc"

cd "$work"
echo "seeding $releases releases on PostgreSQL and on SQLite"
token=$(RELEASEDESK_DATABASE__URL="$pg_url" RELEASEDESK_LOG__FILTER=warn "$bin" seed-bench --releases "$releases" | tail -n 1)
sqlite_token=$(RELEASEDESK_DATABASE__URL="$sqlite_url" RELEASEDESK_LOG__FILTER=warn "$bin" seed-bench --releases "$releases" | tail -n 1)
psql -h 127.0.0.1 -U postgres -d "$db" -qc "VACUUM ANALYZE" >/dev/null

wait_for() { # url
  for _ in $(seq 1 100); do curl -fs -o /dev/null -X POST -H 'content-type: application/json' \
    -d '{"query":"{ __typename }"}' "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2; exit 1
}

start_releasedesk() { # url port -> pid in $started
  RELEASEDESK_DATABASE__URL="$1" RELEASEDESK_SERVER__BIND="127.0.0.1:$2" RELEASEDESK_JOBS__ENABLED=off \
    RELEASEDESK_LOG__FILTER=warn RELEASEDESK_ENV=production "$bin" serve >"$work/releasedesk-$2.log" 2>&1 &
  started=$!; pids+=("$started")
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$2/health" && return 0; sleep 0.2; done
  echo "Releasedesk did not start; its log:" >&2; cat "$work/releasedesk-$2.log" >&2; exit 1
}

rd_port=$(( 20000 + RANDOM % 10000 ))
start_releasedesk "$pg_url" "$rd_port"; rd_pid=$started
rd_url="http://127.0.0.1:$rd_port/graphql"
lite_port=$(( rd_port + 1 ))
start_releasedesk "$sqlite_url" "$lite_port"; lite_pid=$started
lite_url="http://127.0.0.1:$lite_port/graphql"

if [ -n "$peer" ]; then
  peer_port=$(( rd_port + 2 ))
  (cd "$root/bench/peer" && GRAPHILE_ENV=production exec ./node_modules/.bin/node \
    node_modules/postgraphile/dist/cli-run.js --preset postgraphile/presets/amber \
    -c "$pg_url" -s public -n 127.0.0.1 -p "$peer_port") >"$work/peer.log" 2>&1 &
  peer_pid=$!; pids+=("$peer_pid")
  peer_url="http://127.0.0.1:$peer_port/graphql"
  wait_for "$peer_url"
fi

by_id=$(( releases / 2 ))
# Releasedesk's queries and PostGraphile's equivalents (same rows, same order)
q_list='{ releases(first: 20) { nodes { id title status plannedStart milestones { id title status sequence } } } }'
p_list='{ allReleases(first: 20, orderBy: ROW_ID_DESC) { nodes { rowId title status plannedStart milestonesByReleaseId(orderBy: SEQUENCE_ASC) { nodes { rowId title status sequence } } } } }'
q_full='{ releases(first: 20) { nodes { id title status plannedStart owner { id name } milestones { id title status sequence } stakeholders { role person { id name } } } } }'
p_full='{ allReleases(first: 20, orderBy: ROW_ID_DESC) { nodes { rowId title status plannedStart personByOwnerId { rowId name } milestonesByReleaseId(orderBy: SEQUENCE_ASC) { nodes { rowId title status sequence } } stakeholdersByReleaseId(orderBy: PRIMARY_KEY_ASC) { nodes { role personByPersonId { rowId name } } } } } }'
q_one="{ release(id: \"$by_id\") { id title status plannedStart milestones { id title status sequence } } }"
p_one="{ releaseByRowId(rowId: $by_id) { rowId title status plannedStart milestonesByReleaseId(orderBy: SEQUENCE_ASC) { nodes { rowId title status sequence } } } }"
q_floor='{ __typename }'
# DRAFT releases (every fifth, from id 1) take new milestones
q_add='mutation { addMilestone(input: { releaseId: "%d", title: "Bench step" }) { id sequence } }'

json_body() { python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$1"; }

# a wrk script: POSTs `body` (a format with one %d for mutations), counts
# non-200 answers and answers carrying GraphQL errors
lua() { # file body token mutation?
  local file=$1 body=$2 token=$3 mutation=${4:-}
  {
    echo 'wrk.method = "POST"'
    echo 'wrk.headers["Content-Type"] = "application/json"'
    [ -n "$token" ] && echo "wrk.headers[\"Authorization\"] = \"Bearer $token\""
    printf 'local body = [==[%s]==]\n' "$body"
    if [ -n "$mutation" ]; then
      echo "local drafts = $(( (releases + 4) / 5 ))"
      echo 'function request() return wrk.format(nil, nil, nil, string.format(body, 1 + 5 * math.random(0, drafts - 1))) end'
    else
      echo 'wrk.body = body'
    fi
    cat <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) failures = 0 end
function response(status, headers, answer)
  if status ~= 200 or string.find(answer, '"errors"', 1, true) then failures = failures + 1 end
end
function done(summary, latency, requests)
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, thread in ipairs(threads) do failed = failed + thread:get("failures") end
  io.write(string.format("RESULT %.0f %.2f %.2f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed))
end
LUA
  } >"$file"
}

# the same releases from both servers before anything is measured
if [ -n "$peer" ]; then
  ours=$(curl -fs -X POST -H 'content-type: application/json' -H "authorization: Bearer $token" \
    -d "$(json_body "$q_full")" "$rd_url")
  theirs=$(curl -fs -X POST -H 'content-type: application/json' -d "$(json_body "$p_full")" "$peer_url")
  python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours = json.loads(sys.argv[1])["data"]["releases"]["nodes"]
theirs = json.loads(sys.argv[2])["data"]["allReleases"]["nodes"]
a = [(int(r["id"]), r["title"], r["status"], r["owner"]["name"], [(int(m["id"]), m["title"]) for m in r["milestones"]],
      sorted((s["role"], s["person"]["name"]) for s in r["stakeholders"])) for r in ours]
b = [(r["rowId"], r["title"], r["status"], r["personByOwnerId"]["name"],
      [(m["rowId"], m["title"]) for m in r["milestonesByReleaseId"]["nodes"]],
      sorted((s["role"], s["personByPersonId"]["name"]) for s in r["stakeholdersByReleaseId"]["nodes"])) for r in theirs]
if a != b:
    sys.exit("the two servers answer different releases:\n%s\n%s" % (a[:2], b[:2]))
print("both servers answer the same %d releases with their milestones and stakeholders" % len(a))
PY
fi

rss() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
results="$work/results"
: >"$results"
cell() { # label server url body token conns pid [mutation]
  local label=$1 server=$2 url=$3 body=$4 token=$5 conns=$6 pid=$7 mutation=${8:-}
  local script="$work/$server-$label-$conns.lua"
  lua "$script" "$(json_body "$body")" "$token" "$mutation"
  local line
  line=$(wrk -t2 -c"$conns" -d"${seconds}s" --latency -s "$script" "$url" | grep '^RESULT')
  local mem="-"
  [ -n "$pid" ] && mem=$(rss "$pid")
  set -- $line
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$server" "$conns" "$2" "$3" "$4" "$5" "$mem" | tee -a "$results"
}

echo "idle RSS: releasedesk $(rss "$rd_pid") MB${peer:+, postgraphile $(rss "$peer_pid") MB}"
idle_rss=$(rss "$rd_pid")
echo "query	server	conns	req/s	p50 ms	p99 ms	errors	RSS MB"
for round in $(seq 1 "$rounds"); do
  for conns in 16 64; do
    cell list releasedesk "$rd_url" "$q_list" "$token" "$conns" "$rd_pid"
    [ -n "$peer" ] && cell list postgraphile "$peer_url" "$p_list" "" "$conns" "$peer_pid"
    cell one releasedesk "$rd_url" "$q_one" "$token" "$conns" "$rd_pid"
    [ -n "$peer" ] && cell one postgraphile "$peer_url" "$p_one" "" "$conns" "$peer_pid"
  done
  cell full releasedesk "$rd_url" "$q_full" "$token" 16 "$rd_pid"
  [ -n "$peer" ] && cell full postgraphile "$peer_url" "$p_full" "" 16 "$peer_pid"
  cell list releasedesk-sqlite "$lite_url" "$q_list" "$sqlite_token" 16 "$lite_pid"
  # the machine's floor: an authenticated request that never reaches the
  # database, whose p99 shows how much of the others' tails is scheduling
  cell floor releasedesk "$rd_url" "$q_floor" "$token" 16 "$rd_pid"
done
# The mutation's peer is PostgreSQL alone: pgbench sends the statements an
# `addMilestone` sends (read and lock the release, insert the milestone with its
# sequence, its history and audit rows, commit) on 16 connections, so the ratio
# shows what the server adds to the database's own cost on this machine.
pgbench=$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1 || true)
read -r token_id person_id < <(psql -h 127.0.0.1 -U postgres -d "$db" -tA -F ' ' \
  -c "SELECT id, person_id FROM api_tokens ORDER BY id DESC LIMIT 1")
cat >"$work/add.sql" <<SQL
\\set rid 1 + 5 * random(0, $(( (releases + 4) / 5 - 1 )))
BEGIN;
SELECT "releases"."id", "releases"."title", "releases"."description", "releases"."release_type", "releases"."scope", "releases"."master_id", "releases"."status", "releases"."owner_id", "releases"."template_id", "releases"."planned_start", "releases"."planned_end", "releases"."actual_start", "releases"."actual_end", "releases"."review_outcome", "releases"."lessons_learned", "releases"."cancel_reason", "releases"."budget", "releases"."cost_running", "releases"."cost_final", "releases"."created_at", "releases"."updated_at", "releases"."version" FROM "releases" WHERE "releases"."id" = :rid LIMIT 1 FOR UPDATE;
INSERT INTO "milestones" ("release_id", "sequence", "title", "description", "status", "requires_approval", "planned_start", "planned_end", "actual_start", "actual_end", "created_at", "updated_at", "version") VALUES (:rid, (SELECT COALESCE(MAX("sequence"), 0) + 1 FROM "milestones" WHERE "release_id" = :rid), 'Bench step', '', 'PLANNED', false, NULL, NULL, NULL, NULL, now(), now(), 1) RETURNING "id", "release_id", "sequence", "title", "description", "status", "requires_approval", "planned_start", "planned_end", "actual_start", "actual_end", "cost_running", "cost_final", "created_at", "updated_at", "version" \\gset m_
WITH "history_written" AS (INSERT INTO "history_events" ("subject_type", "subject_id", "release_id", "milestone_id", "actor_id", "kind", "field", "from_value", "to_value", "note", "occurred_at") VALUES ('RELEASE', :rid, :rid, :m_id, $person_id, 'MILESTONE_ADDED', 'title', NULL, 'Bench step', NULL, now())) INSERT INTO "audit_events" ("occurred_at", "actor_id", "token_id", "request_id", "operation", "outcome", "arguments") VALUES (now(), $person_id, $token_id, gen_random_uuid()::text, 'addMilestone', 'OK', '{"input":{"releaseId":"' || :rid || '","title":"Bench step"}}');
COMMIT;
SQL
postgres_cell() { # pgbench on 16 connections, as a result line
  local out
  out=$("$pgbench" -h 127.0.0.1 -U postgres -n -M prepared -c 16 -j 2 -T "$seconds" -r -f "$work/add.sql" "$db" 2>&1)
  local tps failed
  tps=$(awk '/^tps = / { printf "%.0f", $3 }' <<<"$out")
  failed=$(awk '/failed transactions:/ { print $5 }' <<<"$out")
  [ -n "$tps" ] || { echo "pgbench failed:" >&2; echo "$out" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' add postgresql-alone 16 "$tps" nan nan "${failed:-0}" - | tee -a "$results"
}
for round in $(seq 1 "$rounds"); do
  cell add releasedesk "$rd_url" "$q_add" "$token" 16 "$rd_pid" mutation
  if [ -n "$pgbench" ]; then postgres_cell; fi
done
[ -n "$pgbench" ] || echo "pgbench not found (Debian's postgresql package has it): no peer for addMilestone"

echo
echo "== summary (means over $rounds rounds; ratio = Releasedesk / PostGraphile, for add / PostgreSQL alone) =="
python3 - "$results" "$idle_rss" "${peer:-}" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
cells = collections.defaultdict(list)
for q, server, conns, rps, p50, p99, errors, mem in rows:
    cells[(q, server, int(conns))].append((float(rps), float(p50), float(p99), int(errors), mem))
def mean(xs): return sum(xs) / len(xs)
print("%-5s %-19s %5s %9s %8s %8s %7s %7s %8s" % ("query", "server", "conns", "req/s", "p50 ms", "p99 ms", "errors", "RSS MB", "ratio"))
for (q, server, conns), runs in sorted(cells.items()):
    rps = mean([r[0] for r in runs])
    peer = cells.get((q, "postgresql-alone" if q == "add" else "postgraphile", conns))
    ratio = "%.2f" % (rps / mean([r[0] for r in peer])) if peer and server not in ("postgraphile", "postgresql-alone") else ""
    print("%-5s %-19s %5d %9.0f %8.2f %8.2f %7d %7s %8s" % (q, server, conns, rps, mean([r[1] for r in runs]),
          max(r[2] for r in runs), sum(r[3] for r in runs), runs[-1][4], ratio))
print("idle RSS of Releasedesk: %s MB" % sys.argv[2])
PY
