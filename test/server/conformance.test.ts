import { getRequestListener } from "@hono/node-server";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import type { ConformanceResult } from "../../server/conformance/index";
import { formatReport, runConformance } from "../../server/conformance/index";
import type { SyncHandler, SyncHandlerOptions } from "../../server/handler";
import { createSyncHandler } from "../../server/handler";
import { freePort } from "../support/ports";
import { openTestStore } from "../support/stores";
import { startServer } from "./helpers";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** The reference server of the run's store, closed when the test ends. */
async function reference(options: { token?: string } = {}): Promise<string> {
  const server = await startServer(options);
  onTestFinished(() => server.app.close());
  return `${server.url}/api`;
}

/**
 * The library's real handler on node:http, with one thing broken by `wrap`; the store is the run's (SQLite
 * or PostgreSQL). Returns the base URL.
 */
async function broken(wrap: (handler: SyncHandler) => SyncHandler, options: Partial<SyncHandlerOptions> = {}): Promise<string> {
  const store = await openTestStore();
  const handler = createSyncHandler({ store, basePath: "/api", onError: () => undefined, ...options });
  const server = createServer(getRequestListener(wrap(handler)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
}

const failed = (results: ConformanceResult[]) => results.filter((result) => !result.pass);
const names = (results: ConformanceResult[]) => results.map((result) => result.rule);
const find = (results: ConformanceResult[], rule: string) => {
  const found = results.find((result) => result.rule === rule);
  if (!found) throw new Error(`no rule "${rule}" in ${JSON.stringify(names(results))}`);
  return found;
};

/** Every rule passed (skips allowed only for `skippable`); the failures' report is the assertion message. */
function expectAllPass(results: ConformanceResult[], skippable: string[] = []): void {
  expect(results.length).toBeGreaterThan(60);
  expect(failed(results), formatReport(failed(results))).toEqual([]);
  expect(names(results.filter((result) => result.skipped))).toEqual(skippable);
}

/** Exactly `rules` failed: what broke fails, and everything else still passes. */
function expectFailing(results: ConformanceResult[], rules: string[]): void {
  expect(results.length).toBeGreaterThan(60);
  expect(names(failed(results)).sort(), formatReport(failed(results))).toEqual([...rules].sort());
}

/** A copy of `request` with `headers` changed (a Request's headers cannot be changed in place). */
async function withHeaders(request: Request, change: (headers: Headers) => void): Promise<Request> {
  const headers = new Headers(request.headers);
  change(headers);
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
  return new Request(request.url, { method: request.method, headers, ...(body !== undefined && { body }) });
}

const AUTH_RULES = [
  "a request without the bearer token, or with another, is 401 unauthorized, applying nothing",
  'the scheme name is case-insensitive: "bearer <token>" is taken',
];

describe("the conformance kit against the reference server", () => {
  it("passes every rule", async () => {
    const results = await runConformance({ baseUrl: await reference() });
    expectAllPass(results, AUTH_RULES);
    expect(new Set(results.map((result) => result.group))).toEqual(
      new Set(["records and versions", "preconditions", "idempotent replay", "concurrency", "batch", "change feed", "tombstones", "cursors", "merge patch", "gzip bodies", "limits", "CORS", "ping and auth", "error bodies"]),
    );
    expect(results.every((result) => result.exchanges === undefined)).toBe(true);
  });

  it("passes every rule with --token, the auth rules included", async () => {
    const baseUrl = await reference({ token: "t" });
    expectAllPass(await runConformance({ baseUrl, token: "t" }));
    await expect(runConformance({ baseUrl })).rejects.toThrow("the server needs a token; run with --token T");
    await expect(runConformance({ baseUrl, token: "wrong" })).rejects.toThrow("the server refused the token");
  });

  it("passes every rule in a fixed collection that already holds data, twice", async () => {
    const baseUrl = await reference();
    expectAllPass(await runConformance({ baseUrl, collection: "todos" }), AUTH_RULES);
    expectAllPass(await runConformance({ baseUrl, collection: "todos" }), AUTH_RULES);
  });
});

describe("the conformance kit against broken servers", () => {
  it("fails the replay rule when a replay lacks Idempotent-Replayed: true", async () => {
    const baseUrl = await broken((handler) => async (request) => {
      const response = await handler(request);
      response.headers.delete("Idempotent-Replayed");
      return response;
    });
    const results = await runConformance({ baseUrl });
    const rule = "a repeated key with the same request gets the same status and body, with Idempotent-Replayed: true";
    expectFailing(results, [rule]);
    const { message, exchanges } = find(results, rule);
    expect(message).toContain("a replay must carry Idempotent-Replayed: true, got no such header");
    expect(message).toMatch(/PUT \/api\/conformance_[0-9a-f]{8}\/k[0-9a-f]{8}-\d+-a answered 201: \{"id":/);
    const last = exchanges?.at(-1);
    expect(last?.request).toMatchObject({ method: "PUT", headers: { "Idempotency-Key": expect.any(String), "If-None-Match": "*" } });
    expect(last?.reply?.status).toBe(201);
    expect(last?.reply?.headers).not.toHaveProperty("idempotent-replayed");
    // The first request of the key is shown before its replay, under the same key.
    expect(exchanges?.at(-2)?.request.headers["Idempotency-Key"]).toBe(last?.request.headers["Idempotency-Key"]);
  });

  it("fails the replay rules when a replay is applied again (the server forgets keys)", async () => {
    let requests = 0;
    const baseUrl = await broken((handler) => async (request) => {
      const key = request.headers.get("idempotency-key");
      // A fresh key for each request; a key over the limit stays, to be refused as before.
      const forget = key !== null && key.length <= 128;
      return handler(forget ? await withHeaders(request, (headers) => headers.set("Idempotency-Key", `r${++requests}`)) : request);
    });
    const results = await runConformance({ baseUrl });
    expectFailing(results, [
      "a repeated key with the same request gets the same status and body, with Idempotent-Replayed: true",
      "a replay applies nothing: the version does not move",
      "a replay after later writes still gets the stored reply",
      "a repeated key with a different body is 422 idempotency_key_reused, applying nothing",
      "a repeated key with a different method or id is 422 idempotency_key_reused",
      "5 requests at once with one key are applied once, each answered the same",
      "a batch op's key is the per-item request's: replayed by it, 422 for another body",
      "error replies are JSON { error, message } with the protocol's code for their status",
    ]);
    const { message, exchanges } = find(results, "a replay applies nothing: the version does not move");
    expect(message).toContain("a replay must answer the first reply's body");
    expect(message).toContain('"version":3');
    expect(exchanges?.at(-1)?.reply?.status).toBe(200);
    expect(exchanges?.at(-1)?.reply?.body).toContain('"version":3');
  });

  it("fails the paging rules when the feed skips the last change of a full page", async () => {
    const baseUrl = await broken((handler) => async (request) => {
      const response = await handler(request);
      if (!new URL(request.url).pathname.endsWith("/_changes") || response.status !== 200) return response;
      const page = (await response.json()) as { changes: unknown[]; cursor: string; hasMore: boolean };
      if (page.hasMore && page.changes.length > 1) page.changes.pop();
      return new Response(JSON.stringify(page), { status: 200, headers: response.headers });
    });
    const results = await runConformance({ baseUrl });
    const skipping = "paging while writes come in: no change skipped, none repeated";
    expectFailing(results, ["pages hold limit changes ordered by seq, with a cursor, hasMore false on the last", skipping]);
    const { message, exchanges } = find(results, skipping);
    expect(message).toMatch(/k[0-9a-f]{8}-\d+-c version 1 never came while paging by limit=3 \(skipped\)/);
    expect(exchanges?.at(-1)?.request.url).toMatch(/\/_changes\?since=[0-9a-f]+\.\d+&limit=3$/);
    expect(exchanges?.at(-1)?.reply?.status).toBe(200);
  });

  it("fails the stale If-Match rules when the server answers 200 instead of 409", async () => {
    const baseUrl = await broken((handler) => async (request) => {
      const response = await handler(request);
      if (request.method !== "PUT" || !request.headers.has("if-match") || response.status !== 409) return response;
      const { current } = (await response.json()) as { current: { version: number; deleted: boolean } | null };
      if (current === null || current.deleted) return new Response(JSON.stringify({ error: "version_mismatch", message: "x", current }), response);
      return new Response(JSON.stringify(current), { status: 200, headers: { "Content-Type": "application/json", ETag: `"${current.version}"` } });
    });
    const results = await runConformance({ baseUrl });
    const stale = "If-Match with a stale version is 409 with current (PUT and DELETE), applying nothing";
    expectFailing(results, [
      stale,
      "a write refused with 4xx leaves its key unused: the fixed request is applied",
      "5 writes at once with one If-Match: one is applied, the others are 409",
    ]);
    const { message, exchanges } = find(results, stale);
    expect(message).toContain('expected 409 (a PUT with If-Match: "1" when the version is 2), got 200');
    expect(exchanges?.at(-1)?.request).toMatchObject({ method: "PUT", headers: { "If-Match": '"1"' } });
    expect(exchanges?.at(-1)?.reply?.status).toBe(200);
  });

  it("fails the CORS rules, and only those, when the server sends no CORS headers", async () => {
    const results = await runConformance({ baseUrl: await broken((handler) => handler, { cors: false }) });
    expectFailing(results, [
      "a preflight is 2xx, allowing the origin, PATCH and the protocol's request headers",
      "a preflight allows an app's own request header (X-Tenant)",
      "replies allow the origin and expose ETag, Retry-After, Idempotent-Replayed and Date",
      "error replies carry the CORS headers too (a page must read a 409's current)",
    ]);
    const { message, exchanges } = find(results, "a preflight is 2xx, allowing the origin, PATCH and the protocol's request headers");
    expect(message).toContain("Access-Control-Allow-Origin must be * or https://app.conformance.example, got none");
    expect(exchanges?.at(-1)?.request).toMatchObject({ method: "OPTIONS", headers: { "Access-Control-Request-Method": "PATCH" } });
    expect(exchanges?.at(-1)?.request.headers).not.toHaveProperty("Authorization");
  });

  it("reports which fallback status a server without _batch answers, skipping the batch rules", async () => {
    const baseUrl = await broken((handler) => async (request) =>
      new URL(request.url).pathname.endsWith("/_batch") ? Response.json({ error: "not_implemented", message: "no batch here" }, { status: 501 }) : handler(request),
    );
    const results = await runConformance({ baseUrl });
    const batch = results.filter((result) => result.group === "batch");
    expect(failed(results), formatReport(failed(results))).toEqual([]);
    expect(batch[0]).toEqual({
      group: "batch",
      rule: "_batch is implemented, or a server without it answers 404, 405 or 501",
      pass: true,
      message: "not implemented: answers 501, and the SDK falls back to per-item requests",
    });
    expect(batch.slice(1).length).toBeGreaterThan(5);
    expect(batch.slice(1).every((result) => result.skipped && result.message === "not checked: the server does not implement _batch")).toBe(true);
  });

  it("fails a server without _batch that answers another status than 404, 405 or 501", async () => {
    const baseUrl = await broken((handler) => async (request) =>
      new URL(request.url).pathname.endsWith("/_batch") ? Response.json({ error: "forbidden", message: "no" }, { status: 403 }) : handler(request),
    );
    const results = await runConformance({ baseUrl });
    const probe = "_batch is implemented, or a server without it answers 404, 405 or 501";
    expectFailing(results, [probe]);
    expect(find(results, probe).message).toContain("a server without _batch must answer 404, 405 or 501 (the SDK falls back only on those), got 403");
    expect(find(results, probe).exchanges?.at(-1)?.request.url).toMatch(/\/_batch$/);
  });
});

/** Runs the CLI under tsx, as `npx tsx server/conformance/cli.ts` would. */
async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["node_modules/tsx/dist/cli.mjs", "server/conformance/cli.ts", ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill();
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}

describe("the synclens-conformance command", () => {
  it("exits 0 with PASS lines and the summary against the reference server", async () => {
    const { code, stdout, stderr } = await cli([await reference()]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^records and versions\n {2}PASS {2}PUT with If-None-Match: \* creates/);
    expect(stdout).toContain("\nidempotent replay\n  PASS  a repeated key with the same request gets the same status and body");
    expect(stdout).not.toContain("FAIL");
    expect(stdout).toMatch(/\n\d+ passed, 0 failed, 2 skipped\n$/);
  });

  it("exits 1 with a FAIL line, the request and the reply against a broken server", async () => {
    const baseUrl = await broken((handler) => handler, { cors: false });
    const { code, stdout } = await cli([baseUrl, "--collection", "todos"]);
    expect(code).toBe(1);
    expect(stdout).toContain("  FAIL  a preflight is 2xx, allowing the origin, PATCH and the protocol's request headers\n");
    expect(stdout).toMatch(/\n {8}> OPTIONS http:\/\/127\.0\.0\.1:\d+\/api\/todos\/k[0-9a-f]{8}-\d+-a\n {8}> Origin: https:\/\/app\.conformance\.example\n/);
    expect(stdout).toMatch(/\n {8}< 204\n/);
    expect(stdout).toMatch(/\n\d+ passed, 4 failed, 2 skipped\n$/);
  });

  it("exits 2, saying why, against a port nothing listens on, and on bad usage", async () => {
    const port = await freePort();
    const unreachable = await cli([`http://127.0.0.1:${port}/api`]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(new RegExp(`cannot reach the server: GET http://127\\.0\\.0\\.1:${port}/api/conformance_[0-9a-f]{8} failed: .*ECONNREFUSED`));
    expect(unreachable.stdout).toBe("");

    const missing = await cli([]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("the base URL is missing");
    expect(missing.stderr).toContain("usage: synclens-conformance <base-url>");
    expect((await cli(["ftp://example.test/api"])).code).toBe(2);
    expect((await cli(["http://127.0.0.1:1/api", "--collection", "no/slash"])).stderr).toContain("collection names match");

    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes: 0 every rule passed, 1 some rule failed, 2 bad usage or the server could not be reached.");
  });
});
