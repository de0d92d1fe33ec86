// The measuring half of bench/live.sh: idle subscribers (RSS and CPU of the
// server from /proc), then mutation-to-delivery times across subscribers.
// Usage: node bench/live.mjs <base-url> <token> <server-pid> <idle> <subscribers> <changes>
import { readFileSync } from "node:fs";
import { apiAt, clientAt, subscribe, whenLive } from "../tests/clients/live-kit.mjs";

const [base, token, pid, idleCount, subscriberCount, changeCount] = process.argv.slice(2);
const api = apiAt(base);
const client = clientAt(new URL("/graphql", base).href.replace(/^http/, "ws"));
const ticks = 100; // USER_HZ: clock ticks per second in /proc/<pid>/stat on Linux
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const cpuSeconds = () => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticks;
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const { createRelease } = await api(token, 'mutation { createRelease(input: { title: "Live bench", type: MINOR }) { id version } }');
const id = createRelease.id;
const SUBSCRIPTION = "subscription($ids: [ID!]) { releaseChanged(ids: $ids) { version release { id description } } }";
const touch = async (text) => {
  const { release } = await api(token, "query($id: ID!) { release(id: $id) { version } }", { id });
  await api(token, "mutation($id: ID!, $v: Int!, $d: String!) { updateRelease(id: $id, expectedVersion: $v, input: { description: $d }) { id } }", {
    id,
    v: release.version,
    d: text,
  });
};

// ---- idle subscribers
const before = { rss: rssMiB(), cpu: cpuSeconds() };
const idle = [];
for (let i = 0; i < Number(idleCount); i++) {
  const connection = client(token);
  idle.push({ connection, items: subscribe(connection, SUBSCRIPTION, { ids: [id] }) });
}
// all live: one change reaches every one of them
for (let attempt = 1; ; attempt++) {
  await touch(`warm-up ${attempt}`);
  await new Promise((r) => setTimeout(r, 1000));
  const reached = await Promise.all(idle.map(({ items }) => items.next("warm-up", 1).then(() => true, () => false)));
  if (reached.every(Boolean)) break;
  if (attempt > 30) throw new Error(`only ${reached.filter(Boolean).length} of ${idle.length} subscribers are live`);
}
const settled = { rss: rssMiB(), cpu: cpuSeconds() };
await new Promise((r) => setTimeout(r, 30000));
const after = { rss: rssMiB(), cpu: cpuSeconds() };
console.log(
  `idle: ${idle.length} subscribers; server RSS ${before.rss.toFixed(1)} MiB before, ${settled.rss.toFixed(1)} MiB with them ` +
    `(${(((settled.rss - before.rss) * 1024) / idle.length).toFixed(1)} KiB each); CPU while they idled 30 s: ` +
    `${(after.cpu - settled.cpu).toFixed(2)} s (${(((after.cpu - settled.cpu) / 30) * 100).toFixed(2)} % of a core)`,
);
await Promise.all(idle.map(({ connection }) => connection.c.dispose()));

// ---- delivery times
const feeds = [];
for (let i = 0; i < Number(subscriberCount); i++) {
  const connection = client(token);
  const arrivals = new Map();
  connection.c.subscribe(
    { query: SUBSCRIPTION, variables: { ids: [id] } },
    { next: (v) => arrivals.set(v.data.releaseChanged.release.description, performance.now()), error: () => {}, complete: () => {} },
  );
  feeds.push({ connection, arrivals });
}
for (let attempt = 1; ; attempt++) {
  await touch(`ready ${attempt}`);
  await new Promise((r) => setTimeout(r, 1000));
  if (feeds.every(({ arrivals }) => arrivals.has(`ready ${attempt}`))) break;
  if (attempt > 30) throw new Error("the delivery subscribers never all went live");
}
const latencies = [];
const requests = [];
for (let i = 0; i < Number(changeCount); i++) {
  const text = `change ${i}`;
  const sent = performance.now();
  await touch(text);
  requests.push(performance.now() - sent);
  const deadline = performance.now() + 10000;
  while (!feeds.every(({ arrivals }) => arrivals.has(text)) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1));
  }
  for (const { arrivals } of feeds) {
    if (arrivals.has(text)) latencies.push(arrivals.get(text) - sent);
  }
}
const expected = Number(subscriberCount) * Number(changeCount);
console.log(
  `delivery: ${latencies.length} of ${expected} events to ${feeds.length} subscribers; from sending the change ` +
    `(a read and an updateRelease) to each subscriber: p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
    `p99 ${percentile(latencies, 99).toFixed(1)} ms; the change's own two requests: p50 ${percentile(requests, 50).toFixed(1)} ms, ` +
    `p99 ${percentile(requests, 99).toFixed(1)} ms`,
);
await Promise.all(feeds.map(({ connection }) => connection.c.dispose()));
process.exit(0);
