import { afterEach, describe, expect, it, vi } from "vitest";
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
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ value: { title: "1b" } });
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
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ value: { title: "kept" } });
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

describe("an i45 DataContext under load, faults and many tabs", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("a pull of many items rewrites the i45 collection once per page, not once per item", async () => {
    const n = 600;
    const other = harness.client({ triggers: { onWrite: false }, batchSize: 300, pull: false });
    for (let i = 0; i < n; i++) await other.save({ id: `t${i}`, title: `${i}` });
    await other.sync();
    const context = i45();
    const todos = harness.client({ storage: fromI45(context), triggers: { onWrite: false }, pullPageSize: 300 });
    await todos.ready;
    const before = context.storeCalls;
    await todos.sync();
    expect(await context.retrieve()).toHaveLength(n);
    expect(context.storeCalls - before).toBe(2);
  });

  it("an i45 call that never answers is reported once, and neither the drain nor close() waits for it", async () => {
    class Hanging extends DataContextStandIn<Todo> {
      hang = false;
      override store(items: Todo[]): Promise<this> {
        return this.hang ? new Promise<this>(() => undefined) : super.store(items);
      }
    }
    const context = new Hanging(new Map(), { storageKey: "todos" });
    const todos = harness.client({ storage: fromI45(context), timeoutMs: 200 });
    const errors: SyncLensError[] = [];
    todos.on("error", (error) => errors.push(error));
    await todos.save({ id: "a", title: "1" });
    context.hang = true;
    await todos.save({ id: "b", title: "2" }); // waits for i45 at most timeoutMs
    await todos.save({ id: "c", title: "3" });
    await waitFor(async () => (await harness.server.store.get("todos", "c")) !== null, 3000, "the pushes, i45 hanging");
    expect(errors.filter((error) => error.message.includes("did not answer"))).toHaveLength(1);
    expect(await todos.get("c")).toEqual({ id: "c", title: "3" }); // the client's own copy is whole
    await todos.close(); // would never resolve if it waited on i45
  });

  it("two tabs copying to one i45 collection take turns (Web Locks): neither erases the other's item", async () => {
    vi.stubGlobal("navigator", { locks: inProcessLocks() });
    class Slow extends DataContextStandIn<Todo> {
      override async store(items: Todo[]): Promise<this> {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return super.store(items);
      }
    }
    const area = new Map<string, string>();
    const tabA = harness.client({ storage: fromI45(new Slow(area, { storageKey: "todos" })), triggers: { onWrite: false } });
    const tabB = harness.client({ name: tabA.createdWith.name, indexedDB: tabA.factory, storage: fromI45(i45(area)), triggers: { onWrite: false } });
    await Promise.all([tabA.ready, tabB.ready]);
    const first = tabA.save({ id: "a", title: "A" });
    await waitFor(async () => (await tabB.get("a")) !== undefined, 2000, "a's intent to be stored");
    await tabB.save({ id: "b", title: "B" });
    await first;
    expect((JSON.parse(area.get("todos") ?? "[]") as Todo[]).map((t) => t.id).sort()).toEqual(["a", "b"]);
  });
});

/** The Web Locks API over one process, as the tabs of a browser share it. */
function inProcessLocks() {
  const held = new Map<string, Promise<unknown>>();
  return {
    async request<R>(name: string, ...args: [(lock: unknown) => Promise<R>] | [{ ifAvailable?: boolean }, (lock: unknown) => Promise<R>]): Promise<R> {
      const [options, callback] = args.length === 1 ? [{}, args[0]] : args;
      if (options.ifAvailable && held.has(name)) return callback(null);
      while (held.has(name)) await held.get(name)!.catch(() => undefined);
      const run = Promise.resolve().then(() => callback({ name }));
      held.set(name, run);
      try {
        return await run;
      } finally {
        held.delete(name);
      }
    },
  };
}

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
