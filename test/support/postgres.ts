/**
 * A private PostgreSQL cluster for one test run: Debian's binaries (`postgresql` package), a fresh data
 * folder, a free port on 127.0.0.1, its socket in that folder, fsync off. As root (CI), it runs as the
 * `postgres` user, since initdb refuses root. One throwaway database per run; `stop()` ends the server
 * by its own process group and removes the folder.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports";

export interface TestPostgres {
  /** The throwaway database's URL. */
  url: string;
  stop(): Promise<void>;
}

/** The newest installed version's binaries, or undefined when PostgreSQL is not installed. */
export function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  const bin = versions.map((version) => join(root, version, "bin")).find((dir) => existsSync(join(dir, "initdb")));
  return bin;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error("PostgreSQL is not installed: run `node scripts/setup.mjs --postgres` (Debian's postgresql package)");
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "synclens-pg-"));
  const asOwner = (command: string, args: string[]): [string, string[]] => (root ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args]);
  if (root) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, "data");
  const init = spawnSync(...asOwner(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]), { encoding: "utf8" });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const server: ChildProcess = spawn(...asOwner(join(bin, "postgres"), ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]), {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let log = "";
  server.stderr!.on("data", (chunk) => (log = (log + String(chunk)).slice(-4000)));
  const stop = async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      try {
        process.kill(-server.pid!, "SIGINT"); // fast shutdown of its whole group (runuser and postgres)
      } catch {
        server.kill("SIGINT");
      }
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const admin = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    await waitForServer(admin, () => log);
    const database = `synclens_test_${process.pid}_${Date.now().toString(36)}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE ${database}`);
    await client.end();
    return { url: `postgresql://postgres@127.0.0.1:${port}/${database}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u");
  if (!Number.isInteger(uid)) throw new Error("no postgres user: install Debian's postgresql package");
  return { uid, gid: id("-g") };
}

async function waitForServer(url: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

