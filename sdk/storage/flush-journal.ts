/**
 * The pagehide flush's record of the operations it fired, kept in `localStorage`: the only storage a page
 * can write synchronously while it goes away. A fired operation may have reached the server under its
 * key, so it must never be rewritten by coalescing: a server refuses (or, worse, ignores) a new body
 * under a key it has applied. The page marks its fired operations as sent in IndexedDB afterwards, but a
 * page that is going away may not live to commit that; until someone does, this record stands in for it.
 * Every client over the same database reads it before each write and marks what it lists as sent.
 *
 * Failure modes: where `localStorage` is missing or refuses (workers, Node, storage disabled, a
 * sandboxed frame, a full quota), nothing is recorded and a write in the short window before the mark
 * commits can still rewrite a fired operation. A client in a worker cannot read the record.
 */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Entries kept at most; a flush fires at most one batch (500 operations). */
const MAX_ENTRIES = 1000;

export class FlushJournal {
  readonly #key: string;
  readonly #storage: KeyValueStorage | undefined;

  constructor(databaseName: string, storage: KeyValueStorage | undefined) {
    // Not under `synclens:<name>:`, where webStorageItems keeps the items: an item "fired" would be overwritten, and listed.
    this.#key = `synclens-fired:${databaseName}`;
    this.#storage = storage;
  }

  /** The outbox `seq`s fired and not yet marked as sent; empty when none, or unreadable. */
  read(): number[] {
    try {
      const text = this.#storage?.getItem(this.#key);
      const seqs: unknown = text ? JSON.parse(text) : [];
      return Array.isArray(seqs) ? seqs.filter((seq): seq is number => Number.isSafeInteger(seq)) : [];
    } catch {
      return [];
    }
  }

  record(seqs: readonly number[]): void {
    this.#write([...new Set([...this.read(), ...seqs])].slice(-MAX_ENTRIES));
  }

  /** Drops `seqs`: they are marked as sent in the database now. */
  forget(seqs: readonly number[]): void {
    const marked = new Set(seqs);
    this.#write(this.read().filter((seq) => !marked.has(seq)));
  }

  #write(seqs: number[]): void {
    try {
      if (seqs.length > 0) this.#storage?.setItem(this.#key, JSON.stringify(seqs));
      else this.#storage?.removeItem(this.#key);
    } catch {
      // Full or disabled storage: see the failure modes above.
    }
  }
}
