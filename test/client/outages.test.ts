import { afterEach, describe, expect, it, vi } from "vitest";
import { useReferenceServer } from "../support/harness";

const harness = useReferenceServer();

afterEach(() => {
  vi.useRealTimers();
});

/**
 * Lets real I/O (the server, IndexedDB) run until nothing is in flight and no drain runs, for ten turns of
 * the event loop in a row: fake time only moves while the client waits on a timer.
 */
async function quiet(inFlight: () => number, client: { status: { state: string } }): Promise<void> {
  for (let calm = 0; calm < 10; ) {
    await new Promise((resolve) => setImmediate(resolve));
    calm = inFlight() === 0 && client.status.state !== "syncing" ? calm + 1 : 0;
  }
}

describe("outages", () => {
  it("a server answering 503 for 10 minutes (fake time) dead-letters nothing; a probe per backoff, not a request per operation; everything arrives once it recovers", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    let inFlight = 0;
    const batches: number[] = [];
    const counting: typeof fetch = async (input, init) => {
      inFlight++;
      if (String(input).endsWith("/_batch")) batches.push(Date.now());
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    // Default options: backoff 1 s to 60 s, maxRetries 5, maxRetryAge 7 days.
    const todos = harness.client({ fetch: counting, backoff: undefined, pull: false });
    harness.server.faults.set({ rate: 1, kinds: ["status"], status: 503 });
    for (let i = 0; i < 10; i++) await todos.save({ id: `t${i}`, title: `${i}` });
    const start = Date.now();
    while (Date.now() - start < 10 * 60_000) {
      await quiet(() => inFlight, todos);
      await vi.advanceTimersByTimeAsync(1000);
    }
    await quiet(() => inFlight, todos);
    expect(await todos.deadLetters()).toEqual([]);
    const queue = await todos.queue();
    expect(queue).toHaveLength(10);
    expect(queue.every((op) => op.failures === 0)).toBe(true); // the outage is not the operations' fault
    // One batch per backoff step of the circuit (at most 60 s apart), not one per operation and attempt.
    expect(batches.length).toBeGreaterThan(5);
    expect(batches.length).toBeLessThan(60);
    expect(todos.status).toMatchObject({ pending: 10, deadLetters: 0 });

    harness.server.faults.set(null);
    // The circuit's next probe finds the server back: at most its longest backoff (60 s) away.
    for (let second = 0; second < 120 && todos.status.pending > 0; second++) {
      await quiet(() => inFlight, todos);
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(todos.status.pending).toBe(0);
    for (let i = 0; i < 10; i++) expect(await harness.server.store.get("todos", `t${i}`)).toMatchObject({ version: 1, value: { title: `${i}` } });
  });
});
