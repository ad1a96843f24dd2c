/**
 * CLI: `tsx demo/server/main.ts --port 8787 --db data/demo.sqlite [--admin] [--token T] [--fault-rate 0.2 ...]`;
 * `--database-url postgresql://…` (or DATABASE_URL) keeps the data in PostgreSQL instead of SQLite.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createSyncServer } from "./app";
import type { FaultConfig } from "./faults";
import { parseFaultConfig } from "./faults";

const USAGE = `usage: tsx demo/server/main.ts [--port 8787] [--host 127.0.0.1] [--db FILE|:memory:] [--database-url URL] [--token T] [--admin]
  [--static DIR] [--fault-rate 0..1 --fault-kinds status,delay,drop-before,drop-after --fault-status 503
  --fault-delay-ms 2000 --fault-retry-after 1 --fault-seed 1]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseCli() {
  try {
    return parseArgs({
      options: {
        port: { type: "string", default: "8787" },
        host: { type: "string", default: "127.0.0.1" },
        db: { type: "string", default: ":memory:" },
        "database-url": { type: "string" },
        token: { type: "string" },
        admin: { type: "boolean", default: false },
        static: { type: "string" },
        "fault-rate": { type: "string" },
        "fault-kinds": { type: "string" },
        "fault-status": { type: "string" },
        "fault-delay-ms": { type: "string" },
        "fault-retry-after": { type: "string" },
        "fault-seed": { type: "string" },
      },
    }).values;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

type CliValues = ReturnType<typeof parseCli>;

function faultConfigFrom(values: CliValues): FaultConfig | undefined {
  const given = Object.keys(values).some((key) => key.startsWith("fault-"));
  if (!given) return undefined;
  const number = (raw: string | undefined) => (raw === undefined ? undefined : Number(raw));
  const parsed = parseFaultConfig({
    rate: number(values["fault-rate"]),
    kinds: (values["fault-kinds"] ?? "status,delay,drop-before,drop-after").split(",").map((kind) => kind.trim()),
    status: number(values["fault-status"]),
    delayMs: number(values["fault-delay-ms"]),
    retryAfterSec: number(values["fault-retry-after"]),
    seed: number(values["fault-seed"]),
  });
  if ("error" in parsed) return fail(`bad fault options: ${parsed.error}`);
  return parsed.config ?? undefined;
}

const values = parseCli();
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port ${values.port}`);
const databaseUrl = values["database-url"] ?? process.env["DATABASE_URL"];
if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) fail("--database-url (or DATABASE_URL) must be a postgresql:// URL");
if (databaseUrl === undefined && values.db !== ":memory:") mkdirSync(dirname(resolve(values.db)), { recursive: true });

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const candidateMounts: Array<[string, string]> = [
  ["/sdk/", resolve(repoRoot, "dist/sdk")],
  ["/vendor/idb/", resolve(repoRoot, "node_modules/idb/build")],
  ["/", values.static === undefined ? resolve(repoRoot, "demo/app") : resolve(values.static)],
];

const faults = faultConfigFrom(values);
const app = createSyncServer({
  db: values.db,
  ...(databaseUrl !== undefined && { databaseUrl }),
  admin: values.admin,
  staticMounts: Object.fromEntries(candidateMounts.filter(([, dir]) => existsSync(dir))),
  log: (line) => process.stderr.write(`${line}\n`),
  ...(values.token !== undefined && { token: values.token }),
  ...(faults !== undefined && { faults }),
});

const { url } = await app.listen(port, values.host);
process.stdout.write(`SyncLens server listening on ${url}\n`);

const shutdown = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
