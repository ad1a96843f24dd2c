import { describe, expect, it } from "vitest";
import { operationStatus, queueRows, type QueueFilter } from "../../devtools-panel/queue-rows";

const NOW = 1_000_000;
const op = (seq: number, itemId: string, extra: Record<string, unknown> = {}) => ({ seq, itemId, type: "update", attempts: 0, nextAttemptAt: NOW - 1, createdAt: NOW - seq * 1000, errors: [], ...extra });
const all: QueueFilter = { search: "", type: "all", status: "all", sort: "oldest" };

describe("queue rows", () => {
  it.each([
    ["due: never failed, time has come", op(1, "a"), "due"],
    ["failing: failed before, due again", op(1, "a", { errors: [{ message: "HTTP 503" }] }), "failing"],
    ["backoff: waiting for its next attempt", op(1, "a", { errors: [{ message: "HTTP 503" }], nextAttemptAt: NOW + 5000 }), "backoff"],
    ["held: behind a dead letter or conflict on its item, whatever its timing", op(1, "held", { nextAttemptAt: NOW + 5000 }), "held"],
  ])("%s", (_name, operation, status) => {
    expect(operationStatus(operation, NOW, new Set(["held"]))).toBe(status);
  });

  const ops = [op(3, "cherry", { type: "delete", attempts: 2, nextAttemptAt: NOW + 10 }), op(1, "banana", { type: "create" }), op(2, "apple", { errors: [{ message: "HTTP 503: try later" }] })];

  it("sorts by seq either way, attempts, next attempt and item id", () => {
    const order = (sort: QueueFilter["sort"]) => queueRows(ops, { ...all, sort }, NOW, new Set()).map((row) => row.seq);
    expect(order("oldest")).toEqual([1, 2, 3]);
    expect(order("newest")).toEqual([3, 2, 1]);
    expect(order("attempts")).toEqual([3, 1, 2]);
    expect(order("next")).toEqual([1, 2, 3]);
    expect(order("item")).toEqual([2, 1, 3]);
  });

  it("filters by type and status, searches id, type, status and last error case-insensitively", () => {
    const ids = (filter: Partial<QueueFilter>) => queueRows(ops, { ...all, ...filter }, NOW, new Set()).map((row) => row.itemId);
    expect(ids({ type: "delete" })).toEqual(["cherry"]);
    expect(ids({ status: "failing" })).toEqual(["apple"]);
    expect(ids({ status: "backoff" })).toEqual(["cherry"]);
    expect(ids({ search: "BAN" })).toEqual(["banana"]);
    expect(ids({ search: "503" })).toEqual(["apple"]);
    expect(ids({ search: "create" })).toEqual(["banana"]);
    expect(ids({ search: "  " })).toEqual(["banana", "apple", "cherry"]);
  });

  it("reads untrusted operations defensively", () => {
    const [row] = queueRows([{ seq: 7, errors: "not a list" }], all, NOW, new Set());
    expect(row).toMatchObject({ seq: 7, itemId: "", type: "", attempts: 0, lastError: "" });
  });
});
