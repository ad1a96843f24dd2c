import { describe, expect, it } from "vitest";
import { fromI45, InvalidOptionsError, webStorageItems, type SyncLensError } from "../../sdk";
import type { Todo } from "../support/client";
import { waitFor } from "../support/client";
import { useReferenceServer } from "../support/harness";
import { DataContextStandIn } from "../support/i45-stand-in";

const harness = useReferenceServer();

function i45(area = new Map<string, string>()) {
  return new DataContextStandIn<Todo>(area, { storageKey: "todos" });
}

describe("an i45 DataContext as the app's item store", () => {
  it("receives every local write; the outbox and the sync are unchanged", async () => {
    const context = i45();
    const todos = harness.client({ storage: fromI45(context), triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.save({ id: "b", title: "2" });
    await todos.save({ id: "a", title: "1b" });
    await todos.delete("b");
    expect(await context.retrieve()).toEqual([{ id: "a", title: "1b" }]);
    expect((await context.getMetadata())?.itemCount).toBe(1);
    await todos.sync();
    expect(harness.server.store.get("todos", "a")).toMatchObject({ value: { title: "1b" } });
    expect(context.clearCalls).toBe(0);
  });

  it("concurrent writes never lose one another (i45 rewrites the whole array)", async () => {
    const context = i45();
    const todos = harness.client({ storage: fromI45(context), triggers: { onWrite: false } });
    await Promise.all(Array.from({ length: 20 }, (_, i) => todos.save({ id: `t${i}`, title: `${i}` })));
    expect((await context.retrieve()).map((t) => t.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`).sort());
  });

  it("receives changes pulled from the server", async () => {
    const context = i45();
    const other = harness.client({ triggers: { onWrite: false } });
    await other.save({ id: "remote", title: "from another device" });
    await other.sync();
    const todos = harness.client({ storage: fromI45(context), triggers: { onWrite: false } });
    await todos.sync();
    expect(await context.retrieve()).toEqual([{ id: "remote", title: "from another device" }]);
  });

  it("a crash between the outbox write and the i45 write loses nothing: the next start copies it", async () => {
    const area = new Map<string, string>();
    const context = i45(area);
    const first = harness.client({ storage: fromI45(context), triggers: { onWrite: false } });
    const errors: SyncLensError[] = [];
    first.on("error", (error) => errors.push(error));
    context.failNextStore = new Error("page died before i45 wrote");
    await first.save({ id: "a", title: "kept" });
    expect(await context.retrieve()).toEqual([]); // the second write never happened
    expect(errors.map((e) => e.code)).toEqual(["storage"]);
    expect(await first.queue()).toHaveLength(1); // the outbox has it
    await first.close();

    const restarted = harness.client({ name: first.createdWith.name, indexedDB: first.factory, storage: fromI45(i45(area)), triggers: { onWrite: false } });
    await restarted.ready;
    expect(await i45(area).retrieve()).toEqual([{ id: "a", title: "kept" }]);
    await restarted.sync();
    expect(harness.server.store.get("todos", "a")).toMatchObject({ value: { title: "kept" } });
  });

  it("a failed copy is retried on the next write", async () => {
    const context = i45();
    const todos = harness.client({ storage: fromI45(context), triggers: { onWrite: false } });
    context.failNextStore = Object.assign(new Error("full"), { name: "QuotaExceededError" });
    const errors: SyncLensError[] = [];
    todos.on("error", (error) => errors.push(error));
    await todos.save({ id: "a", title: "1" });
    expect(errors[0]).toMatchObject({ code: "quota_exceeded" });
    await todos.save({ id: "b", title: "2" });
    await waitFor(async () => (await context.retrieve()).length === 2, 2000, "the retried copy");
  });
});

describe("web storage and other stores", () => {
  it("webStorageItems keeps one key per item", async () => {
    const backing = new Map<string, string>();
    const storage = {
      get length() {
        return backing.size;
      },
      key: (i: number) => [...backing.keys()][i] ?? null,
      getItem: (key: string) => backing.get(key) ?? null,
      setItem: (key: string, value: string) => void backing.set(key, value),
      removeItem: (key: string) => void backing.delete(key),
      clear: () => backing.clear(),
    } as Storage;
    const todos = harness.client({ storage: webStorageItems<Todo>(storage, "notes"), triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.save({ id: "b", title: "2" });
    await todos.delete("a");
    expect([...backing.keys()]).toEqual(["synclens:notes:b"]);
  });

  it('"localstorage" where there is none (Node, workers) is a clear options error', () => {
    expect(() => harness.client({ storage: "localstorage" })).toThrow(InvalidOptionsError);
    expect(() => harness.client({ storage: { put: 1 } as never })).toThrow(/ItemStorage/);
  });
});
