/**
 * The extension's panel scenarios, the same in Chromium and in Firefox through the `extension` fixture
 * (drivers.ts): the panel opened as a tab, driving a demo page's client.
 */
import { BROWSERS } from "./browsers";
import { testId } from "./drivers";
import { expect, test } from "./fixtures";

interface ExposedClient {
  save(item: { id: string; title: string }): Promise<unknown>;
  sync(): Promise<unknown>;
  get(id: string): Promise<unknown>;
  setOffline(offline: boolean): void;
}
/** The app's window: the demo exposes its client as `synclens`, test-pages/exposed.html as `client`. */
type AppWindow = { synclens: ExposedClient; client: ExposedClient };

const DEMO = "demo-todos";

for (const browserName of BROWSERS) {
  test.describe(browserName, () => {
    test.use({ extensionBrowser: browserName });

    test("the panel as a tab connects to the demo's client and shows its status and queue", async ({ demo, extension }) => {
      const { app, tabId } = await extension.openApp(demo.url);
      const panel = await extension.openPanel(tabId);
      await panel.waitForText(testId("state", DEMO), "idle");
      await panel.waitForText(testId("pending", DEMO), "0");

      await app.evaluate(async () => {
        (window as unknown as AppWindow).synclens.setOffline(true); // keeps the writes queued
        for (const title of ["first", "second"]) await (window as unknown as AppWindow).synclens.save({ id: title, title });
      });
      await panel.waitForText(testId("pending", DEMO), "2");
      await panel.click(testId("tab-queue", DEMO));
      await panel.waitForCount(testId("queue-row", DEMO), 2);
      await panel.waitForText(testId("queue-row", DEMO), /first/);

      await app.evaluate(() => (window as unknown as AppWindow).synclens.setOffline(false));
      await panel.waitForCount(testId("queue-row", DEMO), 0);
    });

    test("force offline from the panel reaches the SDK", async ({ demo, extension }) => {
      const { app, tabId } = await extension.openApp(demo.url);
      const panel = await extension.openPanel(tabId);
      await panel.click(testId("offline", DEMO));
      await app.waitForText(testId("state"), "offline (forced)");
      await panel.waitForText(testId("network", DEMO), "forced offline");
      await panel.click(testId("offline", DEMO));
      await app.waitForText(testId("state"), "idle");
      await panel.waitForText(testId("reply", DEMO), / setOffline: done$/);
    });

    test("a double click on Pause or Force offline undoes the first click, even before the page's status comes back", async ({ demo, extension }) => {
      const { app, tabId } = await extension.openApp(demo.url);
      const panel = await extension.openPanel(tabId);
      await panel.waitForText(testId("state", DEMO), "idle");
      for (const control of ["pause", "offline"]) {
        // Both clicks in one task: nothing from the page can arrive in between.
        await panel.evaluate((selector) => {
          const button = document.querySelector<HTMLButtonElement>(selector)!;
          button.click();
          button.click();
        }, testId(control, DEMO));
        await panel.waitForText(testId("reply", DEMO), control === "pause" ? / resume: done$/ : / setOffline: done$/);
        await app.waitForText(testId("state"), "idle");
        await panel.waitForText(testId("state", DEMO), "idle");
      }
      await panel.waitForText(testId("pause", DEMO), "Pause");
      await panel.waitForText(testId("offline", DEMO), "Force offline");
    });

    test("a dead letter is retried from the panel", async ({ demo, extension }) => {
      const { app, tabId } = await extension.openApp(`${demo.url}/test-pages/exposed.html?name=letters`);
      const panel = await extension.openPanel(tabId);
      // 6 MB: the server refuses it (413), and the SDK dead-letters it.
      await app.evaluate(() => (window as unknown as AppWindow).client.save({ id: "poison", title: "x".repeat(6_000_000) }));
      await panel.waitForText(testId("dead", "letters"), "1", 15_000);
      await panel.click(testId("tab-dead-letters", "letters"));
      await panel.waitForText(testId("dead-letters", "letters"), /poison/);
      await panel.waitForText(testId("letter-attempts", "letters"), /attempts 1/);
      await panel.click(testId("retry", "letters"));
      await panel.waitForText(testId("reply", "letters"), / retryDeadLetter: done$/);
      // Back in the queue, sent again, refused again: one attempt later.
      await panel.waitForText(testId("letter-attempts", "letters"), /attempts 2/, 15_000);
    });

    test("a manual conflict is resolved from the panel", async ({ demo, extension }) => {
      const { app, tabId } = await extension.openApp(`${demo.url}/test-pages/exposed.html?name=todos&conflict=manual`);
      const panel = await extension.openPanel(tabId);
      await app.evaluate(() => (window as unknown as AppWindow).client.save({ id: "x", title: "mine" }).then(() => (window as unknown as AppWindow).client.sync()));
      // Another device writes the same item first.
      const { version } = (await demo.store.get("todos", "x"))!;
      await demo.store.applyWrite({ collection: "todos", opId: "elsewhere", id: "x", method: "PUT", ifMatch: version, body: { id: "x", title: "theirs" } });
      await app.evaluate(() => (window as unknown as AppWindow).client.save({ id: "x", title: "mine again" }).then(() => (window as unknown as AppWindow).client.sync()));

      await panel.waitForText(testId("state", "todos"), "conflict");
      await panel.click(testId("tab-conflicts", "todos"));
      await panel.waitForText(testId("conflicts", "todos"), /theirs/);
      await panel.click(testId("take-server", "todos"));
      await panel.waitForText(testId("reply", "todos"), / resolveConflict: done$/);
      await panel.waitForCount(`${testId("conflicts", "todos")} li`, 0);
      expect(await app.evaluate(() => (window as unknown as AppWindow).client.get("x"))).toEqual({ id: "x", title: "theirs" });
    });

    test("the background is suspended while the panel is open, and the panel reconnects by itself", async ({ demo, extension }) => {
      const { app, tabId } = await extension.openApp(demo.url);
      const panel = await extension.openPanel(tabId);

      await extension.suspendBackground();

      // Both the page's relay and the panel reconnect: a write in the app reaches the panel, a command from the panel the app.
      await app.evaluate(() => (window as unknown as AppWindow).synclens.save({ id: "after", title: "after the suspension" }));
      await panel.waitForText(testId("connection"), "Connected", 15_000);
      await panel.click(testId("tab-timeline", DEMO));
      await panel.waitForText(testId("timeline", DEMO), /write: save after/, 15_000);
      await panel.click(testId("tab-overview", DEMO));
      await panel.click(testId("offline", DEMO));
      await app.waitForText(testId("state"), "offline (forced)");
    });

    test("two tabs see only their own clients", async ({ demo, extension }) => {
      const alpha = await extension.openApp(`${demo.url}/test-pages/exposed.html?name=alpha`);
      const alphaPanel = await extension.openPanel(alpha.tabId);
      const beta = await extension.openApp(`${demo.url}/test-pages/exposed.html?name=beta`);
      const betaPanel = await extension.openPanel(beta.tabId);
      expect(alpha.tabId).not.toBe(beta.tabId);

      for (const [panel, own, other] of [[alphaPanel, "alpha", "beta"], [betaPanel, "beta", "alpha"]] as const) {
        await panel.waitForCount('[data-testid="client"]', 1);
        await panel.waitForCount(`[data-testid="client"][data-name="${own}"]`, 1);
        expect(await panel.count(`[data-testid="client"][data-name="${other}"]`)).toBe(0);
      }
    });
  });
}
