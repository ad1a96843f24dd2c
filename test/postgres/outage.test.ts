/**
 * A database that goes away: the handler answers 503 with Retry-After, applies nothing half, and the SDK's
 * writes land once the database is back. PostgreSQL is reached through a TCP proxy the test cuts.
 */
import type { Socket } from "node:net";
import { connect, createServer } from "node:net";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { createSyncHandler } from "../../server/handler";
import { postgresStore } from "../../server/postgres";
import { testClient, waitFor } from "../support/client";
import { serveHandler } from "../support/serve";
import { freshPostgresUrl } from "../support/stores";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A TCP proxy to the run's PostgreSQL that can cut every connection, and be taken down and up again. */
async function proxyTo(url: string) {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const proxied = new URL(url);
  proxied.port = String(port);
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  cleanups.push(async () => {
    cut();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: proxied.toString(),
    cut,
    down: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        cut();
      }),
    up: () => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve)),
  };
}

async function start(connectionString: string, beforeCommit?: () => Promise<void>) {
  const store = postgresStore({ connectionString, ...(beforeCommit && { beforeCommit }) });
  const errors: unknown[] = [];
  const served = await serveHandler(createSyncHandler({ store, basePath: "/api", onError: (error) => errors.push(error) }));
  cleanups.push(async () => {
    await served.close();
    await store.close();
  });
  return { api: `${served.url}/api/todos`, errors };
}

async function rows(url: string): Promise<{ records: string[]; keys: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const records = await client.query<{ id: string }>("SELECT id FROM synclens_records ORDER BY id");
    const keys = await client.query<{ n: string }>("SELECT count(*) AS n FROM synclens_keys");
    return { records: records.rows.map((row) => row.id), keys: Number(keys.rows[0]!.n) };
  } finally {
    await client.end();
  }
}

const batch = (api: string, ops: Array<{ opId: string; id: string }>) =>
  fetch(`${api}/_batch`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ops: ops.map(({ opId, id }) => ({ opId, id, method: "PUT", ifNoneMatch: "*", body: { id } })) }),
  });

describe("a PostgreSQL that fails", () => {
  it("gets 503 with Retry-After for every route while unreachable, and serves again once it is back", async () => {
    const url = await freshPostgresUrl();
    const proxy = await proxyTo(url);
    await proxy.down();
    const server = await start(proxy.url);

    for (const [path, init] of [["", {}], ["/a1", {}], ["/_changes", {}], ["/_batch", { method: "POST", body: '{"ops":[{"opId":"k","id":"a","method":"DELETE"}]}' }]] as const) {
      const reply = await fetch(`${server.api}${path}`, { headers: { "Content-Type": "application/json" }, ...init });
      expect([path, reply.status, reply.headers.get("retry-after"), ((await reply.json()) as { error: string }).error]).toEqual([path, 503, "1", "unavailable"]);
    }
    expect(server.errors.length).toBeGreaterThan(0);

    await proxy.up();
    expect((await fetch(server.api)).status).toBe(200);
  });

  it("applies nothing of a batch whose COMMIT fails, and keeps its keys unused for the retry", async () => {
    const url = await freshPostgresUrl();
    const proxy = await proxyTo(url);
    let failNext = true;
    const server = await start(proxy.url, async () => {
      if (!failNext) return;
      failNext = false;
      proxy.cut(); // the connection dies with the transaction open: COMMIT never arrives
    });
    const ops = [{ opId: "k1", id: "a" }, { opId: "k2", id: "b" }, { opId: "k3", id: "c" }];

    const failed = await batch(server.api, ops);
    expect(failed.status).toBe(503);
    expect(await rows(url)).toEqual({ records: [], keys: 0 });

    const retried = await batch(server.api, ops);
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as { results: Array<{ status: number }> }).results.map((result) => result.status)).toEqual([201, 201, 201]);
    expect(await rows(url)).toEqual({ records: ["a", "b", "c"], keys: 3 });
  });

  it("leaves the SDK's writes queued through the outage, and they land once it ends", async () => {
    const url = await freshPostgresUrl();
    const proxy = await proxyTo(url);
    const server = await start(proxy.url);
    expect((await fetch(server.api)).status).toBe(200);
    await proxy.down();

    const client = testClient(server.api);
    cleanups.push(() => client.close());
    await client.save({ id: "t1", title: "written during the outage" });
    await client.save({ id: "t2", title: "and another" });
    await waitFor(() => client.status.lastError !== null, 10_000, "a failed sync");
    expect(client.status.lastError).toMatchObject({ code: "http", status: 503 });
    expect(client.status.pending).toBe(2);

    await proxy.up();
    await waitFor(async () => {
      await client.sync();
      return client.status.pending === 0;
    }, 20_000, "the queue to drain");
    expect((await rows(url)).records).toEqual(["t1", "t2"]);
  });
});
