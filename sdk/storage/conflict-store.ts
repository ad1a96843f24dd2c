import { equal, type Conflict, type Resolution } from "../sync/conflicts.js";
import { guard, newOperation, synced, withValue, type ServerVersion, type SyncStore } from "./store.js";
import type { OperationType, PendingOperation, SyncItem } from "../shared/types.js";

/**
 * Parked conflicts in the client's database: reading them, and ending one with a resolution.
 *
 * Failure modes: both reject with `StorageError` when IndexedDB fails; a resolution is one transaction,
 * so it is applied whole or not at all.
 */

/** A write the server refused for a version mismatch (409), with the server's current record. */
export interface RefusedWrite {
  op: PendingOperation;
  /** The server's record; null when the server has deleted the item. */
  server: ServerVersion | null;
  /** The local edit's time on the server's clock (for latest-wins). */
  localUpdatedAt: number;
}

/**
 * Parks a conflict for each refused write, in one transaction, with the item's local value and its last
 * synced copy (the merge base). The refused operations stay queued (their items wait) until resolved.
 */
export async function parkConflicts(store: SyncStore, refused: readonly RefusedWrite[], now: number): Promise<Conflict[]> {
  return guard("park conflicts", async () => {
    const tx = store.db.transaction(["items", "versions", "outbox", "conflicts"], "readwrite");
    const newest = (itemId: string) => tx.objectStore("outbox").index("itemId").openCursor(IDBKeyRange.only(itemId), "prev");
    const reads = await Promise.all(refused.map(({ op }) => Promise.all([tx.objectStore("items").get(op.itemId), tx.objectStore("versions").get(op.itemId), newest(op.itemId)])));
    const conflicts = refused.map(({ op, server, localUpdatedAt }, index): Conflict => {
      const [local, base, last] = reads[index]!;
      // An edit queued behind the refused operation is newer than it: latest-wins compares that one.
      const offset = localUpdatedAt - op.updatedAt;
      store.forget(op.itemId);
      return {
        id: op.itemId,
        local: local ?? null,
        server: server?.value ?? null,
        base: base?.value ?? null,
        serverVersion: server?.version ?? 0,
        serverUpdatedAt: server?.updatedAt ?? null,
        localUpdatedAt: Math.max(localUpdatedAt, (last?.value.updatedAt ?? 0) + offset),
        detectedAt: now,
      };
    });
    await Promise.all([...conflicts.map((conflict) => tx.objectStore("conflicts").put(conflict)), tx.done]);
    return conflicts;
  });
}

/**
 * Conflicts waiting for a resolution, one per item. The local side is the item as it is now: edits made
 * while the conflict waited are part of it, and so is their time (`clockOffsetMs` puts it on the server's
 * clock, for latest-wins).
 */
export async function storedConflicts(store: SyncStore, clockOffsetMs = 0): Promise<Conflict[]> {
  return guard("read conflicts", async () => {
    const tx = store.db.transaction(["conflicts", "items", "outbox", "deadLetters"]);
    const conflicts = await tx.objectStore("conflicts").getAll();
    const newest = (store: "outbox" | "deadLetters", id: string) => tx.objectStore(store).index("itemId").openCursor(IDBKeyRange.only(id), "prev");
    const locals = await Promise.all(conflicts.map(({ id }) => Promise.all([tx.objectStore("items").get(id), newest("outbox", id), newest("deadLetters", id)])));
    await tx.done;
    return conflicts.map((conflict, index) => {
      const [local, op, letter] = locals[index]!;
      const edited = Math.max(op?.value.updatedAt ?? 0, letter?.value.updatedAt ?? 0);
      return { ...conflict, local: local ?? null, localUpdatedAt: edited > 0 ? Math.max(conflict.localUpdatedAt, edited + clockOffsetMs) : conflict.localUpdatedAt };
    });
  });
}

/** What a resolution was decided from; when the stored conflict no longer matches it, the resolution is not applied. */
export interface ResolutionBasis {
  local?: SyncItem | null;
  serverVersion?: number;
}

/**
 * Ends a conflict: the item takes the resolved value ("local": the item as it is now), the server copy
 * becomes the base, and the item's pending operations and dead letters are replaced by at most one new
 * operation that brings the server to the resolved value (none when the server already has it).
 *
 * Returns the change to the outbox size and the dead letters removed; `null` when no such conflict is
 * parked (another tab resolved it); `"changed"` when the conflict moved on from `basis` (a local edit
 * or a newer server copy since), and nothing was written.
 */
export async function resolveStoredConflict(
  store: SyncStore,
  id: string,
  resolution: Resolution,
  ctx: { now: number; newOpId: () => string },
  basis: ResolutionBasis = {},
): Promise<{ queueDelta: number; lettersRemoved: number; value: SyncItem | null } | "changed" | null> {
  return guard("resolve a conflict", async () => {
    const tx = store.db.transaction(store.withIntents(["items", "versions", "outbox", "deadLetters", "conflicts"]), "readwrite");
    const [conflict, current] = await Promise.all([tx.objectStore("conflicts").get(id), tx.objectStore("items").get(id)]);
    const local = current ?? null;
    const moved = conflict && ((basis.serverVersion !== undefined && basis.serverVersion !== conflict.serverVersion) || (basis.local !== undefined && !equal(basis.local, local)));
    if (!conflict || moved) {
      await tx.done;
      return conflict ? "changed" : null;
    }
    const value = resolution === "local" ? local : resolution === "server" ? conflict.server : resolution.value;
    const outbox = tx.objectStore("outbox");
    const letters = tx.objectStore("deadLetters");
    const [stale, dead] = await Promise.all([outbox.index("itemId").getAllKeys(IDBKeyRange.only(id)), letters.index("itemId").getAllKeys(IDBKeyRange.only(id))]);
    store.forget(id);
    // The resolution covers the local edits the dead letters held: they would block its operation forever.
    const writes: Promise<unknown>[] = [...stale.map((seq) => outbox.delete(seq)), ...dead.map((seq) => letters.delete(seq))];
    writes.push(tx.objectStore("conflicts").delete(id));
    writes.push(store.putItem(tx, id, value));
    const versions = tx.objectStore("versions");
    writes.push(conflict.server ? versions.put(synced(id, conflict.serverVersion, conflict.server, conflict.serverUpdatedAt ?? undefined)) : versions.delete(id));
    let queueDelta = -stale.length;
    if (!equal(value, conflict.server)) {
      const type: OperationType = value === null ? "delete" : conflict.server ? "update" : "create";
      writes.push(outbox.add(withValue(newOperation(id, type, ctx.now, ctx.newOpId()), type, value ?? undefined) as PendingOperation));
      queueDelta++;
    }
    await Promise.all([...writes, tx.done]);
    return { queueDelta, lettersRemoved: dead.length, value };
  });
}
