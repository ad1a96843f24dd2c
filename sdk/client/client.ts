import { browserEnvironment, type EnvironmentSignals } from "../shared/environment.js";
import { ClientClosedError, InvalidOptionsError, SyncLensError } from "../shared/errors.js";
import type { Caller, CoreSyncEvents, DeadLetter, PendingOperation, SyncEvents, SyncItem, SyncMetrics, SyncResult, SyncStatus } from "../shared/types.js";
import { SyncStore } from "../storage/store.js";
import { assertValidId } from "../sync/validate.js";
import { isHeaderRecord, type HeadersInput } from "../transport/transport.js";
import { HEADERS_EXPECTED, resolveOptions, type CoreSyncClientOptions, type ResolvedOptions } from "./options.js";
import { TriggerLayer } from "./triggers.js";

/**
 * The core SyncLens client (`synclens/core`): a local store of `T` items whose writes drain to the
 * server through a durable outbox. The full client (`synclens`) adds pulling, conflict handling, read
 * policies, an app item store, the timeline and snapshots.
 */
export interface CoreSyncClient<T extends SyncItem> {
  readonly name: string;
  /** Resolves when the local database is open and the queue state is loaded; rejects with a `StorageError`. */
  readonly ready: Promise<void>;
  /** The current state; a new object on each read. Subscribe with `on("status", …)` for changes. */
  readonly status: SyncStatus;
  /** Writes the item locally and queues its upload, in one transaction. Validates before writing anything. */
  save(item: T): Promise<T>;
  /** Deletes the item locally and queues the delete, in one transaction. */
  delete(id: string): Promise<void>;
  /** The local copy. */
  get(id: string): Promise<T | undefined>;
  list(): Promise<T[]>;
  /** Pushes the outbox (joining a drain already running). Never rejects for network or server faults. */
  sync(): Promise<SyncResult>;
  on<K extends keyof CoreSyncEvents<T>>(event: K, listener: (payload: CoreSyncEvents<T>[K]) => void): () => void;
  /**
   * Pending operations, oldest first: the first `limit` of them when given, and only those whose `seq` is
   * greater than `after` when given (so a long queue can be read page by page).
   */
  queue(options?: { limit?: number; after?: number }): Promise<PendingOperation<T>[]>;
  deadLetters(): Promise<DeadLetter<T>[]>;
  /** Puts a dead letter back in its original place in the queue. Throws `not_found` for an unknown opId. */
  retryDeadLetter(opId: string): Promise<void>;
  /** Returns how many dead letters were put back. */
  retryAllDeadLetters(): Promise<number>;
  /** Removes a dead letter for good; later operations of its item may then proceed. */
  discardDeadLetter(opId: string): Promise<void>;
  metrics(): SyncMetrics;
  /**
   * While true, the client sends nothing at all (no syncs, no pings, no unload flush). `by` names who asked
   * (`status.blocked`); the DevTools panel passes `"panel"`.
   */
  setOffline(offline: boolean, by?: Caller): void;
  /**
   * Replaces the request headers (e.g. a refreshed token) and lifts a 401/403 pause. Throws
   * `InvalidOptionsError` for headers fetch could not send (a `Headers` instance, non-Latin-1 values).
   */
  setHeaders(headers: HeadersInput): void;
  /** Stops automatic and manual syncs until `resume()`. Writes are still accepted and queued. `by`: as for `setOffline`. */
  pause(by?: Caller): void;
  /** Lifts `pause()` and a 401/403 pause, then syncs. `by`: as for `setOffline`. */
  resume(by?: Caller): void;
  /** Stops timers and listeners, aborts requests in flight (their operations stay queued) and closes the database. */
  close(): Promise<void>;
}

/**
 * Creates a core client. A version conflict (409) is dead-lettered with reason `conflict` and the
 * server's reply kept; the full client resolves it instead. Throws `InvalidOptionsError` synchronously
 * for bad options.
 */
export function createSyncClient<T extends SyncItem>(options: CoreSyncClientOptions): CoreSyncClient<T> {
  return new Client<T>(resolveOptions(options), options.environment ?? browserEnvironment);
}

/**
 * The core client, in layers: each in a file of its own, built on the one below it.
 * - status.ts: what `status` reports (the queue's counters, the holds on sending with `setOffline()`,
 *   `pause()` and `resume()`, the last error, metrics);
 * - batch.ts: one batch sent, and settled from its replies (the circuit, `Retry-After`);
 * - drain.ts: `sync()` and the drains, one at a time per database, batch after batch;
 * - writes.ts: `save()`, `delete()`, dead letters put back or discarded, the pagehide flush;
 * - triggers.ts: what starts a drain (writes, connectivity, visibility, the interval, wake-ups);
 * - here: the reads, `setHeaders()`, opening and closing.
 * A layer keeps its state private and declares what it needs of the layers above as abstract members.
 * Layers rather than composed parts, because the parts' fields and methods would keep their names in the
 * minified bundles, where a class's private names do not: composed, the split cost the core 1 kB gzipped.
 * The protected members are the surface the full client (full-client.ts) extends: the hooks are empty
 * here, so that the core carries none of the optional features' code. `Context` is what a `sync()` call
 * hands to the drain it starts (the full client: a conflict strategy).
 */
export class Client<T extends SyncItem, Context = never> extends TriggerLayer<T, Context> implements CoreSyncClient<T> {
  readonly name: string;
  readonly ready: Promise<void>;

  constructor(options: ResolvedOptions, environment: EnvironmentSignals) {
    super(options, environment);
    this.name = options.name;
    // Opened a tick later, once a subclass's constructor has run: its hooks may use its own fields.
    this.ready = Promise.resolve().then(() => this.#open());
    // A failed open is reported through `ready` and every later call; never as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  async get(id: string): Promise<T | undefined> {
    this.assertOpen();
    assertValidId(id);
    await this.ready;
    return (await this.store.getItem(id)) as T | undefined;
  }

  async list(): Promise<T[]> {
    this.assertOpen();
    await this.ready;
    return (await this.store.listItems()) as T[];
  }

  async queue({ limit, after }: { limit?: number; after?: number } = {}): Promise<PendingOperation<T>[]> {
    this.assertOpen();
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) throw new SyncLensError("invalid_argument", "queue({ limit }) must be a positive integer");
    if (after !== undefined && !Number.isFinite(after)) throw new SyncLensError("invalid_argument", "queue({ after }) must be a finite number");
    await this.ready;
    return (await this.store.pending(limit, after)) as PendingOperation<T>[];
  }

  async deadLetters(): Promise<DeadLetter<T>[]> {
    this.assertOpen();
    await this.ready;
    return (await this.store.deadLetters()) as DeadLetter<T>[];
  }

  on<K extends keyof SyncEvents<T>>(event: K, listener: (payload: SyncEvents<T>[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  setHeaders(headers: HeadersInput): void {
    if (typeof headers !== "function" && !isHeaderRecord(headers)) throw new InvalidOptionsError("headers", HEADERS_EXPECTED);
    this.transport.setHeaders(headers);
    // Lifts the 401/403 pause only: an app's own pause() holds until its resume().
    if (this.authPaused && !this.closed) {
      this.liftAuthPause();
      this.emitStatus();
      this.kick();
    }
  }

  async close(): Promise<void> {
    if (!this.closing()) return;
    try {
      await this.ready;
    } catch {
      return;
    }
    await this.whenDrained();
    await this.connectivity.settled();
    this.store.close();
    this.emitStatus();
    this.events.clear();
  }

  async #open(): Promise<void> {
    this.store = await this.openStore();
    if (this.closed) {
      this.store.close();
      throw new ClientClosedError();
    }
    this.openDrainLock();
    await this.adoptJournal().catch((error: unknown) => this.reportError(error));
    await this.opened();
    await this.refreshCounts();
    await this.itemsChanged(); // finishes what a previous page recorded but did not get to do
    if (this.closed) return; // close() ran meanwhile: no listeners, no timers
    this.listen();
    this.emitStatus();
    this.kick();
  }

  // ---- hooks: empty in the core, filled in by the full client (the other layers have theirs) ----

  /** Opens the client's database. */
  protected openStore(): Promise<SyncStore> {
    return SyncStore.open(this.options.indexedDB, this.options.name);
  }

  /** The database is open; the counters are loaded next. */
  protected async opened(): Promise<void> {}
}
