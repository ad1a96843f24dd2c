// The Workbox baseline's service worker (scope /workbox/, so it controls no bench page). Workbox's Queue is
// made for a service worker: in a window its constructor throws (it reads self.registration, forceSyncFallback
// or not). Classic, not a module worker: Workbox's prebuilt bundles are loaded with importScripts().
importScripts("/vendor/workbox-core/workbox-core.prod.js", "/vendor/workbox-background-sync/workbox-background-sync.prod.js");

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("message", (event) => {
  const [port] = event.ports;
  const reply = replay(event.data).then(
    (result) => port.postMessage({ result }),
    (error) => port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
  event.waitUntil(reply);
});

/** Queues one request per write (untimed), then times replayRequests(). */
async function replay({ name, writes }) {
  // No replay at startup or on a sync event (it would race the prefill): the bench replays when it says.
  const queue = new workbox.backgroundSync.Queue(name, { forceSyncFallback: true, onSync: async () => {} });
  const prefillStarted = performance.now();
  for (const { url, headers, body } of writes) await queue.pushRequest({ request: new Request(url, { method: "PUT", headers, body }) });
  const prefillMs = performance.now() - prefillStarted;
  const queued = await queue.size();
  const started = performance.now();
  await queue.replayRequests();
  const totalMs = performance.now() - started;
  return { queued, left: await queue.size(), totalMs, prefillMs };
}
