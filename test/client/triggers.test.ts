import { IDBDatabase } from "fake-indexeddb";
import { describe, expect, it, vi } from "vitest";
import type { EnvironmentSignals } from "../../sdk/shared/environment";
import { waitFor } from "../support/client";
import { useReferenceServer } from "../support/harness";
import { startScriptedServer } from "../support/servers";
import { KEEPALIVE_BUDGET_BYTES, keepaliveRoom } from "../../sdk/transport/transport";

type Handlers = Parameters<EnvironmentSignals["subscribe"]>[0];

/** Stands in for the browser's online/offline/visibility/pagehide signals. */
interface FakeBrowser {
  onLine: boolean;
  /** The origin's localStorage, shared by every client given this browser's environment (tabs, reloads). */
  storage: Map<string, string>;
  environment: EnvironmentSignals;
  fire(signal: keyof Handlers): void;
}

function fakeBrowser(): FakeBrowser {
  let handlers: Handlers | undefined;
  const storage = new Map<string, string>();
  const browser: FakeBrowser = {
    onLine: true,
    storage,
    environment: {
      browserSaysOnline: () => browser.onLine,
      subscribe(h: Handlers) {
        handlers = h;
        return () => {
          handlers = undefined;
        };
      },
      localStorage: () => ({
        getItem: (key: string) => storage.get(key) ?? null,
        setItem: (key: string, value: string) => void storage.set(key, value),
        removeItem: (key: string) => void storage.delete(key),
      }),
    } satisfies EnvironmentSignals,
    fire(signal: keyof Handlers) {
      handlers?.[signal]();
    },
  };
  return browser;
}

const harness = useReferenceServer();
const client = harness.client;

describe("pagehide flush", () => {
  it("fires the queue heads as one keepalive batch; what it sent is frozen and later applied only once", async () => {
    const browser = fakeBrowser();
    const todos = client({ environment: browser.environment, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.save({ id: "b", title: "2" });
    const queued = await todos.queue();
    browser.fire("pagehide");
    await waitFor(async () => (await harness.server.store.get("todos", "b")) !== null, 5000, "the keepalive batch");
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ value: { title: "1" } });

    // The page lived on (bfcache): a new edit must not rewrite what was fired.
    await waitFor(async () => (await todos.queue()).every((op) => op.attempts === 1), 2000, "the attempt marks");
    await todos.save({ id: "a", title: "1b" });
    expect((await todos.queue()).map((op) => [op.itemId, op.type])).toEqual([
      ["a", "create"],
      ["b", "create"],
      ["a", "update"],
    ]);
    await todos.sync();
    for (const op of queued) expect(harness.server.store.appliedCount("todos", op.opId)).toBe(1);
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 2, value: { title: "1b" } });
  });

  it("a page that dies before marking what it fired: the next page never reuses a fired key for a new body", async () => {
    const browser = fakeBrowser();
    const first = client({ environment: browser.environment, triggers: { onWrite: false } });
    await first.save({ id: "a", title: "1" });
    const [fired] = await first.queue();
    // The page is torn down as it hides: its IndexedDB work after the keepalive request never happens.
    const torn = vi.spyOn(IDBDatabase.prototype, "transaction").mockImplementationOnce(() => {
      throw new DOMException("The page is gone", "InvalidStateError");
    });
    browser.fire("pagehide");
    torn.mockRestore();
    await waitFor(async () => (await harness.server.store.get("todos", "a")) !== null, 5000, "the keepalive batch");
    expect((await first.queue())[0]!.attempts).toBe(0); // the mark never landed
    await first.close();

    const next = client({ name: first.createdWith.name, indexedDB: first.factory, environment: browser.environment, triggers: { onWrite: false } });
    next.setOffline(true); // no drain at start: the queue is looked at as the write left it
    await next.save({ id: "a", title: "1b" });
    expect((await next.queue()).map((op) => [op.opId === fired!.opId, op.type, op.attempts])).toEqual([
      [true, "create", 1],
      [false, "update", 0],
    ]);
    next.setOffline(false);
    await next.sync();
    expect(await next.deadLetters()).toEqual([]);
    expect(harness.server.store.appliedCount("todos", fired!.opId)).toBe(1);
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 2, value: { title: "1b" } });
    expect(browser.storage.size).toBe(0); // the journal is cleared once the marks are stored
  });

  it("an update fired at pagehide goes as the drain would send it (a PATCH with deltaPush): its resend is a replay, not a refused key", async () => {
    const browser = fakeBrowser();
    const todos = client({ environment: browser.environment, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1", done: false });
    await todos.sync();
    await todos.save({ id: "a", title: "1", done: true });
    const [fired] = await todos.queue();
    browser.fire("pagehide");
    await waitFor(async () => (await harness.server.store.get("todos", "a"))?.version === 2, 5000, "the keepalive batch");
    await waitFor(async () => (await todos.queue())[0]?.attempts === 1, 2000, "the attempt mark");
    expect(await todos.sync()).toMatchObject({ pushed: 1, deadLettered: 0 }); // the same key again: replayed
    expect(harness.server.store.appliedCount("todos", fired!.opId)).toBe(1);
    await todos.save({ id: "a", title: "2", done: true });
    await todos.sync();
    expect(await todos.deadLetters()).toEqual([]);
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 3, value: { title: "2", done: true } });
  });

  it("core, two tabs: a write behind another tab's dead letter is not flushed at pagehide", async () => {
    let refuse = false;
    const refusing: typeof fetch = async (input, init) => {
      if (!refuse) return fetch(input, init);
      const { ops } = JSON.parse(String(init?.body)) as { ops: { opId: string }[] };
      return new Response(JSON.stringify({ results: ops.map((op) => ({ opId: op.opId, status: 422, body: { error: "refused" } })) }), { status: 200 });
    };
    const shared = harness.coreOptions({ fetch: refusing, triggers: { onWrite: false } });
    const browser = fakeBrowser();
    const tabA = harness.coreClient(shared);
    const tabB = harness.coreClient({ ...shared, fetch: globalThis.fetch, environment: browser.environment });
    await tabA.save({ id: "x", title: "v1" });
    await tabA.sync();
    await tabB.ready;
    await tabA.save({ id: "x", title: "a's edit" });
    refuse = true;
    expect(await tabA.sync()).toMatchObject({ deadLettered: 1 });
    refuse = false;
    await tabB.save({ id: "x", title: "b's edit" }); // behind the dead letter: it must wait
    await tabB.save({ id: "y", title: "y1" });
    const requests = tabB.metrics().requests;
    browser.fire("pagehide");
    await waitFor(async () => (await harness.server.store.get("todos", "y")) !== null, 5000, "the keepalive batch");
    expect(tabB.metrics().requests).toBe(requests); // the keepalive request is not counted
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ version: 1, value: { title: "v1" } });
  });

  it("a pagehide fired inside a write's transaction (before the client knows of the write) does not let it rewrite the fired head", async () => {
    const browser = fakeBrowser();
    const todos = client({ environment: browser.environment, triggers: { onWrite: false } });
    await todos.save({ id: "x", title: "1" });
    await todos.sync();
    await todos.save({ id: "x", title: "2" }); // a head, held for the flush
    firePagehideDuringNextWrite(todos, () => browser.fire("pagehide"));
    await todos.save({ id: "x", title: "3" }); // rewrites the head
    await todos.sync();
    expect(await todos.deadLetters()).toEqual([]);
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ value: { title: "3" } });
  });

  it("a pagehide once a write of the item has begun fires nothing for that item", async () => {
    const browser = fakeBrowser();
    let keepalives = 0;
    const counting: typeof fetch = (input, init) => {
      if (init?.keepalive) keepalives++;
      return fetch(input, init);
    };
    const todos = client({ environment: browser.environment, fetch: counting, triggers: { onWrite: false } });
    await todos.save({ id: "x", title: "1" });
    await todos.sync();
    await todos.save({ id: "x", title: "2" }); // a head, held for the flush
    firePagehideDuringNextWrite(todos, () => queueMicrotask(() => browser.fire("pagehide")));
    await todos.save({ id: "x", title: "3" }); // the pagehide comes once this write is under way
    expect(keepalives).toBe(0);
    await todos.sync();
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ value: { title: "3" } });
  });

  it("clients of one page share the page's keepalive budget: together they fire at most 60 KiB in flight", async () => {
    const bodies: number[] = [];
    const inFlight: Array<() => void> = [];
    const holding: typeof fetch = (input, init) => {
      if (!init?.keepalive) return fetch(input, init);
      bodies.push(new TextEncoder().encode(String(init.body)).length);
      return new Promise((resolve) => inFlight.push(() => resolve(new Response("{}", { status: 503 }))));
    };
    const pages = [fakeBrowser(), fakeBrowser()];
    const clients = pages.map((page) => client({ environment: page.environment, fetch: holding, triggers: { onWrite: false } }));
    for (const todos of clients) for (let i = 0; i < 20; i++) await todos.save({ id: `i${i}`, title: "x".repeat(2000) }); // 40 KiB each
    for (const page of pages) page.fire("pagehide");
    try {
      expect(bodies).toHaveLength(2); // the second client fired what was left of the budget
      expect(bodies[0]! + bodies[1]!).toBeLessThanOrEqual(60 * 1024);
      expect(bodies[1]).toBeGreaterThan(0);
    } finally {
      for (const settle of inFlight) settle();
    }
    await waitFor(async () => (await clients[0]!.queue())[0]!.attempts === 1, 5000, "the fired heads marked as sent");
    // Settled, the budget is free again: the next page's flush has all of it.
    const later = fakeBrowser();
    const next = client({ environment: later.environment, fetch: holding, triggers: { onWrite: false } });
    for (let i = 0; i < 20; i++) await next.save({ id: `n${i}`, title: "x".repeat(2000) });
    later.fire("pagehide");
    expect(bodies[2]).toBeGreaterThan(40 * 1024);
    for (const settle of inFlight) settle();
  });

  it("a keepalive request that never settles gives the page's budget back after timeoutMs", async () => {
    const browser = fakeBrowser();
    const never: typeof fetch = (input, init) => (init?.keepalive ? new Promise(() => undefined) : fetch(input, init));
    const todos = client({ environment: browser.environment, fetch: never, timeoutMs: 50, triggers: { onWrite: false } });
    for (let i = 0; i < 10; i++) await todos.save({ id: `i${i}`, title: "x".repeat(2000) });
    browser.fire("pagehide");
    expect(keepaliveRoom()).toBeLessThan(KEEPALIVE_BUDGET_BYTES - 20_000);
    await waitFor(() => keepaliveRoom() === KEEPALIVE_BUDGET_BYTES, 2000, "the budget back");
  });

  it("sends nothing while forced offline or paused", async () => {
    const browser = fakeBrowser();
    const todos = client({ environment: browser.environment, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    todos.setOffline(true);
    browser.fire("pagehide");
    todos.setOffline(false);
    todos.pause();
    browser.fire("pagehide");
    expect(todos.metrics().requests).toBe(0);
    expect((await todos.queue())[0]!.attempts).toBe(0);
  });
});

describe("connectivity", () => {
  it("believes the browser's offline at once and needs a ping to believe it back online", async () => {
    const browser = fakeBrowser();
    const todos = client({ environment: browser.environment });
    await todos.ready;
    browser.onLine = false;
    browser.fire("offline");
    expect(todos.status).toMatchObject({ online: false, state: "offline" });
    await todos.save({ id: "a", title: "1" });
    expect(await todos.sync()).toMatchObject({ skipped: "offline" });
    expect(await harness.server.store.get("todos", "a")).toBeNull();
    browser.onLine = true;
    browser.fire("online");
    await waitFor(async () => (await harness.server.store.get("todos", "a")) !== null, 5000, "the drain after online");
    expect(todos.status.online).toBe(true);
  });

  it("does not trust navigator.onLine: a failing ping keeps the client offline and the write queued", async () => {
    const browser = fakeBrowser();
    const port = new URL(harness.server.url).port;
    await harness.stopServer();
    const todos = client({ environment: browser.environment, endpoint: `http://127.0.0.1:${port}/api/todos`, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    expect(todos.status.online).toBe(false);
    browser.fire("online");
    await todos.sync();
    expect(todos.status.online).toBe(false);
    expect(todos.status.pending).toBe(1);
    // An outage is not the operation's fault: neither the attempt nor the pings after it count against it.
    expect((await todos.queue())[0]!).toMatchObject({ attempts: 1, failures: 0 });
  });

  it("while the server is unreachable, writes queue quietly: no request or ping per write", async () => {
    const dropped = await startScriptedServer((req, res) => res.socket?.destroy());
    harness.onCleanup(() => dropped.close());
    const todos = client({ endpoint: `${dropped.url}/api/todos`, backoff: { baseMs: 60_000, maxMs: 60_000 } });
    await todos.save({ id: "first", title: "x" });
    await waitFor(() => !todos.status.online, 5000, "the client to see the outage");
    const requestsAtOutage = dropped.requests.length;
    for (let i = 0; i < 20; i++) await todos.save({ id: `t${i}`, title: "x" });
    expect(todos.status).toMatchObject({ pending: 21, state: "offline" });
    expect(dropped.requests.length).toBe(requestsAtOutage);
  });

  it("syncs when the page becomes visible", async () => {
    const browser = fakeBrowser();
    const todos = client({ environment: browser.environment, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    browser.fire("visible");
    await waitFor(async () => (await harness.server.store.get("todos", "a")) !== null, 5000, "the drain on visibility");
  });

  it("syncs on an interval", async () => {
    const todos = client({ triggers: { onWrite: false, intervalMs: 20 } });
    await todos.save({ id: "a", title: "1" });
    await waitFor(async () => (await harness.server.store.get("todos", "a")) !== null, 5000, "the interval drain");
  });
});

/**
 * Calls `pagehide` right after the client's next write has begun in the store (its transaction under way,
 * its reads pending), before the client has recorded the write; queue a microtask in it to run after.
 */
function firePagehideDuringNextWrite(todos: object, pagehide: () => void): void {
  const store = (todos as unknown as { store: { write: (...args: unknown[]) => Promise<unknown> } }).store;
  const write = store.write.bind(store);
  store.write = (...args: unknown[]) => {
    store.write = write;
    const pending = write(...args);
    pagehide();
    return pending;
  };
}
