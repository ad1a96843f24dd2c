import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // The docs' examples import the package by its name; the tests run them on the sources (tsconfig.json's paths).
  resolve: {
    alias: [
      { find: /^synclens$/, replacement: source("./sdk/index.ts") },
      { find: /^synclens\/transports$/, replacement: source("./sdk/transports.ts") },
      { find: /^synclens\/server$/, replacement: source("./server/index.ts") },
      { find: /^synclens\/server\/sqlite$/, replacement: source("./server/sqlite.ts") },
      { find: /^synclens\/server\/postgres$/, replacement: source("./server/postgres.ts") },
    ],
  },
  test: {
    environment: "node",
    // Two cores: more workers only contend.
    maxWorkers: 2,
    testTimeout: 60_000,
    // One private PostgreSQL for the run (a real server, as the server tests on both stores need).
    globalSetup: ["test/support/postgres-global.ts"],
    projects: [
      { extends: true, test: { name: "node", include: ["test/**/*.test.ts"], exclude: ["test/browser/**", "node_modules/**"] } },
      // Every server test again, on PostgreSQL instead of SQLite.
      { extends: true, test: { name: "server on postgres", include: ["test/server/**/*.test.ts"], env: { SYNCLENS_TEST_STORE: "postgres" } } },
    ],
  },
});
