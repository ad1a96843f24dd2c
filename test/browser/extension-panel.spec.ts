import { expect, test } from "./fixtures";
import { launchWithExtension, routedTabs } from "./extension";

test("the panel (opened as a tab) shows the demo's client live and its commands reach the SDK", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const app = await browser.context.newPage();
    await app.goto(demo.url);
    await expect(app.locator("body")).toHaveAttribute("data-ready", "true");
    let tabId = 0;
    await expect.poll(async () => ((tabId = (await routedTabs(browser.worker))[0] ?? 0), tabId)).toBeGreaterThan(0);

    const panel = await browser.context.newPage();
    await panel.goto(`chrome-extension://${browser.extensionId}/devtools-panel/index.html?tabId=${tabId}`);
    await expect(panel.getByTestId("connection")).toHaveText("Connected");
    const client = panel.locator('[data-testid="client"][data-name="demo-todos"]');
    await expect(client.getByTestId("state")).toHaveText("idle");

    // A write in the app shows up in the panel (delta: timeline and queue counters).
    await app.getByTestId("new-title").fill("From the app");
    await app.getByTestId("new-title").press("Enter");
    await expect(client.getByTestId("timeline")).toContainText("write: save");
    await expect(client.getByTestId("pending")).toHaveText("0");

    // A command from the panel reaches the SDK, and its effect shows on both sides.
    await client.getByTestId("offline").click();
    await expect(app.getByTestId("state")).toHaveText("offline (forced)");
    await expect(client.getByTestId("forced")).toHaveText("true");
    await client.getByTestId("offline").click();
    await expect(app.getByTestId("state")).toHaveText("idle");
    await expect(client.getByTestId("reply")).toHaveText("setOffline: done");
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
