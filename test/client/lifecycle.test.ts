import { describe, expect, it } from "vitest";
import type { SyncLensError, SyncStatus } from "../../sdk";
import type { EnvironmentSignals } from "../../sdk/shared/environment";
import { waitFor } from "../support/client";
import { useReferenceServer } from "../support/harness";

type Handlers = Parameters<EnvironmentSignals["subscribe"]>[0];
const harness = useReferenceServer();

/** Stands in for the browser's online/offline/visibility/pagehide signals. */
interface FakeBrowser {
  onLine: boolean;
  environment: EnvironmentSignals;
  fire(signal: keyof Handlers): void;
}

function fakeBrowser(): FakeBrowser {
  let handlers: Handlers | undefined;
  const browser: FakeBrowser = {
    onLine: true,
    environment: {
      browserSaysOnline: () => browser.onLine,
      subscribe(h: Handlers) {
        handlers = h;
        return () => void (handlers = undefined);
      },
    } satisfies EnvironmentSignals,
    fire: (signal: keyof Handlers) => handlers?.[signal](),
  };
  return browser;
}

/** A server whose reachability a test sets: `down` refuses connections, `hang` leaves requests unanswered until aborted. */
function reachability(): { fetch: typeof fetch; mode: "down" | "hang" | "up"; pings: number } {
  const server = {
    mode: "down" as "down" | "hang" | "up",
    pings: 0,
    fetch: ((input, init) => {
      if (String(input).endsWith("/_ping")) server.pings++;
      if (server.mode === "down") return Promise.reject(new TypeError("fetch failed"));
      if (server.mode === "hang") return new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
      return fetch(input, init);
    }) as typeof fetch,
  };
  return server;
}

/** A fetch that refuses the batch route with `status` while `refuse.on`. */
function refusing(status: number, refuse = { on: true }): { fetch: typeof fetch; refuse: { on: boolean } } {
  return { refuse, fetch: async (input, init) => (refuse.on && String(input).endsWith("/_batch") ? new Response("{}", { status }) : fetch(input, init)) };
}

describe("lifecycle, status and triggers", () => {
  it("setHeaders() lifts a 401 pause, not the app's own pause()", async () => {
    const { fetch: denying, refuse } = refusing(401);
    const todos = harness.coreClient({ fetch: denying });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    expect(todos.status.authPaused).toBe(true);
    todos.pause();
    refuse.on = false;
    todos.setHeaders({ Authorization: "Bearer new" });
    expect(todos.status).toMatchObject({ authPaused: false, paused: true, lastError: null });
    expect(await todos.sync()).toMatchObject({ skipped: "paused", pushed: 0 });
    todos.resume();
    await waitFor(async () => (await harness.server.store.get("todos", "a")) !== null, 5000, "the push after resume()");
  });

  it("core, two tabs: a count left stale by the other tab's drain neither refuses writes nor claims a depth", async () => {
    const shared = harness.coreOptions({ maxQueueSize: 2, triggers: { onWrite: false } });
    const tabA = harness.coreClient(shared);
    const tabB = harness.coreClient(shared);
    await tabA.save({ id: "a", title: "1" });
    await tabA.save({ id: "b", title: "2" });
    await tabB.ready;
    expect(await tabB.sync()).toMatchObject({ pushed: 2 });
    await expect(tabA.save({ id: "c", title: "3" })).resolves.toEqual({ id: "c", title: "3" });
    expect(await tabA.sync()).toMatchObject({ pushed: 1, remaining: 0 });
    expect(tabA.metrics().queueDepth).toBe(0);
  });

  it("a drain that sends nothing (all in backoff) neither clears the last error nor counts as a sync", async () => {
    const { fetch: failing } = refusing(503);
    const todos = harness.coreClient({ fetch: failing, backoff: { baseMs: 60_000, maxMs: 60_000 }, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    const { lastSyncAt } = todos.status;
    expect(todos.status).toMatchObject({ state: "error", pending: 1 });
    await todos.sync(); // nothing due: no request
    expect(todos.status).toMatchObject({ state: "error", lastSyncAt });
    expect(todos.status.lastError).not.toBeNull();
  });

  it("the browser's `online` starts a fresh probe instead of waiting for one that hangs", async () => {
    const server = reachability();
    const browser = fakeBrowser();
    // A hung ping would hold for a minute, and the next probe after it is a minute away too.
    const todos = harness.coreClient({ fetch: server.fetch, environment: browser.environment, pingTimeoutMs: 60_000, backoff: { baseMs: 20, maxMs: 60_000 } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync(); // the network error: unreachable, then probes on the backoff schedule
    expect(todos.status.online).toBe(false);
    server.mode = "hang";
    const before = server.pings;
    await waitFor(() => server.pings > before, 5000, "a probe that hangs");
    server.mode = "up";
    browser.fire("online");
    await waitFor(() => todos.status.online, 3000, "online again without waiting for the hung ping");
    await waitFor(async () => (await harness.server.store.get("todos", "a")) !== null, 3000, "the write");
  });

  it("each fresh probe ends the ping of the one it replaces: many `online` events leave one ping open", async () => {
    let open = 0;
    let mode: "down" | "hang" = "down";
    const flaky: typeof fetch = (input, init) => {
      if (mode === "down") return Promise.reject(new TypeError("fetch failed"));
      if (!String(input).endsWith("/_ping")) return fetch(input, init);
      open++;
      return new Promise((_, reject) =>
        init?.signal?.addEventListener("abort", () => {
          open--;
          reject(new Error("aborted"));
        }),
      );
    };
    const browser = fakeBrowser();
    const todos = harness.coreClient({ fetch: flaky, environment: browser.environment, pingTimeoutMs: 60_000, backoff: { baseMs: 60_000, maxMs: 60_000 } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    expect(todos.status.online).toBe(false);
    mode = "hang";
    for (let i = 0; i < 8; i++) browser.fire("online");
    await waitFor(() => open >= 1, 2000, "a ping under way");
    expect(open).toBe(1);
    await todos.close();
    expect(open).toBe(0);
  });

  it("every status listener's last event is the current status, even when a listener changes it", async () => {
    const todos = harness.coreClient({ triggers: { onWrite: false } });
    await todos.ready;
    todos.on("status", (status) => {
      if (status.pending === 1 && !status.paused) todos.pause();
    });
    const seen: SyncStatus[] = [];
    todos.on("status", (status) => seen.push(status));
    await todos.save({ id: "a", title: "1" });
    expect(todos.status.paused).toBe(true);
    expect(seen.at(-1)).toEqual(todos.status);
    expect(seen.map((status) => status.paused)).toEqual([false, true]); // in order
  });

  it("with triggers.onOnline off, the queue still moves once a probe finds the server back after an outage", async () => {
    let down = true;
    const outage: typeof fetch = (input, init) => (down ? Promise.reject(new TypeError("fetch failed")) : fetch(input, init));
    const todos = harness.coreClient({ fetch: outage, backoff: { baseMs: 20, maxMs: 100 }, triggers: { onOnline: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    expect(todos.status.online).toBe(false);
    down = false;
    await waitFor(async () => (await harness.server.store.get("todos", "a")) !== null, 5000, "the write after the outage");
  });

  it("full client: a probe that finds the server back after an outage pulls too, with nothing to push", async () => {
    let down = false;
    const outage: typeof fetch = (input, init) => (down ? Promise.reject(new TypeError("fetch failed")) : fetch(input, init));
    const todos = harness.client({ fetch: outage, backoff: { baseMs: 20, maxMs: 100 }, triggers: { onWrite: false } });
    await todos.save({ id: "x", title: "1" });
    await todos.sync();
    down = true;
    await todos.sync(); // nothing to push; the pull meets the outage
    expect(todos.status).toMatchObject({ online: false, pending: 0 });
    await harness.server.store.applyWrite({ collection: "todos", opId: "elsewhere", id: "x", method: "PUT", ifMatch: 1, body: { id: "x", title: "remote" } });
    down = false;
    await waitFor(async () => (await todos.get("x"))?.title === "remote", 5000, "the pull after the outage");
    await waitFor(() => todos.status.state === "idle", 2000, "the pull's error to clear");
  });

  it("core, two tabs: the error of a write another tab then sent is over once nothing is left", async () => {
    const shared = harness.coreOptions({ backoff: { baseMs: 5, maxMs: 5 }, triggers: { onWrite: false } });
    const { fetch: failing } = refusing(503);
    const tabA = harness.coreClient({ ...shared, fetch: failing });
    const tabB = harness.coreClient(shared);
    await tabA.save({ id: "a", title: "1" });
    await tabA.sync();
    expect(tabA.status.lastError?.code).toBe("http"); // a 503, retried in 5 ms: the state may already be "syncing" again
    tabA.setOffline(true); // tab A's drain is over; tab B takes the queue
    await tabB.ready;
    await waitFor(async () => (await tabB.sync()).pushed === 1, 2000, "tab B to send it");
    tabA.setOffline(false);
    expect(await tabA.sync()).toMatchObject({ pushed: 0, remaining: 0 });
    await waitFor(() => tabA.status.state !== "syncing", 2000, "a drain the reconnect started to end");
    expect(tabA.status).toMatchObject({ state: "idle", pending: 0, deadLetters: 0, lastError: null });
  });

  it("a sync() waiting for a probe that an `online` event replaces gets the fresh probe's answer", async () => {
    const server = reachability();
    const browser = fakeBrowser();
    const todos = harness.coreClient({ fetch: server.fetch, environment: browser.environment, pingTimeoutMs: 60_000, backoff: { baseMs: 60_000, maxMs: 60_000 }, triggers: { onWrite: false, onOnline: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    expect(todos.status.online).toBe(false);
    server.mode = "hang";
    const before = server.pings;
    const waiting = todos.sync(); // joins a probe whose ping hangs
    await waitFor(() => server.pings > before, 2000, "the hanging ping");
    server.mode = "up";
    browser.fire("online");
    const result = await waiting;
    expect(todos.status.online).toBe(true);
    expect(result.skipped).toBeUndefined(); // it ran (the write waits out its backoff), not "offline"
  });

  it("a conflict strategy slower than maxSyncDurationMs does not starve the queue: each drain sends a batch", async () => {
    const todos = harness.client({
      maxSyncDurationMs: 10,
      triggers: { onWrite: false },
      conflict: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw new Error("the resolver is broken");
      },
    });
    await todos.save({ id: "x", title: "1" });
    await todos.sync();
    await harness.server.store.applyWrite({ collection: "todos", opId: "elsewhere", id: "x", method: "PUT", ifMatch: 1, body: { id: "x", title: "remote" } });
    await todos.save({ id: "x", title: "mine" });
    await todos.sync();
    expect(todos.status.conflicts).toBe(1);
    await todos.save({ id: "y", title: "independent" });
    await todos.sync();
    expect(await harness.server.store.get("todos", "y")).not.toBeNull();
  });

  it("a conflict strategy function that throws or decides nothing leaves the conflict parked and reports a resolver error", async () => {
    for (const [round, decide] of [() => Promise.reject(new Error("the resolver is broken")), () => undefined].entries()) {
      const todos = harness.client({ triggers: { onWrite: false }, conflict: decide as never });
      const errors: SyncLensError[] = [];
      todos.on("error", (error) => errors.push(error));
      const id = `c${round}`;
      await todos.save({ id, title: "1" });
      await todos.sync();
      await harness.server.store.applyWrite({ collection: "todos", opId: `elsewhere-${id}`, id, method: "PUT", ifMatch: 1, body: { id, title: "remote" } });
      await todos.save({ id, title: "mine" });
      await todos.sync();
      expect(todos.status).toMatchObject({ state: "conflict", conflicts: 1 });
      expect(errors.map((error) => error.code)).toContain("resolver");
      expect(errors.find((error) => error.code === "resolver")!.message).toContain(`for ${id}`);
    }
  });
});

describe("what a reload keeps", () => {
  it("the last sync time: a client created again over the same name shows it; a refused write is counted and reported", async () => {
    const first = harness.client({ triggers: { onWrite: false } });
    await first.save({ id: "a", title: "1" });
    await first.sync();
    const syncedAt = first.status.lastSyncAt;
    expect(syncedAt).not.toBeNull();
    await first.close();
    const reloaded = harness.client({ name: first.createdWith.name, indexedDB: first.factory, triggers: { onWrite: false } });
    await reloaded.ready;
    expect(reloaded.status.lastSyncAt).toBe(syncedAt);
    expect(reloaded.metrics().refusedWrites).toBe(0);
    await expect(reloaded.save({ id: "", title: "x" })).rejects.toMatchObject({ code: "invalid_id" });
    expect(reloaded.metrics().refusedWrites).toBe(1);
    expect(reloaded.status).toMatchObject({ state: "error", lastError: { code: "invalid_id" } });
  });
});
