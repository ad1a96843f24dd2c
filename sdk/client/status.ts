import { Emitter } from "../observe/emitter.js";
import { MetricsRecorder } from "../observe/metrics.js";
import type { CoreTrace } from "../observe/trace.js";
import type { EnvironmentSignals } from "../shared/environment.js";
import { ClientClosedError, SyncLensError, type SyncRequestError } from "../shared/errors.js";
import type { Caller, DeadLetter, SyncBlocked, SyncEvents, SyncItem, SyncMetrics, SyncResult, SyncState, SyncStatus } from "../shared/types.js";
import type { SettleResult } from "../storage/drain-store.js";
import type { SyncStore, WriteEffect } from "../storage/store.js";
import { UnloadHeads } from "../storage/unload-heads.js";
import type { Connectivity } from "../transport/connectivity.js";
import type { ResolvedOptions } from "./options.js";

/**
 * The core client's bottom layer (client.ts lists the others): what `status` reports, and one `status`
 * event per change. The queue's counters (other tabs and workers share the database, so they are read
 * again on triggers), the holds on sending (`setOffline()`, `pause()` and `resume()` are here; a 401/403;
 * `close()`), the last error and the metrics.
 */
export abstract class StatusLayer<T extends SyncItem> {
  // Set by Client's #open() before `ready` resolves; every use awaits `ready` first.
  protected store!: SyncStore;
  protected readonly events = new Emitter<SyncEvents<T>>();
  protected readonly recorder = new MetricsRecorder();
  protected readonly unloadHeads = new UnloadHeads();

  protected pending = 0;
  #oldestPendingAt: number | null = null;
  #deadCount = 0;
  protected conflictCount = 0;
  /** Counts this client's own changes to its counters, so that a concurrent re-read does not undo them. */
  #localChanges = 0;
  /** The items held by dead letters, as last read (at most the first 20 are reported). */
  #deadItems: readonly string[] = [];
  #lastSyncAt: number | null = null;

  #forcedOffline = false;
  #paused = false;
  protected authPaused = false;
  #closed = false;
  /** Aborted by close() and by setOffline(true): what is in flight stops, and nothing new starts. */
  #requests = new AbortController();
  protected lastError: SyncLensError | null = null;
  /** Who forced offline or paused, and since when (for `status.blocked`). */
  #offlineBy = { by: "app" as Caller, since: 0 };
  #pausedBy = { by: "app" as Caller, since: 0 };
  #lastStatus: SyncStatus | undefined;
  #emittingStatus = false;
  #statusChangedMeanwhile = false;
  #lastState: SyncState = "idle";

  protected readonly options: ResolvedOptions;
  protected readonly environment: EnvironmentSignals;

  constructor(options: ResolvedOptions, environment: EnvironmentSignals) {
    this.options = options;
    this.environment = environment;
  }

  // ---- what this layer asks of the layers above ----

  /** Whether the server is believed reachable (the trigger layer's). */
  protected abstract readonly connectivity: Connectivity;
  /** A drain holds the lock and runs (not merely asked for it: another tab may hold it). */
  protected abstract get running(): boolean;
  /** Schedules a drain (the trigger layer's). */
  protected abstract kick(refresh?: boolean): void;
  /** The wake-up and the connectivity probe are cancelled (the trigger layer's). */
  protected abstract stopTimers(): void;
  /** No more signals, timers or interval (the trigger layer's). */
  protected abstract stopListening(): void;
  /** What holds a drain back besides the app and the network (the drain layer's reasons), if anything. */
  protected abstract drainBlocked(now: number, work: boolean): SyncBlocked | null;

  // ---- status ----

  get status(): SyncStatus {
    const offline = this.#forcedOffline || !this.connectivity.online;
    return {
      state: offline ? "offline" : this.running ? "syncing" : this.conflictCount ? "conflict" : this.lastError || this.#deadCount ? "error" : "idle",
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
    if (this.#forcedOffline) return { reason: "forced-offline", ...this.#offlineBy };
    if (this.#paused) return { reason: "paused", ...this.#pausedBy };
    if (this.authPaused) {
      const status = (this.lastError as SyncRequestError | null)?.status;
      return { reason: "auth", ...(status ? { status } : {}), fix: "call setHeaders() with fresh credentials (it resumes), or resume()" };
    }
    const { online, lastProbeAt, nextProbeAt } = this.connectivity;
    if (!online) return { reason: "unreachable", url: this.options.pingUrl || this.options.endpoint, lastProbeAt, nextProbeAt };
    const held = this.drainBlocked(now, this.pending > 0);
    if (held) return held;
    if (this.#deadCount) return { reason: "dead-letters", count: this.#deadCount, items: this.#deadItems.slice(0, 20) };
    return this.conflictCount ? { reason: "conflicts", count: this.conflictCount } : null;
  }

  protected blockedReason(): SyncResult["skipped"] {
    if (this.#closed) return "closed";
    if (this.#forcedOffline || !this.connectivity.online) return "offline";
    if (this.#paused) return "paused";
    if (this.authPaused) return "auth";
    return undefined;
  }

  metrics(): SyncMetrics {
    return this.recorder.snapshot(this.pending, this.#oldestPendingAt, Date.now());
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

  /** `refused`: a local write that was refused (logged as such); anything else is logged as an error. */
  protected reportError(error: unknown, refused?: "save" | "delete"): void {
    const wrapped = error instanceof SyncLensError ? error : new SyncLensError("storage", String(error), { cause: error });
    this.trace(refused ? { type: "refused", kind: refused, error: wrapped.message } : { type: "error", code: wrapped.code, message: wrapped.message });
    this.lastError = wrapped;
    this.events.emit("error", wrapped);
    this.emitStatus();
  }

  /** What the core did (see observe/trace.ts). A hook: empty in the core, filled in by the full client. */
  protected trace(_event: CoreTrace): void {}

  // ---- holds on sending ----

  /** Whether `close()` has been called. */
  protected get closed(): boolean {
    return this.#closed;
  }

  protected get forcedOffline(): boolean {
    return this.#forcedOffline;
  }

  /** Aborts when the client closes or is forced offline. */
  protected get requests(): AbortSignal {
    return this.#requests.signal;
  }

  protected assertOpen(): void {
    if (this.#closed) throw new ClientClosedError();
  }

  setOffline(offline: boolean, by: Caller = "app"): void {
    if (this.#closed || this.#forcedOffline === offline) return;
    this.#forcedOffline = offline;
    this.#offlineBy = { by, since: Date.now() };
    this.trace({ type: "control", action: offline ? "setOffline" : "setOnline", by });
    if (offline) {
      this.stopTimers();
      this.#requests.abort(); // requests in flight too: their operations stay queued
    } else {
      this.#requests = new AbortController();
    }
    this.emitStatus();
    if (!offline) void this.connectivity.probe().then(() => this.kick(true));
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
    if (this.authPaused) this.liftAuthPause();
    this.emitStatus();
    this.kick();
  }

  /** `close()` begins: false when it had already. Timers and listeners stop, and what is in flight. */
  protected closing(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.stopListening();
    this.#requests.abort();
    this.emitStatus(); // closed: listeners (the DevTools bridge) know at once
    return true;
  }

  /** The 401/403 pause ends, and the error that caused it with it. */
  protected liftAuthPause(): void {
    this.authPaused = false;
    this.lastError = null;
  }

  /** Nothing left that failed (discarded, or sent by another tab): the last error is over. */
  protected clearErrorIfNothingLeft(): void {
    if (this.pending === 0 && this.#deadCount === 0 && !this.authPaused) this.lastError = null;
  }

  // ---- the queue's counters ----

  /** A local write committed: it added an operation, merged into one, or dropped one. */
  protected countWrite(effect: WriteEffect): void {
    this.#localChanges++;
    if (this.pending === 0 && effect.queueDelta === 1) this.#oldestPendingAt = Date.now();
    // Not below 0: the dropped operation may be another tab's, never counted here.
    this.pending = Math.max(0, this.pending + effect.queueDelta);
    if (this.pending === 0) this.#oldestPendingAt = null;
    else if (effect.queueDelta < 0) void this.#readOldest();
  }

  /** A batch settled: its acknowledged and dead-lettered operations left the queue. */
  protected countSettled(settled: SettleResult): void {
    this.#localChanges++;
    // Not below 0: the operations may have been written by another tab this client has not heard of.
    this.pending = Math.max(0, this.pending - settled.acked.length - settled.dead.length);
    this.#oldestPendingAt = settled.oldestPendingAt;
  }

  /** One of them was dead-lettered (counted as its `deadletter` event goes out). */
  protected countDeadLetter(itemId: string): void {
    this.#deadCount++;
    this.#deadItems = [...this.#deadItems, itemId];
  }

  protected forgetDeadLetter(): void {
    this.#deadCount = Math.max(0, this.#deadCount - 1); // the letter may be another tab's, not counted here
  }

  protected countDiscarded(): void {
    this.#localChanges++;
    this.forgetDeadLetter();
  }

  /** Dead letters went back to the queue: the heads held for their items are stale. */
  protected async countRequeued(letters: readonly DeadLetter[]): Promise<void> {
    this.#localChanges++;
    for (const letter of letters) {
      this.forgetDeadLetter();
      this.unloadHeads.forgetItem(letter.itemId);
    }
    this.pending += letters.length;
    this.#oldestPendingAt = await this.store.oldestPendingAt();
  }

  /** A drain reached the server and nothing failed: a sync, and the last error is over unless it paused the queue. */
  protected countSync(): void {
    this.#lastSyncAt = Date.now();
    // Kept, so that "last sync" survives a reload and other tabs read it with their counters.
    void this.store.setMeta({ key: "lastSyncAt", at: this.#lastSyncAt }).catch(() => undefined);
    if (!this.authPaused) this.lastError = null;
  }

  /** The items held by dead letters, as stored (another tab may have added some): their heads must not be flushed. */
  protected setDeadItems(itemIds: readonly string[]): void {
    const dead = new Set(itemIds);
    this.unloadHeads.forgetWhere((id) => dead.has(id));
    this.#deadCount = itemIds.length;
    this.#deadItems = itemIds;
  }

  /** Reads the pending count again (another tab may have drained what this one counted). */
  protected async recount(): Promise<void> {
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
        this.setDeadItems(deadIds);
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
}
