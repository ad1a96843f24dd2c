/**
 * SyncLens SDK: local-first writes in IndexedDB with a durable outbox that drains to the server exactly
 * once, in order. Start with {@link createSyncClient}. Everything `synclens/core` exports is here too;
 * `createSyncClient` here is the full client's.
 * @packageDocumentation
 */
export * from "./core.js";
export { createSyncClient, type SyncClient, type ReadOptions, type SyncCallOptions } from "./client/full-client.js";
export type { ReadPolicy, SyncClientOptions } from "./client/full-options.js";
export type { Conflict, ConflictStrategy, Resolution, TieRule } from "./sync/conflicts.js";
export type { SyncLogEvent, RequestDetail } from "./observe/event-log.js";
export type { Exchange } from "./transport/transport.js";
export { redactSecrets, type Redactor, type SyncSnapshot } from "./observe/snapshot.js";
export { webStorageItems, type ItemStorage, type StorageOption } from "./storage/storage.js";
export { fromI45, type I45DataContext } from "./storage/i45.js";
export type { SyncEvents } from "./shared/types.js";
