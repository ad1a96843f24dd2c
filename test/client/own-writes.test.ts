import { describe, expect, it } from "vitest";
import { waitFor } from "../support/client";
import { useReferenceServer } from "../support/harness";

const harness = useReferenceServer();

describe("the client's own writes coming back", () => {
  it.each(["server-wins", "manual", "merge"] as const)("%s: a delete acknowledged while a later save of the item waits is not taken for a conflict when pulled back", async (conflict) => {
    const todos = harness.client({ conflict, triggers: { onWrite: false } });
    await todos.save({ id: "x", title: "first" });
    await todos.sync();
    harness.server.faults.set({ rate: 1, kinds: ["delay"], delayMs: 300 });
    await todos.delete("x");
    const draining = todos.sync();
    await waitFor(async () => (await todos.queue()).length === 0, 5000, "the delete acknowledged, the pull in flight");
    await todos.save({ id: "x", title: "after the delete" });
    await draining;
    for (let round = 0; round < 10 && (todos.status.pending > 0 || round === 0); round++) await todos.sync();
    expect(await todos.conflicts()).toEqual([]);
    expect(await todos.get("x")).toEqual({ id: "x", title: "after the delete" });
    expect(harness.server.store.get("todos", "x")).toMatchObject({ deleted: false, value: { id: "x", title: "after the delete" } });
  });
});
