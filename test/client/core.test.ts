import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import type { EnvironmentSignals } from "../../sdk/shared/environment";
import type { DeadLetter } from "../../sdk/core";
import { waitFor, type Todo } from "../support/client";
import { useReferenceServer } from "../support/harness";

const harness = useReferenceServer();
const coreClient = harness.coreClient;

describe("the core client (synclens/core)", () => {
  it("pushes writes exactly like the full client: coalesced, in one batch, acknowledged with versions", async () => {
    const todos = coreClient();
    await todos.save({ id: "a", title: "milk" });
    await todos.save({ id: "a", title: "oat milk" });
    await todos.save({ id: "b", title: "bread" });
    await todos.delete("b");
    expect((await todos.queue()).map((op) => [op.itemId, op.type])).toEqual([["a", "create"]]);
    expect(await todos.sync()).toMatchObject({ pushed: 1, pulled: 0, remaining: 0 });
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 1, value: { id: "a", title: "oat milk" } });
    expect(await harness.server.store.get("todos", "b")).toBeNull();
  });

  it("never pulls: the server's other records stay there", async () => {
    const writer = coreClient();
    await writer.save({ id: "a", title: "from elsewhere" });
    await writer.sync();
    const reader = coreClient();
    expect(await reader.sync()).toMatchObject({ pushed: 0, pulled: 0 });
    expect(await reader.list()).toEqual([]);
  });

  it("dead-letters a version conflict (409) with the server's reply, instead of resolving it", async () => {
    const first = coreClient();
    await first.save({ id: "a", title: "first" });
    await first.sync();
    const second = coreClient(); // its own database: it does not know the server has "a"
    const letters: DeadLetter<Todo>[] = [];
    second.on("deadletter", (letter) => letters.push(letter));
    await second.save({ id: "a", title: "second" });
    expect(await second.sync()).toMatchObject({ pushed: 0, deadLettered: 1, conflicts: 0 });
    expect(letters).toEqual([expect.objectContaining({ itemId: "a", reason: "conflict", reply: expect.objectContaining({ status: 409 }) })]);
    expect(second.status).toMatchObject({ state: "error", deadLetters: 1, conflicts: 0, pending: 0 });
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ value: { title: "first" } });
    await second.discardDeadLetter(letters[0]!.opId);
    expect(await second.deadLetters()).toEqual([]);
    // The discarded edit is undone: the item is the server's copy the 409 named, and later edits build on it.
    expect(await second.get("a")).toEqual({ id: "a", title: "first" });
    await second.save({ id: "a", title: "second, after seeing first" });
    expect(await second.sync()).toMatchObject({ pushed: 1, deadLettered: 0 });
    expect(await harness.server.store.get("todos", "a")).toMatchObject({ version: 2, value: { title: "second, after seeing first" } });
  });

  it("after a 409 dead letter, a fixed edit queued behind it gets through once the letter is discarded or retried", async () => {
    const mine = coreClient();
    await mine.save({ id: "x", title: "1" });
    await mine.sync();
    await harness.server.store.applyWrite({ collection: "todos", opId: "elsewhere", id: "x", method: "PUT", ifMatch: 1, body: { id: "x", title: "remote" } });
    await mine.save({ id: "x", title: "mine" });
    expect(await mine.sync()).toMatchObject({ deadLettered: 1 });
    await mine.save({ id: "x", title: "mine, fixed" }); // waits behind the letter
    const [letter] = await mine.deadLetters();
    await mine.discardDeadLetter(letter!.opId);
    expect(await mine.sync()).toMatchObject({ pushed: 1, deadLettered: 0 });
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ version: 3, value: { title: "mine, fixed" } });
  });

  it("reads its counters again when its page becomes visible, after another tab drained its writes", async () => {
    let becameVisible = (): void => undefined;
    const environment: EnvironmentSignals = {
      browserSaysOnline: () => true,
      subscribe(handlers) {
        becameVisible = handlers.visible;
        return () => undefined;
      },
    };
    const indexedDB = new IDBFactory();
    const background = coreClient({ indexedDB, environment, triggers: { onVisible: false } });
    const foreground = coreClient({ name: background.name, indexedDB });
    await background.ready;
    await background.save({ id: "a", title: "written in the background tab" });
    expect(await foreground.sync()).toMatchObject({ pushed: 1 });
    expect(foreground.status.pending).toBe(0);
    expect(background.status.pending).toBe(1); // no tab messages in the core: it has not heard
    becameVisible();
    await waitFor(() => background.status.pending === 0, 5000, "the background tab's counters");
  });

  it("a dead letter another tab made and this one discards never makes its count negative", async () => {
    const elsewhere = coreClient();
    await elsewhere.save({ id: "a", title: "on the server first" });
    await elsewhere.sync();
    const indexedDB = new IDBFactory();
    const here = coreClient({ indexedDB });
    const there = coreClient({ name: here.name, indexedDB });
    await Promise.all([here.ready, there.ready]);
    await there.save({ id: "a", title: "refused: the server has it" });
    expect(await there.sync()).toMatchObject({ deadLettered: 1 });
    const [letter] = await here.deadLetters();
    expect(here.status.deadLetters).toBe(0); // it has not heard
    await here.discardDeadLetter(letter!.opId);
    expect(here.status.deadLetters).toBe(0);
    expect(await there.deadLetters()).toEqual([]);
  });

  it("has none of the full client's methods", () => {
    const todos = coreClient();
    for (const method of ["exportSnapshot", "timeline", "conflicts", "resolveConflict"]) expect(method in todos).toBe(false);
  });

  it("validates its options before anything is opened", () => {
    expect(() => coreClient({ batchSize: 0 })).toThrow(expect.objectContaining({ code: "invalid_options", option: "batchSize" }));
  });
});
