// Faults around the batch taken ahead and the operations taken without a stored attempt mark (issue 20's drain).
import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import type { CoreSyncClientOptions } from "../../sdk/core";
import { refusingBatches, waitFor, type Todo } from "../support/client";
import { useReferenceServer } from "../support/harness";

import type { PushOperation, PushOutcome, SyncTransport } from "../../sdk";
import type { SyncStore } from "../../sdk/storage/store";

const harness = useReferenceServer();

type WireBatchOp = { opId: string; id: string };

/** A fetch whose `_batch` answers 500 for the op of item `failId` the first `times` times it is sent (never forwarded); the rest go to the real server. */
function failingOnce(failId: string, times = 1) {
  const batches: string[][] = [];
  let left = times;
  const fetchImpl: typeof fetch = async (input, init) => {
    if (!String(input).endsWith("/_batch")) return fetch(input, init);
    const { ops } = JSON.parse(String(init?.body)) as { ops: WireBatchOp[] };
    batches.push(ops.map((op) => op.id));
    const failing = left > 0 ? ops.find((op) => op.id === failId) : undefined;
    if (!failing) return fetch(input, init);
    left--;
    const rest = ops.filter((op) => op !== failing);
    const forwarded = rest.length
      ? ((await (await fetch(input, { ...init, body: JSON.stringify({ ops: rest }) })).json()) as { results: unknown[] }).results
      : [];
    const results = ops.map((op) => (op === failing ? { opId: op.opId, status: 500, body: { error: "boom", message: "boom" } } : forwarded[rest.indexOf(op)]));
    return new Response(JSON.stringify({ results }), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { fetch: fetchImpl, batches };
}

describe("the batch taken ahead, when the batch before it is retried", () => {
  it("an operation retried after a backoff in a full batch is sent again when due, without another trigger", async () => {
    const failing = failingOnce("a");
    // Exactly one full batch: the batch taken ahead while it is out is empty.
    // Full jitter: the retry waits up to a second, almost always past the end of this drain.
    const todos = harness.coreClient({ fetch: failing.fetch, batchSize: 2, maxBatchSize: 2, backoff: { baseMs: 1000, maxMs: 1000 } });
    await todos.save({ id: "a", title: "A" });
    await todos.save({ id: "b", title: "B" });
    const first = await todos.sync();
    expect(first.retried).toBe(1);
    expect(failing.batches[0]).toEqual(["a", "b"]);
    // The drain must wake for the retry when it is due (no interval, no write, no other trigger).
    await waitFor(async () => (await harness.server.store.get("todos", "a")) !== null, 3000, "the retried operation to go again when due");
  });
});

/** A fetch whose `_batch` requests wait until the test lets each go. */
function heldBatches() {
  const sent: string[][] = [];
  const waiting: Array<() => void> = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    if (String(input).endsWith("/_batch")) {
      sent.push((JSON.parse(String(init?.body)) as { ops: WireBatchOp[] }).ops.map((op) => op.id));
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    return fetch(input, init);
  };
  return { fetch: fetchImpl, sent, waiting };
}

/**
 * Tab `a` drains t0..t2 one per batch and, while t0's request is out, takes t1 ahead (its attempt mark
 * stored: no pagehide flush). Its lease then runs out (a suspended tab): tab `b`, made with `bOptions`, takes
 * the drain and syncs; when `a` wakes, another tab holds the lease. Returns both tabs once `a`'s drain ended.
 */
async function leaseTakenOver(bOptions: Partial<CoreSyncClientOptions>) {
  const indexedDB = new IDBFactory();
  const name = `lease-${Math.random()}`;
  const held = heldBatches();
  const a = harness.coreClient({ name, indexedDB, fetch: held.fetch, batchSize: 1, maxBatchSize: 1, triggers: { flushOnPageHide: false } });
  const b = harness.coreClient({ name, indexedDB, ...bOptions });
  for (let i = 0; i < 3; i++) await a.save({ id: `t${i}`, title: `${i}` });
  const drain = a.sync();
  await waitFor(() => held.waiting.length === 1, 5000, "a's first request");
  await waitFor(async () => (await a.queue()).find((op) => op.itemId === "t1")?.attempts === 1, 5000, "the batch taken ahead");
  const meta = (a as unknown as { store: { setMeta(r: object): Promise<void> } }).store;
  await meta.setMeta({ key: "drainLease", owner: "expired", expiresAt: 0 });
  const bResult = await b.sync();
  await meta.setMeta({ key: "drainLease", owner: "other-tab", expiresAt: Date.now() + 15_000 });
  held.waiting.shift()!();
  return { a, bResult, aResult: await drain };
}

describe("the batch taken ahead under the lease drain lock (no Web Locks)", () => {
  it("a drain whose lease was taken over puts back its batch taken ahead without resurrecting what the new holder acknowledged", async () => {
    const { a, aResult, bResult } = await leaseTakenOver({});
    expect(bResult).toMatchObject({ pushed: 3, remaining: 0 });
    expect(aResult).toMatchObject({ skipped: "busy" });
    expect(await harness.server.store.get("todos", "t1")).toMatchObject({ version: 1 });
    // Everything is on the server and b emptied the queue: a's put-back must not bring t1 back.
    expect((await a.queue()).map((op) => op.itemId)).toEqual([]);
  });

  it("a drain whose lease was taken over does not put back an operation the new holder dead-lettered", async () => {
    const { a, bResult } = await leaseTakenOver({ batchSize: 1, maxBatchSize: 1, fetch: refusingBatches((id) => id === "t1") });
    expect(bResult).toMatchObject({ deadLettered: 1, remaining: 0 });
    const [letter] = await a.deadLetters();
    expect(letter).toMatchObject({ itemId: "t1" });
    expect((await a.queue()).filter((op) => op.itemId === "t1")).toEqual([]);
  });
});

/** Makes the next `settle` transaction (outbox + deadLetters + versions) fail, as a storage fault would. */
function failNextSettle(client: unknown): void {
  const store = (client as { store: SyncStore }).store;
  const db = store.db as unknown as { transaction: (...args: unknown[]) => unknown };
  const original = db.transaction.bind(db);
  let armed = true;
  db.transaction = (names: unknown, ...rest: unknown[]) => {
    if (armed && Array.isArray(names) && names.join() === "outbox,deadLetters,versions") {
      armed = false;
      throw new DOMException("simulated storage fault", "UnknownError");
    }
    return original(names, ...rest);
  };
}

describe("a settle that fails after the request reached the server (storage error)", () => {
  it("the page's own operation, sent but never marked, is not rewritten by the page's next save", async () => {
    const todos = harness.coreClient(); // flushOnPageHide on (default): the page's own ops are taken unmarked
    await todos.save({ id: "x", title: "one" });
    const [sent] = await todos.queue();
    failNextSettle(todos);
    const result = await todos.sync();
    expect(result.pushed).toBe(0);
    // The server applied it under the operation's key.
    expect(await harness.server.store.get("todos", "x")).toMatchObject({ version: 1, value: { title: "one" } });
    await todos.save({ id: "x", title: "two" });
    const queue = await todos.queue();
    // The request under sent.opId may have reached the server (it did): it must not carry a new body now.
    expect(queue.filter((op) => op.opId === sent!.opId).map((op) => (op.value as Todo).title)).toEqual(["one"]);
  });

  it("with a backend that replays a spent key's result (ignoring the new body), the page's next edit still arrives", async () => {
    const applied = new Map<string, PushOutcome<Todo>>();
    const records = new Map<string, { version: number; value: Todo }>();
    const transport: SyncTransport<Todo> = {
      async push(ops: readonly PushOperation<Todo>[]) {
        return ops.map((op) => {
          const replay = applied.get(op.opId);
          if (replay) return replay; // a key it has applied: its stored result, the body ignored
          const version = (records.get(op.id)?.version ?? 0) + 1;
          records.set(op.id, { version, value: op.value! });
          const outcome: PushOutcome<Todo> = { kind: "applied", record: { version, value: op.value! } };
          applied.set(op.opId, outcome);
          return outcome;
        });
      },
    };
    const todos = harness.coreClient({ transport });
    await todos.save({ id: "x", title: "one" });
    failNextSettle(todos);
    expect((await todos.sync()).pushed).toBe(0);
    await todos.save({ id: "x", title: "two" });
    await waitFor(async () => (await todos.sync()).remaining === 0, 5000, "the queue to drain");
    expect(await todos.get("x")).toMatchObject({ title: "two" });
    expect(records.get("x")?.value.title).toBe("two");
  });
});
