import type { ItemStorage } from "./storage.js";
import type { SyncItem } from "../shared/types.js";

/**
 * The part of an i45 `DataContext<T>` SyncLens uses, by shape (SyncLens does not depend on i45).
 * `store()` replaces the whole collection under the context's key; `retrieve()` returns it (`[]` when empty).
 */
export interface I45DataContext<T> {
  store(items: T[]): Promise<unknown>;
  retrieve(): Promise<T[]>;
}

/**
 * Uses an i45 DataContext as the app's item store. i45 keeps a collection as one value, so a change
 * reads and rewrites the whole array (O(n), its design); `apply()` makes any number of changes with one
 * read and one rewrite, and the client copies through it. Calls are serialised here so two quick saves
 * never lose one another; across tabs, the client's copies take a Web Lock. Never calls `clear()`, which
 * would wipe the whole storage area.
 */
export function fromI45<T extends SyncItem>(context: I45DataContext<T>): ItemStorage<T> {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <R>(task: () => Promise<R>): Promise<R> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };
  const apply = ({ put, delete: deleted }: { put: T[]; delete: string[] }): Promise<void> =>
    serial(async () => {
      const items = await context.retrieve();
      const changed = new Map<string, T | null>([...put.map((item) => [item.id, item] as const), ...deleted.map((id) => [id, null] as const)]);
      const kept: T[] = [];
      for (const item of items) {
        const change = changed.get(item.id);
        if (change === undefined) kept.push(item);
        else if (change !== null) kept.push(change);
        changed.delete(item.id);
      }
      for (const item of changed.values()) if (item) kept.push(item);
      if (put.length > 0 || kept.length !== items.length) await context.store(kept);
    });
  return {
    put: (item) => apply({ put: [item], delete: [] }),
    delete: (id) => apply({ put: [], delete: [id] }),
    list: () => serial(() => context.retrieve()),
    apply,
  };
}
