import { createClient as createLiveClient } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from "urql";
import { watchedFetch } from "./connection";

/**
 * A urql client for one signed-in session: the token goes in the
 * Authorization header (never in a URL) and in the WebSocket's
 * connection_init, and an UNAUTHENTICATED answer ends the session.
 * Subscriptions reconnect by themselves (the server closes a connection
 * whose tokens or roles changed; the next one says whether they still work).
 */
export function makeClient(token: string, onUnauthenticated: () => void): { client: Client; dispose: () => void } {
  const url = new URL("/graphql", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const live = createLiveClient({
    url: url.href,
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
  });
  const client = new Client({
    url: "/graphql",
    fetch: watchedFetch,
    requestPolicy: "cache-and-network",
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    exchanges: [
      mapExchange({
        onError(error) {
          if (error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) {
            onUnauthenticated();
          }
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const operation = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              return { unsubscribe: live.subscribe(operation, sink) };
            },
          };
        },
      }),
    ],
  });
  return { client, dispose: () => void live.dispose() };
}
