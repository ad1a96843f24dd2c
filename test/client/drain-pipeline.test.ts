import { describe, expect, it } from "vitest";
import { Client } from "../../sdk/client/client";
import { resolveOptions } from "../../sdk/client/options";
import type { CoreSyncClientOptions } from "../../sdk/core";
import { browserEnvironment } from "../../sdk/shared/environment";
import type { DrainLock } from "../../sdk/tabs/drain-lock";
import { waitFor, type Todo } from "../support/client";
import { useReferenceServer } from "../support/harness";

const harness = useReferenceServer();

/** A core client whose drain lock cannot be lost (as with Web Locks), showing how many operations it has in flight. */
class ExclusiveClient extends Client<Todo> {
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  protected override createDrainLock(): DrainLock {
    return { run: async (task) => ({ ran: true, value: await task() }) };
  }
}

function exclusiveClient(options: Partial<CoreSyncClientOptions> = {}): ExclusiveClient {
  const client = new ExclusiveClient(resolveOptions(harness.coreOptions(options)), browserEnvironment);
  harness.onCleanup(() => client.close());
  return client;
}

/** A fetch whose `_batch` requests wait, one by one, until the test lets each go; and what each one sent. */
function heldBatches() {
  const sent: Array<Array<{ id: string; body?: { title?: string } }>> = [];
  const waiting: Array<() => void> = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    if (String(input).endsWith("/_batch")) {
      sent.push((JSON.parse(String(init?.body)) as { ops: Array<{ id: string; body?: { title?: string } }> }).ops);
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    return fetch(input, init);
  };
  return { fetch: fetchImpl, sent, waiting };
}

const todo = (i: number, prefix = "t"): Todo => ({ id: `${prefix}${String(i).padStart(3, "0")}`, title: `todo ${i}` });

describe("the drain takes its next batch while a request is out", () => {
  it("a save to an item of the batch taken ahead is queued behind it, never folded into what is about to be sent", async () => {
    const held = heldBatches();
    const todos = exclusiveClient({ fetch: held.fetch });
    for (let i = 0; i < 60; i++) await todos.save(todo(i));
    const drained = todos.sync();
    await waitFor(() => held.waiting.length === 1, 5000, "the first batch's request");
    // 50 being sent, and the 10 left taken ahead while the request is out.
    await waitFor(() => todos.inFlightCount === 60, 5000, "the next batch to be taken");
    // The page's own operations are taken without a stored attempt mark: only memory says they are taken.
    expect((await todos.queue()).find((op) => op.itemId === "t055")).toMatchObject({ attempts: 0 });
    await todos.save({ id: "t055", title: "edited while taken" });
    expect((await todos.queue()).filter((op) => op.itemId === "t055")).toHaveLength(2);
    while ((await Promise.race([drained.then(() => "done"), waitFor(() => held.waiting.length > 0, 5000).then(() => "held")])) === "held") held.waiting.shift()!();
    expect(await drained).toMatchObject({ pushed: 61, remaining: 0 });
    expect(held.sent.map((ops) => ops.length)).toEqual([50, 10, 1]);
    expect(held.sent[1]!.find((op) => op.id === "t055")?.body?.title).toBe("todo 55");
    expect(held.sent[2]![0]).toMatchObject({ id: "t055", body: { title: "edited while taken" } });
    expect(await harness.server.store.get("todos", "t055")).toMatchObject({ version: 2, value: { title: "edited while taken" } });
  });

  it("a drain stopped by a failed batch puts back the batch it took ahead: it goes out, once, when the server is back", async () => {
    let failing = true;
    const batches: string[][] = [];
    const todos = exclusiveClient({
      // Without a pagehide flush, the attempt marks are stored: the batch put back must have its own taken back.
      triggers: { flushOnPageHide: false },
      // The circuit stays open until a sync() asks for a probe.
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      fetch: async (input, init) => {
        if (String(input).endsWith("/_batch")) {
          batches.push((JSON.parse(String(init?.body)) as { ops: Array<{ id: string }> }).ops.map((op) => op.id));
          if (failing) return new Response(JSON.stringify({ error: "unavailable" }), { status: 503 });
        }
        return fetch(input, init);
      },
    });
    for (let i = 0; i < 120; i++) await todos.save(todo(i));
    expect(await todos.sync()).toMatchObject({ pushed: 0, remaining: 120 });
    expect(batches.map((ids) => ids.length)).toEqual([50]);
    expect(todos.inFlightCount).toBe(0);
    const queue = await todos.queue();
    // The failed batch's attempt counts; the batch taken ahead was never sent, so its mark is gone.
    expect(queue.filter((op) => op.attempts === 1).map((op) => op.itemId)).toEqual(batches[0]);
    expect(queue.filter((op) => op.attempts === 0)).toHaveLength(70);
    failing = false;
    await waitFor(async () => (await todos.sync()).remaining === 0, 5000, "the queue to drain once the server is back");
    const sent = batches.slice(1).flat();
    expect(sent).toHaveLength(120);
    expect(new Set(sent).size).toBe(120);
    expect(await harness.server.store.list("todos")).toHaveLength(120);
  });

  it("a long queue goes in batches that double while the server answers fast, and stay at batchSize when it is slow", async () => {
    const sizes: number[] = [];
    let delayMs = 0;
    const fetchImpl: typeof fetch = async (input, init) => {
      if (String(input).endsWith("/_batch")) {
        sizes.push((JSON.parse(String(init?.body)) as { ops: unknown[] }).ops.length);
        if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
      return fetch(input, init);
    };
    const fast = exclusiveClient({ fetch: fetchImpl });
    for (let i = 0; i < 450; i++) await fast.save(todo(i));
    expect(await fast.sync()).toMatchObject({ pushed: 450, remaining: 0 });
    expect(sizes).toEqual([50, 100, 200, 100]);

    sizes.length = 0;
    const fixed = exclusiveClient({ fetch: fetchImpl, maxBatchSize: 50 });
    for (let i = 0; i < 150; i++) await fixed.save(todo(i, "fixed"));
    expect(await fixed.sync()).toMatchObject({ pushed: 150 });
    expect(sizes).toEqual([50, 50, 50]);

    // Replies past a quarter of timeoutMs: the batch taken ahead goes as it is, the ones after at batchSize.
    sizes.length = 0;
    delayMs = 60;
    const slow = exclusiveClient({ fetch: fetchImpl, timeoutMs: 200 });
    for (let i = 0; i < 250; i++) await slow.save(todo(i, "slow"));
    expect(await slow.sync()).toMatchObject({ pushed: 250 });
    expect(sizes).toEqual([50, 100, 50, 50]);
  });
});
