import { defineConfig } from "vitest/config";

export default defineConfig({
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
