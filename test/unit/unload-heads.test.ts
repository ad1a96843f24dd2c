import { describe, expect, it } from "vitest";
import type { PendingOperation } from "../../sdk/shared/types";
import { UnloadHeads } from "../../sdk/storage/unload-heads";

function op(seq: number, itemId: string): PendingOperation {
  return { seq, opId: `op-${seq}`, itemId, type: "update", value: { id: itemId }, createdAt: seq, updatedAt: seq, attempts: 0, failures: 0, nextAttemptAt: seq, errors: [] };
}

describe("UnloadHeads", () => {
  it("holds one head per item: a new head replaces one another tab has since sent (a keepalive batch never names an id twice)", () => {
    const heads = new UnloadHeads();
    heads.remember(op(1, "x"), { opId: "op-1", id: "x", method: "PUT", body: { id: "x" } });
    heads.remember(op(2, "y"), { opId: "op-2", id: "y", method: "PUT", body: { id: "y" } });
    heads.remember(op(3, "x"), { opId: "op-3", id: "x", method: "PATCH", body: {} });
    const { wires, seqs } = heads.take(50);
    expect(seqs).toEqual([2, 3]);
    expect(wires.map((wire) => (JSON.parse(wire) as { id: string }).id)).toEqual(["y", "x"]);
  });

  it("forgets the heads of the items it is told are held by dead letters", () => {
    const heads = new UnloadHeads();
    heads.remember(op(1, "x"), { opId: "op-1", id: "x", method: "PUT" });
    heads.remember(op(2, "y"), { opId: "op-2", id: "y", method: "PUT" });
    heads.forgetWhere((id) => id === "y");
    expect(heads.take(50).seqs).toEqual([1]);
  });
});
