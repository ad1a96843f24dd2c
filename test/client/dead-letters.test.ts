import { describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../sdk";
import { refusingBatches, waitFor, type Todo } from "../support/client";
import { useReferenceServer } from "../support/harness";

const harness = useReferenceServer();

/** Refuses (422) every batch that holds one of the item ids in `refuse`. */
const refusing = (refuse: Set<string>) => refusingBatches((id) => refuse.has(id));

describe("discarding dead letters", () => {
  it("core: once nothing is left to fail, the error the letter left is over", async () => {
    const todos = harness.coreClient({ fetch: refusing(new Set(["a"])) });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    expect(todos.status.state).toBe("error");
    const [letter] = await todos.deadLetters();
    await todos.discardDeadLetter(letter!.opId);
    expect(todos.status).toMatchObject({ state: "idle", pending: 0, deadLetters: 0, lastError: null });
  });

  it("dead letters keep the client in the error state, also after a reload that forgot the last error", async () => {
    const shared = harness.coreOptions({ fetch: refusing(new Set(["a"])), triggers: { onWrite: false } });
    const todos = harness.coreClient(shared);
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    await todos.save({ id: "b", title: "2" });
    expect(await todos.sync()).toMatchObject({ pushed: 1 }); // a later sync succeeds; the letter is still there
    expect(todos.status).toMatchObject({ state: "error", deadLetters: 1 });
    await todos.close();
    const again = harness.coreClient(shared);
    await again.ready;
    expect(again.status).toMatchObject({ state: "error", deadLetters: 1, lastError: null });
  });

  it("a letter refused as a reused key was applied under that key: discarding it keeps its item", async () => {
    const reused = refusingBatches(() => true, { error: "idempotency_key_reused", message: "this key was applied with another body" });
    const todos = harness.coreClient({ fetch: reused, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    const [letter] = await todos.deadLetters();
    expect(letter).toMatchObject({ reason: "rejected" });
    await todos.discardDeadLetter(letter!.opId);
    expect(await todos.get("a")).toEqual({ id: "a", title: "1" });
  });

  it("a letter that expired retrying may have been applied (its replies lost): its item is kept as it is", async () => {
    const lossy: typeof fetch = async (input, init) => {
      const reply = await fetch(input, init);
      if (String(input).endsWith("/_batch")) throw new TypeError("connection reset"); // applied, reply lost
      return reply;
    };
    const todos = harness.coreClient({ fetch: lossy, maxRetryAge: 1, pingUrl: false });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    const [letter] = await todos.deadLetters();
    expect(letter).toMatchObject({ reason: "expired", attempts: 1, failures: 0 }); // an outage, not the operation's fault
    await todos.discardDeadLetter(letter!.opId);
    expect(await todos.get("a")).toEqual({ id: "a", title: "1" });
  });

  it("other tabs hear of the item a discard restored", async () => {
    const refuse = new Set(["x"]);
    const a = harness.client({ triggers: { onWrite: false }, fetch: refusing(refuse) });
    const b = harness.client({ name: a.createdWith.name, indexedDB: a.factory, triggers: { onWrite: false } });
    await b.ready;
    await a.save({ id: "x", title: "refused" });
    await a.sync();
    const [letter] = await a.deadLetters();
    const heard: ChangeEvent<Todo>[] = [];
    b.on("change", (event) => heard.push(event));
    await a.discardDeadLetter(letter!.opId);
    await waitFor(() => heard.some((event) => event.type === "delete" && event.id === "x"), 2000, "the other tab to hear");
    expect(await b.get("x")).toBeUndefined();
  });

  it("an item with a conflict parked is left alone: the conflict decides it", async () => {
    const refuse = new Set<string>();
    const todos = harness.client({ triggers: { onWrite: false }, conflict: "manual", fetch: refusing(refuse) });
    await todos.save({ id: "x", title: "1" });
    await todos.sync();
    refuse.add("x");
    await todos.save({ id: "x", title: "mine" });
    await todos.sync();
    await harness.server.store.applyWrite({ collection: "todos", opId: "elsewhere", id: "x", method: "PUT", ifMatch: 1, body: { id: "x", title: "remote" } });
    await todos.sync(); // the pull parks a conflict: x is held by the letter
    expect(todos.status.conflicts).toBe(1);
    const [letter] = await todos.deadLetters();
    await todos.discardDeadLetter(letter!.opId);
    expect(await todos.get("x")).toEqual({ id: "x", title: "mine" });
    expect((await todos.conflicts()).map((conflict) => conflict.server)).toEqual([{ id: "x", title: "remote" }]);
  });

  it("core: a count re-read to 0 (another tab drained) clears the oldest pending age too", async () => {
    const shared = harness.coreOptions();
    const tabA = harness.coreClient(shared);
    const tabB = harness.coreClient(shared);
    await tabA.save({ id: "a", title: "1" });
    await tabB.ready;
    expect(await tabB.sync()).toMatchObject({ pushed: 1 });
    expect(await tabA.sync()).toMatchObject({ remaining: 0 });
    expect(tabA.metrics()).toMatchObject({ queueDepth: 0, oldestPendingAgeMs: null });
  });
});
