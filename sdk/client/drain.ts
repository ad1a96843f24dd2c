import { newOperationId } from "../shared/environment.js";
import type { SyncBlocked, SyncItem, SyncResult } from "../shared/types.js";
import { backoffDelay } from "../sync/backoff.js";
import { takeReady, type ReadyBatch } from "../storage/drain-store.js";
import { leaseDrainLock, webLocksDrainLock, type DrainLock } from "../tabs/drain-lock.js";
import { BatchLayer } from "./batch.js";

/** How soon to try again when another tab or worker holds the drain. */
const BUSY_RETRY_MS = 1000;

/**
 * The core client's drain layer (client.ts lists the others): `sync()`, and drains, one at a time per
 * database (the lock, shared with other tabs and workers), batch after batch until nothing is due or
 * something holds them back, then the full client's pull. A drain that throws is tried again after a
 * growing backoff. `Context`: as for `Client`.
 */
export abstract class DrainLayer<T extends SyncItem, Context> extends BatchLayer<T> {
  // Set once the database is open (openDrainLock()); every drain starts after that.
  #lock!: DrainLock;
  #draining: Promise<SyncResult> | null = null;
  #running = false;
  /** The last skip reason logged, so a drain retried every second while another tab drains logs it once. */
  #lastSkip: string | undefined;
  /** The running drain has looked at the queue for the last time: a new request must start another one. */
  #drainEnding = false;
  /** Drains in a row that threw (storage, headers): sets their retry delay. */
  #drainErrors = 0;
  /** Since when drains found another tab or worker holding the lock; null once one ran here. */
  #busySince: number | null = null;
  /** The drain's holder, as it recorded itself, when this client last found the drain busy. */
  #busyHolder: { page?: string; since: number } | undefined;
  /** When the earliest pending operation in backoff is due, as the last drain found nothing due before it. */
  #dueAt: number | null = null;

  abstract readonly ready: Promise<void>;
  /** Wakes the queue at `at` (the trigger layer's). */
  protected abstract wake(at: number): void;

  protected get running(): boolean {
    return this.#running;
  }

  protected drainBlocked(now: number, work: boolean): SyncBlocked | null {
    const { until, failures: attempt, kind } = this.circuit;
    if (now < this.throttledUntil) return { reason: "throttled", until: this.throttledUntil };
    if (work && now < until) return kind === "slow" ? { reason: "slow", timeoutMs: this.options.timeoutMs, until, attempt } : { reason: "backoff", until, attempt };
    if (work && this.#busySince !== null) return { reason: "busy", since: this.#busySince, ...(this.#busyHolder ? { holder: this.#busyHolder } : {}) };
    if (work && !this.#draining && this.#dueAt !== null && now < this.#dueAt) return { reason: "backoff", until: this.#dueAt };
    return null;
  }

  /** The database is open: drains may start. */
  protected openDrainLock(): void {
    this.#lock = this.createDrainLock();
  }

  /** Settles once the drain under way, if any, has ended. */
  protected whenDrained(): Promise<unknown> | undefined {
    return this.#draining?.catch(() => undefined);
  }

  // ---- hooks: empty in the core, filled in by the full client ----

  /** One drain at a time per database, across tabs and workers (see tabs/drain-lock.ts). */
  protected createDrainLock(): DrainLock {
    return webLocksDrainLock(this.options.name) ?? leaseDrainLock(this.store, newOperationId());
  }

  /** A drain won the lock and is about to start, for `context` (absent when not started by `sync()`). */
  protected drainStarting(_context: Context | undefined): void {}

  /** Before the first batch of a drain. */
  protected async beforePush(): Promise<void> {}

  /** After the outbox is drained (when not blocked); adds to `result` and returns whether something failed. */
  protected async afterPush(_result: SyncResult): Promise<boolean> {
    return false;
  }

  // ---- draining ----

  sync(): Promise<SyncResult> {
    return this.syncWith();
  }

  /** `sync()`, handing `context` to the drain it starts (a drain already running keeps its own). */
  protected async syncWith(context?: Context): Promise<SyncResult> {
    const skipped = this.closed ? "closed" : undefined;
    if (skipped) return this.#emptyResult(skipped);
    await this.ready;
    if (!this.connectivity.online && !this.forcedOffline) await this.connectivity.probe();
    this.probeNow(); // asked for now: the next batch is the probe
    const blocked = this.blockedReason();
    if (blocked) return this.#emptyResult(blocked);
    return this.drain(context);
  }

  /** Drains the queue, or joins the drain under way; `context` goes to the drain it starts. */
  protected drain(context?: Context): Promise<SyncResult> {
    if (this.#draining) {
      // Past its last look at the queue (releasing the lock), the running drain would not send what
      // this caller wants sent: run another one once it is done.
      if (this.#drainEnding) return this.#draining.then(() => this.drain(context));
      this.rerun = true;
      return this.#draining;
    }
    const run = this.#lock
      .run(async (stillHeld) => {
        this.#busySince = null;
        this.#running = true;
        this.exclusiveDrain = stillHeld === undefined;
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
          this.wake(Date.now() + BUSY_RETRY_MS); // another tab or worker is draining this queue
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
    this.recorder.drain();
    const requestsBefore = this.recorder.requests;
    let failed = false;
    /** The next batch, taken while the current one's request is out, and the size it was taken at. */
    let ahead: { batch: Promise<ReadyBatch>; limit: number } | undefined;
    const take = (limit: number) => takeReady(this.store, Date.now(), limit, this.inFlight, this.holder);
    /** Puts back the batch taken ahead, if any: the drain stops before sending it. */
    const putBack = async () => {
      const taken = ahead?.batch;
      ahead = undefined;
      if (taken) await this.releaseUnsent(await taken);
    };
    try {
      // Conflicts parked earlier and never resolved (a crash mid-way, a custom resolver that threw).
      await this.beforePush();
      // The budget counts from here, and the first batch always goes: a slow resolver above must not
      // leave every drain ending before it sends anything.
      const budgetFrom = Date.now();
      let batches = 0;
      const { batchSize, maxBatchSize, timeoutMs } = this.options;
      /** The size of the next batch: it doubles after each full one while the server keeps up. */
      let size = batchSize;
      /** The last request went through within a quarter of timeoutMs (none yet: as if it had). */
      let fast = true;
      do {
        this.rerun = false;
        while (!this.blockedReason()) {
          if (Date.now() < this.throttledUntil) {
            result.skipped = "throttled"; // the server asked for quiet (Retry-After): not even a pull
            this.wake(this.throttledUntil);
            break;
          }
          if (Date.now() < this.circuit.until) {
            result.skipped = "backoff"; // the server failed as a whole: one probe when the backoff ends
            this.wake(this.circuit.until);
            break;
          }
          if (batches > 0 && Date.now() - budgetFrom > this.options.maxSyncDurationMs) {
            result.skipped = "budget";
            this.wake(Date.now());
            break;
          }
          if (stillHeld && !(await stillHeld())) {
            result.skipped = "busy"; // the lease ran out (this page was suspended) and another tab took it
            this.wake(Date.now() + BUSY_RETRY_MS);
            break;
          }
          const early = ahead;
          ahead = undefined;
          const limit = early?.limit ?? size;
          const batch = await (early?.batch ?? take(limit));
          // Taken while the batch before it was out, an empty batch knows nothing of that batch's retries
          // and when they are due: look again.
          if (early && batch.ops.length === 0) continue;
          this.setDeadItems(batch.deadItemIds);
          this.#dueAt = batch.ops.length ? null : batch.nextDueAt;
          if (batch.ops.length === 0) {
            if (batch.nextDueAt !== null) this.wake(batch.nextDueAt);
            else if (this.pending > 0) await this.recount(); // nothing queued at all: another tab drained it
            break;
          }
          batches++;
          // A full batch may leave more due: take the next while this one's request is out. Its items are
          // not this batch's (one operation per item is in flight), so per-item order holds. A long queue
          // goes in fewer, larger requests.
          const full = batch.ops.length >= limit;
          if (full) size = fast ? Math.min(size * 2, maxBatchSize) : batchSize;
          const prefetch = full ? () => void (ahead = { batch: take(size), limit: size }).batch.catch(() => undefined) : undefined;
          const summary = await this.sendBatch(batch, prefetch);
          fast = !summary.failed && summary.latencyMs <= timeoutMs / 4;
          result.pushed += summary.pushed;
          result.retried += summary.retried;
          result.deadLettered += summary.dead;
          result.conflicts += summary.conflicts;
          failed ||= summary.failed; // a pause, an outage, a throttle or the circuit: the checks above end the loop
        }
        await putBack();
        if (!this.blockedReason() && !result.skipped) failed = (await this.afterPush(result)) || failed;
      } while (this.rerun && !this.blockedReason());
      this.#drainErrors = 0;
    } catch (error) {
      failed = true;
      this.reportError(error);
      await putBack().catch(() => undefined); // a take that failed claimed nothing
      this.#retryFailedDrain(); // the batch stays queued (a storage fault, a headers function that threw)
    }
    this.#drainEnding = true;
    // Only a drain that reached the server says anything about it: one that sent nothing (all in backoff)
    // neither clears the last error nor counts as a sync.
    if (!failed && this.recorder.requests > requestsBefore) this.countSync();
    if (!failed) this.clearErrorIfNothingLeft();
    const blocked = this.blockedReason();
    if (blocked && !result.skipped) result.skipped = blocked;
    if (this.recorder.requests > requestsBefore) this.#lastSkip = undefined;
    if (result.skipped) this.#skipped(result.skipped);
    result.remaining = this.pending;
    result.durationMs = Date.now() - started;
    return result;
  }

  /** A drain (or its lock) threw: the queue is tried again after a backoff that grows with each such failure. */
  #retryFailedDrain(): void {
    this.wake(Date.now() + backoffDelay(++this.#drainErrors, this.options.backoff));
  }

  /** Logs why a drain did not run (once per reason in a row: a drain retried every second logs it once). */
  #skipped(reason: string): void {
    if (reason !== this.#lastSkip) this.trace({ type: "skipped", reason });
    this.#lastSkip = reason;
  }

  /** The result of a drain that did not run, for `skipped`. */
  #emptyResult(skipped: NonNullable<SyncResult["skipped"]>): SyncResult {
    this.#skipped(skipped);
    return { pushed: 0, pulled: 0, conflicts: 0, retried: 0, deadLettered: 0, remaining: this.pending, durationMs: 0, skipped };
  }
}
