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
