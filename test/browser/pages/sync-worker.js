// Runs the SDK inside a dedicated module worker: no window, no document, no import map.
import { createSyncClient } from "/sdk/synclens.bundle.js";

self.onmessage = async ({ data }) => {
  try {
    const client = createSyncClient({ name: "worker-todos", endpoint: data.endpoint, triggers: { intervalMs: 0, onWrite: false } });
    await client.ready;
    await client.save({ id: "w1", title: "written in a worker" });
    await client.save({ id: "w2", title: "and another" });
    await client.delete("w2");
    const result = await client.sync();
    self.postMessage({ ok: true, result, status: { ...client.status, lastError: client.status.lastError?.message ?? null } });
    await client.close();
  } catch (error) {
    self.postMessage({ ok: false, error: String(error) });
  }
};
