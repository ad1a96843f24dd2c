/**
 * A stand-in for i45's DataContext, written from ../shared/i45-api.md (i45 itself is not installable
 * here, and SyncLens never imports it). One record per storage key holding the whole array as JSON, as
 * i45 does, over a Map that plays the storage location.
 */
export class StorageKeyError extends Error {}
export class StorageLocationError extends Error {}

type Location = "localStorage" | "sessionStorage" | "indexedDB";
const LOCATIONS: Location[] = ["localStorage", "sessionStorage", "indexedDB"];

export interface Metadata {
  createdAt: string;
  updatedAt: string;
  itemCount: number;
  version: number;
}

export class DataContextStandIn<T> {
  readonly storageKey: string;
  readonly storageLocation: Location;
  readonly trackTimestamps: boolean;
  /** Test hooks: make the next store() fail as a crash would leave it; count calls to clear(). */
  failNextStore: Error | null = null;
  clearCalls = 0;
  storeCalls = 0;

  constructor(
    readonly area: Map<string, string>,
    { storageKey = "Items", storageLocation = "localStorage", trackTimestamps = true }: { storageKey?: string; storageLocation?: Location; trackTimestamps?: boolean } = {},
  ) {
    if (typeof storageKey !== "string" || storageKey === "") throw new StorageKeyError("storageKey must be a non-empty string");
    if (!LOCATIONS.includes(storageLocation)) throw new StorageLocationError(`unknown location ${String(storageLocation)}`);
    this.storageKey = storageKey;
    this.storageLocation = storageLocation;
    this.trackTimestamps = trackTimestamps;
  }

  async store(items: T[]): Promise<this> {
    if (!Array.isArray(items)) throw new TypeError("store() takes an array");
    this.storeCalls++;
    if (this.failNextStore) {
      const error = this.failNextStore;
      this.failNextStore = null;
      throw error;
    }
    const now = new Date().toISOString();
    const previous = await this.getMetadata();
    this.area.set(this.storageKey, JSON.stringify(items));
    if (this.trackTimestamps) {
      const meta: Metadata = { createdAt: previous?.createdAt ?? now, updatedAt: now, itemCount: items.length, version: (previous?.version ?? 0) + 1 };
      this.area.set(`${this.storageKey}:meta`, JSON.stringify(meta));
    }
    return this;
  }

  async retrieve(): Promise<T[]> {
    const text = this.area.get(this.storageKey);
    return text === undefined ? [] : (JSON.parse(text) as T[]);
  }

  async remove(): Promise<this> {
    this.area.delete(this.storageKey);
    this.area.delete(`${this.storageKey}:meta`);
    return this;
  }

  /** Wipes the whole storage location, every key: SyncLens must never call it. */
  async clear(): Promise<this> {
    this.clearCalls++;
    this.area.clear();
    return this;
  }

  async getMetadata(): Promise<Metadata | null> {
    const text = this.area.get(`${this.storageKey}:meta`);
    return text === undefined ? null : (JSON.parse(text) as Metadata);
  }
}
