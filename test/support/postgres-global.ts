/**
 * Vitest global setup: one private PostgreSQL for the whole run (see postgres.ts), stopped at its end.
 * Where PostgreSQL is not installed the other tests still run; the PostgreSQL ones fail, saying how to
 * install it (`npm test` installs it).
 */
import type { TestProject } from "vitest/node";
import { postgresBin, startPostgres } from "./postgres";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's throwaway database, or "" where PostgreSQL is not installed. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!postgresBin()) {
    project.provide("postgresUrl", "");
    return async () => undefined;
  }
  const postgres = await startPostgres();
  project.provide("postgresUrl", postgres.url);
  return () => postgres.stop();
}
