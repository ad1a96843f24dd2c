// A page with one SyncLens client, named by ?name=, exposed to the DevTools panel.
import { createSyncClient } from "/sdk/synclens.bundle.js";
import { exposeToDevtools } from "/sdk/devtools.js";

const name = new URLSearchParams(location.search).get("name") ?? "exposed";
const client = createSyncClient({ name, endpoint: `${location.origin}/api/${name}`, triggers: { intervalMs: 0 } });
exposeToDevtools(client);
window.client = client;
document.body.dataset.ready = "true";
