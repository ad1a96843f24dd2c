/**
 * The protocol's own HTTP code as one implementation of the transport seam: a client given
 * `httpTransport(…)` as its transport syncs with the reference server as the built-in path does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { httpTransport } from "../../sdk/transport/http";
import { testClient, type Todo } from "../support/client";
import { startProxy, startReferenceServer, type ProxyDecision } from "../support/servers";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("httpTransport, the protocol as a transport", () => {
  it("pushes, pulls, detects a conflict and applies a write whose reply was lost exactly once", async () => {
    const server = await startReferenceServer();
    let next: ProxyDecision = "forward";
    const proxy = await startProxy(server.url, () => next);
    cleanups.push(() => server.close(), () => proxy.close());
    const endpoint = `${proxy.url}/api/todos`;
    const client = testClient(endpoint, { transport: httpTransport<Todo>({ endpoint }), conflict: "server-wins", triggers: { onWrite: false, intervalMs: 0 } });
    cleanups.push(() => client.close());

    await client.save({ id: "a", title: "one" });
    await client.save({ id: "b", title: "two" });
    expect(await client.sync()).toMatchObject({ pushed: 2, remaining: 0 });
    expect((await server.store.list("todos")).map((record) => [record.id, record.version])).toEqual([["a", 1], ["b", 1]]);

    // Another writer moves b on; the client's edit of b meets a 409 and server-wins takes the server's copy; a pull brings c.
    await server.store.applyWrite({ collection: "todos", opId: "elsewhere-b", id: "b", method: "PUT", ifMatch: 1, body: { id: "b", title: "theirs" } });
    await server.store.applyWrite({ collection: "todos", opId: "elsewhere-c", id: "c", method: "PUT", body: { id: "c", title: "new" } });
    await client.save({ id: "b", title: "mine" });
    await client.sync();
    expect(await client.get("b")).toEqual({ id: "b", title: "theirs" });
    expect(await client.get("c")).toEqual({ id: "c", title: "new" });

    // A lost reply: the write is applied, the retry under the same key is replayed, never applied twice.
    next = "drop-after";
    await client.save({ id: "a", title: "one, edited" });
    await client.sync();
    next = "forward";
    await client.sync();
    expect(client.status.pending).toBe(0);
    const [sent] = (await server.store.list("todos")).filter((record) => record.id === "a");
    expect(sent).toMatchObject({ version: 2, value: { title: "one, edited" } });
    expect(await client.deadLetters()).toEqual([]);
  });
});
