import { describe, expect, it } from "vitest";
import type { DeadLetter, PendingOperation } from "../../sdk";
import type { SettleAction, SettleResult } from "../../sdk/storage/drain-store";
import { queueChangeOf, tabMessageOf, timelineEntries, type CoreTrace } from "../../sdk/observe/trace";

const op = (seq: number, itemId: string, extra: Partial<PendingOperation> = {}): PendingOperation => ({
  seq,
  opId: `op-${seq}`,
  itemId,
  type: "update",
  createdAt: 0,
  updatedAt: 0,
  attempts: 1,
  failures: 0,
  nextAttemptAt: 0,
  errors: [],
  ...extra,
});

function settledTrace(): CoreTrace {
  const acked = op(1, "a");
  const retried = op(2, "b", { failures: 1, nextAttemptAt: 1500, errors: [{ at: 1000, code: "http", status: 503, message: "HTTP 503" }] });
  const parked = op(3, "c");
  const dead: DeadLetter = { ...op(4, "d"), errors: [{ at: 1000, code: "http", status: 422, message: "HTTP 422" }], deadAt: 1000, reason: "rejected" };
  const actions: SettleAction[] = [
    { kind: "ack", op: acked, version: 2, deleted: false },
    { kind: "retry", op: retried, error: retried.errors[0]!, failures: 1, nextAttemptAt: 1500 },
    { kind: "release", op: parked, conflict: true },
    { kind: "dead", op: dead, error: dead.errors[0]!, reason: "rejected" },
  ];
  const settled: SettleResult = { acked: [acked], retried: [retried], dead: [dead], oldestPendingAt: 0 };
  return { type: "settled", actions, settled, now: 1000 };
}

describe("trace: what the full client makes of the core's reports", () => {
  it("a settled batch: one reply entry counting each outcome with its statuses (a parked conflict as a conflict), coloured by the worst, then its retries and dead letters", () => {
    expect(timelineEntries(settledTrace())).toEqual([
      { type: "reply", summary: "1 ack, 1 retry (503), 1 conflict, 1 dead (422)", level: "error" },
      { type: "retry", summary: "b again in 500 ms (HTTP 503)", itemId: "b", opId: "op-2", level: "warn" },
      { type: "deadletter", summary: "d: rejected (HTTP 422)", itemId: "d", opId: "op-4", level: "error" },
    ]);
    expect(queueChangeOf(settledTrace())).toEqual({ added: [], changed: [expect.objectContaining({ seq: 2 })], removed: [1, 4] });
    expect(tabMessageOf(settledTrace())).toEqual({ type: "queue" });
  });

  it("a write: appended, rewritten in place, or a create cancelled by its delete", () => {
    const appended: CoreTrace = { type: "write", kind: "save", id: "a", effect: { queueDelta: 1, op: op(5, "a", { type: "create", attempts: 0 }), head: true, base: undefined } };
    const rewritten: CoreTrace = { type: "write", kind: "save", id: "a", effect: { queueDelta: 0, op: op(5, "a", { attempts: 0 }), head: true, base: undefined } };
    const cancelled: CoreTrace = { type: "write", kind: "delete", id: "a", effect: { queueDelta: -1, head: false, base: undefined, dropped: 5 } };
    expect(timelineEntries(appended)).toEqual([{ type: "write", summary: "save a (create)", itemId: "a", opId: "op-5" }]);
    expect(timelineEntries(cancelled)).toEqual([{ type: "write", summary: "delete a (cancelled a pending create)", itemId: "a" }]);
    expect(queueChangeOf(appended)).toMatchObject({ added: [{ seq: 5 }], changed: [], removed: [] });
    expect(queueChangeOf(rewritten)).toMatchObject({ added: [], changed: [{ seq: 5 }], removed: [] });
    expect(queueChangeOf(cancelled)).toEqual({ added: [], changed: [], removed: [5] });
    expect(tabMessageOf(cancelled)).toEqual({ type: "write", id: "a", kind: "delete" });
  });

  it("a batch sent, a status change, dead letters and counters read again", () => {
    const sent: CoreTrace = { type: "send", ops: [op(1, "a"), op(2, "b")] };
    expect(timelineEntries(sent)).toEqual([{ type: "send", summary: "batch of 2" }]);
    expect(timelineEntries({ type: "send", ops: [op(1, "a")] })).toEqual([{ type: "send", summary: "update a" }]);
    expect(timelineEntries({ type: "status", from: "idle", to: "syncing" })).toEqual([{ type: "status", summary: "idle -> syncing" }]);
    expect(queueChangeOf({ type: "letters", requeued: true })).toEqual({ reset: true });
    expect(queueChangeOf({ type: "letters", requeued: false })).toBeUndefined();
    expect(tabMessageOf({ type: "letters", requeued: false })).toEqual({ type: "queue" });
    expect(queueChangeOf({ type: "counts" })).toEqual({ reset: true });
    expect(tabMessageOf({ type: "counts" })).toBeUndefined();
    expect(tabMessageOf(sent)).toBeUndefined();
  });
});

describe("the timeline explains itself", () => {
  it("a status change says why; skipped drains, probes, refused writes and controls are entries of their own", () => {
    expect(timelineEntries({ type: "status", from: "idle", to: "offline", reason: "forced-offline by the panel" })).toEqual([{ type: "status", summary: "idle -> offline: forced-offline by the panel", level: "warn" }]);
    expect(timelineEntries({ type: "status", from: "syncing", to: "idle" })).toEqual([{ type: "status", summary: "syncing -> idle" }]);
    expect(timelineEntries({ type: "skipped", reason: "busy" })).toEqual([{ type: "skipped", summary: "sync skipped: busy", level: "warn" }]);
    expect(timelineEntries({ type: "probe", url: "http://x/_ping", reachable: false })).toEqual([{ type: "probe", summary: "http://x/_ping: no answer", level: "warn" }]);
    expect(timelineEntries({ type: "refused", kind: "save", error: "quota" })).toEqual([{ type: "refused", summary: "save refused: quota", level: "error" }]);
    expect(timelineEntries({ type: "control", action: "pause", by: "panel" })).toEqual([{ type: "control", summary: "pause by the panel" }]);
    expect(timelineEntries({ type: "error", code: "auth", message: "The headers function failed" })).toEqual([{ type: "error", summary: "auth: The headers function failed", level: "error" }]);
  });
});
