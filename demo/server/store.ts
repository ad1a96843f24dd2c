import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import type { ChangeRecord, ChangesPage, ErrorBody, JsonObject, SyncRecord } from "./protocol";
import { IDEMPOTENCY_TTL_MS, MAX_BODY_BYTES, MAX_ID_LENGTH, MAX_OP_ID_LENGTH, errorBody, isJsonObject } from "./protocol";

export type WriteMethod = "PUT" | "PATCH" | "DELETE";

export type WriteRequest = {
  collection: string;
  opId: string;
  id: string;
  method: WriteMethod;
  ifMatch?: number;
  ifNoneMatch?: "*";
  body?: unknown;
};

export type WriteReply = { status: number; body: SyncRecord | ErrorBody; replayed: boolean };

export type StoreStats = {
  records: Record<string, { live: number; deleted: number }>;
  idempotency: { keys: number; replays: number };
};

export interface Store {
  applyWrite(write: WriteRequest): WriteReply;
  list(collection: string): SyncRecord[];
  get(collection: string, id: string): SyncRecord | null;
  /**
   * The changes after `since` (a cursor this database gave, or null: from the start). Null when `since` is
   * not one of this database's cursors: the database was reset or replaced, and the seqs start over.
   */
  changes(collection: string, since: string | null, limit: number): ChangesPage | null;
  /** How many times the op was applied (its reply stored); anything above 1 is a bug. 0 once its key is pruned. */
  appliedCount(collection: string, opId: string): number;
  /** How many times the stored reply of the op was served again. 0 once its key is pruned. */
  replayedCount(collection: string, opId: string): number;
  /** `replays` counts every replay since the store opened, pruned keys' too. */
  stats(): StoreStats;
  close(): void;
}

const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

type RecordRow = { id: string; version: number; updated_at: string; deleted: number; value: string | null; seq: number };
type ReplyRow = { fingerprint: string; status: number; body: string };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS records (
    collection TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL,
    deleted INTEGER NOT NULL, value TEXT, seq INTEGER NOT NULL,
    PRIMARY KEY (collection, id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS records_by_seq ON records (collection, seq);
  CREATE TABLE IF NOT EXISTS idempotency (
    collection TEXT NOT NULL, op_id TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
    body TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (collection, op_id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0);
  INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', abs(random() % 2176782336));
`;

export function openStore(filename: string, now: () => Date = () => new Date()): Store {
  const db = new Database(filename);
  if (filename !== ":memory:") db.pragma("journal_mode = WAL");
  db.exec(SCHEMA);

  const recordColumns = "id, version, updated_at, deleted, value, seq";
  const selectRecord = db.prepare<[string, string], RecordRow>(`SELECT ${recordColumns} FROM records WHERE collection = ? AND id = ?`);
  const selectLive = db.prepare<[string], RecordRow>(`SELECT ${recordColumns} FROM records WHERE collection = ? AND deleted = 0 ORDER BY id`);
  const selectChanges = db.prepare<[string, number, number], RecordRow>(
    `SELECT ${recordColumns} FROM records WHERE collection = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const upsertRecord = db.prepare<[string, string, number, string, number, string | null, number]>(
    `INSERT INTO records (collection, id, version, updated_at, deleted, value, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (collection, id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at,
       deleted = excluded.deleted, value = excluded.value, seq = excluded.seq`,
  );
  const nextSeq = db.prepare<[], { value: number }>("UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value");
  const selectMeta = db.prepare<[string], { value: number }>("SELECT value FROM meta WHERE key = ?");
  // Cursors are `<epoch>.<seq>`: a database made anew (another epoch) never takes an old cursor for one of its own.
  const epoch = (selectMeta.get("epoch")?.value ?? 0).toString(36);
  const selectReply = db.prepare<[string, string], ReplyRow>("SELECT fingerprint, status, body FROM idempotency WHERE collection = ? AND op_id = ?");
  const insertReply = db.prepare<[string, string, string, number, string, string]>(
    "INSERT INTO idempotency (collection, op_id, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const countRecords = db.prepare<[], { collection: string; live: number; deleted: number }>(
    "SELECT collection, SUM(deleted = 0) AS live, SUM(deleted) AS deleted FROM records GROUP BY collection ORDER BY collection",
  );
  const countKeys = db.prepare<[], { keys: number }>("SELECT COUNT(*) AS keys FROM idempotency");
  const deleteExpiredKeys = db.prepare<[string], { collection: string; op_id: string }>(
    "DELETE FROM idempotency WHERE created_at < ? RETURNING collection, op_id",
  );

  // Per key, so kept only as long as the key is: pruned with it, or they would grow for as long as the server runs.
  const applied = new Map<string, number>();
  const replayed = new Map<string, number>();
  let replays = 0;
  const bump = (counter: Map<string, number>, key: string) => counter.set(key, (counter.get(key) ?? 0) + 1);
  const opKey = (collection: string, opId: string) => `${collection}\u0000${opId}`;

  let prunedAt = 0;
  /** Removes the keys older than 7 days, and their counts: on open, then at most hourly as writes come in. */
  const pruneKeys = () => {
    prunedAt = now().getTime();
    for (const key of deleteExpiredKeys.all(new Date(prunedAt - IDEMPOTENCY_TTL_MS).toISOString())) {
      applied.delete(opKey(key.collection, key.op_id));
      replayed.delete(opKey(key.collection, key.op_id));
    }
  };
  pruneKeys();

  const readRecord = (collection: string, id: string): SyncRecord | null => {
    const row = selectRecord.get(collection, id);
    return row ? toRecord(row) : null;
  };

  const writeOnce = db.transaction((write: WriteRequest, fingerprint: string): WriteReply => {
    const stored = selectReply.get(write.collection, write.opId);
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        const message = `Idempotency-Key "${write.opId}" was already used for a different request`;
        return { status: 422, body: errorBody("idempotency_key_reused", message), replayed: false };
      }
      return { status: stored.status, body: JSON.parse(stored.body) as SyncRecord, replayed: true };
    }
    const timestamp = now().toISOString();
    const decision = decideWrite(readRecord(write.collection, write.id), write, timestamp);
    if ("error" in decision) return { status: decision.status, body: decision.error, replayed: false };
    const { record } = decision;
    if (decision.changed) {
      const seq = nextSeq.get()?.value ?? 0;
      const value = record.value === null ? null : JSON.stringify(record.value);
      upsertRecord.run(write.collection, record.id, record.version, record.updatedAt, record.deleted ? 1 : 0, value, seq);
    }
    insertReply.run(write.collection, write.opId, fingerprint, decision.status, JSON.stringify(record), timestamp);
    return { status: decision.status, body: record, replayed: false };
  });

  return {
    applyWrite(write) {
      const invalid = validateWrite(write);
      if (invalid) return { status: 400, body: invalid, replayed: false };
      if (now().getTime() - prunedAt >= PRUNE_INTERVAL_MS) pruneKeys();
      const reply = writeOnce(write, fingerprintOf(write));
      // Counted after the commit so a rolled-back transaction is never counted.
      if (reply.replayed) {
        bump(replayed, opKey(write.collection, write.opId));
        replays += 1;
      } else if (reply.status < 300) bump(applied, opKey(write.collection, write.opId));
      return reply;
    },
    list: (collection) => selectLive.all(collection).map(toRecord),
    get: readRecord,
    changes(collection, since, limit) {
      let after = 0;
      if (since !== null && since !== "0") {
        // A bare seq is a cursor from before epochs (clients of the previous version): taken if it can be ours.
        const [cursorEpoch, seq] = since.includes(".") ? since.split(".") : [epoch, since];
        after = Number(seq);
        if (cursorEpoch !== epoch || !/^\d{1,15}$/.test(seq ?? "") || after > (selectMeta.get("seq")?.value ?? 0)) return null;
      }
      const rows = selectChanges.all(collection, after, limit + 1);
      const changes: ChangeRecord[] = rows.slice(0, limit).map((row) => ({ ...toRecord(row), seq: row.seq }));
      return { changes, cursor: `${epoch}.${changes.at(-1)?.seq ?? after}`, hasMore: rows.length > limit };
    },
    appliedCount: (collection, opId) => applied.get(opKey(collection, opId)) ?? 0,
    replayedCount: (collection, opId) => replayed.get(opKey(collection, opId)) ?? 0,
    stats() {
      const records: StoreStats["records"] = {};
      for (const row of countRecords.all()) records[row.collection] = { live: row.live, deleted: row.deleted };
      return { records, idempotency: { keys: countKeys.get()?.keys ?? 0, replays } };
    },
    close: () => db.close(),
  };
}

function toRecord(row: RecordRow): SyncRecord {
  return {
    id: row.id,
    version: row.version,
    updatedAt: row.updated_at,
    deleted: row.deleted === 1,
    value: row.value === null ? null : (JSON.parse(row.value) as JsonObject),
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function validateWrite(write: WriteRequest): ErrorBody | null {
  const bad = (message: string) => errorBody("bad_request", message);
  if (write.opId.length === 0 || write.opId.length > MAX_OP_ID_LENGTH) {
    return bad(`an Idempotency-Key (opId) of 1 to ${MAX_OP_ID_LENGTH} characters is required`);
  }
  if (write.id.length === 0 || write.id.length > MAX_ID_LENGTH) return bad(`ids are 1 to ${MAX_ID_LENGTH} characters`);
  // Stored as UTF-8, a lone surrogate would become U+FFFD: two ids would share one record.
  if (LONE_SURROGATE.test(write.id) || LONE_SURROGATE.test(write.opId)) return bad("ids and opIds must be well-formed Unicode (no lone surrogates)");
  if (write.id === "." || write.id === "..") return bad('"." and ".." are not ids: no URL can name them');
  if (write.ifMatch !== undefined && write.ifNoneMatch !== undefined) return bad("send either If-Match or If-None-Match, not both");
  if (write.ifNoneMatch !== undefined && write.method !== "PUT") return bad("If-None-Match: * only applies to PUT");
  if (write.method === "PATCH") {
    if (write.ifMatch === undefined) return bad("PATCH needs If-Match");
    if (!isJsonObject(write.body)) return bad("a merge patch must be a JSON object");
  }
  if (write.method === "PUT") {
    if (!isJsonObject(write.body)) return bad("the body must be a JSON object");
    if (write.body.id !== write.id) return bad("value.id must equal the id in the path");
  }
  return null;
}

type WriteDecision =
  | { status: number; error: ErrorBody }
  | { status: 200 | 201; record: SyncRecord; changed: boolean };

function decideWrite(current: SyncRecord | null, write: WriteRequest, updatedAt: string): WriteDecision {
  const live = current !== null && !current.deleted;
  const conflict = (): WriteDecision => ({
    status: 409,
    error: errorBody("version_mismatch", `the precondition failed for "${write.id}"`, { current }),
  });
  const next = (value: JsonObject | null, status: 200 | 201 = 200): WriteDecision => ({
    status,
    changed: true,
    record: { id: write.id, version: (current?.version ?? 0) + 1, updatedAt, deleted: value === null, value },
  });

  if (write.ifNoneMatch === "*" && live) return conflict();
  if (write.ifMatch !== undefined) {
    if (current?.version !== write.ifMatch) return conflict();
    if (!live && write.method !== "DELETE") return conflict();
  }
  switch (write.method) {
    case "PUT":
      return next(write.body as JsonObject, live ? 200 : 201);
    case "PATCH": {
      if (!live) return conflict();
      const merged = mergePatch(current.value, write.body);
      if (!isJsonObject(merged) || merged.id !== write.id) {
        return { status: 400, error: errorBody("bad_request", "the patched item must keep its id") };
      }
      // A record a PUT could not carry could never be written whole again: every later PUT of it would be a 413.
      if (Buffer.byteLength(JSON.stringify(merged)) > MAX_BODY_BYTES) {
        const message = `the patched item would be over ${MAX_BODY_BYTES} bytes as JSON, more than a PUT may carry`;
        return { status: 413, error: errorBody("payload_too_large", message) };
      }
      return next(merged);
    }
    case "DELETE":
      return current?.deleted ? { status: 200, record: current, changed: false } : next(null);
  }
}

/** RFC 7396. Builds objects with Object.fromEntries so a "__proto__" key stays a plain property. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const merged = new Map(Object.entries(isJsonObject(target) ? target : {}));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) merged.delete(key);
    else merged.set(key, mergePatch(merged.get(key), value));
  }
  return Object.fromEntries(merged);
}

/** Identifies "the same request" for an Idempotency-Key: method, id and body, key order ignored. */
function fingerprintOf(write: WriteRequest): string {
  const body = write.method === "DELETE" ? null : write.body;
  return createHash("sha256").update(canonicalJson([write.method, write.id, body])).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
