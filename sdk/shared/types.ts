import type { Conflict } from "../sync/conflicts.js";
import type { SyncLensError } from "./errors.js";
import type { SyncLogEvent } from "../observe/event-log.js";

/** Anything with a string `id` and JSON-serialisable fields can be synced. */
export interface SyncItem {
  id: string;
}

/** What an operation does to its item on the server (a save of an item the server has is an `update`). */
export type OperationType = "create" | "update" | "delete";

/** One failed attempt, as kept in an operation's error history. */
export interface AttemptError {
  at: number;
  code: "network" | "timeout" | "http" | "auth" | "malformed_reply" | "conflict";
  message: string;
  status?: number;
  body?: unknown;
}

/** A pending write in the outbox. `seq` orders the queue; `opId` is the idempotency key sent to the server. */
export interface PendingOperation<T extends SyncItem = SyncItem> {
  seq: number;
  opId: string;
  itemId: string;
  type: OperationType;
  /** The item as it will be sent; absent for deletes. */
  value?: T;
  createdAt: number;
  updatedAt: number;
  /** Times the operation was sent (a sent operation is never rewritten: its key may have been applied). */
  attempts: number;
  /** Failed attempts that count against `maxRetries`. */
  failures: number;
  nextAttemptAt: number;
  lastAttemptAt?: number;
  /** The most recent failures, newest last (at most 10). */
  errors: AttemptError[];
  /**
   * The client (one page's instance) that wrote it last and may fire it at `pagehide` (`flushOnPageHide`)
   * from the copy it holds in memory: no other client rewrites it, or that copy would go out stale under
   * the same idempotency key. Others queue their writes behind it instead.
   */
  heldBy?: string;
}

/** An operation the outbox gave up on. Later operations for the same item wait until it is retried or discarded. */
export interface DeadLetter<T extends SyncItem = SyncItem> extends PendingOperation<T> {
  deadAt: number;
  /**
   * `max_retries`: failed `maxRetries` + 1 times in a way blamed on the operation itself (a malformed reply,
   * a server error while others of its batch went through); `expired`: still failing `maxRetryAge` after it
   * was queued (transient faults are retried until then).
   * `conflict`: a 409 the client could not resolve (in `synclens/core`, every 409; in `synclens`, one without the server's current record). */
  reason: "rejected" | "max_retries" | "expired" | "conflict";
  /** The server's reply that decided it, when there was one. */
  reply?: { status: number; body: unknown };
}

/** Who asked for a pause or for working offline: the app, or the DevTools panel. */
export type Caller = "app" | "panel";

/**
 * Why nothing is being sent, and until when: the first that applies, in this order. Times are epoch ms.
 * - `forced-offline`: `setOffline(true)` (by the app or the panel).
 * - `paused`: `pause()`.
 * - `auth`: the server refused the credentials (`status` 401 or 403); `fix` says what lifts it.
 * - `unreachable`: no reply from the server; probes of `url` run on a backoff.
 * - `throttled`: the server asked for quiet with `Retry-After`, until `until`.
 * - `slow`: requests timed out (after `timeoutMs`); the next probe is at `until`, `attempt` probes so far.
 * - `backoff`: the server failed as a whole (the circuit, with `attempt` probes so far), or every pending
 *   operation waits out its own backoff; the next try is at `until`.
 * - `busy`: another tab or worker holds the drain of this database, `since` this client first found it so;
 *   `holder`: the page (or worker script) that took the drain, and since when, as it recorded itself.
 * - `dead-letters`, `conflicts`: operations wait on them (`count`, and the items of the first 20).
 */
export type SyncBlocked =
  | { reason: "forced-offline"; by: Caller; since: number }
  | { reason: "paused"; by: Caller; since: number }
  | { reason: "auth"; status?: number; fix: string }
  | { reason: "unreachable"; url: string; lastProbeAt: number | null; nextProbeAt: number | null }
  | { reason: "throttled"; until: number }
  | { reason: "slow"; timeoutMs: number; until: number; attempt: number }
  | { reason: "backoff"; until: number; attempt?: number }
  | { reason: "busy"; since: number; holder?: { page?: string; since: number } }
  | { reason: "dead-letters"; count: number; items: string[] }
  | { reason: "conflicts"; count: number };

/** The one-word summary of `status`: offline first, then syncing, then parked conflicts, then the last error. */
export type SyncState = "idle" | "syncing" | "offline" | "error" | "conflict";

/** The client's state, as `client.status` and the `status` event give it. */
export interface SyncStatus {
  state: SyncState;
  /** Whether the server is believed reachable (browser signal checked by real requests and pings). */
  online: boolean;
  forcedOffline: boolean;
  paused: boolean;
  /** True while 401/403 holds the queue until `resume()` or `setHeaders()`. */
  authPaused: boolean;
  pending: number;
  deadLetters: number;
  /** Conflicts parked for a manual resolution (`conflicts()`, `resolveConflict()`). */
  conflicts: number;
  lastSyncAt: number | null;
  lastError: SyncLensError | null;
  /** True once `close()` was called: the last status a listener gets (the DevTools panel then drops the client). */
  closed: boolean;
  /** Why nothing is being sent, and until when; null while sync can move. See {@link SyncBlocked}. */
  blocked: SyncBlocked | null;
}

/** What one `sync()` did: counts of this drain, and why it sent nothing when `skipped` is set. */
export interface SyncResult {
  /** Operations the server acknowledged. */
  pushed: number;
  /** Server changes applied locally from the change feed. */
  pulled: number;
  /** Conflicts found (resolved by the strategy, or parked when it is `manual`). */
  conflicts: number;
  /** Failed attempts that will be retried. */
  retried: number;
  deadLettered: number;
  /** Operations still in the outbox when the drain ended. */
  remaining: number;
  durationMs: number;
  /** Why nothing (more) was sent, when that is the case. */
  skipped?: "offline" | "paused" | "auth" | "closed" | "budget" | "busy" | "throttled" | "backoff";
}

/** Counters since the client started, from `client.metrics()`. */
export interface SyncMetrics {
  /** Operation attempts settled: successes and failures, network errors and timeouts included. */
  totalAttempts: number;
  successes: number;
  failures: number;
  /** successes / totalAttempts, 1 when nothing was attempted. */
  successRate: number;
  retries: number;
  deadLettered: number;
  requests: number;
  /**
   * `average`, `p50` and `p95` cover the last `samples` (at most 1,000) requests; `count` and `sumMs` are
   * cumulative, so a mean over any interval is Δ`sumMs` / Δ`count`.
   */
  latencyMs: { average: number; p50: number; p95: number; samples: number; count: number; sumMs: number };
  queueDepth: number;
  oldestPendingAgeMs: number | null;
  /** Request body bytes on the wire, after gzip. */
  bytesSent: number;
  /** The same bodies before gzip; `bytesSent / bytesBeforeCompression` is the compression ratio. */
  bytesBeforeCompression: number;
  drains: number;
  /** `save()` and `delete()` calls refused (invalid item or id, storage full or failing, queue full): nothing was written. */
  refusedWrites: number;
}

/** A change to the pending queue, as the `queue` event reports it (full client). */
export type QueueChange<T extends SyncItem = SyncItem> =
  | { added: PendingOperation<T>[]; changed: PendingOperation<T>[]; removed: number[] }
  | { reset: true };

/** An operation the server acknowledged: the `synced` event. */
export interface SyncedEvent {
  opId: string;
  itemId: string;
  type: OperationType;
  version: number;
}

/** A local item changed (`local`: this client's write; `remote`: a pull or a resolution; `tab`: another tab): the `change` event. */
export interface ChangeEvent<T extends SyncItem = SyncItem> {
  type: "save" | "delete";
  id: string;
  value?: T;
  /** `local`: this client; `tab`: another tab or worker sharing its database; `remote`: the server. */
  source: "local" | "tab" | "remote";
}

/** The events of the core client: those of {@link SyncEvents} but `conflict`, `log` and `queue`. */
export type CoreSyncEvents<T extends SyncItem = SyncItem> = Omit<SyncEvents<T>, "conflict" | "log" | "queue">;

/** Every event of the full client and its payload: `client.on(name, listener)`. */
export interface SyncEvents<T extends SyncItem = SyncItem> {
  status: SyncStatus;
  synced: SyncedEvent;
  deadletter: DeadLetter<T>;
  error: SyncLensError;
  change: ChangeEvent<T>;
  /** A conflict was found; with a strategy other than `manual` it is resolved right after. */
  conflict: Conflict<T>;
  /** Every timeline entry as it is recorded (see `timeline()`). */
  log: SyncLogEvent;
  /**
   * How the queue changed: operations added, changed in place (coalesced, sent, retried) and removed
   * (acknowledged, dead-lettered, cancelled), by `seq`; `reset` when it is simpler to read `queue()` again
   * (another tab, a conflict resolution, dead letters put back). Built only while someone listens.
   */
  queue: QueueChange<T>;
}
