// Shared helpers of the bench page: items, database cleanup, timer resolution.

/** A small, realistic item (about 120 bytes as JSON). */
export function makeItem(prefix, i) {
  return { id: `${prefix}-${String(i).padStart(6, "0")}`, title: `Buy milk #${i}`, done: false, n: i, tags: ["bench", "todo"], note: "x".repeat(32) };
}

/** An outbox record as the SDK stores one for a new item (the item's value is cloned into it). */
export function outboxRecord(item) {
  const now = Date.now();
  return { opId: crypto.randomUUID(), itemId: item.id, type: "create", createdAt: now, updatedAt: now, attempts: 0, failures: 0, nextAttemptAt: now, errors: [], value: item };
}

/** The keys of the items the timed ops wrote (`makeItem("new", i)`), never those of the prefill. */
export const NEW_ITEMS = IDBKeyRange.bound("new-", "new-\uffff");

/**
 * Removes (untimed) the `written` items the timed ops added since the last trim, and with `outbox`, their
 * outbox records (`seq` above `depth`), so the stores are back at the depth being measured. Throws if the
 * stores do not hold exactly what was written.
 */
export async function trimToDepth(db, { depth, written, outbox = false, label }) {
  const stores = outbox ? ["items", "outbox"] : ["items"];
  const tx = db.transaction(stores, "readwrite");
  const items = tx.objectStore("items");
  const added = await items.count(NEW_ITEMS);
  const ops = outbox ? await tx.objectStore("outbox").count(IDBKeyRange.lowerBound(depth, true)) : 0;
  if (added !== written || (outbox === "each" && ops !== written)) throw new Error(`${label}: ${added} items and ${ops} records added, expected ${written}`);
  await Promise.all([items.delete(NEW_ITEMS), ...(outbox ? [tx.objectStore("outbox").delete(IDBKeyRange.lowerBound(depth, true))] : []), tx.done]);
}

/** Deletes an IndexedDB database and waits for it. */
export function deleteDatabase(name) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

/** Runs `op(i)` for i in [0, count), `concurrency` at a time (untimed prefill). */
export async function inChunks(count, concurrency, op) {
  for (let start = 0; start < count; start += concurrency) {
    const end = Math.min(count, start + concurrency);
    const pending = [];
    for (let i = start; i < end; i++) pending.push(op(i));
    await Promise.all(pending);
  }
}

/** Prefills `depth` items in transactions of 1000 (untimed). `extra(tx, item)` adds more writes per item. */
export async function bulkPrefill(db, stores, depth, extra) {
  for (let start = 0; start < depth; start += 1000) {
    const tx = db.transaction(stores, "readwrite");
    for (let i = start; i < Math.min(depth, start + 1000); i++) {
      const item = makeItem("pre", i);
      tx.objectStore("items").put(item);
      extra?.(tx, item, i);
    }
    await tx.done;
  }
}

/** The smallest positive step of performance.now() here (5 µs when cross-origin isolated, else 100 µs). */
export function timerResolutionMs() {
  let best = Infinity;
  for (let k = 0; k < 200; k++) {
    const a = performance.now();
    let b = performance.now();
    while (b === a) b = performance.now();
    best = Math.min(best, b - a);
  }
  return best;
}
