/**
 * The seam between the handler and a database. A store keeps records, change feeds and idempotency keys
 * partitioned by scope (a tenant or user key from `authenticate`) and collection; the protocol's rules
 * (server/apply.ts, server/rules.ts) run the same over every store.
 */
import type { ChangeRecord, SyncRecord } from "./protocol.js";

/** A reply kept under an Idempotency-Key: only 2xx replies are kept. */
export type StoredReply = { fingerprint: string; status: number; body: SyncRecord };

/**
 * One write transaction on one feed (a scope's collection). The store holds the feed's write lock for the
 * whole transaction: writers of one feed commit one after another, in the order of their seqs.
 */
export interface WriteTransaction {
  /** The replies stored under these opIds in this feed, by opId. */
  storedReplies(opIds: string[]): Promise<Map<string, StoredReply>>;
  /** The records (tombstones included) with these ids, by id. */
  records(ids: string[]): Promise<Map<string, SyncRecord>>;
  /**
   * Writes each record as the feed's next change, in order, by compare-and-set: only where the stored version
   * is still `record.version - 1` (no record for version 1). False when any version moved; the caller then
   * throws, and the transaction writes nothing.
   */
  putRecords(records: SyncRecord[]): Promise<boolean>;
  /** Keeps each reply under its opId, dated by the store's clock. */
  saveReplies(replies: Array<{ opId: string; reply: StoredReply }>): Promise<void>;
}

/** Counts for operators: records per collection (every scope) and the idempotency keys kept. */
export type StoreStats = {
  records: Record<string, { live: number; deleted: number }>;
  idempotency: { keys: number };
};

export interface SyncStore {
  /**
   * Runs `work` in one transaction holding the feed's write lock, and commits it. When `work` throws, or the
   * commit fails, nothing of it is applied. May run `work` again when the database asks to retry the
   * transaction (a serialization failure).
   */
  transact<T>(scope: string, collection: string, work: (tx: WriteTransaction) => Promise<T>): Promise<T>;
  get(scope: string, collection: string, id: string): Promise<SyncRecord | null>;
  /** The live records, ordered by id. */
  list(scope: string, collection: string): Promise<SyncRecord[]>;
  /** Up to `limit` changes with a seq above `after`, in seq order. */
  changesAfter(scope: string, collection: string, after: number, limit: number): Promise<ChangeRecord[]>;
  /** The feed's last seq (0 when nothing was written). */
  lastSeq(scope: string, collection: string): Promise<number>;
  /** Names this database: cursors of another database (reset or replaced) are refused, not misread. */
  epoch(): Promise<string>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}

/** A store's failure the client should retry: the database is unreachable, failing, or busy. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown by a transaction's work when a compare-and-set lost: the store runs the work again. */
export class WriteRacedError extends Error {
  override readonly name = "WriteRacedError";
}

/** Stores prune expired keys on open, then at most this often, as writes come in. */
export const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
