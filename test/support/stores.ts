/**
 * The store the server tests run on: SQLite by default, the run's real PostgreSQL in the vitest project
 * "server on postgres" (SYNCLENS_TEST_STORE=postgres). Each PostgreSQL store gets a schema of its own, so a
 * test starts from an empty database as it does on SQLite's ":memory:".
 */
import pg from "pg";
import { inject } from "vitest";
import type { PostgresStoreOptions } from "../../server/postgres";
import { postgresStore } from "../../server/postgres";
import { sqliteStore } from "../../server/sqlite";
import type { SyncStore } from "../../server/store";

export type StoreKind = "sqlite" | "postgres";

export const STORE_KIND: StoreKind = process.env["SYNCLENS_TEST_STORE"] === "postgres" ? "postgres" : "sqlite";

let schemas = 0;

/** A connection string to a new, empty schema of the run's PostgreSQL. */
export async function freshPostgresUrl(): Promise<string> {
  const url = inject("postgresUrl");
  if (url === "") throw new Error("PostgreSQL is not installed: node scripts/setup.mjs --postgres (npm test does it)");
  const schema = `t${process.pid}_${++schemas}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  return `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** An empty store of `kind`. */
export async function openTestStore(kind: StoreKind = STORE_KIND, options: { now?: () => Date } & Partial<Pick<PostgresStoreOptions, "beforeCommit">> = {}): Promise<SyncStore> {
  if (kind === "sqlite") return sqliteStore(":memory:", options.now ? { now: options.now } : {});
  return postgresStore({ connectionString: await freshPostgresUrl(), ...options });
}
