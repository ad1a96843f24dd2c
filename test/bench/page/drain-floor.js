// The drain's floor: raw idb and fetch, in the simplest correct way. Per batch, one readwrite transaction
// takes 50 operations (oldest first), one fetch sends them, one readwrite transaction settles them (deletes
// the operations, stores the items' new versions). What any outbox must do, and nothing more.
import { openDB } from "idb";
import { deleteDatabase, inChunks, makeItem, outboxRecord } from "./common.js";

export async function drainFloor({ runId, count, url, batchSize }) {
  const name = `bench-floor-${runId}`;
  await deleteDatabase(name);
  const db = await openDB(name, 1, {
    upgrade(database) {
      database.createObjectStore("items");
      database.createObjectStore("outbox", { autoIncrement: true });
      database.createObjectStore("versions");
    },
  });
  try {
    await inChunks(count, 250, async (i) => {
      const item = makeItem("floor", i);
      const tx = db.transaction(["items", "outbox"], "readwrite");
      await Promise.all([tx.objectStore("items").put(item, item.id), tx.objectStore("outbox").add(outboxRecord(item)), tx.done]);
    });
    let pushed = 0;
    const started = performance.now();
    for (;;) {
      const take = db.transaction("outbox", "readwrite");
      const [keys, ops] = await Promise.all([take.store.getAllKeys(undefined, batchSize), take.store.getAll(undefined, batchSize)]);
      await take.done;
      if (ops.length === 0) break;
      const body = JSON.stringify({ ops: ops.map((op) => ({ opId: op.opId, id: op.itemId, method: "PUT", ifNoneMatch: "*", body: op.value })) });
      const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
      const { results } = await response.json();
      const settle = db.transaction(["outbox", "versions"], "readwrite");
      await Promise.all([
        ...keys.map((key) => settle.objectStore("outbox").delete(key)),
        ...results.map((result, index) => settle.objectStore("versions").put({ id: ops[index].itemId, version: result.body.version, value: ops[index].value }, ops[index].itemId)),
        settle.done,
      ]);
      pushed += results.filter((result) => result.status < 300).length;
    }
    const totalMs = performance.now() - started;
    if (pushed !== count) throw new Error(`floor: ${pushed} of ${count} pushed`);
    return { count, pushed, totalMs };
  } finally {
    db.close();
    await deleteDatabase(name);
  }
}
