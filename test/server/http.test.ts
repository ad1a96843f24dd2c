import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../server/protocol";
import type { TestServer } from "./helpers";
import { call, startServer, write } from "./helpers";

let server: TestServer;
afterEach(() => server.app.close());

const putRaw = (body: Uint8Array | string, headers: Record<string, string>) =>
  call(`${server.api}/a1`, { method: "PUT", headers: { "Idempotency-Key": "o1", ...headers }, body });

describe("request bodies", () => {
  it("inflates gzip bodies, refuses other encodings and corrupt gzip", async () => {
    server = await startServer();
    const item = { id: "a1", title: "milk" };
    const gzipped = await putRaw(gzipSync(JSON.stringify(item)), { "Content-Encoding": "gzip" });
    expect(gzipped.status).toBe(201);
    expect(gzipped.body.value).toEqual(item);

    const brotli = await putRaw(JSON.stringify(item), { "Content-Encoding": "br" });
    expect(brotli.status).toBe(415);
    expect(brotli.body.error).toBe("unsupported_media_type");
    expect((await putRaw("not gzip at all", { "Content-Encoding": "gzip" })).status).toBe(400);
  });

  it("refuses bodies over 5 MiB, before and after inflation", async () => {
    server = await startServer();
    const oversize = JSON.stringify({ id: "a1", blob: "x".repeat(MAX_BODY_BYTES) });
    const plain = await putRaw(oversize, {});
    expect(plain.status).toBe(413);
    expect(plain.body.error).toBe("payload_too_large");
    const bomb = await putRaw(gzipSync(oversize), { "Content-Encoding": "gzip" });
    expect(bomb.status).toBe(413);
    expect(await server.app.store.get("todos", "a1")).toBeNull();
    expect((await call(server.url + "/_ping")).status).toBe(204);
  });
});

describe("auth", () => {
  it("needs the bearer token on /api and /_admin, never on the ping", async () => {
    server = await startServer({ token: "s3cret", admin: true });
    const missing = await call(server.api);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: "unauthorized", message: expect.any(String) });
    expect((await call(server.api, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await call(server.api, { headers: { Authorization: "Bearer s3cret" } })).status).toBe(200);
    expect((await call(`${server.url}/_admin/stats`)).status).toBe(401);
    expect((await call(`${server.url}/_ping`)).status).toBe(204);
    expect((await call(`${server.api}/_ping`)).status).toBe(204);
  });

  it("takes the Bearer scheme name in any case, the token only exactly", async () => {
    server = await startServer({ token: "s3cret" });
    const status = async (authorization: string) => [authorization, (await call(server.api, { headers: { Authorization: authorization } })).status];
    for (const accepted of ["bearer s3cret", "BEARER s3cret", "bEaReR  s3cret"]) expect(await status(accepted)).toEqual([accepted, 200]);
    for (const refused of ["bearer S3CRET", "Basic s3cret", "Bearers3cret", "Bearer s3cret2", "s3cret"]) expect(await status(refused)).toEqual([refused, 401]);
  });
});

describe("ping and CORS", () => {
  it("answers the pings with 204 and no body", async () => {
    server = await startServer();
    for (const url of [`${server.url}/_ping`, `${server.api}/_ping`]) {
      const response = await fetch(url);
      expect(response.status).toBe(204);
      expect(await response.text()).toBe("");
    }
  });

  it("answers preflights and exposes ETag and Retry-After", async () => {
    server = await startServer({ token: "t" });
    const preflight = await fetch(`${server.api}/a1`, {
      method: "OPTIONS",
      headers: {
        Origin: "http://app.example",
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key, if-match",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("PATCH");
    const allowed = preflight.headers.get("access-control-allow-headers")?.toLowerCase().split(/,\s*/) ?? [];
    for (const header of ["content-type", "content-encoding", "authorization", "idempotency-key", "if-match", "if-none-match"]) {
      expect(allowed).toContain(header);
    }

    const write1 = await write(server.api, "PUT", "a1", "o1", {}, { id: "a1" });
    expect(write1.status).toBe(401);
    expect(write1.headers.get("access-control-allow-origin")).toBe("*");
    expect(write1.headers.get("access-control-expose-headers")).toMatch(/ETag.*Retry-After/);
  });

  it("allows the headers a preflight asks for, an app's own included, and exposes Date for the clock offset", async () => {
    server = await startServer();
    const preflight = (requested: string) =>
      fetch(`${server.api}/a1`, {
        method: "OPTIONS",
        headers: { Origin: "http://app.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": requested },
      });
    const listed = (headers: Headers, name: string) => headers.get(name)?.toLowerCase().split(/,\s*/) ?? [];

    const custom = await preflight("idempotency-key,x-tenant");
    expect(custom.status).toBe(204);
    expect(listed(custom.headers, "access-control-allow-headers")).toEqual(expect.arrayContaining(["x-tenant", "idempotency-key", "if-match"]));
    expect(listed(custom.headers, "vary")).toContain("access-control-request-headers");
    // Not a list of header names: nothing of it is echoed, the protocol's headers are still allowed.
    const malformed = listed((await preflight("x-tenant, x(evil)")).headers, "access-control-allow-headers");
    expect(malformed).toContain("idempotency-key");
    expect(malformed).not.toContain("x-tenant");

    const reply = await call(server.api);
    expect(reply.headers.get("date")).toEqual(expect.any(String));
    expect(listed(reply.headers, "access-control-expose-headers")).toEqual(
      expect.arrayContaining(["etag", "retry-after", "idempotent-replayed", "date"]),
    );
  });
});
