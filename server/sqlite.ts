/**
 * The embedded store: one SQLite file (or ":memory:") through better-sqlite3, for one server process.
 * Failure modes: a locked, full or failing file throws StoreUnavailableError (the handler answers 503);
 * a second process on the same file waits up to 5 s for the write lock, then the same.
 */
import Database from "better-sqlite3";
import type { ChangeRecord, JsonObject, SyncRecord } from "./protocol.js";
import { IDEMPOTENCY_TTL_MS } from "./protocol.js";
import type { StoreStats, StoredReply, SyncStore, WriteTransaction } from "./store.js";
import { PRUNE_INTERVAL_MS, StoreUnavailableError, WriteRacedError } from "./store.js";

export type SqliteStoreOptions = {
  /** The store's clock, for `updatedAt` and key expiry. */
  now?: () => Date;
};

type RecordRow = { id: string; version: number; updated_at: string; deleted: number; value: string | null; seq: number };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS synclens_records (
    scope TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
    updated_at TEXT NOT NULL, deleted INTEGER NOT NULL, value TEXT, seq INTEGER NOT NULL,
    PRIMARY KEY (scope, collection, id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS synclens_records_by_seq ON synclens_records (scope, collection, seq);
  CREATE TABLE IF NOT EXISTS synclens_feeds (
    scope TEXT NOT NULL, collection TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (scope, collection)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS synclens_keys (
    scope TEXT NOT NULL, collection TEXT NOT NULL, op_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (scope, collection, op_id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS synclens_keys_by_age ON synclens_keys (created_at);
  CREATE TABLE IF NOT EXISTS synclens_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  INSERT OR IGNORE INTO synclens_meta (key, value) VALUES ('epoch', lower(hex(randomblob(5))));
`;

/** A store on a SQLite file, made with its tables if new. `":memory:"`: a throwaway database. */
export function sqliteStore(filename: string, options: SqliteStoreOptions = {}): SyncStore {
  const now = options.now ?? (() => new Date());
  const db = guardSync(() => new Database(filename));
  guardSync(() => {
    if (filename !== ":memory:") db.pragma("journal_mode = WAL");
    // WAL's NORMAL may lose the last commits on power loss: a write acknowledged to a client must survive it.
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    db.exec(SCHEMA);
  });

  const columns = "id, version, updated_at, deleted, value, seq";
  const selectRecord = db.prepare<[string, string, string], RecordRow>(`SELECT ${columns} FROM synclens_records WHERE scope = ? AND collection = ? AND id = ?`);
  const selectLive = db.prepare<[string, string], RecordRow>(
    `SELECT ${columns} FROM synclens_records WHERE scope = ? AND collection = ? AND deleted = 0 ORDER BY id`,
  );
  const selectChanges = db.prepare<[string, string, number, number], RecordRow>(
    `SELECT ${columns} FROM synclens_records WHERE scope = ? AND collection = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const casRecord = db.prepare<[string, string, string, number, string, number, string | null, number, number]>(
    `INSERT INTO synclens_records (scope, collection, id, version, updated_at, deleted, value, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (scope, collection, id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at,
       deleted = excluded.deleted, value = excluded.value, seq = excluded.seq
     WHERE synclens_records.version = ?`,
  );
  const openFeed = db.prepare<[string, string]>("INSERT OR IGNORE INTO synclens_feeds (scope, collection, seq) VALUES (?, ?, 0)");
  const selectSeq = db.prepare<[string, string], { seq: number }>("SELECT seq FROM synclens_feeds WHERE scope = ? AND collection = ?");
  const updateSeq = db.prepare<[number, string, string]>("UPDATE synclens_feeds SET seq = ? WHERE scope = ? AND collection = ?");
  const selectReply = db.prepare<[string, string, string], { fingerprint: string; status: number; body: string }>(
    "SELECT fingerprint, status, body FROM synclens_keys WHERE scope = ? AND collection = ? AND op_id = ?",
  );
  const insertReply = db.prepare<[string, string, string, string, number, string, string]>(
    "INSERT INTO synclens_keys (scope, collection, op_id, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const deleteExpired = db.prepare<[string]>("DELETE FROM synclens_keys WHERE created_at < ?");
  const epoch = guardSync(() => db.prepare<[], { value: string }>("SELECT value FROM synclens_meta WHERE key = 'epoch'").get()?.value ?? "0");

  let prunedAt = 0;
  const pruneKeys = () => {
    prunedAt = now().getTime();
    deleteExpired.run(new Date(prunedAt - IDEMPOTENCY_TTL_MS).toISOString());
  };
  guardSync(pruneKeys);

  // One connection: a read between a transaction's awaits would see its uncommitted writes. Everything
  // on the connection takes its turn.
  let turn: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T> | T): Promise<T> => {
    const run = turn.then(work, work);
    turn = run.catch(() => undefined);
    return run;
  };
  const read = <T>(work: () => T): Promise<T> => exclusive(() => guardSync(work));

  return {
    transact(scope, collection, work) {
      return exclusive(async () => {
        for (let attempt = 1; ; attempt++) {
          guardSync(() => {
            if (now().getTime() - prunedAt >= PRUNE_INTERVAL_MS) pruneKeys();
            db.exec("BEGIN IMMEDIATE");
          });
          try {
            openFeed.run(scope, collection);
            let seq = selectSeq.get(scope, collection)?.seq ?? 0;
            const tx: WriteTransaction = {
              storedReplies: async (opIds) => {
                const found = new Map<string, StoredReply>();
                for (const opId of opIds) {
                  const row = selectReply.get(scope, collection, opId);
                  if (row) found.set(opId, { fingerprint: row.fingerprint, status: row.status, body: JSON.parse(row.body) as SyncRecord });
                }
                return found;
              },
              records: async (ids) => {
                const found = new Map<string, SyncRecord>();
                for (const id of ids) {
                  const row = selectRecord.get(scope, collection, id);
                  if (row) found.set(id, toRecord(row));
                }
                return found;
              },
              putRecords: async (records) => {
                for (const record of records) {
                  const value = record.value === null ? null : JSON.stringify(record.value);
                  const args = [scope, collection, record.id, record.version, record.updatedAt, record.deleted ? 1 : 0, value, seq + 1] as const;
                  if (casRecord.run(...args, record.version - 1).changes === 0) return false;
                  seq += 1;
                }
                return true;
              },
              saveReplies: async (replies) => {
                const createdAt = now().toISOString();
                for (const { opId, reply } of replies) {
                  insertReply.run(scope, collection, opId, reply.fingerprint, reply.status, JSON.stringify(reply.body), createdAt);
                }
              },
            };
            const result = await work(tx);
            updateSeq.run(seq, scope, collection);
            db.exec("COMMIT");
            return result;
          } catch (error) {
            if (db.inTransaction) db.exec("ROLLBACK");
            if (error instanceof WriteRacedError && attempt < 3) continue;
            throw unavailable(error);
          }
        }
      });
    },
    get: (scope, collection, id) => read(() => {
      const row = selectRecord.get(scope, collection, id);
      return row ? toRecord(row) : null;
    }),
    list: (scope, collection) => read(() => selectLive.all(scope, collection).map(toRecord)),
    changesAfter: (scope, collection, after, limit) =>
      read(() => selectChanges.all(scope, collection, after, limit).map((row): ChangeRecord => ({ ...toRecord(row), seq: row.seq }))),
    lastSeq: (scope, collection) => read(() => selectSeq.get(scope, collection)?.seq ?? 0),
    epoch: async () => epoch,
    stats: () =>
      read((): StoreStats => {
        const records: StoreStats["records"] = {};
        const counts = db
          .prepare<[], { collection: string; live: number; deleted: number }>(
            "SELECT collection, SUM(deleted = 0) AS live, SUM(deleted) AS deleted FROM synclens_records GROUP BY collection ORDER BY collection",
          )
          .all();
        for (const row of counts) records[row.collection] = { live: row.live, deleted: row.deleted };
        const keys = db.prepare<[], { keys: number }>("SELECT COUNT(*) AS keys FROM synclens_keys").get()?.keys ?? 0;
        return { records, idempotency: { keys } };
      }),
    close: () => exclusive(() => void db.close()),
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

function unavailable(error: unknown): Error {
  if (error instanceof StoreUnavailableError || !(error instanceof Error)) return error as Error;
  return new StoreUnavailableError(`the SQLite database failed: ${error.message}`, { cause: error });
}

function guardSync<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw unavailable(error);
  }
}
