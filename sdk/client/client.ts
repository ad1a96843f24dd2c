import { backoffDelay, retryDelay } from "../sync/backoff.js";
import { Connectivity } from "../transport/connectivity.js";
import { classify, type SendOutcome } from "../sync/classify.js";
import { leaseDrainLock, webLocksDrainLock, type DrainLock } from "../tabs/drain-lock.js";
import { Emitter } from "../observe/emitter.js";
import { FlushJournal } from "../storage/flush-journal.js";
import type { CoreTrace } from "../observe/trace.js";
import { browserEnvironment, newOperationId, unref, type EnvironmentSignals } from "../shared/environment.js";
import { ClientClosedError, InvalidOptionsError, QueueFullError, SyncLensError, SyncRequestError } from "../shared/errors.js";
import { MetricsRecorder } from "../observe/metrics.js";
import { HEADERS_EXPECTED, MAX_TIMER_MS, resolveOptions, type CoreSyncClientOptions, type ResolvedOptions } from "./options.js";
import { SyncStore, type ReadyBatch, type ServerVersion, type SettleAction, type WriteEffect } from "../storage/store.js";
import { pushThrough } from "../transport/outcomes.js";
import { HttpTransport, isHeaderRecord, keepaliveRoom, toWireOp, type HeadersInput, type WireOp } from "../transport/transport.js";
import { UnloadHeads } from "../storage/unload-heads.js";
import type {
  Caller,
  CoreSyncEvents,
  DeadLetter,
  PendingOperation,
  SyncEvents,
  SyncItem,
  SyncMetrics,
  QueueChange,
  SyncResult,
  SyncState,
  SyncStatus,
  SyncBlocked,
} from "../shared/types.js";
import { acceptedRecord, attemptError, serverCurrent, type FailedOutcome } from "../sync/replies.js";
import { assertValidId, assertValidItem } from "../sync/validate.js";

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

/** How soon to try again when another tab or worker holds the drain. */
const BUSY_RETRY_MS = 1000;

/**
 * The server failing as a whole (5xx, timeouts: `slow`, network errors, with no operation of a batch going
 * through): no operation is blamed; drains wait until `until`, then one batch probes, on the backoff
 * schedule of `failures`. Any acknowledged operation closes it.
 */
interface Circuit {
  kind: "server" | "slow";
  failures: number;
  until: number;
}
const CLOSED: Circuit = { kind: "server", failures: 0, until: 0 };

/**
 * The core client. Its protected members are the surface the full client (full-client.ts) extends:
 * the hooks below are empty here, so that the core carries none of the optional features' code.
 * `Context` is what a `sync()` call hands to the drain it starts (the full client: a conflict strategy).
 */
export class Client<T extends SyncItem, Context = never> implements CoreSyncClient<T> {
  readonly name: string;
  readonly ready: Promise<void>;

  // Set by #open() before `ready` resolves; every use awaits `ready` first.
  protected store!: SyncStore;
  #lock!: DrainLock;
  protected readonly transport: HttpTransport;
  protected readonly events = new Emitter<SyncEvents<T>>();
  readonly #recorder = new MetricsRecorder();
  /** Aborted by close() and by setOffline(true): what is in flight stops, and nothing new starts. */
  #requests = new AbortController();
  #unsubscribe: () => void = () => undefined;

  protected pending = 0;
  #oldestPendingAt: number | null = null;
  #deadCount = 0;
  protected conflictCount = 0;
  /** Counts this client's own changes to its counters, so that a concurrent re-read does not undo them. */
  #localChanges = 0;
  /** Operations being sent: the drain skips them, and writes must not rewrite them. */
  readonly #inFlight = new Set<number>();
  /** Operations fired at pagehide whose attempt mark is not stored yet: writes must not rewrite them. */
  readonly #flushed = new Set<number>();
  protected readonly unloadHeads = new UnloadHeads();
  readonly #journal: FlushJournal;
  /** Marks the operations this client may fire at pagehide, so that no other client rewrites them. */
  readonly #holder: string | undefined;

  protected readonly connectivity: Connectivity;
  #forcedOffline = false;
  #paused = false;
  protected authPaused = false;
  #closed = false;
  #lastSyncAt: number | null = null;
  protected lastError: SyncLensError | null = null;
  #draining: Promise<SyncResult> | null = null;
  /** A drain holds the lock and runs (not merely asked for it: another tab may hold it). */
  #running = false;
  /** The last skip reason logged, so a drain retried every second while another tab drains logs it once. */
  #lastSkip: string | undefined;
  /** The running drain has looked at the queue for the last time: a new request must start another one. */
  #drainEnding = false;
  /** Drains in a row that threw (storage, headers): sets their retry delay. */
  #drainErrors = 0;
  /** Until when the server asked for quiet (Retry-After): drains send nothing, not even a pull, before then. */
  #throttledUntil = 0;
  #circuit = CLOSED;
  /** Who forced offline or paused, and since when (for `status.blocked`). */
  #offlineBy = { by: "app" as Caller, since: 0 };
  #pausedBy = { by: "app" as Caller, since: 0 };
  /** Since when drains found another tab or worker holding the lock; null once one ran here. */
  #busySince: number | null = null;
  /** The drain's holder, as it recorded itself, when this client last found the drain busy. */
  #busyHolder: { page?: string; since: number } | undefined;
  /** When the earliest pending operation in backoff is due, as the last drain found nothing due before it. */
  #dueAt: number | null = null;
  /** The items held by dead letters, as last read (at most the first 20 are reported). */
  #deadItems: readonly string[] = [];
  /** Writes begun and not yet committed: near `maxQueueSize`, a write waits for them to know the count. */
  readonly #writing = new Set<Promise<WriteEffect>>();
  /** Items with a write under way, and how many. */
  readonly #writingIds = new Map<string, number>();
  /** Set when the queue changed during a drain: the drain runs another round before it ends. */
  protected rerun = false;
  #wakeTimer: ReturnType<typeof setTimeout> | undefined;
  #wakeAt = Infinity;
  #intervalTimer: ReturnType<typeof setInterval> | undefined;
  #kickScheduled = false;
  #lastStatus: SyncStatus | undefined;
  #emittingStatus = false;
  #statusChangedMeanwhile = false;
  #lastState: SyncState = "idle";

  protected readonly options: ResolvedOptions;
  readonly #environment: EnvironmentSignals;

  constructor(options: ResolvedOptions, environment: EnvironmentSignals) {
    this.options = options;
    this.#environment = environment;
    this.name = options.name;
    this.#journal = new FlushJournal(options.name, environment.localStorage?.());
    this.#holder = options.triggers.flushOnPageHide ? newOperationId() : undefined;
    this.connectivity = new Connectivity({
      browserSaysOnline: () => environment.browserSaysOnline(),
      ping: async (superseded) => {
        if (options.pingUrl === false) return true;
        const reachable = await this.transport.ping(options.pingUrl, options.pingTimeoutMs, this.requests, superseded);
        this.trace({ type: "probe", url: options.pingUrl, reachable });
        return reachable;
      },
      backoff: options.backoff,
      mayProbe: () => !this.#closed && !this.#forcedOffline,
      onChange: (online) => {
        // Back from being unreachable (a real ping answered): what waited goes now, with a pull when onOnline
        // asks (a probe that found the server back has no browser event of its own).
        if (online && options.pingUrl !== false) this.#circuit = { ...this.#circuit, until: 0 };
        this.emitStatus();
        if (online) this.kick(options.triggers.onOnline);
      },
    });
    this.transport = new HttpTransport({
      endpoint: options.endpoint,
      fetch: options.fetch,
      headers: options.headers,
      timeoutMs: options.timeoutMs,
      onRequest: ({ bytes, rawBytes, latencyMs }) => this.#recorder.request(bytes, rawBytes, latencyMs),
    });
    // Opened a tick later, once a subclass's constructor has run: its hooks may use its own fields.
    this.ready = Promise.resolve().then(() => this.#open());
    // A failed open is reported through `ready` and every later call; never as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  get status(): SyncStatus {
    const offline = this.#forcedOffline || !this.connectivity.online;
    return {
      state: offline ? "offline" : this.#running ? "syncing" : this.conflictCount ? "conflict" : this.lastError || this.#deadCount ? "error" : "idle",
      online: this.connectivity.online,
      forcedOffline: this.#forcedOffline,
      paused: this.#paused,
      authPaused: this.authPaused,
      pending: this.pending,
      deadLetters: this.#deadCount,
      conflicts: this.conflictCount,
      lastSyncAt: this.#lastSyncAt,
      lastError: this.lastError,
      closed: this.#closed,
      blocked: this.#blocked(),
    };
  }

  /** Why nothing is being sent, and until when (see `SyncBlocked`): the first that applies. */
  #blocked(): SyncBlocked | null {
    const now = Date.now();
    const work = this.pending > 0;
    const { until, failures: attempt, kind } = this.#circuit;
    if (this.#forcedOffline) return { reason: "forced-offline", ...this.#offlineBy };
    if (this.#paused) return { reason: "paused", ...this.#pausedBy };
    if (this.authPaused) {
      const status = (this.lastError as SyncRequestError | null)?.status;
      return { reason: "auth", ...(status ? { status } : {}), fix: "call setHeaders() with fresh credentials (it resumes), or resume()" };
    }
    const { online, lastProbeAt, nextProbeAt } = this.connectivity;
    if (!online) return { reason: "unreachable", url: this.options.pingUrl || this.options.endpoint, lastProbeAt, nextProbeAt };
    if (now < this.#throttledUntil) return { reason: "throttled", until: this.#throttledUntil };
    if (work && now < until) return kind === "slow" ? { reason: "slow", timeoutMs: this.options.timeoutMs, until, attempt } : { reason: "backoff", until, attempt };
    if (work && this.#busySince !== null) return { reason: "busy", since: this.#busySince, ...(this.#busyHolder ? { holder: this.#busyHolder } : {}) };
    if (work && !this.#draining && this.#dueAt !== null && now < this.#dueAt) return { reason: "backoff", until: this.#dueAt };
    if (this.#deadCount) return { reason: "dead-letters", count: this.#deadCount, items: this.#deadItems.slice(0, 20) };
    return this.conflictCount ? { reason: "conflicts", count: this.conflictCount } : null;
  }

  async save(item: T): Promise<T> {
    this.assertOpen();
    await this.#refusable("save", async () => {
      assertValidItem<T>(item);
      await this.ready;
      await this.#write("save", item.id, item);
    });
    await this.itemsChanged();
    this.events.emit("change", { type: "save", id: item.id, value: item, source: "local" });
    return item;
  }

  async delete(id: string): Promise<void> {
    this.assertOpen();
    await this.#refusable("delete", async () => {
      assertValidId(id);
      await this.ready;
      await this.#write("delete", id, undefined);
    });
    await this.itemsChanged();
    this.events.emit("change", { type: "delete", id, source: "local" });
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

  async retryDeadLetter(opId: string): Promise<void> {
    if ((await this.#retryLetters([opId])) === 0) throw new SyncLensError("not_found", `No dead letter with opId ${opId}`);
  }

  async retryAllDeadLetters(): Promise<number> {
    return this.#retryLetters("all");
  }

  async discardDeadLetter(opId: string): Promise<void> {
    this.assertOpen();
    await this.ready;
    const discarded = await this.store.discardDeadLetter(opId);
    if (!discarded) throw new SyncLensError("not_found", `No dead letter with opId ${opId}`);
    const { letter, restored } = discarded;
    this.#localChanges++;
    this.forgetDeadLetter();
    const id = letter.itemId;
    // The item back to what the server has: the app (and, through the trace, other tabs) sees the discarded edit undone.
    this.trace({ type: "letters", requeued: false, ...(restored === undefined ? {} : { restored: { id, kind: restored ? "save" : "delete" } }) });
    if (restored !== undefined) {
      await this.itemsChanged();
      this.events.emit("change", restored ? { type: "save", id, value: restored as T, source: "local" } : { type: "delete", id, source: "local" });
    }
    this.#clearErrorIfNothingLeft();
    this.emitStatus();
    this.kick();
  }

  metrics(): SyncMetrics {
    return this.#recorder.snapshot(this.pending, this.#oldestPendingAt, Date.now());
  }

  on<K extends keyof SyncEvents<T>>(event: K, listener: (payload: SyncEvents<T>[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  setOffline(offline: boolean, by: Caller = "app"): void {
    if (this.#closed || this.#forcedOffline === offline) return;
    this.#forcedOffline = offline;
    this.#offlineBy = { by, since: Date.now() };
    this.trace({ type: "control", action: offline ? "setOffline" : "setOnline", by });
    if (offline) {
      this.#clearTimers();
      this.#requests.abort(); // requests in flight too: their operations stay queued
    } else {
      this.#requests = new AbortController();
    }
    this.emitStatus();
    if (!offline) void this.connectivity.probe().then(() => this.kick(true));
  }

  setHeaders(headers: HeadersInput): void {
    if (typeof headers !== "function" && !isHeaderRecord(headers)) throw new InvalidOptionsError("headers", HEADERS_EXPECTED);
    this.transport.setHeaders(headers);
    // Lifts the 401/403 pause only: an app's own pause() holds until its resume().
    if (this.authPaused && !this.#closed) {
      this.#liftAuthPause();
      this.emitStatus();
      this.kick();
    }
  }

  pause(by: Caller = "app"): void {
    if (this.#closed || this.#paused) return;
    this.#paused = true;
    this.#pausedBy = { by, since: Date.now() };
    this.trace({ type: "control", action: "pause", by });
    this.emitStatus();
  }

  resume(by: Caller = "app"): void {
    if (this.#closed) return;
    this.trace({ type: "control", action: "resume", by });
    this.#paused = false;
    if (this.authPaused) this.#liftAuthPause();
    this.emitStatus();
    this.kick();
  }

  sync(): Promise<SyncResult> {
    return this.syncWith();
  }

  /** `sync()`, handing `context` to the drain it starts (a drain already running keeps its own). */
  protected async syncWith(context?: Context): Promise<SyncResult> {
    const skipped = this.#closed ? "closed" : undefined;
    if (skipped) return this.#emptyResult(skipped);
    await this.ready;
    if (!this.connectivity.online && !this.#forcedOffline) await this.connectivity.probe();
    this.#circuit = { ...this.#circuit, until: 0 }; // asked for now: the next batch is the probe
    const blocked = this.blockedReason();
    if (blocked) return this.#emptyResult(blocked);
    return this.#drain(context);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#clearTimers();
    clearInterval(this.#intervalTimer);
    this.#requests.abort();
    this.emitStatus(); // closed: listeners (the DevTools bridge) know at once
    try {
      await this.ready;
    } catch {
      return;
    }
    await this.#draining?.catch(() => undefined);
    await this.connectivity.settled();
    this.store.close();
    this.emitStatus();
    this.events.clear();
  }

  // ---- lifecycle ----

  async #open(): Promise<void> {
    this.store = await this.openStore();
    if (this.#closed) {
      this.store.close();
      throw new ClientClosedError();
    }
    this.#lock = this.createDrainLock();
    await this.#adoptJournal(this.#journal.read()).catch((error: unknown) => this.reportError(error));
    await this.opened();
    await this.refreshCounts();
    await this.itemsChanged(); // finishes what a previous page recorded but did not get to do
    if (this.#closed) return; // close() ran meanwhile: no listeners, no timers
    this.#unsubscribe = this.#environment.subscribe({
      online: () =>
        void this.connectivity.probe(true).then(() => {
          if (this.options.triggers.onOnline) this.kick(true);
        }),
      offline: () => this.connectivity.set(false),
      visible: () => {
        if (this.options.triggers.onVisible) this.#refreshAndKick();
        else void this.refreshCounts();
      },
      pagehide: () => {
        if (this.options.triggers.flushOnPageHide) this.#flushOnPageHide();
      },
    });
    if (this.options.triggers.intervalMs > 0) {
      this.#intervalTimer = setInterval(() => this.#refreshAndKick(), this.options.triggers.intervalMs);
      unref(this.#intervalTimer);
    }
    this.emitStatus();
    this.kick();
  }

  // ---- hooks: empty in the core, filled in by the full client ----

  /** Opens the client's database. */
  protected openStore(): Promise<SyncStore> {
    return SyncStore.open(this.options.indexedDB, this.options.name);
  }

  /** One drain at a time per database, across tabs and workers (see tabs/drain-lock.ts). */
  protected createDrainLock(): DrainLock {
    return webLocksDrainLock(this.options.name) ?? leaseDrainLock(this.store, newOperationId());
  }

  /** The database is open; the counters are loaded next. */
  protected async opened(): Promise<void> {}

  /** Local items changed (a write, a pull, a resolution), committed. */
  protected async itemsChanged(): Promise<void> {}

  /** Whether a refresh trigger (online, visible, interval) has work even with nothing to push. */
  protected refreshes(): boolean {
    return false;
  }

  /** A drain won the lock and is about to start, for `context` (absent when not started by `sync()`). */
  protected drainStarting(_context: Context | undefined): void {}

  /** Before the first batch of a drain. */
  protected async beforePush(): Promise<void> {}

  /** After the outbox is drained (when not blocked); adds to `result` and returns whether something failed. */
  protected async afterPush(_result: SyncResult): Promise<boolean> {
    return false;
  }

  /** The request for an operation, from the item's last synced copy. */
  protected wireOp(op: PendingOperation, base: ServerVersion | undefined): WireOp {
    return toWireOp(op, base);
  }

  /** Sends a batch's requests; one outcome per request. Throws only when `signal` aborts. */
  protected async send(wires: WireOp[], signal: AbortSignal, headers: Record<string, string>): Promise<SendOutcome[]> {
    const custom = this.options.transport;
    if (!custom) return this.transport.send(wires, signal, headers);
    // One push is one request to the metrics, whatever the transport makes of it.
    const started = Date.now();
    const outcomes = await pushThrough(custom, wires, signal);
    this.#recorder.request(0, 0, Date.now() - started);
    return outcomes;
  }

  /** Aborts when the client closes or is forced offline. */
  protected get requests(): AbortSignal {
    return this.#requests.signal;
  }

  /** Whether a 409 is to be parked as a conflict (then `conflictsFound` follows); in the core it is dead-lettered. */
  protected parkConflict(_op: PendingOperation, _outcome: FailedOutcome): boolean {
    return false;
  }

  /** The conflicts `parkConflict` took are to be parked (the batch is settled, their operations still queued). */
  protected async conflictsFound(_now: number): Promise<void> {}

  /** What the core did (see observe/trace.ts). */
  protected trace(_event: CoreTrace): void {}

  /** Whether `close()` has been called. */
  protected get closed(): boolean {
    return this.#closed;
  }

  protected assertOpen(): void {
    if (this.#closed) throw new ClientClosedError();
  }

  // ---- writes ----

  /** A local write refused (invalid, storage full or failing, queue full) is counted and reported, then thrown to its caller. */
  async #refusable(kind: "save" | "delete", write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.#recorder.refusedWrites++;
      this.reportError(error, kind);
      throw error;
    }
  }

  async #write(kind: "save" | "delete", id: string, value: T | undefined): Promise<WriteEffect> {
    try {
      return await this.#writeOnce(kind, id, value);
    } catch (error) {
      if (!(error instanceof QueueFullError)) throw error;
      // The count may be stale (another tab drained the queue): read it again before refusing for good.
      await this.refreshCounts();
      return this.#writeOnce(kind, id, value);
    }
  }

  async #writeOnce(kind: "save" | "delete", id: string, value: T | undefined): Promise<WriteEffect> {
    const fired = this.#journal.read(); // a page that went away may have fired some (see storage/flush-journal.ts)
    if (fired.length > 0) void this.#adoptJournal(fired).catch((error: unknown) => this.reportError(error));
    // Each uncommitted write may add an operation: near the limit, wait until they have, or have not.
    while (this.#writing.size > 0 && this.pending + this.#writing.size >= this.options.maxQueueSize) await Promise.allSettled([...this.#writing]);
    const context = {
      now: Date.now(),
      newOpId: newOperationId,
      // The journal is read again: another tab may fire while this write's reads are pending.
      isFrozen: (seq: number) => this.#inFlight.has(seq) || this.#flushed.has(seq) || fired.includes(seq) || this.#journal.read().includes(seq),
      maxQueueSize: this.options.maxQueueSize,
      pending: this.pending + this.#writing.size,
      holder: this.#holder,
    };
    const write = this.store.write(kind, id, value, context);
    this.#writing.add(write);
    this.#writingIds.set(id, (this.#writingIds.get(id) ?? 0) + 1);
    try {
      const effect = await write;
      this.#afterWrite(effect, id, kind);
      return effect;
    } finally {
      this.#writing.delete(write);
      const left = this.#writingIds.get(id)! - 1;
      if (left > 0) this.#writingIds.set(id, left);
      else this.#writingIds.delete(id);
    }
  }

  #afterWrite(effect: WriteEffect, id: string, kind: "save" | "delete"): void {
    this.#localChanges++;
    if (this.pending === 0 && effect.queueDelta === 1) this.#oldestPendingAt = Date.now();
    // Not below 0: the dropped operation may be another tab's, never counted here.
    this.pending = Math.max(0, this.pending + effect.queueDelta);
    if (this.pending === 0) this.#oldestPendingAt = null;
    else if (effect.queueDelta < 0) void this.#readOldest();
    const { op } = effect;
    this.trace({ type: "write", kind, id, effect });
    if (op && effect.head && !effect.blocked) this.unloadHeads.remember(op, this.wireOp(op, effect.base));
    else if (!op) this.unloadHeads.forgetItem(id);
    this.emitStatus();
    if (this.options.triggers.onWrite) this.kick();
  }

  /**
   * The page is going away: fire the queue heads we hold in memory as one keepalive request. IndexedDB
   * cannot be awaited here, so only what is cached goes; everything stays queued and is sent again (same
   * idempotency keys, so never applied twice) on the next load.
   */
  #flushOnPageHide(): void {
    // A keepalive request is the protocol's: an app's transport has no way to go out with the page.
    if (this.blockedReason() || this.unloadHeads.size === 0 || this.options.transport) return;
    // A head whose item has a write under way may be rewritten by it: what would be fired is already stale.
    const { wires, seqs } = this.unloadHeads.take(this.options.batchSize, (itemId) => this.#writingIds.has(itemId), keepaliveRoom());
    if (wires.length === 0) return;
    this.#journal.record(seqs); // first: the page may not live to mark them in IndexedDB
    this.transport.flushKeepalive(wires);
    for (const seq of seqs) this.#flushed.add(seq);
    this.store
      .markAttempted(seqs, Date.now())
      .then(() => {
        this.#journal.forget(seqs);
        for (const seq of seqs) this.#flushed.delete(seq);
      })
      .catch((error: unknown) => this.reportError(error));
  }

  // ---- draining ----

  protected blockedReason(): SyncResult["skipped"] {
    if (this.#closed) return "closed";
    if (this.#forcedOffline || !this.connectivity.online) return "offline";
    if (this.#paused) return "paused";
    if (this.authPaused) return "auth";
    return undefined;
  }

  /** Schedules a drain on the next tick, so that writes made in the same tick share a batch. */
  protected kick(refresh = false): void {
    // While unreachable, the probe schedule (not every write) decides when to try again.
    const work = this.pending > 0 || (refresh && this.refreshes());
    if (this.#kickScheduled || !work || this.blockedReason()) return;
    this.#kickScheduled = true;
    setTimeout(() => {
      this.#kickScheduled = false;
      if (!this.blockedReason()) void this.#drain();
    }, 0);
  }

  #drain(context?: Context): Promise<SyncResult> {
    if (this.#draining) {
      // Past its last look at the queue (releasing the lock), the running drain would not send what
      // this caller wants sent: run another one once it is done.
      if (this.#drainEnding) return this.#draining.then(() => this.#drain(context));
      this.rerun = true;
      return this.#draining;
    }
    const run = this.#lock
      .run(async (stillHeld) => {
        this.#busySince = null;
        this.#running = true;
        // Who drains, for the others' status.blocked ("another tab is draining: which one, since when").
        const page = (globalThis as { location?: { href?: string } }).location?.href;
        void this.store.setMeta({ key: "drainHolder", since: Date.now(), ...(page ? { page } : {}) }).catch(() => undefined);
        this.emitStatus();
        try {
          this.drainStarting(context);
          return await this.#drainLoop(stillHeld);
        } finally {
          void this.store.setMeta({ key: "drainHolder" }).catch(() => undefined);
        }
      })
      .then(
        (outcome) => {
          if (outcome.ran) return outcome.value;
          this.#busySince ??= Date.now();
          void this.store.meta("drainHolder").then((holder) => {
            const since = Number(holder?.["since"]);
            this.#busyHolder = Number.isFinite(since) ? { since, ...(typeof holder?.["page"] === "string" ? { page: holder["page"] } : {}) } : undefined;
            this.emitStatus();
          }, () => undefined);
          this.#wake(Date.now() + BUSY_RETRY_MS); // another tab or worker is draining this queue
          return this.#emptyResult("busy");
        },
        (error: unknown) => {
          this.reportError(error); // the lease could not be read or written
          this.#retryFailedDrain();
          return this.#emptyResult("busy");
        },
      )
      .finally(() => {
        this.#draining = null;
        this.#running = false;
        this.#drainEnding = false;
        this.emitStatus();
      });
    this.#draining = run;
    this.emitStatus();
    return run;
  }

  async #drainLoop(stillHeld?: () => Promise<boolean>): Promise<SyncResult> {
    const started = Date.now();
    const result: SyncResult = { pushed: 0, pulled: 0, conflicts: 0, retried: 0, deadLettered: 0, remaining: 0, durationMs: 0 };
    this.#recorder.drain();
    const requestsBefore = this.#recorder.requests;
    let failed = false;
    try {
      // Conflicts parked earlier and never resolved (a crash mid-way, a custom resolver that threw).
      await this.beforePush();
      // The budget counts from here, and the first batch always goes: a slow resolver above must not
      // leave every drain ending before it sends anything.
      const budgetFrom = Date.now();
      let batches = 0;
      do {
        this.rerun = false;
        while (!this.blockedReason()) {
          if (Date.now() < this.#throttledUntil) {
            result.skipped = "throttled"; // the server asked for quiet (Retry-After): not even a pull
            this.#wake(this.#throttledUntil);
            break;
          }
          if (Date.now() < this.#circuit.until) {
            result.skipped = "backoff"; // the server failed as a whole: one probe when the backoff ends
            this.#wake(this.#circuit.until);
            break;
          }
          if (batches > 0 && Date.now() - budgetFrom > this.options.maxSyncDurationMs) {
            result.skipped = "budget";
            this.#wake(Date.now());
            break;
          }
          if (stillHeld && !(await stillHeld())) {
            result.skipped = "busy"; // the lease ran out (this page was suspended) and another tab took it
            this.#wake(Date.now() + BUSY_RETRY_MS);
            break;
          }
          const batch = await this.store.takeReady(Date.now(), this.options.batchSize, this.#inFlight);
          this.#setDeadItems(batch.deadItemIds);
          this.#dueAt = batch.ops.length ? null : batch.nextDueAt;
          if (batch.ops.length === 0) {
            if (batch.nextDueAt !== null) this.#wake(batch.nextDueAt);
            else if (this.pending > 0) await this.#recount(); // nothing queued at all: another tab drained it
            break;
          }
          batches++;
          const summary = await this.#sendBatch(batch);
          result.pushed += summary.pushed;
          result.retried += summary.retried;
          result.deadLettered += summary.dead;
          result.conflicts += summary.conflicts;
          failed ||= summary.failed; // a pause, an outage, a throttle or the circuit: the checks above end the loop
        }
        if (!this.blockedReason() && !result.skipped) failed = (await this.afterPush(result)) || failed;
      } while (this.rerun && !this.blockedReason());
      this.#drainErrors = 0;
    } catch (error) {
      failed = true;
      this.reportError(error);
      this.#retryFailedDrain(); // the batch stays queued (a storage fault, a headers function that threw)
    }
    this.#drainEnding = true;
    // Only a drain that reached the server says anything about it: one that sent nothing (all in backoff)
    // neither clears the last error nor counts as a sync.
    if (!failed && this.#recorder.requests > requestsBefore) {
      this.#lastSyncAt = Date.now();
      // Kept, so that "last sync" survives a reload and other tabs read it with their counters.
      void this.store.setMeta({ key: "lastSyncAt", at: this.#lastSyncAt }).catch(() => undefined);
      if (!this.authPaused) this.lastError = null;
    }
    if (!failed) this.#clearErrorIfNothingLeft();
    const blocked = this.blockedReason();
    if (blocked && !result.skipped) result.skipped = blocked;
    if (this.#recorder.requests > requestsBefore) this.#lastSkip = undefined;
    if (result.skipped) this.#skipped(result.skipped);
    result.remaining = this.pending;
    result.durationMs = Date.now() - started;
    return result;
  }

  async #sendBatch({ ops, versions }: ReadyBatch): Promise<{ pushed: number; retried: number; dead: number; conflicts: number; failed: boolean }> {
    for (const op of ops) this.#inFlight.add(op.seq);
    this.trace({ type: "send", ops });
    // Read once: setOffline(false) replaces the controller while these requests may still use the old one.
    const signal = this.requests;
    const stopped = { pushed: 0, retried: 0, dead: 0, conflicts: 0, failed: true };
    try {
      let headers: Record<string, string>;
      try {
        headers = await this.transport.resolveHeaders(signal);
      } catch (error) {
        // Nothing was sent: the attempt mark goes, so that the items' next edits may still coalesce.
        await this.store.settle(ops.map((op) => ({ kind: "release", op, unsent: true })), Date.now());
        if (signal.aborted) return stopped;
        throw error;
      }
      let outcomes: SendOutcome[];
      try {
        outcomes = await this.send(ops.map((op) => this.wireOp(op, versions.get(op.itemId))), signal, headers);
      } catch (error) {
        if (!signal.aborted) throw error; // aborted: closing, or forced offline
        await this.store.settle(ops.map((op) => ({ kind: "release", op })), Date.now());
        return stopped;
      }
      return await this.#settle(ops, outcomes, versions);
    } finally {
      for (const op of ops) this.#inFlight.delete(op.seq);
    }
  }

  async #settle(ops: PendingOperation[], outcomes: SendOutcome[], versions: ReadyBatch["versions"]) {
    const now = Date.now();
    const actions: SettleAction[] = [];
    let unreachable = false;
    let pause = false;
    /** Set when the server asked for a pause (Retry-After): the drain stops until then. */
    let throttledUntil = 0;
    let firstError: SyncLensError | null = null;
    let conflicts = 0;
    /** Set when the server as a whole failed this batch: no operation is blamed, the circuit opens instead. */
    let circuit: Circuit["kind"] | undefined;
    let serverFailed = false;
    const batchWorked = outcomes.some((outcome) => outcome.kind === "ok");
    ops.forEach((op, index) => {
      const outcome = outcomes[index]!;
      if (outcome.kind === "ok") {
        actions.push({ kind: "ack", op, version: outcome.version, deleted: op.type === "delete", ...acceptedRecord(outcome.body) });
        this.#recorder.outcome("success");
        return;
      }
      const verdict = classify(outcome);
      if (verdict.action === "again") {
        actions.push({ kind: "release", op });
        this.rerun = true;
        return;
      }
      if (outcome.kind === "reused" && op.failures <= this.options.maxRetries) {
        // The server holds the key's own result when it is one version past this operation's base; past
        // that, someone else wrote since: based on the key's result, the next request meets a 409 and the
        // conflict path instead of overwriting that write.
        const base = versions.get(op.itemId);
        const { server } = outcome;
        actions.push({ kind: "rekey", op, opId: newOperationId(), error: attemptError(outcome, now), base: server && base && server.version > base.version + 1 ? { ...base, version: base.version + 1 } : server });
        this.unloadHeads.forget(op.seq);
        this.rerun = true;
        return;
      }
      if (verdict.action === "conflict" && this.parkConflict(op, outcome)) {
        conflicts++;
        this.#recorder.outcome("failure");
        actions.push({ kind: "release", op, conflict: true });
        return;
      }
      const error = attemptError(outcome, now);
      firstError ??= new SyncRequestError(error.code === "conflict" ? "http" : error.code, error.message, error.status, error.body);
      if (verdict.action === "pause") {
        pause = true;
        this.#recorder.outcome("failure");
        actions.push({ kind: "release", op, error });
        return;
      }
      // Blamed on the operation itself: a malformed reply, or a server error while others of its batch went
      // through. Anything else transient is the server's (or the network's) state, not this operation's.
      const own = verdict.action === "retry" && (outcome.kind === "malformed" || (batchWorked && outcome.kind === "http"));
      const failures = op.failures + (own ? 1 : 0);
      const expired = now - op.createdAt >= this.options.maxRetryAge;
      if (verdict.action === "retry" && failures <= this.options.maxRetries && !expired) {
        unreachable ||= verdict.unreachable;
        let delay = retryDelay(failures, this.options.backoff, verdict.delayMs);
        if (!own) {
          serverFailed = true;
          if (verdict.delayMs === undefined) circuit ??= outcome.kind === "timeout" ? "slow" : "server";
          delay = verdict.delayMs === undefined ? 0 : retryDelay(this.#circuit.failures + 1, this.options.backoff, verdict.delayMs);
        }
        if (verdict.delayMs !== undefined) throttledUntil = Math.max(throttledUntil, now + delay);
        this.#recorder.outcome("retry");
        actions.push({ kind: "retry", op, error, failures, nextAttemptAt: now + delay });
      } else {
        unreachable ||= verdict.action === "retry" && verdict.unreachable;
        const reason = verdict.action === "conflict" ? "conflict" : verdict.action !== "retry" ? "rejected" : expired ? "expired" : "max_retries";
        const reply = "body" in outcome ? { status: outcome.status, body: outcome.body } : undefined;
        // A 409 names the server's copy: the item's later writes are based on it, or they would all be refused too.
        const server = verdict.action === "conflict" ? serverCurrent(outcome) : undefined;
        this.#recorder.outcome("dead");
        actions.push({ kind: "dead", op, error, reason, ...(reply ? { reply } : {}), ...(server === undefined ? {} : { server: server?.value ? server : null }) });
      }
    });
    const settled = await this.store.settle(actions, now);
    this.#localChanges++;
    // Not below 0: the operations may have been written by another tab this client has not heard of.
    this.pending = Math.max(0, this.pending - settled.acked.length - settled.dead.length);
    this.#oldestPendingAt = settled.oldestPendingAt;
    for (const op of [...settled.acked, ...settled.dead]) this.unloadHeads.forget(op.seq);
    const versionBySeq = new Map(actions.flatMap((a) => (a.kind === "ack" ? [[a.op.seq, a.version] as const] : [])));
    for (const op of settled.acked) {
      this.events.emit("synced", { opId: op.opId, itemId: op.itemId, type: op.type, version: versionBySeq.get(op.seq) ?? 0 });
    }
    for (const letter of settled.dead) {
      this.#deadCount++;
      this.#deadItems = [...this.#deadItems, letter.itemId];
      this.events.emit("deadletter", letter as DeadLetter<T>);
    }
    this.trace({ type: "settled", actions, settled, now });
    if (firstError) {
      this.lastError = firstError;
      this.events.emit("error", firstError);
    }
    if (pause) this.authPaused = true;
    if (batchWorked) this.#circuit = CLOSED;
    else if (serverFailed) {
      const failures = this.#circuit.failures + 1;
      this.#circuit = circuit ? { kind: circuit, failures, until: now + backoffDelay(failures, this.options.backoff) } : { ...this.#circuit, failures };
    }
    if (unreachable) this.connectivity.set(false);
    if (throttledUntil) this.throttle(throttledUntil);
    this.emitStatus();
    if (conflicts > 0) await this.conflictsFound(now);
    return {
      pushed: settled.acked.length,
      retried: settled.retried.length,
      dead: settled.dead.length,
      conflicts,
      failed: firstError !== null && conflicts === 0,
    };
  }

  /** The server asked for quiet (`Retry-After`) until `until`: drains send nothing before then, not even a pull. */
  protected throttle(until: number): void {
    this.#throttledUntil = Math.max(this.#throttledUntil, until);
  }

  /** The 401/403 pause ends, and the error that caused it with it. */
  #liftAuthPause(): void {
    this.authPaused = false;
    this.lastError = null;
  }

  /** Nothing left that failed (discarded, or sent by another tab): the last error is over. */
  #clearErrorIfNothingLeft(): void {
    if (this.pending === 0 && this.#deadCount === 0 && !this.authPaused) this.lastError = null;
  }

  /** A drain (or its lock) threw: the queue is tried again after a backoff that grows with each such failure. */
  #retryFailedDrain(): void {
    this.#wake(Date.now() + backoffDelay(++this.#drainErrors, this.options.backoff));
  }

  /** Wakes the queue when the earliest operation in backoff becomes due. */
  #wake(at: number): void {
    if (this.#closed || at >= this.#wakeAt) return;
    clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeAt = Infinity;
      this.#refreshAndKick(); // what is due may be another tab's, not in this client's count
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now()))); // a longer delay would overflow and fire at once
    unref(this.#wakeTimer);
  }

  /** Marks what the flush journal lists as sent (those never attempted), then clears it from the journal. */
  async #adoptJournal(fired: number[]): Promise<void> {
    if (fired.length === 0) return;
    await this.store.markAttempted(fired, Date.now(), true);
    this.#journal.forget(fired);
  }

  /** Reads the pending count again (another tab may have drained what this one counted). */
  async #recount(): Promise<void> {
    const seen = this.#localChanges;
    const pending = await this.store.countPending();
    if (seen !== this.#localChanges) return;
    this.pending = pending;
    if (pending === 0) this.#oldestPendingAt = null;
  }

  /** The dropped operation may have been the oldest: the age comes from the queue again. */
  async #readOldest(): Promise<void> {
    const seen = this.#localChanges;
    const oldest = await this.store.oldestPendingAt().catch(() => this.#oldestPendingAt);
    if (seen === this.#localChanges) this.#oldestPendingAt = oldest;
  }

  /** Other tabs may have drained or written meanwhile: the counters are read again, then a sync may start. */
  #refreshAndKick(): void {
    void this.refreshCounts().then(() => this.kick(true));
  }

  /** Re-reads the shared queue's counters (another tab may have changed the queue). */
  protected async refreshCounts(): Promise<void> {
    try {
      for (let attempt = 1; ; attempt++) {
        const seen = this.#localChanges;
        const held = this.unloadHeads.held();
        const [pending, oldest, deadIds, conflicts, heads, lastSyncAt] = await Promise.all([
          this.store.countPending(),
          this.store.oldestPendingAt(),
          this.store.deadItemIds(),
          this.store.countConflicts(),
          this.store.unchanged(held),
          this.store.meta("lastSyncAt"),
        ]);
        // A write or a settle of this client's raced the reads: they may predate it, so read again.
        if (seen !== this.#localChanges && attempt < 3) continue;
        this.conflictCount = conflicts;
        this.pending = pending;
        this.#oldestPendingAt = oldest;
        this.#setDeadItems(deadIds);
        this.#lastSyncAt = Math.max(this.#lastSyncAt ?? 0, Number(lastSyncAt?.["at"]) || 0) || null;
        // Heads another tab has sent, dead-lettered or rewritten are not this page's to flush any more.
        this.unloadHeads.prune(held, heads);
        break;
      }
      this.trace({ type: "counts" });
      this.emitStatus();
    } catch (error) {
      if (!this.#closed) this.reportError(error);
    }
  }

  // ---- dead letters ----

  async #retryLetters(opIds: string[] | "all"): Promise<number> {
    this.assertOpen();
    await this.ready;
    const letters = await this.store.retryDeadLetters(opIds, Date.now());
    this.#localChanges++;
    for (const letter of letters) {
      this.forgetDeadLetter();
      this.unloadHeads.forgetItem(letter.itemId);
    }
    this.pending += letters.length;
    this.#oldestPendingAt = await this.store.oldestPendingAt();
    this.trace({ type: "letters", requeued: true });
    this.emitStatus();
    this.kick();
    return letters.length;
  }

  protected forgetDeadLetter(): void {
    this.#deadCount = Math.max(0, this.#deadCount - 1); // the letter may be another tab's, not counted here
  }

  /** The items held by dead letters, as stored (another tab may have added some): their heads must not be flushed. */
  #setDeadItems(itemIds: readonly string[]): void {
    const dead = new Set(itemIds);
    this.unloadHeads.forgetWhere((id) => dead.has(id));
    this.#deadCount = itemIds.length;
    this.#deadItems = itemIds;
  }

  // ---- plumbing ----

  #clearTimers(): void {
    clearTimeout(this.#wakeTimer);
    this.connectivity.stop();
    this.#wakeTimer = undefined;
    this.#wakeAt = Infinity;
  }

  protected emitStatus(): void {
    // A listener that changes the state (pause() on some status) must not have the rest of the listeners
    // get its newer status before the older one: the change is emitted after this round, in order.
    if (this.#emittingStatus) {
      this.#statusChangedMeanwhile = true;
      return;
    }
    this.#emittingStatus = true;
    try {
      do {
        this.#statusChangedMeanwhile = false;
        const status = this.status;
        const last = this.#lastStatus;
        const same = (key: keyof SyncStatus) => (key === "blocked" ? JSON.stringify(status.blocked) === JSON.stringify(last!.blocked) : status[key] === last![key]);
        if (last && (Object.keys(status) as (keyof SyncStatus)[]).every(same)) continue;
        if (status.state !== this.#lastState) {
          const { blocked } = status;
          const reason = blocked ? `${blocked.reason}${"by" in blocked ? ` by the ${blocked.by}` : ""}` : status.lastError?.message;
          this.trace({ type: "status", from: this.#lastState, to: status.state, ...(reason ? { reason } : {}) });
        }
        this.#lastState = status.state;
        this.#lastStatus = status;
        this.events.emit("status", status);
      } while (this.#statusChangedMeanwhile);
    } finally {
      this.#emittingStatus = false;
    }
  }

  /** Logs why a drain did not run (once per reason in a row: a drain retried every second logs it once). */
  #skipped(reason: string): void {
    if (reason !== this.#lastSkip) this.trace({ type: "skipped", reason });
    this.#lastSkip = reason;
  }

  /** `refused`: a local write that was refused (logged as such); anything else is logged as an error. */
  protected reportError(error: unknown, refused?: "save" | "delete"): void {
    const wrapped = error instanceof SyncLensError ? error : new SyncLensError("storage", String(error), { cause: error });
    this.trace(refused ? { type: "refused", kind: refused, error: wrapped.message } : { type: "error", code: wrapped.code, message: wrapped.message });
    this.lastError = wrapped;
    this.events.emit("error", wrapped);
    this.emitStatus();
  }

  #emptyResult(skipped: NonNullable<SyncResult["skipped"]>): SyncResult {
    this.#skipped(skipped);
    return { pushed: 0, pulled: 0, conflicts: 0, retried: 0, deadLettered: 0, remaining: this.pending, durationMs: 0, skipped };
  }
}
