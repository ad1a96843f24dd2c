import type { BrowserContext, Page } from "@playwright/test";

/** What test/browser/pages/app-tab.js gives a test: one tab of an app, driven through `window.app`. */
export interface AppTab {
  ready: Promise<boolean>;
  save(id: string, title: string): Promise<void>;
  remove(id: string): Promise<void>;
  sync(): Promise<unknown>;
  status(): { pending: number; state: string; lastError: string | null };
  state(): Promise<{ items: { id: string; title: string }[]; deadLetters: unknown[]; conflicts: unknown[]; queue: unknown[] }>;
  holdDrainLock(): Promise<void>;
  releaseDrainLock(): void;
  openSecond(): void;
  closeSecond(): void;
}
declare global {
  interface Window {
    app: AppTab;
  }
}

/** Waits until the page's client is ready. */
export async function appReady(page: Page): Promise<Page> {
  await page.waitForFunction(() => window.app !== undefined);
  await page.evaluate(() => window.app.ready);
  return page;
}

/** A new tab of the app whose tabs share the database `name`. */
export async function openAppTab(context: BrowserContext, baseUrl: string, name: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/test-pages/app-tab.html?name=${name}`);
  return appReady(page);
}

/** Closes a tab as its user would: unload handlers run (so its pagehide flush fires). */
export async function closeTab(page: Page): Promise<void> {
  const closed = page.waitForEvent("close");
  await page.close({ runBeforeUnload: true });
  await closed;
}
