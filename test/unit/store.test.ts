import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { QueueFullError, StorageError } from "../../sdk/shared/errors";
import { settle, takeReady } from "../../sdk/storage/drain-store";
import { SyncStore } from "../../sdk/storage/store";
import type { SyncItem } from "../../sdk/shared/types";

let factory: IDBFactory;
let ids = 0;
const none = { has: () => false, add: () => undefined, delete: () => undefined };

function ctx(overrides: Partial<Parameters<SyncStore["write"]>[3]> = {}) {
  return { now: 1000, newOpId: () => `op-${++ids}`, isFrozen: () => false, maxQueueSize: 1000, pending: 0, ...overrides };
}

beforeEach(() => {
  factory = new IDBFactory();
});

describe("SyncStore.write", () => {
  it("commits the item and its operation together", async () => {
    const store = await SyncStore.open(factory, "t");
    const effect = await store.write("save", "a", { id: "a" }, ctx());
    expect(effect).toMatchObject({ queueDelta: 1, head: true, op: { itemId: "a", type: "create" } });
    expect(await store.getItem("a")).toEqual({ id: "a" });
    expect(await store.pending()).toHaveLength(1);
  });

  it("writes neither when the transaction fails half-way", async () => {
    const store = await SyncStore.open(factory, "t");
    const unclonable = { id: "a", fn: () => 1 } as unknown as SyncItem;
    await expect(store.write("save", "a", unclonable, ctx())).rejects.toBeInstanceOf(StorageError);
    expect(await store.getItem("a")).toBeUndefined();
    expect(await store.pending()).toHaveLength(0);
  });

  it("refuses to grow past maxQueueSize, writing nothing, but still coalesces", async () => {
    const store = await SyncStore.open(factory, "t");
    await store.write("save", "a", { id: "a" }, ctx());
    await expect(store.write("save", "b", { id: "b" }, ctx({ maxQueueSize: 1, pending: 1 }))).rejects.toBeInstanceOf(QueueFullError);
    expect(await store.getItem("b")).toBeUndefined();
    await store.write("save", "a", { id: "a", v: 2 } as SyncItem, ctx({ maxQueueSize: 1, pending: 1 }));
    expect((await store.pending()).map((op) => op.value)).toEqual([{ id: "a", v: 2 }]);
  });

  it("never rewrites an operation that was taken for sending", async () => {
    const store = await SyncStore.open(factory, "t");
    await store.write("save", "a", { id: "a", v: 1 } as SyncItem, ctx());
    const { ops } = await takeReady(store, 2000, 10, none);
    expect(ops).toHaveLength(1);
    await store.write("save", "a", { id: "a", v: 2 } as SyncItem, ctx());
    await store.write("delete", "a", undefined, ctx());
    const queue = await store.pending();
    expect(queue.map((op) => [op.type, op.value])).toEqual([
      ["create", { id: "a", v: 1 }],
      ["delete", undefined],
    ]);
  });

  it("an unsent release takes back the attempt, unless another was counted since (the pagehide flush fired it)", async () => {
    const store = await SyncStore.open(factory, "t");
    await store.write("save", "a", { id: "a" }, ctx());
    await store.write("save", "b", { id: "b" }, ctx());
    const { ops } = await takeReady(store, 2000, 10, none);
    await store.markAttempted([ops[1]!.seq], 2000); // b was fired at pagehide meanwhile
    await settle(store, ops.map((op) => ({ kind: "release", op, unsent: true })), 3000);
    expect((await store.pending()).map((op) => [op.itemId, op.attempts > 0])).toEqual([
      ["a", false],
      ["b", true],
    ]);
  });

  it("treats an operation in flight (in memory) as frozen too", async () => {
    const store = await SyncStore.open(factory, "t");
    const first = await store.write("save", "a", { id: "a", v: 1 } as SyncItem, ctx());
    await store.write("save", "a", { id: "a", v: 2 } as SyncItem, ctx({ isFrozen: (seq) => seq === first.op!.seq }));
    expect(await store.pending()).toHaveLength(2);
  });
});

describe("SyncStore.write when another tab changed the item (its prediction is wrong)", () => {
  it("does not rewrite an operation another tab took for sending", async () => {
    const here = await SyncStore.open(factory, "t");
    const there = await SyncStore.open(factory, "t");
    await here.write("save", "a", { id: "a", v: 1 } as SyncItem, ctx());
    expect((await takeReady(there, 2000, 10, none)).ops).toHaveLength(1);
    const effect = await here.write("save", "a", { id: "a", v: 2 } as SyncItem, ctx());
    expect(effect).toMatchObject({ queueDelta: 1, head: false, op: { type: "update" } });
    expect((await here.pending()).map((op) => [op.type, op.attempts, op.value])).toEqual([
      ["create", 1, { id: "a", v: 1 }],
      ["update", 0, { id: "a", v: 2 }],
    ]);
  });

  it("sends an update, not a create, for an item the server has that this tab never wrote", async () => {
    const here = await SyncStore.open(factory, "t");
    const there = await SyncStore.open(factory, "t");
    await there.write("save", "a", { id: "a", v: 1 } as SyncItem, ctx());
    const { ops } = await takeReady(there, 2000, 10, none);
    await settle(there, [{ kind: "ack", op: ops[0]!, version: 1, deleted: false }], 3000);
    const effect = await here.write("save", "a", { id: "a", v: 2 } as SyncItem, ctx());
    expect(effect).toMatchObject({ queueDelta: 1, head: true, op: { type: "update" }, base: { version: 1 } });
    expect((await here.pending()).map((op) => op.type)).toEqual(["update"]);
  });

  it("coalesces with an operation another tab queued, leaving nothing of the wrong guess behind", async () => {
    const here = await SyncStore.open(factory, "t");
    const there = await SyncStore.open(factory, "t");
    await there.write("save", "a", { id: "a", v: 1 } as SyncItem, ctx());
    const effect = await here.write("delete", "a", undefined, ctx());
    expect(effect).toMatchObject({ queueDelta: -1 });
    expect(await here.pending()).toEqual([]);
    expect(await here.getItem("a")).toBeUndefined();
    // Seen once, the item is predicted right from now on.
    await here.write("save", "a", { id: "a", v: 3 } as SyncItem, ctx());
    await here.write("save", "a", { id: "a", v: 4 } as SyncItem, ctx());
    expect((await there.pending()).map((op) => [op.type, op.value])).toEqual([["create", { id: "a", v: 4 }]]);
  });

  it("still refuses a write that would grow a full queue when the guess was a rewrite", async () => {
    const here = await SyncStore.open(factory, "t");
    const there = await SyncStore.open(factory, "t");
    await here.write("save", "a", { id: "a", v: 1 } as SyncItem, ctx());
    await takeReady(there, 2000, 10, none);
    await expect(here.write("save", "a", { id: "a", v: 2 } as SyncItem, ctx({ maxQueueSize: 1, pending: 1 }))).rejects.toBeInstanceOf(QueueFullError);
    expect(await here.getItem("a")).toEqual({ id: "a", v: 1 });
    expect(await here.pending()).toHaveLength(1);
  });
});

describe("SyncStore.takeReady", () => {
  it("takes only the first operation of each item, in queue order, without blocking other items", async () => {
    const store = await SyncStore.open(factory, "t");
    await store.write("save", "a", { id: "a" }, ctx());
    const [sent] = (await takeReady(store, 1000, 10, none)).ops; // freezes a's create
    await store.write("save", "a", { id: "a", v: 2 } as SyncItem, ctx());
    await store.write("save", "b", { id: "b" }, ctx());
    await settle(store, [{ kind: "retry", op: sent!, failures: 1, nextAttemptAt: 5000, error: { at: 1, code: "network", message: "x" } }], 1000);
    const batch = await takeReady(store, 2000, 10, none);
    expect(batch.ops.map((op) => op.itemId)).toEqual(["b"]);
    expect(batch.nextDueAt).toBe(5000);
    const inFlight = new Set(batch.ops.map((op) => op.seq));
    const later = await takeReady(store, 5000, 10, inFlight);
    expect(later.ops.map((op) => [op.itemId, op.type])).toEqual([["a", "create"]]);
  });

  it("skips items held by a dead letter and operations excluded by the caller", async () => {
    const store = await SyncStore.open(factory, "t");
    await store.write("save", "a", { id: "a" }, ctx());
    await store.write("save", "b", { id: "b" }, ctx());
    const { op } = await store.write("save", "c", { id: "c" }, ctx());
    await settle(store, [{ kind: "dead", op: op!, error: { at: 1, code: "http", message: "x" }, reason: "rejected" }], 1);
    await store.write("save", "c", { id: "c", v: 2 } as SyncItem, ctx());
    const batch = await takeReady(store, 1000, 10, new Set([2]));
    expect(batch.ops.map((op) => op.itemId)).toEqual(["a"]);
  });

  it("reads past one chunk, and returns the versions the picked operations are based on", async () => {
    const store = await SyncStore.open(factory, "t");
    for (let i = 0; i < 150; i++) await store.write("save", "same", { id: "same", i } as SyncItem, ctx({ isFrozen: () => true }));
    await store.write("save", "last", { id: "last" }, ctx());
    const first = await takeReady(store, 1000, 1, none);
    expect(first.ops.map((op) => op.itemId)).toEqual(["same"]);
    await settle(store, [{ kind: "ack", op: first.ops[0]!, version: 4, deleted: false }], 1000);
    const second = await takeReady(store, 1000, 10, none);
    expect(second.ops.map((op) => op.itemId)).toEqual(["same", "last"]);
    expect([...second.versions.values()]).toEqual([{ id: "same", version: 4, value: { id: "same", i: 0 } }]);
  });

  it("stores the attempt mark except on the operations the caller's holder holds, and claims every pick as it makes it", async () => {
    const store = await SyncStore.open(factory, "t");
    await store.write("save", "mine", { id: "mine" }, ctx({ holder: "me" }));
    await store.write("save", "theirs", { id: "theirs" }, ctx({ holder: "other tab" }));
    await store.write("save", "nobody's", { id: "nobody's" }, ctx());
    const inFlight = new Set<number>();
    const batch = await takeReady(store, 1000, 10, inFlight, "me");
    expect(batch.ops.map((op) => [op.itemId, op.attempts])).toEqual([["mine", 1], ["theirs", 1], ["nobody's", 1]]);
    expect([...inFlight]).toEqual(batch.ops.map((op) => op.seq));
    expect([...batch.unmarked]).toEqual([batch.ops[0]!.seq]);
    // Every other client sees "mine" as sent already (held by another client); the others need the stored mark.
    expect((await store.pending()).map((op) => [op.itemId, op.attempts])).toEqual([["mine", 0], ["theirs", 1], ["nobody's", 1]]);
    // Put back unsent, all three are as they were before the take.
    await settle(store, batch.ops.map((op) => ({ kind: "release", op, unsent: true })), 1000, batch);
    expect((await store.pending()).map((op) => op.attempts)).toEqual([0, 0, 0]);
  });

  it("respects the limit", async () => {
    const store = await SyncStore.open(factory, "t");
    for (const id of ["a", "b", "c"]) await store.write("save", id, { id }, ctx());
    expect((await takeReady(store, 1000, 2, none)).ops.map((op) => op.itemId)).toEqual(["a", "b"]);
  });
});

describe("dead letters", () => {
  it("keep the operation, its history and reply; retry restores the original place in the queue", async () => {
    const store = await SyncStore.open(factory, "t");
    await store.write("save", "a", { id: "a" }, ctx());
    const [sent] = (await takeReady(store, 1000, 10, none)).ops;
    await store.write("save", "a", { id: "a", v: 2 } as SyncItem, ctx());
    const error = { at: 1100, code: "http" as const, message: "HTTP 400", status: 400 };
    const settled = await settle(store, [{ kind: "dead", op: sent!, error, reason: "rejected", reply: { status: 400, body: { error: "bad_request" } } }], 1100);
    expect(settled.dead[0]).toMatchObject({ seq: 1, deadAt: 1100, reason: "rejected", reply: { status: 400 }, errors: [error] });
    expect(await store.deadItemIds()).toEqual(["a"]);
    const [letter] = await store.deadLetters();
    await store.retryDeadLetters([letter!.opId], 1200);
    expect((await store.pending()).map((op) => [op.seq, op.type, op.failures])).toEqual([
      [1, "create", 0],
      [2, "update", 0],
    ]);
    expect((await store.pending())[0]!.errors).toHaveLength(1);
    expect(await store.deadLetters()).toEqual([]);
  });

  it("discard removes them for good", async () => {
    const store = await SyncStore.open(factory, "t");
    const { op } = await store.write("save", "a", { id: "a" }, ctx());
    await settle(store, [{ kind: "dead", op: op!, error: { at: 1, code: "http", message: "x" }, reason: "rejected" }], 1);
    const [letter] = await store.deadLetters();
    // Nothing else of "a" is pending and the server never had it: the discarded create is undone locally too.
    expect(await store.discardDeadLetter(letter!.opId)).toMatchObject({ letter: { opId: letter!.opId }, restored: null });
    expect(await store.discardDeadLetter(letter!.opId)).toBeUndefined();
    expect(await store.deadLetters()).toEqual([]);
    expect(await store.getItem("a")).toBeUndefined();
  });
});

describe("persistence", () => {
  it("a store opened again over the same name sees the same queue", async () => {
    const first = await SyncStore.open(factory, "persist");
    await first.write("save", "a", { id: "a" }, ctx());
    await first.write("save", "b", { id: "b" }, ctx());
    first.close();
    const second = await SyncStore.open(factory, "persist");
    expect((await second.pending()).map((op) => op.itemId)).toEqual(["a", "b"]);
    expect(await second.countPending()).toBe(2);
  });
});

describe("intents (the app item store's copies)", () => {
  it("tokens differ between stores opened in the same millisecond (pages, tabs), so one never clears another's newer copy", async () => {
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(now);
    try {
      const first = await SyncStore.open(factory, "t", true);
      const second = await SyncStore.open(factory, "t", true);
      await first.write("save", "a", { id: "a", v: 1 } as SyncItem, ctx());
      const [before] = await first.db.getAll("intents");
      await second.write("save", "b", { id: "b" } as SyncItem, ctx());
      const after = await second.db.get("intents", "b");
      expect(after!.token).not.toBe(before!.token);
    } finally {
      clock.mockRestore();
    }
  });
});
