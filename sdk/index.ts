/**
 * SyncLens SDK: local-first writes in IndexedDB with a durable outbox that drains to the server exactly
 * once, in order. Start with {@link createSyncClient}. Everything `synclens/core` exports is here too;
 * `createSyncClient` here is the full client's.
 * @packageDocumentation
 */
export * from "./core.js";
export { createSyncClient, type SyncClient, type ReadOptions, type SyncCallOptions } from "./full-client.js";
export type { ReadPolicy, SyncClientOptions } from "./full-options.js";
export type { Conflict, ConflictStrategy, Resolution, TieRule } from "./conflicts.js";
export type { SyncLogEvent, RequestDetail } from "./event-log.js";
export type { Exchange } from "./transport.js";
export { redactSecrets, type Redactor, type SyncSnapshot } from "./snapshot.js";
export { webStorageItems, type ItemStorage, type StorageOption } from "./storage.js";
export { fromI45, type I45DataContext } from "./i45.js";
export type { SyncEvents } from "./types.js";
