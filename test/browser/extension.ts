import { chromium, type BrowserContext, type Worker } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = fileURLToPath(new URL("../../dist", import.meta.url));

/** Chromium with the built extension loaded (only a persistent context loads extensions). */
export async function launchWithExtension(): Promise<{ context: BrowserContext; extensionId: string; worker: Worker; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "synclens-ext-"));
  const context = await chromium.launchPersistentContext(profile, {
    headless: true,
    executablePath: process.env["CHROME_PATH"] ?? "/usr/bin/chromium",
    args: [
      `--disable-extensions-except=${dist}`,
      `--load-extension=${dist}`,
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker"));
  return {
    context,
    extensionId: new URL(worker.url()).host,
    worker,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The tabs where the service worker has a page with a SyncLens client (its test hook). */
export function routedTabs(worker: Worker): Promise<number[]> {
  return worker.evaluate(() => (globalThis as unknown as { synclensRouter: { tabs(): number[] } }).synclensRouter.tabs());
}
