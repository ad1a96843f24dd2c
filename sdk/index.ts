/**
 * SyncLens SDK: local-first writes in IndexedDB with a durable outbox that drains to the server exactly
 * once, in order. Start with {@link createSyncClient}. Everything `synclens/core` exports is here too;
 * `createSyncClient` here is the full client's.
 * @packageDocumentation
 */
export * from "./core";
export { createSyncClient, type SyncClient, type ReadOptions, type SyncCallOptions } from "./full-client";
export type { ReadPolicy, SyncClientOptions } from "./full-options";
export type { Conflict, ConflictStrategy, Resolution, TieRule } from "./conflicts";
export type { SyncLogEvent } from "./event-log";
export { redactSecrets, type Redactor, type SyncSnapshot } from "./snapshot";
export { webStorageItems, type ItemStorage, type StorageOption } from "./storage";
export { fromI45, type I45DataContext } from "./i45";
export type { SyncEvents } from "./types";
