/** The examples of docs/backends.md: each is a file the page shows verbatim, and each runs here. */
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { documentStoreTransport, StaleVersion, type Doc, type DocumentStore } from "../../docs/examples/own-transport";
import { appWithSync } from "../../docs/examples/protocol-server";
import { todosOverRest } from "../../docs/examples/rest-backend";
import { testClient } from "../support/client";
import { startJsonServer } from "../support/json-server";
import { freshPostgresUrl } from "../support/stores";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const page = readFileSync(new URL("../../docs/backends.md", import.meta.url), "utf8");
const EXAMPLES = ["protocol-server", "rest-backend", "own-transport"];

describe("docs/backends.md's examples", () => {
  it("shows each example file verbatim", () => {
    for (const name of EXAMPLES) {
      const file = readFileSync(new URL(`../../docs/examples/${name}.ts`, import.meta.url), "utf8");
      expect(page, `docs/backends.md shows docs/examples/${name}.ts as it is`).toContain(`<!-- docs/examples/${name}.ts -->\n\`\`\`ts\n${file}\`\`\``);
    }
  });

  it("protocol-server: the handler in Express on PostgreSQL, a scope per team", async () => {
    const { app, close } = appWithSync(await freshPostgresUrl(), (authorization) => authorization?.replace(/^Bearer team-/, "") ?? null);
    const server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
    });
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await close();
    });
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sync/todos`;
    const [red, blue] = [testClient(endpoint, { headers: { Authorization: "Bearer team-red" } }), testClient(endpoint, { headers: { Authorization: "Bearer team-blue" } })];
    cleanups.push(() => red.close(), () => blue.close());
    await red.save({ id: "a", title: "red's" });
    await red.sync();
    await blue.sync();
    expect(await blue.list()).toEqual([]);
    expect((await fetch(endpoint)).status).toBe(401);
  });

  it("rest-backend: a REST backend with creates, edits and other devices' writes", async () => {
    const server = await startJsonServer();
    cleanups.push(() => server.close());
    const todos = todosOverRest(server.url, async () => "token");
    cleanups.push(() => todos.close());
    await todos.save({ id: "a", title: "milk" });
    await todos.save({ id: "b", title: "bread" });
    await todos.sync();
    await fetch(`${server.url}/todos`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ id: "c", title: "from elsewhere" }) });
    await todos.save({ id: "a", title: "oat milk", done: true });
    await todos.sync();
    expect(server.items("todos")).toEqual([{ id: "a", title: "oat milk", done: true }, { id: "b", title: "bread" }, { id: "c", title: "from elsewhere" }]);
    expect(await todos.get("c")).toEqual({ id: "c", title: "from elsewhere" });
  });

  it("own-transport: a document store with versions, conflicts included", async () => {
    const docs = new Map<string, { version: number; value: Doc | null }>();
    const log: Array<{ id: string; version: number; value: Doc | null }> = [];
    const store: DocumentStore = {
      get: async (id) => docs.get(id),
      async put(id, value, ifVersion) {
        if ((docs.get(id)?.version ?? 0) !== ifVersion) throw new StaleVersion(id);
        const version = ifVersion + 1;
        docs.set(id, { version, value });
        log.push({ id, version, value });
        return { version };
      },
      changesSince: async (seq, limit) => ({ changes: log.slice(seq, seq + limit), last: Math.min(log.length, seq + limit) }),
    };
    const client = testClient("https://docs.example/todos", { transport: documentStoreTransport(store) as never, conflict: "server-wins" });
    cleanups.push(() => client.close());
    await client.save({ id: "a", title: "mine" });
    await client.sync();
    expect(docs.get("a")).toEqual({ version: 1, value: { id: "a", title: "mine" } });
    await store.put("a", { id: "a", title: "theirs" }, 1);
    await client.save({ id: "a", title: "mine again" });
    await client.sync();
    expect(await client.get("a")).toEqual({ id: "a", title: "theirs" });
    expect(docs.get("a")?.version).toBe(2);
  });
});
