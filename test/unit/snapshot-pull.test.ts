import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { snapshotChanges } from "../../sdk/storage/pull";
import { SyncStore, synced, tombstone } from "../../sdk/storage/store";

describe("a listing as changes (refresh by listing)", () => {
  it("is a change one version past the synced copy for each new or changed item, a delete for each synced item missing; nothing for unchanged or never-synced items", async () => {
    const store = await SyncStore.open(new IDBFactory(), "snapshot");
    const [same, old] = [{ id: "same", title: "s" }, { id: "changed", title: "old" }];
    await store.db.put("versions", synced("same", 3, same, undefined));
    await store.db.put("versions", synced("changed", 2, old, undefined));
    await store.db.put("versions", synced("gone", 5, { id: "gone" }, undefined));
    await store.db.put("versions", tombstone("deleted-before", 4));
    const listing = [{ id: "same", title: "s" }, { id: "changed", title: "new" }, { id: "fresh", title: "f" }];

    const changes = await snapshotChanges(store, listing, Date.parse("2026-12-05T00:00:00.000Z"));
    expect(changes.map(({ id, version, deleted, value }) => ({ id, version, deleted, value }))).toEqual([
      { id: "changed", version: 3, deleted: false, value: { id: "changed", title: "new" } },
      { id: "fresh", version: 1, deleted: false, value: { id: "fresh", title: "f" } },
      { id: "gone", version: 6, deleted: true, value: null },
    ]);
    expect(changes.every((change) => change.updatedAt === "2026-12-05T00:00:00.000Z")).toBe(true);
    store.close();
  });
});
