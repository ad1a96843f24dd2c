import { guard, type SyncStore } from "../storage/store.js";

/**
 * One drain at a time per database, across tabs and workers of the origin.
 *
 * - With the Web Locks API: an exclusive lock named after the database, taken only if free. The browser
 *   releases it when its holder's tab or worker goes away, so a dead holder never blocks the queue.
 * - Without it (Node, old browsers): a lease record in IndexedDB, renewed while the drain runs and before
 *   each batch. A holder that dies stops renewing, and the lease is free again after `LEASE_MS`. A holder
 *   suspended for longer (a frozen tab) finds the lease taken when it wakes, and stops before its next batch.
 *
 * Failure modes: a busy lock is not an error; `run` reports `ran: false` and the caller retries later. A
 * storage failure while taking the lease rejects with `StorageError`.
 */
export interface DrainLock {
  /**
   * Runs `task` if the lock is free. A lock that can be lost while held (the lease: its holder may be
   * suspended past its expiry) hands the task `stillHeld`, to ask before each step that must not overlap
   * another holder's; a storage failure there counts as lost.
   */
  run<R>(task: (stillHeld?: () => Promise<boolean>) => Promise<R>): Promise<{ ran: true; value: R } | { ran: false }>;
}

export const LEASE_MS = 15_000;

interface LockManagerLike {
  request<R>(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<R>): Promise<R>;
}

/** An exclusive Web Lock named after the database, taken only if free; undefined where Web Locks are missing. */
export function webLocksDrainLock(databaseName: string): DrainLock | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (!locks || typeof locks.request !== "function") return undefined;
  return {
    run: (task) =>
      locks.request(`synclens:${databaseName}:drain`, { ifAvailable: true }, async (lock) =>
        lock ? { ran: true as const, value: await task() } : { ran: false as const },
      ),
  };
}

/** A lease record in the database's `meta` store, renewed while the drain runs. */
export function leaseDrainLock(store: SyncStore, owner: string): DrainLock {
  return {
    async run(task) {
      if (!(await tryLease(store, owner, Date.now(), LEASE_MS))) return { ran: false };
      const renew = setInterval(() => void tryLease(store, owner, Date.now(), LEASE_MS).catch(() => undefined), LEASE_MS / 3);
      try {
        return { ran: true, value: await task(() => tryLease(store, owner, Date.now(), LEASE_MS).catch(() => false)) };
      } finally {
        clearInterval(renew);
        await releaseLease(store, owner).catch(() => undefined);
      }
    },
  };
}

/**
 * Takes or renews the drain lease for `owner` unless another owner holds an unexpired one. Used only
 * where Web Locks are missing; a holder that dies simply stops renewing.
 */
export async function tryLease(store: SyncStore, owner: string, now: number, durationMs: number): Promise<boolean> {
  return guard("take the drain lease", async () => {
    const tx = store.db.transaction("meta", "readwrite");
    const lease = await tx.store.get("drainLease");
    const free = !lease || lease["owner"] === owner || (lease["expiresAt"] as number) <= now;
    if (free) await tx.store.put({ key: "drainLease", owner, expiresAt: now + durationMs });
    await tx.done;
    return free;
  });
}

async function releaseLease(store: SyncStore, owner: string): Promise<void> {
  await guard("release the drain lease", async () => {
    const tx = store.db.transaction("meta", "readwrite");
    if ((await tx.store.get("drainLease"))?.["owner"] === owner) await tx.store.delete("drainLease");
    await tx.done;
  });
}
