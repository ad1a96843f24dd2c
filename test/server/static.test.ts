import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "./helpers";
import { startServer } from "./helpers";

let server: TestServer;
let base: string;
beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "synclens-static-"));
  const site = join(base, "site");
  const sdk = join(base, "sdk");
  mkdirSync(join(site, "sub"), { recursive: true });
  mkdirSync(sdk);
  writeFileSync(join(base, "secret.txt"), "do not serve");
  writeFileSync(join(site, "index.html"), "<h1>demo</h1>");
  writeFileSync(join(site, "app.mjs"), "export {};");
  writeFileSync(join(site, "style.css"), "body{}");
  writeFileSync(join(site, "sub", "index.html"), "<h1>sub</h1>");
  writeFileSync(join(sdk, "index.js"), "export const sdk = 1;");
  server = await startServer({ staticMounts: { "/": site, "/sdk/": sdk } });
});
afterAll(async () => {
  await server.app.close();
  rmSync(base, { recursive: true, force: true });
});

/** Sends the path byte for byte; fetch would normalize dot segments away. */
function rawGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = request({ host: url.hostname, port: url.port, path, method: "GET" }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("static mounts", () => {
  it("serves files with their content type and no caching", async () => {
    const expected: Array<[string, string, string]> = [
      ["/", "text/html; charset=utf-8", "<h1>demo</h1>"],
      ["/app.mjs", "text/javascript; charset=utf-8", "export {};"],
      ["/style.css", "text/css; charset=utf-8", "body{}"],
      ["/sub/", "text/html; charset=utf-8", "<h1>sub</h1>"],
      ["/sdk/index.js", "text/javascript; charset=utf-8", "export const sdk = 1;"],
    ];
    for (const [path, type, text] of expected) {
      const response = await fetch(server.url + path);
      expect([path, response.status, response.headers.get("content-type")]).toEqual([path, 200, type]);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(await response.text()).toBe(text);
    }
    const head = await fetch(`${server.url}/style.css`, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe("6");
    expect(await head.text()).toBe("");
  });

  it("redirects a directory without its slash and 404s what is not there", async () => {
    const redirect = await fetch(`${server.url}/sub`, { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("/sub/");
    expect((await fetch(`${server.url}/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/style.css`, { method: "POST" })).status).toBe(405);
  });

  it("refuses to leave the mounted directory", async () => {
    for (const path of ["/../secret.txt", "/..%2Fsecret.txt", "/%2e%2e%2fsecret.txt", "/sdk/..%2F..%2Fsecret.txt", "//etc/passwd", "/%00"]) {
      expect([path, await rawGet(path)]).toEqual([path, 404]);
    }
  });
});
