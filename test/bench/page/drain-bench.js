// Drain rate: N writes queued with save() (untimed), then pushed to the reference server with sync(). Push
// alone, as the baseline: no pull after it (it would fetch back all N changes) and no gzip (the baseline
// sends its bodies as they are).
import * as current from "synclens";
import { exposeToDevtools } from "synclens/devtools";
import { deleteDatabase, inChunks, makeItem } from "./common.js";

/** Wraps fetch to add up the time spent in requests (to the full body), so the rest is IndexedDB + SDK. */
function timedFetch() {
  const timing = { ms: 0, requests: 0 };
  const wrapped = async (input, init) => {
    const t0 = performance.now();
    try {
      const response = await fetch(input, init);
      const body = await response.text();
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } finally {
      timing.ms += performance.now() - t0;
      timing.requests++;
    }
  };
  return { wrapped, timing };
}

/** Counts IndexedDB calls (transactions, and each request method) until the returned stop() is called. */
function countIdbCalls() {
  const counts = {};
  const restores = [];
  const wrap = (proto, name, label) => {
    const original = proto[name];
    proto[name] = function (...args) {
      counts[label] = (counts[label] ?? 0) + 1;
      return original.apply(this, args);
    };
    restores.push(() => (proto[name] = original));
  };
  wrap(IDBDatabase.prototype, "transaction", "transaction");
  for (const name of ["get", "getAll", "getAllKeys", "put", "add", "delete", "count", "openCursor", "openKeyCursor"]) wrap(IDBObjectStore.prototype, name, `store.${name}`);
  for (const name of ["get", "getAll", "getAllKeys", "count", "openCursor", "openKeyCursor"]) wrap(IDBIndex.prototype, name, `index.${name}`);
  return () => {
    for (const restore of restores.reverse()) restore();
    return counts;
  };
}

/** A client that pushes only when sync() is called, and pushes alone. */
function drainClient(sdk, { name, fetch, endpoint, maxBatchSize }) {
  return sdk.createSyncClient({
    ...(maxBatchSize !== undefined && { maxBatchSize }),
    name,
    fetch,
    endpoint,
    pingUrl: false,
    pull: false,
    compressAboveBytes: false,
    // flushOnPageHide as by default in a page: the drain stores no attempt mark on the page's own operations.
    triggers: { onWrite: false, onOnline: false, onVisible: false, flushOnPageHide: true, intervalMs: 0 },
  });
}

/** Calls sync() until the queue is empty; throws unless all `count` writes went out, in batches of 50 or more. */
async function drainAll(client, count, timing) {
  let pushed = 0;
  let syncCalls = 0;
  let result;
  do {
    result = await client.sync();
    pushed += result.pushed;
    syncCalls++;
  } while (result.remaining > 0 && result.pushed > 0);
  if (pushed !== count || result.remaining !== 0 || timing.requests > Math.ceil(count / 50)) {
    throw new Error(`drain: pushed ${pushed} in ${timing.requests} requests, remaining ${result.remaining}, last error ${client.status.lastError?.message}`);
  }
  return { pushed, syncCalls };
}

/**
 * `before`: the earlier build mounted as "synclens-before" (BENCH_ONLY=seam only). `profile`: the drain alone
 * (not the prefill) runs inside console.profile(), which a CDP session records.
 */
/**
 * A DevTools panel connected to `client` (the bench has no extension: the bridge talks over `window`, as in
 * bridge-bench.js), once its first message is out; returns what the page sends it until `stop()`.
 */
async function connectPanel(client) {
  const seen = { messages: 0, bytes: 0 };
  const listener = (event) => {
    const data = event.data;
    if (data && data.tag === "synclens-devtools" && data.from === "page") {
      seen.messages++;
      seen.bytes += JSON.stringify(data.message).length;
    }
  };
  window.addEventListener("message", listener);
  const dispose = exposeToDevtools(client, { target: window });
  window.postMessage({ tag: "synclens-devtools", from: "panel", message: { type: "connect", protocol: 1 } }, "*");
  while (seen.messages === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    reset: () => Object.assign(seen, { messages: 0, bytes: 0 }),
    stop() {
      dispose();
      window.removeEventListener("message", listener);
      return { ...seen };
    },
  };
}

export async function drainSdk({ runId, count, collection, before = false, base = "/api", profile = false, maxBatchSize, panel = false }) {
  const name = `bench-drain-${runId}${before ? "-before" : ""}`;
  await deleteDatabase(`synclens:${name}`);
  const { wrapped, timing } = timedFetch();
  const sdk = before ? await import("synclens-before") : current;
  const client = drainClient(sdk, { name, fetch: wrapped, endpoint: `${location.origin}${base}/${collection}`, maxBatchSize });
  try {
    await client.ready;
    const prefillStarted = performance.now();
    await inChunks(count, 250, (i) => client.save(makeItem("drain", i)));
    const prefillMs = performance.now() - prefillStarted;
    if (client.status.pending !== count) throw new Error(`prefill: pending ${client.status.pending}, expected ${count}`);
    const connected = panel ? await connectPanel(client) : undefined;
    connected?.reset();
    const stopCounting = profile ? countIdbCalls() : undefined;
    if (profile) console.profile("drain");
    const started = performance.now();
    const { pushed, syncCalls } = await drainAll(client, count, timing);
    const totalMs = performance.now() - started;
    if (profile) console.profileEnd("drain");
    const idbCalls = stopCounting?.();
    const bridge = connected?.stop();
    const metrics = client.metrics();
    return { count, pushed, totalMs, prefillMs, syncCalls, metrics, requests: timing.requests, fetchMs: timing.ms, ...(idbCalls && { idbCalls }), ...(bridge && { bridge }) };
  } finally {
    await client.close();
    await deleteDatabase(`synclens:${name}`);
  }
}

/** The client memoryPrefill() leaves queued for memoryDrain(), so that the caller can settle the heap in between. */
let prefilled;

/** The memory check's prefill: `count` writes queued with save() for a drain on the null server. */
export async function memoryPrefill({ runId, count }) {
  const name = `bench-memory-${runId}`;
  await deleteDatabase(`synclens:${name}`);
  const { wrapped, timing } = timedFetch();
  const client = drainClient(current, { name, fetch: wrapped, endpoint: `${location.origin}/null/memory_${runId}` });
  try {
    await client.ready;
    const started = performance.now();
    await inChunks(count, 250, (i) => client.save(makeItem("memory", i)));
    if (client.status.pending !== count) throw new Error(`prefill: pending ${client.status.pending}, expected ${count}`);
    prefilled = { client, name, count, timing };
    return { prefillMs: performance.now() - started };
  } catch (error) {
    await client.close();
    await deleteDatabase(`synclens:${name}`);
    throw error;
  }
}

export async function memoryDrain() {
  const { client, name, count, timing } = prefilled;
  prefilled = undefined;
  try {
    const started = performance.now();
    const { pushed } = await drainAll(client, count, timing);
    return { count, pushed, totalMs: performance.now() - started, requests: timing.requests };
  } finally {
    await client.close();
    await deleteDatabase(`synclens:${name}`);
  }
}
