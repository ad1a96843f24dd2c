import { wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction } from "idb";
import { coalesce, type WriteKind } from "../sync/coalesce.js";
import type { Conflict } from "../sync/conflicts.js";
import { newOperationId } from "../shared/environment.js";
import { describeError, QueueFullError, StorageError } from "../shared/errors.js";
import type { AttemptError, DeadLetter, OperationType, PendingOperation, SyncItem } from "../shared/types.js";

/**
 * The item's last synced server copy: the version its next write is based on, and the value both sides
 * last agreed on (the base for delta push and three-way merge).
 */
export interface ServerVersion {
  id: string;
  version: number;
  value?: SyncItem;
  updatedAt?: string;
  /**
   * A tombstone: the server deleted the item at `version`. Kept so that the delete, pulled back, is known
   * as what the client already has, not news (and not a conflict with a save made after it).
   */
  deleted?: true;
}

/** The item's last synced copy while the server has it live; undefined for none or a tombstone. */
export function live(base: ServerVersion | undefined): ServerVersion | undefined {
  return base?.deleted ? undefined : base;
}

export interface SyncLensSchema extends DBSchema {
  items: { key: string; value: SyncItem };
  versions: { key: string; value: ServerVersion };
  outbox: { key: number; value: PendingOperation; indexes: { itemId: string } };
  deadLetters: { key: number; value: DeadLetter; indexes: { itemId: string; opId: string } };
  /** Small named records: the drain lease (where Web Locks are missing), later the pull cursor. */
  meta: { key: string; value: MetaRecord };
  /** Conflicts waiting for a resolution, one per item; their item's operations wait meanwhile. */
  conflicts: { key: string; value: Conflict };
  /** Item changes still to be copied to the app's own store (a mirror such as i45), newest per item. */
  intents: { key: string; value: ItemIntent };
}

/** A change to copy to the app's item store: the item's value, or null to delete it. */
export interface ItemIntent {
  id: string;
  value: SyncItem | null;
  /** Changes when the intent is replaced, so a copy of an older value never clears a newer intent; unique across pages and tabs. */
  token: string | number;
}

export interface MetaRecord {
  key: string;
  [field: string]: unknown;
}

const SCHEMA_VERSION = 2;

export type Db = IDBPDatabase<SyncLensSchema>;
export type StoreName = "items" | "versions" | "outbox" | "deadLetters" | "meta" | "conflicts" | "intents";

export const MAX_ERROR_HISTORY = 10;

/** Items whose last state `write()` remembers for its prediction; past this, the oldest are forgotten. */
const MAX_HINTS = 10_000;

/** What a store last saw of an item: its newest pending operation (without the value) and whether the server has it. */
export interface ItemHint {
  last?: Omit<PendingOperation, "value">;
  known: boolean;
}

/** The prediction for an id this store has not seen: a new item. */
const UNSEEN: ItemHint = { known: false };

export interface WriteContext {
  now: number;
  newOpId: () => string;
  isFrozen: (seq: number) => boolean;
  maxQueueSize: number;
  pending: number;
  /** This client's id when it holds queue heads for a pagehide flush: written into its operations (see `heldBy`). */
  holder?: string;
}

/** The effect of one local write on the outbox, for the client's in-memory counters. */
export interface WriteEffect {
  /** +1 appended, 0 rewritten in place, -1 an unsent create vanished with its delete. */
  queueDelta: -1 | 0 | 1;
  /** The operation as stored, absent when dropped. */
  op?: PendingOperation;
  /** Whether the operation is first in line for its item (nothing earlier is pending). */
  head: boolean;
  /** The item's last synced copy, which its next request is based on, if the server has seen it. */
  base: ServerVersion | undefined;
  /** A dead letter of the item holds its later operations (perhaps one another tab made). */
  blocked?: boolean;
  /** The operation removed from the queue (create then delete), by seq. */
  dropped?: number;
}

/**
 * The client's IndexedDB database, one per client name. Items, the server versions they are based on, the
 * outbox and the dead-letter queue live side by side so that a write and its operation commit in one
 * transaction.
 *
 * Failure modes: every method rejects with {@link StorageError} (code `quota_exceeded` for a full disk)
 * when IndexedDB aborts; the transaction is then rolled back whole, so nothing is half-written.
 */
export class SyncStore {
  /** @internal For the store modules of optional features (pull, conflicts, mirror, lease). */
  readonly db: Db;
  /** Whether item changes are also recorded as intents for an app store (see `intents()`). */
  readonly #mirrored: boolean;
  /** Intent tokens: this store's own prefix (another page's or tab's counter may reach the same numbers) and a counter. */
  readonly #intentPrefix = newOperationId();
  #intentCount = 0;
  readonly #hints = new Map<string, ItemHint>();

  private constructor(db: Db, mirrored: boolean) {
    this.db = db;
    this.#mirrored = mirrored;
  }

  static async open(factory: IDBFactory, name: string, mirrored = false): Promise<SyncStore> {
    // idb's openDB always uses the global factory; wrapping the request lets callers inject one (Node tests).
    const db = await guard("open the database", () => {
      const request = factory.open(`synclens:${name}`, SCHEMA_VERSION);
      request.addEventListener("upgradeneeded", (event) => {
        const database = wrap(request.result) as unknown as IDBPDatabase<SyncLensSchema>;
        if (event.oldVersion < 1) {
          database.createObjectStore("items", { keyPath: "id" });
          database.createObjectStore("versions", { keyPath: "id" });
          const outbox = database.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
          outbox.createIndex("itemId", "itemId");
          const dead = database.createObjectStore("deadLetters", { keyPath: "seq" });
          dead.createIndex("itemId", "itemId");
          dead.createIndex("opId", "opId", { unique: true });
        }
        if (event.oldVersion < 2) {
          database.createObjectStore("meta", { keyPath: "key" });
          database.createObjectStore("conflicts", { keyPath: "id" });
          database.createObjectStore("intents", { keyPath: "id" });
        }
      });
      return wrap(request) as unknown as Promise<Db>;
    });
    // Another instance wants a newer schema: let it, instead of blocking it forever.
    db.addEventListener("versionchange", () => db.close());
    return new SyncStore(db, mirrored);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Writes the item (or deletes it) and records the outbox operation, in one transaction.
   * `isFrozen` tells whether a pending operation is being sent right now (in-memory knowledge).
   *
   * The outcome depends on the item's newest pending operation and on whether the server knows the item.
   * Waiting for those reads before writing costs a round trip to the IndexedDB backend, so the write is
   * first made as predicted from what this store last saw of the item (a never-seen id: nothing pending,
   * unknown to the server), with the reads queued ahead of it in the same transaction. If they disagree
   * (another tab or a drain changed the item), the transaction is aborted, which undoes it whole, and the
   * write is made again from the reads.
   */
  async write(kind: WriteKind, id: string, value: SyncItem | undefined, ctx: WriteContext): Promise<WriteEffect> {
    return guard(kind === "save" ? "save the item" : "delete the item", async () => {
      // Without a prediction, #writeOnce always returns an effect or throws.
      return ((await this.#writeOnce(kind, id, value, ctx, this.#hints.get(id) ?? UNSEEN)) ?? (await this.#writeOnce(kind, id, value, ctx)))!;
    });
  }

  /** One attempt at `write()`; with `predicted`, returns undefined (having written nothing) when it was wrong. */
  async #writeOnce(kind: WriteKind, id: string, value: SyncItem | undefined, ctx: WriteContext, predicted?: ItemHint): Promise<WriteEffect | undefined> {
    const tx = this.db.transaction(this.withIntents(["items", "versions", "outbox", "deadLetters"]), "readwrite");
    const outbox = tx.objectStore("outbox");
    const reads = Promise.all([
      outbox.index("itemId").getAll(IDBKeyRange.only(id)),
      tx.objectStore("versions").get(id),
      tx.objectStore("deadLetters").index("itemId").count(id),
    ]);
    const writes: Promise<unknown>[] = [tx.done];
    const undo = async (): Promise<undefined> => {
      tx.abort();
      await Promise.all([reads, ...writes]).catch(() => undefined);
      return undefined;
    };
    let basis = predicted;
    if (!basis) {
      const [ops, known] = await reads;
      basis = { last: ops[ops.length - 1], known: live(known) !== undefined };
    }
    const { last } = basis;
    // Another page's operation may be fired from its in-memory copy at any moment: as good as sent.
    const frozen = (op: Omit<PendingOperation, "value">) => op.attempts > 0 || ctx.isFrozen(op.seq) || (op.heldBy ?? ctx.holder) !== ctx.holder;
    const decision = coalesce(last && { type: last.type, frozen: frozen(last) }, kind, basis.known);
    if (decision.action === "append" && ctx.pending >= ctx.maxQueueSize) {
      await undo();
      if (predicted) return undefined;
      throw new QueueFullError(ctx.maxQueueSize);
    }
    writes.push(this.putItem(tx, id, kind === "save" ? value : null));
    const held = ctx.holder ? { heldBy: ctx.holder } : {};
    let op: PendingOperation | undefined;
    if (decision.action === "drop") {
      writes.push(outbox.delete(last!.seq));
    } else if (decision.action === "replace") {
      // Every rewrite moves updatedAt, even within a millisecond: it is how others tell the operation changed.
      op = withValue({ ...last!, type: decision.type, updatedAt: Math.max(ctx.now, last!.updatedAt + 1), ...held }, decision.type, value) as PendingOperation;
      writes.push(outbox.put(op));
    } else {
      const draft = withValue({ ...newOperation(id, decision.type, ctx.now, ctx.newOpId()), ...held }, decision.type, value);
      writes.push(outbox.add(draft as PendingOperation).then((seq) => (op = { ...draft, seq })));
    }
    const [ops, base, letters] = await reads;
    const actual = ops[ops.length - 1];
    if (predicted && !(sameOperation(actual, predicted.last) && (live(base) !== undefined) === predicted.known)) return undo();
    // Fired meanwhile (a pagehide here or in another tab, while the reads were pending): not to be rewritten.
    if (predicted && last && decision.action !== "append" && ctx.isFrozen(last.seq)) return undo();
    await Promise.all(writes);
    const server = live(base);
    const effect: WriteEffect =
      decision.action === "drop"
        ? { queueDelta: -1, head: false, base: server, dropped: last!.seq }
        : { queueDelta: decision.action === "append" ? 1 : 0, op: op!, head: (ops[0]?.seq ?? op!.seq) === op!.seq, base: server, blocked: letters > 0 };
    this.hint(id, { last: op ?? ops[ops.length - 2], known: server !== undefined });
    return effect;
  }

  /**
   * @internal A drain rewrote or removed `op`: if it is the item's newest pending operation as remembered, remember
   * `next` in its place (`known`: whether the server now has the item, when that changed).
   */
  hintReplaced(op: PendingOperation, next: PendingOperation | undefined, known?: boolean): void {
    const hint = this.#hints.get(op.itemId);
    if (hint?.last?.seq === op.seq) this.hint(op.itemId, { last: next, known: known ?? hint.known });
    else if (hint && known !== undefined) hint.known = known;
  }

  /** Forgets what this store saw of an item: its next write reads before it writes. */
  forget(id: string): void {
    this.#hints.delete(id);
  }

  /** Remembers what this store last saw of an item, for the next write's prediction (see `write()`). */
  hint(id: string, hint: ItemHint | undefined): void {
    this.#hints.delete(id);
    if (!hint) return;
    if (this.#hints.size >= MAX_HINTS) this.#hints.delete(this.#hints.keys().next().value!);
    const { last } = hint;
    this.#hints.set(id, { known: hint.known, ...(last ? { last: withoutValue(last) } : {}) });
  }

  /**
   * Writes an item change in `tx`; with a mirrored app store, also the intent to copy it there, in the
   * same transaction, so the copy can always be finished later (see `intents()`).
   */
  putItem(tx: IDBPTransaction<SyncLensSchema, StoreName[], "readwrite">, id: string, value: SyncItem | null | undefined): Promise<unknown> {
    const items = tx.objectStore("items");
    const write = value ? items.put(value) : items.delete(id);
    if (!this.#mirrored) return write;
    return Promise.all([write, tx.objectStore("intents").put({ id, value: value ?? null, token: `${this.#intentPrefix}:${++this.#intentCount}` })]);
  }

  /** A transaction's stores, plus the intents store when there is an app store to copy to. */
  withIntents(stores: StoreName[]): StoreName[] {
    return this.#mirrored ? [...stores, "intents"] : stores;
  }

  async getItem(id: string): Promise<SyncItem | undefined> {
    return guard("read an item", () => this.db.get("items", id));
  }

  async listItems(): Promise<SyncItem[]> {
    return guard("list items", () => this.db.getAll("items"));
  }

  /** Conflicts parked by a client with conflict handling (their items wait); none are parked without it. */
  async countConflicts(): Promise<number> {
    return guard("count conflicts", () => this.db.count("conflicts"));
  }

  async countPending(): Promise<number> {
    return guard("count the outbox", () => this.db.count("outbox"));
  }

  async oldestPendingAt(): Promise<number | null> {
    return (await this.pending(1))[0]?.createdAt ?? null;
  }

  async pending(limit?: number, after?: number): Promise<PendingOperation[]> {
    return guard("read the outbox", () => this.db.getAll("outbox", after === undefined ? null : IDBKeyRange.lowerBound(after, true), limit));
  }

  /**
   * A small named record shared by every client of the database: `lastSyncAt` (`at`: when a drain last
   * reached the server without a failure), `drainHolder` (`page`, `since`: who took the drain last).
   */
  async meta(key: string): Promise<MetaRecord | undefined> {
    return guard("read the database's state", () => this.db.get("meta", key));
  }

  async setMeta(record: MetaRecord): Promise<void> {
    await guard("record the database's state", () => this.db.put("meta", record));
  }

  async deadLetters(): Promise<DeadLetter[]> {
    return guard("read dead letters", () => this.db.getAll("deadLetters"));
  }

  /** The item of every dead letter (dead letters are few: reading them whole is fine). */
  async deadItemIds(): Promise<string[]> {
    return (await this.deadLetters()).map((letter) => letter.itemId);
  }

  /** Of the operations `held` (seq, updatedAt), those still queued unchanged. */
  async unchanged(held: ReadonlyArray<readonly [number, number]>): Promise<Set<number>> {
    if (held.length === 0) return new Set();
    return guard("read the outbox", async () => {
      const outbox = this.db.transaction("outbox").store;
      const ops = await Promise.all(held.map(([seq]) => outbox.get(seq)));
      return new Set(held.filter(([, updatedAt], i) => ops[i]?.updatedAt === updatedAt).map(([seq]) => seq));
    });
  }

  /** Counts an attempt for each operation still queued; with `unsentOnly`, only for those never attempted. */
  async markAttempted(seqs: readonly number[], now: number, unsentOnly = false): Promise<void> {
    await guard("mark operations as sent", async () => {
      const tx = this.db.transaction("outbox", "readwrite");
      for (const seq of seqs) {
        const op = await tx.store.get(seq);
        if (op && !(unsentOnly && op.attempts > 0)) await tx.store.put({ ...op, attempts: op.attempts + 1, lastAttemptAt: now });
      }
      await tx.done;
    });
  }

  /**
   * Puts dead letters back into the outbox under their original `seq`, so they keep their place ahead of
   * later operations for the same item. Failures are reset; the error history is kept.
   */
  async retryDeadLetters(opIds: readonly string[] | "all", now: number): Promise<DeadLetter[]> {
    return guard("retry dead letters", async () => {
      const tx = this.db.transaction(["outbox", "deadLetters"], "readwrite");
      const dead = tx.objectStore("deadLetters");
      const letters =
        opIds === "all"
          ? await dead.getAll()
          : (await Promise.all(opIds.map((opId) => dead.index("opId").get(opId)))).filter((letter) => letter !== undefined);
      for (const letter of letters) {
        const { deadAt: _deadAt, reason: _reason, reply: _reply, ...op } = letter;
        await tx.objectStore("outbox").put({ ...op, failures: 0, nextAttemptAt: now });
        this.forget(op.itemId);
        await dead.delete(letter.seq);
      }
      await tx.done;
      return letters;
    });
  }

  /**
   * Removes a dead letter for good. When the server never took it (refused, or a version conflict) and
   * nothing else of its item is pending, dead or parked in a conflict, the item goes back to its last
   * synced copy (or away, if the server never had it): the discarded edit never happened. A letter that ran
   * out of retries may have been applied with its replies lost: its item stays as it is.
   * Returns the letter, and the item's restored value (`null`: deleted) when it was restored.
   */
  async discardDeadLetter(opId: string): Promise<{ letter: DeadLetter; restored?: SyncItem | null } | undefined> {
    return guard("discard a dead letter", async () => {
      const tx = this.db.transaction(this.withIntents(["deadLetters", "outbox", "items", "versions", "conflicts"]), "readwrite");
      const letters = tx.objectStore("deadLetters");
      const letter = await letters.index("opId").get(opId);
      if (!letter) {
        await tx.done;
        return undefined;
      }
      const { itemId } = letter;
      const [, pending, dead, base, parked] = await Promise.all([
        letters.delete(letter.seq),
        tx.objectStore("outbox").index("itemId").count(itemId),
        letters.index("itemId").count(itemId),
        tx.objectStore("versions").get(itemId),
        tx.objectStore("conflicts").count(itemId),
      ]);
      // A refused reused key means that key was applied, with another body.
      const reused = (letter.reply?.body as { error?: unknown } | undefined)?.error === "idempotency_key_reused";
      const untaken = (letter.reason === "rejected" || letter.reason === "conflict") && !reused;
      const restored = untaken && pending + dead + parked === 0 ? (base?.value ?? null) : undefined;
      if (restored !== undefined) await this.putItem(tx, itemId, restored);
      await tx.done;
      return { letter, ...(restored === undefined ? {} : { restored }) };
    });
  }
}

export function newOperation(itemId: string, type: OperationType, now: number, opId: string): Omit<PendingOperation, "seq"> {
  return { opId, itemId, type, createdAt: now, updatedAt: now, attempts: 0, failures: 0, nextAttemptAt: now, errors: [] };
}

export function withValue<O extends Omit<PendingOperation, "seq">>(op: O, type: OperationType, value: SyncItem | undefined): O {
  const { value: _old, ...rest } = op;
  return (type === "delete" || value === undefined ? rest : { ...rest, value }) as O;
}

function withoutValue({ value: _value, ...meta }: Omit<PendingOperation, "value"> & { value?: unknown }): Omit<PendingOperation, "value"> {
  return meta;
}

/** Whether a stored operation is the one predicted: same key, same write, same attempts (the value is not compared). */
function sameOperation(actual: PendingOperation | undefined, predicted: Omit<PendingOperation, "value"> | undefined): boolean {
  if (!actual || !predicted) return actual === predicted;
  return actual.seq === predicted.seq && actual.opId === predicted.opId && actual.type === predicted.type && actual.updatedAt === predicted.updatedAt && actual.attempts === predicted.attempts;
}

export function synced(id: string, version: number, value: SyncItem | undefined, updatedAt: string | undefined): ServerVersion {
  const record: ServerVersion = { id, version };
  if (value !== undefined) record.value = value;
  if (updatedAt !== undefined) record.updatedAt = updatedAt;
  return record;
}

export function tombstone(id: string, version: number): ServerVersion {
  return { id, version, deleted: true };
}

export function pushError(history: readonly AttemptError[], error: AttemptError): AttemptError[] {
  return [...history, error].slice(-MAX_ERROR_HISTORY);
}

export async function guard<R>(what: string, run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof QueueFullError) throw error;
    throw new StorageError(`Could not ${what} (${describeError(error)})`, error);
  }
}
