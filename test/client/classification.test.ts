import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { SyncLensError } from "../../sdk";
import { testClient, waitFor } from "../support/client";
import { batchReply, json, startScriptedServer, type RecordedRequest } from "../support/servers";

type Scripted = Awaited<ReturnType<typeof startScriptedServer>>;
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function scripted(reply: (request: RecordedRequest, res: ServerResponse) => void): Promise<Scripted> {
  const server = await startScriptedServer(reply);
  cleanup.push(() => server.close());
  return server;
}

function client(server: Scripted, options: Parameters<typeof testClient>[1] = {}) {
  // Push only: these scripted servers answer writes, not the change feed.
  const created = testClient(`${server.url}/api/todos`, { pingUrl: false, pull: false, triggers: { onWrite: false }, ...options });
  cleanup.push(() => created.close());
  return created;
}

const record = (op: { id: string }, version = 1) => ({ id: op.id, version, updatedAt: new Date().toISOString(), deleted: false, value: op });
const batches = (server: Scripted) => server.requests.filter((r) => r.path.endsWith("/_batch"));

describe("reply classification", () => {
  it("400 dead-letters at once, keeping the server's reply; nothing is dropped", async () => {
    const server = await scripted((req, res) => batchReply(req, res, 400, () => ({ error: "bad_request", message: "title too long" })));
    const todos = client(server);
    const letters: unknown[] = [];
    todos.on("deadletter", (letter) => letters.push(letter));
    await todos.save({ id: "a", title: "x" });
    const result = await todos.sync();
    expect(result).toMatchObject({ pushed: 0, deadLettered: 1, remaining: 0 });
    const [letter] = await todos.deadLetters();
    expect(letter).toMatchObject({
      itemId: "a",
      reason: "rejected",
      reply: { status: 400, body: { error: "bad_request", message: "title too long" } },
      errors: [{ code: "http", status: 400, message: "HTTP 400: title too long" }],
      value: { id: "a", title: "x" },
    });
    expect(letters).toHaveLength(1);
    expect(todos.status).toMatchObject({ deadLetters: 1, pending: 0, state: "error" });
    expect(batches(server)).toHaveLength(1);
  });

  it("a 5xx that repeats for one operation while the others of its batch go through counts against maxRetries, then dead-letters with the whole history", async () => {
    // Per operation: 500 for "a", 201 for the others.
    const perOp = await scripted((req, res) => {
      const { ops } = JSON.parse(req.body) as { ops: Array<{ opId: string; id: string }> };
      json(res, 200, { results: ops.map((op) => (op.id === "a" ? { opId: op.opId, status: 500, body: { error: "internal", message: "boom" } } : { opId: op.opId, status: 201, body: record(op) })) });
    });
    const todos = client(perOp, { maxRetries: 3, backoff: { baseMs: 200, maxMs: 200 } });
    await todos.save({ id: "a", title: "x" });
    for (let round = 0; round < 10 && todos.status.deadLetters === 0; round++) {
      await todos.save({ id: `ok${round}`, title: "fine" }); // a neighbour that succeeds in the same batch
      await waitFor(async () => (await todos.queue()).every((op) => op.nextAttemptAt <= Date.now()), 2000, "the backoff");
      await todos.sync();
    }
    const [letter] = await todos.deadLetters();
    // Blamed 4 times (maxRetries + 1), once per batch it shared with a neighbour that went through; sent
    // alone in between (its backoff may end within the drain), a 500 says nothing about it and is not counted.
    expect(letter).toMatchObject({ itemId: "a", reason: "max_retries", failures: 4, reply: { status: 500 } });
    expect(letter!.attempts).toBeGreaterThanOrEqual(4);
    expect(letter!.errors.every((e) => e.status === 500)).toBe(true);
    expect(todos.metrics()).toMatchObject({ deadLettered: 1, successes: 4 });
  });

  it("a 5xx answering the whole batch is the server's state: no operation is blamed, the drain backs off as a circuit, nothing is dead-lettered", async () => {
    let failing = true;
    const server = await scripted((req, res) => (failing ? json(res, 503, { error: "internal", message: "down" }) : batchReply(req, res, 201, (op) => record(op))));
    const todos = client(server, { maxRetries: 1, backoff: { baseMs: 60_000, maxMs: 60_000 } });
    for (const id of ["a", "b", "c"]) await todos.save({ id, title: id });
    for (let i = 0; i < 5; i++) await todos.sync(); // each manual sync probes with one batch
    expect(batches(server)).toHaveLength(5);
    expect(await todos.deadLetters()).toEqual([]);
    expect((await todos.queue()).map((op) => [op.failures, op.errors.length])).toEqual([[0, 5], [0, 5], [0, 5]]);
    todos.save({ id: "d", title: "d" });
    await waitFor(() => todos.status.pending === 4, 1000, "the write");
    expect(batches(server)).toHaveLength(5); // the write's trigger waits for the circuit's backoff
    failing = false;
    expect(await todos.sync()).toMatchObject({ pushed: 4, remaining: 0, deadLettered: 0 });
  });

  it("429 honours Retry-After", async () => {
    const server = await scripted((req, res) => json(res, 429, { error: "slow_down" }, { "Retry-After": "2" }));
    const todos = client(server);
    await todos.save({ id: "a", title: "x" });
    const before = Date.now();
    const result = await todos.sync();
    expect(result.retried).toBe(1);
    const [op] = await todos.queue();
    expect(op!.nextAttemptAt).toBeGreaterThanOrEqual(before + 2000);
    expect(op!.failures).toBe(0); // the server's state, not the operation's fault: nothing counts toward maxRetries
  });

  it("Retry-After stops the drain: the other batches wait too; 0 or a past date still backs off, a year is capped at an hour", async () => {
    const header = { value: "60" };
    const server = await scripted((req, res) => json(res, 503, { error: "busy" }, { "Retry-After": header.value }));
    const todos = client(server, { batchSize: 2, backoff: { baseMs: 1000, maxMs: 1000 }, pull: true });
    for (const id of ["a", "b", "c", "d", "e"]) await todos.save({ id, title: id });
    const before = Date.now();
    expect(await todos.sync()).toMatchObject({ retried: 2, remaining: 5 });
    expect(server.requests).toHaveLength(1); // no other batch, no pull, after the server asked for a minute
    const ops = await todos.queue();
    const sent = ops.filter((op) => op.attempts === 1);
    expect(sent).toHaveLength(2);
    expect(sent.every((op) => op.nextAttemptAt >= before + 60_000 && op.failures === 0)).toBe(true);
    await todos.save({ id: "f", title: "f" });
    expect(await todos.sync()).toMatchObject({ pushed: 0, skipped: "throttled" }); // later drains wait too
    expect(server.requests).toHaveLength(1);

    for (const [value, min, max] of [["0", 0, 1000], [new Date(Date.now() - 60_000).toUTCString(), 0, 1000], ["31536000", 3_600_000, 3_600_000]] as const) {
      header.value = value;
      const other = client(server, { backoff: { baseMs: 1000, maxMs: 1000 } });
      await other.save({ id: "x", title: "x" });
      const sent = Date.now();
      expect((await other.sync()).retried).toBeGreaterThanOrEqual(1); // a backoff near 0 may retry within the drain
      const [op] = await other.queue();
      expect(op!.nextAttemptAt - sent).toBeGreaterThanOrEqual(min);
      expect(op!.nextAttemptAt - Date.now()).toBeLessThanOrEqual(max);
    }
  });

  it("Retry-After on the change feed is obeyed as on a push: later drains neither pull nor push before then", async () => {
    const server = await scripted((req, res) => {
      if (req.path.includes("/_changes")) return json(res, 429, { error: "slow_down" }, { "Retry-After": "60" });
      batchReply(req, res, 201, (op) => record(op));
    });
    const todos = client(server, { pull: true });
    expect(await todos.sync()).toMatchObject({ pulled: 0 });
    expect(todos.status.lastError).toMatchObject({ status: 429 });
    const asked = server.requests.length;
    await todos.save({ id: "a", title: "a" });
    expect(await todos.sync()).toMatchObject({ pushed: 0, skipped: "throttled" });
    expect(server.requests).toHaveLength(asked);
  });

  it("a batch too large as a whole (413) is split: only the operation too large alone is dead-lettered", async () => {
    const server = await scripted((req, res) => {
      if (req.body.length > 2000) return json(res, 413, { error: "too_large" });
      batchReply(req, res, 201, (op) => record(op));
    });
    const todos = client(server, { compressAboveBytes: false });
    for (let i = 0; i < 6; i++) await todos.save({ id: `small-${i}`, title: "x".repeat(200) });
    await todos.save({ id: "huge", title: "x".repeat(3000) });
    expect(await todos.sync()).toMatchObject({ pushed: 6, deadLettered: 1 });
    expect((await todos.deadLetters()).map((letter) => [letter.itemId, letter.reply?.status])).toEqual([["huge", 413]]);
  });

  it("an operation refused as a batch of one (413) is sent alone, without the batch's envelope, before it is dead-lettered", async () => {
    const server = await scripted((req, res) => {
      if (!req.path.endsWith("/_batch")) return json(res, 201, record(JSON.parse(req.body) as { id: string }));
      if (req.body.length > 2000) return json(res, 413, { error: "too_large" });
      batchReply(req, res, 201, (op) => record(op));
    });
    const todos = client(server, { compressAboveBytes: false });
    await todos.save({ id: "edge", title: "x".repeat(1960) });
    expect(await todos.sync()).toMatchObject({ pushed: 1, deadLettered: 0 });
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual(["POST /api/todos/_batch", "PUT /api/todos/edge"]);
  });

  it("a batch reply with a 2xx status other than 200 is malformed and retried, not dead-lettered", async () => {
    const server = await scripted((req, res) => {
      const { ops } = JSON.parse(req.body) as { ops: Array<{ opId: string; id: string }> };
      json(res, 207, { results: ops.map((op) => ({ opId: op.opId, status: 201, body: record(op) })) });
    });
    const todos = client(server, { backoff: { baseMs: 1000, maxMs: 1000 } });
    await todos.save({ id: "a", title: "x" });
    const result = await todos.sync();
    expect(result).toMatchObject({ pushed: 0, deadLettered: 0 });
    expect(result.retried).toBeGreaterThanOrEqual(1);
    expect(todos.status.lastError).toMatchObject({ code: "malformed_reply" });
  });

  it("a headers function that throws, hangs or returns what fetch refuses is a typed error; nothing is sent and the operation waits", async () => {
    const server = await scripted((req, res) => batchReply(req, res, 201, (op) => record(op)));
    const bad: Array<() => Promise<Record<string, string>>> = [
      async () => {
        throw new Error("refresh failed");
      },
      () => new Promise(() => undefined),
      async () => ({ Authorization: "Bearer caf\u00e9\u2603" }),
      async () => new Headers({ Authorization: "Bearer x" }) as unknown as Record<string, string>,
    ];
    for (const headers of bad) {
      const todos = client(server, { headers, timeoutMs: 200 });
      const errors: SyncLensError[] = [];
      todos.on("error", (error) => errors.push(error));
      await todos.save({ id: "a", title: "x" });
      expect(await todos.sync()).toMatchObject({ pushed: 0 });
      expect(errors[0]).toMatchObject({ code: "auth", message: expect.stringContaining("The headers function failed") });
      expect(todos.status.online).toBe(true);
      expect(await todos.queue()).toHaveLength(1);
      await todos.close();
    }
    expect(server.requests).toEqual([]);
  });

  it("a batch whose headers function failed is not counted as sent: the item's next edit still coalesces into it", async () => {
    const server = await scripted((req, res) => batchReply(req, res, 201, (op) => record(op)));
    let fail = true;
    const todos = client(server, {
      headers: async () => {
        if (fail) throw new Error("refresh failed");
        return { Authorization: "Bearer t" };
      },
    });
    await todos.save({ id: "a", title: "first" });
    expect(await todos.sync()).toMatchObject({ pushed: 0 });
    expect(await todos.queue()).toMatchObject([{ attempts: 0 }]);
    await todos.save({ id: "a", title: "second" });
    const queued = await todos.queue();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ type: "create", value: { title: "second" } });
    fail = false;
    await waitFor(async () => (await todos.sync()).pushed === 1, 5000, "the push once the headers work");
    expect(batches(server)).toHaveLength(1);
    expect((JSON.parse(batches(server)[0]!.body) as { ops: { body: unknown }[] }).ops.map((op) => op.body)).toEqual([{ id: "a", title: "second" }]);
  });

  it("401 pauses the queue without burning retries; new headers resume it", async () => {
    let token = "old";
    const server = await scripted((req, res) => {
      if (req.headers.authorization !== "Bearer fresh") return json(res, 401, { error: "unauthorized" });
      batchReply(req, res, 201, (op) => record(op));
    });
    const todos = client(server, { headers: async () => ({ Authorization: `Bearer ${token}` }) });
    const errors: SyncLensError[] = [];
    todos.on("error", (error) => errors.push(error));
    await todos.save({ id: "a", title: "x" });
    expect(await todos.sync()).toMatchObject({ pushed: 0, skipped: "auth" });
    expect(todos.status).toMatchObject({ authPaused: true, state: "error" });
    expect(todos.status.lastError?.code).toBe("auth");
    expect(errors.map((e) => e.code)).toEqual(["auth"]);
    const [op] = await todos.queue();
    expect(op!.failures).toBe(0);
    expect(await todos.sync()).toMatchObject({ skipped: "auth" });
    expect(batches(server)).toHaveLength(1);
    token = "fresh";
    todos.setHeaders(async () => ({ Authorization: `Bearer ${token}` }));
    await waitFor(() => todos.status.pending === 0, 5000, "the drain after new headers");
    expect(todos.status).toMatchObject({ authPaused: false, lastError: null });
  });

  it("403 pauses too, and resume() lifts it", async () => {
    let allowed = false;
    const server = await scripted((req, res) => (allowed ? batchReply(req, res, 201, (op) => record(op)) : json(res, 403, { error: "forbidden" })));
    const todos = client(server);
    await todos.save({ id: "a", title: "x" });
    await todos.sync();
    expect(todos.status.authPaused).toBe(true);
    allowed = true;
    todos.resume();
    await waitFor(() => todos.status.pending === 0, 5000, "the drain after resume");
  });

  it("a malformed reply is retried (the key makes it safe) and never loses the write", async () => {
    let replies = 0;
    const server = await scripted((req, res) => {
      replies++;
      if (replies <= 2) {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(replies === 1 ? "{not json" : JSON.stringify({ results: "nope" }));
        return;
      }
      batchReply(req, res, 201, (op) => record(op));
    });
    const todos = client(server);
    await todos.save({ id: "a", title: "x" });
    await waitFor(async () => (await todos.sync()).remaining === 0, 5000, "the write to land");
    const sentKeys = batches(server).map((r) => (JSON.parse(r.body) as { ops: Array<{ opId: string }> }).ops[0]!.opId);
    expect(new Set(sentKeys).size).toBe(1);
    expect(sentKeys).toHaveLength(3);
  });

  it("falls back to per-item requests when the server has no batch route", async () => {
    const server = await scripted((req, res) => {
      if (req.path.endsWith("/_batch")) return json(res, 404, { error: "not_found" });
      const body = req.method === "DELETE" ? { id: "b" } : (JSON.parse(req.body) as { id: string });
      json(res, 200, record(body, 3));
    });
    const todos = client(server);
    await todos.save({ id: "a", title: "x" });
    await todos.save({ id: "b", title: "y" });
    await todos.save({ id: "_batch", title: "an id like a route" });
    await todos.sync();
    await todos.delete("b");
    await todos.save({ id: "a", title: "x2" });
    await todos.sync();
    const perItem = server.requests.filter((r) => !r.path.endsWith("/_batch"));
    expect(batches(server)).toHaveLength(1);
    expect(perItem.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      "DELETE /api/todos/b",
      "PATCH /api/todos/a",
      "PUT /api/todos/%5Fbatch", // a raw leading "_" names the protocol's routes
      "PUT /api/todos/a",
      "PUT /api/todos/b",
    ]);
    const creates = perItem.filter((r) => r.headers["if-none-match"] === "*");
    expect(creates).toHaveLength(3);
    // The update is a delta from the synced copy: only the changed field, as a merge patch.
    const update = perItem.find((r) => r.method === "PATCH");
    expect(update?.headers).toMatchObject({ "if-match": '"3"', "content-type": "application/merge-patch+json" });
    expect(update?.headers["idempotency-key"]).toMatch(/[0-9a-f-]{36}/);
    expect(JSON.parse(update!.body)).toEqual({ title: "x2" });
  });
});

describe("delta push fallback", () => {
  it("a server that refuses PATCH gets whole items from then on, with no failure counted", async () => {
    const server = await scripted((req, res) => {
      const { ops } = JSON.parse(req.body) as { ops: Array<{ opId: string; id: string; method: string; body?: { id: string } }> };
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ results: ops.map((op) => (op.method === "PATCH" ? { opId: op.opId, status: 405, body: { error: "method_not_allowed" } } : { opId: op.opId, status: 200, body: record(op.body ?? op, 2) })) }));
    });
    const todos = client(server);
    await todos.save({ id: "a", title: "v1" });
    await todos.sync();
    await todos.save({ id: "a", title: "v2" });
    await todos.sync();
    await todos.save({ id: "a", title: "v3" });
    await todos.sync();
    const methods = batches(server).map((r) => (JSON.parse(r.body) as { ops: Array<{ method: string }> }).ops[0]!.method);
    expect(methods).toEqual(["PUT", "PATCH", "PUT", "PUT"]);
    expect(todos.metrics()).toMatchObject({ retries: 0, deadLettered: 0 });
    expect(todos.status.pending).toBe(0);
  });
});

describe("dead letters", () => {
  it("hold later operations of their item until retried, and retry puts them back in order", async () => {
    let reject = true;
    const sent: string[] = [];
    const server = await scripted((req, res) => {
      const { ops } = JSON.parse(req.body) as { ops: Array<{ id: string; method: string; body?: { title: string } }> };
      sent.push(...ops.map((op) => `${op.method} ${op.id} ${op.body?.title ?? ""}`));
      batchReply(req, res, reject ? 422 : 200, (op, i) => (reject ? { error: "invalid" } : record(op, i + 1)));
    });
    const todos = client(server);
    await todos.save({ id: "a", title: "v1" });
    await todos.sync();
    await todos.save({ id: "a", title: "v2" });
    await todos.save({ id: "b", title: "free" });
    reject = false;
    await todos.sync();
    expect(sent).toEqual(["PUT a v1", "PUT b free"]);
    expect((await todos.queue()).map((op) => op.value?.title)).toEqual(["v2"]);
    await todos.retryAllDeadLetters();
    await waitFor(async () => (await todos.sync()).remaining === 0, 5000, "the queue to drain");
    expect(sent).toEqual(["PUT a v1", "PUT b free", "PUT a v1", "PATCH a v2"]);
    expect(todos.status.deadLetters).toBe(0);
  });

  it("discard removes the letter for good and lets its item's later operations go", async () => {
    let reject = true;
    const server = await scripted((req, res) => batchReply(req, res, reject ? 400 : 200, (op) => (reject ? { error: "bad" } : record(op, 7))));
    const todos = client(server);
    await todos.save({ id: "a", title: "poison" });
    await todos.sync();
    await todos.save({ id: "a", title: "fixed" });
    reject = false;
    const [letter] = await todos.deadLetters();
    await todos.discardDeadLetter(letter!.opId);
    await expect(todos.discardDeadLetter(letter!.opId)).rejects.toMatchObject({ code: "not_found" });
    await expect(todos.retryDeadLetter("nope")).rejects.toMatchObject({ code: "not_found" });
    await waitFor(async () => (await todos.sync()).remaining === 0, 5000, "the queue to drain");
    expect(await todos.deadLetters()).toEqual([]);
    expect(todos.status.deadLetters).toBe(0);
  });
});
