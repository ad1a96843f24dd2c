import { chromium, type Page } from "@playwright/test";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSyncServer } from "../../demo/server/app";
import { CHROME_ARGS, CHROME_PATH } from "../support/chromium";
import { launchWithExtension, openAppWithPanel } from "./extension";
import { expect, test } from "./fixtures";

/**
 * What a hostile script or frame on the app's page gets out of the DevTools bridge, with the real
 * extension and without it. Each test prints what the attack got.
 */
interface Page$ {
  client: {
    status: { forcedOffline: boolean; deadLetters: number; conflicts: number };
    save(item: object): Promise<unknown>;
    sync(): Promise<unknown>;
    deadLetters(): Promise<{ opId: string }[]>;
  };
  droppedMessages(): Record<string, number>;
  seen: unknown[];
}
const $ = (page: Page) => page.evaluate.bind(page) as <R>(fn: () => R | Promise<R>) => Promise<R>;

const tag = "synclens-devtools";
/** The attacks of the report, as a script on the page posts them (a frame posts the same to its parent). */
const ATTACKS = [
  { tag, from: "panel", message: { type: "command", requestId: 1, clientId: "todos#1", command: { name: "setOffline", offline: true } } },
  { tag, from: "panel", message: { type: "command", requestId: 2, clientId: "todos#1", command: { name: "retryAllDeadLetters" } } },
  { tag, from: "panel", message: { type: "command", requestId: 3, clientId: "todos#1", command: { name: "pause" } } },
  { tag, from: "panel", message: { type: "connect", protocol: 1 } },
];

/** Records every window message the page sees, from now on: what a hostile listener could read. */
async function listen(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as Page$;
    w.seen = [];
    window.addEventListener("message", (event) => w.seen.push(event.data));
  });
}

test("a page script cannot drive the SDK or read its state: its messages are refused and counted, with the panel open or not", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=todos`);
    const client = panel.locator('[data-testid="client"][data-name="todos"]');
    await $(app)(() => (window as unknown as Page$).client.save({ id: "a", title: "mine", password: "hunter2" }));
    await expect(client.getByTestId("pending")).not.toHaveText("–");
    await listen(app);
    await app.evaluate((attacks) => {
      for (const attack of attacks) window.postMessage(attack, "*");
    }, ATTACKS);
    await expect.poll(() => $(app)(() => (window as unknown as Page$).droppedMessages()["untrusted_source"] ?? 0)).toBe(ATTACKS.length);
    const after = await $(app)(() => ({ status: (window as unknown as Page$).client.status, seen: JSON.stringify((window as unknown as Page$).seen) }));
    console.log(`page script got: forcedOffline=${after.status.forcedOffline}, window messages seen=${after.seen.length} bytes, drops=${JSON.stringify(await $(app)(() => (window as unknown as Page$).droppedMessages()))}`);
    expect(after.status.forcedOffline).toBe(false);
    expect(after.seen).not.toContain("hunter2");
    expect(after.seen).not.toContain('"type":"snapshot"');
    // The panel (over the private channel) still acts, and shows payloads redacted.
    await client.getByTestId("offline").click();
    await expect.poll(() => $(app)(() => (window as unknown as Page$).client.status.forcedOffline)).toBe(true);
    await $(app)(() => (window as unknown as Page$).client.save({ id: "b", title: "queued", password: "hunter2" }));
    await client.getByTestId("tab-queue").click();
    await client.getByTestId("queue-row").first().click();
    await expect(client.getByTestId("queue-detail")).toContainText("[redacted]");
    await expect(panel.locator("body")).not.toContainText("hunter2");
  } finally {
    await browser.close();
  }
});

test("a cross-origin frame's messages to its parent are refused and counted", async ({ demo }) => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const other = createSyncServer({ db: ":memory:", staticMounts: { "/test-pages/": `${root}test/browser/pages` } });
  const { url: otherOrigin } = await other.listen(0, "127.0.0.1");
  const browser = await launchWithExtension();
  try {
    const { app } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=todos`);
    await app.evaluate(async (src) => {
      const frame = document.createElement("iframe");
      frame.src = src;
      document.body.append(frame);
      await new Promise((resolve) => frame.addEventListener("load", resolve));
    }, `${otherOrigin.replace("127.0.0.1", "localhost")}/test-pages/index.html`);
    const frame = app.frames().find((f) => f.url().includes("localhost"))!;
    await frame.evaluate((attacks) => {
      for (const attack of attacks) parent.postMessage(attack, "*");
    }, ATTACKS);
    await expect.poll(() => $(app)(() => (window as unknown as Page$).droppedMessages()["untrusted_source"] ?? 0)).toBe(ATTACKS.length);
    const status = await $(app)(() => (window as unknown as Page$).client.status);
    console.log(`cross-origin frame got: forcedOffline=${status.forcedOffline}`);
    expect(status.forcedOffline).toBe(false);
  } finally {
    await browser.close();
    await other.close();
  }
});

test("without the extension, exposeToDevtools opens nothing: no message, no listener that acts", async ({ demo }) => {
  const browser = await chromium.launch({ executablePath: CHROME_PATH, args: CHROME_ARGS });
  try {
    const app = await browser.newPage();
    await app.addInitScript(() => {
      const seen: unknown[] = [];
      (window as unknown as { seen: unknown[] }).seen = seen;
      window.addEventListener("message", (event) => seen.push(event.data));
    });
    await app.goto(`${demo.url}/test-pages/exposed.html?name=todos`);
    await app.waitForFunction(() => document.body.dataset["ready"] === "true");
    await app.evaluate((attacks) => {
      for (const attack of attacks) window.postMessage(attack, "*");
    }, ATTACKS);
    await app.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    const outcome = await $(app)(() => ({ status: (window as unknown as Page$).client.status, drops: (window as unknown as Page$).droppedMessages(), sdkMessages: (window as unknown as Page$).seen.filter((data) => (data as { from?: string } | null)?.from === "page").length }));
    console.log(`without the extension: ${JSON.stringify(outcome.drops)} dropped, ${outcome.sdkMessages} messages from the SDK, forcedOffline=${outcome.status.forcedOffline}`);
    expect(outcome).toMatchObject({ drops: {}, sdkMessages: 0, status: { forcedOffline: false } });
  } finally {
    await browser.close();
  }
});

test("an app that exposes its client to watch only: the panel's commands are refused, its views still work", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=todos&commands=false`);
    const client = panel.locator('[data-testid="client"][data-name="todos"]');
    await client.getByTestId("offline").click();
    await expect(client.getByTestId("reply")).toContainText("setOffline failed: This page exposes its clients to watch only");
    expect(await $(app)(() => (window as unknown as Page$).client.status.forcedOffline)).toBe(false);
    expect(await $(app)(() => (window as unknown as Page$).droppedMessages()["commands_off"])).toBe(1);
  } finally {
    await browser.close();
  }
});

test("frames flooding announces and hellos never hide the app's own client; the selector names each frame's origin", async ({ demo }) => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const other = createSyncServer({ db: ":memory:", staticMounts: { "/test-pages/": `${root}test/browser/pages` } });
  const { url } = await other.listen(0, "127.0.0.1");
  const foreign = url.replace("127.0.0.1", "localhost");
  const browser = await launchWithExtension();
  try {
    // Five frames flood from the page's start, so their hellos reach a panel opened meanwhile before the app's.
    const query = new URLSearchParams({ name: "todos", frame: `${foreign}/test-pages/flood.html?ms=4000`, frames: "5" });
    const { panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?${query}`);
    // While the frames flood: the app's client stays listed, beside at most 96 forged ones.
    await expect.poll(() => panel.locator('[data-testid="client-select"] option', { hasText: "forged" }).count(), { timeout: 10_000 }).toBeGreaterThan(32);
    await expect(panel.locator('[data-testid="client-select"] option', { hasText: /^todos$/ })).toHaveCount(1);
    const labels = await panel.locator('[data-testid="client-select"] option').allTextContents();
    console.log(`frames flooding got ${labels.length - 1} forged clients listed, the app's client kept; e.g. "${labels.find((label) => label.includes("forged"))}"`);
    expect(labels.length).toBeLessThanOrEqual(1 + 3 * 32); // the subframes' share: 96 of 128
    expect(labels.filter((label) => label.includes("forged")).every((label) => label.includes(foreign))).toBe(true);
  } finally {
    await browser.close();
    await other.close();
  }
});


test("hostile values are inert: a $synclens key is shown as the page's own data, odd ids and direction controls render as text", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=todos`);
    const client = panel.locator('[data-testid="client"][data-name="todos"]');
    await client.getByTestId("offline").click();
    await $(app)(async () => {
      const c = (window as unknown as Page$).client;
      await c.save({ id: "forged-marker", title: "x", note: { $synclens: "error", name: { toString: 0 }, message: "I am not a marker" } });
      await c.save({ id: "bidi\u202Eevil", title: "\u202Ereversed" });
    });
    await client.getByTestId("tab-queue").click();
    await expect(client.getByTestId("queue-row")).toHaveCount(2);
    await client.getByTestId("queue-row").filter({ hasText: "forged-marker" }).click();
    const detail = client.getByTestId("queue-detail");
    await expect(detail).toContainText("$synclens:");
    await expect(detail).toContainText('"I am not a marker"');
    await expect(detail.locator(".bad", { hasText: "I am not a marker" })).toHaveCount(0); // not drawn as an error marker
    await expect(client.getByTestId("queue-row").filter({ hasText: "bidi\\u202Eevil" })).toHaveCount(1);
    await expect(panel.locator("body")).not.toContainText("\u202E");
  } finally {
    await browser.close();
  }
});

test("a page flooding its channel is held to the SDK's rate: the panel says how much was dropped, and its own and another tab's panels stay live", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { panel: otherPanel, app: otherApp } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=other`);
    const query = new URLSearchParams({ name: "todos", frame: `${demo.url}/test-pages/flood.html?ms=5000&burst=200`, frames: "1" });
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?${query}`);
    await expect.poll(() => panel.getByTestId("dropped").count(), { timeout: 10_000 }).toBe(1);
    // During the flood, both panels follow their own app.
    await $(app)(() => (window as unknown as Page$).client.save({ id: "during", title: "flood" }));
    await $(otherApp)(() => (window as unknown as Page$).client.save({ id: "elsewhere", title: "calm" }));
    const client = panel.locator('[data-testid="client"][data-name="todos"]');
    await panel.locator('[data-testid="client-select"]').selectOption({ label: "todos" });
    await client.getByTestId("tab-timeline").click();
    await expect(client.getByTestId("timeline")).toContainText("save during", { timeout: 10_000 });
    const other = otherPanel.locator('[data-testid="client"][data-name="other"]');
    await other.getByTestId("tab-timeline").click();
    await expect(other.getByTestId("timeline")).toContainText("save elsewhere", { timeout: 10_000 });
    console.log(`a flooding frame (200 deltas per 20 ms): ${await panel.getByTestId("dropped").textContent()}`);
  } finally {
    await browser.close();
  }
});

test("a malicious snapshot file renders inert and fast: a 15 MB exportedAt, marker look-alikes, values that cannot be printed, direction controls", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=todos`);
    const file = join(tmpdir(), `malicious-${Date.now()}.json`);
    const op = { seq: 1, opId: "o\u202E1", itemId: "x\u202Ey", type: "create", createdAt: 0, updatedAt: 0, attempts: 0, failures: 0, nextAttemptAt: 0, errors: [{ message: { toString: 0 } }], value: { id: "x", note: { $synclens: "error", name: { toString: 0 } } } };
    writeFileSync(file, JSON.stringify({ format: "synclens-snapshot", version: 1, exportedAt: "9".repeat(15_000_000), sdkVersion: "\u202E1.0", client: { name: "evil\u202Ename" }, status: { pending: 1 }, queue: [op], events: [{ type: "status", summary: { valueOf: 0 } }] }));
    const started = Date.now();
    await panel.getByTestId("import").setInputFiles(file);
    await expect(panel.getByTestId("imported")).toContainText("Imported snapshot, read only: evil\\u202Ename");
    const imported = panel.locator('[data-testid="client"]');
    await imported.getByTestId("tab-queue").click();
    await imported.getByTestId("queue-row").first().click();
    await expect(imported.getByTestId("queue-detail")).toContainText("x\\u202Ey");
    await imported.getByTestId("tab-timeline").click();
    await expect(imported.getByTestId("timeline")).toContainText('{"valueOf":0}');
    console.log(`a malicious import rendered in ${Date.now() - started} ms; header ${(await panel.getByTestId("imported").textContent())?.length} characters`);
    expect((await panel.getByTestId("imported").textContent())!.length).toBeLessThan(400);
    await expect(panel.locator("body")).not.toContainText("\u202E");
  } finally {
    await browser.close();
  }
});
