import { InvalidOptionsError } from "../shared/errors.js";
import type { SyncItem } from "../shared/types.js";

/**
 * The app's own item store, kept in step with the client (the outbox always stays in IndexedDB).
 * Implement it to sync data that lives elsewhere; `fromI45` wraps an i45 DataContext.
 */
export interface ItemStorage<T extends SyncItem = SyncItem> {
  put(item: T): Promise<void>;
  delete(id: string): Promise<void>;
  list(): Promise<T[]>;
  /**
   * Optional: makes several changes in one go (ids in `put` and `delete` are distinct). Give it to a store
   * that rewrites a whole collection per change (as i45 does): a pull of n items then costs one rewrite,
   * not n.
   */
  apply?(changes: { put: T[]; delete: string[] }): Promise<void>;
}

/** Where items live: in the client's IndexedDB database only (default), or copied to a store of the app's. */
export type StorageOption<T extends SyncItem = SyncItem> = "indexeddb" | "localstorage" | "sessionstorage" | ItemStorage<T>;

/**
 * Items in Web Storage (localStorage or sessionStorage), one key per item: `synclens:<name>:<id>`, so a
 * write costs one item, not the whole collection. A full storage throws the browser's QuotaExceededError,
 * which the client reports as `StorageError` (`quota_exceeded`) and retries on the next write or start.
 */
export function webStorageItems<T extends SyncItem>(storage: Storage, name: string): ItemStorage<T> {
  const prefix = `synclens:${name}:`;
  return {
    async put(item) {
      storage.setItem(prefix + item.id, JSON.stringify(item));
    },
    async delete(id) {
      storage.removeItem(prefix + id);
    },
    async list() {
      const items: T[] = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        const text = key?.startsWith(prefix) ? storage.getItem(key) : null;
        if (text !== null) items.push(JSON.parse(text) as T);
      }
      return items;
    },
  };
}

/** Resolves the `storage` option: `undefined` means IndexedDB only. */
export function resolveStorage<T extends SyncItem>(option: StorageOption<T> | undefined, name: string): ItemStorage<T> | undefined {
  if (option === undefined || option === "indexeddb") return undefined;
  if (option === "localstorage" || option === "sessionstorage") {
    const storage = (globalThis as { localStorage?: Storage; sessionStorage?: Storage })[option === "localstorage" ? "localStorage" : "sessionStorage"];
    if (!storage) throw new InvalidOptionsError("storage", `${option} is not available here (workers and Node have none)`);
    return webStorageItems<T>(storage, name);
  }
  if (typeof option === "object" && option !== null && ["put", "delete", "list"].every((method) => typeof (option as unknown as Record<string, unknown>)[method] === "function")) {
    return option;
  }
  throw new InvalidOptionsError("storage", 'expected "indexeddb", "localstorage", "sessionstorage" or an ItemStorage (put, delete, list)');
}
