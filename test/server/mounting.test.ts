/** The handler mounted in Express and in Hono, as docs/server.md shows, with an SDK client syncing through each. */
import { getRequestListener, serve } from "@hono/node-server";
import express from "express";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createSyncHandler } from "../../server/handler";
import type { SyncStore } from "../../server/store";
import { testClient } from "../support/client";
import { STORE_KIND, openTestStore } from "../support/stores";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function closing(server: Server, store: SyncStore): void {
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
  });
}

/** An SDK client saves two items and pulls one written by another client: the app's routes still answer. */
async function syncsThrough(origin: string, endpoint: string): Promise<void> {
  const [one, two] = [testClient(endpoint), testClient(endpoint)];
  cleanups.push(async () => {
    await one.close();
    await two.close();
  });
  await one.save({ id: "a", title: "from one" });
  await one.save({ id: "b", title: "from one too" });
  await one.sync();
  expect(one.status.pending).toBe(0);
  await two.sync();
  expect((await two.list()).map((todo) => todo.title).sort()).toEqual(["from one", "from one too"]);
  expect(await (await fetch(`${origin}/health`)).json()).toEqual({ ok: true });
}

describe(`mounting the handler (${STORE_KIND})`, () => {
  it("in Express, under app.use('/sync'), beside the app's own routes and body parser", async () => {
    const store = await openTestStore();
    const app = express();
    // Express removes the mount path from req.url: the handler sees /todos/..., so its basePath is "".
    app.use("/sync", getRequestListener(createSyncHandler({ store })));
    app.use(express.json());
    app.get("/health", (_req, res) => {
      res.json({ ok: true });
    });
    const server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
    });
    closing(server, store);
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await syncsThrough(origin, `${origin}/sync/todos`);
    expect((await fetch(`${origin}/sync/todos/a`)).headers.get("etag")).toBe('"1"');
  });

  it("in Hono, with app.mount('/sync'), served by @hono/node-server", async () => {
    const store = await openTestStore();
    const app = new Hono();
    app.get("/health", (c) => c.json({ ok: true }));
    app.mount("/sync", createSyncHandler({ store }));
    const server = await new Promise<Server>((resolve) => {
      const listening = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(listening as Server));
    });
    closing(server, store);
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await syncsThrough(origin, `${origin}/sync/todos`);
  });
});
