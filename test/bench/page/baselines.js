// Baselines for save(), as save-suite variants, at the same queue depth:
// - rawIdb: what IndexedDB alone costs, `await db.put(store, item)`, one transaction each, into a store
//   prefilled with `depth` items.
// - rawIdbOutbox: the same puts save() makes, with idb and nothing else: the item and its outbox record
//   (the record as the SDK stores it), in one transaction each, into an items store and an
//   auto-incremented outbox, both prefilled to `depth`. No reads, no index, no coalescing: the least any
//   durable outbox has to write.
// - naiveQueue: the whole-array queue as the seed guide writes it (i45): ONE record holding the whole
//   queue as a JSON string; each enqueue reads it, parses, pushes, stringifies and puts it back (one
//   read-modify-write transaction), and the item is written in a separate transaction before it (the
//   guide's two separate writes). Prefilled with `depth` items and a `depth`-long queue. Cheaper than the
//   guide's i45 pattern, where retrieve() and store() are separate calls, store() also rewrites metadata
//   and the app's items are one array too: the ratios against it are conservative.
// Every variant's `trim(written)` takes what the timed ops added back out (untimed), so each depth is held.
import { openDB } from "idb";
import { bulkPrefill, deleteDatabase, makeItem, outboxRecord, trimToDepth } from "./common.js";

export async function openRawIdbVariant({ runId, depth }) {
  const name = `bench-raw-${runId}-d${depth}`;
  await deleteDatabase(name);
  const db = await openDB(name, 1, { upgrade: (d) => d.createObjectStore("items", { keyPath: "id" }) });
  const started = performance.now();
  await bulkPrefill(db, ["items"], depth);
  return {
    prefillMs: performance.now() - started,
    op: (i) => db.put("items", makeItem("new", i)),
    trim: (written) => trimToDepth(db, { depth, written, label: "raw idb" }),
    async close() {
      db.close();
      await deleteDatabase(name);
    },
  };
}

export async function openRawIdbOutboxVariant({ runId, depth }) {
  const name = `bench-raw-outbox-${runId}-d${depth}`;
  await deleteDatabase(name);
  const db = await openDB(name, 1, {
    upgrade: (d) => {
      d.createObjectStore("items", { keyPath: "id" });
      d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
    },
  });
  const started = performance.now();
  await bulkPrefill(db, ["items", "outbox"], depth, (tx, item) => tx.objectStore("outbox").add(outboxRecord(item)));
  return {
    prefillMs: performance.now() - started,
    async op(i) {
      const item = makeItem("new", i);
      const tx = db.transaction(["items", "outbox"], "readwrite");
      tx.objectStore("items").put(item);
      tx.objectStore("outbox").add(outboxRecord(item));
      await tx.done;
    },
    trim: (written) => trimToDepth(db, { depth, written, outbox: "each", label: "raw idb outbox" }),
    async close() {
      db.close();
      await deleteDatabase(name);
    },
  };
}

function queueEntry(item, seq) {
  return { opId: `op-${item.id}`, itemId: item.id, type: "create", value: item, createdAt: Date.now(), attempts: 0, seq };
}

export async function openNaiveQueueVariant({ runId, depth }) {
  const name = `bench-naive-${runId}-d${depth}`;
  await deleteDatabase(name);
  const db = await openDB(name, 1, {
    upgrade: (d) => {
      d.createObjectStore("items", { keyPath: "id" });
      d.createObjectStore("meta");
    },
  });
  const started = performance.now();
  await bulkPrefill(db, ["items"], depth);
  const queue = [];
  for (let i = 0; i < depth; i++) queue.push(queueEntry(makeItem("pre", i), i));
  await db.put("meta", JSON.stringify(queue), "queue");
  const prefillMs = performance.now() - started;
  let seq = depth;
  return {
    prefillMs,
    async op(i) {
      const item = makeItem("new", i);
      await db.put("items", item); // transaction 1: the item
      const tx = db.transaction("meta", "readwrite"); // transaction 2: the whole queue
      const raw = await tx.store.get("queue");
      const list = raw ? JSON.parse(raw) : [];
      list.push(queueEntry(item, seq++));
      await tx.store.put(JSON.stringify(list), "queue");
      await tx.done;
    },
    async trim(written) {
      await trimToDepth(db, { depth, written, label: "naive queue" });
      const list = JSON.parse(await db.get("meta", "queue"));
      if (list.length !== depth + written) throw new Error(`naive queue holds ${list.length}, expected ${depth + written}`);
      await db.put("meta", JSON.stringify(list.slice(0, depth)), "queue");
      seq = depth;
    },
    async close() {
      db.close();
      await deleteDatabase(name);
    },
  };
}
