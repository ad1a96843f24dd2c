/**
 * Two stateless server instances on one PostgreSQL, as behind a load balancer: each test holds one
 * instance's transaction open at its COMMIT (the store's test hook) while the other instance works.
 */
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { WriteEvent } from "../../server/handler";
import { createSyncHandler } from "../../server/handler";
import { postgresStore } from "../../server/postgres";
import type { ChangesPage, SyncRecord } from "../../server/protocol";
import type { SyncStore } from "../../server/store";
import { waitFor } from "../support/client";
import { serveHandler, type Served } from "../support/serve";
import { freshPostgresUrl } from "../support/stores";

type Instance = { api: string; store: SyncStore; served: Served };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A gate a test opens: writes on a gated instance wait at their COMMIT until it is opened. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let waiting = 0;
  return { open, opened, waiting: () => waiting, enter: async () => {
    waiting += 1;
    await opened;
  } };
}

async function instance(connectionString: string, events: WriteEvent[], held?: ReturnType<typeof gate>, lockTimeoutMs?: number): Promise<Instance> {
  const store = postgresStore({ connectionString, ...(held && { beforeCommit: held.enter }), ...(lockTimeoutMs && { lockTimeoutMs }) });
  const served = await serveHandler(createSyncHandler({ store, basePath: "/api", onWrite: (event) => events.push(event), onError: () => undefined }));
  cleanups.push(async () => {
    await served.close();
    await store.close();
  });
  return { api: `${served.url}/api/todos`, store, served };
}

/** How many backends of this database wait for a lock: a write queued behind another instance's. */
async function lockWaits(connectionString: string): Promise<number> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

const put = (api: string, id: string, opId: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${api}/${id}`, { method: "PUT", headers: { "Content-Type": "application/json", "Idempotency-Key": opId, ...headers }, body: JSON.stringify(body) });

async function pull(api: string, since: string | null): Promise<ChangesPage> {
  const response = await fetch(`${api}/_changes${since ? `?since=${since}` : ""}`);
  expect(response.status).toBe(200);
  return (await response.json()) as ChangesPage;
}

/** Resolves once `promise` settled or a backend waits on a lock, whichever is first. */
async function settledOrWaiting(promise: Promise<unknown>, connectionString: string): Promise<void> {
  let settled = false;
  void promise.finally(() => (settled = true)).catch(() => undefined);
  await waitFor(async () => settled || (await lockWaits(connectionString)) > 0, 10_000, "the second write to commit or queue");
}

describe("two server instances on one PostgreSQL", () => {
  it("apply an Idempotency-Key that reaches both at once exactly once: the second waits for the first's commit, then replays its reply", async () => {
    const url = await freshPostgresUrl();
    const events: WriteEvent[] = [];
    const held = gate();
    const a = await instance(url, events, held);
    const b = await instance(url, events);
    const item = { id: "a1", title: "milk" };

    const first = put(a.api, "a1", "k1", item, { "If-None-Match": "*" });
    await waitFor(() => held.waiting() === 1, 10_000, "A's write to reach its commit");
    const second = put(b.api, "a1", "k1", item, { "If-None-Match": "*" });
    await settledOrWaiting(second, url);
    held.open();

    const [one, two] = await Promise.all([first, second]);
    const [body1, body2] = [(await one.json()) as SyncRecord, (await two.json()) as SyncRecord];
    expect([one.status, two.status]).toEqual([201, 201]);
    expect(two.headers.get("idempotent-replayed")).toBe("true");
    expect(body2).toEqual(body1);
    expect((await a.store.get("", "todos", "a1"))?.version).toBe(1);
    expect(events.filter((event) => event.changed)).toHaveLength(1);
  });

  it("apply one of many copies of a write sent to both at once, without a gate", async () => {
    const url = await freshPostgresUrl();
    const events: WriteEvent[] = [];
    const [a, b] = [await instance(url, events), await instance(url, events)];
    const item = { id: "a1", title: "milk" };
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => put(i % 2 ? a.api : b.api, "a1", "k1", item, { "If-None-Match": "*" })));
    const bodies = await Promise.all(replies.map((reply) => reply.json()));
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 201));
    expect(replies.filter((reply) => reply.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    expect(events.filter((event) => event.changed)).toHaveLength(1);
  });

  it("check versions by compare-and-set: of two writes If-Match the same version, one wins and the other gets 409 with the winner", async () => {
    const url = await freshPostgresUrl();
    const events: WriteEvent[] = [];
    const held = gate();
    const a = await instance(url, events, held);
    const b = await instance(url, events);
    held.open();
    expect((await put(b.api, "x", "create", { id: "x", v: 0 }, { "If-None-Match": "*" })).status).toBe(201);
    const racers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => put(i % 2 ? a.api : b.api, "x", `edit-${i}`, { id: "x", v: i + 1 }, { "If-Match": '"1"' })),
    );
    const statuses = racers.map((reply) => reply.status).sort();
    expect(statuses).toEqual([200, ...Array.from({ length: 9 }, () => 409)]);
    const winner = (await a.store.get("", "todos", "x"))!;
    expect(winner.version).toBe(2);
    for (const loser of racers.filter((reply) => reply.status === 409)) {
      expect(((await loser.json()) as { current: SyncRecord }).current).toEqual(winner);
    }
  });

  it("never skip a change in the feed when a later seq commits first: a writer waits for the feed's earlier commit", async () => {
    const url = await freshPostgresUrl();
    const events: WriteEvent[] = [];
    const held = gate();
    const a = await instance(url, events, held);
    const b = await instance(url, events);

    // A takes the feed's next seq and holds its commit open; B writes the same feed, then a client pulls.
    const slow = put(a.api, "x", "slow", { id: "x" });
    await waitFor(() => held.waiting() === 1, 10_000, "A's write to reach its commit");
    const fast = put(b.api, "y", "fast", { id: "y" });
    await settledOrWaiting(fast, url);
    const early = await pull(b.api, null);
    held.open();
    expect((await slow).status).toBe(201);
    expect((await fast).status).toBe(201);
    const late = await pull(b.api, early.cursor);

    const seen = [...early.changes, ...late.changes].map((change) => [change.id, change.seq]);
    expect(seen).toEqual([["x", 1], ["y", 2]]);
  });

  it("give up on a feed's lock held too long with 503 and Retry-After, applying nothing, and take the write when retried", async () => {
    const url = await freshPostgresUrl();
    const events: WriteEvent[] = [];
    const held = gate();
    const a = await instance(url, events, held);
    const b = await instance(url, events, undefined, 200);

    const slow = put(a.api, "x", "slow", { id: "x" });
    await waitFor(() => held.waiting() === 1, 10_000, "A's write to reach its commit");
    const refused = await put(b.api, "y", "fast", { id: "y" });
    expect([refused.status, refused.headers.get("retry-after")]).toEqual([503, "1"]);
    held.open();
    expect((await slow).status).toBe(201);
    expect((await put(b.api, "y", "fast", { id: "y" })).status).toBe(201);
    expect((await pull(b.api, null)).changes.map((change) => [change.id, change.seq])).toEqual([["x", 1], ["y", 2]]);
  });
});
