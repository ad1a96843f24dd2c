// A page with a SyncLens client, named by ?name=, exposed to the DevTools panel (and ?second=, another).
import { createSyncClient } from "/sdk/synclens.bundle.js";
import { droppedMessages, exposeToDevtools } from "/sdk/devtools.js";

const params = new URLSearchParams(location.search);
const name = params.get("name") ?? "exposed";
// ?options=<JSON>: more options for the client (a scenario's timeoutMs, backoff, endpoint).
const options = JSON.parse(params.get("options") ?? "{}");
// ?transport=memory: the client reaches a backend in this page through a transport of the app's own
// (the seam's `push`), which refuses items titled "poison" with a 422; window.backend holds its records.
const backend = new Map();
const memoryTransport = {
  async push(ops) {
    return ops.map((op) => {
      if (op.value?.title === "poison") return { kind: "rejected", message: "the backend refused it", reply: { status: 422, body: { error: "invalid_title" } } };
      const version = (backend.get(op.id)?.version ?? 0) + 1;
      backend.set(op.id, { version, value: op.type === "delete" ? null : op.value });
      return { kind: "applied", record: { version } };
    });
  },
};
window.backend = backend;
const transport = params.get("transport") === "memory" ? { transport: memoryTransport } : {};
const client = createSyncClient({ name, endpoint: `${location.origin}/api/${name}`, conflict: params.get("conflict") ?? "merge", ...transport, ...options, triggers: { intervalMs: 0, ...options.triggers } });
exposeToDevtools(client, { commands: params.get("commands") !== "false" });
window.client = client;
window.droppedMessages = droppedMessages;

// ?second=<name>: a second client on the same page, for the panel's client selector.
const second = params.get("second");
if (second) {
  window.second = createSyncClient({ name: second, endpoint: `${location.origin}/api/${second}`, triggers: { intervalMs: 0 } });
  exposeToDevtools(window.second);
}
// ?frame=<url>&frames=<n>: n frames of that page (a hostile third party's, in the tests).
const frame = params.get("frame");
for (let i = 0; frame && i < Number(params.get("frames") ?? 1); i++) document.body.append(Object.assign(document.createElement("iframe"), { src: frame }));
document.body.dataset.ready = "true";
