/**
 * The SyncLens core (`synclens/core`): the durable outbox alone, for apps that only push. Local writes
 * in IndexedDB with their outbox operation in one transaction, batched push with retries, backoff,
 * idempotency keys, per-item order, coalescing and a dead-letter queue. A version conflict (409) is
 * dead-lettered with the server's reply kept. `synclens` adds pulling, conflict resolution, read
 * policies, app item stores, the timeline and snapshots on the same database.
 * @packageDocumentation
 */
export { createSyncClient, type CoreSyncClient } from "./client/client.js";
export type { CoreSyncClientOptions, TriggerOptions } from "./client/options.js";
export type { BackoffOptions } from "./sync/backoff.js";
export type { HeadersInput } from "./transport/transport.js";
export type {
  SyncTransport,
  TransportContext,
  PushOperation,
  PushOutcome,
  PullPage,
  PullResult,
  BackendRecord,
  TransportReply,
} from "./transport/seam.js";
export {
  SyncLensError,
  InvalidItemError,
  InvalidOptionsError,
  QueueFullError,
  StorageError,
  ClientClosedError,
  SyncRequestError,
  type SyncLensErrorCode,
} from "./shared/errors.js";
export type {
  SyncItem,
  OperationType,
  AttemptError,
  PendingOperation,
  DeadLetter,
  SyncState,
  SyncStatus,
  SyncBlocked,
  Caller,
  SyncResult,
  SyncMetrics,
  SyncedEvent,
  ChangeEvent,
  CoreSyncEvents,
  QueueChange,
} from "./shared/types.js";
export { SDK_VERSION } from "./shared/version.js";
