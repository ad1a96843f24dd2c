import { byteLength, KEEPALIVE_BUDGET_BYTES, type WireOp } from "../transport/transport.js";
import type { PendingOperation } from "../shared/types.js";

/** Heads kept at most: a page that writes more has most of them sent by its drains anyway. */
const MAX_HEADS = 100;

/**
 * The queue heads written in this page, held in memory as JSON wire operations, because `pagehide` cannot
 * wait for IndexedDB: what is fired then must already be at hand. Only first-in-line operations are held
 * (sending one never overtakes an earlier operation of its item), and the JSON is taken at write time, so
 * the app mutating its object later cannot change a body sent under an existing key.
 */
export class UnloadHeads {
  readonly #heads = new Map<number, [itemId: string, wire: string, updatedAt: number]>();

  get size(): number {
    return this.#heads.size;
  }

  /** `wire`: the request the drain would send for `op`, so that a flushed key is never resent as another request. */
  remember(op: PendingOperation, wire: WireOp): void {
    this.forgetItem(op.itemId); // a new head: an earlier one held for the item is no longer pending
    if (this.#heads.size >= MAX_HEADS) return;
    this.#heads.set(op.seq, [op.itemId, JSON.stringify(wire), op.updatedAt]);
  }

  /** Each held head's `seq` and the `updatedAt` of the operation as it was when held. */
  held(): Array<[seq: number, updatedAt: number]> {
    return [...this.#heads].map(([seq, [, , updatedAt]]) => [seq, updatedAt]);
  }

  /** Of the heads `checked`, drops those not `current`: another tab has sent, dead-lettered or rewritten them. */
  prune(checked: ReadonlyArray<readonly [number, number]>, current: ReadonlySet<number>): void {
    for (const [seq] of checked) if (!current.has(seq)) this.#heads.delete(seq);
  }

  forget(seq: number): void {
    this.#heads.delete(seq);
  }

  forgetItem(itemId: string): void {
    this.forgetWhere((id) => id === itemId);
  }

  forgetWhere(isForgotten: (itemId: string) => boolean): void {
    for (const [seq, [id]] of this.#heads) if (isForgotten(id)) this.#heads.delete(seq);
  }

  /** Up to `limit` heads, oldest first, whose batch body fits `budget` bytes; none of the items `skip` names. */
  take(limit: number, skip: (itemId: string) => boolean = () => false, budget = KEEPALIVE_BUDGET_BYTES): { wires: string[]; seqs: number[] } {
    const wires: string[] = [];
    const seqs: number[] = [];
    let bytes = 12; // {"ops":[...]}
    for (const [seq, [itemId, wire]] of this.#heads) {
      if (skip(itemId)) continue;
      const size = byteLength(wire) + 1;
      if (wires.length >= limit || bytes + size > budget) break;
      wires.push(wire);
      seqs.push(seq);
      bytes += size;
    }
    return { wires, seqs };
  }
}
