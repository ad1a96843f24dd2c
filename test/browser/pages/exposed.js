// A page with one SyncLens client, named by ?name=, exposed to the DevTools panel.
import { createSyncClient } from "/sdk/synclens.bundle.js";
import { exposeToDevtools } from "/sdk/devtools.js";

const params = new URLSearchParams(location.search);
const name = params.get("name") ?? "exposed";
const client = createSyncClient({ name, endpoint: `${location.origin}/api/${name}`, conflict: params.get("conflict") ?? "merge", triggers: { intervalMs: 0 } });
exposeToDevtools(client);
window.client = client;
document.body.dataset.ready = "true";
