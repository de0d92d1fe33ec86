import { Client, cacheExchange, fetchExchange, mapExchange } from "urql";
import { watchedFetch } from "./connection";

/**
 * A urql client for one signed-in session: the token goes in the
 * Authorization header (never in a URL), and an UNAUTHENTICATED answer ends
 * the session.
 */
export function makeClient(token: string, onUnauthenticated: () => void): Client {
  return new Client({
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
    ],
  });
}
