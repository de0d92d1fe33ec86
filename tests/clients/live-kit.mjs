// What the live-update client tests share: GraphQL over HTTP, graphql-ws
// clients, subscriptions as bounded queues, and waiting until a subscription
// is live by making probe changes.
import assert from "node:assert/strict";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

/** How long any single wait may take. */
export const WAIT = 20000;

/** A GraphQL POST to `base` that must succeed. */
export function apiAt(base) {
  return async (token, query, variables = {}) => {
    const response = await fetch(new URL("/graphql", base), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    assert.equal(body.errors, undefined, `${query}: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
}

/** Items as a queue; `next` waits at most `timeout` ms. */
export function queue() {
  const items = [];
  const waiters = [];
  let closed = null;
  return {
    push(item) {
      const waiter = waiters.shift();
      if (waiter) waiter.resolve(item);
      else items.push(item);
    },
    close(reason) {
      closed = reason;
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`closed: ${JSON.stringify(reason)}`));
    },
    next(what, timeout = WAIT) {
      if (items.length) return Promise.resolve(items.shift());
      if (closed) return Promise.reject(new Error(`closed before ${what}: ${JSON.stringify(closed)}`));
      return new Promise((resolve, reject) => {
        const waiter = {
          resolve: (v) => (clearTimeout(timer), resolve(v)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        };
        // a waiter that timed out leaves the line, so no item goes to it
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out waiting for ${what}`));
        }, timeout);
        waiters.push(waiter);
      });
    },
    get closedWith() {
      return closed;
    },
  };
}

/** A graphql-ws client of the server at `wsUrl`, with its close events as a queue. */
export function clientAt(wsUrl) {
  return (token) => {
    const closes = queue();
    const c = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {},
      on: { closed: (event) => closes.push({ code: event.code, reason: event.reason }) },
    });
    return { c, closes };
  };
}

/** The items of one subscription as a queue. */
export function subscribe({ c }, query, variables = {}) {
  const items = queue();
  c.subscribe(
    { query, variables },
    {
      next: (value) => items.push(value),
      error: (error) => items.close(error),
      complete: () => items.close("complete"),
    },
  );
  return items;
}

/**
 * Makes `probe()` changes until `items` yields one `matches` accepts: a
 * subscription's first events may pass before the server has opened it, so
 * this is how a test knows it is live.
 */
export async function whenLive(items, probe, matches) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probed = await probe();
    try {
      for (;;) {
        const item = await items.next("a probe's event", 1000);
        if (matches(item, probed)) return probed;
      }
    } catch (error) {
      if (!String(error).includes("timed out")) throw error;
    }
  }
  throw new Error("the subscription never saw a probe");
}
