import { describeError, StorageError, SyncLensError } from "../shared/errors.js";
import type { ItemStorage } from "./storage.js";
import { guard, type ItemIntent, type SyncStore } from "./store.js";
import type { SyncItem } from "../shared/types.js";

interface ExclusiveLocks {
  request<R>(name: string, callback: () => Promise<R>): Promise<R>;
}

/**
 * Keeps the app's own item store (the `storage` option) in step with the client's database. Every item
 * change is first recorded as an intent in IndexedDB, in the transaction of the change itself (see
 * `SyncStore.putItem`); `copy()` then copies the recorded intents to the app's store: all in one call when
 * the store has `apply()` (an i45 collection is rewritten once, not once per item), else one at a time.
 *
 * Failure modes:
 * - A copy that fails (a full localStorage, an i45 error) stays recorded and is tried again on the next
 *   `copy()`: reported through `onError` as a `StorageError`, never lost.
 * - Copies never run side by side, in this page or (with Web Locks) in any tab or worker of the origin,
 *   so an older value never lands after a newer one and two tabs never rewrite one collection at once.
 * - A store that does not answer within `timeoutMs` is reported once; callers stop waiting for it (writes
 *   and syncs go on) and copies resume, in order, when it answers.
 */
export class ItemMirror<T extends SyncItem> {
  #copying: Promise<void> = Promise.resolve();
  /** A call into the app's store has been pending for longer than `timeoutMs`. */
  #stuck = false;

  readonly #store: SyncStore;
  readonly #storage: ItemStorage<T>;
  /** The Web Lock every tab's copies to this store take. */
  readonly #lockName: string;
  readonly #timeoutMs: number;
  readonly #onError: (error: SyncLensError) => void;

  constructor(store: SyncStore, storage: ItemStorage<T>, lockName: string, timeoutMs: number, onError: (error: SyncLensError) => void) {
    this.#store = store;
    this.#storage = storage;
    this.#lockName = lockName;
    this.#timeoutMs = timeoutMs;
    this.#onError = onError;
  }

  /** Copies every recorded change; resolves when done, failed and reported, or given up waiting for. */
  copy(): Promise<void> {
    const run = this.#copying.then(() => exclusive(this.#lockName, () => this.#copyAll()));
    this.#copying = run;
    if (this.#stuck) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const givenUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (!this.#stuck) this.#onError(new StorageError(`The app's item store did not answer within ${this.#timeoutMs} ms; copies resume when it does`, undefined));
        this.#stuck = true;
        resolve();
      }, this.#timeoutMs);
    });
    return Promise.race([run, givenUp]).finally(() => clearTimeout(timer));
  }

  async #copyAll(): Promise<void> {
    try {
      const pending = await intents(this.#store);
      if (pending.length === 0) return;
      const { apply } = this.#storage;
      if (apply) {
        await apply.call(this.#storage, {
          put: pending.flatMap((intent) => (intent.value ? [intent.value as T] : [])),
          delete: pending.flatMap((intent) => (intent.value ? [] : [intent.id])),
        });
      } else {
        for (const intent of pending) {
          if (intent.value) await this.#storage.put(intent.value as T);
          else await this.#storage.delete(intent.id);
        }
      }
      await clearIntents(this.#store, pending);
    } catch (error) {
      this.#onError(error instanceof SyncLensError ? error : new StorageError(`Could not copy items to the app's store (${describeError(error)})`, error));
    } finally {
      this.#stuck = false;
    }
  }
}

/** Runs `task` under an exclusive Web Lock where there are Web Locks; as it is elsewhere (Node, old browsers). */
function exclusive<R>(name: string, task: () => Promise<R>): Promise<R> {
  const locks = (globalThis as { navigator?: { locks?: ExclusiveLocks } }).navigator?.locks;
  return locks && typeof locks.request === "function" ? locks.request(name, task) : task();
}

/** Item changes recorded but not yet copied to the app's store: replayed after a crash, in any order. */
function intents(store: SyncStore): Promise<ItemIntent[]> {
  return guard("read item intents", () => store.db.getAll("intents"));
}

/** Forgets the intents once copied, except those a newer one replaced meanwhile. */
async function clearIntents(store: SyncStore, copied: readonly ItemIntent[]): Promise<void> {
  await guard("clear item intents", async () => {
    const tx = store.db.transaction("intents", "readwrite");
    const current = await Promise.all(copied.map((intent) => tx.store.get(intent.id)));
    await Promise.all([...copied.flatMap((intent, index) => (current[index]?.token === intent.token ? [tx.store.delete(intent.id)] : [])), tx.done]);
  });
}
