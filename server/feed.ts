/** Change feed paging over a store: cursors are `<epoch>.<seq>`, so a database made anew never misreads an old one. */
import type { ChangesPage } from "./protocol.js";
import type { SyncStore } from "./store.js";

/** The changes after `since` (a cursor of this database, or null: from the start); null for another database's cursor. */
export async function readChanges(store: SyncStore, scope: string, collection: string, since: string | null, limit: number): Promise<ChangesPage | null> {
  const epoch = await store.epoch();
  let after = 0;
  if (since !== null && since !== "0") {
    // A bare seq is a cursor from before epochs (clients of an earlier version): taken if it can be ours.
    const [cursorEpoch, seq] = since.includes(".") ? since.split(".") : [epoch, since];
    if (cursorEpoch !== epoch || !/^\d{1,15}$/.test(seq ?? "")) return null;
    after = Number(seq);
    if (after > (await store.lastSeq(scope, collection))) return null;
  }
  const rows = await store.changesAfter(scope, collection, after, limit + 1);
  const changes = rows.slice(0, limit);
  return { changes, cursor: `${epoch}.${changes.at(-1)?.seq ?? after}`, hasMore: rows.length > limit };
}
