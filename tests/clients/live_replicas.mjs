// Live updates across replicas: a graphql-ws client subscribed on replica A
// receives, in order and with rising versions, the changes made through
// replica B, by a job run on B, and by the command line; a stakeholder's
// subscription hears nothing of releases they are not on; tokens revoked on B
// and from the command line stop working on A; SIGTERM closes A's
// connections with 1001.
// Usage: node live_replicas.mjs <url-a> <url-b> <pid-a> <database-url> <releasedesk> <users.json>
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { apiAt, clientAt, subscribe, whenLive, WAIT } from "./live-kit.mjs";

const [urlA, urlB, pidA, databaseUrl, releasedesk, usersFile] = process.argv.slice(2);
const users = JSON.parse(readFileSync(usersFile, "utf8"));
const onA = apiAt(urlA);
const onB = apiAt(urlB);
const clientOnA = clientAt(new URL("/graphql", urlA).href.replace(/^http/, "ws"));
const cli = (...args) =>
  execFileSync(releasedesk, args, {
    env: { ...process.env, RELEASEDESK_DATABASE__URL: databaseUrl, RELEASEDESK_LOG__FILTER: "warn" },
    encoding: "utf8",
  });
const SUBSCRIPTION = "subscription { releaseChanged { kind releaseId version release { id title status } } }";
const create = async (title) =>
  (await onB(users.manager.token, "mutation($t: String!) { createRelease(input: { title: $t, type: MINOR }) { id version } }", { t: title })).createRelease;

/** The events about `id` until `last` says the wanted one came. */
async function eventsOf(items, id, last, what) {
  const seen = [];
  for (;;) {
    const item = await items.next(what);
    const change = item.data.releaseChanged;
    if (change.releaseId !== id) continue;
    seen.push(change);
    if (last(change)) return seen;
  }
}

const manager = clientOnA(users.manager.token);
const all = subscribe(manager, SUBSCRIPTION);
await whenLive(all, () => create("Probe"), (item, probed) => item.data?.releaseChanged.releaseId === probed.id);
console.log("live across replicas: subscribed on A");

// ---- mutations through B
const release = await create("Made on B");
await onB(
  users.manager.token,
  'mutation($id: ID!, $v: Int!) { updateRelease(id: $id, expectedVersion: $v, input: { plannedStart: "2027-04-01T08:00:00Z", plannedEnd: "2027-04-09T17:00:00Z" }) { id } }',
  { id: release.id, v: release.version },
);
await onB(users.manager.token, "mutation($id: ID!) { transitionRelease(id: $id, action: SUBMIT) { status } }", { id: release.id });
const fromB = await eventsOf(all, release.id, (c) => c.kind === "STATUS_CHANGED", "B's changes");
assert.deepEqual(fromB.map((c) => c.kind), ["CREATED", "UPDATED", "STATUS_CHANGED"], "B's changes, in order");
assert.equal(fromB[2].release.status, "REQUESTED");

// ---- a job run on B: a linked change whose schedule drifted is realigned
const { createChange } = await onB(
  users.manager.token,
  "mutation($r: ID!) { createChange(input: { title: \"Switch DNS\", risk: LOW, requesterId: $r }) { id } }",
  { r: users.manager.id },
);
await onB(users.manager.token, "mutation($c: ID!, $r: ID!) { linkChange(id: $c, releaseId: $r) { id } }", { c: createChange.id, r: release.id });
const linked = await eventsOf(all, release.id, (c) => c.kind === "CHANGE_LINKED", "the link");
execFileSync("psql", [databaseUrl, "-qtAc", `UPDATE change_requests SET scheduled_start = scheduled_start + interval '1 day' WHERE id = ${createChange.id}`]);
const { runJob } = await onB(users.admin.token, 'mutation { runJob(name: "change-schedule-sync") { outcome changed } }');
assert.equal(runJob.outcome, "SUCCEEDED");
assert.equal(runJob.changed, 1, "the job realigned the drifted change");
const fromJob = await eventsOf(all, release.id, (c) => c.kind === "CHANGE_LINKED", "the job's change");
assert.ok(fromJob[0].version > linked.at(-1).version, "the job's event follows, with a higher version");

// ---- the command line: the demo, loaded by another process
cli("seed-demo");
for (;;) {
  const item = await all.next("the demo's releases");
  if (item.data.releaseChanged.release?.title === "Windows 11 rollout") break;
}
console.log("live across replicas: B, a job and the command line ok");

// ---- a stakeholder hears nothing about releases they are not on
const stakeholder = clientOnA(users.stakeholder.token);
const theirs = subscribe(stakeholder, SUBSCRIPTION);
const onIt = await whenLive(
  theirs,
  async () => {
    const r = await create("With the stakeholder");
    await onB(users.manager.token, "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: STAKEHOLDER }) { id } }", {
      r: r.id,
      p: users.stakeholder.id,
    });
    return r;
  },
  (item, probed) => item.data?.releaseChanged.releaseId === probed.id,
);
await onB(users.manager.token, "mutation($id: ID!) { transitionRelease(id: $id, action: SUBMIT) { status } }", { id: (await create("Not theirs")).id });
await onB(users.manager.token, "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"Theirs\" }) { id } }", { id: onIt.id });
const next = await theirs.next("the stakeholder's next event");
assert.equal(next.data.releaseChanged.releaseId, onIt.id, `nothing about releases they are not on: ${JSON.stringify(next)}`);
await stakeholder.c.dispose();
console.log("live across replicas: visibility ok");

// ---- revoked on B (and from the command line), refused on A
async function refusedOnA(token, what) {
  const started = Date.now();
  for (;;) {
    const response = await fetch(new URL("/graphql", urlA), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    const body = await response.json();
    if (body.errors?.[0]?.extensions?.code === "UNAUTHENTICATED") return Date.now() - started;
    assert.ok(Date.now() - started < WAIT, `${what}: still accepted on A`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
await onA(users.stakeholder.token, "{ me { id } }"); // cached on A
const { apiTokens } = await onB(users.admin.token, "query($p: ID!) { apiTokens(personId: $p) { id name } }", { p: users.stakeholder.id });
await onB(users.admin.token, "mutation($id: ID!) { revokeApiToken(id: $id) { id } }", { id: apiTokens.find((t) => t.name === "live").id });
console.log(`live across replicas: a token revoked on B was refused on A after ${await refusedOnA(users.stakeholder.token, "the token revoked on B")} ms`);
await onA(users.manager.cliToken, "{ me { id } }");
cli("token", "revoke", "--id", String(users.manager.cliTokenId));
console.log(`live across replicas: a token revoked from the command line was refused on A after ${await refusedOnA(users.manager.cliToken, "the token revoked from the command line")} ms`);

// a person's tokens changed: their connections end (they connect again)
const ended = await manager.closes.next("the manager's connection to end");
assert.equal(ended.code, 4403, `a changed identity ends its connections: ${JSON.stringify(ended)}`);

// ---- SIGTERM: A closes its connections cleanly
const again = clientOnA(users.manager.token);
const live = subscribe(again, SUBSCRIPTION);
await whenLive(live, () => create("Before shutdown"), (item, probed) => item.data?.releaseChanged.releaseId === probed.id);
process.kill(Number(pidA), "SIGTERM");
const closed = await again.closes.next("A's connections to close");
assert.equal(closed.code, 1001, `closed with 1001 at shutdown: ${JSON.stringify(closed)}`);
console.log("live across replicas: ok");
process.exit(0);
