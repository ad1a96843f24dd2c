import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TestServer } from "./helpers";
import { call, startServer, write } from "./helpers";

type BatchResult = { opId: string; status: number; body: Record<string, unknown> };
type BatchAnswer = { results?: BatchResult[]; error?: string };

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.app.close());

const batch = (ops: unknown[], collection = "todos") =>
  call<BatchAnswer>(`${server.url}/api/${collection}/_batch`, { method: "POST", body: { ops } });

describe("POST {endpoint}/_batch", () => {
  it("applies each op like the per-item request and reports mixed results in order", async () => {
    await write(server.api, "PUT", "b7", "seed1", { create: true }, { id: "b7", done: false });
    await write(server.api, "PUT", "c2", "seed2", { create: true }, { id: "c2" });
    const answer = await batch([
      { opId: "o1", id: "a1", method: "PUT", ifNoneMatch: "*", body: { id: "a1", title: "milk" } },
      { opId: "o2", id: "b7", method: "PATCH", ifMatch: 4, body: { done: true } },
      { opId: "o3", id: "c2", method: "DELETE", ifMatch: '"1"' },
      { opId: "o4", id: "d4", method: "PUT", body: { id: "not-d4" } },
      { opId: "o5", id: "b7-copy", method: "PATCH", body: { done: true } },
    ]);
    expect(answer.status).toBe(200);
    const results = answer.body.results ?? [];
    expect(results.map(({ opId, status }) => [opId, status])).toEqual([
      ["o1", 201],
      ["o2", 409],
      ["o3", 200],
      ["o4", 400],
      ["o5", 400],
    ]);
    expect(results[0]?.body).toMatchObject({ id: "a1", version: 1, deleted: false, value: { id: "a1", title: "milk" } });
    expect(results[1]?.body).toMatchObject({ error: "version_mismatch", current: { id: "b7", version: 1 } });
    expect(results[2]?.body).toMatchObject({ id: "c2", version: 2, deleted: true, value: null });
    expect(results[3]?.body).toMatchObject({ error: "bad_request" });
  });

  it("refuses a malformed batch as a whole, applying nothing", async () => {
    const op = (id: string, opId = `op-${id}`) => ({ opId, id, method: "PUT", body: { id } });
    const duplicate = await batch([op("a1"), op("a1", "other")]);
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toMatchObject({ error: "bad_request" });
    expect(duplicate.body.results).toBeUndefined();

    // One key for two writes: a retry of this batch could not get the reply the first send got.
    const sameKey = await batch([op("a1", "k"), op("b1", "k")]);
    expect(sameKey.status).toBe(400);
    expect(sameKey.body).toMatchObject({ error: "bad_request", message: expect.stringContaining('opId "k" appears twice') });

    const tooMany = await batch(Array.from({ length: 501 }, (_, index) => op(`i${index}`)));
    expect(tooMany.status).toBe(400);

    expect((await batch([{ opId: "x", id: "a1", method: "POST" }])).status).toBe(400);
    expect((await batch([{ id: "a1", method: "PUT", body: { id: "a1" } }])).status).toBe(400);
    expect((await batch([{ ...op("a1"), ifMatch: "v1" }])).status).toBe(400);
    expect((await call(`${server.api}/_batch`, { method: "POST", body: { ops: "nope" } })).status).toBe(400);
    expect((await call(`${server.api}/_batch`, { method: "POST", body: "{" })).status).toBe(400);
    expect((await call<{ items: unknown[] }>(server.api)).body.items).toEqual([]);

    const full = await batch(Array.from({ length: 500 }, (_, index) => op(`i${index}`)));
    expect(full.body.results).toHaveLength(500);
  });

  it("refuses ids no URL can name (lone surrogates, '.', '..') or no store can keep (U+0000), and reaches ids that start with '_' per item as %5F", async () => {
    const answer = await batch([
      { opId: "n1", id: "a\u0000b", method: "PUT", body: { id: "a\u0000b" } },
      { opId: "n\u0000", id: "nul-key", method: "PUT", body: { id: "nul-key" } },
      { opId: "s1", id: "\ud800", method: "PUT", body: { id: "\ud800" } },
      { opId: "s2", id: "..", method: "PUT", body: { id: ".." } },
      { opId: "s3", id: "ok", method: "PUT", body: { id: "ok" } },
      { opId: "s4", id: "_changes", method: "PUT", body: { id: "_changes" } },
    ]);
    expect(answer.body.results?.map((r) => r.status)).toEqual([400, 400, 400, 400, 201, 201]);
    expect((await call(`${server.api}/a%00b`)).status).toBe(404);
    expect((await write(server.api, "PUT", "a\u0000b", "n2", {}, { id: "a\u0000b" })).status).toBe(400);
    expect((await server.app.store.list("todos")).map((r) => r.id).sort()).toEqual(["_changes", "ok"]);
    expect((await call(`${server.api}/%5Fchanges`)).body).toMatchObject({ id: "_changes", value: { id: "_changes" } });
  });

  it("limits each op's body to 100 levels, as the per-item request does, without counting the batch around it", async () => {
    const nested = (levels: number): Record<string, unknown> => (levels === 1 ? { leaf: true } : { v: nested(levels - 1) });
    const item = { id: "deep", v: nested(99) }; // 100 levels
    expect((await write(server.api, "PUT", "deep", "p1", { create: true }, item)).status).toBe(201);
    const answer = await batch([{ opId: "b1", id: "deep2", method: "PUT", body: { ...item, id: "deep2" } }]);
    expect(answer.status).toBe(200);
    expect(answer.body.results?.[0]?.status).toBe(201);
    expect((await batch([{ opId: "b2", id: "deeper", method: "PUT", body: { id: "deeper", v: nested(100) } }])).status).toBe(400);
  });

  it("keeps one idempotency key per op across batches and per-item requests", async () => {
    const ops = [
      { opId: "o1", id: "a1", method: "PUT", ifNoneMatch: "*", body: { id: "a1", n: 1 } },
      { opId: "o2", id: "a2", method: "PUT", ifNoneMatch: "*", body: { id: "a2", n: 2 } },
    ];
    const first = await batch(ops);
    const replay = await batch(ops);
    expect(replay.body).toEqual(first.body);
    expect(server.app.store.appliedCount("todos", "o1")).toBe(1);
    expect(server.app.store.replayedCount("todos", "o2")).toBe(1);

    const fallback = await write(server.api, "PUT", "a1", "o1", { create: true }, { id: "a1", n: 1 });
    expect(fallback.status).toBe(201);
    expect(fallback.body).toEqual(first.body.results?.[0]?.body);

    const reused = await batch([{ opId: "o1", id: "a1", method: "PUT", body: { id: "a1", n: 99 } }]);
    expect(reused.body.results?.[0]).toMatchObject({ status: 422, body: { error: "idempotency_key_reused" } });
  });
});
