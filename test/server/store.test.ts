import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { mergePatch, openStore } from "../../demo/server/store";

const day = 24 * 60 * 60 * 1000;

describe("store", () => {
  it("persists records and the change sequence in a file, and prunes keys older than 7 days on open", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclens-store-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "store.sqlite");
    const start = Date.parse("2026-01-01T00:00:00.000Z");
    const put = (id: string, opId: string) => ({ collection: "todos", opId, id, method: "PUT" as const, body: { id } });

    const first = openStore(file, () => new Date(start));
    expect(first.applyWrite(put("a", "old")).status).toBe(201);
    first.close();

    const sixDaysLater = openStore(file, () => new Date(start + 6 * day));
    expect(sixDaysLater.stats().idempotency.keys).toBe(1);
    expect(sixDaysLater.applyWrite(put("b", "recent")).status).toBe(201);
    sixDaysLater.close();

    const eightDaysLater = openStore(file, () => new Date(start + 8 * day));
    expect(eightDaysLater.stats().idempotency.keys).toBe(1);
    expect(eightDaysLater.applyWrite(put("b", "recent")).replayed).toBe(true);
    const page = eightDaysLater.changes("todos", null, 10);
    expect(page?.changes.map(({ id, seq }) => [id, seq])).toEqual([["a", 1], ["b", 2]]);
    // The same database file keeps its cursors; a database made anew refuses them (its seqs start over).
    expect(eightDaysLater.changes("todos", page!.cursor, 10)?.changes).toEqual([]);
    const fresh = openStore(":memory:");
    expect(fresh.changes("todos", page!.cursor, 10)).toBeNull();
    fresh.close();
    expect(eightDaysLater.get("todos", "a")?.updatedAt).toBe("2026-01-01T00:00:00.000Z");
    eightDaysLater.close();
  });

  it("prunes keys older than 7 days while open too, forgetting their applied and replayed counts", () => {
    let time = Date.parse("2026-01-01T00:00:00.000Z");
    const store = openStore(":memory:", () => new Date(time));
    onTestFinished(() => store.close());
    const put = (id: string, opId: string) => ({ collection: "todos", opId, id, method: "PUT" as const, body: { id } });

    store.applyWrite(put("a", "old"));
    expect(store.applyWrite(put("a", "old")).replayed).toBe(true);
    time += 6 * day;
    store.applyWrite(put("b", "recent"));
    expect([store.appliedCount("todos", "old"), store.replayedCount("todos", "old")]).toEqual([1, 1]);

    time += 2 * day;
    store.applyWrite(put("c", "new"));
    expect([store.appliedCount("todos", "old"), store.replayedCount("todos", "old")]).toEqual([0, 0]);
    expect(store.appliedCount("todos", "recent")).toBe(1);
    expect(store.stats().idempotency).toEqual({ keys: 2, replays: 1 });
    // The key is gone: the same op is applied anew.
    expect(store.applyWrite(put("a", "old"))).toMatchObject({ status: 200, replayed: false });
    expect(store.appliedCount("todos", "old")).toBe(1);
  });

  it("implements RFC 7396 merge patch", () => {
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
