import type { Page } from "@playwright/test";
import { fileURLToPath } from "node:url";
import { createSyncServer } from "../../demo/server/app";
import { launchWithExtension, openAppWithPanel, type ExtensionBrowser } from "./extension";
import { expect, test } from "./fixtures";
import { PANEL_SIZE, screenshot } from "./screenshots";

/**
 * Each failure a developer meets, planted in a page with the panel open: the Overview names the cause in
 * words, and an exported snapshot carries it (status.blocked, or the refused write and its error).
 */
interface ExposedClient {
  status: { state: string };
  save(item: { id: string; title: string }): Promise<unknown>;
  sync(): Promise<unknown>;
  exportSnapshot(): Promise<{ status: { blocked: { reason: string } | null; lastError: { code: string } | null }; metrics: { refusedWrites: number } }>;
}
declare global {
  interface Window {
    client: ExposedClient;
  }
}

const SLOW_BACKOFF = { backoff: { baseMs: 30_000, maxMs: 30_000 } };

async function withPanel(origin: string, query: Record<string, string>, run: (app: Page, overview: ReturnType<Page["locator"]>, browser: ExtensionBrowser) => Promise<void>): Promise<void> {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${origin}/test-pages/exposed.html?${new URLSearchParams({ name: "todos", ...query })}`);
    await panel.setViewportSize(PANEL_SIZE);
    await run(app, panel.locator('[data-testid="client"][data-name="todos"]'), browser);
  } finally {
    await browser.close();
  }
}

const blockedReason = async (app: Page) => (await app.evaluate(() => window.client.exportSnapshot())).status.blocked?.reason;

test("a 503 storm: Overview says it backs off, until when; no dead letter", async ({ demo }) => {
  await withPanel(demo.url, { options: JSON.stringify(SLOW_BACKOFF) }, async (app, client) => {
    demo.faults.set({ rate: 1, kinds: ["status"], status: 503 });
    await app.evaluate(() => window.client.save({ id: "a", title: "1" }));
    await expect(client.getByTestId("blocked")).toContainText(/Not syncing: backing off after failures until \d\d:\d\d:\d\d\.\d{3} \(attempt 1\)/);
    await expect(client.getByTestId("dead")).toHaveText("0");
    expect(await blockedReason(app)).toBe("backoff");
  });
});

test("a poison write (413): Overview says it waits on a dead letter, and names the item", async ({ demo }) => {
  await withPanel(demo.url, {}, async (app, client) => {
    await app.evaluate(() => window.client.save({ id: "poison", title: "x".repeat(6_000_000) }));
    await expect(client.getByTestId("blocked")).toContainText("Not syncing: waiting on 1 dead letter (poison)");
    await expect(client.getByTestId("blocked")).toContainText("retry or discard them in Dead letters");
    expect(await blockedReason(app)).toBe("dead-letters");
  });
});

test("a 401: Overview says the credentials were refused, and the fix", async () => {
  // A server of its own that requires a token the page does not send.
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const guarded = createSyncServer({ db: ":memory:", token: "secret", staticMounts: { "/sdk/": `${root}dist/sdk`, "/test-pages/": `${root}test/browser/pages` } });
  const { url } = await guarded.listen(0, "127.0.0.1");
  try {
    await withPanel(url, {}, async (app, client) => {
      await app.evaluate(() => window.client.save({ id: "a", title: "1" }));
      await expect(client.getByTestId("blocked")).toContainText("Not syncing: the server refused the credentials (HTTP 401)");
      await expect(client.getByTestId("blocked")).toContainText("setHeaders()");
      expect(await blockedReason(app)).toBe("auth");
    });
  } finally {
    await guarded.close();
  }
});

test("a manual conflict: Overview says it waits on a conflict", async ({ demo }) => {
  await withPanel(demo.url, { conflict: "manual" }, async (app, client) => {
    await app.evaluate(() => window.client.save({ id: "x", title: "mine" }).then(() => window.client.sync()));
    const { version } = (await demo.store.get("todos", "x"))!;
    await demo.store.applyWrite({ collection: "todos", opId: "elsewhere", id: "x", method: "PUT", ifMatch: version, body: { id: "x", title: "theirs" } });
    await app.evaluate(() => window.client.save({ id: "x", title: "mine again" }).then(() => window.client.sync()));
    await expect(client.getByTestId("blocked")).toContainText("Not syncing: waiting on 1 conflict");
    expect(await blockedReason(app)).toBe("conflicts");
  });
});

test("forced offline from the panel: Overview says by whom and since when", async ({ demo }) => {
  await withPanel(demo.url, {}, async (app, client) => {
    await client.getByTestId("offline").click();
    await expect(client.getByTestId("blocked")).toContainText(/Not syncing: forced offline by the panel since \d\d:\d\d:\d\d\.\d{3}/);
    expect(await blockedReason(app)).toBe("forced-offline");
    await screenshot(client.page(), "overview-blocked");
  });
});

test("a full quota: the refused save shows as an error with a count", async ({ demo }) => {
  await withPanel(demo.url, {}, async (app, client) => {
    const cdp = await app.context().newCDPSession(app);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: demo.url, quotaSize: 200_000 });
    // Random letters: a run of one letter would be compressed into the quota.
    const refused = await app.evaluate(() => {
      const title = Array.from({ length: 2_000_000 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join("");
      return window.client.save({ id: "huge", title }).then(() => "saved", (error: { code: string }) => error.code);
    });
    expect(refused).toBe("quota_exceeded");
    await expect(client.getByTestId("refused")).toHaveText("1");
    await expect(client.getByTestId("last-error")).toContainText(/quota/i);
    const snapshot = await app.evaluate(() => window.client.exportSnapshot());
    expect(snapshot).toMatchObject({ metrics: { refusedWrites: 1 }, status: { lastError: { code: "quota_exceeded" } } });
  });
});

test("another tab draining: Overview says busy, which tab, since when", async ({ demo }) => {
  await withPanel(demo.url, {}, async (app, client, browser) => {
    // Another tab of the app (same database) is in a long drain: its request hangs at the server.
    demo.faults.set({ rate: 1, kinds: ["delay"], delayMs: 20_000 });
    const other = await browser.context.newPage();
    const otherUrl = `${demo.url}/test-pages/exposed.html?name=todos&tab=other`;
    await other.goto(otherUrl);
    await other.evaluate(() => void window.client.save({ id: "b", title: "2" }));
    await expect.poll(async () => other.evaluate(() => window.client.status.state)).toBe("syncing");
    await app.evaluate(() => window.client.save({ id: "a", title: "1" }));
    await expect(client.getByTestId("blocked")).toContainText(/Not syncing: another tab or worker is draining this database \(since \d\d:\d\d:\d\d\.\d{3}\)/);
    await expect(client.getByTestId("blocked")).toContainText(`${otherUrl}, draining since`);
    expect(await blockedReason(app)).toBe("busy");
    demo.faults.set(null);
  });
});

test("a slow server: Overview says slow with the timeout, never unreachable", async ({ demo }) => {
  await withPanel(demo.url, { options: JSON.stringify({ timeoutMs: 1000, ...SLOW_BACKOFF }) }, async (app, client) => {
    demo.faults.set({ rate: 1, kinds: ["delay"], delayMs: 3000 });
    await app.evaluate(() => window.client.save({ id: "a", title: "1" }));
    await expect(client.getByTestId("blocked")).toContainText("Not syncing: the server is slow: requests time out after 1000 ms");
    await expect(client.getByTestId("network")).toHaveText("slow (timeouts)");
    expect(await blockedReason(app)).toBe("slow");
  });
});

test("an unreachable server: Overview names the URL it probes", async ({ demo }) => {
  const gone = createSyncServer({ db: ":memory:" });
  const { port } = await gone.listen(0, "127.0.0.1");
  await gone.close();
  const endpoint = `http://127.0.0.1:${port}/api/todos`;
  await withPanel(demo.url, { options: JSON.stringify({ endpoint, ...SLOW_BACKOFF }) }, async (app, client) => {
    await app.evaluate(() => window.client.save({ id: "a", title: "1" }));
    await expect(client.getByTestId("blocked")).toContainText(`Not syncing: the server is unreachable (${endpoint}/_ping)`);
    await expect(client.getByTestId("network")).toHaveText("unreachable");
    expect(await blockedReason(app)).toBe("unreachable");
  });
});

test("a 429 with Retry-After 30: Overview says throttled, until when; queue rows say so instead of 'due now'", async ({ demo }) => {
  await withPanel(demo.url, {}, async (app, client) => {
    demo.faults.set({ rate: 1, kinds: ["status"], status: 429, retryAfterSec: 30 });
    await app.evaluate(async () => {
      for (const id of ["a", "b", "c"]) await window.client.save({ id, title: id });
    });
    await expect(client.getByTestId("blocked")).toContainText(/Not syncing: throttled by the server \(Retry-After\) until \d\d:\d\d:\d\d\.\d{3}/);
    expect(await blockedReason(app)).toBe("throttled");
    await client.getByTestId("tab-queue").click();
    await expect(client.getByTestId("queue-row")).toHaveCount(3);
    await expect(client.getByTestId("queue-row").filter({ hasText: "due" })).toHaveCount(0);
    await expect(client.getByTestId("queue-row").first()).toContainText("throttled");
    // The timeline's reply, clicked, shows the request as the Network panel would.
    await client.getByTestId("tab-timeline").click();
    await client.getByTestId("timeline-request").filter({ hasText: "reply" }).first().click();
    const request = client.getByTestId("request-detail");
    await expect(request).toContainText(/POST http:\/\/127\.0\.0\.1:\d+\/api\/todos\/_batch → 429 in \d+ ms/);
    await expect(request).toContainText("Retry-After: 30");
    await expect(request).toContainText("retry (429)");
    await screenshot(client.page(), "timeline-request");
  });
});
