import { describe, expect, it } from "vitest";
import type { ChangeEvent, SyncResult } from "../../sdk";
import { LEASE_MS, tryLease } from "../../sdk/tabs/drain-lock";
import { SyncStore } from "../../sdk/storage/store";
import type { Todo } from "../support/client";
import { waitFor } from "../support/client";
import { useReferenceServer } from "../support/harness";

const harness = useReferenceServer();

/** Two clients over one database, as two tabs of an app would be (Node: the IndexedDB lease path). */
function twoTabs() {
  const first = harness.client({ triggers: { onWrite: false } });
  const second = harness.client({ name: first.createdWith.name, indexedDB: first.factory, triggers: { onWrite: false } });
  return [first, second] as const;
}

describe("many tabs over one database", () => {
  it("never drain the same queue at once: the second is told the drain is busy, and nothing is sent twice", async () => {
    const [a, b] = twoTabs();
    for (let i = 0; i < 10; i++) await a.save({ id: `t${i}`, title: `${i}` });
    harness.server.faults.set({ rate: 1, kinds: ["delay"], delayMs: 500 });
    const first = a.sync();
    await waitFor(() => harness.server.faults.injected().delay >= 1, 2000, "the first drain's request");
    const second: SyncResult = await b.sync();
    expect(second).toMatchObject({ skipped: "busy", pushed: 0 });
    harness.server.faults.set(null);
    expect(await first).toMatchObject({ pushed: 10, remaining: 0 });
    expect(await a.queue()).toEqual([]);
    expect((await harness.server.store.stats()).idempotency).toEqual({ keys: 10, replays: 0 });
  });

  it("a lease left by a holder that died expires, and the queue moves on", async () => {
    const [a] = twoTabs();
    await a.save({ id: "x", title: "1" });
    const ghost = await SyncStore.open(a.factory, a.createdWith.name);
    await tryLease(ghost, "dead-tab", Date.now() - LEASE_MS + 1000, LEASE_MS); // expires in 1 s
    ghost.close();
    expect(await a.sync()).toMatchObject({ skipped: "busy" });
    await waitFor(async () => (await a.sync()).remaining === 0, 5000, "the lease to expire");
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ version: 1 });
  });

  it("a tab whose lease ran out mid-drain (suspended) and was taken by another stops before its next batch", async () => {
    const a = harness.client({ triggers: { onWrite: false }, batchSize: 1 });
    for (let i = 0; i < 3; i++) await a.save({ id: `t${i}`, title: `${i}` });
    harness.server.faults.set({ rate: 1, kinds: ["delay"], delayMs: 300 });
    const drain = a.sync();
    await waitFor(() => harness.server.faults.injected().delay >= 1, 2000, "the first batch");
    const other = await SyncStore.open(a.factory, a.createdWith.name);
    // As if `a` had been frozen past its lease and another tab had taken the drain meanwhile.
    await other.db.put("meta", { key: "drainLease", owner: "other-tab", expiresAt: Date.now() + LEASE_MS });
    harness.server.faults.set(null);
    expect(await drain).toMatchObject({ pushed: 1, skipped: "busy", remaining: 2 });
    expect((await harness.server.store.stats()).idempotency.keys).toBe(1);
    await other.db.delete("meta", "drainLease");
    other.close();
    await waitFor(async () => (await a.sync()).remaining === 0, 5000, "the rest once the lease is free");
  });

  it("other tabs hear of writes and queue changes without reloading", async () => {
    const [a, b] = twoTabs();
    await b.ready;
    const heard: ChangeEvent<Todo>[] = [];
    b.on("change", (event) => heard.push(event));
    await a.save({ id: "x", title: "1" });
    await a.delete("x");
    await a.save({ id: "y", title: "2" });
    await waitFor(() => heard.length === 3 && b.status.pending === 1, 2000, "the other tab to hear");
    expect(heard).toEqual([
      { type: "save", id: "x", source: "tab" },
      { type: "delete", id: "x", source: "tab" },
      { type: "save", id: "y", source: "tab" },
    ]);
    expect(await b.get("y")).toEqual({ id: "y", title: "2" });
    await a.sync();
    await waitFor(() => b.status.pending === 0, 2000, "the other tab to see the queue drained");
  });

  it("a tab drains what another tab queued", async () => {
    const [a, b] = twoTabs();
    await a.save({ id: "from-a", title: "1" });
    await b.sync();
    expect(await harness.server.store.get("todos", "from-a")).toMatchObject({ version: 1 });
    await waitFor(() => a.status.pending === 0, 2000, "the writing tab's counter");
  });
});
