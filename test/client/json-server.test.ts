/**
 * The SDK on a REST backend nobody here wrote: json-server 0.17.4 through restTransport. The scenario that
 * lost everything with the protocol's transport (20 saved, 5 edited, 3 deleted: 0 arrived) arrives whole,
 * and again behind a proxy that answers 503s and loses replies.
 */
import { afterEach, describe, expect, it } from "vitest";
import { restTransport } from "../../sdk/transport/rest";

import { testClient, type Todo } from "../support/client";
import { startJsonServer } from "../support/json-server";
import { startProxy, type ProxyDecision } from "../support/servers";
import { mulberry32 } from "../../demo/server/faults";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** 20 saved, 5 of them edited, 3 others deleted, each step synced; what json-server must end with. */
async function scenario(client: ReturnType<typeof testClient>): Promise<Todo[]> {
  const ids = Array.from({ length: 20 }, (_, i) => `todo-${i}`);
  for (const id of ids) await client.save({ id, title: `new ${id}` });
  await client.sync();
  for (const id of ids.slice(0, 5)) await client.save({ id, title: `edited ${id}`, done: true });
  await client.sync();
  for (const id of ids.slice(10, 13)) await client.delete(id);
  await client.sync();
  return ids
    .filter((_, i) => i < 10 || i >= 13)
    .map((id, i) => (i < 5 ? { id, title: `edited ${id}`, done: true } : { id, title: `new ${id}` }));
}

const byId = <I extends { id?: unknown }>(items: I[]) => [...items].sort((a, b) => String(a.id).localeCompare(String(b.id)));

describe("the SDK on json-server through restTransport", () => {
  it("20 saved, 5 edited, 3 deleted: json-server ends with the 17, the edits in, nothing dead-lettered", async () => {
    const server = await startJsonServer();
    cleanups.push(() => server.close());
    const client = testClient("http://unused.invalid/todos", { transport: restTransport<Todo>({ url: `${server.url}/todos` }), pingUrl: false });
    cleanups.push(() => client.close());
    const expected = await scenario(client);
    expect(byId(server.items("todos"))).toEqual(byId(expected));
    expect(await client.deadLetters()).toEqual([]);
    expect(client.status.pending).toBe(0);
  });

  it("behind a proxy answering 503s and losing replies (seeded, 30% of requests): no loss and no duplicate", async () => {
    const server = await startJsonServer();
    const random = mulberry32(7);
    const faults = { status: 0, lost: 0, before: 0 };
    const proxy = await startProxy(server.url, (): ProxyDecision => {
      const roll = random();
      if (roll < 0.1) return (faults.status++, { refuse: 503 });
      if (roll < 0.2) return (faults.lost++, "drop-after");
      if (roll < 0.3) return (faults.before++, "drop-before");
      return "forward";
    });
    cleanups.push(() => server.close(), () => proxy.close());
    const client = testClient("http://unused.invalid/todos", { transport: restTransport<Todo>({ url: `${proxy.url}/todos`, timeoutMs: 2000 }), pingUrl: false });
    cleanups.push(() => client.close());

    const expected = await scenario(client);
    for (let round = 0; round < 50 && client.status.pending > 0; round++) await client.sync();
    expect(client.status.pending).toBe(0);
    expect(await client.deadLetters()).toEqual([]);
    const items = server.items("todos");
    expect(new Set(items.map((item) => item["id"])).size).toBe(items.length);
    expect(byId(items)).toEqual(byId(expected));
    expect(faults.status + faults.lost + faults.before).toBeGreaterThan(5);
  });
});

describe("refresh by listing (opt-in) on json-server", () => {
  it("brings other devices' creates, edits and deletes, leaves unpushed local work alone, and lets the last write win without versions", async () => {
    const server = await startJsonServer();
    cleanups.push(() => server.close());
    // Syncs only when the test says: a sync started by a write would race the other device's edits.
    const client = testClient("http://unused.invalid/todos", { transport: restTransport<Todo>({ url: `${server.url}/todos`, list: true }), conflict: "manual", pingUrl: false, triggers: { onWrite: false } });
    cleanups.push(() => client.close());
    for (const id of ["a", "b", "c"]) await client.save({ id, title: `mine ${id}` });
    await client.sync();
    await client.save({ id: "local", title: "not pushed yet" });

    // Another device, straight into json-server: creates d, edits a, deletes b.
    const json = { "Content-Type": "application/json" };
    await fetch(`${server.url}/todos`, { method: "POST", headers: json, body: JSON.stringify({ id: "d", title: "from elsewhere" }) });
    await fetch(`${server.url}/todos/a`, { method: "PUT", headers: json, body: JSON.stringify({ id: "a", title: "edited elsewhere" }) });
    await fetch(`${server.url}/todos/b`, { method: "DELETE" });
    // c edited there, then here: without versions the push goes first and the last write wins.
    await fetch(`${server.url}/todos/c`, { method: "PUT", headers: json, body: JSON.stringify({ id: "c", title: "theirs" }) });
    await client.save({ id: "c", title: "mine, edited" });
    await client.sync();

    expect(await client.get("a")).toEqual({ id: "a", title: "edited elsewhere" });
    expect(await client.get("b")).toBeUndefined();
    expect(await client.get("d")).toEqual({ id: "d", title: "from elsewhere" });
    expect(await client.get("local")).toEqual({ id: "local", title: "not pushed yet" });
    expect(byId(server.items("todos")).map((item) => item.id)).toEqual(["a", "c", "d", "local"]);
    expect(server.items("todos").find((item) => item["id"] === "c")).toEqual({ id: "c", title: "mine, edited" });
    expect(await client.get("c")).toEqual({ id: "c", title: "mine, edited" });
  });
});
