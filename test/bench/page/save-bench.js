// The SDK's save() as a save-suite variant. Nothing syncs: all triggers off, no ping, and sync() is never
// called, so the endpoint is never contacted. The queue is prefilled with save() itself. The trims remove
// the timed ops' records behind the client's back: its pending counter keeps counting them (checked), and
// nothing in save() depends on it below maxQueueSize.
import { openDB } from "idb";
import * as current from "synclens";
import { deleteDatabase, inChunks, makeItem, NEW_ITEMS } from "./common.js";

const PREFILL_CONCURRENCY = 250;
const NO_TRIGGERS = { onWrite: false, onOnline: false, onVisible: false, flushOnPageHide: false, intervalMs: 0 };

/** `sdk`: the SDK module to measure (an earlier build, for before/after); default the current one. */
export async function openSdkVariant({ runId, depth, sdk = current, tag = "" }) {
  const name = `bench-save-${runId}${tag}-d${depth}`;
  await deleteDatabase(`synclens:${name}`);
  // maxQueueSize: room past the default 100,000 for section 1c's depth and its timed ops.
  const client = sdk.createSyncClient({ name, endpoint: `${location.origin}/api/bench_unused`, pingUrl: false, triggers: NO_TRIGGERS, maxQueueSize: 1_000_000 });
  await client.ready;
  const started = performance.now();
  await inChunks(depth, PREFILL_CONCURRENCY, (i) => client.save(makeItem("pre", i)));
  const prefillMs = performance.now() - started;
  if (client.status.pending !== depth) throw new Error(`SDK prefill: pending ${client.status.pending}, expected ${depth}`);
  // A second connection to the client's database, to take the timed ops' items and operations back out.
  const raw = await openDB(`synclens:${name}`);
  let counted = depth;
  return {
    prefillMs,
    op: (i) => client.save(makeItem("new", i)),
    async trim(written) {
      counted += written;
      if (client.status.pending !== counted) throw new Error(`SDK: pending ${client.status.pending}, expected ${counted}`);
      const tx = raw.transaction(["items", "outbox"], "readwrite");
      const [items, seqs] = await Promise.all([tx.objectStore("items").count(NEW_ITEMS), tx.objectStore("outbox").index("itemId").getAllKeys(NEW_ITEMS)]);
      if (items !== written || seqs.length !== written) throw new Error(`SDK: ${items} items and ${seqs.length} operations added, expected ${written}`);
      await Promise.all([tx.objectStore("items").delete(NEW_ITEMS), ...seqs.map((seq) => tx.objectStore("outbox").delete(seq)), tx.done]);
    },
    async close() {
      raw.close();
      await client.close();
      await deleteDatabase(`synclens:${name}`);
    },
  };
}

/** The same variant over the earlier build mounted as "synclens-before" (BENCH_ONLY=seam only). */
export async function openSdkBeforeVariant(args) {
  return openSdkVariant({ ...args, sdk: await import("synclens-before"), tag: "-before" });
}
