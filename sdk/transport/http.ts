/**
 * `httpTransport`: the protocol's own HTTP transport (docs/protocol.md) as a {@link SyncTransport}, for an
 * app to wrap (to log, to route, to add a fallback) and pass as `transport`. Without a `transport` option the
 * client uses the same HTTP code directly, with what only a client can do over it: gzip, the keepalive flush
 * at `pagehide`, pings, the timeline's exchanges, and PATCH with a fallback to PUT.
 */
import type { HeadersInput } from "./transport.js";
import { HttpTransport } from "./transport.js";
import { fetchChanges } from "../storage/pull.js";
import type { SyncItem } from "../shared/types.js";
import { pushOutcomeOf } from "./outcomes.js";
import { protocolPush } from "./protocol-push.js";
import type { PullResult, PushOutcome, SyncTransport } from "./seam.js";

export interface HttpTransportOptions {
  /** The collection's URL, e.g. `https://api.example.com/api/todos`. */
  endpoint: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Request headers, or a function giving them, called once per push and per pull page. */
  headers?: HeadersInput;
  /** Per request. Default 15,000 ms. */
  timeoutMs?: number;
}

export function httpTransport<T extends SyncItem = SyncItem>(options: HttpTransportOptions): SyncTransport<T> {
  const endpoint = options.endpoint.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 15_000;
  const http = new HttpTransport({
    endpoint,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    headers: options.headers,
    timeoutMs,
    onRequest: () => undefined,
  });
  return {
    async push(ops, { signal }) {
      let headers: Record<string, string>;
      try {
        headers = await http.resolveHeaders(signal);
      } catch (error) {
        signal.throwIfAborted();
        const message = error instanceof Error ? error.message : String(error);
        return ops.map((): PushOutcome<T> => ({ kind: "auth", message }));
      }
      return protocolPush<T>(http, ops, signal, headers);
    },
    async pull(cursor, { signal, limit }): Promise<PullResult<T>> {
      const page = await fetchChanges(http, endpoint, { cursor, limit, timeoutMs }, signal);
      switch (page.kind) {
        case "page":
          return { kind: "page", cursor: page.cursor, hasMore: page.hasMore, changes: page.changes.map((change) => ({ ...change, value: change.value as T | null })) };
        case "expired":
        case "unsupported":
          return page;
        default: {
          const outcome = pushOutcomeOf<T>(page);
          return outcome.kind === "retry" || outcome.kind === "rejected" || outcome.kind === "auth" ? outcome : { kind: "retry", reason: "malformed", message: "The change feed answered a write's reply" };
        }
      }
    },
  };
}
