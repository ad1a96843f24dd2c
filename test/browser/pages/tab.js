// One "tab" of an app: a SyncLens client over the shared database, driven by the test through window.tab.
import { createSyncClient } from "/sdk/synclens.bundle.js";

const endpoint = `${location.origin}/api/todos`;
const client = createSyncClient({ name: "tabs-test", endpoint, pingUrl: `${location.origin}/_ping`, backoff: { baseMs: 50, maxMs: 500 }, triggers: { intervalMs: 500 } });
const changes = [];
client.on("change", (event) => changes.push(event));

window.tab = {
  ready: client.ready.then(() => true),
  async writeMany(prefix, count) {
    for (let i = 0; i < count; i++) await client.save({ id: `${prefix}-${i}`, title: `${prefix} ${i}`, n: i });
  },
  status: () => ({ ...client.status, lastError: client.status.lastError?.message ?? null }),
  syncing: () => client.status.state === "syncing",
  heardFrom: (prefix) => changes.filter((event) => event.source === "tab" && event.id.startsWith(`${prefix}-`)).length,
};
