// Workbox baseline of the drain: the same writes queued with workbox-background-sync's Queue, one request per
// write as an app would queue them (the protocol's single-item write: PUT <id>, If-None-Match: *), replayed
// with replayRequests(), one request after another. The Queue runs in a service worker (workbox/sw.js).
import { makeItem } from "./common.js";

let worker;

/** The activated Workbox service worker, registered on first use. */
function workboxWorker() {
  worker ??= navigator.serviceWorker.register("/workbox/sw.js", { scope: "/workbox/" }).then((registration) => {
    const sw = registration.active ?? registration.waiting ?? registration.installing;
    if (sw.state === "activated") return sw;
    return new Promise((resolve, reject) => {
      sw.addEventListener("statechange", () => {
        if (sw.state === "activated") resolve(sw);
        if (sw.state === "redundant") reject(new Error("the Workbox service worker failed to install"));
      });
    });
  });
  return worker;
}

function ask(sw, message) {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = ({ data }) => (data.error ? reject(new Error(`Workbox service worker: ${data.error}`)) : resolve(data.result));
    sw.postMessage(message, [channel.port2]);
  });
}

/** `url`: the collection's base on the null server, each write goes to `${url}/<id>`. */
export async function drainWorkbox({ runId, count, url }) {
  const writes = [];
  for (let i = 0; i < count; i++) {
    const item = makeItem("workbox", i);
    const headers = { "Content-Type": "application/json", "If-None-Match": "*", "Idempotency-Key": crypto.randomUUID() };
    writes.push({ url: `${url}/${encodeURIComponent(item.id)}`, headers, body: JSON.stringify(item) });
  }
  const { queued, left, totalMs, prefillMs } = await ask(await workboxWorker(), { name: `bench-workbox-${runId}`, writes });
  if (queued !== count || left !== 0) throw new Error(`Workbox: ${queued} of ${count} queued, ${left} left after the replay`);
  return { count, totalMs, prefillMs };
}
