/**
 * Every error the SDK throws or reports is a {@link SyncLensError} with a stable `code`, so callers can
 * branch on `error.code` without parsing messages.
 */
export type SyncLensErrorCode =
  | "invalid_item"
  | "invalid_id"
  | "invalid_options"
  /** An argument other than an item or id, e.g. a negative `limit`. */
  | "invalid_argument"
  | "queue_full"
  | "storage"
  | "quota_exceeded"
  | "closed"
  | "not_found"
  /** A conflict moved on (a newer server copy) since the resolution given for it was made. */
  | "conflict_changed"
  /** A conflict strategy function threw, or returned something other than a resolution; the conflict stays parked. */
  | "resolver"
  | "network"
  | "timeout"
  | "http"
  | "auth"
  | "malformed_reply";

/** The base of every error SyncLens throws or reports; `code` says which kind (see docs/sdk.md, Errors). */
export class SyncLensError extends Error {
  override readonly name: string = "SyncLensError";
  readonly code: SyncLensErrorCode;
  constructor(code: SyncLensErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** An item or id given to `save()`/`delete()` was rejected before anything was written. */
export class InvalidItemError extends SyncLensError {
  override readonly name = "InvalidItemError";
  /** JSON-path-like location of the offending value, e.g. `$.tags[2]`. */
  readonly path: string;
  constructor(message: string, path = "$", code: "invalid_item" | "invalid_id" = "invalid_item") {
    super(code, path === "$" ? message : `${message} (at ${path})`);
    this.path = path;
  }
}

/** `createSyncClient` was given options it cannot work with. */
export class InvalidOptionsError extends SyncLensError {
  override readonly name = "InvalidOptionsError";
  readonly option: string;
  constructor(option: string, message: string) {
    super("invalid_options", `Invalid option "${option}": ${message}`);
    this.option = option;
  }
}

/** A write would grow the outbox past `maxQueueSize`. Nothing was written. */
export class QueueFullError extends SyncLensError {
  override readonly name = "QueueFullError";
  readonly limit: number;
  constructor(limit: number) {
    super("queue_full", `The outbox holds ${limit} operations, its maxQueueSize; nothing was written`);
    this.limit = limit;
  }
}

/** IndexedDB refused a transaction (quota, closed database, browser policy). Nothing was written. */
export class StorageError extends SyncLensError {
  override readonly name = "StorageError";
  constructor(message: string, cause: unknown) {
    const quota = isQuotaError(cause);
    super(quota ? "quota_exceeded" : "storage", quota ? `Storage quota exceeded: ${message}` : message, { cause });
  }
}

/** The client was closed; create a new one over the same name to continue. */
export class ClientClosedError extends SyncLensError {
  override readonly name = "ClientClosedError";
  constructor() {
    super("closed", "This SyncLens client is closed");
  }
}

/** A sync request failed. `status` and `body` are the server's reply when there was one. */
export class SyncRequestError extends SyncLensError {
  override readonly name = "SyncRequestError";
  readonly status: number | undefined;
  readonly body: unknown;
  constructor(code: "network" | "timeout" | "http" | "auth" | "malformed_reply", message: string, status?: number, body?: unknown) {
    super(code, message);
    this.status = status;
    this.body = body;
  }
}

function isQuotaError(error: unknown): boolean {
  return typeof error === "object" && error !== null && "name" in error && error.name === "QuotaExceededError";
}

/** An unknown thrown value as text for an error message: `Name: message` for an Error. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
