import type { ItemStorage } from "./storage";
import type { SyncItem } from "./types";

/**
 * The part of an i45 `DataContext<T>` SyncLens uses, by shape (SyncLens does not depend on i45).
 * `store()` replaces the whole collection under the context's key; `retrieve()` returns it (`[]` when empty).
 */
export interface I45DataContext<T> {
  store(items: T[]): Promise<unknown>;
  retrieve(): Promise<T[]>;
}

/**
 * Uses an i45 DataContext as the app's item store. i45 keeps a collection as one value, so each write
 * reads and rewrites the whole array (O(n) per write, its design); writes are serialised here so two
 * quick saves never lose one another. Never calls `clear()`, which would wipe the whole storage area.
 */
export function fromI45<T extends SyncItem>(context: I45DataContext<T>): ItemStorage<T> {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <R>(task: () => Promise<R>): Promise<R> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    put: (item) =>
      serial(async () => {
        const items = await context.retrieve();
        const index = items.findIndex((existing) => existing.id === item.id);
        if (index >= 0) items[index] = item;
        else items.push(item);
        await context.store(items);
      }),
    delete: (id) =>
      serial(async () => {
        const items = await context.retrieve();
        const kept = items.filter((existing) => existing.id !== id);
        if (kept.length !== items.length) await context.store(kept);
      }),
    list: () => serial(() => context.retrieve()),
  };
}
