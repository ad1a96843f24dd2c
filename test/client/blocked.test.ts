import type { ServerResponse } from "node:http";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import type { SyncBlocked } from "../../sdk";
import { testClient, waitFor } from "../support/client";
import { batchReply, json, startScriptedServer, type RecordedRequest } from "../support/servers";
import { useReferenceServer } from "../support/harness";

const harness = useReferenceServer();
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A client of a scripted server (push only), closed after the test. */
async function scripted(reply: (request: RecordedRequest, res: ServerResponse) => void, options: Parameters<typeof testClient>[1] = {}) {
  const server = await startScriptedServer(reply);
  cleanup.push(() => server.close());
  const todos = testClient(`${server.url}/api/todos`, { pull: false, triggers: { onWrite: false }, ...options });
  cleanup.push(() => todos.close());
  return { server, todos };
}

const record = (op: { id: string }) => ({ id: op.id, version: 1, updatedAt: new Date().toISOString(), deleted: false, value: op });

describe("status.blocked: why nothing is being sent, and until when", () => {
  it("is null while sync can move", async () => {
    const todos = harness.client({ triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    expect(todos.status.blocked).toBeNull();
    await todos.sync();
    expect(todos.status.blocked).toBeNull();
  });

  it("forced offline and paused name who asked and since when; the status event carries it", async () => {
    const todos = harness.client({ triggers: { onWrite: false } });
    await todos.ready;
    const seen: (SyncBlocked | null)[] = [];
    todos.on("status", (status) => seen.push(status.blocked));
    const before = Date.now();
    todos.setOffline(true, "panel");
    expect(todos.status.blocked).toEqual({ reason: "forced-offline", by: "panel", since: expect.any(Number) });
    expect((todos.status.blocked as { since: number }).since).toBeGreaterThanOrEqual(before);
    todos.setOffline(false);
    todos.pause();
    expect(todos.status.blocked).toMatchObject({ reason: "paused", by: "app" });
    todos.resume();
    await waitFor(() => todos.status.blocked === null, 2000, "the block to lift");
    expect(seen.map((blocked) => blocked?.reason ?? null)).toEqual(expect.arrayContaining(["forced-offline", "paused", null]));
  });

  it("a 401 says auth, with the status and the fix", async () => {
    const { todos } = await scripted((req, res) => json(res, 401, { error: "unauthorized" }));
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    expect(todos.status.blocked).toEqual({ reason: "auth", status: 401, fix: expect.stringContaining("setHeaders()") });
  });

  it("an unreachable server names the probed URL and the next probe", async () => {
    const port = new URL(harness.server.url).port;
    await harness.stopServer();
    const todos = harness.client({ endpoint: `http://127.0.0.1:${port}/api/todos`, backoff: { baseMs: 60_000, maxMs: 60_000 }, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    expect(todos.status.blocked).toMatchObject({ reason: "unreachable", url: `http://127.0.0.1:${port}/api/todos/_ping` });
    const { lastProbeAt, nextProbeAt } = todos.status.blocked as { lastProbeAt: number | null; nextProbeAt: number };
    expect(lastProbeAt === null || lastProbeAt <= Date.now()).toBe(true);
    expect(nextProbeAt).toBeGreaterThanOrEqual(Date.now() - 5);
  });

  it("a 429 with Retry-After 30 says throttled until then, not 'due now'; the timeline's reply holds the request as a Network panel shows it", async () => {
    const { todos, server } = await scripted((req, res) => json(res, 429, { error: "slow_down", message: "easy", token: "s3cret" }, { "Retry-After": "30" }));
    await todos.save({ id: "a", title: "1" });
    const before = Date.now();
    await todos.sync();
    const reply = todos.timeline().find((event) => event.type === "reply");
    expect(reply).toMatchObject({
      summary: "1 retry (429)",
      level: "warn",
      detail: {
        // The body goes through redact, as snapshots show bodies: the token does not reach the timeline.
        requests: [{ method: "POST", url: `${server.url}/api/todos/_batch`, status: 429, retryAfter: "30", body: JSON.stringify({ error: "slow_down", message: "easy", token: "[redacted]" }) }],
        ops: [{ itemId: "a", type: "create", outcome: "retry", status: 429 }],
        opsTotal: 1,
      },
    });
    const blocked = todos.status.blocked as { reason: string; until: number };
    expect(blocked.reason).toBe("throttled");
    expect(blocked.until).toBeGreaterThanOrEqual(before + 30_000);
    expect(blocked.until).toBeLessThan(before + 32_000);
  });

  it("requests timing out while the server answers pings is slow, never unreachable: online stays true", async () => {
    const { todos } = await scripted(
      (req, res) => (req.path.endsWith("/_ping") ? json(res, 200, {}) : setTimeout(() => batchReply(req, res, 201, record), 400)),
      { timeoutMs: 100, backoff: { baseMs: 30_000, maxMs: 30_000 } },
    );
    await todos.save({ id: "a", title: "1" });
    expect(await todos.sync()).toMatchObject({ skipped: "backoff" });
    expect(todos.status).toMatchObject({ online: true, state: "error", blocked: { reason: "slow", timeoutMs: 100, attempt: 1 } });
    expect((await todos.deadLetters()).length).toBe(0);
  });

  it("a server failing as a whole says backoff, with the next probe and the attempt count", async () => {
    const { todos } = await scripted((req, res) => json(res, 503, { error: "down" }), { backoff: { baseMs: 30_000, maxMs: 30_000 } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    await todos.sync();
    expect(todos.status.blocked).toMatchObject({ reason: "backoff", attempt: 2 });
    expect((todos.status.blocked as { until: number }).until).toBeGreaterThanOrEqual(Date.now() - 5);
  });

  it("another tab draining says busy, since when", async () => {
    const indexedDB = new IDBFactory();
    let release = () => undefined as void;
    const slow = await startScriptedServer((req, res) => {
      release = () => batchReply(req, res, 201, record);
    });
    cleanup.push(() => slow.close());
    const endpoint = `${slow.url}/api/todos`;
    const a = testClient(endpoint, { indexedDB, pull: false, pingUrl: false, triggers: { onWrite: false } });
    const b = testClient(endpoint, { name: a.createdWith.name, indexedDB, pull: false, pingUrl: false, triggers: { onWrite: false } });
    cleanup.push(() => a.close(), () => b.close());
    await a.save({ id: "a", title: "1" });
    await b.save({ id: "b", title: "2" });
    const draining = a.sync();
    await waitFor(() => slow.requests.length === 1, 2000, "a's batch in flight");
    const before = Date.now();
    const states: string[] = [];
    b.on("status", (status) => states.push(status.state));
    expect(await b.sync()).toMatchObject({ skipped: "busy" });
    expect(await b.sync()).toMatchObject({ skipped: "busy" });
    // Which one: the holder recorded when it took the drain (in Node there is no page URL to name).
    await waitFor(() => b.status.blocked?.reason === "busy" && "holder" in b.status.blocked, 2000, "the holder read");
    expect(b.status.blocked).toMatchObject({ reason: "busy", holder: { since: expect.any(Number) } });
    expect((b.status.blocked as { since: number }).since).toBeGreaterThanOrEqual(before);
    // Asking for the lock is not syncing; and the timeline says "busy" once, not once per try.
    expect(states).not.toContain("syncing");
    expect(b.timeline().filter((event) => event.type === "skipped").map((event) => event.summary)).toEqual(["sync skipped: busy"]);
    release();
    await draining;
    // The holder's record goes with its drain: a later busy spell does not name a holder that has finished.
    await waitFor(async () => (await b.sync()).skipped === undefined, 2000, "b to drain");
  });

  it("dead letters name how many and which items", async () => {
    const { todos } = await scripted((req, res) => batchReply(req, res, 400, () => ({ error: "bad_request" })));
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    expect(todos.status.blocked).toEqual({ reason: "dead-letters", count: 1, items: ["a"] });
  });

  it("every operation in its own backoff (a malformed reply) says backoff until the earliest is due", async () => {
    const { todos } = await scripted((req, res) => json(res, 200, { not: "a batch reply" }), { backoff: { baseMs: 30_000, maxMs: 30_000 } });
    await todos.save({ id: "a", title: "1" });
    await todos.sync();
    const [op] = await todos.queue();
    expect(todos.status.blocked).toEqual({ reason: "backoff", until: op!.nextAttemptAt });
  });

  it("a parked conflict says conflicts", async () => {
    const todos = harness.client({ conflict: "manual", triggers: { onWrite: false } });
    await todos.save({ id: "x", title: "1" });
    await todos.sync();
    await fetch(`${harness.endpoint}/x`, { method: "PUT", headers: { "Content-Type": "application/json", "Idempotency-Key": "other", "If-Match": '"1"' }, body: JSON.stringify({ id: "x", title: "theirs" }) });
    await todos.save({ id: "x", title: "mine" });
    await todos.sync();
    expect(todos.status.blocked).toEqual({ reason: "conflicts", count: 1 });
  });
});
