// Live updates as clients receive them: graphql-ws (graphql-transport-ws) and
// the older graphql-ws protocol of subscriptions-transport-ws, against one
// server. Checks order and rising versions, visibility per subscriber,
// myApprovals, request limits, refused credentials, a missing
// connection_init, and a revoked token ending its connection.
// Usage: node live.mjs <base-url> <users.json> <dropped-file>
// (the test writes <dropped-file> once it saw the server drop the slow client,
// whose port this script writes beside users.json as <name>.port)
// users.json: { manager, stakeholder: { token, id }, board, admin } tokens.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import net from "node:net";
import WebSocket from "ws";
import { WAIT, apiAt, clientAt, queue, subscribe, whenLive } from "./live-kit.mjs";

const [base, usersFile, droppedFile] = process.argv.slice(2);
const users = JSON.parse(readFileSync(usersFile, "utf8"));
const wsUrl = new URL("/graphql", base).href.replace(/^http/, "ws");
const api = apiAt(base);
const client = clientAt(wsUrl);

const RELEASE_CHANGED = `subscription($ids: [ID!]) { releaseChanged(ids: $ids) { kind releaseId version release { id title status } } }`;
const create = (token, title, type = "MINOR") =>
  api(token, "mutation($t: String!, $ty: ReleaseType!) { createRelease(input: { title: $t, type: $ty }) { id version } }", { t: title, ty: type }).then(
    (d) => d.createRelease,
  );

// ---- credentials are checked in connection_init
{
  const { c, closes } = client("rdk_not-a-token");
  const refused = await closes.next("the refusal");
  assert.equal(refused.code, 4403, `a bad token is refused with 4403: ${JSON.stringify(refused)}`);
  await c.dispose();
  const raw = new WebSocket(wsUrl, "graphql-transport-ws");
  const silent = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no close for a missing connection_init")), WAIT);
    raw.on("close", (code) => (clearTimeout(timer), resolve(code)));
  });
  assert.equal(silent, 4408, "a connection that never initialises is closed with 4408");
  console.log("live: refusals ok");
}

// ---- a manager sees every change, in order, with rising versions
const manager = client(users.manager);
const all = subscribe(manager, RELEASE_CHANGED);
await whenLive(all, () => create(users.manager, "Probe"), (item, probed) => item.data?.releaseChanged.releaseId === probed.id);
const release = await create(users.manager, "Live release");
await api(users.manager, "mutation($id: ID!, $v: Int!) { updateRelease(id: $id, expectedVersion: $v, input: { title: \"Live release, renamed\", plannedStart: \"2027-03-01T09:00:00Z\", plannedEnd: \"2027-03-05T17:00:00Z\" }) { id } }", {
  id: release.id,
  v: release.version,
});
await api(users.manager, "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"Stage\" }) { id } }", { id: release.id });
await api(users.manager, "mutation($id: ID!) { transitionRelease(id: $id, action: SUBMIT) { status } }", { id: release.id });
await api(users.manager, "mutation($id: ID!) { addCostLine(input: { releaseId: $id, category: LABOUR, description: \"Prep\", amount: 5000, incurredOn: \"2026-11-20\" }) { id } }", {
  id: release.id,
});
const expected = ["CREATED", "UPDATED", "MILESTONE_CHANGED", "STATUS_CHANGED", "COST_CHANGED"];
const seen = [];
while (seen.length < expected.length) {
  const item = await all.next(`event ${seen.length + 1} of release ${release.id}`);
  const change = item.data.releaseChanged;
  if (change.releaseId !== release.id) continue;
  seen.push(change);
}
assert.deepEqual(seen.map((c) => c.kind), expected, "one event per change, in commit order");
for (let i = 1; i < seen.length; i++) assert.ok(seen[i].version > seen[i - 1].version, `versions rise: ${JSON.stringify(seen)}`);
assert.equal(seen[1].release.title, "Live release, renamed", "the release is read at delivery");
assert.equal(seen[3].release.status, "REQUESTED");
console.log("live: order and versions ok");

// ---- a stakeholder hears only about releases they are on
const stakeholder = client(users.stakeholder.token);
const theirs = subscribe(stakeholder, RELEASE_CHANGED);
const onIt = await whenLive(
  theirs,
  async () => {
    const r = await create(users.manager, "With the stakeholder");
    await api(users.manager, "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: STAKEHOLDER }) { id } }", {
      r: r.id,
      p: users.stakeholder.id,
    });
    return r;
  },
  (item, probed) => item.data?.releaseChanged.releaseId === probed.id,
);
const hidden = await create(users.manager, "Not for the stakeholder");
await api(users.manager, "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"Secret\" }) { id } }", { id: hidden.id });
await api(users.manager, "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"Visible\" }) { id } }", { id: onIt.id });
const next = await theirs.next("the stakeholder's next event");
assert.equal(next.data.releaseChanged.releaseId, onIt.id, `only releases the stakeholder is on: ${JSON.stringify(next)}`);
assert.equal(next.data.releaseChanged.kind, "MILESTONE_CHANGED");
console.log("live: visibility ok");

// ---- filters by id
const one = subscribe(manager, RELEASE_CHANGED, { ids: [onIt.id] });
await whenLive(
  one,
  () => api(users.manager, "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"Probe\" }) { id } }", { id: onIt.id }),
  (item) => item.data?.releaseChanged.releaseId === onIt.id,
);
await api(users.manager, "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"Elsewhere\" }) { id } }", { id: hidden.id });
await api(users.manager, "mutation($id: ID!) { transitionRelease(id: $id, action: CANCEL, reason: \"Filter check\") { status } }", { id: onIt.id });
for (;;) {
  const item = await one.next("the filtered event");
  assert.equal(item.data.releaseChanged.releaseId, onIt.id, "only the ids asked for");
  if (item.data.releaseChanged.kind === "STATUS_CHANGED") break;
}
console.log("live: id filter ok");

// ---- the board hears about requests they vote on
const board = client(users.board);
const approvalsFeed = subscribe(board, "subscription { myApprovals { kind approval { id status release { id } } } }");
const major = await whenLive(
  approvalsFeed,
  async () => {
    const r = await create(users.manager, "Needs the board", "MAJOR");
    await api(users.manager, "mutation($id: ID!) { transitionRelease(id: $id, action: SUBMIT) { status } }", { id: r.id });
    return r;
  },
  (item, probed) => item.data?.myApprovals.kind === "OPENED" && item.data.myApprovals.approval.release?.id === probed.id,
);
const { approvals } = await api(users.board, "query($r: ID!) { approvals(filter: { releaseId: $r, statuses: [OPEN] }) { id } }", { r: major.id });
await api(users.board, "mutation($a: ID!) { castVote(input: { approvalId: $a, decision: APPROVED }) { status } }", { a: approvals[0].id });
for (;;) {
  const item = await approvalsFeed.next("the decision");
  if (item.data.myApprovals.approval.release?.id !== major.id) continue;
  if (item.data.myApprovals.kind === "DECIDED") {
    assert.equal(item.data.myApprovals.approval.status, "APPROVED");
    break;
  }
}
console.log("live: myApprovals ok");

// ---- the query limits hold for subscription documents
{
  const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: releaseId`).join(" ");
  const refused = subscribe(manager, `subscription { releaseChanged { ${aliases} } }`);
  // the refusal comes as an error message, or as a result with errors
  const answer = await refused.next("the refusal").catch((e) => e);
  const errors = Array.isArray(refused.closedWith) ? refused.closedWith : (answer.errors ?? []);
  assert.ok(errors.some((e) => e.extensions?.code === "LIMIT_EXCEEDED"), `too many aliases: ${JSON.stringify(errors)} ${answer}`);
  console.log("live: limits ok");
}

// ---- the older protocol (subscriptions-transport-ws)
{
  const raw = new WebSocket(wsUrl, "graphql-ws");
  const messages = queue();
  raw.on("message", (data) => messages.push(JSON.parse(String(data))));
  raw.on("close", (code) => messages.close({ code }));
  await new Promise((resolve, reject) => (raw.once("open", resolve), raw.once("error", reject)));
  raw.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${users.manager}` } }));
  let ack;
  do ack = await messages.next("connection_ack");
  while (ack.type === "ka");
  assert.equal(ack.type, "connection_ack");
  raw.send(JSON.stringify({ id: "1", type: "start", payload: { query: "subscription { releaseChanged { releaseId kind } }" } }));
  const dataOnly = {
    next: async (what, timeout) => {
      for (;;) {
        const m = await messages.next(what, timeout);
        if (m.type !== "ka") return m;
      }
    },
  };
  await whenLive(dataOnly, () => create(users.manager, "Old protocol"), (m, probed) => m.type === "data" && m.payload.data.releaseChanged.releaseId === probed.id);
  raw.close();
  console.log("live: graphql-ws (subscriptions-transport-ws) ok");
}

// ---- revoking a token ends the connections it opened
{
  const { apiTokens } = await api(users.admin, "query($p: ID!) { apiTokens(personId: $p) { id revokedAt } }", { p: users.stakeholder.id });
  for (const token of apiTokens.filter((t) => !t.revokedAt)) {
    await api(users.admin, "mutation($id: ID!) { revokeApiToken(id: $id) { id } }", { id: token.id });
  }
  const closed = await stakeholder.closes.next("the revoked connection to close");
  assert.equal(closed.code, 4403, `a revoked token's connection closes with 4403: ${JSON.stringify(closed)}`);
  console.log("live: revocation ok");
}

// ---- a client that stops reading: its sends pile up until the server drops
// it (the Rust test waits for the server's log line); the others go on
{
  const big = await create(users.manager, "Large events");
  // a bare socket, so nothing resumes reading behind the test's back (ws does)
  const socket = net.connect(Number(new URL(base).port), "127.0.0.1");
  await new Promise((resolve, reject) => (socket.once("connect", resolve), socket.once("error", reject)));
  let received = "";
  socket.on("data", (chunk) => (received += chunk.toString("latin1")));
  socket.write(
    `GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
  );
  /** One masked client text frame. */
  const frame = (text) => {
    const payload = Buffer.from(text);
    const mask = randomBytes(4);
    const length = payload.length < 126 ? Buffer.from([payload.length | 0x80]) : Buffer.from([126 | 0x80, payload.length >> 8, payload.length & 0xff]);
    return Buffer.concat([Buffer.from([0x81]), length, mask, payload.map((b, i) => b ^ mask[i % 4])]);
  };
  const until = async (what, check) => {
    const deadline = Date.now() + WAIT;
    while (!check()) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await until("the upgrade", () => received.includes("\r\n\r\n"));
  socket.write(frame(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${users.manager}` } })));
  await until("connection_ack", () => received.includes("connection_ack"));
  socket.write(
    frame(
      JSON.stringify({
        id: "slow",
        type: "subscribe",
        payload: {
          // 25 copies of a 9,000-character description: about 225 KB per event
          query: `subscription($ids: [ID!]) { releaseChanged(ids: $ids) { ${Array.from({ length: 25 }, (_, i) => `r${i}: release { description }`).join(" ")} } }`,
          variables: { ids: [big.id] },
        },
      }),
    ),
  );
  const change = async (i) => {
    const { release } = await api(users.manager, "query($id: ID!) { release(id: $id) { version } }", { id: big.id });
    await api(users.manager, "mutation($id: ID!, $v: Int!, $d: String!) { updateRelease(id: $id, expectedVersion: $v, input: { description: $d }) { id } }", {
      id: big.id,
      v: release.version,
      d: `${i} `.repeat(4000).slice(0, 9000),
    });
  };
  for (let attempt = 0; !received.includes('"type":"next"'); attempt++) {
    assert.ok(attempt < 20, "the slow client's subscription never went live");
    await change(0);
    await new Promise((r) => setTimeout(r, 500));
  }
  writeFileSync(usersFile.replace(/\.json$/, ".port"), String(socket.localPort));
  socket.pause();
  // 120 changes send about 27 MB, far more than the sockets buffer
  for (let i = 1; i <= 120; i++) await change(i);
  // the others still hear about changes
  const probe = await create(users.manager, "After the slow client");
  for (;;) {
    const item = await all.next("an event after the slow client");
    if (item.data.releaseChanged.releaseId === probe.id) break;
  }
  // the test sees the server drop the slow client in its log, and says so
  const waiting = Date.now();
  while (!existsSync(droppedFile)) {
    assert.ok(Date.now() - waiting < 120000, "the server never dropped the slow client");
    await new Promise((r) => setTimeout(r, 100));
  }
  socket.destroy();
  console.log("live: the slow client was dropped, the others went on");
}

await manager.c.dispose();
await board.c.dispose();
console.log("live: ok");
process.exit(0);
