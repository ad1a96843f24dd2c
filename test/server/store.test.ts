import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { applyWrites } from "../../server/apply";
import { readChanges } from "../../server/feed";
import { postgresStore } from "../../server/postgres";
import { mergePatch } from "../../server/rules";
import { sqliteStore } from "../../server/sqlite";
import type { SyncStore } from "../../server/store";
import { STORE_KIND, freshPostgresUrl, openTestStore } from "../support/stores";

const day = 24 * 60 * 60 * 1000;
const put = (id: string, opId: string) => ({ opId, id, method: "PUT" as const, body: { id } });
const applyOne = async (store: SyncStore, write: ReturnType<typeof put>, now?: () => Date) =>
  (await applyWrites(store, "", "todos", [write], now ? { now } : {}))[0]!.reply;

/** Opens the same database again and again, as a restarted server would: a SQLite file, or one PostgreSQL schema. */
async function reopenable(): Promise<(now: () => Date) => SyncStore> {
  if (STORE_KIND === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "synclens-store-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    return (now) => sqliteStore(join(dir, "store.sqlite"), { now });
  }
  const connectionString = await freshPostgresUrl();
  return (now) => postgresStore({ connectionString, now });
}

describe(`the ${STORE_KIND} store`, () => {
  it("persists records and the change sequence, and prunes keys older than 7 days", async () => {
    const open = await reopenable();
    const start = Date.parse("2026-01-01T00:00:00.000Z");
    const at = (time: number) => () => new Date(time);

    const first = open(at(start));
    expect((await applyOne(first, put("a", "old"), at(start))).status).toBe(201);
    await first.close();

    const sixDaysLater = open(at(start + 6 * day));
    expect((await applyOne(sixDaysLater, put("b", "recent"))).status).toBe(201);
    expect((await sixDaysLater.stats()).idempotency.keys).toBe(2);
    await sixDaysLater.close();

    const eightDaysLater = open(at(start + 8 * day));
    expect((await applyOne(eightDaysLater, put("b", "recent"))).replayed).toBe(true);
    expect((await eightDaysLater.stats()).idempotency.keys).toBe(1);
    const page = await readChanges(eightDaysLater, "", "todos", null, 10);
    expect(page?.changes.map(({ id, seq }) => [id, seq])).toEqual([["a", 1], ["b", 2]]);
    // The same database keeps its cursors; a database made anew refuses them (its seqs start over).
    expect((await readChanges(eightDaysLater, "", "todos", page!.cursor, 10))?.changes).toEqual([]);
    const fresh = await openTestStore();
    expect(await readChanges(fresh, "", "todos", page!.cursor, 10)).toBeNull();
    await fresh.close();
    expect((await eightDaysLater.get("", "todos", "a"))?.updatedAt).toBe("2026-01-01T00:00:00.000Z");
    await eightDaysLater.close();
  });

  it("prunes keys older than 7 days while open too: the same op is then applied anew", async () => {
    let time = Date.parse("2026-01-01T00:00:00.000Z");
    const now = () => new Date(time);
    const store = await openTestStore(STORE_KIND, { now });
    onTestFinished(() => store.close());

    await applyOne(store, put("a", "old"), now);
    expect((await applyOne(store, put("a", "old"), now)).replayed).toBe(true);
    time += 6 * day;
    await applyOne(store, put("b", "recent"), now);
    time += 2 * day;
    await applyOne(store, put("c", "new"), now);
    expect((await store.stats()).idempotency).toEqual({ keys: 2 });
    expect(await applyOne(store, put("a", "old"), now)).toMatchObject({ status: 200, replayed: false });
    expect((await store.get("", "todos", "a"))?.version).toBe(2);
  });

  it("applies a batch in one transaction: when the database fails at its commit, none of it is applied", async () => {
    const store = await openTestStore();
    onTestFinished(() => store.close());
    const writes = [put("a", "o1"), put("b", "o2")];
    const failing: SyncStore = { ...store, transact: (scope, collection, work) => store.transact(scope, collection, async (tx) => {
      await work(tx);
      throw new Error("the disk is full");
    }) };
    await expect(applyWrites(failing, "", "todos", writes)).rejects.toThrow("the disk is full");
    expect(await store.list("", "todos")).toEqual([]);
    expect((await store.stats()).idempotency.keys).toBe(0);
    expect((await applyWrites(store, "", "todos", writes)).map(({ reply }) => reply.status)).toEqual([201, 201]);
  });
});

describe("merge patch", () => {
  it("implements RFC 7396", () => {
    expect(mergePatch({ a: "b" }, { a: "c" })).toEqual({ a: "c" });
    expect(mergePatch({ a: "b" }, { b: "c" })).toEqual({ a: "b", b: "c" });
    expect(mergePatch({ a: "b" }, { a: null })).toEqual({});
    expect(mergePatch({ a: [{ b: "c" }] }, { a: [1] })).toEqual({ a: [1] });
    expect(mergePatch({ a: { b: "c" } }, { a: { b: "d", c: null } })).toEqual({ a: { b: "d" } });
    expect(mergePatch(["a"], { a: "b" })).toEqual({ a: "b" });
    expect(mergePatch({ a: "foo" }, "bar")).toBe("bar");
    expect(mergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
  });
});
