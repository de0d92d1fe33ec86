// Subscriptions as every identity of the access matrix: refused credentials
// are closed with 4403 in connection_init; every role's subscription is
// accepted and live (a probe change on a release all of them may see
// arrives), and none answers an error.
// Usage: node live-access.mjs <base-url> <cases.json>
// cases.json: { adminToken, releaseId, identities: [{ who, token }],
//               cases: [{ name, query, allowed: [who] }] }
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { apiAt, clientAt, subscribe, whenLive } from "./live-kit.mjs";

const [base, casesFile] = process.argv.slice(2);
const { adminToken, releaseId, identities, cases } = JSON.parse(readFileSync(casesFile, "utf8"));
const api = apiAt(base);
const client = clientAt(new URL("/graphql", base).href.replace(/^http/, "ws"));
const SENTINEL = "subscription($ids: [ID!]) { releaseChanged(ids: $ids) { releaseId } }";
const probe = () => api(adminToken, "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"Probe\" }) { id } }", { id: releaseId });
const failures = [];

for (const { name, query, allowed } of cases) {
  for (const { who, token } of identities) {
    const connection = client(token ?? "");
    try {
      if (!allowed.includes(who)) {
        const closed = await connection.closes.next(`${name} as ${who} to be refused`);
        if (closed.code !== 4403) failures.push(`${name} as ${who}: expected a 4403 close, got ${JSON.stringify(closed)}`);
        continue;
      }
      const items = subscribe(connection, query, { ids: [releaseId] });
      // the probe's event shows the connection and its subscriptions are live
      const sentinel = query === SENTINEL ? items : subscribe(connection, SENTINEL, { ids: [releaseId] });
      await whenLive(sentinel, probe, (item) => item.data?.releaseChanged?.releaseId === releaseId);
      if (items.closedWith) failures.push(`${name} as ${who}: ended with ${JSON.stringify(items.closedWith)}`);
    } catch (error) {
      failures.push(`${name} as ${who}: ${error}`);
    } finally {
      await connection.c.dispose();
    }
  }
}
assert.deepEqual(failures, [], "every subscription as every identity");
console.log(`live access: ${cases.length} subscriptions × ${identities.length} identities ok`);
process.exit(0);
