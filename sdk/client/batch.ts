import { newOperationId } from "../shared/environment.js";
import { SyncLensError, SyncRequestError } from "../shared/errors.js";
import type { DeadLetter, PendingOperation, SyncItem } from "../shared/types.js";
import { settle, type ReadyBatch, type SettleAction } from "../storage/drain-store.js";
import type { ServerVersion } from "../storage/store.js";
import { backoffDelay, retryDelay } from "../sync/backoff.js";
import { classify, type SendOutcome } from "../sync/classify.js";
import { acceptedRecord, attemptError, serverCurrent, type FailedOutcome } from "../sync/replies.js";
import { pushThrough } from "../transport/outcomes.js";
import { protocolPush } from "../transport/protocol-push.js";
import { HttpTransport, toWireOp, type WireOp } from "../transport/transport.js";
import { StatusLayer } from "./status.js";

/**
 * The server failing as a whole (5xx, timeouts: `slow`, network errors, with no operation of a batch going
 * through): no operation is blamed; drains wait until `until`, then one batch probes, on the backoff
 * schedule of `failures`. Any acknowledged operation closes it.
 */
export interface Circuit {
  kind: "server" | "slow";
  failures: number;
  until: number;
}
const CLOSED: Circuit = { kind: "server", failures: 0, until: 0 };

/** What became of a batch's operations; `latencyMs`: how long its request took. */
export interface BatchSummary {
  pushed: number;
  retried: number;
  dead: number;
  conflicts: number;
  failed: boolean;
  latencyMs: number;
}

/**
 * The core client's batch layer (client.ts lists the others): sends one batch and settles it from the
 * replies, each operation acknowledged, released, re-keyed, parked as a conflict, retried after a backoff
 * or dead-lettered; and what the replies say of the server as a whole (the circuit, `Retry-After`).
 */
export abstract class BatchLayer<T extends SyncItem> extends StatusLayer<T> {
  protected readonly transport = new HttpTransport({
    endpoint: this.options.endpoint,
    fetch: this.options.fetch,
    headers: this.options.headers,
    timeoutMs: this.options.timeoutMs,
    onRequest: ({ bytes, rawBytes, latencyMs }) => this.recorder.request(bytes, rawBytes, latencyMs),
  });
  /** Operations being sent (from the moment a take picks them): the drain skips them, and writes must not rewrite them. */
  protected readonly inFlight = new Set<number>();
  /**
   * The client's own operations (taken without a stored attempt mark) whose request may have reached the
   * server but whose outcome could not be stored (a storage fault): writes must not rewrite them, though
   * nothing in the database says so, until a later settle of theirs is stored.
   */
  protected readonly sentUnsettled = new Set<number>();
  /** Marks the operations this client may fire at pagehide, so that no other client rewrites them (see `heldBy`). */
  protected readonly holder = this.options.triggers.flushOnPageHide ? newOperationId() : undefined;
  /**
   * Set while the drain holds a lock that cannot be lost (Web Locks): nothing but this drain then writes
   * the versions of the items it sends, so a batch is settled against the versions read when it was taken.
   */
  protected exclusiveDrain = false;
  /** Set when the queue changed during a drain: the drain runs another round before it ends. */
  protected rerun = false;
  /** Until when the server asked for quiet (Retry-After): drains send nothing, not even a pull, before then. */
  #throttledUntil = 0;
  #circuit = CLOSED;

  protected get throttledUntil(): number {
    return this.#throttledUntil;
  }

  protected get circuit(): Readonly<Circuit> {
    return this.#circuit;
  }

  /** The next batch goes now, as the circuit's probe: a sync asked for, or the server reachable again. */
  protected probeNow(): void {
    this.#circuit = { ...this.#circuit, until: 0 };
  }

  /** The server asked for quiet (`Retry-After`) until `until`: drains send nothing before then, not even a pull. */
  protected throttle(until: number): void {
    this.#throttledUntil = Math.max(this.#throttledUntil, until);
  }

  // ---- hooks: empty in the core, filled in by the full client ----

  /** The request for an operation, from the item's last synced copy. */
  protected wireOp(op: PendingOperation, base: ServerVersion | undefined): WireOp {
    return toWireOp(op, base);
  }

  /** Sends a batch's requests; one outcome per request. Throws only when `signal` aborts. */
  protected async send(wires: WireOp[], signal: AbortSignal, headers: Record<string, string>): Promise<SendOutcome[]> {
    const custom = this.options.transport;
    // The protocol is one transport among others: the same seam, with the batch's headers already resolved.
    if (!custom) return pushThrough({ push: (ops, context) => protocolPush(this.transport, ops, context.signal, headers) }, wires, signal);
    // One push is one request to the metrics, whatever the transport makes of it (the protocol's count its own).
    const started = Date.now();
    const outcomes = await pushThrough(custom, wires, signal);
    this.recorder.request(0, 0, Date.now() - started);
    return outcomes;
  }

  /** Whether a 409 is to be parked as a conflict (then `conflictsFound` follows); in the core it is dead-lettered. */
  protected parkConflict(_op: PendingOperation, _outcome: FailedOutcome): boolean {
    return false;
  }

  /** The conflicts `parkConflict` took are to be parked (the batch is settled, their operations still queued). */
  protected async conflictsFound(_now: number): Promise<void> {}

  // ---- sending ----

  /**
   * Sends a taken batch and settles it. `sending` is called as its request is about to go: the drain takes
   * the next batch meanwhile.
   */
  protected async sendBatch(batch: ReadyBatch, sending?: () => void): Promise<BatchSummary> {
    const { ops, versions } = batch;
    this.trace({ type: "send", ops });
    // Read once: setOffline(false) replaces the controller while these requests may still use the old one.
    const signal = this.requests;
    const stopped = { pushed: 0, retried: 0, dead: 0, conflicts: 0, failed: true, latencyMs: 0 };
    /** Whether the request may have gone out, and whether what became of it is stored. */
    let sent = false;
    let stored = false;
    try {
      let headers: Record<string, string>;
      try {
        headers = await this.transport.resolveHeaders(signal);
      } catch (error) {
        // Nothing was sent: the attempt mark goes, so that the items' next edits may still coalesce.
        await this.releaseUnsent(batch);
        if (signal.aborted) return stopped;
        throw error;
      }
      let outcomes: SendOutcome[];
      let sentAt = 0;
      try {
        const wires = ops.map((op) => this.wireOp(op, versions.get(op.itemId)));
        sending?.();
        sentAt = Date.now();
        sent = true;
        outcomes = await this.send(wires, signal, headers);
      } catch (error) {
        if (!signal.aborted) throw error; // aborted: closing, or forced offline
        await settle(this.store, ops.map((op) => ({ kind: "release", op })), Date.now(), batch);
        stored = true;
        return stopped;
      }
      const latencyMs = Date.now() - sentAt;
      const summary = await this.#settle(batch, outcomes);
      stored = true;
      return { ...summary, latencyMs };
    } finally {
      for (const op of ops) {
        this.inFlight.delete(op.seq);
        if (stored) this.sentUnsettled.delete(op.seq);
        else if (sent && batch.unmarked.has(op.seq)) this.sentUnsettled.add(op.seq);
      }
    }
  }

  /** A taken batch goes back unsent: its attempt marks are taken back, and it is no longer in flight. */
  protected async releaseUnsent(batch: ReadyBatch): Promise<void> {
    try {
      await settle(this.store, batch.ops.map((op) => ({ kind: "release", op, unsent: true })), Date.now(), batch);
    } finally {
      for (const op of batch.ops) this.inFlight.delete(op.seq);
    }
  }

  async #settle(batch: ReadyBatch, outcomes: SendOutcome[]) {
    const { ops, versions } = batch;
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
        this.recorder.outcome("success");
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
        this.recorder.outcome("failure");
        actions.push({ kind: "release", op, conflict: true });
        return;
      }
      const error = attemptError(outcome, now);
      firstError ??= new SyncRequestError(error.code === "conflict" ? "http" : error.code, error.message, error.status, error.body);
      if (verdict.action === "pause") {
        pause = true;
        this.recorder.outcome("failure");
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
        this.recorder.outcome("retry");
        actions.push({ kind: "retry", op, error, failures, nextAttemptAt: now + delay });
      } else {
        unreachable ||= verdict.action === "retry" && verdict.unreachable;
        const reason = verdict.action === "conflict" ? "conflict" : verdict.action !== "retry" ? "rejected" : expired ? "expired" : "max_retries";
        const reply = "body" in outcome ? { status: outcome.status, body: outcome.body } : undefined;
        // A 409 names the server's copy: the item's later writes are based on it, or they would all be refused too.
        const server = verdict.action === "conflict" ? serverCurrent(outcome) : undefined;
        this.recorder.outcome("dead");
        actions.push({ kind: "dead", op, error, reason, ...(reply ? { reply } : {}), ...(server === undefined ? {} : { server: server?.value ? server : null }) });
      }
    });
    const settled = await settle(this.store, actions, now, this.exclusiveDrain ? batch : { unmarked: batch.unmarked });
    this.countSettled(settled);
    for (const op of [...settled.acked, ...settled.dead]) this.unloadHeads.forget(op.seq);
    const versionBySeq = new Map(actions.flatMap((a) => (a.kind === "ack" ? [[a.op.seq, a.version] as const] : [])));
    for (const op of settled.acked) {
      this.events.emit("synced", { opId: op.opId, itemId: op.itemId, type: op.type, version: versionBySeq.get(op.seq) ?? 0 });
    }
    for (const letter of settled.dead) {
      this.countDeadLetter(letter.itemId);
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
}
