import { describe, expect, it } from "vitest";
import type { ChangeEvent, Conflict, ConflictStrategy, SyncClient } from "../../sdk";
import { testClient, waitFor, type Todo } from "../support/client";
import { createSyncServer } from "../../demo/server/app";
import { useReferenceServer } from "../support/harness";
import { json, startScriptedServer } from "../support/servers";

const harness = useReferenceServer();

/** A device: its own database, no automatic syncs, so the test decides who syncs when. */
function device(conflict?: ConflictStrategy<Todo>, extra: Parameters<typeof testClient>[1] = {}) {
  return harness.client({ triggers: { onWrite: false }, ...(conflict ? { conflict } : {}), ...extra });
}

async function synced(client: SyncClient<Todo>) {
  return client.sync();
}

/** Both devices hold `items` from the server before going offline. */
async function startShared(items: Todo[], a: SyncClient<Todo>, b: SyncClient<Todo>) {
  for (const item of items) await a.save(item);
  await synced(a);
  await synced(b);
  expect(await b.list()).toHaveLength(items.length);
}

describe("incremental pull", () => {
  it("applies other devices' saves and deletes (tombstones) from the server's cursor, and emits change", async () => {
    const a = device();
    const b = device();
    const heard: ChangeEvent<Todo>[] = [];
    b.on("change", (event) => heard.push(event));
    await a.save({ id: "x", title: "1" });
    await a.save({ id: "y", title: "2" });
    await synced(a);
    expect(await synced(b)).toMatchObject({ pulled: 2, conflicts: 0 });
    expect(await b.get("x")).toEqual({ id: "x", title: "1" });
    await a.delete("x");
    await a.save({ id: "y", title: "2b" });
    await synced(a);
    expect(await synced(b)).toMatchObject({ pulled: 2 });
    expect(await b.list()).toEqual([{ id: "y", title: "2b" }]);
    expect(heard.map((e) => `${e.source}:${e.type}:${e.id}`)).toEqual(["remote:save:x", "remote:save:y", "remote:delete:x", "remote:save:y"]);
    expect(await synced(b)).toMatchObject({ pulled: 0 }); // the cursor moved: nothing again
  });

  it("the cursor is the server's and survives a reload: a new client resumes where it was", async () => {
    const a = device();
    const b = device();
    for (let i = 0; i < 250; i++) await a.save({ id: `t${i}`, title: `${i}` });
    await synced(a);
    expect(await synced(b)).toMatchObject({ pulled: 250 }); // three pages of 100
    await b.close();
    const again = harness.client({ name: b.createdWith.name, indexedDB: b.factory, triggers: { onWrite: false } });
    expect(await again.sync()).toMatchObject({ pulled: 0 });
    await a.save({ id: "t0", title: "changed" });
    await synced(a);
    expect(await again.sync()).toMatchObject({ pulled: 1 });
    expect(await again.get("t0")).toEqual({ id: "t0", title: "changed" });
  });

  it("a cursor the server no longer knows (its database was reset) is answered 410, and the client pulls from the start", async () => {
    const reader = harness.client({ triggers: { onWrite: false } });
    const writer = harness.client({ triggers: { onWrite: false } });
    await writer.save({ id: "before", title: "1" });
    await writer.sync();
    await reader.sync();
    const stale = "0.999"; // as a cursor from a database that has since been replaced
    await reader.close();
    const { SyncStore } = await import("../../sdk/storage/store");
    const db = await SyncStore.open(reader.factory, reader.createdWith.name);
    await db.db.put("meta", { key: "pullCursor", cursor: stale });
    db.close();
    await writer.save({ id: "after", title: "2" });
    await writer.sync();
    const reopened = harness.client({ name: reader.createdWith.name, indexedDB: reader.factory, triggers: { onWrite: false } });
    expect(await reopened.sync()).toMatchObject({ pulled: 1 }); // "before" is already here; "after" is new
    expect((await reopened.list()).map((t) => t.id).sort()).toEqual(["after", "before"]);
    expect(reopened.status.lastError).toBeNull();
  });

  it("after the server's database is replaced, the pull from the start brings items whose versions started over", async () => {
    const port = Number(new URL(harness.server.url).port);
    const writer = device();
    const reader = device();
    for (const title of ["1", "2", "3"]) {
      await writer.save({ id: "x", title });
      await writer.sync();
    }
    await reader.sync();
    expect(await reader.get("x")).toEqual({ id: "x", title: "3" });
    await harness.stopServer();
    const fresh = createSyncServer({ db: ":memory:" });
    await fresh.listen(port, "127.0.0.1");
    harness.adoptServer(fresh);
    const another = device();
    await another.save({ id: "x", title: "fresh database" }); // version 1 again
    await another.sync();
    await reader.sync(); // 410: from the start
    expect(await reader.get("x")).toEqual({ id: "x", title: "fresh database" });
  });

  it("a pull from the start (after a 410) interrupted after its first page goes on taking lower versions on the next sync", async () => {
    const port = Number(new URL(harness.server.url).port);
    let feedCalls = 0;
    let failCall = 0;
    const flaky: typeof fetch = async (input, init) => {
      if (String(input).includes("/_changes") && ++feedCalls === failCall) throw new TypeError("network blip");
      return fetch(input, init);
    };
    const writer = device();
    const reader = device(undefined, { fetch: flaky, pullPageSize: 1 });
    for (const title of ["1", "2", "3"]) {
      await writer.save({ id: "x", title });
      await writer.save({ id: "y", title });
      await writer.sync();
    }
    await reader.sync();
    await harness.stopServer();
    const fresh = createSyncServer({ db: ":memory:" });
    await fresh.listen(port, "127.0.0.1");
    harness.adoptServer(fresh);
    const another = device();
    await another.save({ id: "x", title: "fresh x" });
    await another.save({ id: "y", title: "fresh y" });
    await another.sync();
    feedCalls = 0;
    failCall = 3; // 1: the 410, 2: the first page (x), 3: the second page fails
    await reader.sync();
    await reader.sync(); // goes on from the stored cursor, still taking lower versions
    expect(await reader.list()).toEqual([
      { id: "x", title: "fresh x" },
      { id: "y", title: "fresh y" },
    ]);
  });

  it("a server that refuses, within one pull, a cursor it just gave gets one restart, not an endless loop", async () => {
    let firstPages = 0;
    const server = await startScriptedServer((req, res) => {
      const url = new URL(req.path, "http://x");
      if (!url.pathname.endsWith("/_changes")) return json(res, 404, { error: "not_found", message: "" });
      if (url.searchParams.get("since") !== "0") return json(res, 410, { error: "cursor_expired", message: "not ours" });
      firstPages++;
      json(res, 200, { changes: [{ id: "x", version: 1, updatedAt: new Date().toISOString(), deleted: false, value: { id: "x" }, seq: 1 }], cursor: "A.1", hasMore: true });
    });
    harness.onCleanup(() => server.close());
    const client = testClient(`${server.url}/api/todos`, { triggers: { onWrite: false }, pingUrl: false });
    harness.onCleanup(() => client.close());
    await client.sync(); // its stored cursor is "A.1" now
    firstPages = 0;
    const errors: string[] = [];
    client.on("error", (error) => errors.push(error.message));
    await client.sync();
    expect(firstPages).toBe(1);
    expect(errors.at(-1)).toContain("refused its own cursor twice");
  });

  it("its own write held by a dead letter (applied, every reply lost) coming back is not a conflict", async () => {
    let lose = false;
    const lossy: typeof fetch = async (input, init) => {
      if (!lose || !String(input).endsWith("/_batch")) return fetch(input, init);
      await fetch(input, init);
      throw new TypeError("connection reset");
    };
    // Lost replies are an outage, retried until maxRetryAge: 1 ms makes the first one final.
    const mine = device("manual", { maxRetryAge: 1, fetch: lossy, pingUrl: false });
    await mine.save({ id: "x", title: "base" });
    await mine.sync();
    lose = true;
    await mine.save({ id: "x", title: "mine" });
    expect(await mine.sync()).toMatchObject({ deadLettered: 1 });
    lose = false;
    expect(await mine.sync()).toMatchObject({ conflicts: 0 });
    expect(await mine.conflicts()).toEqual([]);
  });

  it("does not treat its own writes coming back as changes or conflicts", async () => {
    const a = device();
    await a.save({ id: "x", title: "1" });
    const result = await synced(a);
    expect(result).toMatchObject({ pushed: 1, pulled: 0, conflicts: 0 });
    expect(a.status.conflicts).toBe(0);
  });
});

describe("two devices edit the same items offline, then sync", () => {
  const base: Todo[] = [
    { id: "a", title: "A", done: false, n: 1 },
    { id: "b", title: "B", done: false, n: 1 },
  ];

  async function scenario(strategy: ConflictStrategy<Todo>) {
    const first = device(strategy);
    const second = device(strategy);
    await startShared(base, first, second);
    // Offline edits: first changes titles, second changes `done` and also the title of "b".
    await first.save({ id: "a", title: "A by first", done: false, n: 1 });
    await first.save({ id: "b", title: "B by first", done: false, n: 1 });
    await second.save({ id: "a", title: "A", done: true, n: 1 });
    await second.save({ id: "b", title: "B by second", done: true, n: 1 });
    const conflicts: Conflict<Todo>[] = [];
    second.on("conflict", (conflict) => conflicts.push(conflict));
    await synced(first); // first reaches the server first
    const result = await synced(second); // second meets first's versions: 409s
    await synced(second);
    await synced(first); // first pulls the outcome
    const server = Object.fromEntries((await harness.server.store.list("todos")).map((r) => [r.id, r.value]));
    return { first, second, conflicts, result, server };
  }

  it("server-wins: the server's copy (first device's edits) stands everywhere", async () => {
    const { first, second, conflicts, server } = await scenario("server-wins");
    expect(conflicts.map((c) => c.id).sort()).toEqual(["a", "b"]);
    expect(server).toEqual({ a: { id: "a", title: "A by first", done: false, n: 1 }, b: { id: "b", title: "B by first", done: false, n: 1 } });
    expect(await second.list()).toEqual(Object.values(server));
    expect(await first.list()).toEqual(Object.values(server));
  });

  it("client-wins: the device that syncs with a conflict keeps its copy, and it reaches everyone", async () => {
    const { first, second, server } = await scenario("client-wins");
    expect(server).toEqual({ a: { id: "a", title: "A", done: true, n: 1 }, b: { id: "b", title: "B by second", done: true, n: 1 } });
    expect(await first.list()).toEqual(Object.values(server));
    expect(second.status).toMatchObject({ pending: 0, conflicts: 0 });
  });

  it("merge: every field edited on one side only survives; a field both edited follows the tie rule (server)", async () => {
    const { first, second, conflicts, server } = await scenario("merge");
    expect(conflicts[0]!.base).toEqual(base[0]);
    expect(server).toEqual({
      a: { id: "a", title: "A by first", done: true, n: 1 }, // title from first, done from second
      b: { id: "b", title: "B by first", done: true, n: 1 }, // both edited title: server's; done from second
    });
    expect(await first.list()).toEqual(Object.values(server));
    expect(await second.list()).toEqual(Object.values(server));
  });

  it("latest-wins: by the server's clock, the later edit wins", async () => {
    const { server } = await scenario("latest-wins");
    // second's edits were made before first synced, so the server's copy is later.
    expect(server["a"]).toEqual({ id: "a", title: "A by first", done: false, n: 1 });
  });

  it("a custom async function decides", async () => {
    const { server, conflicts } = await scenario(async (conflict) => ({ value: { ...conflict.server!, title: `${conflict.server!.title} + ${conflict.local!.title}` } }));
    expect(conflicts).toHaveLength(2);
    expect(server["b"]).toMatchObject({ title: "B by first + B by second" });
  });

  it("manual: parks the conflict (local value kept, operations wait, state conflict), across a reload, until resolved", async () => {
    const { second, server, result } = await scenario("manual");
    expect(result.conflicts).toBe(2);
    expect(second.status).toMatchObject({ state: "conflict", conflicts: 2 });
    expect(await second.get("b")).toEqual({ id: "b", title: "B by second", done: true, n: 1 });
    expect(server["b"]).toEqual({ id: "b", title: "B by first", done: false, n: 1 });
    const parked = await second.conflicts();
    expect(parked.map((c) => ({ id: c.id, local: c.local?.title, server: c.server?.title, base: c.base?.title }))).toEqual([
      { id: "a", local: "A", server: "A by first", base: "A" },
      { id: "b", local: "B by second", server: "B by first", base: "B" },
    ]);
    await second.close();
    const reloaded = harness.client({ name: second.createdWith.name, indexedDB: second.factory, conflict: "manual", triggers: { onWrite: false } });
    await reloaded.ready;
    expect(reloaded.status).toMatchObject({ state: "conflict", conflicts: 2 });
    await reloaded.resolveConflict("a", "local");
    await reloaded.resolveConflict("b", { value: { id: "b", title: "hand-merged", done: true, n: 2 } });
    await expect(reloaded.resolveConflict("b", "server")).rejects.toMatchObject({ code: "not_found" });
    await expect(reloaded.resolveConflict("a", { value: { id: "zzz", title: "" } })).rejects.toMatchObject({ code: "invalid_id" });
    await waitFor(async () => (await reloaded.sync()).remaining === 0, 5000, "the queue to move on");
    expect(reloaded.status).toMatchObject({ state: "idle", conflicts: 0 });
    expect(Object.fromEntries((await harness.server.store.list("todos")).map((r) => [r.id, r.value]))).toEqual({
      a: { id: "a", title: "A", done: true, n: 1 },
      b: { id: "b", title: "hand-merged", done: true, n: 2 },
    });
  });

  it("a pulled change to an item held by a dead letter is a conflict: the edit the letter holds is not overwritten", async () => {
    let refuse = false;
    const refusing: typeof fetch = async (input, init) => {
      if (!refuse || !String(input).endsWith("/_batch")) return fetch(input, init);
      const { ops } = JSON.parse(String(init?.body)) as { ops: { opId: string }[] };
      return new Response(JSON.stringify({ results: ops.map((op) => ({ opId: op.opId, status: 422, body: { error: "refused" } })) }), { status: 200 });
    };
    const mine = device("manual", { fetch: refusing });
    const other = device();
    await startShared([{ id: "x", title: "base" }], mine, other);
    refuse = true;
    await mine.save({ id: "x", title: "my edit" });
    expect(await mine.sync()).toMatchObject({ deadLettered: 1 });
    refuse = false;
    await other.save({ id: "x", title: "their edit", done: true });
    await other.sync();
    expect(await mine.sync()).toMatchObject({ conflicts: 1 });
    expect(await mine.get("x")).toEqual({ id: "x", title: "my edit" });
    expect((await mine.conflicts()).map((c) => [c.local?.title, c.server?.title])).toEqual([["my edit", "their edit"]]);
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ version: 2, value: { title: "their edit" } });
  });

  it("a delete on one device against an edit on the other follows the strategy too", async () => {
    const first = device("server-wins");
    const second = device("server-wins");
    await startShared(base, first, second);
    await first.delete("a");
    await second.save({ id: "a", title: "edited", done: false, n: 1 });
    await synced(first);
    await synced(second);
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ deleted: true });
    expect(await second.get("a")).toBeUndefined();
  });

  it("sync({ conflict }) overrides the client's strategy for one call", async () => {
    const first = device("server-wins");
    const second = device("server-wins");
    await startShared(base, first, second);
    await first.save({ id: "a", title: "first", done: false, n: 1 });
    await second.save({ id: "a", title: "second", done: false, n: 1 });
    await synced(first);
    await second.sync({ conflict: "client-wins" });
    await synced(second);
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ value: { title: "second" } });
  });
});

describe("resolutions stay true to the latest local edit and server copy", () => {
  /** `mine` and `other` share x; other's edit is on the server; mine's own edit of x then meets it. */
  async function contested(mine: SyncClient<Todo>, other: SyncClient<Todo>) {
    await startShared([{ id: "x", title: "base" }], mine, other);
    await other.save({ id: "x", title: "theirs" });
    await other.sync();
    await mine.save({ id: "x", title: "mine 1" });
  }
  const refusing = (state: { refuse: boolean }): typeof fetch => async (input, init) => {
    if (!state.refuse || !String(input).endsWith("/_batch")) return fetch(input, init);
    const { ops } = JSON.parse(String(init?.body)) as { ops: { opId: string }[] };
    return new Response(JSON.stringify({ results: ops.map((op) => ({ opId: op.opId, status: 422, body: { error: "refused" } })) }), { status: 200 });
  };

  it("manual: 'local' takes the item as it is when resolved, with the edits made while the conflict waited", async () => {
    const mine = device("manual");
    const other = device();
    await contested(mine, other);
    expect(await mine.sync()).toMatchObject({ conflicts: 1 });
    await mine.save({ id: "x", title: "mine 2" });
    expect((await mine.conflicts())[0]?.local).toEqual({ id: "x", title: "mine 2" });
    await mine.resolveConflict("x", "local");
    await mine.sync();
    expect(await mine.get("x")).toEqual({ id: "x", title: "mine 2" });
    expect((await harness.server.store.get("todos", "x"))?.value).toEqual({ id: "x", title: "mine 2" });
  });

  it("an async strategy that decided while the user kept editing decides again from the newer edit", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    const mine = device(async (conflict: Conflict<Todo>) => {
      seen.push(conflict.local?.title ?? "");
      await gate;
      return "local" as const;
    });
    const other = device();
    await contested(mine, other);
    const running = mine.sync();
    await waitFor(() => seen.length === 1, 2000, "the strategy to be asked");
    await mine.save({ id: "x", title: "mine 2" });
    release();
    await running;
    await mine.sync();
    expect(seen).toEqual(["mine 1", "mine 2"]);
    expect((await harness.server.store.get("todos", "x"))?.value).toEqual({ id: "x", title: "mine 2" });
  });

  it("resolving a conflict on a dead-lettered item replaces the dead letter: the item's queue moves on", async () => {
    const state = { refuse: false };
    const mine = device("manual", { fetch: refusing(state) });
    const other = device();
    await startShared([{ id: "x", title: "base" }], mine, other);
    state.refuse = true;
    await mine.save({ id: "x", title: "mine" });
    await mine.sync();
    state.refuse = false;
    await other.save({ id: "x", title: "theirs" });
    await other.sync();
    expect(await mine.sync()).toMatchObject({ conflicts: 1 });
    await mine.resolveConflict("x", "local");
    expect(await mine.sync()).toMatchObject({ remaining: 0 });
    expect(await mine.deadLetters()).toEqual([]);
    expect(mine.status.deadLetters).toBe(0);
    expect((await harness.server.store.get("todos", "x"))?.value).toEqual({ id: "x", title: "mine" });
  });

  it("latest-wins judges the local side by its newest edit, even one queued behind the refused write", async () => {
    let holdNext = false;
    let held = false;
    let release: (() => void) | undefined;
    const holding: typeof fetch = async (input, init) => {
      if (holdNext) {
        holdNext = false;
        held = true;
        await new Promise<void>((resolve) => (release = resolve));
      }
      return fetch(input, init);
    };
    const mine = device("latest-wins", { fetch: holding });
    const other = device();
    await startShared([{ id: "x", title: "base" }], mine, other);
    await mine.save({ id: "x", title: "mine, first" });
    holdNext = true;
    const running = mine.sync(); // its batch waits while the others edit
    await waitFor(() => held, 2000, "the batch to be held");
    await other.save({ id: "x", title: "theirs" });
    await other.sync();
    await waitFor(async () => Date.now() > Date.parse((await harness.server.store.get("todos", "x"))!.updatedAt) + 50, 2000, "time to pass"); // a later local edit
    await mine.save({ id: "x", title: "mine, newest of all" });
    release!();
    await running;
    await mine.sync();
    expect((await harness.server.store.get("todos", "x"))?.value).toEqual({ id: "x", title: "mine, newest of all" });
  });

  it("latest-wins on a conflict that waited judges the local side by the edit made while it was parked", async () => {
    const mine = device("manual");
    const other = device();
    await startShared([{ id: "x", title: "base" }], mine, other);
    await mine.save({ id: "x", title: "mine, old" });
    const oldEdit = Date.now();
    await waitFor(() => Date.now() > oldEdit + 20, 1000, "time to pass");
    await other.save({ id: "x", title: "theirs" });
    await other.sync();
    expect(await mine.sync()).toMatchObject({ conflicts: 1 });
    await waitFor(async () => Date.now() > Date.parse((await harness.server.store.get("todos", "x"))!.updatedAt) + 100, 2000, "time to pass");
    await mine.save({ id: "x", title: "mine, newest of all" });
    await mine.sync({ conflict: "latest-wins" });
    await mine.sync();
    expect((await harness.server.store.get("todos", "x"))?.value).toEqual({ id: "x", title: "mine, newest of all" });
  });

  it("latest-wins: the clock offset is not taken from a replayed reply (stamped when first applied)", async () => {
    let downUntil = 0;
    let loseNext = false;
    const lossy: typeof fetch = async (input, init) => {
      if (Date.now() < downUntil) throw new TypeError("network down");
      if (loseNext && String(input).endsWith("/_batch")) {
        loseNext = false;
        await fetch(input, init); // applied; the reply is lost
        downUntil = Date.now() + 1500;
        throw new TypeError("connection reset");
      }
      return fetch(input, init);
    };
    const mine = device("latest-wins", { fetch: lossy, backoff: { baseMs: 50, maxMs: 100 } });
    const other = device();
    await startShared([{ id: "x", title: "base" }], mine, other);
    await mine.save({ id: "x", title: "m1" });
    loseNext = true;
    await mine.sync();
    await waitFor(async () => (await mine.sync(), mine.status.pending === 0), 10_000, "the retry, answered by a replay");
    await other.sync(); // other has m1 before it edits
    await other.save({ id: "x", title: "theirs" });
    await other.sync();
    await waitFor(async () => Date.now() > Date.parse((await harness.server.store.get("todos", "x"))!.updatedAt) + 300, 2000, "time to pass");
    await mine.save({ id: "x", title: "m2, later" });
    await mine.sync();
    expect((await harness.server.store.get("todos", "x"))?.value).toEqual({ id: "x", title: "m2, later" });
  });

  it("a value made from an older server copy than the one pulled since is refused (conflict_changed), not applied unseen", async () => {
    const mine = device("manual");
    const other = device();
    await contested(mine, other);
    await mine.sync();
    const [seen] = await mine.conflicts();
    await other.save({ id: "x", title: "theirs again", done: true });
    await other.sync();
    await mine.sync(); // pulls the newer server copy into the parked conflict
    await expect(mine.resolveConflict("x", { value: { id: "x", title: "merged by hand" }, serverVersion: seen!.serverVersion })).rejects.toMatchObject({ code: "conflict_changed" });
    const [now] = await mine.conflicts();
    await mine.resolveConflict("x", { value: { ...now!.server!, title: "merged by hand" }, serverVersion: now!.serverVersion });
    await mine.sync();
    expect((await harness.server.store.get("todos", "x"))?.value).toEqual({ id: "x", title: "merged by hand", done: true });
  });
});

describe("delta push and compression", () => {
  it("updates send only the changed fields (PATCH), and big bodies go gzipped", async () => {
    const a = device();
    const long = "lorem ipsum ".repeat(400); // ~4.8 KB
    await a.save({ id: "x", title: long, n: 1 });
    await synced(a);
    const afterCreate = a.metrics();
    expect(afterCreate.bytesBeforeCompression).toBeGreaterThan(4800);
    expect(afterCreate.bytesSent).toBeLessThan(afterCreate.bytesBeforeCompression / 10);
    await a.save({ id: "x", title: long, n: 2 });
    await synced(a);
    const patchBytes = a.metrics().bytesBeforeCompression - afterCreate.bytesBeforeCompression;
    expect(patchBytes).toBeLessThan(400); // the patch is { n: 2 }, not the 4.8 KB item
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ version: 2, value: { title: long, n: 2 } });
  });
});

describe("read routing", () => {
  it("cache-first answers locally at once and refreshes in the background", async () => {
    const writer = device();
    const reader = device(undefined, { read: "cache-first" });
    await reader.ready;
    await writer.save({ id: "x", title: "fresh" });
    await writer.sync();
    expect(await reader.get("x")).toBeUndefined(); // local first
    await waitFor(async () => (await reader.get("x", { read: "cache-only" })) !== undefined, 5000, "the background refresh");
  });

  it("network-first refreshes from the server before answering, and keeps pending local edits", async () => {
    const writer = device();
    const reader = device(undefined, { read: "network-first" });
    await writer.save({ id: "x", title: "server" });
    await writer.save({ id: "y", title: "server" });
    await writer.sync();
    reader.setOffline(true);
    await reader.save({ id: "z", title: "mine, written offline" });
    reader.setOffline(false);
    expect(await reader.get("x")).toEqual({ id: "x", title: "server" });
    expect((await reader.list({ read: "cache-only" })).map((t) => t.title)).toEqual(["server", "server", "mine, written offline"]);
  });

  it("network-first falls back to the local copy when the server is unreachable; hybrid reads locally offline", async () => {
    const reader = device(undefined, { read: "network-first" });
    await reader.save({ id: "x", title: "local" });
    await harness.stopServer();
    expect(await reader.get("x")).toEqual({ id: "x", title: "local" });
    reader.setOffline(true);
    expect(await reader.list({ read: "hybrid" })).toEqual([{ id: "x", title: "local" }]);
  });
});
