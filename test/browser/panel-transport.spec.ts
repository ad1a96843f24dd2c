import { launchWithExtension, openAppWithPanel } from "./extension";
import { expect, test } from "./fixtures";
import { PANEL_SIZE } from "./screenshots";

type AppWindow = {
  client: { save(item: { id: string; title: string }): Promise<unknown>; sync(): Promise<unknown> };
  backend: Map<string, { version: number; value: unknown }>;
};

test("over an app's own transport, the panel shows the client, its queue drained and the refused write as a dead letter with the reply", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=todos&transport=memory`);
    await panel.setViewportSize(PANEL_SIZE);
    const client = panel.locator('[data-testid="client"][data-name="todos"]');
    await app.evaluate(async () => {
      const { client: page } = window as unknown as AppWindow;
      await page.save({ id: "a", title: "fine" });
      await page.save({ id: "p", title: "poison" });
      await page.sync();
    });
    await expect(client.getByTestId("dead")).toHaveText("1");
    await expect(client.getByTestId("blocked")).toContainText("Not syncing: waiting on 1 dead letter (p)");
    await client.getByTestId("tab-dead-letters").click();
    const letter = client.getByTestId("dead-letter");
    await expect(letter).toContainText("HTTP 422");
    await letter.getByTestId("letter-toggle").click();
    await expect(letter.getByTestId("letter-reply")).toContainText("invalid_title");
    expect(await app.evaluate(() => [...(window as unknown as AppWindow).backend.keys()])).toEqual(["a"]);
    // Nothing of it went to the protocol's server: the transport is the only way out.
    expect(demo.requests.filter((line) => line.includes("/api/todos"))).toEqual([]);
  } finally {
    await browser.close();
  }
});
