// Apollo Client 3 and 4 against a running Releasedesk, as a single-page app
// uses them. Usage: node apollo.mjs <base-url> <token>. Exits non-zero on the
// first broken expectation, saying which.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";

const [base, token] = process.argv.slice(2);
assert.ok(base && token, "usage: node apollo.mjs <base-url> <token>");
const uri = new URL("/graphql", base).href;
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

const warnings = [];
for (const level of ["warn", "error"]) {
  const original = console[level];
  console[level] = (...args) => {
    warnings.push(args.map(String).join(" "));
    original(...args);
  };
}

async function suite(name, core, persisted) {
  const { ApolloClient, InMemoryCache, HttpLink, gql, ApolloLink } = core;
  const http = new HttpLink({ uri, headers: { authorization: `Bearer ${token}` } });
  const makeApq = persisted.createPersistedQueryLink ?? ((o) => new persisted.PersistedQueryLink(o));
  const client = new ApolloClient({ link: http, cache: new InMemoryCache() });
  const apq = new ApolloClient({
    link: ApolloLink.from([makeApq({ sha256 }), http]),
    cache: new InMemoryCache(),
  });
  const errorsOf = (result) =>
    result.errors ?? result.error?.errors ?? result.error?.graphQLErrors ?? [];

  // a failing nullable field is null in place, beside the fields that worked
  const partial = await client.query({
    query: gql`query Partial { me { id name } release(id: "999999") { id title } }`,
    errorPolicy: "all",
    fetchPolicy: "network-only",
  });
  assert.ok(partial.data.me.id, `${name}: me answered`);
  assert.ok("release" in partial.data, `${name}: release key present`);
  assert.equal(partial.data.release, null, `${name}: release is null`);
  assert.equal(errorsOf(partial)[0]?.extensions?.code, "NOT_FOUND", `${name}: coded error`);

  // create, read into the cache, update: the cache follows without a refetch
  const created = await client.mutate({
    mutation: gql`mutation Create($input: CreateReleaseInput!) {
      createRelease(input: $input) { id title version status createdAt } }`,
    variables: { input: { title: `${name} release`, type: "MINOR", ownerId: partial.data.me.id } },
  });
  const release = created.data.createRelease;
  assert.equal(release.status, "DRAFT", `${name}: enum`);
  assert.ok(!Number.isNaN(Date.parse(release.createdAt)), `${name}: DateTime parses`);
  const READ = gql`query Read($id: ID!) { release(id: $id) { id title version status } }`;
  await client.query({ query: READ, variables: { id: release.id } });
  await client.mutate({
    mutation: gql`mutation Rename($id: ID!, $v: Int!) {
      updateRelease(id: $id, input: { title: "Renamed" }, expectedVersion: $v) { id title version } }`,
    variables: { id: release.id, v: release.version },
  });
  const cached = client.readQuery({ query: READ, variables: { id: release.id } });
  assert.equal(cached?.release?.title, "Renamed", `${name}: normalized cache updated in place`);
  const again = await client.query({ query: READ, variables: { id: release.id } });
  assert.equal(again.data.release.title, "Renamed", `${name}: cache-first read complete`);

  // pages read back from the cache whole
  const PAGE = gql`query Page { releases(first: 5) { totalCount edges { cursor node { id title status } } pageInfo { hasNextPage endCursor } } }`;
  const page = await client.query({ query: PAGE, fetchPolicy: "network-only" });
  assert.ok(page.data.releases.edges.length > 0, `${name}: a page`);
  assert.deepEqual(client.readQuery({ query: PAGE }), page.data, `${name}: page from cache`);

  // automatic persisted queries: the link falls back to sending the query
  const viaApq = await apq.query({ query: gql`query Apq { me { id } }` });
  assert.equal(viaApq.data.me.id, partial.data.me.id, `${name}: APQ falls back`);
}

await suite("apollo3", await import("apollo3/core/index.js"), await import("apollo3/link/persisted-queries/index.js"));
await suite("apollo4", await import("apollo4"), await import("apollo4/link/persisted-queries"));
const missing = warnings.filter((w) => /missing field|partial/i.test(w));
assert.deepEqual(missing, [], "no cache warnings");
console.log("apollo 3 and 4: ok");
