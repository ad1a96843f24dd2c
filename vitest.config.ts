import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/browser/**", "node_modules/**"],
    environment: "node",
    // Two cores: more workers only contend.
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
