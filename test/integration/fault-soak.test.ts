import { afterEach, describe, expect, it } from "vitest";
import type { FaultConfig } from "../../demo/server/faults";
import { mulberry32 } from "../../demo/server/faults";
import type { SyncedEvent } from "../../sdk";
import { testClient, waitFor, type Todo } from "../support/client";
import { startReferenceServer } from "../support/servers";

const WRITES = 2000;
const ITEMS = 200;

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/**
 * Random saves and deletes over a fixed set of items while the server fails 20% of requests, with syncs
 * running on their own (after writes) and on demand. At the end the server must hold exactly what the
 * client holds, and must have applied every operation the client saw acknowledged exactly once.
 */
async function soak(faults: FaultConfig, seed: number, clientOptions: Parameters<typeof testClient>[1] = {}) {
  const server = await startReferenceServer({ faults: { ...faults, seed } });
  cleanup.push(() => server.close());
  const todos = testClient(`${server.url}/api/todos`, { batchSize: 25, ...clientOptions });
  cleanup.push(() => todos.close());
  const acked: SyncedEvent[] = [];
  todos.on("synced", (event) => acked.push(event));
  const deadLettered = new Set<string>();
  todos.on("deadletter", (letter) => deadLettered.add(letter.opId));

  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  for (let i = 0; i < WRITES; i++) {
    const id = `item-${pick(ITEMS)}`;
    if (random() < 0.25) await todos.delete(id);
    else await todos.save({ id, title: `write ${i}`, n: i, done: random() < 0.5 });
    if (i % 10 === 9) await todos.sync();
    else if (i % 7 === 0) void todos.sync();
  }

  server.faults.set(null);
  const deadline = Date.now() + 20_000;
  await waitFor(async () => {
    if (Date.now() > deadline) {
      // A stall is what SyncLens must never do: leave the evidence in the log.
      console.log("STALL", JSON.stringify({ status: todos.status, queue: (await todos.queue()).slice(0, 3), conflicts: await todos.conflicts(), letters: (await todos.deadLetters()).slice(0, 2), timeline: todos.timeline().slice(-15) }, null, 1));
      throw new Error("stalled");
    }
    await todos.retryAllDeadLetters();
    await todos.sync();
    return todos.status.pending === 0 && todos.status.deadLetters === 0;
  }, 60_000, "the outbox to drain");

  const local = (await todos.list()).sort((a, b) => a.id.localeCompare(b.id));
  const remote = (await server.store.list("todos")).map((record) => record.value as unknown as Todo);
  expect(remote).toEqual(local);

  const keys = new Set(acked.map((event) => event.opId));
  expect(keys.size).toBe(acked.length);
  for (const { opId } of acked) expect(server.store.appliedCount("todos", opId)).toBe(1);
  // Every key the server applied belongs to an acknowledged operation, or to a dead letter whose request
  // the server applied after the client gave up on it (a reply slower than the timeout) and which a
  // conflict resolution then superseded: nothing applied twice under two keys, and no key unaccounted for.
  const supersededLetters = [...deadLettered].filter((opId) => !keys.has(opId));
  for (const opId of supersededLetters) expect(server.store.appliedCount("todos", opId)).toBeLessThanOrEqual(1);
  const appliedLetters = supersededLetters.filter((opId) => server.store.appliedCount("todos", opId) === 1);
  expect((await server.store.stats()).idempotency.keys).toBe(acked.length + appliedLetters.length);

  const injected = server.faults.injected();
  return { injected, acked: acked.length, metrics: todos.metrics(), local: local.length };
}

describe("2,000 writes over 200 items with 20% of requests failing", () => {
  it("status 503 (with Retry-After on some)", async () => {
    const result = await soak({ rate: 0.2, kinds: ["status"], status: 503 }, 11);
    expect(result.injected.status).toBeGreaterThan(20);
    expect(result.metrics.retries).toBeGreaterThan(20);
  });

  it("connection dropped before the write is applied", async () => {
    const result = await soak({ rate: 0.2, kinds: ["drop-before"] }, 12);
    expect(result.injected["drop-before"]).toBeGreaterThan(20);
  });

  it("connection dropped after the write is applied (lost replies)", async () => {
    const result = await soak({ rate: 0.2, kinds: ["drop-after"] }, 13);
    expect(result.injected["drop-after"]).toBeGreaterThan(20);
  });

  it("replies slower than the client's timeout (the server still applies them later)", async () => {
    const result = await soak({ rate: 0.2, kinds: ["delay"], delayMs: 300 }, 14, { timeoutMs: 100 });
    expect(result.injected.delay).toBeGreaterThan(20);
  });

  it("all kinds mixed, with 429 Retry-After", async () => {
    const result = await soak({ rate: 0.2, kinds: ["status", "drop-before", "drop-after", "delay"], status: 429, retryAfterSec: 0, delayMs: 300 }, 15, { timeoutMs: 100 });
    expect(Object.values(result.injected).every((count) => count > 5)).toBe(true);
  });
});
