/**
 * `synclens/server`: the sync protocol as a library. `createSyncHandler({ store })` is a Fetch handler;
 * the stores are their own entries, so an app loads only its database's driver:
 * `synclens/server/sqlite` (`sqliteStore`) and `synclens/server/postgres` (`postgresStore`).
 */
export type { Access, Principal, SyncHandler, SyncHandlerOptions, WriteEvent } from "./handler";
export { createSyncHandler } from "./handler";
export type { CorsOptions } from "./cors";
export type { Limits } from "./limits";
export { DEFAULT_LIMITS } from "./limits";
export type { ChangeRecord, ChangesPage, ErrorBody, ErrorCode, JsonObject, SyncRecord } from "./protocol";
export type { WriteMethod, WriteReply, WriteRequest } from "./rules";
export { mergePatch } from "./rules";
export type { StoreStats, StoredReply, SyncStore, WriteTransaction } from "./store";
export { StoreUnavailableError, WriteRacedError } from "./store";
export type { AppliedWrite, ApplyOptions } from "./apply";
export { applyWrites } from "./apply";
export { readChanges } from "./feed";
