import { defineConfig } from "@playwright/test";
import { CHROME_ARGS, CHROME_PATH } from "./test/support/chromium";

export default defineConfig({
  testDir: "test/browser",
  // Two cores: one browser at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env["CI"],
  retries: 0,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    launchOptions: {
      executablePath: CHROME_PATH,
      args: CHROME_ARGS,
    },
    viewport: { width: 1100, height: 800 },
  },
});
