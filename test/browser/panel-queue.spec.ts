import { expect, test } from "./fixtures";
import { launchWithExtension, openAppWithPanel } from "./extension";
import { PANEL_SIZE, screenshot } from "./screenshots";

type DemoPage = {
  synclens: {
    setOffline(offline: boolean): void;
    save(item: object): Promise<unknown>;
    delete(id: string): Promise<unknown>;
    sync(): Promise<unknown>;
  };
};

test("queue view: 10,000 pending operations, virtualised, with filters, sort, keyboard and a detail pane that loads trimmed values", async ({ demo }) => {
  test.setTimeout(120_000);
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, demo.url);
    await panel.setViewportSize(PANEL_SIZE);
    await expect(app.locator("body")).toHaveAttribute("data-ready", "true");
    // 100 todos reach the server; then, offline, 50 are edited, 50 deleted and 10,000 created.
    await app.evaluate(async () => {
      const { synclens } = window as unknown as DemoPage;
      const todo = (id: string, extra: object = {}) => ({ id, title: `Todo ${id}`, done: false, createdAt: new Date().toISOString(), ...extra });
      for (let i = 0; i < 100; i++) await synclens.save(todo(`synced-${String(i).padStart(3, "0")}`));
      await synclens.sync();
      synclens.setOffline(true);
      for (let i = 0; i < 50; i++) await synclens.save(todo(`synced-${String(i).padStart(3, "0")}`, { done: true }));
      for (let i = 50; i < 100; i++) await synclens.delete(`synced-${String(i).padStart(3, "0")}`);
      await synclens.save(todo("long-notes", { notes: "n".repeat(2000), tags: Array.from({ length: 80 }, (_, i) => `tag${i}`) }));
      for (let start = 0; start < 10_000; start += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, i) => synclens.save(todo(`item-${String(start + i).padStart(5, "0")}`))));
      }
    });
    // Opened afresh, the panel gets the first 1,000 with the client's state and pages in the rest.
    await panel.reload();
    const client = panel.locator('[data-testid="client"][data-name="demo-todos"]');
    await client.getByTestId("tab-queue").click();
    await expect(client.getByTestId("queue-count")).toHaveText("10,101 of 10,101 shown", { timeout: 30_000 });
    // Virtualised: a screenful of rows in the DOM, not ten thousand.
    const rows = client.getByTestId("queue-row");
    expect(await rows.count()).toBeLessThan(80);
    await expect(rows.first()).toContainText("update");

    // Keyboard: End goes to the last operation and selects it; its detail shows.
    await client.getByTestId("queue").focus();
    await panel.keyboard.press("End");
    await expect(client.locator('[data-testid="queue-row"][aria-selected="true"]')).toContainText("item-09999");
    await expect(client.getByTestId("queue-detail")).toContainText("create item-09999");
    await panel.keyboard.press("ArrowUp");
    await expect(client.getByTestId("queue-detail")).toContainText("create item-09998");
    expect(await rows.count()).toBeLessThan(80);

    // Filters and sort.
    await client.getByTestId("queue-type").selectOption("delete");
    await expect(client.getByTestId("queue-count")).toHaveText("50 of 10,101 shown");
    await client.getByTestId("queue-type").selectOption("all");
    await client.getByTestId("queue-search").fill("item-0420");
    await expect(client.getByTestId("queue-count")).toHaveText("10 of 10,101 shown");
    await client.getByTestId("queue-search").fill("");
    await client.getByTestId("queue-sort").selectOption("newest");
    await expect(rows.first()).toContainText("item-09999");
    await client.getByTestId("queue-status").selectOption("backoff");
    await expect(client.getByTestId("queue-count")).toHaveText("0 of 10,101 shown");
    // Forced offline: every operation is held by that, not "due".
    await client.getByTestId("queue-status").selectOption("due");
    await expect(client.getByTestId("queue-count")).toHaveText("0 of 10,101 shown");
    await client.getByTestId("queue-status").selectOption("blocked");
    await expect(client.getByTestId("queue-count")).toHaveText("10,101 of 10,101 shown");
    await client.getByTestId("queue-status").selectOption("all");

    // The detail pane: a collapsible JSON tree; a value trimmed for the bridge is loaded on demand.
    await client.getByTestId("queue-sort").selectOption("oldest");
    await client.getByTestId("queue-search").fill("long-notes");
    await rows.first().click();
    const detail = client.getByTestId("queue-detail");
    await expect(detail).toContainText("(2,000 characters)");
    await client.getByTestId("queue-search").fill("");
    await screenshot(panel, "queue");
    await client.getByTestId("queue-search").fill("long-notes");
    await expect(detail).toContainText("80 items, first 50 shown");
    await detail.getByTestId("json-load").first().click();
    await expect(detail).not.toContainText("(2,000 characters)");
    await expect(detail).toContainText("n".repeat(2000));
    await detail.getByTestId("json-load").first().click();
    await expect(detail).toContainText("tag79");
    await client.getByTestId("queue-search").fill("");

    // Writes after the panel connected arrive by deltas, a burst of 600 included.
    await app.evaluate(async () => {
      const { synclens } = window as unknown as DemoPage;
      await Promise.all(Array.from({ length: 600 }, (_, i) => synclens.save({ id: `late-${i}`, title: "late", done: false, createdAt: new Date().toISOString() })));
    });
    await expect(client.getByTestId("queue-count")).toHaveText("10,701 of 10,701 shown", { timeout: 15_000 });

    // Narrow DevTools: the detail pane moves under the list.
    await panel.setViewportSize({ width: 400, height: 700 });
    await client.getByTestId("queue-search").fill("item-0042");
    await rows.first().click();
    await screenshot(panel, "queue-narrow");
    const list = await client.getByTestId("queue").boundingBox();
    const pane = await client.getByTestId("queue-detail").boundingBox();
    expect(pane!.y).toBeGreaterThan(list!.y + list!.height - 1);
    expect(await panel.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
  } finally {
    await browser.close();
  }
});
