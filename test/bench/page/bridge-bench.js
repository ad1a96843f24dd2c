// DevTools bridge cost: a client with N pending operations, changed at a given rate, with no bridge, with
// the bridge installed but no panel, and with a panel connected (simulated by posting the panel's
// "connect" as the content script would). Main-thread time is read by run.ts through CDP.
import { createSyncClient } from "synclens";
import { exposeToDevtools } from "synclens/devtools";
import { deleteDatabase, inChunks } from "./common.js";

let client;
let messages = { count: 0, bytes: 0 };

export async function bridgeSetup({ runId, count }) {
  const name = `bench-bridge-${runId}`;
  await deleteDatabase(`synclens:${name}`);
  client = createSyncClient({ name, endpoint: `${location.origin}/api/bridge`, pingUrl: false, triggers: { onWrite: false, onOnline: false, onVisible: false, flushOnPageHide: false, intervalMs: 0 } });
  await client.ready;
  client.setOffline(true); // the operations stay pending
  await inChunks(count, 250, (i) => client.save({ id: `item-${i}`, title: `item ${i}`, n: 0 }));
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (data && data.tag === "synclens-devtools" && data.from === "page") {
      messages.count++;
      messages.bytes += JSON.stringify(data.message).length;
    }
  });
  return { pending: client.status.pending };
}

/** Phase "none" | "exposed" | "connected", then `rate` saves a second to existing items for `seconds`. */
export async function bridgeRun({ phase, seconds, rate, count }) {
  // The bench has no extension: the bridge talks over `window`, as it did before the private channel (same work, same messages).
  if (phase === "exposed") exposeToDevtools(client, { target: window });
  if (phase === "connected") window.postMessage({ tag: "synclens-devtools", from: "panel", message: { type: "connect", protocol: 1 } }, "*");
  messages = { count: 0, bytes: 0 };
  const perTick = Math.max(1, Math.round(rate / 50));
  let saves = 0;
  const started = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) {
        const n = Math.floor(Math.random() * count);
        void client.save({ id: `item-${n}`, title: `item ${n}`, n: saves++ });
      }
      if (performance.now() - started >= seconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  await new Promise((resolve) => setTimeout(resolve, 300)); // let the last throttled flush go out
  return { saves, seconds: (performance.now() - started) / 1000, messages: messages.count, bytes: messages.bytes, pending: client.status.pending };
}
