// The SDK's save() as a save-suite variant. Nothing syncs: all triggers off, no ping, and sync() is never
// called, so the endpoint is never contacted. The queue is prefilled with save() itself.
import { createSyncClient } from "synclens";
import { deleteDatabase, inChunks, makeItem } from "./common.js";

const PREFILL_CONCURRENCY = 250;
const NO_TRIGGERS = { onWrite: false, onOnline: false, onVisible: false, flushOnPageHide: false, intervalMs: 0 };

export async function openSdkVariant({ runId, depth }) {
  const name = `bench-save-${runId}-d${depth}`;
  await deleteDatabase(`synclens:${name}`);
  const client = createSyncClient({ name, endpoint: `${location.origin}/api/bench_unused`, pingUrl: false, triggers: NO_TRIGGERS });
  await client.ready;
  const started = performance.now();
  await inChunks(depth, PREFILL_CONCURRENCY, (i) => client.save(makeItem("pre", i)));
  const prefillMs = performance.now() - started;
  if (client.status.pending !== depth) throw new Error(`SDK prefill: pending ${client.status.pending}, expected ${depth}`);
  return {
    prefillMs,
    op: (i) => client.save(makeItem("new", i)),
    async verify(written) {
      const pending = client.status.pending;
      if (pending !== depth + written) throw new Error(`SDK: pending ${pending}, expected ${depth + written}`);
    },
    async close() {
      await client.close();
      await deleteDatabase(`synclens:${name}`);
    },
  };
}
