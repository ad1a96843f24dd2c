import { afterEach, describe, expect, it } from "vitest";
import type { FaultConfig, FaultKind } from "../../demo/server/faults";
import { FAULT_KINDS, decideFault, mulberry32, parseFaultConfig } from "../../demo/server/faults";
import type { TestServer } from "./helpers";
import { waitFor } from "../support/client";
import { call, startServer, write } from "./helpers";

describe("decideFault", () => {
  const config: FaultConfig = { rate: 1, kinds: [...FAULT_KINDS] };

  it("never injects at rate 0 or without a config, always at rate 1", () => {
    const random = mulberry32(7);
    for (let i = 0; i < 100; i += 1) {
      expect(decideFault(null, random)).toEqual({ kind: "none" });
      expect(decideFault({ ...config, rate: 0 }, random)).toEqual({ kind: "none" });
      expect(decideFault(config, random).kind).not.toBe("none");
    }
  });

  it("picks the kinds uniformly and reproducibly from a seed", () => {
    const draw = (seed: number) => {
      const random = mulberry32(seed);
      return Array.from({ length: 4000 }, () => decideFault(config, random).kind);
    };
    expect(draw(42)).toEqual(draw(42));
    const counts = new Map<string, number>();
    for (const kind of draw(42)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    for (const kind of FAULT_KINDS) expect(counts.get(kind)).toBeGreaterThan(850);
  });

  it("fills in defaults and sends Retry-After only with 429 or 503", () => {
    const always = () => 0;
    expect(decideFault({ rate: 1, kinds: ["status"] }, always)).toEqual({ kind: "status", status: 503 });
    expect(decideFault({ rate: 1, kinds: ["status"], retryAfterSec: 2 }, always)).toEqual({ kind: "status", status: 503, retryAfterSec: 2 });
    expect(decideFault({ rate: 1, kinds: ["status"], status: 500, retryAfterSec: 2 }, always)).toEqual({ kind: "status", status: 500 });
    expect(decideFault({ rate: 1, kinds: ["delay"] }, always)).toEqual({ kind: "delay", delayMs: 2000 });
  });

  it("validates untrusted configs", () => {
    expect(parseFaultConfig(null)).toEqual({ config: null });
    expect(parseFaultConfig({ rate: 0.5, kinds: ["delay"], delayMs: 10, seed: 3 })).toEqual({
      config: { rate: 0.5, kinds: ["delay"], delayMs: 10, seed: 3 },
    });
    for (const bad of [
      [],
      { rate: 2, kinds: ["status"] },
      { rate: 0.5, kinds: [] },
      { rate: 0.5, kinds: ["explode"] },
      { rate: 0.5, kinds: ["status"], status: 404 },
      { rate: 0.5, kinds: ["delay"], delayMs: -1 },
      { rate: 0.5, kinds: ["status"], extra: true },
    ]) {
      expect(parseFaultConfig(bad)).toHaveProperty("error");
    }
  });
});

describe("fault injection on a live server", () => {
  let server: TestServer;
  afterEach(() => server.app.close());

  const start = (kind: FaultKind, extra: Partial<FaultConfig> = {}) =>
    startServer({ faults: { rate: 1, kinds: [kind], ...extra }, admin: true });
  const item = { id: "a1", title: "milk" };
  const put = (opId = "o1") => write(server.api, "PUT", "a1", opId, { create: true }, item);

  it("status: replies the status with an error body and applies nothing", async () => {
    server = await start("status", { status: 503, retryAfterSec: 1 });
    const answer = await put();
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("1");
    expect(answer.body).toMatchObject({ error: "internal", message: expect.any(String) });
    expect(server.app.store.appliedCount("todos", "o1")).toBe(0);
    expect(await server.app.store.get("todos", "a1")).toBeNull();
    expect(server.app.faults.injected().status).toBe(1);
  });

  it("drop-before: the connection closes and nothing is applied", async () => {
    server = await start("drop-before");
    await expect(put()).rejects.toThrow();
    expect(server.app.store.appliedCount("todos", "o1")).toBe(0);
    expect(await server.app.store.get("todos", "a1")).toBeNull();
    expect(server.app.faults.injected()["drop-before"]).toBe(1);
  });

  it("drop-after: the write commits, the reply is lost, the retry gets the stored reply", async () => {
    server = await start("drop-after");
    await expect(put()).rejects.toThrow();
    expect(server.app.store.appliedCount("todos", "o1")).toBe(1);
    expect(await server.app.store.get("todos", "a1")).toMatchObject({ version: 1, value: item });

    server.app.faults.set(null);
    const retry = await put();
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ id: "a1", version: 1, value: item });
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(server.app.store.appliedCount("todos", "o1")).toBe(1);
  });

  it("delay: waits, then handles the request normally", async () => {
    server = await start("delay", { delayMs: 100 });
    const started = performance.now();
    const answer = await put();
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(answer.status).toBe(201);
    expect(server.app.faults.injected().delay).toBe(1);
  });

  it("delay: a client that gives up during the delay does not leave its request hanging on the server", async () => {
    const logged: string[] = [];
    server = await startServer({ faults: { rate: 1, kinds: ["delay"], delayMs: 200 }, log: (line) => logged.push(line) });
    const init = { method: "PUT", headers: { "Idempotency-Key": "gone", "If-None-Match": "*" }, body: JSON.stringify(item) };
    await expect(fetch(`${server.api}/a1`, { ...init, signal: AbortSignal.timeout(50) })).rejects.toThrow();
    await waitFor(() => logged.some((line) => line.startsWith("PUT /api/todos/a1 ")), 3000, "the request to end on the server");
    expect(await server.app.store.get("todos", "a1")).toBeNull();
  });

  it("delay: a bodyless write (DELETE) whose client gave up during the delay applies nothing either", async () => {
    const logged: string[] = [];
    server = await startServer({ log: (line) => logged.push(line) });
    expect((await put()).status).toBe(201);
    server.app.faults.set({ rate: 1, kinds: ["delay"], delayMs: 200 });
    const init = { method: "DELETE", headers: { "Idempotency-Key": "d1" } };
    await expect(fetch(`${server.api}/a1`, { ...init, signal: AbortSignal.timeout(50) })).rejects.toThrow();
    await waitFor(() => logged.some((line) => line.startsWith("DELETE /api/todos/a1 ")), 3000, "the request to end on the server");
    expect(await server.app.store.get("todos", "a1")).toMatchObject({ version: 1, deleted: false });
    expect(server.app.store.appliedCount("todos", "d1")).toBe(0);
  });

  it("spares pings, preflights and the admin API, which switches faults at runtime", async () => {
    server = await start("status", { status: 500 });
    expect((await fetch(`${server.url}/_ping`)).status).toBe(204);
    expect((await fetch(`${server.api}/_ping`)).status).toBe(204);
    expect((await fetch(server.api, { method: "OPTIONS" })).status).toBe(204);
    expect((await call(`${server.url}/_admin/faults`)).body).toMatchObject({ faults: { rate: 1, kinds: ["status"] } });

    const refused = await call(`${server.url}/_admin/faults`, { method: "PUT", body: { rate: 5, kinds: ["status"] } });
    expect(refused.status).toBe(400);
    expect((await call(server.api)).status).toBe(500);

    const off = await call(`${server.url}/_admin/faults`, { method: "PUT", body: "null" });
    expect(off.body).toEqual({ faults: null, injected: { status: 1, delay: 0, "drop-before": 0, "drop-after": 0 } });
    expect((await put()).status).toBe(201);

    const stats = await call(`${server.url}/_admin/stats`);
    expect(stats.body).toEqual({
      records: { todos: { live: 1, deleted: 0 } },
      idempotency: { keys: 1, replays: 0 },
      faultsInjected: { status: 1, delay: 0, "drop-before": 0, "drop-after": 0 },
    });
  });

  it("hides the admin API unless enabled", async () => {
    server = await startServer();
    expect((await call(`${server.url}/_admin/stats`)).status).toBe(404);
  });
});
