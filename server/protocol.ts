/** Wire shapes and limits of the SyncLens sync protocol (docs/protocol.md), as the server speaks it. */

export type JsonObject = { [key: string]: unknown };

export type SyncRecord = {
  id: string;
  version: number;
  updatedAt: string;
  deleted: boolean;
  value: JsonObject | null;
};

export type ChangeRecord = SyncRecord & { seq: number };

export type ChangesPage = { changes: ChangeRecord[]; cursor: string; hasMore: boolean };

export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "version_mismatch"
  | "payload_too_large"
  | "unsupported_media_type"
  | "idempotency_key_reused"
  | "cursor_expired"
  | "rate_limited"
  | "internal"
  | "unavailable";

export type ErrorBody = { error: ErrorCode; message: string; [detail: string]: unknown };

export function errorBody(error: ErrorCode, message: string, details: JsonObject = {}): ErrorBody {
  return { ...details, error, message };
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const COLLECTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_ID_LENGTH = 256;
export const MAX_OP_ID_LENGTH = 128;
export const MAX_BATCH_OPS = 500;
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
export const DEFAULT_CHANGES_LIMIT = 100;
export const MAX_CHANGES_LIMIT = 1000;
export const IDEMPOTENCY_TTL_MS = 7 * 24 * 60 * 60 * 1000;
