import { retryDelay } from "../sync/backoff.js";
import { classify, type SendOutcome } from "../sync/classify.js";
import { ClockOffset } from "../sync/clock-offset.js";
import { gzipAbove } from "../transport/compression.js";
import { Client, type CoreSyncClient } from "./client.js";
import { resolveBuiltIn, type Conflict, type ConflictStrategy, type Resolution } from "../sync/conflicts.js";
import { parkConflicts, resolveStoredConflict, storedConflicts, type RefusedWrite, type ResolutionBasis } from "../storage/conflict-store.js";
import { asPatch, refusesPatch } from "../sync/delta.js";
import { browserEnvironment, newOperationId, type EnvironmentSignals } from "../shared/environment.js";
import { SyncLensError, SyncRequestError } from "../shared/errors.js";
import { EventLog, type SyncLogEvent } from "../observe/event-log.js";
import { resolveFeatureOptions, type FeatureOptions, type ReadPolicy, type SyncClientOptions } from "./full-options.js";
import { ItemMirror } from "../storage/mirror.js";
import { resolveOptions, type ResolvedOptions } from "./options.js";
import { applyPull, fetchChanges, pullCursor, snapshotChanges } from "../storage/pull.js";
import { pullThrough } from "../transport/pull-through.js";
import { acceptedRecord, attemptError, serverCurrent, type FailedOutcome } from "../sync/replies.js";
import { describeOptions, redactPayloads, type SyncSnapshot } from "../observe/snapshot.js";
import { SyncStore, type ServerVersion } from "../storage/store.js";
import { openTabChannel, type TabChannel, type TabMessage } from "../tabs/tab-channel.js";
import { queueChangeOf, requestDetail, tabMessageOf, timelineEntries, type CoreTrace } from "../observe/trace.js";
import type { Exchange, WireOp } from "../transport/transport.js";
import type { PendingOperation, QueueChange, SyncEvents, SyncItem, SyncResult } from "../shared/types.js";
import { assertValidId, assertValidResolution } from "../sync/validate.js";
import { SDK_VERSION } from "../shared/version.js";

/** Per-call options of `get()` and `list()`. */
export interface ReadOptions {
  /** Overrides the client's `read` policy for this call. */
  read?: ReadPolicy;
}

/** Per-call options of `sync()`. */
export interface SyncCallOptions<T extends SyncItem> {
  /** The conflict strategy for conflicts found during this call (a drain already running keeps its own). */
  conflict?: ConflictStrategy<T>;
}

/**
 * The SyncLens client: the core client's outbox, plus the server's changes pulled after each push,
 * conflicts resolved by a strategy or by hand, read policies, an optional app item store, a timeline
 * and snapshots for bug reports.
 */
export interface SyncClient<T extends SyncItem> extends CoreSyncClient<T> {
  /** The local copy, after a refresh from the server if the read policy asks for one (see `read`). */
  get(id: string, options?: ReadOptions): Promise<T | undefined>;
  list(options?: ReadOptions): Promise<T[]>;
  /**
   * Pushes the outbox, then pulls the server's changes page by page (joining a drain already running).
   * Never rejects for network or server faults.
   */
  sync(options?: SyncCallOptions<T>): Promise<SyncResult>;
  on<K extends keyof SyncEvents<T>>(event: K, listener: (payload: SyncEvents<T>[K]) => void): () => void;
  /** The last `eventLogSize` timeline entries (writes, sends, replies, retries, conflicts, status), oldest first. */
  timeline(): SyncLogEvent[];
  /**
   * The client's state for a bug report: options (no secrets), status, metrics, queue (at most
   * `queueLimit` operations, default 1000), dead letters, conflicts and the timeline, with item payloads
   * and server bodies passed through `redact`. Schema: docs/snapshot.md.
   */
  exportSnapshot(options?: { queueLimit?: number }): Promise<SyncSnapshot>;
  /** Conflicts waiting for a resolution (with the `manual` strategy, or a custom one that threw). */
  conflicts(): Promise<Conflict<T>[]>;
  /**
   * Runs an item payload or a server body through the client's `redact` option: what snapshots and the
   * DevTools bridge show of it.
   */
  redact(value: unknown): unknown;
  /**
   * Ends a parked conflict: keep the local value, take the server's, or use a new value (null deletes).
   * The item's operations then move on. Throws `not_found` for an item without a parked conflict.
   */
  resolveConflict(id: string, resolution: Resolution<T>): Promise<void>;
}

/** Creates a client. Throws `InvalidOptionsError` synchronously for bad options. */
export function createSyncClient<T extends SyncItem>(options: SyncClientOptions<T>): SyncClient<T> {
  return new FullClient<T>(resolveOptions(options), resolveFeatureOptions(options), options.environment ?? browserEnvironment);
}

/** The core client with pulling, conflict handling, read policies, the app item store, timeline and snapshots. */
class FullClient<T extends SyncItem> extends Client<T, ConflictStrategy<T>> implements SyncClient<T> {
  readonly #features: FeatureOptions<T>;
  readonly #log: EventLog;
  #logged = 0;
  /** The strategy of the running drain (a `sync({ conflict })` override, else the client's). */
  #strategy: ConflictStrategy<T>;
  #mirror: ItemMirror<T> | undefined;
  /** Operations of the batch being built that are on their first attempt (see `send`). */
  #firstAttempts = new Set<string>();
  /** Cleared when the server answers that it has no change feed (remembered for the client's lifetime). */
  #feedSupported = true;
  /** Cleared when the server refuses PATCH: whole items from then on. */
  #patchSupported = true;
  readonly #clock = new ClockOffset();
  /** Writes refused with a 409 in the batch being settled, parked by `conflictsFound`. */
  readonly #refused: RefusedWrite[] = [];
  #tabs: TabChannel | undefined;
  /** The requests of the batch last sent, for its timeline entries. */
  #exchanges: Exchange[] = [];
  #countsRefreshScheduled = false;

  constructor(options: ResolvedOptions, features: FeatureOptions<T>, environment: EnvironmentSignals) {
    super(options, environment);
    this.#features = features;
    this.#strategy = features.conflict;
    this.#log = new EventLog(features.eventLogSize);
    if (features.compressAboveBytes !== Number.POSITIVE_INFINITY) this.transport.compress = gzipAbove(features.compressAboveBytes);
    this.transport.onReply = (date, sentAt, receivedAt) => this.#clock.noteDateHeader(date, sentAt, receivedAt);
  }

  override async get(id: string, options: ReadOptions = {}): Promise<T | undefined> {
    this.assertOpen();
    assertValidId(id);
    await this.ready;
    await this.#routeRead(options.read);
    return super.get(id);
  }

  override async list(options: ReadOptions = {}): Promise<T[]> {
    this.assertOpen();
    await this.ready;
    await this.#routeRead(options.read);
    return super.list();
  }

  override sync(options: SyncCallOptions<T> = {}): Promise<SyncResult> {
    return this.syncWith(options.conflict);
  }

  override on<K extends keyof SyncEvents<T>>(event: K, listener: (payload: SyncEvents<T>[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  override async close(): Promise<void> {
    this.#tabs?.close();
    await super.close();
  }

  timeline(): SyncLogEvent[] {
    return this.#log.list();
  }

  async exportSnapshot({ queueLimit = 1000 }: { queueLimit?: number } = {}): Promise<SyncSnapshot> {
    this.assertOpen();
    // 0 would read the whole queue (IndexedDB's "no limit").
    if (!(Number.isSafeInteger(queueLimit) && queueLimit > 0)) throw new SyncLensError("invalid_argument", "exportSnapshot({ queueLimit }) must be a positive integer");
    await this.ready;
    const [queue, deadLetters, conflicts] = await Promise.all([this.store.pending(queueLimit), this.store.deadLetters(), storedConflicts(this.store, this.#clock.ms)]);
    const { lastError, ...status } = this.status;
    return {
      format: "synclens-snapshot",
      version: 1,
      sdkVersion: SDK_VERSION,
      exportedAt: new Date().toISOString(),
      client: { name: this.name, endpoint: this.options.endpoint },
      options: describeOptions({ ...this.#features, ...this.options }),
      status: { ...status, lastError: lastError ? { code: lastError.code, message: lastError.message } : null },
      metrics: this.metrics(),
      ...redactPayloads(this.#features.redact, { queue, deadLetters, conflicts }),
      queueTruncated: Math.max(0, this.pending - queue.length),
      events: this.#log.list(),
    };
  }

  redact(value: unknown): unknown {
    return this.#features.redact(value);
  }

  /** An error reply's body, as kept in the timeline: JSON through `redact`, as snapshots show bodies. */
  #redactText(body: string): string {
    try {
      return JSON.stringify(this.redact(JSON.parse(body))).slice(0, 2000);
    } catch {
      return body; // not JSON (a proxy's HTML page): no fields to redact
    }
  }

  async conflicts(): Promise<Conflict<T>[]> {
    this.assertOpen();
    await this.ready;
    return (await storedConflicts(this.store, this.#clock.ms)) as Conflict<T>[];
  }

  async resolveConflict(id: string, resolution: Resolution<T>): Promise<void> {
    this.assertOpen();
    assertValidId(id);
    assertValidResolution(resolution, id);
    await this.ready;
    const basis = typeof resolution === "object" && resolution.serverVersion !== undefined ? { serverVersion: resolution.serverVersion } : {};
    const applied = await this.#applyResolution(id, resolution, basis);
    if (!applied) throw new SyncLensError("not_found", `No conflict is parked for item ${id}`);
    if (applied === "changed") throw new SyncLensError("conflict_changed", `The server's copy of ${id} changed after this resolution was made; read conflicts() again`);
    await this.refreshCounts();
    this.kick();
  }

  // ---- the core's hooks ----

  protected override openStore(): Promise<SyncStore> {
    return SyncStore.open(this.options.indexedDB, this.options.name, this.#features.storage !== undefined);
  }

  protected override async opened(): Promise<void> {
    this.#tabs = openTabChannel(this.options.name, (message) => this.#onTabMessage(message));
    const { storage } = this.#features;
    if (!storage) return;
    // The core then calls itemsChanged(): copies a previous page did not finish (it died between the two writes) are made.
    this.#mirror = new ItemMirror(this.store, storage, `synclens:${this.name}:mirror`, this.options.timeoutMs, (error) => this.reportError(error));
  }

  protected override async itemsChanged(): Promise<void> {
    await this.#mirror?.copy();
  }

  protected override refreshes(): boolean {
    return this.#features.pull;
  }

  protected override drainStarting(strategy: ConflictStrategy<T> | undefined): void {
    this.#strategy = strategy ?? this.#features.conflict;
  }

  /** Conflicts parked earlier and never resolved (a crash mid-way, a custom resolver that threw). */
  protected override async beforePush(): Promise<void> {
    if (this.conflictCount > 0 && this.#strategy !== "manual") await this.#handleConflicts((await storedConflicts(this.store, this.#clock.ms)) as Conflict<T>[], false);
  }

  protected override async afterPush(result: SyncResult): Promise<boolean> {
    if (!this.#features.pull) return false;
    const pulled = await this.#pull();
    result.pulled += pulled.applied;
    result.conflicts += pulled.conflicts;
    return pulled.failed;
  }

  protected override wireOp(op: PendingOperation, base: ServerVersion | undefined): WireOp {
    if (op.attempts === 1) this.#firstAttempts.add(op.opId);
    const wire = super.wireOp(op, base);
    // An app's transport gets whole items (and may send a patch of its own making).
    return this.#features.deltaPush && this.#patchSupported && !this.options.transport ? asPatch(wire, op, base) : wire;
  }

  /** Also refines the clock offset from the writes' `updatedAt`, and falls back to whole items when PATCH is refused. */
  protected override async send(wires: WireOp[], signal: AbortSignal, headers: Record<string, string>): Promise<SendOutcome[]> {
    this.#refused.length = 0; // what a batch that failed to settle left behind is stale
    // A retry's reply may be the stored reply of an earlier attempt, stamped long before: no clock reading.
    const first = this.#firstAttempts;
    this.#firstAttempts = new Set();
    const sentAt = Date.now();
    const exchanges: Exchange[] = [];
    this.transport.onExchange = (exchange) => void (exchanges.length < 10 && exchanges.push(exchange.body === undefined ? exchange : { ...exchange, body: this.#redactText(exchange.body) }));
    let outcomes: SendOutcome[];
    try {
      outcomes = await super.send(wires, signal, headers);
    } finally {
      this.transport.onExchange = undefined;
    }
    this.#exchanges = exchanges;
    const receivedAt = Date.now();
    return outcomes.map((outcome, index) => {
      const fresh = outcome.kind === "ok" && first.has(wires[index]!.opId);
      const updatedAt = fresh ? Date.parse(acceptedRecord(outcome.body).updatedAt ?? "") : Number.NaN;
      if (!Number.isNaN(updatedAt)) this.#clock.note(updatedAt, sentAt, receivedAt);
      if (!refusesPatch(wires[index]!, outcome) || outcome.kind !== "http") return outcome;
      this.#patchSupported = false; // the refused operations go again at once
      return { kind: "resend", message: `The server refused PATCH (HTTP ${outcome.status}); sending whole items` };
    });
  }

  /** A 409 that carries the server's record is parked; one without it (a server off-protocol) is dead-lettered. */
  protected override parkConflict(op: PendingOperation, outcome: FailedOutcome): boolean {
    const server = serverCurrent(outcome);
    if (server === undefined) return false;
    this.#refused.push({ op, server, localUpdatedAt: op.updatedAt + this.#clock.ms });
    return true;
  }

  protected override async conflictsFound(now: number): Promise<void> {
    const conflicts = await parkConflicts(this.store, this.#refused.splice(0), now);
    await this.#handleConflicts(conflicts as Conflict<T>[], true);
  }

  protected override trace(event: CoreTrace): void {
    const change = this.events.has("queue") ? queueChangeOf(event) : undefined;
    if (change) this.events.emit("queue", change as QueueChange<T>);
    const detail = event.type === "settled" ? requestDetail(event.actions, this.#exchanges) : undefined;
    // On the reply only: its retries and its send are found next to it (the panel looks there).
    for (const entry of timelineEntries(event)) this.#record(detail && entry.type === "reply" ? { ...entry, detail } : entry);
    const message = tabMessageOf(event);
    if (message) this.#tabs?.post(message);
  }

  #record(entry: Omit<SyncLogEvent, "at" | "seq">): void {
    const event: SyncLogEvent = { seq: ++this.#logged, at: Date.now(), ...entry };
    this.#log.record(event);
    this.events.emit("log", event);
  }

  // ---- other tabs ----

  #onTabMessage(message: TabMessage): void {
    if (this.closed) return;
    if (message.type === "write") {
      this.unloadHeads.forgetItem(message.id); // the other tab may have rewritten the head this page holds
      this.events.emit("change", { type: message.kind, id: message.id, source: "tab" });
    }
    if (this.#countsRefreshScheduled) return;
    this.#countsRefreshScheduled = true;
    setTimeout(() => {
      this.#countsRefreshScheduled = false;
      void this.refreshCounts();
    }, 0);
  }

  // ---- pull and conflicts ----

  /** Reads the change feed page by page from the stored cursor, applying each page as it comes. */
  async #pull(): Promise<{ applied: number; conflicts: number; failed: boolean }> {
    const totals = { applied: 0, conflicts: 0, failed: false };
    let { cursor, rebase } = await pullCursor(this.store);
    let restarted = false;
    while (this.#feedSupported && !this.blockedReason()) {
      let page;
      const signal = this.requests; // read once: setOffline(false) replaces it
      try {
        const custom = this.options.transport;
        const pulled = custom
          ? await pullThrough(custom, cursor, this.#features.pullPageSize, signal)
          : await fetchChanges(this.transport, this.options.endpoint, { cursor, limit: this.#features.pullPageSize, timeoutMs: this.options.timeoutMs }, signal);
        // A listing is the whole collection: compared with what was last synced, it is one page of changes.
        page = pulled.kind === "snapshot" ? { kind: "page" as const, changes: await snapshotChanges(this.store, pulled.items, Date.now()), cursor: "snapshot", hasMore: false } : pulled;
      } catch (error) {
        if (signal.aborted) break; // closing, or forced offline
        throw error; // the headers function failed: the drain reports it and retries after a backoff
      }
      if (page.kind === "unsupported") {
        this.#feedSupported = false;
        break;
      }
      if (page.kind === "expired" && !restarted) {
        cursor = null; // stored again with the first page applied
        rebase = restarted = true;
        this.#record({ type: "pull", summary: "the server no longer knows the cursor: pulling from the start" });
        continue;
      }
      if (page.kind === "expired") {
        // The server refused a cursor it gave in this very pull (replicas out of step): not again and again.
        const error = new SyncRequestError("http", "Pull failed: the server refused its own cursor twice in one pull (HTTP 410)", 410, undefined);
        this.lastError = error;
        this.events.emit("error", error);
        totals.failed = true;
        break;
      }
      if (page.kind !== "page") {
        const verdict = classify(page);
        const error = attemptError(page, Date.now());
        this.lastError = new SyncRequestError(error.code === "conflict" ? "http" : error.code, `Pull failed: ${error.message}`, error.status, error.body);
        this.events.emit("error", this.lastError);
        if (verdict.action === "pause") this.authPaused = true;
        if (verdict.action === "retry" && verdict.unreachable) this.connectivity.set(false);
        // A Retry-After on the feed asks for quiet as one on a push does: the next drains wait for it.
        if (verdict.action === "retry" && verdict.delayMs !== undefined) this.throttle(Date.now() + retryDelay(1, this.options.backoff, verdict.delayMs));
        totals.failed = true;
        break;
      }
      const { applied, conflicts } = await applyPull(this.store, page.changes, page.cursor, Date.now(), this.#clock.ms, rebase && page.hasMore ? "more" : rebase);
      cursor = page.cursor;
      this.#record({ type: "pull", summary: `${applied.length} applied, ${conflicts.length} conflicts` });
      totals.applied += applied.length;
      totals.conflicts += conflicts.length;
      for (const change of applied) {
        this.events.emit("change", change.deleted ? { type: "delete", id: change.id, source: "remote" } : { type: "save", id: change.id, value: change.value as T, source: "remote" });
      }
      if (applied.length > 0) this.#tabs?.post({ type: "queue" });
      if (conflicts.length > 0) await this.#handleConflicts(conflicts as Conflict<T>[], true);
      await this.itemsChanged();
      if (!page.hasMore) break;
    }
    return totals;
  }

  /** Runs the strategy on each conflict; `manual` (or a resolver that throws) leaves it parked. */
  async #handleConflicts(conflicts: Conflict<T>[], announce: boolean): Promise<void> {
    const strategy = this.#strategy;
    for (const found of conflicts) {
      if (announce) {
        this.events.emit("conflict", found);
        this.#record({ type: "conflict", summary: `${found.id}: server has version ${found.serverVersion}`, itemId: found.id });
      }
      // A local edit made while an (async) strategy decided makes its decision stale: decide again from
      // the conflict as it is now, a few times at most; past that it stays parked for the next drain.
      let conflict: Conflict<T> | undefined = found;
      for (let round = 0; conflict && round < 3; round++) {
        let resolution: Resolution<T> | undefined;
        try {
          if (typeof strategy === "function") {
            resolution = await strategy(conflict);
            assertValidResolution(resolution, conflict.id); // undefined too: a function must decide
          } else {
            resolution = resolveBuiltIn(strategy, conflict, this.#features.mergeTie);
          }
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          this.reportError(new SyncLensError("resolver", `The conflict strategy failed for ${conflict.id}: ${reason}; the conflict stays parked`, { cause: error }));
          resolution = undefined;
        }
        if (resolution === undefined || (await this.#applyResolution(conflict.id, resolution, conflict)) !== "changed") break;
        conflict = ((await storedConflicts(this.store, this.#clock.ms)) as Conflict<T>[]).find((current) => current.id === found.id);
      }
    }
    await this.refreshCounts();
  }

  async #applyResolution(id: string, resolution: Resolution<T>, basis: ResolutionBasis): Promise<boolean | "changed"> {
    const outcome = await resolveStoredConflict(this.store, id, resolution, { now: Date.now(), newOpId: newOperationId }, basis);
    if (!outcome || outcome === "changed") return outcome ?? false;
    for (let i = 0; i < outcome.lettersRemoved; i++) this.forgetDeadLetter();
    this.unloadHeads.forgetItem(id);
    if (outcome.queueDelta > 0) this.rerun = true;
    this.#record({ type: "resolved", summary: `${id}: ${typeof resolution === "string" ? resolution : "new value"}`, itemId: id });
    await this.itemsChanged();
    this.events.emit("change", outcome.value ? { type: "save", id, value: outcome.value as T, source: "remote" } : { type: "delete", id, source: "remote" });
    this.#tabs?.post({ type: "queue" });
    return true;
  }

  // ---- reads ----

  /**
   * `cache-first`: answer from the local copy now and refresh in the background. `network-first`: sync
   * first (bounded by `timeoutMs`) when the server is reachable, then answer locally, so pending local
   * edits still show. `hybrid`: network-first while online, cache-first while offline.
   */
  async #routeRead(policy: ReadPolicy = this.#features.read): Promise<void> {
    if (policy === "cache-only") return;
    const { online, forcedOffline } = this.status;
    if (policy === "cache-first" || (policy === "hybrid" && (!online || forcedOffline))) {
      this.kick(true);
      return;
    }
    if (this.blockedReason()) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.timeoutMs)));
    await Promise.race([this.sync().then(() => undefined), deadline]);
    clearTimeout(timer);
  }
}
