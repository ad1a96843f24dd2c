import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { freshPostgresUrl } from "../support/stores";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Starts the CLI and resolves with its URL once it prints the ready line. */
async function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "demo/server/main.ts", ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit");
  onTestFinished(() => {
    if (child.exitCode === null) child.kill();
  });
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      const match = /^SyncLens server listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then(() => reject(new Error(`the server exited before it was ready: ${stderr}`)));
  });
  return { child, url: await ready, exited };
}

describe("demo/server/main.ts", () => {
  it("starts on a free port with a file database, serves, and stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "synclens-cli-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, "nested", "demo.sqlite");
    const { child, url, exited } = await startCli(["--port", "0", "--db", db, "--admin", "--fault-rate", "0", "--fault-kinds", "status"]);
    expect(existsSync(db)).toBe(true);
    expect((await fetch(`${url}/_ping`)).status).toBe(204);
    const faults = (await (await fetch(`${url}/_admin/faults`)).json()) as { faults: unknown };
    expect(faults.faults).toEqual({ rate: 0, kinds: ["status"] });
    child.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it("keeps its data in PostgreSQL with --database-url or DATABASE_URL, across a restart", async () => {
    const databaseUrl = await freshPostgresUrl();
    const first = await startCli(["--port", "0", "--database-url", databaseUrl]);
    const put = await fetch(`${first.url}/api/todos/a1`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "Idempotency-Key": "k1", "If-None-Match": "*" },
      body: JSON.stringify({ id: "a1", title: "kept" }),
    });
    expect(put.status).toBe(201);
    first.child.kill("SIGTERM");
    expect((await first.exited)[0]).toBe(0);

    const second = await startCli(["--port", "0"], { DATABASE_URL: databaseUrl });
    expect(await (await fetch(`${second.url}/api/todos/a1`)).json()).toMatchObject({ version: 1, value: { title: "kept" } });
  });

  it("refuses bad options", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "demo/server/main.ts", "--fault-rate", "3"], {
      cwd: repoRoot,
      stdio: "ignore",
    });
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
  });
});
