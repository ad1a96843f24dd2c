// The SDK alone (no extension) in each browser we support, the same scenarios in Chromium and Firefox.
import { BROWSERS, byTestId, launchBrowser, type LaunchOptions, type Tab, type TestBrowser } from "./browsers";
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

const BUNDLE = "/sdk/synclens.bundle.js";

for (const name of BROWSERS) {
  test.describe(name, () => {
    let browser: TestBrowser | undefined;
    const launch = async (options?: LaunchOptions) => (browser = await launchBrowser(name, options));
    test.afterEach(async () => {
      await browser?.close();
      browser = undefined;
    });

    test("writes made offline survive a reload and all reach the server once back online", async ({ demo }) => {
      const page = await (await launch()).newTab();
      await page.goto(demo.url);
      const shows = (id: string, text: string, timeout?: number) => expect.poll(() => page.text(byTestId(id)), { timeout }).toBe(text);
      await expect.poll(() => page.evaluate(() => document.body.dataset["ready"], undefined)).toBe("true");
      await shows("state", "idle");

      await browser!.setOffline(true);
      await shows("state", "offline");
      for (const title of ["Buy milk", "Write docs", "Ship it", "Drop this"]) await page.submit(byTestId("new-title"), title);
      await expect.poll(() => page.count(`${byTestId("todos")} li`)).toBe(4);
      await page.click(`${byTestId("todos")} li input[title="done"]`);
      await page.click(`${byTestId("todos")} li button[title="Delete Drop this"]`);
      await expect.poll(() => page.count(`${byTestId("todos")} li`)).toBe(3);
      // Coalesced while offline: three creates, the toggle merged into its create, create+delete gone.
      await shows("pending", "3");

      // Reload while the server is still unreachable: the page loads, the API does not answer.
      await page.blockRequests(/\/api\/|\/_ping/);
      await browser!.setOffline(false);
      await page.reload();
      await expect.poll(() => page.evaluate(() => document.body.dataset["ready"], undefined)).toBe("true");
      await expect.poll(() => page.count(`${byTestId("todos")} li`)).toBe(3);
      await shows("pending", "3");
      expect(await demo.store.list("todos")).toHaveLength(0);

      // Back online: the browser's `online` event, a successful ping, and the queue drains.
      await page.blockRequests(null);
      await browser!.setOffline(true);
      await browser!.setOffline(false);
      await shows("pending", "0", 20_000);
      await shows("state", "idle");
      const records = await demo.store.list("todos");
      expect(records.map((record) => (record.value as { title: string }).title).sort()).toEqual(["Buy milk", "Ship it", "Write docs"]);
      expect(records.filter((record) => (record.value as { done?: boolean }).done)).toHaveLength(1);
      expect(records.every((record) => record.version === 1)).toBe(true);
      expect(page.errors).toEqual([]);
    });

    test("three tabs writing at once, one closed mid-drain: every write arrives, none twice", async ({ demo }) => {
      await launch();
      const tabs: Tab[] = [];
      for (let i = 0; i < 3; i++) {
        const tab = await browser!.newTab();
        await tab.goto(`${demo.url}/test-pages/tab.html`);
        await expect.poll(() => tab.evaluate(() => window.tab !== undefined, undefined)).toBe(true);
        await tab.evaluate(() => window.tab.ready, undefined);
        tabs.push(tab);
      }
      // Slow replies keep drains in flight long enough to close a tab in the middle of one.
      demo.faults.set({ rate: 1, kinds: ["delay"], delayMs: 150 });
      await Promise.all(tabs.map((tab, i) => tab.evaluate((prefix) => window.tab.writeMany(prefix, 40), `tab${i}`)));

      // Find the tab holding the drain (Web Locks: only one at a time) and close it mid-request.
      let drainer: Tab | undefined;
      await expect
        .poll(async () => {
          for (const tab of tabs) if (await tab.evaluate(() => window.tab.syncing(), undefined)) drainer = tab;
          return drainer !== undefined;
        })
        .toBe(true);
      await drainer!.close();
      const survivors = tabs.filter((tab) => tab !== drainer);
      demo.faults.set(null);

      await expect.poll(async () => (await demo.store.list("todos")).length, { timeout: 30_000 }).toBe(120);
      for (const tab of survivors) await expect.poll(() => tab.evaluate(() => window.tab.status().pending, undefined), { timeout: 10_000 }).toBe(0);
      expect((await demo.store.stats()).idempotency.keys).toBe(120); // one applied operation per write: no duplicate, no loss
      expect((await demo.store.list("todos")).every((record) => record.version === 1)).toBe(true);
      // Each survivor heard of every write the other made (the closed tab's last 50 ms of messages may be lost).
      const prefixOf = (tab: Tab) => `tab${tabs.indexOf(tab)}`;
      expect(await survivors[0]!.evaluate((prefix) => window.tab.heardFrom(prefix), prefixOf(survivors[1]!))).toBe(40);
      expect(await survivors[1]!.evaluate((prefix) => window.tab.heardFrom(prefix), prefixOf(survivors[0]!))).toBe(40);
    });

    test("the SDK runs unchanged in a dedicated worker, with real IndexedDB", async ({ demo }) => {
      const page = await (await launch()).newTab();
      await page.goto(`${demo.url}/test-pages/`);
      const reply = await page.evaluate(
        (endpoint) =>
          new Promise<unknown>((resolve) => {
            const worker = new Worker("/test-pages/sync-worker.js", { type: "module" });
            worker.onmessage = ({ data }) => resolve(data);
            worker.onerror = (event) => resolve({ ok: false, error: event.message });
            worker.postMessage({ endpoint });
          }),
        `${demo.url}/api/todos`,
      );
      expect(reply).toMatchObject({ ok: true, result: { pushed: 1, remaining: 0 }, status: { state: "idle", pending: 0, online: true } });
      expect((await demo.store.list("todos")).map((record) => record.value)).toEqual([{ id: "w1", title: "written in a worker" }]);
    });

    test("a full quota is a typed error and leaves neither the item nor its operation behind", async ({ demo }) => {
      const page = await (await launch({ quotaBytes: 200_000 })).newTab();
      await page.goto(`${demo.url}/test-pages/`);
      const outcome = await page.evaluate(async ({ endpoint, bundle }) => {
        const { createSyncClient } = (await import(bundle)) as typeof import("../../sdk");
        const client = createSyncClient<{ id: string; body: string }>({ name: "quota", endpoint, pingUrl: false, triggers: { onWrite: false, intervalMs: 0 } });
        await client.ready;
        await client.save({ id: "small", body: "fits" });
        // Random, so that no browser's compression of stored values gets it under the quota.
        let body = "";
        for (let i = 0; i < 64; i++) body += String.fromCharCode(...crypto.getRandomValues(new Uint8Array(0x8000)));
        let error: { name: string; code: string; message: string } | null = null;
        try {
          await client.save({ id: "huge", body: btoa(body) });
        } catch (caught) {
          const e = caught as { name: string; code: string; message: string };
          error = { name: e.name, code: e.code, message: e.message };
        }
        const result = { error, items: (await client.list()).map((item) => item.id), queue: (await client.queue()).map((op) => op.itemId), pending: client.status.pending };
        await client.close();
        return result;
      }, { endpoint: `${demo.url}/api/todos`, bundle: BUNDLE });
      expect(outcome.error).toMatchObject({ name: "StorageError", code: "quota_exceeded" });
      expect(outcome.error?.message).toMatch(/quota/i);
      expect(outcome).toMatchObject({ items: ["small"], queue: ["small"], pending: 1 });
    });

    test('storage: "localstorage" keeps a copy of every item in localStorage, one key each', async ({ demo }) => {
      const page = await (await launch()).newTab();
      await page.goto(`${demo.url}/test-pages/`);
      const keys = await page.evaluate(async ({ endpoint, bundle }) => {
        const { createSyncClient } = (await import(bundle)) as typeof import("../../sdk");
        const client = createSyncClient<{ id: string; title: string }>({ name: "ls", endpoint, storage: "localstorage", triggers: { intervalMs: 0 } });
        await client.save({ id: "a", title: "one" });
        await client.save({ id: "b", title: "two" });
        await client.delete("a");
        await client.sync();
        await client.close();
        return Object.keys(localStorage).filter((key) => key.startsWith("synclens:")).map((key) => [key, localStorage.getItem(key)]);
      }, { endpoint: `${demo.url}/api/todos`, bundle: BUNDLE });
      expect(keys).toEqual([["synclens:ls:b", JSON.stringify({ id: "b", title: "two" })]]);
      expect((await demo.store.list("todos")).map((record) => record.id)).toEqual(["b"]);
    });
  });
}
