import { chromium, type BrowserContext, type Worker } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = fileURLToPath(new URL("../../dist", import.meta.url));

/** Chromium with the built extension loaded (only a persistent context loads extensions). */
export async function launchWithExtension(extraArgs: string[] = []): Promise<{ context: BrowserContext; extensionId: string; worker: Worker; close(): Promise<void> }> {
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
      ...extraArgs,
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

/**
 * Evaluates an expression in a CDP target reached through the browser session (DevTools' own page, or
 * the panel's iframe inside it), the way the testing notes describe: attach without flattening, then
 * send Runtime.evaluate through Target.sendMessageToTarget.
 */
export async function evaluateInTarget(context: BrowserContext, targetId: string, expression: string): Promise<unknown> {
  const cdp = await context.browser()!.newBrowserCDPSession();
  try {
    const { sessionId } = (await cdp.send("Target.attachToTarget", { targetId, flatten: false })) as { sessionId: string };
    const reply = new Promise<unknown>((resolve) => {
      cdp.on("Target.receivedMessageFromTarget", (event: { message: string }) => {
        const message = JSON.parse(event.message) as { id?: number; result?: { result?: { value?: unknown } } };
        if (message.id === 1) resolve(message.result?.result?.value);
      });
    });
    await cdp.send("Target.sendMessageToTarget", {
      sessionId,
      message: JSON.stringify({ id: 1, method: "Runtime.evaluate", params: { expression, awaitPromise: true, returnByValue: true } }),
    });
    return await reply;
  } finally {
    await cdp.detach();
  }
}

export async function targets(context: BrowserContext): Promise<{ targetId: string; type: string; url: string }[]> {
  const cdp = await context.browser()!.newBrowserCDPSession();
  try {
    return ((await cdp.send("Target.getTargets")) as { targetInfos: { targetId: string; type: string; url: string }[] }).targetInfos;
  } finally {
    await cdp.detach();
  }
}
