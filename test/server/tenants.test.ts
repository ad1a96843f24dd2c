/** Many users on one handler: the principal's scope partitions records, feeds and idempotency keys. */
import { afterEach, describe, expect, it } from "vitest";
import type { Principal } from "../../server/handler";
import { createSyncHandler } from "../../server/handler";
import type { ChangesPage, SyncRecord } from "../../server/protocol";
import { serveHandler } from "../support/serve";
import { STORE_KIND, openTestStore } from "../support/stores";

type User = Principal & { name: string; readOnly: boolean };
const USERS: Record<string, User> = {
  "token-ann": { scope: "tenant-1", name: "ann", readOnly: false },
  "token-bob": { scope: "tenant-2", name: "bob", readOnly: false },
  "token-cy": { scope: "tenant-2", name: "cy", readOnly: true },
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(): Promise<{ as: (token: string) => Client }> {
  const store = await openTestStore();
  const handler = createSyncHandler<User>({
    store,
    basePath: "/api",
    authenticate: (request) => USERS[request.headers.get("authorization")?.replace(/^Bearer /, "") ?? ""] ?? null,
    authorize: (user, { collection, write }) => collection !== "admin" && !(write && user.readOnly),
  });
  const served = await serveHandler(handler);
  cleanups.push(async () => {
    await served.close();
    await store.close();
  });
  return { as: (token) => client(`${served.url}/api`, token) };
}

type Reply = { status: number; headers: Headers; body: Record<string, unknown> | null };
type Client = ReturnType<typeof client>;

function client(base: string, token: string) {
  const send = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> => {
    const response = await fetch(`${base}/${path}`, {
      method: init.method ?? "GET",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...init.headers },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === "" ? null : (JSON.parse(text) as Record<string, unknown>) };
  };
  return {
    send,
    put: (id: string, opId: string, body: unknown, headers: Record<string, string> = {}) => send(`todos/${id}`, { method: "PUT", headers: { "Idempotency-Key": opId, ...headers }, body }),
    changes: async (since = "") => (await send(`todos/_changes${since && `?since=${since}`}`)),
    items: async () => ((await send("todos")).body as { items: SyncRecord[] }).items,
  };
}

describe(`scopes on ${STORE_KIND}`, () => {
  it("let two tenants each own an item a1, and never see, overwrite or replay each other's", async () => {
    const server = await start();
    const [ann, bob] = [server.as("token-ann"), server.as("token-bob")];

    expect((await ann.put("a1", "k1", { id: "a1", title: "ann's" }, { "If-None-Match": "*" })).status).toBe(201);
    // The same id and the same key in another scope: a write of its own, neither a 409 nor a replay nor a 422.
    const bobs = await bob.put("a1", "k1", { id: "a1", title: "bob's" }, { "If-None-Match": "*" });
    expect(bobs.status).toBe(201);
    expect(bobs.headers.get("idempotent-replayed")).toBeNull();
    const sameRequest = await bob.put("a2", "k2", { id: "a2" });
    const annRepeats = await ann.put("a2", "k2", { id: "a2" });
    expect([sameRequest.status, annRepeats.status, annRepeats.headers.get("idempotent-replayed")]).toEqual([201, 201, null]);

    expect((await ann.send("todos/a1")).body).toMatchObject({ version: 1, value: { title: "ann's" } });
    expect((await bob.send("todos/a1")).body).toMatchObject({ version: 1, value: { title: "bob's" } });
    expect((await ann.items()).map((item) => item.value?.["title"] ?? item.id)).toEqual(["ann's", "a2"]);
    expect((await bob.items()).map((item) => item.value?.["title"] ?? item.id)).toEqual(["bob's", "a2"]);

    // Preconditions read the writer's own record: bob's version 1 is not ann's.
    expect((await bob.put("a1", "k3", { id: "a1", title: "bob 2" }, { "If-Match": '"1"' })).status).toBe(200);
    expect((await ann.put("a1", "k4", { id: "a1", title: "ann 2" }, { "If-Match": '"2"' })).status).toBe(409);
    expect((await ann.send("todos/a1")).body).toMatchObject({ version: 1, value: { title: "ann's" } });
  });

  it("answer another scope's item exactly as one never written, and keep batches and deletes in their scope", async () => {
    const server = await start();
    const [ann, bob] = [server.as("token-ann"), server.as("token-bob")];
    await ann.put("secret", "k1", { id: "secret", title: "ann only" });

    const read = await bob.send("todos/secret");
    const never = await bob.send("todos/never-written");
    expect([read.status, read.body]).toEqual([never.status, never.body]);
    expect(read.status).toBe(404);

    const deleted = await bob.send("todos/secret", { method: "DELETE", headers: { "Idempotency-Key": "d1", "If-Match": '"1"' } });
    expect(deleted.status).toBe(409);
    expect(deleted.body).toMatchObject({ current: null });
    const batch = await bob.send("todos/_batch", {
      method: "POST",
      body: { ops: [{ opId: "k1", id: "secret", method: "PATCH", ifMatch: 1, body: { title: "bob was here" } }] },
    });
    expect((batch.body as { results: Array<{ status: number }> }).results.map((result) => result.status)).toEqual([409]);
    expect((await bob.send("todos/_batch", { method: "POST", body: { ops: [{ opId: "b2", id: "secret", method: "DELETE" }] } })).status).toBe(200);

    expect((await ann.send("todos/secret")).body).toMatchObject({ version: 1, deleted: false, value: { title: "ann only" } });
    expect((await bob.items()).map((item) => item.id)).toEqual([]);
  });

  it("keep change feeds apart: a cursor of one scope's feed never reads another's changes", async () => {
    const server = await start();
    const [ann, bob] = [server.as("token-ann"), server.as("token-bob")];
    for (let i = 0; i < 5; i++) await ann.put(`a${i}`, `ka${i}`, { id: `a${i}` });
    await bob.put("b0", "kb0", { id: "b0" });

    const annFeed = (await ann.changes()).body as ChangesPage;
    const bobFeed = (await bob.changes()).body as ChangesPage;
    expect(annFeed.changes.map((change) => change.id)).toEqual(["a0", "a1", "a2", "a3", "a4"]);
    expect(bobFeed.changes.map((change) => change.id)).toEqual(["b0"]);

    // Ann's cursor is past the end of bob's feed: to bob it is no cursor of his.
    const borrowed = await bob.changes(annFeed.cursor);
    expect(borrowed.status).toBe(410);
    const early = (await ann.changes()).body as ChangesPage;
    const mid = `${early.cursor.split(".")[0]}.1`;
    const fromMid = await bob.changes(mid);
    expect(fromMid.status).toBe(200);
    expect((fromMid.body as ChangesPage).changes).toEqual([]);
  });

  it("answer 401 without a principal and 403 without access, the same whether the item exists or not", async () => {
    const server = await start();
    const [ann, cy, nobody] = [server.as("token-ann"), server.as("token-cy"), server.as("token-nobody")];
    await server.as("token-bob").put("b1", "k1", { id: "b1" });

    const anonymous = await nobody.send("todos");
    expect([anonymous.status, anonymous.body?.["error"], anonymous.headers.get("www-authenticate")]).toEqual([401, "unauthorized", "Bearer"]);
    expect((await ann.send("admin")).status).toBe(403);

    const existing = await cy.put("b1", "c1", { id: "b1", title: "cy" });
    const missing = await cy.put("zz", "c2", { id: "zz" });
    expect([existing.status, existing.body]).toEqual([403, { error: "forbidden", message: expect.any(String) }]);
    expect([missing.status, missing.body]).toEqual([existing.status, existing.body]);
    expect((await cy.send("todos/b1")).status).toBe(200);
    expect((await cy.send("todos/_ping")).status).toBe(204);
  });
});
