/**
 * The transport seam: how the outbox's operations reach a backend and how its changes come back. The
 * protocol's HTTP transport (docs/protocol.md) is the default; `restTransport` speaks to conventional REST
 * backends; an app may write its own (a GraphQL mutation, a Firebase call, a message queue).
 *
 * Everything above the transport (coalescing, per-item order, backoff, dead letters, conflicts and their
 * strategies, metrics, the timeline, snapshots, the DevTools panel) works the same over any of them.
 */
import type { SyncItem } from "../shared/types.js";

/** A reply as the transport got it, kept with a dead letter or an error for the developer to read. */
export interface TransportReply {
  status: number;
  body: unknown;
}

/** An item as the backend holds it. */
export interface BackendRecord<T extends SyncItem = SyncItem> {
  id: string;
  /** The backend's version of the item; absent where the backend keeps none. */
  version?: number;
  /** The item; null or absent for a deleted one. */
  value?: T | null;
  deleted?: boolean;
  /** The backend's time of the write (ISO 8601), where it says. */
  updatedAt?: string;
}

/** One outbox operation, as a transport sends it. */
export interface PushOperation<T extends SyncItem = SyncItem> {
  /** Unique per operation and kept across its retries: an idempotency key, where the backend takes one. */
  opId: string;
  type: "save" | "delete";
  id: string;
  /** The whole item (saves). */
  value?: T;
  /**
   * The version of the backend's copy this operation was made on: a create when absent. A backend with
   * versions refuses the write when its copy moved on (a conflict).
   */
  baseVersion?: number;
  /** A JSON Merge Patch (RFC 7396) from that copy to `value`, when delta push is on and it is smaller. */
  patch?: Record<string, unknown>;
}

/** What came of one operation. Exactly one per operation, in the order they were given. */
export type PushOutcome<T extends SyncItem = SyncItem> =
  /** The backend has the write. `record`: what it stored (its version, value and time), where it says. */
  | { kind: "applied"; record?: Omit<BackendRecord<T>, "id">; reply?: TransportReply }
  /** The backend's copy moved on since `baseVersion`: `current` is that copy (null: it has none). */
  | { kind: "conflict"; current: BackendRecord<T> | null; reply?: TransportReply }
  /**
   * Not now: sent again after a backoff (at least `afterMs`). `reason`: `unreachable` (no reply: the client
   * probes connectivity), `timeout`, `server` (the backend failed as a whole: no operation is blamed), or
   * `malformed` (a reply that makes no sense: blamed on the operation, counted against `maxRetries`).
   */
  | { kind: "retry"; reason: "unreachable" | "timeout" | "server" | "malformed"; message: string; afterMs?: number; reply?: TransportReply }
  /** The backend will never take this write as it is: a dead letter, with the reply kept. */
  | { kind: "rejected"; message: string; reply?: TransportReply }
  /** The credentials were refused: the whole queue waits for `resume()` or new headers. */
  | { kind: "auth"; message: string; reply?: TransportReply }
  /**
   * The operation's idempotency key was spent on another request (an earlier body of it, fired by a page
   * that was closing): it goes again at once under a new key, made on `current` (the backend's copy, null
   * for none) when that copy is the spent key's own result, else on the key's result, to meet a conflict.
   */
  | { kind: "rekey"; current: BackendRecord<T> | null; reply?: TransportReply };

/** One page of the backend's changes after a cursor. */
export interface PullPage<T extends SyncItem = SyncItem> {
  /** Each with its version (pulls need versions to tell new from old). */
  changes: Array<BackendRecord<T> & { version: number }>;
  /** Where the next pull starts; stored with the changes applied. */
  cursor: string;
  hasMore: boolean;
}

export type PullResult<T extends SyncItem = SyncItem> =
  | ({ kind: "page" } & PullPage<T>)
  /** The backend no longer knows the cursor (its data was reset or replaced): pull again from the start. */
  | { kind: "expired" }
  /** The backend has no change feed: the client stops pulling (until it is created again). */
  | { kind: "unsupported" }
  /**
   * The backend's whole collection, for a backend without a change feed or versions (a listing): the client
   * compares it with what it last synced. New and changed items are applied as changes, synced items missing
   * from it as deletes, and unsynced local work is a conflict as with any pulled change.
   */
  | { kind: "snapshot"; items: T[] }
  | Extract<PushOutcome<T>, { kind: "retry" | "rejected" | "auth" }>;

/** What a transport's calls get: `signal` aborts when the client closes or goes offline by force. */
export interface TransportContext {
  signal: AbortSignal;
}

/**
 * How the client reaches its backend. `push` must answer one outcome per operation, in order; it may throw
 * or answer something malformed, which the client takes as a failure of the whole batch (retried, nothing
 * lost). `pull` is optional: without it the client only pushes.
 */
export interface SyncTransport<T extends SyncItem = SyncItem> {
  push(ops: readonly PushOperation<T>[], context: TransportContext): Promise<readonly PushOutcome<T>[]>;
  pull?(cursor: string | null, context: TransportContext & { limit: number }): Promise<PullResult<T>>;
}
