/**
 * SyncLens SDK: local-first writes in IndexedDB with a durable outbox that drains to the server exactly
 * once, in order. Start with {@link createSyncClient}.
 * @packageDocumentation
 */
export { createSyncClient, type SyncClient, type ReadOptions, type SyncCallOptions } from "./full-client";
export type { CoreSyncClient } from "./client";
export type { ReadPolicy, SyncClientOptions } from "./full-options";
export type { CoreSyncClientOptions, TriggerOptions } from "./options";
export type { BackoffOptions } from "./backoff";
export type { HeadersInput } from "./transport";
export type { Conflict, ConflictStrategy, Resolution, TieRule } from "./conflicts";
export type { SyncLogEvent } from "./event-log";
export { redactSecrets, type Redactor, type SyncSnapshot } from "./snapshot";
export { webStorageItems, type ItemStorage, type StorageOption } from "./storage";
export { fromI45, type I45DataContext } from "./i45";
export {
  SyncLensError,
  InvalidItemError,
  InvalidOptionsError,
  QueueFullError,
  StorageError,
  ClientClosedError,
  SyncRequestError,
  type SyncLensErrorCode,
} from "./errors";
export type {
  SyncItem,
  OperationType,
  AttemptError,
  PendingOperation,
  DeadLetter,
  SyncState,
  SyncStatus,
  SyncResult,
  SyncMetrics,
  SyncedEvent,
  ChangeEvent,
  SyncEvents,
  CoreSyncEvents,
  QueueChange,
} from "./types";
export { SDK_VERSION } from "./version";
