// A page with a SyncLens client, named by ?name=, exposed to the DevTools panel (and ?second=, another).
import { createSyncClient } from "/sdk/synclens.bundle.js";
import { droppedMessages, exposeToDevtools } from "/sdk/devtools.js";

const params = new URLSearchParams(location.search);
const name = params.get("name") ?? "exposed";
// ?options=<JSON>: more options for the client (a scenario's timeoutMs, backoff, endpoint).
const options = JSON.parse(params.get("options") ?? "{}");
const client = createSyncClient({ name, endpoint: `${location.origin}/api/${name}`, conflict: params.get("conflict") ?? "merge", ...options, triggers: { intervalMs: 0, ...options.triggers } });
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
