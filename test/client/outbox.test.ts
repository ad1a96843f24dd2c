import { describe, expect, it } from "vitest";
import { createSyncServer } from "../../demo/server/app";
import { ClientClosedError, InvalidItemError, InvalidOptionsError, QueueFullError, type SyncedEvent } from "../../sdk";
import { waitFor } from "../support/client";
import { useReferenceServer } from "../support/harness";

const harness = useReferenceServer();
const client = harness.client;

describe("writes and the outbox", () => {
  it("save then sync puts the record on the server and empties the queue", async () => {
    const todos = client({ triggers: { onWrite: false } });
    const synced: SyncedEvent[] = [];
    todos.on("synced", (event) => synced.push(event));
    await todos.save({ id: "a", title: "milk" });
    expect(todos.status.pending).toBe(1);
    const result = await todos.sync();
    expect(result).toMatchObject({ pushed: 1, remaining: 0, deadLettered: 0 });
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 1, value: { id: "a", title: "milk" } });
    expect(synced).toEqual([expect.objectContaining({ itemId: "a", type: "create", version: 1 })]);
    expect(todos.status).toMatchObject({ state: "idle", pending: 0, lastError: null });
    expect(todos.status.lastSyncAt).not.toBeNull();
  });

  it("rejects invalid items before writing anything", async () => {
    const todos = client({ triggers: { onWrite: false } });
    await expect(todos.save({ id: "", title: "x" })).rejects.toBeInstanceOf(InvalidItemError);
    await expect(todos.save({ id: "a", title: new Date() as unknown as string })).rejects.toBeInstanceOf(InvalidItemError);
    await expect(todos.delete(42 as unknown as string)).rejects.toMatchObject({ code: "invalid_id" });
    expect(await todos.queue()).toEqual([]);
    expect(await todos.list()).toEqual([]);
  });

  it("throws QueueFullError past maxQueueSize and keeps what was queued", async () => {
    const todos = client({ maxQueueSize: 2, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.save({ id: "b", title: "2" });
    await expect(todos.save({ id: "c", title: "3" })).rejects.toBeInstanceOf(QueueFullError);
    await todos.save({ id: "a", title: "1b" }); // coalesces: no growth
    expect((await todos.queue()).map((op) => op.itemId)).toEqual(["a", "b"]);
    expect(await todos.get("c")).toBeUndefined();
  });

  it("counts writes still committing against maxQueueSize: concurrent saves cannot overshoot it", async () => {
    const todos = client({ maxQueueSize: 2, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    const results = await Promise.allSettled(["b", "c", "d"].map((id) => todos.save({ id, title: id })));
    expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason)).toEqual([
      expect.any(QueueFullError),
      expect.any(QueueFullError),
    ]);
    expect(await todos.queue()).toHaveLength(2);
    expect(todos.status.pending).toBe(2);
  });

  it("at the limit, a write waits for the ones committing instead of assuming they all add: a coalescing one does not", async () => {
    const todos = client({ maxQueueSize: 2, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await Promise.all([todos.save({ id: "a", title: "1b" }), todos.save({ id: "b", title: "2" })]);
    expect((await todos.queue()).map((op) => op.itemId)).toEqual(["a", "b"]);
  });

  it("setHeaders refuses what fetch could not send, before anything changes", () => {
    const todos = client({ triggers: { onWrite: false } });
    expect(() => todos.setHeaders(new Headers({ Authorization: "Bearer x" }) as unknown as Record<string, string>)).toThrow(InvalidOptionsError);
    expect(() => todos.setHeaders({ Authorization: "Bearer caf\u00e9\u2603" })).toThrow(InvalidOptionsError);
    expect(() => todos.setHeaders({ Authorization: "Bearer ok" })).not.toThrow();
  });

  it("coalesces pending writes: one request per item, create+delete sends nothing", async () => {
    const todos = client({ triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.save({ id: "a", title: "2" });
    await todos.save({ id: "a", title: "3" });
    await todos.save({ id: "gone", title: "x" });
    await todos.delete("gone");
    expect((await todos.queue()).map((op) => [op.itemId, op.type])).toEqual([["a", "create"]]);
    await todos.sync();
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 1, value: { title: "3" } });
    expect(await harness.server.store.get("todos", "gone")).toBeNull();
    expect((await harness.server.store.stats()).records).toBeDefined();
  });

  it("update then delete on a synced item becomes one delete", async () => {
    const todos = client({ triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    await todos.save({ id: "a", title: "2" });
    await todos.delete("a");
    expect((await todos.queue()).map((op) => op.type)).toEqual(["delete"]);
    await todos.sync();
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ deleted: true, version: 2 });
    expect(await todos.get("a")).toBeUndefined();
  });

  it("state survives a reload: a new client over the same name resumes the queue", async () => {
    const first = client({ triggers: { onWrite: false } });
    await first.save({ id: "a", title: "1" });
    await first.save({ id: "b", title: "2" });
    await first.close();
    const second = client({ name: first.createdWith.name, indexedDB: first.factory, triggers: { onWrite: false } });
    await second.ready;
    expect(second.status.pending).toBe(2);
    expect(second.metrics().oldestPendingAgeMs).not.toBeNull();
    await second.sync();
    expect((await harness.server.store.list("todos")).map((r) => r.id)).toEqual(["a", "b"]);
  });

  it("closing mid-request keeps the operation queued, marked as sent, and the next client applies it once", async () => {
    harness.server.faults.set({ rate: 1, kinds: ["delay"], delayMs: 1000 });
    const first = client({ triggers: { onWrite: false } });
    await first.save({ id: "a", title: "1" });
    const draining = first.sync();
    // Mid-request means the server holds it: "syncing" alone is also true during the pull after the push.
    await waitFor(() => harness.server.faults.injected().delay >= 1, 2000, "the request to reach the server");
    await first.close();
    expect((await draining).skipped).toBe("closed");
    harness.server.faults.set(null);
    const second = client({ name: first.createdWith.name, indexedDB: first.factory, triggers: { onWrite: false } });
    second.pause(); // look at the queue before it drains on start
    const [op] = await second.queue();
    expect(op).toMatchObject({ itemId: "a", attempts: 1, failures: 0 });
    await second.save({ id: "a", title: "2" }); // the sent create is frozen: this queues an update
    second.resume();
    await waitFor(async () => (await second.sync()).remaining === 0, 5000, "the queue to drain");
    await waitFor(() => harness.server.store.appliedCount("todos", op!.opId) === 1, 2000, "the delayed request to land");
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 2, value: { title: "2" } });
  });

  it("a closed client refuses calls with a typed error", async () => {
    const todos = client();
    await todos.close();
    await expect(todos.save({ id: "a", title: "x" })).rejects.toBeInstanceOf(ClientClosedError);
    expect(await todos.sync()).toMatchObject({ skipped: "closed" });
    const status = todos.status;
    todos.pause();
    todos.setOffline(true);
    todos.resume();
    expect(todos.status).toEqual(status); // the controls of a closed client do nothing
  });
});

describe("exactly once, in order", () => {
  it("a reply lost after the server applied the write never creates a duplicate", async () => {
    harness.server.faults.set({ rate: 1, kinds: ["drop-after"] });
    const todos = client({ triggers: { onWrite: false }, pingUrl: false });
    await todos.save({ id: "a", title: "1" });
    const [op] = await todos.queue();
    const first = await todos.sync();
    expect(first.retried).toBe(1);
    expect(harness.server.store.appliedCount("todos", op!.opId)).toBe(1);
    harness.server.faults.set(null);
    await waitFor(async () => (await todos.sync()).remaining === 0, 5000, "the retry");
    expect(harness.server.store.appliedCount("todos", op!.opId)).toBe(1);
    expect(harness.server.store.replayedCount("todos", op!.opId)).toBe(1);
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 1 });
  });

  it("a later operation never overtakes an earlier one for the same item; other items go on", async () => {
    const todos = client({ triggers: { onWrite: false }, pingUrl: false, maxRetries: 100 });
    await todos.save({ id: "a", title: "v1" });
    harness.server.faults.set({ rate: 1, kinds: ["status"], status: 503 });
    const failed = await todos.sync();
    expect(failed.retried).toBeGreaterThanOrEqual(1);
    harness.server.faults.set(null);
    todos.pause(); // hold the background retry while the queue is inspected
    await todos.save({ id: "a", title: "v2" }); // queued behind the create, not merged into it (it was sent)
    await todos.save({ id: "b", title: "other" });
    expect((await todos.queue()).map((op) => [op.itemId, op.type])).toEqual([
      ["a", "create"],
      ["a", "update"],
      ["b", "create"],
    ]);
    todos.resume();
    await waitFor(async () => (await todos.sync()).remaining === 0, 5000, "the queue to drain");
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 2, value: { title: "v2" } });
    expect(await todos.deadLetters()).toEqual([]);
  });

  it("only one drain runs at a time: concurrent sync() calls send each operation once", async () => {
    const todos = client({ triggers: { onWrite: false } });
    for (let i = 0; i < 20; i++) await todos.save({ id: `t${i}`, title: `${i}` });
    const ops = await todos.queue();
    const results = await Promise.all([todos.sync(), todos.sync(), todos.sync(), todos.sync()]);
    expect(results.every((r) => r.remaining === 0)).toBe(true);
    for (const op of ops) {
      expect(harness.server.store.appliedCount("todos", op.opId)).toBe(1);
      expect(harness.server.store.replayedCount("todos", op.opId)).toBe(0);
    }
  });

  it("a write made during a drain is kept and sent next (the seed guide's `remaining` bug)", async () => {
    harness.server.faults.set({ rate: 1, kinds: ["delay"], delayMs: 500 });
    const todos = client({ triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "first" });
    const draining = todos.sync();
    await waitFor(() => harness.server.faults.injected().delay >= 1, 2000, "the push to reach the server");
    await todos.save({ id: "b", title: "during" });
    await todos.save({ id: "a", title: "after" }); // a's create is in flight: this must queue an update
    harness.server.faults.set(null);
    await draining;
    await waitFor(async () => (await todos.sync()).remaining === 0, 5000, "the queue to drain");
    expect(await harness.server.store.get("todos", "b")).toMatchObject({ value: { title: "during" } });
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 2, value: { title: "after" } });
  });

  it("syncs on its own after a write when online", async () => {
    const todos = client();
    await todos.save({ id: "auto", title: "x" });
    await waitFor(async () => (await harness.server.store.get("todos", "auto")) !== null, 5000, "the automatic sync");
    await waitFor(() => todos.status.pending === 0, 2000, "the queue to empty");
  });
});

describe("network and budgets", () => {
  it("forced offline sends nothing at all, then drains when lifted", async () => {
    const todos = client();
    await todos.ready;
    todos.setOffline(true);
    expect(todos.status).toMatchObject({ state: "offline", forcedOffline: true });
    await todos.save({ id: "a", title: "x" });
    expect(await todos.sync()).toMatchObject({ skipped: "offline", pushed: 0 });
    expect(todos.metrics().requests).toBe(0);
    todos.setOffline(false);
    await waitFor(async () => (await harness.server.store.get("todos", "a")) !== null, 5000, "the drain after going online");
  });

  it("an unreachable server keeps every write, reports offline with a typed error, and recovers", async () => {
    const port = Number(new URL(harness.server.url).port);
    await harness.stopServer();
    const todos = client({ endpoint: `http://127.0.0.1:${port}/api/todos`, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "x" });
    const result = await todos.sync();
    expect(result.pushed).toBe(0);
    expect(todos.status.online).toBe(false);
    expect(todos.status.state).toBe("offline");
    expect(todos.status.lastError?.code).toMatch(/network|timeout/);
    expect(todos.status.pending).toBe(1);
    // Bring a server back on the same port: the client's probe finds it and drains.
    const revived = createSyncServer({ db: ":memory:" });
    await revived.listen(port, "127.0.0.1");
    harness.adoptServer(revived);
    await waitFor(async () => (await revived.store.get("todos", "a")) !== null, 8000, "recovery after the server came back");
    await waitFor(() => todos.status.online, 2000, "online again");
  });

  it("maxSyncDurationMs bounds one sync() call; the rest is left queued", async () => {
    harness.server.faults.set({ rate: 1, kinds: ["delay"], delayMs: 60 });
    const todos = client({ batchSize: 1, maxSyncDurationMs: 50, triggers: { onWrite: false } });
    for (let i = 0; i < 5; i++) await todos.save({ id: `t${i}`, title: "x" });
    const result = await todos.sync();
    expect(result.skipped).toBe("budget");
    expect(result.pushed).toBeGreaterThanOrEqual(1);
    expect(result.remaining).toBeGreaterThan(0);
    expect(result.remaining + result.pushed).toBe(5);
  });

  it("metrics count requests, bytes, latency and queue depth", async () => {
    const todos = client({ pull: false, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "x" });
    await todos.save({ id: "b", title: "y" });
    expect(todos.metrics()).toMatchObject({ queueDepth: 2, requests: 0, successRate: 1 });
    await todos.sync();
    const metrics = todos.metrics();
    expect(metrics).toMatchObject({ queueDepth: 0, requests: 1, successes: 2, failures: 0, successRate: 1, oldestPendingAgeMs: null, drains: 1 });
    expect(metrics.bytesSent).toBeGreaterThan(50);
    expect(metrics.latencyMs.samples).toBe(1);
  });
});
