import { chromium, expect, type BrowserContext, type Page, type Worker } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROME_ARGS, CHROME_PATH } from "../support/chromium";

const dist = fileURLToPath(new URL("../../dist", import.meta.url));

export interface ExtensionBrowser {
  context: BrowserContext;
  extensionId: string;
  worker: Worker;
  close(): Promise<void>;
}

/** Chromium with the built extension (`extension`: an unpacked copy of it elsewhere) loaded; only a persistent context loads extensions. */
export async function launchWithExtension(extraArgs: string[] = [], extension = dist): Promise<ExtensionBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "synclens-ext-"));
  const context = await chromium.launchPersistentContext(profile, {
    headless: true,
    executablePath: CHROME_PATH,
    args: [`--disable-extensions-except=${extension}`, `--load-extension=${extension}`, ...CHROME_ARGS, ...extraArgs],
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

/** Opens `url` in a new tab and waits until its page has reached the service worker; returns the tab's id. */
export async function openRoutedTab(browser: ExtensionBrowser, url: string): Promise<{ app: Page; tabId: number }> {
  const known = new Set(await routedTabs(browser.worker));
  const app = await browser.context.newPage();
  await app.goto(url);
  let tabId = 0;
  await expect.poll(async () => ((tabId = (await routedTabs(browser.worker)).find((tab) => !known.has(tab)) ?? 0), tabId)).toBeGreaterThan(0);
  return { app, tabId };
}

/** The panel for `tabId`, opened as a plain tab (`?tabId=`). */
export async function openPanel(browser: ExtensionBrowser, tabId: number): Promise<Page> {
  const panel = await browser.context.newPage();
  await panel.goto(`chrome-extension://${browser.extensionId}/devtools-panel/index.html?tabId=${tabId}`);
  return panel;
}

/**
 * Opens `url` in a new tab, waits until its SyncLens client has reached the service worker, and opens
 * the panel for that tab as a plain tab, connected.
 */
export async function openAppWithPanel(browser: ExtensionBrowser, url: string): Promise<{ app: Page; panel: Page; tabId: number }> {
  const { app, tabId } = await openRoutedTab(browser, url);
  const panel = await openPanel(browser, tabId);
  await expect(panel.getByTestId("connection")).toHaveText("Connected");
  return { app, panel, tabId };
}
