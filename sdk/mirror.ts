import { describeError, StorageError, SyncLensError } from "./errors";
import type { ItemStorage } from "./storage";
import { guard, type ItemIntent, type SyncStore } from "./store";
import type { SyncItem } from "./types";

/**
 * Keeps the app's own item store (the `storage` option) in step with the client's database. Every item
 * change is first recorded as an intent in IndexedDB, in the transaction of the change itself (see
 * `SyncStore.putItem`); `copy()` then copies the recorded intents to the app's store, one at a time.
 *
 * Failure modes: a copy that fails (a full localStorage, an i45 error) stays recorded and is tried
 * again on the next `copy()`: reported through `onError` as a `StorageError`, never lost. Copies never
 * run side by side, so an older value never lands after a newer one.
 */
export class ItemMirror<T extends SyncItem> {
  #copying: Promise<void> = Promise.resolve();
  readonly #store: SyncStore;
  readonly #storage: ItemStorage<T>;
  readonly #onError: (error: SyncLensError) => void;

  constructor(store: SyncStore, storage: ItemStorage<T>, onError: (error: SyncLensError) => void) {
    this.#store = store;
    this.#storage = storage;
    this.#onError = onError;
  }

  /** Copies every recorded change; resolves when done (or failed and reported). */
  copy(): Promise<void> {
    this.#copying = this.#copying.then(async () => {
      try {
        for (const intent of await intents(this.#store)) {
          if (intent.value) await this.#storage.put(intent.value as T);
          else await this.#storage.delete(intent.id);
          await clearIntent(this.#store, intent);
        }
      } catch (error) {
        this.#onError(error instanceof SyncLensError ? error : new StorageError(`Could not copy items to the app's store (${describeError(error)})`, error));
      }
    });
    return this.#copying;
  }
}

/** Item changes recorded but not yet copied to the app's store: replayed after a crash, in any order. */
function intents(store: SyncStore): Promise<ItemIntent[]> {
  return guard("read item intents", () => store.db.getAll("intents"));
}

/** Forgets an intent once copied, unless a newer one replaced it meanwhile. */
async function clearIntent(store: SyncStore, intent: ItemIntent): Promise<void> {
  await guard("clear an item intent", async () => {
    const tx = store.db.transaction("intents", "readwrite");
    if ((await tx.store.get(intent.id))?.token === intent.token) await tx.store.delete(intent.id);
    await tx.done;
  });
}
