import { newOperationId } from "../shared/environment.js";
import { QueueFullError, SyncLensError } from "../shared/errors.js";
import type { SyncItem } from "../shared/types.js";
import { FlushJournal } from "../storage/flush-journal.js";
import type { WriteEffect } from "../storage/store.js";
import { assertValidId, assertValidItem } from "../sync/validate.js";
import { keepaliveRoom } from "../transport/transport.js";
import { DrainLayer } from "./drain.js";

/**
 * The core client's write layer (client.ts lists the others): `save()` and `delete()`, each refused whole
 * or committed with its outbox operation in one transaction (storage/store.ts), never rewriting an
 * operation that may have reached the server (being sent, or fired at pagehide by this page or another);
 * dead letters put back or discarded; and the pagehide flush of the queue heads written in this page.
 */
export abstract class WriteLayer<T extends SyncItem, Context> extends DrainLayer<T, Context> {
  /** Operations fired at pagehide whose attempt mark is not stored yet: writes must not rewrite them. */
  readonly #flushed = new Set<number>();
  readonly #journal = new FlushJournal(this.options.name, this.environment.localStorage?.());
  /** Writes begun and not yet committed: near `maxQueueSize`, a write waits for them to know the count. */
  readonly #writing = new Set<Promise<WriteEffect>>();
  /** Items with a write under way, and how many. */
  readonly #writingIds = new Map<string, number>();


  /** Local items changed (a write, a pull, a resolution), committed. A hook: empty in the core, filled in by the full client. */
  protected async itemsChanged(): Promise<void> {}

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
    this.countDiscarded();
    const id = letter.itemId;
    // The item back to what the server has: the app (and, through the trace, other tabs) sees the discarded edit undone.
    this.trace({ type: "letters", requeued: false, ...(restored === undefined ? {} : { restored: { id, kind: restored ? "save" : "delete" } }) });
    if (restored !== undefined) {
      await this.itemsChanged();
      this.events.emit("change", restored ? { type: "save", id, value: restored as T, source: "local" } : { type: "delete", id, source: "local" });
    }
    this.clearErrorIfNothingLeft();
    this.emitStatus();
    this.kick();
  }

  async #retryLetters(opIds: string[] | "all"): Promise<number> {
    this.assertOpen();
    await this.ready;
    const letters = await this.store.retryDeadLetters(opIds, Date.now());
    await this.countRequeued(letters);
    this.trace({ type: "letters", requeued: true });
    this.emitStatus();
    this.kick();
    return letters.length;
  }

  /** A local write refused (invalid, storage full or failing, queue full) is counted and reported, then thrown to its caller. */
  async #refusable(kind: "save" | "delete", write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.recorder.refusedWrites++;
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
    if (fired.length > 0) void this.adoptJournal(fired).catch((error: unknown) => this.reportError(error));
    // Each uncommitted write may add an operation: near the limit, wait until they have, or have not.
    while (this.#writing.size > 0 && this.pending + this.#writing.size >= this.options.maxQueueSize) await Promise.allSettled([...this.#writing]);
    const context = {
      now: Date.now(),
      newOpId: newOperationId,
      // The journal is read again: another tab may fire while this write's reads are pending.
      isFrozen: (seq: number) => this.inFlight.has(seq) || this.sentUnsettled.has(seq) || this.#flushed.has(seq) || fired.includes(seq) || this.#journal.read().includes(seq),
      maxQueueSize: this.options.maxQueueSize,
      pending: this.pending + this.#writing.size,
      holder: this.holder,
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
    this.countWrite(effect);
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
  protected flushOnPageHide(): void {
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

  /** Marks what the flush journal lists as sent (those never attempted), then clears it from the journal. */
  protected async adoptJournal(fired: number[] = this.#journal.read()): Promise<void> {
    if (fired.length === 0) return;
    await this.store.markAttempted(fired, Date.now(), true);
    this.#journal.forget(fired);
  }
}
