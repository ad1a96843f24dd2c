import type { SyncLogEvent } from "./event-log.js";
import type { SettleAction, SettleResult, WriteEffect } from "./store.js";
import type { TabMessage } from "./tab-channel.js";
import type { PendingOperation, QueueChange, SyncState } from "./types.js";

/**
 * What the core client did, as it happens: the full client turns these into timeline entries, `queue`
 * events and messages to other tabs (pure functions below), so that the core carries none of that.
 */
export type CoreTrace =
  | { type: "write"; kind: "save" | "delete"; id: string; effect: WriteEffect }
  | { type: "send"; ops: PendingOperation[] }
  | { type: "settled"; actions: readonly SettleAction[]; settled: SettleResult; now: number }
  | { type: "status"; from: SyncState; to: SyncState }
  /** Dead letters were put back in the queue (`requeued`) or discarded (`restored`: an item the discard undid). */
  | { type: "letters"; requeued: boolean; restored?: { id: string; kind: "save" | "delete" } }
  /** The counters were read again from the database (which other tabs share). */
  | { type: "counts" };

/** The timeline entries for a trace (without their time). */
export function timelineEntries(trace: CoreTrace): Omit<SyncLogEvent, "at" | "seq">[] {
  switch (trace.type) {
    case "write": {
      const { op } = trace.effect;
      return [entry("write", `${trace.kind} ${trace.id}${op ? ` (${op.type})` : " (cancelled a pending create)"}`, trace.id, op?.opId)];
    }
    case "send": {
      const [first] = trace.ops;
      return [entry("send", trace.ops.length === 1 ? `${first!.type} ${first!.itemId}` : `batch of ${trace.ops.length}`)];
    }
    case "settled": {
      const counts = new Map<string, number>();
      for (const action of trace.actions) {
        const kind = action.kind === "release" && action.conflict ? "conflict" : action.kind;
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
      }
      return [
        entry("reply", [...counts].map(([kind, n]) => `${n} ${kind}`).join(", ")),
        ...trace.settled.retried.map((op) => entry("retry", `${op.itemId} again in ${Math.max(0, op.nextAttemptAt - trace.now)} ms (${lastMessage(op) ?? "failed"})`, op.itemId, op.opId)),
        ...trace.settled.dead.map((letter) => entry("deadletter", `${letter.itemId}: ${letter.reason} (${lastMessage(letter) ?? ""})`, letter.itemId, letter.opId)),
      ];
    }
    case "status":
      return [entry("status", `${trace.from} -> ${trace.to}`)];
    default:
      return [];
  }
}

/** The `queue` event for a trace, if the queue changed. */
export function queueChangeOf(trace: CoreTrace): QueueChange | undefined {
  switch (trace.type) {
    case "write": {
      const { op, queueDelta, dropped } = trace.effect;
      if (op) return queueDelta > 0 ? { added: [op], changed: [], removed: [] } : { added: [], changed: [op], removed: [] };
      return dropped === undefined ? undefined : { added: [], changed: [], removed: [dropped] };
    }
    case "send":
      return { added: [], changed: trace.ops, removed: [] };
    case "settled": {
      const { retried, acked, dead } = trace.settled;
      const removed = [...acked, ...dead].map((op) => op.seq);
      return retried.length + removed.length > 0 ? { added: [], changed: retried, removed } : undefined;
    }
    case "letters":
      return trace.requeued ? { reset: true } : undefined;
    case "counts":
      return { reset: true };
    default:
      return undefined;
  }
}

/** What other tabs sharing the database are told of a trace, if anything. */
export function tabMessageOf(trace: CoreTrace): TabMessage | undefined {
  if (trace.type === "write") return { type: "write", id: trace.id, kind: trace.kind };
  if (trace.type === "letters") return trace.restored ? { type: "write", ...trace.restored } : { type: "queue" };
  if (trace.type === "settled" && trace.settled.acked.length + trace.settled.dead.length > 0) return { type: "queue" };
  return undefined;
}

function entry(type: SyncLogEvent["type"], summary: string, itemId?: string, opId?: string): Omit<SyncLogEvent, "at" | "seq"> {
  const event: Omit<SyncLogEvent, "at" | "seq"> = { type, summary };
  if (itemId !== undefined) event.itemId = itemId;
  if (opId !== undefined) event.opId = opId;
  return event;
}

function lastMessage(op: PendingOperation): string | undefined {
  return op.errors[op.errors.length - 1]?.message;
}
