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
  | { kind: "resend"; message: string };

/**
 * What the outbox does next with the operation.
 * - `ack`: the server applied it; remove it.
 * - `retry`: transient; try again after a backoff (`delayMs`, from Retry-After, is a minimum obeyed up to an hour: `retryDelay`).
 * - `pause`: the credentials were refused; stop the whole queue until `resume()` or new headers, without
 *   counting a retry against the operation.
 * - `conflict`: the server holds another version (409).
 * - `dead`: the server will never accept this request as it is; move it to the dead-letter queue.
 * - `again`: send it again now, differently (no failure counted).
 */
export type Verdict =
  | { action: "ack" }
  | { action: "retry"; delayMs?: number; unreachable: boolean }
  | { action: "pause" }
  | { action: "conflict" }
  | { action: "dead" }
  | { action: "again" };

export function classify(outcome: SendOutcome): Verdict {
  switch (outcome.kind) {
    case "ok":
      return { action: "ack" };
    case "resend":
      return { action: "again" };
    case "network":
    case "timeout":
      return { action: "retry", unreachable: true };
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
