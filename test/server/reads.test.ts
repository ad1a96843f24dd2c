import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangesPage, SyncRecord } from "../../server/protocol";
import type { TestServer } from "./helpers";
import { call, startServer, write } from "./helpers";

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.app.close());

describe("reads", () => {
  it("lists live records ordered by id and gets one with its ETag", async () => {
    for (const id of ["c", "a", "b"]) await write(server.api, "PUT", id, `put-${id}`, { create: true }, { id });
    await write(server.api, "DELETE", "b", "del-b", { ifMatch: 1 });

    const list = await call<{ items: SyncRecord[] }>(server.api);
    expect(list.status).toBe(200);
    expect(list.body.items.map((record) => record.id)).toEqual(["a", "c"]);

    const one = await call<SyncRecord>(`${server.api}/a`);
    expect(one.headers.get("etag")).toBe('"1"');
    expect(one.body).toMatchObject({ id: "a", version: 1, deleted: false, value: { id: "a" } });
    expect((await call(`${server.api}/b`)).status).toBe(404);
    expect((await call(`${server.api}/never`)).body).toMatchObject({ error: "not_found" });
  });

  it("round-trips ids that need URL encoding", async () => {
    const id = "a/b ?#é";
    expect((await write(server.api, "PUT", id, "o1", { create: true }, { id })).status).toBe(201);
    expect((await call<SyncRecord>(`${server.api}/${encodeURIComponent(id)}`)).body.id).toBe(id);
  });
});

describe("GET {endpoint}/_changes", () => {
  const changes = (query: string) => call<ChangesPage>(`${server.api}/_changes${query}`);

  it("pages through the latest state of each record by seq, tombstones included", async () => {
    for (const id of ["a", "b", "c"]) await write(server.api, "PUT", id, `put-${id}`, { create: true }, { id });
    await write(server.api, "PUT", "a", "upd-a", { ifMatch: 1 }, { id: "a", done: true });
    await write(server.api, "DELETE", "b", "del-b", { ifMatch: 1 });
    await write(`${server.url}/api/other`, "PUT", "x", "put-x", {}, { id: "x" });

    const first = await changes("?since=0&limit=2");
    expect(first.body.changes.map(({ id, version }) => [id, version])).toEqual([["c", 1], ["a", 2]]);
    expect(first.body.hasMore).toBe(true);
    expect(first.body.cursor).toMatch(new RegExp(`^[0-9a-z]+\\.${first.body.changes[1]?.seq}$`));

    const second = await changes(`?since=${first.body.cursor}&limit=2`);
    expect(second.body.changes).toEqual([
      { id: "b", version: 2, updatedAt: expect.any(String), deleted: true, value: null, seq: expect.any(Number) },
    ]);
    expect(second.body.hasMore).toBe(false);

    const caughtUp = await changes(`?since=${second.body.cursor}`);
    expect(caughtUp.body).toEqual({ changes: [], cursor: second.body.cursor, hasMore: false });

    await write(server.api, "PUT", "d", "put-d", { create: true }, { id: "d" });
    const next = await changes(`?since=${second.body.cursor}`);
    expect(next.body.changes.map((change) => change.id)).toEqual(["d"]);
  });

  it("starts from the beginning without since and validates its parameters", async () => {
    await write(server.api, "PUT", "a", "put-a", {}, { id: "a" });
    expect((await changes("")).body.changes).toHaveLength(1);
    expect((await changes("?limit=5000")).status).toBe(200);
    // Not a cursor of this database (another server's, or from before a reset): 410, pull from the start.
    // A bare seq (a cursor from before epochs) is taken when it can be this database's.
    expect((await changes("?since=1")).body).toMatchObject({ changes: [], hasMore: false });
    for (const since of ["abc", "5", "zz.1", `${(await changes("")).body.cursor}9`]) {
      const expired = await changes(`?since=${since}`);
      expect(expired.status).toBe(410);
      expect(expired.body).toMatchObject({ error: "cursor_expired" });
    }
    expect((await changes("?limit=-1")).status).toBe(400);
  });
});
