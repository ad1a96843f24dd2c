import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { Client } from "../../sdk/client/client";
import type { SyncLensError } from "../../sdk/core";
import type { DrainLock } from "../../sdk/tabs/drain-lock";
import { browserEnvironment, type EnvironmentSignals } from "../../sdk/shared/environment";
import { resolveOptions } from "../../sdk/client/options";
import { waitFor, type Todo } from "../support/client";
import { useReferenceServer } from "../support/harness";
import { json, startScriptedServer } from "../support/servers";

const harness = useReferenceServer();
const coreClient = harness.coreClient;

/** A core client whose drain lock is held after the drain's loop until the test lets it go. */
class HeldLockClient extends Client<Todo> {
  loopDone!: () => void;
  readonly loopEnded = new Promise<void>((resolve) => (this.loopDone = resolve));
  release!: () => void;
  readonly released = new Promise<void>((resolve) => (this.release = resolve));

  protected override createDrainLock(): DrainLock {
    return {
      run: async (task) => {
        const value = await task();
        this.loopDone();
        await this.released; // releasing a lock takes a transaction or a task: writes can land meanwhile
        return { ran: true, value };
      },
    };
  }
}

describe("drains racing writes and faults", () => {
  it("a write made while a drain releases its lock is sent, and a sync() called then waits for it", async () => {
    const todos = new HeldLockClient(resolveOptions(harness.coreOptions()), browserEnvironment);
    harness.onCleanup(() => todos.close());
    await todos.save({ id: "a", title: "first" });
    const first = todos.sync();
    await todos.loopEnded;
    await todos.save({ id: "b", title: "written as the drain ends" });
    const late = todos.sync();
    todos.release();
    expect(await first).toMatchObject({ pushed: 1 });
    await late;
    expect(await harness.server.store.get("todos", "b")).toMatchObject({ version: 1 });
    expect(await todos.queue()).toEqual([]);
  });

  it("a drain that throws (a headers function failing) is retried after a backoff, without any trigger", async () => {
    let calls = 0;
    const todos = coreClient({
      headers: async () => {
        if (++calls === 1) throw new Error("token refresh failed");
        return { authorization: "Bearer fresh" };
      },
    });
    const errors: Error[] = [];
    todos.on("error", (error) => errors.push(error));
    await todos.save({ id: "a", title: "milk" });
    expect(await todos.sync()).toMatchObject({ pushed: 0 });
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining("token refresh failed")]);
    await waitFor(async () => (await harness.server.store.get("todos", "a")) !== null, 5000, "the retry after the failed drain");
    await waitFor(() => todos.status.pending === 0, 2000, "the queue to empty");
  });

  it("a tab deleting another tab's unsent write does not count below zero, and its own next write still syncs", async () => {
    const indexedDB = new IDBFactory();
    // Without a pagehide flush, a holds none of its operations: another tab may rewrite them.
    const a = coreClient({ indexedDB, triggers: { flushOnPageHide: false } });
    const b = coreClient({ name: a.name, indexedDB, triggers: { onWrite: true } });
    await Promise.all([a.ready, b.ready]);
    await a.save({ id: "x", title: "made in a" });
    await b.delete("x"); // create + delete: a's operation vanishes
    expect(b.status.pending).toBe(0);
    await b.save({ id: "y", title: "made in b" });
    expect(b.status.pending).toBe(1);
    await waitFor(async () => (await harness.server.store.get("todos", "y")) !== null, 5000, "b's write to sync on its own");
    expect(await harness.server.store.get("todos", "x")).toBeNull();
  });

  it("oldest pending age follows the queue when the oldest operation vanishes by coalescing", async () => {
    const todos = coreClient();
    await todos.save({ id: "old", title: "1" });
    await new Promise((resolve) => setTimeout(resolve, 60)); // the two writes must be apart in time
    await todos.save({ id: "new", title: "2" });
    await todos.delete("old");
    const [left] = await todos.queue();
    expect(left?.itemId).toBe("new");
    await waitFor(() => (todos.metrics().oldestPendingAgeMs ?? Infinity) <= Date.now() - left!.createdAt, 2000, "the age of the oldest left");
  });

  it("another tab's write to an item a page holds for its pagehide flush goes behind it under a key of its own, never into the held copy", async () => {
    let handlers: Parameters<EnvironmentSignals["subscribe"]>[0] | undefined;
    const environment: EnvironmentSignals = {
      browserSaysOnline: () => true,
      subscribe: (h) => ((handlers = h), () => undefined),
    };
    const fired: string[] = [];
    const indexedDB = new IDBFactory();
    const a = coreClient({
      indexedDB,
      environment,
      triggers: { onVisible: false },
      fetch: (url, init) => (fired.push(String(url)), fetch(url, init)),
    });
    const b = coreClient({ name: a.name, indexedDB });
    await a.save({ id: "x", title: "held by a" });
    await b.save({ id: "x", title: "written in b" });
    const [held, behind] = await b.queue();
    expect([held, behind].map((op) => [op?.itemId, op?.type, op?.value?.title])).toEqual([["x", "create", "held by a"], ["x", "update", "written in b"]]);
    expect(behind!.opId).not.toBe(held!.opId);
    handlers!.pagehide(); // a fires what it holds: its own copy, still exactly what its key stands for
    await waitFor(async () => (await harness.server.store.get("todos", "x")) !== null, 2000, "a's flush to arrive");
    expect(fired).toEqual([expect.stringMatching(/_batch$/)]);
    await b.sync();
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ version: 2, value: { title: "written in b" } });
    expect(await b.deadLetters()).toEqual([]);
  });

  it("forcing offline mid-drain aborts the requests in flight and starts no more; the operations stay queued", async () => {
    const server = await startScriptedServer((req, res) => {
      if (req.path.endsWith("/_batch")) json(res, 404, { error: "not_found" }); // per-item requests, 4 at a time
      // Per-item writes never get an answer: they are in flight until aborted.
    });
    harness.onCleanup(() => server.close());
    const todos = coreClient({ endpoint: `${server.url}/api/todos`, pingUrl: false });
    for (let i = 0; i < 10; i++) await todos.save({ id: `t${i}`, title: `${i}` });
    const drain = todos.sync();
    await waitFor(() => server.requests.length === 5, 2000, "the batch probe and four writes in flight");
    todos.setOffline(true);
    expect(await drain).toMatchObject({ pushed: 0, skipped: "offline" });
    expect(server.requests).toHaveLength(5);
    expect(await todos.queue()).toHaveLength(10);
    expect(todos.status).toMatchObject({ state: "offline", pending: 10, deadLetters: 0 });
  });

  it("forced offline and back in one task, while a ping is under way, still comes back online", async () => {
    const server = await startScriptedServer((req, res) => {
      if (req.path.endsWith("/_ping")) setTimeout(() => json(res, 200, { ok: true }), 200);
    });
    harness.onCleanup(() => server.close());
    let handlers: Parameters<EnvironmentSignals["subscribe"]>[0] | undefined;
    const environment: EnvironmentSignals = { browserSaysOnline: () => true, subscribe: (h) => ((handlers = h), () => undefined) };
    const todos = coreClient({ endpoint: `${server.url}/api/todos`, environment });
    await todos.ready;
    handlers!.offline(); // unreachable: a probe goes out on the backoff schedule
    await waitFor(() => server.requests.length === 1, 2000, "the probe in flight");
    todos.setOffline(true);
    todos.setOffline(false);
    await waitFor(() => todos.status.online, 3000, "a probe after the aborted one");
    expect(todos.status.state).toBe("idle");
  });

  it("forced offline and back while a batch is in flight: the aborted request is no storage error", async () => {
    const server = await startScriptedServer(() => undefined); // never answers
    harness.onCleanup(() => server.close());
    const todos = coreClient({ endpoint: `${server.url}/api/todos`, pingUrl: false, timeoutMs: 300 });
    const errors: SyncLensError[] = [];
    todos.on("error", (error) => errors.push(error));
    await todos.save({ id: "a", title: "1" });
    const drain = todos.sync();
    await waitFor(() => server.requests.length === 1, 2000, "the batch in flight");
    todos.setOffline(true);
    todos.setOffline(false);
    await drain;
    await todos.close();
    expect(errors.filter((error) => error.code === "storage")).toEqual([]);
  });
});
