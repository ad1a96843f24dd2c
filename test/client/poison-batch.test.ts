/**
 * A proxy in front of the server refuses a whole batch for one payload in it (a firewall's 400, a gateway's
 * 422): the good operations of that batch still arrive, and only the poison one is dead-lettered.
 */
import { afterEach, describe, expect, it } from "vitest";
import { testClient, type Todo } from "../support/client";
import { startProxy, startReferenceServer, type ProxyDecision, type RecordedRequest } from "../support/servers";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(refuse: (request: RecordedRequest) => ProxyDecision) {
  const server = await startReferenceServer();
  const proxy = await startProxy(server.url, refuse);
  cleanups.push(() => server.close(), () => proxy.close());
  const client = testClient(`${proxy.url}/api/todos`, { triggers: { onWrite: false, intervalMs: 0 } });
  cleanups.push(() => client.close());
  return { server, proxy, client };
}

const todos = (n: number, poison: number[]): Todo[] =>
  Array.from({ length: n }, (_, i) => ({ id: `t${i}`, title: poison.includes(i) ? "<script>POISON</script>" : `todo ${i}` }));
const blocksPoison = (status: number) => (request: RecordedRequest): ProxyDecision => (request.body.includes("POISON") ? { refuse: status } : "forward");

describe("a whole batch refused for one operation in it", () => {
  for (const status of [400, 422]) {
    it(`is split on ${status} until the refused operation stands alone: the other operations arrive, it alone is dead-lettered`, async () => {
      const { server, proxy, client } = await setUp(blocksPoison(status));
      for (const todo of todos(20, [13])) await client.save(todo);
      const result = await client.sync();

      expect(result).toMatchObject({ pushed: 19, deadLettered: 1, remaining: 0 });
      expect((await server.store.list("todos")).map((record) => record.id).sort()).toEqual(todos(20, []).map((todo) => todo.id).filter((id) => id !== "t13").sort());
      const letters = await client.deadLetters();
      expect(letters.map((letter) => [letter.itemId, letter.reason, letter.reply?.status])).toEqual([["t13", "rejected", status]]);
      // Halves: 20 → 10 → 5 → 3 → 2 → 1, each refused half split again, each passing half sent once.
      const batches = proxy.requests.filter((request) => request.path.endsWith("/_batch"));
      expect(batches.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(20)) + 1);
      for (const id of ["t0", "t19"]) expect(batches.filter((request) => request.body.includes(`"${id}"`) && !request.body.includes("POISON"))).toHaveLength(1);

      // Retrying the letters sends the poison one alone, not its old neighbours again.
      const before = proxy.requests.length;
      await client.retryAllDeadLetters();
      await client.sync();
      const again = proxy.requests.slice(before).filter((request) => request.path.endsWith("/_batch"));
      expect(again.map((request) => (JSON.parse(request.body) as { ops: Array<{ id: string }> }).ops.map((op) => op.id))).toEqual([["t13"]]);
      expect((await client.deadLetters()).map((letter) => letter.itemId)).toEqual(["t13"]);
    });
  }

  it("two poison operations in one batch: both dead-lettered, every other one arrives", async () => {
    const { server, client } = await setUp(blocksPoison(400));
    for (const todo of todos(16, [2, 11])) await client.save(todo);
    expect(await client.sync()).toMatchObject({ pushed: 14, deadLettered: 2 });
    expect((await client.deadLetters()).map((letter) => letter.itemId).sort()).toEqual(["t11", "t2"]);
    expect(await server.store.list("todos")).toHaveLength(14);
  });

  it("keeps 401 and 403 as the credentials' answer: the batch is not split, nothing is dead-lettered, the queue waits", async () => {
    const { proxy, client } = await setUp((request) => (request.path.endsWith("/_batch") ? { refuse: 403 } : "forward"));
    for (const todo of todos(8, [])) await client.save(todo);
    await client.sync();
    expect(proxy.requests.filter((request) => request.path.endsWith("/_batch"))).toHaveLength(1);
    expect(await client.deadLetters()).toEqual([]);
    expect(client.status.pending).toBe(8);
    expect(client.status.blocked).toMatchObject({ reason: "auth", status: 403 });
  });
});
