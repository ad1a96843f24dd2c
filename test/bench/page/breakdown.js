// Where save()'s time goes: the SDK's IndexedDB pattern rebuilt step by step with idb, in a database of
// the SDK's schema (items, versions, outbox with an itemId index) prefilled to the same depth (items and
// outbox ops). Each step adds one thing to the previous; the last is save()'s IndexedDB work without the
// SDK's own JavaScript, except the count of the item's dead letters that save() also makes. Each is a
// save-suite variant, timed interleaved with the SDK.
import { openDB } from "idb";
import { bulkPrefill, deleteDatabase, makeItem, outboxRecord, trimToDepth } from "./common.js";

const STORES = ["items", "versions", "outbox"];


export const BREAKDOWN_STEPS = {
  /** `db.put("items", item)`: one store, one write. */
  "put item (1-store tx)": (db, item) => db.put("items", item),
  /** The same write, in a transaction scoped to the three stores save() uses. */
  "put item (3-store tx)": async (db, item) => {
    const tx = db.transaction(STORES, "readwrite");
    tx.objectStore("items").put(item);
    await tx.done;
  },
  /** + the outbox record (a second structured clone of the item): both writes, no reads. */
  "+ outbox.add (no reads)": async (db, item) => {
    const tx = db.transaction(STORES, "readwrite");
    tx.objectStore("items").put(item);
    await tx.objectStore("outbox").add(outboxRecord(item));
    await tx.done;
  },
  /** + the reads save() needs (the item's pending ops via the index, its server version), awaited before writing. */
  "+ reads, awaited before the writes": async (db, item) => {
    const tx = db.transaction(STORES, "readwrite");
    const outbox = tx.objectStore("outbox");
    const [pending] = await Promise.all([outbox.index("itemId").getAll(IDBKeyRange.only(item.id)), tx.objectStore("versions").get(item.id)]);
    if (pending.length) throw new Error("the bench writes new items only");
    await Promise.all([tx.objectStore("items").put(item), outbox.add(outboxRecord(item)), tx.done]);
  },
  /** The same reads queued ahead of the writes and checked after them (save()'s predict-then-verify). */
  "same, reads checked after the writes": async (db, item) => {
    const tx = db.transaction(STORES, "readwrite");
    const outbox = tx.objectStore("outbox");
    const reads = Promise.all([outbox.index("itemId").getAll(IDBKeyRange.only(item.id)), tx.objectStore("versions").get(item.id)]);
    const writes = Promise.all([tx.objectStore("items").put(item), outbox.add(outboxRecord(item)), tx.done]);
    const [pending] = await reads;
    if (pending.length) throw new Error("the bench writes new items only");
    await writes;
  },
};

export async function openBreakdownVariant({ runId, depth, step }) {
  const run = BREAKDOWN_STEPS[step];
  if (!run) throw new Error(`unknown breakdown step ${step}`);
  const name = `bench-breakdown-${runId}-d${depth}-${Object.keys(BREAKDOWN_STEPS).indexOf(step)}`;
  await deleteDatabase(name);
  const db = await openDB(name, 1, {
    upgrade: (d) => {
      d.createObjectStore("items", { keyPath: "id" });
      d.createObjectStore("versions", { keyPath: "id" });
      d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true }).createIndex("itemId", "itemId");
    },
  });
  const started = performance.now();
  await bulkPrefill(db, ["items", "outbox"], depth, (tx, item) => tx.objectStore("outbox").add(outboxRecord(item)));
  return {
    prefillMs: performance.now() - started,
    op: (i) => run(db, makeItem("new", i)),
    trim: (written) => trimToDepth(db, { depth, written, outbox: true, label: `breakdown ${step}` }),
    async close() {
      db.close();
      await deleteDatabase(name);
    },
  };
}
