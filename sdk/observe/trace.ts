import type { RequestDetail, SyncLogEvent } from "./event-log.js";
import type { SettleAction, SettleResult } from "../storage/drain-store.js";
import type { WriteEffect } from "../storage/store.js";
import type { TabMessage } from "../tabs/tab-channel.js";
import type { Exchange } from "../transport/transport.js";
import type { Caller, PendingOperation, QueueChange, SyncState } from "../shared/types.js";

/**
 * What the core client did, as it happens: the full client turns these into timeline entries, `queue`
 * events and messages to other tabs (pure functions below), so that the core carries none of that.
 */
export type CoreTrace =
  | { type: "write"; kind: "save" | "delete"; id: string; effect: WriteEffect }
  | { type: "send"; ops: PendingOperation[] }
  | { type: "settled"; actions: readonly SettleAction[]; settled: SettleResult; now: number }
  /** `reason`: why, in a few words (`status.blocked`'s reason, or the last error). */
  | { type: "status"; from: SyncState; to: SyncState; reason?: string }
  /** A drain could not run, or stopped early (`SyncResult.skipped`). */
  | { type: "skipped"; reason: string }
  | { type: "probe"; url: string; reachable: boolean }
  | { type: "refused"; kind: "save" | "delete"; error: string }
  /** An error outside a request's reply: storage, the headers function, the app's item store, a conflict strategy. */
  | { type: "error"; code: string; message: string }
  | { type: "control"; action: "setOffline" | "setOnline" | "pause" | "resume"; by: Caller }
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
      // "3 ack, 2 retry (503)": each kind of outcome, with the HTTP statuses that came with it.
      const counts = new Map<string, { n: number; statuses: Set<number> }>();
      let level: SyncLogEvent["level"];
      for (const action of trace.actions) {
        const kind = action.kind === "release" ? (action.conflict ? "conflict" : action.error ? "auth" : "again") : action.kind;
        const count = counts.get(kind) ?? { n: 0, statuses: new Set() };
        count.n++;
        const status = "error" in action ? action.error?.status : undefined;
        if (status !== undefined) count.statuses.add(status);
        counts.set(kind, count);
        if (kind === "dead" || kind === "auth") level = "error";
        else if (kind === "retry" || kind === "rekey") level ??= "warn";
      }
      const summary = [...counts].map(([kind, { n, statuses }]) => `${n} ${kind}${statuses.size ? ` (${[...statuses].join(", ")})` : ""}`).join(", ");
      return [
        entry("reply", summary, undefined, undefined, level),
        ...trace.settled.retried.map((op) => entry("retry", `${op.itemId} again in ${Math.max(0, op.nextAttemptAt - trace.now)} ms (${lastMessage(op) ?? "failed"})`, op.itemId, op.opId, "warn")),
        ...trace.settled.dead.map((letter) => entry("deadletter", `${letter.itemId}: ${letter.reason} (${lastMessage(letter) ?? ""})`, letter.itemId, letter.opId, "error")),
      ];
    }
    case "status":
      return [entry("status", `${trace.from} -> ${trace.to}${trace.reason ? `: ${trace.reason}` : ""}`, undefined, undefined, trace.to === "error" ? "error" : trace.to === "offline" ? "warn" : undefined)];
    case "skipped":
      return [entry("skipped", `sync skipped: ${trace.reason}`, undefined, undefined, "warn")];
    case "probe":
      return [entry("probe", `${trace.url}: ${trace.reachable ? "answered" : "no answer"}`, undefined, undefined, trace.reachable ? undefined : "warn")];
    case "refused":
      return [entry("refused", `${trace.kind} refused: ${trace.error}`, undefined, undefined, "error")];
    case "control":
      return [entry("control", `${trace.action} by the ${trace.by}`)];
    case "error":
      return [entry("error", `${trace.code}: ${trace.message}`, undefined, undefined, "error")];
    default:
      return [];
  }
}

/** A settled batch's requests and operations, for its timeline entries. */
export function requestDetail(actions: readonly SettleAction[], requests: Exchange[]): RequestDetail {
  const ops = actions.slice(0, 50).map((action) => {
    const { op } = action;
    const status = action.kind === "ack" ? undefined : "error" in action ? action.error?.status : undefined;
    return { opId: op.opId, itemId: op.itemId, type: op.type, outcome: action.kind, ...(status === undefined ? {} : { status }) };
  });
  return { requests, ops, opsTotal: actions.length };
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

function entry(type: SyncLogEvent["type"], summary: string, itemId?: string, opId?: string, level?: SyncLogEvent["level"]): Omit<SyncLogEvent, "at" | "seq"> {
  const event: Omit<SyncLogEvent, "at" | "seq"> = { type, summary };
  if (itemId !== undefined) event.itemId = itemId;
  if (opId !== undefined) event.opId = opId;
  if (level) event.level = level;
  return event;
}

function lastMessage(op: PendingOperation): string | undefined {
  return op.errors[op.errors.length - 1]?.message;
}
