/**
 * Firefox only: the SyncLens panel inside Firefox's real toolbox, opened from the browser's privileged scope
 * as F12 would. The toolbox's internals are Firefox's own: this path is kept to this one smoke test; the
 * scenarios drive the panel opened as a tab (extension-browsers.spec.ts).
 */
import { expect, test } from "./fixtures";
import { launchFirefoxExtension, testId } from "./drivers";
import { screenshotPath } from "./screenshots";

test("smoke: the SyncLens panel opens in Firefox's real toolbox and reaches the demo's client", async ({ demo }) => {
  const firefox = await launchFirefoxExtension();
  try {
    const { tabId } = await firefox.openApp(demo.url);
    const panel = await firefox.openToolbox(tabId);
    await expect.poll(() => panel.text(testId("connection")), { timeout: 15_000 }).toBe("Connected");
    await expect.poll(() => panel.text(testId("state", "demo-todos"))).toBe("idle");
    await panel.screenshot(screenshotPath("firefox-toolbox"));
  } finally {
    await firefox.close();
  }
});
