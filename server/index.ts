/**
 * `synclens/server`: the sync protocol as a library. `createSyncHandler({ store })` is a Fetch handler;
 * the stores are their own entries, so an app loads only its database's driver:
 * `synclens/server/sqlite` (`sqliteStore`) and `synclens/server/postgres` (`postgresStore`).
 */
export type { Access, Principal, SyncHandler, SyncHandlerOptions, WriteEvent } from "./handler.js";
export { createSyncHandler } from "./handler.js";
export type { CorsOptions } from "./cors.js";
export type { Limits } from "./limits.js";
export { DEFAULT_LIMITS } from "./limits.js";
export type { ChangeRecord, ChangesPage, ErrorBody, ErrorCode, JsonObject, SyncRecord } from "./protocol.js";
export type { WriteMethod, WriteReply, WriteRequest } from "./rules.js";
export { mergePatch } from "./rules.js";
export type { StoreStats, StoredReply, SyncStore, WriteTransaction } from "./store.js";
export { StoreUnavailableError, WriteRacedError } from "./store.js";
export type { AppliedWrite, ApplyOptions } from "./apply.js";
export { applyWrites } from "./apply.js";
export { readChanges } from "./feed.js";
