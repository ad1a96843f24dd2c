import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/browser/**", "node_modules/**"],
    environment: "node",
    // Two cores: more workers only contend.
    maxWorkers: 2,
    testTimeout: 60_000,
    // One private PostgreSQL for the run (a real server, as the server tests on both stores need).
    globalSetup: ["test/support/postgres-global.ts"],
  },
});
