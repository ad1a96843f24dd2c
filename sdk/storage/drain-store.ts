import type { AttemptError, DeadLetter, PendingOperation, SyncItem } from "../shared/types.js";
import { guard, live, pushError, synced, tombstone, type ServerVersion, type SyncStore } from "./store.js";

/**
 * The outbox as the drain sees it: a batch taken (`takeReady`), and its replies committed (`settle`), one
 * transaction each. Failure modes: both reject with `StorageError` and roll back whole; a batch that could
 * not be taken claims nothing.
 */

/** How a batch's replies are committed: one entry per operation sent. */
export type SettleAction =
  | { kind: "ack"; op: PendingOperation; version: number; deleted: boolean; value?: SyncItem; updatedAt?: string }
  /** `failures`: the operation's count after this attempt (a failure of the whole server is not counted against it). */
  | { kind: "retry"; op: PendingOperation; error: AttemptError; failures: number; nextAttemptAt: number }
  /** `server`: the server's copy a 409 named (`null`: it has none, or a tombstone), which later writes of the item are based on. */
  | { kind: "dead"; op: PendingOperation; error: AttemptError; reason: DeadLetter["reason"]; reply?: { status: number; body: unknown }; server?: ServerVersion | null }
  /**
   * Not a failure of the operation: it goes again as it is (`conflict`: parked as a conflict meanwhile;
   * `unsent`: no request left, so the attempt `takeReady` counted is taken back).
   */
  | { kind: "release"; op: PendingOperation; conflict?: true; unsent?: true; error?: AttemptError }
  /** Its key was spent on an earlier body: it goes again under `opId`, based on `base` (null: the server has none). */
  | { kind: "rekey"; op: PendingOperation; opId: string; base: ServerVersion | null; error: AttemptError };

export interface SettleResult {
  acked: PendingOperation[];
  dead: DeadLetter[];
  retried: PendingOperation[];
  /** `createdAt` of the first operation left in the outbox. */
  oldestPendingAt: number | null;
}

/** A scan's picks: operations to send now, and when the earliest deferred one becomes due. */
export interface ReadyBatch {
  /** As being sent: their attempt counted (`attempts`, `lastAttemptAt`). */
  ops: PendingOperation[];
  /** The last synced copy of each picked operation's item, by item id. */
  versions: Map<string, ServerVersion>;
  /** The stored version of each picked operation's item, tombstones included, as read in the take. */
  known: Map<string, number>;
  /** Picked operations whose attempt mark was not stored (see `takeReady`), by seq. */
  unmarked: Set<number>;
  nextDueAt: number | null;
  /** The item of every dead letter, as read for the scan (other tabs may have added some). */
  deadItemIds: string[];
}

/** Operations being sent by this client, by seq. */
export interface InFlight {
  has(seq: number): boolean;
  add(seq: number): unknown;
  delete(seq: number): unknown;
}

/**
 * Picks up to `limit` operations that may be sent now, in queue order: the first pending operation of each
 * item (per-item order), skipping items held by a dead letter or a conflict, operations `inFlight` and ones
 * still in backoff. The versions they are based on are read in the same transaction.
 *
 * No write may rewrite a picked operation, since its request may reach the server. Each one is added to
 * `inFlight` as it is picked, inside the transaction: this client's writes committed after the take see
 * it there. Other clients see the attempt mark, stored in the same transaction; except on operations
 * `heldBy` this client's `holder`, which every other client already treats as sent: those are marked in
 * memory only, one put fewer per operation, and their attempt is stored when they are settled.
 */
export async function takeReady(store: SyncStore, now: number, limit: number, inFlight: InFlight, holder?: string): Promise<ReadyBatch> {
  const claimed: number[] = [];
  try {
    return await guard("read the outbox", async () => {
      const tx = store.db.transaction(["outbox", "versions", "deadLetters", "conflicts"], "readwrite");
      const outbox = tx.objectStore("outbox");
      // Read here, not kept in memory: another tab may have dead-lettered an item since.
      const [letters, parked] = await Promise.all([tx.objectStore("deadLetters").getAll(), tx.objectStore("conflicts").getAllKeys()]);
      const blockedItems = new Set([...letters.map((letter) => letter.itemId), ...parked]);
      const ops: PendingOperation[] = [];
      const unmarked = new Set<number>();
      const writes: Promise<unknown>[] = [];
      const seen = new Set<string>();
      let nextDueAt: number | null = null;
      let after: number | undefined;
      // Whole chunks, not a cursor: one round trip per chunk instead of one per operation.
      const chunkSize = Math.max(64, limit * 2);
      scan: for (;;) {
        const chunk = await outbox.getAll(after === undefined ? null : IDBKeyRange.lowerBound(after, true), chunkSize);
        for (const op of chunk) {
          if (seen.has(op.itemId)) continue;
          seen.add(op.itemId);
          if (blockedItems.has(op.itemId) || inFlight.has(op.seq)) continue;
          if (op.nextAttemptAt > now) {
            if (nextDueAt === null || op.nextAttemptAt < nextDueAt) nextDueAt = op.nextAttemptAt;
            continue;
          }
          const taken = { ...op, attempts: op.attempts + 1, lastAttemptAt: now };
          inFlight.add(op.seq);
          claimed.push(op.seq);
          if (holder !== undefined && op.heldBy === holder) unmarked.add(op.seq);
          else {
            writes.push(outbox.put(taken));
            store.hintReplaced(op, taken);
          }
          ops.push(taken);
          if (ops.length >= limit) break scan;
        }
        if (chunk.length < chunkSize) break;
        after = chunk[chunk.length - 1]!.seq;
      }
      const versionStore = tx.objectStore("versions");
      const found = await Promise.all(ops.map((op) => versionStore.get(op.itemId)));
      await Promise.all([...writes, tx.done]);
      const versions = new Map<string, ServerVersion>();
      const known = new Map<string, number>();
      for (const entry of found) {
        if (!entry) continue;
        known.set(entry.id, entry.version);
        if (live(entry)) versions.set(entry.id, entry);
      }
      return { ops, versions, known, unmarked, nextDueAt: ops.length >= limit ? now : nextDueAt, deadItemIds: letters.map((letter) => letter.itemId) };
    });
  } catch (error) {
    for (const seq of claimed) inFlight.delete(seq);
    throw error;
  }
}

/**
 * Commits the outcome of a batch in one transaction: acks, retries with backoff, dead letters. The
 * operations are the ones `takeReady` returned (`taken`: what it said of them); while in flight nothing
 * else rewrites them, so they are written back without being read again. Also reads the new oldest
 * pending operation.
 *
 * An acknowledged version never moves an item's stored version backwards. With `taken.known`, the stored
 * versions are the ones read in the take: the caller vouches that nothing else wrote them since (it holds
 * a lock that cannot be lost). Without it, they are read again here.
 */
export async function settle(store: SyncStore, actions: readonly SettleAction[], now: number, taken?: Partial<Pick<ReadyBatch, "known" | "unmarked">>): Promise<SettleResult> {
  return guard("record sync results", async () => {
    const tx = store.db.transaction(["outbox", "deadLetters", "versions"], "readwrite");
    const outbox = tx.objectStore("outbox");
    const versions = tx.objectStore("versions");
    const result: SettleResult = { acked: [], dead: [], retried: [], oldestPendingAt: null };
    const writes: Promise<unknown>[] = [];
    const acked = actions.filter((action) => action.kind === "ack");
    const unmarked = taken?.unmarked;
    const unsent = actions.filter((action) => action.kind === "release" && action.unsent && !unmarked?.has(action.op.seq));
    const [stored, current] = await Promise.all([
      taken?.known ? acked.map((action) => taken.known!.get(action.op.itemId)) : Promise.all(acked.map(async (action) => (await versions.get(action.op.itemId))?.version)),
      Promise.all(unsent.map((action) => outbox.get(action.op.seq))),
    ]);
    for (const action of actions) {
      const { op } = action;
      switch (action.kind) {
        case "ack": {
          writes.push(outbox.delete(op.seq));
          const version = stored[acked.indexOf(action)];
          store.hintReplaced(op, undefined, !action.deleted);
          if (version === undefined || version < action.version) {
            writes.push(versions.put(action.deleted ? tombstone(op.itemId, action.version) : synced(op.itemId, action.version, action.value ?? op.value, action.updatedAt)));
          }
          result.acked.push(op);
          break;
        }
        case "retry": {
          const retried: PendingOperation = { ...op, failures: action.failures, nextAttemptAt: action.nextAttemptAt, errors: pushError(op.errors, action.error) };
          writes.push(outbox.put(retried));
          store.hintReplaced(op, retried);
          result.retried.push(retried);
          break;
        }
        case "dead": {
          const letter: DeadLetter = {
            ...op,
            // The attempt that ran out of retries failed too.
            failures: op.failures + (action.reason === "max_retries" ? 1 : 0),
            errors: pushError(op.errors, action.error),
            deadAt: now,
            reason: action.reason,
            ...(action.reply ? { reply: action.reply } : {}),
          };
          writes.push(outbox.delete(op.seq), tx.objectStore("deadLetters").put(letter));
          if (action.server !== undefined) writes.push(action.server ? versions.put(action.server) : versions.delete(op.itemId));
          store.hintReplaced(op, undefined, action.server === undefined ? undefined : action.server !== null);
          result.dead.push(letter);
          break;
        }
        case "rekey": {
          // A new key no page holds a copy of: anyone may coalesce into it again.
          const { heldBy: _heldBy, ...rest } = op;
          // A failure all the same: a server that answers every key so must not keep the drain busy for good.
          const rekeyed: PendingOperation = { ...rest, opId: action.opId, attempts: 0, failures: op.failures + 1, nextAttemptAt: now, errors: pushError(op.errors, action.error) };
          writes.push(outbox.put(rekeyed), action.base ? versions.put(action.base) : versions.delete(op.itemId));
          store.hintReplaced(op, rekeyed, action.base !== null);
          result.retried.push(rekeyed);
          break;
        }
        case "release": {
          if (action.unsent) {
            // Never sent: the attempt mark the take stored goes. Unless there is none (not stored, or the
            // operation is gone: another drain settled it after this one lost its lease) or another attempt
            // was counted since (a pagehide flush): then the operation is left as it is.
            if (unmarked?.has(op.seq) || current[unsent.indexOf(action)]?.attempts !== op.attempts) break;
            const restored = { ...op, attempts: op.attempts - 1, nextAttemptAt: now };
            writes.push(outbox.put(restored));
            store.hintReplaced(op, restored);
            break;
          }
          // Not a failure of this operation (credentials refused, client closing). The attempt mark
          // stays: the request may have reached the server, so the operation must not be rewritten.
          const released = { ...op, nextAttemptAt: now };
          writes.push(outbox.put(released));
          store.hintReplaced(op, released);
          break;
        }
      }
    }
    const first = await outbox.openCursor();
    result.oldestPendingAt = first ? first.value.createdAt : null;
    await Promise.all([...writes, tx.done]);
    return result;
  });
}
