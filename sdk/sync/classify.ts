import type { ServerVersion } from "../storage/store.js";

/**
 * What happened to one operation's request, as the transport saw it. Pure data, so the decision table below
 * can be tested without a network.
 */
export type SendOutcome =
  | { kind: "ok"; status: number; version: number; body: unknown }
  | { kind: "http"; status: number; body: unknown; retryAfterMs?: number }
  | { kind: "network"; message: string }
  | { kind: "timeout"; message: string }
  | { kind: "malformed"; status: number; message: string; body: unknown }
  /** Not sent as it should be (e.g. the server refused PATCH): send again at once, no failure counted. */
  | { kind: "resend"; message: string }
  /**
   * 422 `idempotency_key_reused`: the key was applied with an earlier body of this operation (another
   * page's pagehide flush). `server`: the item as the server has it now (null: none), read after the 422.
   */
  | { kind: "reused"; status: 422; body: unknown; server: ServerVersion | null };

/**
 * What the outbox does next with the operation.
 * - `ack`: the server applied it; remove it.
 * - `retry`: transient; try again after a backoff (`delayMs`, from Retry-After, is a minimum obeyed up to an hour: `retryDelay`).
 * - `pause`: the credentials were refused; stop the whole queue until `resume()` or new headers, without
 *   counting a retry against the operation.
 * - `conflict`: the server holds another version (409).
 * - `dead`: the server will never accept this request as it is; move it to the dead-letter queue.
 * - `again`: send it again now, differently (no failure counted).
 * - `rekey`: its key is spent on an earlier body; send it again under a new key, from the server's copy.
 */
export type Verdict =
  | { action: "ack" }
  | { action: "retry"; delayMs?: number; unreachable: boolean }
  | { action: "pause" }
  | { action: "conflict" }
  | { action: "dead" }
  | { action: "again" }
  | { action: "rekey" };

export function classify(outcome: SendOutcome): Verdict {
  switch (outcome.kind) {
    case "ok":
      return { action: "ack" };
    case "resend":
      return { action: "again" };
    case "reused":
      return { action: "rekey" };
    case "network":
      return { action: "retry", unreachable: true };
    case "timeout":
      // The server may be slow, not gone: the circuit backs off; pings decide reachability.
      return { action: "retry", unreachable: false };
    case "malformed":
      // The write may well have been applied; a retry with the same idempotency key is always safe.
      return { action: "retry", unreachable: false };
    case "http": {
      const { status } = outcome;
      if (status === 401 || status === 403) return { action: "pause" };
      if (status === 409) return { action: "conflict" };
      if (status === 408 || status === 429 || status >= 500) {
        return outcome.retryAfterMs === undefined
          ? { action: "retry", unreachable: false }
          : { action: "retry", delayMs: outcome.retryAfterMs, unreachable: false };
      }
      return { action: "dead" };
    }
  }
}
