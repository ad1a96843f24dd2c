import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

interface TabApi {
  ready: Promise<boolean>;
  writeMany(prefix: string, count: number): Promise<void>;
  status(): { pending: number; state: string };
  syncing(): boolean;
  /** How many of the writes made by the tab writing `prefix` this tab heard of. */
  heardFrom(prefix: string): number;
}
declare global {
  interface Window {
    tab: TabApi;
  }
}

test("three tabs writing at once, one closed mid-drain: every write arrives, none twice", async ({ context, demo }) => {
  const tabs: Page[] = [];
  for (let i = 0; i < 3; i++) {
    const page = await context.newPage();
    await page.goto(`${demo.url}/test-pages/tab.html`);
    await page.waitForFunction(() => window.tab !== undefined);
    await page.evaluate(() => window.tab.ready);
    tabs.push(page);
  }
  // Slow replies keep drains in flight long enough to close a tab in the middle of one.
  demo.faults.set({ rate: 1, kinds: ["delay"], delayMs: 150 });
  await Promise.all(tabs.map((page, i) => page.evaluate(([prefix]) => window.tab.writeMany(prefix!, 40), [`tab${i}`])));

  // Find the tab holding the drain (Web Locks: only one at a time) and close it mid-request.
  let drainer: Page | undefined;
  await expect
    .poll(async () => {
      for (const page of tabs) if (await page.evaluate(() => window.tab.syncing())) drainer = page;
      return drainer !== undefined;
    })
    .toBe(true);
  await drainer!.close();
  const survivors = tabs.filter((page) => page !== drainer);
  demo.faults.set(null);

  await expect.poll(async () => (await demo.store.list("todos")).length, { timeout: 30_000 }).toBe(120);
  for (const page of survivors) await expect.poll(async () => page.evaluate(() => window.tab.status().pending), { timeout: 10_000 }).toBe(0);

  const stats = (await demo.store.stats());
  expect(stats.idempotency.keys).toBe(120); // one applied operation per write: no duplicate, no loss
  const versions = (await demo.store.list("todos")).map((record) => record.version);
  expect(versions.every((version) => version === 1)).toBe(true);
  // Each survivor heard of every write the other made (the closed tab's last 50 ms of messages may be lost).
  const prefixOf = (page: Page) => `tab${tabs.indexOf(page)}`;
  expect(await survivors[0]!.evaluate((prefix) => window.tab.heardFrom(prefix), prefixOf(survivors[1]!))).toBe(40);
  expect(await survivors[1]!.evaluate((prefix) => window.tab.heardFrom(prefix), prefixOf(survivors[0]!))).toBe(40);
});
