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

  // Relay pagination both ways, merged by relayStylePagination
  for (let n = 0; n < 4; n++) {
    await client.mutate({
      mutation: gql`mutation More($input: CreateReleaseInput!) { createRelease(input: $input) { id } }`,
      variables: { input: { title: `${name} page ${n}`, type: "MINOR", ownerId: partial.data.me.id } },
    });
  }
  const utilities = name === "apollo3"
    ? await import("apollo3/utilities/index.js")
    : await import("apollo4/utilities");
  const paged = new ApolloClient({
    link: http,
    cache: new InMemoryCache({
      typePolicies: { Query: { fields: { releases: utilities.relayStylePagination() } } },
    }),
  });
  const FORWARD = gql`query Forward($after: String) { releases(first: 2, after: $after, orderBy: { field: ID, direction: ASC }) {
    edges { cursor node { id } } pageInfo { hasNextPage endCursor hasPreviousPage startCursor } } }`;
  const first = await paged.query({ query: FORWARD });
  const second = await paged.query({
    query: FORWARD,
    variables: { after: first.data.releases.pageInfo.endCursor },
    fetchPolicy: "network-only",
  });
  // relayStylePagination answers the pages merged into one list
  const merged = second.data.releases.edges;
  const forwardIds = merged.map((e) => e.node.id);
  assert.equal(first.data.releases.edges.length, 2, `${name}: a first page`);
  assert.deepEqual(forwardIds.slice(0, 2), first.data.releases.edges.map((e) => e.node.id));
  assert.equal(new Set(forwardIds).size, 4, `${name}: two pages forward, merged, no overlap`);
  const BACKWARD = gql`query Backward($before: String) { releases(last: 2, before: $before, orderBy: { field: ID, direction: ASC }) {
    edges { cursor node { id } } pageInfo { hasPreviousPage startCursor } } }`;
  const back = await client.query({
    query: BACKWARD,
    variables: { before: merged[3].cursor },
    fetchPolicy: "network-only",
  });
  assert.deepEqual(
    back.data.releases.edges.map((e) => e.node.id),
    forwardIds.slice(1, 3),
    `${name}: a page backward`,
  );

  // a non-null field that fails nulls its nearest nullable parent: here, data
  const person = await client.mutate({
    mutation: gql`mutation Reader($input: CreatePersonInput!) { createPerson(input: $input) { id } }`,
    variables: { input: { name: `${name} Manager`, email: `${name}.manager.${Date.now()}@example.com` } },
  });
  const personId = person.data.createPerson.id;
  await client.mutate({
    mutation: gql`mutation Roles($id: ID!) { setPersonRoles(personId: $id, roles: [RELEASE_MANAGER]) }`,
    variables: { id: personId },
  });
  const issued = await client.mutate({
    mutation: gql`mutation Token($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }`,
    variables: { input: { personId, name: "apollo" } },
  });
  const manager = new ApolloClient({
    link: new HttpLink({ uri, headers: { authorization: `Bearer ${issued.data.createApiToken.secret}` } }),
    cache: new InMemoryCache(),
  });
  const propagated = await manager.query({
    query: gql`query Tokens { me { id } apiTokens { id } }`,
    errorPolicy: "all",
    fetchPolicy: "network-only",
  });
  assert.equal(errorsOf(propagated)[0]?.extensions?.code, "FORBIDDEN", `${name}: FORBIDDEN read`);
  assert.ok(!propagated.data || propagated.data === null || propagated.data.me === undefined,
    `${name}: data nulled by the non-null apiTokens: ${JSON.stringify(propagated.data)}`);

  // errors before execution carry no data, and Apollo reads them as errors
  const invalid = await client
    .query({ query: gql`query Invalid { noSuchField }`, errorPolicy: "all", fetchPolicy: "network-only" })
    .catch((error) => ({ error }));
  const invalidErrors = errorsOf(invalid);
  assert.ok(invalidErrors.length > 0 || invalid.error, `${name}: validation error surfaces`);

  // automatic persisted queries: the link falls back to sending the query
  const viaApq = await apq.query({ query: gql`query Apq { me { id } }` });
  assert.equal(viaApq.data.me.id, partial.data.me.id, `${name}: APQ falls back`);
}

await suite("apollo3", await import("apollo3/core/index.js"), await import("apollo3/link/persisted-queries/index.js"));
await suite("apollo4", await import("apollo4"), await import("apollo4/link/persisted-queries"));
// Apollo Client 4 with GraphQLWsLink: a releaseChanged event updates the
// normalized cache, so a query watching the release shows the new title
{
  const { ApolloClient, InMemoryCache, HttpLink, gql, split } = await import("apollo4");
  const { GraphQLWsLink } = await import("apollo4/link/subscriptions");
  const { isSubscriptionOperation } = await import("apollo4/utilities");
  const { createClient } = await import("graphql-ws");
  const { default: WebSocket } = await import("ws");
  const ws = createClient({
    url: uri.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  const link = split(
    ({ query }) => isSubscriptionOperation(query),
    new GraphQLWsLink(ws),
    new HttpLink({ uri, headers: { authorization: `Bearer ${token}` } }),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const created = await client.mutate({
    mutation: gql`mutation { createRelease(input: { title: "Watched", type: MINOR }) { id title version } }`,
  });
  const id = created.data.createRelease.id;
  const RELEASE = gql`query Watched($id: ID!) { release(id: $id) { id title } }`;
  await client.query({ query: RELEASE, variables: { id } });
  const events = [];
  const subscription = client
    .subscribe({
      query: gql`subscription Changes($ids: [ID!]) { releaseChanged(ids: $ids) { kind version release { id title } } }`,
      variables: { ids: [id] },
    })
    .subscribe({ next: (event) => events.push(event) });
  // a title per attempt, until the subscription is live and its event arrives
  let title = null;
  for (let attempt = 1; attempt <= 20 && !title; attempt++) {
    const wanted = `Watched, renamed ${attempt}`;
    const { data } = await client.query({ query: gql`query V($id: ID!) { release(id: $id) { id version } }`, variables: { id }, fetchPolicy: "network-only" });
    await fetch(uri, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: "mutation($id: ID!, $v: Int!, $t: String!) { updateRelease(id: $id, expectedVersion: $v, input: { title: $t }) { id } }",
        variables: { id, v: data.release.version, t: wanted },
      }),
    });
    for (let wait = 0; wait < 20 && !title; wait++) {
      await new Promise((r) => setTimeout(r, 50));
      if (events.some((e) => e.data?.releaseChanged.release.title === wanted)) title = wanted;
    }
  }
  assert.ok(title, `apollo4: releaseChanged arrived over GraphQLWsLink: ${JSON.stringify(events)}`);
  const cached = client.readQuery({ query: RELEASE, variables: { id } });
  assert.equal(cached.release.title, title, "apollo4: the subscription updated the normalized cache");
  subscription.unsubscribe();
  await ws.dispose();
}

const missing = warnings.filter((w) => /missing field|partial/i.test(w));
assert.deepEqual(missing, [], "no cache warnings");
console.log("apollo 3 and 4: ok");
process.exit(0);
