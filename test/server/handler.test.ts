/** createSyncHandler's options, served on 127.0.0.1 as an app would mount it. */
import { afterEach, describe, expect, it } from "vitest";
import type { SyncHandlerOptions } from "../../server/handler";
import { createSyncHandler } from "../../server/handler";
import type { SyncStore } from "../../server/store";
import { StoreUnavailableError } from "../../server/store";
import { serveHandler } from "../support/serve";
import { STORE_KIND, openTestStore } from "../support/stores";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: Partial<SyncHandlerOptions> = {}, wrap: (store: SyncStore) => SyncStore = (store) => store) {
  const store = await openTestStore();
  const served = await serveHandler(createSyncHandler({ store: wrap(store), ...options }));
  cleanups.push(async () => {
    await served.close();
    await store.close();
  });
  return served.url;
}

const put = (url: string, id: string, opId: string) =>
  fetch(`${url}/${id}`, { method: "PUT", headers: { "Content-Type": "application/json", "Idempotency-Key": opId }, body: JSON.stringify({ id }) });

describe(`createSyncHandler options (${STORE_KIND})`, () => {
  it("serves below basePath only", async () => {
    const url = await start({ basePath: "/v1/sync/" });
    expect((await put(`${url}/v1/sync/todos`, "a", "k1")).status).toBe(201);
    expect((await fetch(`${url}/v1/sync/todos/a`)).status).toBe(200);
    expect((await fetch(`${url}/todos/a`)).status).toBe(404);
    expect((await fetch(`${url}/v1/syncing/todos/a`)).status).toBe(404);
  });

  it("allows the listed origins only, and sends no CORS headers when cors is false", async () => {
    const listed = await start({ cors: { origin: ["https://app.example"] } });
    const from = (origin: string) => fetch(`${listed}/todos`, { headers: { Origin: origin } });
    const allowed = await from("https://app.example");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(allowed.headers.get("vary")).toContain("Origin");
    expect((await from("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${listed}/todos/a`, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "idempotency-key" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("vary")?.split(/,\s*/)).toEqual(expect.arrayContaining(["Origin", "Access-Control-Request-Headers"]));

    const none = await start({ cors: false });
    const reply = await fetch(`${none}/todos`, { headers: { Origin: "https://app.example" } });
    expect([...reply.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });

  it("applies its limits: batch size, body size and page size", async () => {
    const url = await start({ limits: { maxBatchOps: 2, maxBodyBytes: 1000, maxChangesPage: 3 } });
    const ops = (n: number) => ({ ops: Array.from({ length: n }, (_, i) => ({ opId: `k${i}`, id: `i${i}`, method: "PUT", body: { id: `i${i}` } })) });
    const batch = (body: unknown) => fetch(`${url}/todos/_batch`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    expect((await batch(ops(3))).status).toBe(400);
    expect((await batch(ops(2))).status).toBe(200);
    expect((await put(`${url}/todos`, "x".repeat(10), "k9")).status).toBe(201);
    const big = await fetch(`${url}/todos/b`, { method: "PUT", headers: { "Content-Type": "application/json", "Idempotency-Key": "kb" }, body: JSON.stringify({ id: "b", pad: "x".repeat(1000) }) });
    expect(big.status).toBe(413);
    for (let i = 0; i < 4; i++) await put(`${url}/todos`, `p${i}`, `kp${i}`);
    const page = (await (await fetch(`${url}/todos/_changes?limit=1000`)).json()) as { changes: unknown[]; hasMore: boolean };
    expect([page.changes.length, page.hasMore]).toEqual([3, true]);
    expect(() => createSyncHandler({ store: {} as SyncStore, limits: { maxBatchOps: 0 } })).toThrow(RangeError);
  });

  it("answers 503 with Retry-After for a failing store and 500 for a bug, telling onError of each, and tells onWrite of each write", async () => {
    const errors: unknown[] = [];
    const writes: string[] = [];
    let failing: Error | null = null;
    const url = await start({ onError: (error) => errors.push(error), onWrite: (event) => writes.push(`${event.write.opId}:${event.status}:${event.replayed}`) }, (store) => ({
      ...store,
      list: async (scope, collection) => {
        if (failing) throw failing;
        return store.list(scope, collection);
      },
    }));
    failing = new StoreUnavailableError("the disk is gone");
    const unavailable = await fetch(`${url}/todos`);
    expect([unavailable.status, unavailable.headers.get("retry-after"), ((await unavailable.json()) as { error: string }).error]).toEqual([503, "1", "unavailable"]);
    failing = new TypeError("a bug");
    const bug = await fetch(`${url}/todos`);
    expect([bug.status, ((await bug.json()) as { error: string }).error]).toEqual([500, "internal"]);
    expect(errors).toEqual([expect.any(StoreUnavailableError), expect.any(TypeError)]);

    await put(`${url}/todos`, "a", "k1");
    await put(`${url}/todos`, "a", "k1");
    expect(writes).toEqual(["k1:201:false", "k1:201:true"]);
  });
});
