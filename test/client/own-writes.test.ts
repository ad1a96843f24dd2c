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
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ deleted: false, value: { id: "x", title: "after the delete" } });
  });
});

/** Another page's pagehide flush, standing in: the operation's key sent with an earlier body of it. */
async function fireStale(endpoint: string, opId: string, item: { id: string; title: string }, precondition: Record<string, string>): Promise<number> {
  const reply = await fetch(`${endpoint}/${item.id}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json", "Idempotency-Key": opId, ...precondition },
    body: JSON.stringify(item),
  });
  return reply.status;
}

describe("a key spent on an earlier body of the operation (422 idempotency_key_reused)", () => {
  it("is reconciled, not dead-lettered: the write goes again under a new key from the server's copy, and lands", async () => {
    const todos = harness.client({ triggers: { onWrite: false } });
    await todos.save({ id: "x", title: "v2" });
    const [op] = await todos.queue();
    expect(await fireStale(harness.endpoint, op!.opId, { id: "x", title: "v1" }, { "If-None-Match": "*" })).toBe(201);
    const result = await todos.sync();
    expect(result).toMatchObject({ deadLettered: 0, remaining: 0 });
    expect(await todos.deadLetters()).toEqual([]);
    expect(await todos.conflicts()).toEqual([]);
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ version: 2, value: { id: "x", title: "v2" } });
    expect(await todos.get("x")).toEqual({ id: "x", title: "v2" });
    expect(todos.timeline().some((event) => event.type === "retry" && /idempotency key was spent/.test(event.summary))).toBe(true);
  });

  it("a delete whose key was spent on a save is sent again and deletes", async () => {
    const todos = harness.client({ triggers: { onWrite: false } });
    await todos.save({ id: "x", title: "v1" });
    await todos.sync();
    await todos.delete("x");
    const [op] = await todos.queue();
    expect(await fireStale(harness.endpoint, op!.opId, { id: "x", title: "v1 edited" }, { "If-Match": '"1"' })).toBe(200);
    expect(await todos.sync()).toMatchObject({ deadLettered: 0, remaining: 0 });
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ version: 3, deleted: true });
  });

  it("never overwrites a write someone else made after the spent key: that is a conflict for the strategy", async () => {
    const todos = harness.client({ conflict: "manual", triggers: { onWrite: false } });
    await todos.save({ id: "x", title: "v1" });
    await todos.sync();
    await todos.save({ id: "x", title: "mine" });
    const [op] = await todos.queue();
    expect(await fireStale(harness.endpoint, op!.opId, { id: "x", title: "my earlier edit" }, { "If-Match": '"1"' })).toBe(200);
    expect(await fireStale(harness.endpoint, "another-device", { id: "x", title: "theirs" }, { "If-Match": '"2"' })).toBe(200);
    await todos.sync();
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ version: 3, value: { title: "theirs" } });
    expect(await todos.conflicts()).toEqual([expect.objectContaining({ id: "x", local: { id: "x", title: "mine" }, server: { id: "x", title: "theirs" }, serverVersion: 3 })]);
    expect(await todos.deadLetters()).toEqual([]);
  });
});
