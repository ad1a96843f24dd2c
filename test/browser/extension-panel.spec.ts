import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "./fixtures";
import { evaluateInTarget, launchWithExtension, openAppWithPanel, openPanel, openRoutedTab, targets } from "./extension";

test("the panel (opened as a tab) shows the demo's client live and its commands reach the SDK", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, demo.url);
    const client = panel.locator('[data-testid="client"][data-name="demo-todos"]');
    await expect(client.getByTestId("state")).toHaveText("idle");

    // The views are keyboard-reachable: arrow keys move between tabs, and focus follows.
    await client.getByTestId("tab-overview").focus();
    await panel.keyboard.press("ArrowRight");
    await expect(client.getByTestId("tab-queue")).toHaveAttribute("aria-selected", "true");
    await expect(client.getByTestId("tab-queue")).toBeFocused();
    await panel.keyboard.press("ArrowLeft");
    await expect(client.getByTestId("tab-overview")).toHaveAttribute("aria-selected", "true");

    // A write in the app shows up in the panel (delta: timeline and queue counters).
    await app.getByTestId("new-title").fill("From the app");
    await app.getByTestId("new-title").press("Enter");
    await client.getByTestId("tab-timeline").click();
    await expect(client.getByTestId("timeline")).toContainText("write: save");
    await client.getByTestId("tab-overview").click();
    await expect(client.getByTestId("pending")).toHaveText("0");

    // A command from the panel reaches the SDK, and its effect shows on both sides.
    await client.getByTestId("offline").click();
    await expect(app.getByTestId("state")).toHaveText("offline (forced)");
    await expect(client.getByTestId("network")).toHaveText("forced offline");
    await client.getByTestId("offline").click();
    await expect(app.getByTestId("state")).toHaveText("idle");
    await expect(client.getByTestId("reply")).toHaveText(/ setOffline: done$/);

    // Reloading the inspected page resets the panel cleanly and it reconnects to the new page's client,
    // on the view the user was on.
    await expect(panel.getByTestId("sdk-version")).toHaveText(/^SDK \d+\.\d+\.\d+/);
    await client.getByTestId("tab-queue").click();
    await app.reload();
    await expect(app.locator("body")).toHaveAttribute("data-ready", "true");
    await expect(panel.getByTestId("connection")).toHaveText("Connected");
    await expect(panel.getByTestId("client")).toHaveCount(1);
    await expect(client.getByTestId("tab-queue")).toHaveAttribute("aria-selected", "true");
    await client.getByTestId("tab-overview").click();
    await expect(client.getByTestId("state")).toHaveText("idle");

    // A page without the SDK: the panel says so, and no longer names the previous page's SDK.
    await app.goto(`${demo.url}/test-pages/index.html`);
    await expect(panel.getByTestId("connection")).toHaveText("No SyncLens client on this page");
    await expect(panel.getByTestId("sdk-version")).toHaveCount(0);
  } finally {
    await browser.close();
  }
});

test("a tab without a SyncLens client says so", async () => {
  const browser = await launchWithExtension();
  try {
    const panel = await browser.context.newPage();
    await panel.goto(`chrome-extension://${browser.extensionId}/devtools-panel/index.html?tabId=987654`);
    await expect(panel.getByTestId("connection")).toHaveText("No SyncLens client on this page");
  } finally {
    await browser.close();
  }
});

test("a page whose SDK speaks a newer protocol: the panel says so and what to update, instead of guessing", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { tabId } = await openRoutedTab(browser, `${demo.url}/test-pages/future-sdk.html`);
    const panel = await openPanel(browser, tabId);
    await expect(panel.getByTestId("connection")).toHaveText("This page's SDK speaks another protocol version");
    await expect(panel.getByTestId("mismatch-advice")).toHaveText(" (2; this panel speaks 1): update the SyncLens extension");
    await expect(panel.getByText("SDK 9.0.0")).toBeVisible();
    await expect(panel.getByTestId("client")).toHaveCount(0);
  } finally {
    await browser.close();
  }
});

test("the service worker stopped mid-session: the panel recovers without a reload", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, demo.url);

    await stopServiceWorker(browser);

    await app.getByTestId("new-title").fill("After the restart");
    await app.getByTestId("new-title").press("Enter");
    const client = panel.locator('[data-testid="client"][data-name="demo-todos"]');
    await expect(panel.getByTestId("connection")).toHaveText("Connected", { timeout: 15_000 });
    await client.getByTestId("tab-timeline").click();
    await expect(client.getByTestId("timeline")).toContainText("write: save", { timeout: 15_000 });
    await client.getByTestId("tab-overview").click();
    await client.getByTestId("offline").click();
    await expect(app.getByTestId("state")).toHaveText("offline (forced)");
  } finally {
    await browser.close();
  }
});

test("the service worker stopped while idle, before any panel: a panel opened afterwards still finds the page's client", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, tabId } = await openRoutedTab(browser, demo.url);
    await expect(app.getByTestId("state")).toHaveText("idle");
    await stopServiceWorker(browser);
    const panel = await openPanel(browser, tabId); // the developer opens DevTools only now
    await expect(panel.getByTestId("connection")).toHaveText("Connected", { timeout: 15_000 });
    await expect(panel.locator('[data-testid="client"][data-name="demo-todos"]')).toBeVisible();
  } finally {
    await browser.close();
  }
});

test("two tabs, each with a client: each panel shows only its own tab", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const alpha = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=alpha`);
    const beta = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=beta`);
    expect(alpha.tabId).not.toBe(beta.tabId);
    await expect(alpha.panel.getByTestId("client")).toHaveCount(1);
    await expect(alpha.panel.locator('[data-testid="client"]')).toHaveAttribute("data-name", "alpha");
    await expect(beta.panel.getByTestId("client")).toHaveCount(1);
    await expect(beta.panel.locator('[data-testid="client"]')).toHaveAttribute("data-name", "beta");
  } finally {
    await browser.close();
  }
});

test("smoke: the real DevTools panel registers, opens on the demo, and reaches its client", async ({ demo }) => {
  const browser = await launchWithExtension(["--auto-open-devtools-for-tabs"]);
  try {
    const app = await browser.context.newPage();
    await app.goto(demo.url);
    await expect(app.locator("body")).toHaveAttribute("data-ready", "true");
    // DevTools' InspectorView is internal to Chromium: this path is kept to this one smoke test.
    const showPanel = `(async () => {
      const UI = await import("devtools://devtools/bundled/ui/legacy/legacy.js");
      const SDK = await import("devtools://devtools/bundled/core/sdk/sdk.js");
      const url = SDK.TargetManager.TargetManager.instance().primaryPageTarget()?.inspectedURL() ?? "";
      if (!url.startsWith(${JSON.stringify(demo.url)})) return null;
      const view = UI.InspectorView.InspectorView.instance();
      const id = view.tabbedPane.tabIds().find((tab) => tab.endsWith("SyncLens"));
      if (id) await view.showPanel(id);
      return id ?? "missing";
    })()`;
    let shown: unknown = null;
    await expect
      .poll(async () => {
        for (const target of (await targets(browser.context)).filter((t) => t.url.startsWith("devtools://"))) {
          shown = (await evaluateInTarget(browser.context, target.targetId, showPanel)) ?? shown;
        }
        return shown;
      })
      .toMatch(/SyncLens$/);
    const readPanel = `document.querySelector('[data-testid="connection"]')?.textContent + " | " + [...document.querySelectorAll('[data-testid="client"]')].map((c) => c.dataset.name).join(",")`;
    await expect
      .poll(async () => {
        const frame = (await targets(browser.context)).find((t) => t.url.endsWith("/devtools-panel/index.html"));
        return frame ? evaluateInTarget(browser.context, frame.targetId, readPanel) : "no panel frame";
      }, { timeout: 15_000 })
      .toBe("Connected | demo-todos");
  } finally {
    await browser.close();
  }
});

test("fuzz: a hostile page posting thousands of malformed and oversized messages breaks nothing and reaches no other tab", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app: hostile, panel: hostilePanel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=hostile`);
    const errors: string[] = [];
    hostile.on("pageerror", (error) => errors.push(error.message));
    const { panel: victimPanel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=victim`);

    await hostile.evaluate(() => {
      let seed = 99;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const tag = "synclens-devtools";
      const shapes: unknown[] = [
        null, 42, "hello", [], {}, { tag }, { tag, from: "page" }, { tag, from: "page", message: null },
        { tag, from: "page", message: { type: "hello", protocol: 1, sdkVersion: "9", clients: [{ clientId: "x", name: "<img src=x onerror=alert(1)>" }] } },
        { tag, from: "page", message: { type: "snapshot", clientId: "victim#1", snapshot: { status: { state: "pwned" } } } },
        { tag, from: "page", message: { type: "delta", clientId: "x", seq: -5, entries: "nope" } },
        { tag, from: "page", message: { type: "reply", requestId: 1, ok: false, error: { code: 7 } } },
        { tag, from: "page", message: { type: "snapshot", clientId: "x", snapshot: { blob: "x".repeat(2_000_000) } } },
        { tag, from: "panel", message: { type: "command", requestId: 1, clientId: "hostile#1", command: { name: "setOffline", offline: true } } },
      ];
      // Posted to the window (where the extension no longer listens), and over a channel of the page's own
      // from the extension's hook (as a forged client would): neither breaks anything.
      const port = (window as unknown as { __SYNCLENS_DEVTOOLS__: { connect(): MessagePort } }).__SYNCLENS_DEVTOOLS__.connect();
      for (let i = 0; i < 3000; i++) {
        const shape = shapes[Math.floor(random() * shapes.length)];
        window.postMessage(shape, "*");
        if (i % 3 === 0) port.postMessage(shape);
      }
    });

    // The hostile page's own panel still works; its fake "hello" only ever reached its own panel.
    await hostile.evaluate(() => (window as unknown as { client: { save(item: object): Promise<unknown> } }).client.save({ id: "after", title: "fuzz" }));
    const hostileClient = hostilePanel.locator('[data-testid="client"][data-name="hostile"]');
    await hostileClient.getByTestId("tab-timeline").click();
    await expect(hostileClient.getByTestId("timeline")).toContainText("write: save after");
    await expect(hostilePanel.getByTestId("connection")).toHaveText("Connected");
    // The victim's panel saw none of it: one client, its own, in its own state.
    await expect(victimPanel.getByTestId("client")).toHaveCount(1);
    await expect(victimPanel.locator('[data-testid="client"]')).toHaveAttribute("data-name", "victim");
    await expect(victimPanel.getByTestId("state")).not.toHaveText("pwned");
    await expect(victimPanel.locator("img")).toHaveCount(0);
    await expect(hostilePanel.locator("img")).toHaveCount(0); // a name is text, never markup
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});

test("every command from the panel reaches the SDK and its effect shows: sync, pause, resume, dead letters, conflicts, export", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=cmds&conflict=manual`);
    const client = panel.locator('[data-testid="client"][data-name="cmds"]');
    await expect(client.getByTestId("state")).toHaveText("idle");
    type Page = { client: { save(item: object): Promise<unknown>; sync(): Promise<unknown>; status: { paused: boolean } } };

    // pause / resume / sync
    await client.getByTestId("pause").click();
    await expect(client.getByTestId("reply")).toHaveText(/ pause: done$/);
    expect(await app.evaluate(() => (window as unknown as Page).client.status.paused)).toBe(true);
    // A command that did nothing says so, and why.
    await client.getByTestId("sync").click();
    await expect(client.getByTestId("reply")).toHaveText(/ sync: pushed 0, pulled 0, \d+ remaining; skipped: paused$/);
    await expect(client.getByTestId("reply")).toHaveAttribute("data-tone", "warn");
    await client.getByTestId("pause").click();
    await expect(client.getByTestId("reply")).toHaveText(/ resume: done$/);
    await client.getByTestId("sync").click();
    await expect(client.getByTestId("reply")).toHaveText(/ sync: pushed \d+, pulled \d+, 0 remaining$/);
    await expect(client.getByTestId("reply")).toHaveAttribute("data-tone", "");

    // A poison write: 6 MB, refused by the server (413) -> a dead letter; retry puts it back (and it dies again); discard ends it.
    await app.evaluate(() => (window as unknown as Page).client.save({ id: "poison", title: "x".repeat(6_000_000) }));
    await expect(client.getByTestId("dead")).toHaveText("1", { timeout: 15_000 });
    await client.getByTestId("tab-dead-letters").click();
    await expect(client.getByTestId("tab-dead-letters")).toHaveText("Dead letters (1)");
    await expect(client.getByTestId("dead-letters")).toContainText("poison");
    await expect(client.getByTestId("dead-letters")).toContainText("the server refused it");
    await expect(client.getByTestId("letter-attempts")).toContainText("attempts 1");
    await client.getByTestId("retry").click();
    await expect(client.getByTestId("reply")).toHaveText(/ retryDeadLetter: done$/);
    // Back in the queue, sent again, refused again: a dead letter once more, one attempt later.
    await expect(client.getByTestId("letter-attempts")).toContainText("attempts 2", { timeout: 15_000 });
    await client.getByTestId("retry-all").click();
    await expect(client.getByTestId("reply")).toHaveText(/ retryAllDeadLetters: 1 put back in the queue$/);
    await expect(client.getByTestId("letter-attempts")).toContainText("attempts 3", { timeout: 15_000 });
    await expect(client.getByTestId("letter-attempts")).toContainText("HTTP 413");
    await client.getByTestId("discard").click();
    await expect(client.getByTestId("reply")).toHaveText(/ discardDeadLetter: done$/);
    await expect(client.getByTestId("dead-letters").locator("li")).toHaveCount(0);
    await client.getByTestId("tab-overview").click();
    await expect(client.getByTestId("dead")).toHaveText("0");

    // A conflict parked by the manual strategy, resolved from the panel.
    await app.evaluate(async () => {
      const page = window as unknown as Page;
      await page.client.save({ id: "shared", title: "from this tab" });
      await page.client.sync();
    });
    await fetch(`${demo.url}/api/cmds/shared`, { method: "PUT", headers: { "Content-Type": "application/json", "If-Match": '"1"', "Idempotency-Key": "other-device-1" }, body: JSON.stringify({ id: "shared", title: "from another device" }) });
    await app.evaluate(async () => {
      const page = window as unknown as Page;
      await page.client.save({ id: "shared", title: "edited here too" });
      await page.client.sync();
    });
    await expect(client.getByTestId("state")).toHaveText("conflict");
    await client.getByTestId("tab-conflicts").click();
    await expect(client.getByTestId("conflicts")).toContainText("from another device");
    await client.getByTestId("take-server").click();
    await expect(client.getByTestId("reply")).toHaveText(/ resolveConflict: done$/);
    await expect(client.getByTestId("conflicts").locator("li")).toHaveCount(0);
    expect(await app.evaluate(() => (window as unknown as { client: { get(id: string): Promise<unknown> } }).client.get("shared"))).toEqual({ id: "shared", title: "from another device" });

    // Export
    await client.getByTestId("tab-overview").click();
    await client.getByTestId("export").click();
    await expect(client.getByTestId("reply")).toHaveText(/ exportSnapshot: done$/);
  } finally {
    await browser.close();
  }
});

test("timeline view: filters by type and text, newest first", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=views`);
    const client = panel.locator('[data-testid="client"][data-name="views"]');
    await app.evaluate(async () => {
      const page = window as unknown as { client: { setOffline(offline: boolean): void; save(item: object): Promise<unknown>; delete(id: string): Promise<unknown> } };
      page.client.setOffline(true); // keep them pending
      for (const id of ["apple", "banana", "cherry"]) await page.client.save({ id, title: id });
    });
    await client.getByTestId("tab-timeline").click();
    await expect(client.getByTestId("timeline")).toContainText("write: save cherry");
    await expect(client.getByTestId("timeline").locator("li").first()).toContainText("save cherry");
    await client.getByTestId("timeline-write").uncheck();
    await expect(client.getByTestId("timeline")).not.toContainText("write:");
    await client.getByTestId("timeline-write").check();
    await client.getByTestId("timeline-search").fill("banana");
    await expect(client.getByTestId("timeline").locator("li")).toHaveCount(1);
    await client.getByTestId("timeline-search").fill("");

    const save = (id: string) => app.evaluate((id) => (window as unknown as { client: { save(item: object): Promise<unknown> } }).client.save({ id, title: id }), id);
    // Paused, the list holds still and counts what came since; resumed, it shows it.
    await client.getByTestId("timeline-pause").click();
    await save("date");
    await expect(client.getByTestId("timeline-count")).toContainText(/paused, [1-9]\d* new since/);
    await expect(client.getByTestId("timeline")).not.toContainText("save date");
    await client.getByTestId("timeline-pause").click();
    await expect(client.getByTestId("timeline").locator("li").first()).toContainText("save date");
    // Cleared, it starts over with what comes next, also after the page re-sends its whole state (a retry-all does).
    await client.getByTestId("timeline-clear").click();
    await expect(client.getByTestId("timeline").locator("li")).toHaveCount(0);
    await save("elder");
    await expect(client.getByTestId("timeline")).toContainText("save elder");
    await app.evaluate(() => (window as unknown as { client: { retryAllDeadLetters(): Promise<number> } }).client.retryAllDeadLetters());
    await save("fig"); // sent with or after the re-sent state
    await expect(client.getByTestId("timeline")).toContainText("save fig");
    await expect(client.getByTestId("timeline")).toContainText("save elder");
    await expect(client.getByTestId("timeline")).not.toContainText("save cherry");
  } finally {
    await browser.close();
  }
});

test("export a snapshot as a .json file, import it back: the same data, read only; a bad file is refused", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=exporter`);
    await app.evaluate(async () => {
      const page = window as unknown as { client: { setOffline(offline: boolean): void; save(item: object): Promise<unknown> } };
      page.client.setOffline(true);
      for (const id of ["one", "two"]) await page.client.save({ id, title: id, password: "hunter2" });
    });
    const client = panel.locator('[data-testid="client"][data-name="exporter"]');
    await expect(client.getByTestId("pending")).toHaveText("2");
    const download = panel.waitForEvent("download");
    await client.getByTestId("export").click();
    const file = await (await download).path();
    const snapshot = JSON.parse(readFileSync(file, "utf8")) as { format: string; queue: { itemId: string; value: { password: string } }[] };
    expect(snapshot.format).toBe("synclens-snapshot");
    expect(snapshot.queue.map((op) => op.itemId)).toEqual(["one", "two"]);
    expect(snapshot.queue[0]!.value.password).toBe("[redacted]");

    await panel.getByTestId("import").setInputFiles(file);
    await expect(panel.getByTestId("imported")).toContainText("Imported snapshot, read only: exporter");
    const imported = panel.locator('[data-testid="client"][data-name="exporter"]');
    await expect(imported.getByTestId("pending")).toHaveText("2");
    await imported.getByTestId("tab-queue").click();
    await expect(imported.getByTestId("queue-row")).toHaveCount(2);
    await expect(imported.getByTestId("queue-count")).toHaveText("2 of 2 shown");
    await expect(imported.getByTestId("queue-row").first()).toContainText("one");
    await imported.getByTestId("queue-row").first().click();
    await expect(imported.getByTestId("queue-detail")).toContainText('"[redacted]"');
    await imported.getByTestId("tab-timeline").click();
    await expect(imported.getByTestId("timeline")).toContainText("write: save two");
    await panel.getByTestId("close-import").click();

    // An imported dead letter opens (its reply and payload are what a bug report is for); its commands do not act.
    const withLetter = join(tmpdir(), `with-letter-${Date.now()}.json`);
    const letter = { ...snapshot.queue[1]!, deadAt: Date.now(), reason: "rejected", reply: { status: 422, body: { error: "invalid", message: "title too long" } } };
    writeFileSync(withLetter, JSON.stringify({ ...snapshot, queue: snapshot.queue.slice(0, 1), deadLetters: [letter] }));
    await panel.getByTestId("import").setInputFiles(withLetter);
    await imported.getByTestId("tab-dead-letters").click();
    await imported.getByTestId("letter-toggle").click();
    await expect(imported.getByTestId("dead-letters")).toContainText("title too long");
    await expect(imported.getByTestId("retry")).toHaveCSS("pointer-events", "none");
    await panel.getByTestId("close-import").click();
    await expect(panel.getByTestId("imported")).toHaveCount(0);

    const bad = join(tmpdir(), `not-a-snapshot-${Date.now()}.json`);
    writeFileSync(bad, JSON.stringify({ hello: "world" }));
    await panel.getByTestId("import").setInputFiles(bad);
    await expect(panel.getByTestId("import-error")).toContainText("is not a SyncLens snapshot");
  } finally {
    await browser.close();
  }
});

test("page strings cannot reorder the panel's text, and a closed client leaves the panel", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=bidi&second=closing`);
    await app.evaluate(async () => {
      const page = window as unknown as { client: { setOffline(offline: boolean): void; save(item: object): Promise<unknown> } };
      page.client.setOffline(true);
      await page.client.save({ id: "rlo\u202Eabc", title: "invoice\u202Efdp.exe" });
    });
    await expect(panel.getByTestId("client-select").locator("option")).toHaveCount(2);
    const client = panel.locator('[data-testid="client"][data-name="bidi"]');
    await client.getByTestId("tab-queue").click();
    await client.getByTestId("queue-row").first().click();
    // The control characters show as escapes; the panel's own label reads as written.
    await expect(client.getByTestId("queue-row").first()).toContainText("rlo\\u202Eabc");
    await expect(client.getByTestId("queue-detail")).toContainText('"invoice\\u202Efdp.exe"');
    await expect(client.getByTestId("queue-detail")).toContainText("seq 1");
    expect(await client.getByTestId("queue-detail").innerText()).not.toContain("\u202E");

    await app.evaluate(() => (window as unknown as { second: { close(): Promise<void> } }).second.close());
    await expect(panel.getByTestId("client-select")).toHaveCount(0); // one client left: no selector
    await expect(panel.locator('[data-testid="client"]')).toHaveAttribute("data-name", "bidi");
  } finally {
    await browser.close();
  }
});

/** What an idle shutdown (about 30 s without events) does: the worker's target goes away, and every port with it. */
async function stopServiceWorker(browser: Awaited<ReturnType<typeof launchWithExtension>>): Promise<void> {
  const cdp = await browser.context.browser()!.newBrowserCDPSession();
  const { targetInfos } = (await cdp.send("Target.getTargets")) as { targetInfos: { targetId: string; type: string; url: string }[] };
  const worker = targetInfos.find((target) => target.type === "service_worker" && target.url.includes(browser.extensionId))!;
  await cdp.send("Target.closeTarget", { targetId: worker.targetId });
  await cdp.detach();
}
