// A transport of your own, for a backend reached through its SDK rather than the protocol: here a document
// store with versions whose `put` refuses a stale version, as Firestore's transactions or CouchDB's _rev do.
import type { BackendRecord, PushOutcome, SyncTransport } from "synclens";

export interface Doc {
  id: string;
  [field: string]: unknown;
}

/** The backend's SDK, as the app has it. */
export interface DocumentStore {
  get(id: string): Promise<{ version: number; value: Doc | null } | undefined>;
  /** Writes when the stored version is `ifVersion` (0: none); else throws a `StaleVersion`. */
  put(id: string, value: Doc | null, ifVersion: number): Promise<{ version: number }>;
  changesSince(seq: number, limit: number): Promise<{ changes: Array<{ id: string; version: number; value: Doc | null }>; last: number }>;
}

export class StaleVersion extends Error {}

export function documentStoreTransport(store: DocumentStore): SyncTransport<Doc> {
  return {
    async push(ops) {
      const outcomes: PushOutcome<Doc>[] = [];
      for (const op of ops) {
        try {
          const value = op.type === "delete" ? null : op.value!;
          const { version } = await store.put(op.id, value, op.baseVersion ?? 0);
          outcomes.push({ kind: "applied", record: { version, value, deleted: value === null } });
        } catch (error) {
          if (!(error instanceof StaleVersion)) {
            outcomes.push({ kind: "retry", reason: "server", message: String(error) });
            continue;
          }
          const current = await store.get(op.id);
          const copy: BackendRecord<Doc> | null = current && current.value ? { id: op.id, version: current.version, value: current.value } : null;
          outcomes.push({ kind: "conflict", current: copy });
        }
      }
      return outcomes;
    },
    async pull(cursor, { limit }) {
      const { changes, last } = await store.changesSince(Number(cursor ?? 0), limit);
      return {
        kind: "page",
        changes: changes.map((change) => ({ id: change.id, version: change.version, value: change.value, deleted: change.value === null })),
        cursor: String(last),
        hasMore: changes.length === limit,
      };
    },
  };
}
