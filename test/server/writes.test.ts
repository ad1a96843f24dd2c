import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SyncRecord } from "../../server/protocol";
import type { TestServer } from "./helpers";
import { call, rawCall, startServer, write } from "./helpers";

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.app.close());

const milk = { id: "a1", title: "milk" };

describe("writes with preconditions", () => {
  it("creates with If-None-Match: * and refuses to create twice", async () => {
    const created = await write<SyncRecord>(server.api, "PUT", "a1", "o1", { create: true }, milk);
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toBe('"1"');
    expect(created.body).toEqual({ id: "a1", version: 1, updatedAt: expect.any(String), deleted: false, value: milk });
    expect(new Date(created.body.updatedAt).toISOString()).toBe(created.body.updatedAt);

    const again = await write(server.api, "PUT", "a1", "o2", { create: true }, { ...milk, title: "oat milk" });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: "version_mismatch", message: expect.any(String), current: created.body });
  });

  it("updates with If-Match and answers a stale version with 409 carrying the current record", async () => {
    await write(server.api, "PUT", "a1", "o1", { create: true }, milk);
    const updated = await write<SyncRecord>(server.api, "PUT", "a1", "o2", { ifMatch: 1 }, { ...milk, done: true });
    expect(updated.status).toBe(200);
    expect(updated.headers.get("etag")).toBe('"2"');
    expect(updated.body).toMatchObject({ version: 2, value: { ...milk, done: true } });

    const stale = await write(server.api, "PUT", "a1", "o3", { ifMatch: 1 }, milk);
    expect(stale.status).toBe(409);
    expect(stale.body.current).toEqual(updated.body);

    const absent = await write(server.api, "PUT", "zz", "o4", { ifMatch: 1 }, { id: "zz" });
    expect(absent.status).toBe(409);
    expect(absent.body).toMatchObject({ error: "version_mismatch", current: null });
  });

  it("writes unconditionally when neither precondition is sent", async () => {
    expect((await write(server.api, "PUT", "a1", "o1", {}, milk)).status).toBe(201);
    const second = await write<SyncRecord>(server.api, "PUT", "a1", "o2", {}, { ...milk, title: "eggs" });
    expect(second.status).toBe(200);
    expect(second.body.version).toBe(2);
  });

  it("deletes into a tombstone, treats repeated deletes as success and recreates over it", async () => {
    await write(server.api, "PUT", "a1", "o1", { create: true }, milk);
    const tombstone = await write<SyncRecord>(server.api, "DELETE", "a1", "o2", { ifMatch: 1 });
    expect(tombstone.status).toBe(200);
    expect(tombstone.headers.get("etag")).toBe('"2"');
    expect(tombstone.body).toMatchObject({ id: "a1", version: 2, deleted: true, value: null });
    expect((await call(`${server.api}/a1`)).status).toBe(404);

    expect((await write(server.api, "DELETE", "a1", "o3")).body).toEqual(tombstone.body);
    expect((await write(server.api, "DELETE", "a1", "o4", { ifMatch: 2 })).body).toEqual(tombstone.body);
    const stale = await write(server.api, "DELETE", "a1", "o5", { ifMatch: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.current).toEqual(tombstone.body);
    expect((await write(server.api, "PUT", "a1", "o6", { ifMatch: 2 }, milk)).status).toBe(409);

    const recreated = await write<SyncRecord>(server.api, "PUT", "a1", "o7", { create: true }, milk);
    expect(recreated.status).toBe(201);
    expect(recreated.body).toMatchObject({ version: 3, deleted: false, value: milk });
  });

  it("records a tombstone when deleting an id that never existed", async () => {
    const deleted = await write(server.api, "DELETE", "ghost", "o1");
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: "ghost", version: 1, deleted: true, value: null });
    const withVersion = await write(server.api, "DELETE", "never", "o2", { ifMatch: 1 });
    expect(withVersion.status).toBe(409);
    expect(withVersion.body.current).toBeNull();
  });
});

describe("idempotency", () => {
  it("replays the stored reply for a repeated key and applies the write once", async () => {
    const first = await write(server.api, "PUT", "a1", "o1", { create: true }, milk);
    const replay = await write(server.api, "PUT", "a1", "o1", { create: true }, { title: "milk", id: "a1" });
    expect(replay.status).toBe(first.status);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get("etag")).toBe('"1"');
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(server.app.store.appliedCount("todos", "o1")).toBe(1);
    expect(server.app.store.replayedCount("todos", "o1")).toBe(1);
  });

  it("replays even after later writes changed the record", async () => {
    const first = await write(server.api, "PUT", "a1", "o1", { create: true }, milk);
    await write(server.api, "PUT", "a1", "o2", { ifMatch: 1 }, { ...milk, title: "eggs" });
    const replay = await write(server.api, "PUT", "a1", "o1", { create: true }, milk);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
  });

  it("answers 422 when a key is reused for a different body, id or method", async () => {
    await write(server.api, "PUT", "a1", "o1", { create: true }, milk);
    const otherBody = await write(server.api, "PUT", "a1", "o1", { create: true }, { ...milk, title: "eggs" });
    expect(otherBody.status).toBe(422);
    expect(otherBody.body).toMatchObject({ error: "idempotency_key_reused", message: expect.any(String) });
    expect((await write(server.api, "PUT", "b2", "o1", { create: true }, { id: "b2" })).status).toBe(422);
    expect((await write(server.api, "DELETE", "a1", "o1", { ifMatch: 1 })).status).toBe(422);
    expect(server.app.store.appliedCount("todos", "o1")).toBe(1);
  });

  it("scopes keys to the collection", async () => {
    await write(server.api, "PUT", "a1", "o1", {}, milk);
    const other = await write(`${server.url}/api/notes`, "PUT", "n1", "o1", {}, { id: "n1" });
    expect(other.status).toBe(201);
  });

  it("does not store a failed precondition, so the key can be retried", async () => {
    await write(server.api, "PUT", "a1", "o1", { create: true }, milk);
    expect((await write(server.api, "PUT", "a1", "o2", { ifMatch: 7 }, milk)).status).toBe(409);
    expect((await write(server.api, "PUT", "a1", "o2", { ifMatch: 1 }, milk)).status).toBe(200);
  });
});

describe("PATCH (JSON Merge Patch)", () => {
  it("merges objects, replaces arrays and removes fields set to null", async () => {
    const item = { id: "a1", title: "milk", tags: ["x", "y"], meta: { color: "red", size: 2 }, note: "n" };
    await write(server.api, "PUT", "a1", "o1", { create: true }, item);
    const patched = await write<SyncRecord>(server.api, "PATCH", "a1", "o2", { ifMatch: 1 }, {
      tags: ["z"],
      meta: { size: null, shape: "round" },
      note: null,
      done: true,
    });
    expect(patched.status).toBe(200);
    expect(patched.headers.get("etag")).toBe('"2"');
    expect(patched.body.value).toEqual({ id: "a1", title: "milk", tags: ["z"], meta: { color: "red", shape: "round" }, done: true });
  });

  it("keeps a __proto__ key as plain data", async () => {
    await write(server.api, "PUT", "a1", "o1", { create: true }, milk);
    const patched = await write<SyncRecord>(server.api, "PATCH", "a1", "o2", { ifMatch: 1 }, '{"__proto__":{"polluted":true}}');
    expect(patched.status).toBe(200);
    expect(Object.keys(patched.body.value ?? {})).toContain("__proto__");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("needs If-Match on a live record and must keep the id", async () => {
    await write(server.api, "PUT", "a1", "o1", { create: true }, milk);
    expect((await write(server.api, "PATCH", "a1", "o2", {}, { done: true })).status).toBe(400);
    expect((await write(server.api, "PATCH", "a1", "o3", { ifMatch: 1 }, { id: "other" })).status).toBe(400);
    expect((await write(server.api, "PATCH", "a1", "o4", { ifMatch: 1 }, { id: null })).status).toBe(400);
    expect((await write(server.api, "PATCH", "a1", "o5", { ifMatch: 1 }, [1])).status).toBe(400);
    const stale = await write(server.api, "PATCH", "a1", "o6", { ifMatch: 9 }, { done: true });
    expect(stale.status).toBe(409);
    expect(stale.body.current).toMatchObject({ version: 1 });
    expect((await write(server.api, "PATCH", "nope", "o7", { ifMatch: 1 }, { done: true })).status).toBe(409);
  });

  it("refuses with 413 a patch whose result would be larger than a PUT may carry, applying nothing", async () => {
    const big = { id: "a1", a: "x".repeat(3_000_000) };
    expect((await write(server.api, "PUT", "a1", "o1", { create: true }, big)).status).toBe(201);
    const grown = await write(server.api, "PATCH", "a1", "o2", { ifMatch: 1 }, { b: "y".repeat(3_000_000) });
    expect(grown.status).toBe(413);
    expect(grown.body).toEqual({ error: "payload_too_large", message: expect.stringContaining("PUT") });
    expect(await server.app.store.get("todos", "a1")).toMatchObject({ version: 1, value: big });
    expect(server.app.store.appliedCount("todos", "o2")).toBe(0);

    // The key was not used up, and a patch that keeps the item within the limit goes through.
    const swapped = await write<SyncRecord>(server.api, "PATCH", "a1", "o2", { ifMatch: 1 }, { a: null, b: "y".repeat(3_000_000) });
    expect(swapped.status).toBe(200);
    expect(swapped.body.version).toBe(2);
  });
});

describe("bad requests", () => {
  it("answers 400 with an error body for malformed input", async () => {
    const cases: Array<{ id?: string; headers?: Record<string, string>; body?: unknown }> = [
      { body: "{not json" },
      { body: "" },
      { body: "[1,2]" },
      { body: { title: "no id" } },
      { body: { id: "other" } },
      { headers: { "Idempotency-Key": "" } },
      { headers: { "Idempotency-Key": "k".repeat(129) } },
      { headers: { "If-Match": "three" } },
      { headers: { "If-None-Match": '"1"' } },
      { headers: { "If-Match": '"1"', "If-None-Match": "*" } },
      { id: "%E0%A4%A" },
      { id: "x".repeat(257) },
      { body: `{"id":"a1","deep":${"[".repeat(5000)}${"]".repeat(5000)}}` },
    ];
    for (const [index, { id = "a1", headers = {}, body = milk }] of cases.entries()) {
      const answer = await call(`${server.api}/${id}`, {
        method: "PUT",
        headers: { "Idempotency-Key": `k${index}`, ...headers },
        body: id.startsWith("x") ? { id } : body,
      });
      expect([index, answer.status, answer.body.error]).toEqual([index, 400, "bad_request"]);
      expect(answer.body.message).toEqual(expect.any(String));
    }
    const noKey = await fetch(`${server.api}/a1`, { method: "PUT", body: JSON.stringify(milk) });
    expect(noKey.status).toBe(400);
    expect((await call(`${server.url}/api/bad.name`)).status).toBe(400);
  });

  it("refuses a body with invalid UTF-8 or a number too large for a double instead of storing a changed value", async () => {
    const utf8 = (text: string) => new TextEncoder().encode(text);
    const withBytes = (...bytes: number[]) => Uint8Array.from([...utf8('{"id":"a1","title":"'), ...bytes, ...utf8('"}')]);
    const cases: unknown[] = [
      withBytes(0xff, 0xfe), // never UTF-8
      withBytes(0xc0, 0xaf), // an overlong "/"
      withBytes(0xed, 0xa0, 0x80), // a surrogate, which has no UTF-8 form
      '{"id":"a1","n":1e400}',
      '{"id":"a1","n":{"deep":[-1e999]}}',
    ];
    for (const [index, body] of cases.entries()) {
      const answer = await call(`${server.api}/a1`, { method: "PUT", headers: { "Idempotency-Key": `k${index}` }, body });
      expect([index, answer.status, answer.body.error]).toEqual([index, 400, "bad_request"]);
      expect(answer.body.message).toMatch(/UTF-8|number/);
    }
    const batched = await call(`${server.api}/_batch`, { method: "POST", body: '{"ops":[{"opId":"b1","id":"a1","method":"PUT","body":{"id":"a1","n":1e400}}]}' });
    expect(batched.status).toBe(400);
    expect(await server.app.store.get("todos", "a1")).toBeNull();

    const wellFormed = await write<SyncRecord>(server.api, "PUT", "a1", "ok", {}, { id: "a1", title: "crème 🥛", n: 1.7976931348623157e308 });
    expect(wellFormed.body.value).toEqual({ id: "a1", title: "crème 🥛", n: 1.7976931348623157e308 });
  });

  it('never writes the ids "." and "..", however the path spells them: 400 or, where the dot segment took the path up a level, 404', async () => {
    const targets: Array<[string, string]> = [
      ["/api/todos/%2E", "."],
      ["/api/todos/%2e", "."],
      ["/api/todos/.", "."],
      ["/api/todos/%2E%2E", ".."],
      ["/api/todos/%2e.", ".."],
      ["/api/todos/..", ".."],
      ["http://localhost/api/todos/%2E", "."], // absolute-form, as from a proxy
    ];
    for (const [index, [target, id]] of targets.entries()) {
      for (const method of ["PUT", "DELETE"]) {
        const init = { method, headers: { "Idempotency-Key": `k${index}${method}` }, ...(method === "PUT" && { body: JSON.stringify({ id }) }) };
        const answer = await rawCall(server.url, target, init);
        // A Fetch Request's URL has its dot segments removed: "/todos/." arrives as "/todos/", "/todos/.." as "/".
        const expected = id === "." ? [400, expect.stringContaining('"." and ".." are not ids')] : [404, "no such resource"];
        expect([target, method, answer.status, answer.body.message]).toEqual([target, method, ...expected]);
      }
    }
    expect((await server.app.store.stats()).records).toEqual({});
    // An absolute-form target with a query still reaches its route.
    expect((await rawCall(server.url, "http://localhost/api/todos/_changes?limit=1", { method: "GET" })).status).toBe(200);
  });

  it('refuses a write with two Idempotency-Key headers instead of taking them as the one key "a, b"', async () => {
    for (const method of ["PUT", "DELETE"]) {
      const init = { method, headers: { "Idempotency-Key": ["a", "b"] }, ...(method === "PUT" && { body: JSON.stringify(milk) }) };
      const answer = await rawCall(server.url, "/api/todos/a1", init);
      expect([method, answer.status, answer.body.error]).toEqual([method, 400, "bad_request"]);
      expect(answer.body.message).toContain("Idempotency-Key");
    }
    expect(await server.app.store.get("todos", "a1")).toBeNull();
    expect((await server.app.store.stats()).idempotency.keys).toBe(0);
  });

  it("answers unknown routes with 404 and wrong methods with 405", async () => {
    const unknown = await call(`${server.url}/api/todos/a/b`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: "not_found", message: expect.any(String) });
    expect((await call(`${server.url}/nothing-here`)).status).toBe(404);
    const wrong = await call(server.api, { method: "POST", body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
    expect((await call(`${server.api}/_batch`)).status).toBe(405);
  });
});
