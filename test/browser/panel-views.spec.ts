import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { launchWithExtension, openAppWithPanel } from "./extension";
import { PANEL_SIZE, screenshot } from "./screenshots";

type Todo = { id: string; title: string; done: boolean; createdAt: string };
type DemoWindow = { synclens: { get(id: string): Promise<Todo | undefined>; save(item: Todo): Promise<unknown>; sync(): Promise<unknown> } };

async function addTodo(app: Page, title: string): Promise<string> {
  await app.getByTestId("new-title").fill(title);
  await app.getByTestId("new-title").press("Enter");
  const item = app.getByTestId("todos").locator("li", { hasText: title });
  await expect(item).toHaveCount(1);
  return (await item.getAttribute("data-id"))!;
}

function todoOf(app: Page, id: string): Promise<Todo | undefined> {
  return app.evaluate((todoId) => (window as unknown as DemoWindow).synclens.get(todoId), id);
}

test("overview: headline numbers and charts of queue depth, throughput and latency; light and dark", async ({ demo }) => {
  test.setTimeout(90_000);
  const browser = await launchWithExtension();
  try {
    const { app, panel, tabId } = await openAppWithPanel(browser, demo.url);
    await panel.setViewportSize(PANEL_SIZE);
    const client = panel.getByTestId("client");
    // Steady traffic through a flaky server (one request in five fails with 503 and is retried)...
    await app.getByTestId("faults").selectOption("errors");
    for (const title of ["Water the plants", "Book the dentist", "Renew passport"]) await addTodo(app, title);
    const refused = await app.evaluate(async () => {
      const { synclens } = window as unknown as DemoWindow;
      const saves: Promise<unknown>[] = [];
      for (let tick = 0; tick < 24; tick++) {
        for (let i = 0; i < 3; i++) saves.push(synclens.save({ id: crypto.randomUUID(), title: `Steady ${tick}.${i}`, done: false, createdAt: new Date().toISOString() }));
        await new Promise((resolve) => setTimeout(resolve, 250)); // the workload's pace, not a wait for a condition
      }
      return (await Promise.allSettled(saves)).flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
    });
    expect(refused).toEqual([]); // every write was taken: a short server count below is then the sync's
    // ...then 1,000 writes while forced offline from the panel, drained once back online.
    await client.getByTestId("offline").click();
    await expect(client.getByTestId("network")).toHaveText("forced offline");
    await app.getByTestId("bulk").click();
    await expect(client.getByTestId("pending")).toHaveText(/^1\d{3}$/);
    await client.getByTestId("offline").click();
    await expect(client.getByTestId("pending")).toHaveText("0", { timeout: 60_000 });
    await expect(client.getByTestId("dead")).toHaveText("0"); // a write out of retries would explain a short count below
    await expect(app.getByTestId("server-todos").locator("li")).toHaveCount(1075, { timeout: 15_000 });
    await expect.poll(async () => Number(await client.getByTestId("chart-throughput").getAttribute("data-points"))).toBeGreaterThan(5);
    await expect.poll(async () => Number(await client.getByTestId("chart-latency").getAttribute("data-points"))).toBeGreaterThan(3);
    await expect(client.getByTestId("chart-queue")).toHaveAttribute("aria-label", /queue depth, last \d+ s: current 0 ops, max 1,0\d\d ops/);
    await expect(client.locator(".card", { hasText: "bytes sent" })).not.toContainText("–");
    await screenshot(panel, "overview");

    // Sync now runs a drain and a pull in the page and answers with its counts.
    await client.getByTestId("sync").click();
    await expect(client.getByTestId("reply")).toHaveText(/ sync: pushed \d+, pulled \d+, 0 remaining$/);
    // Pause shows in the app and back; a dark DevTools gets the dark theme.
    await client.getByTestId("pause").click();
    await expect(app.getByTestId("state")).toHaveText("paused");
    await expect(client.getByTestId("state")).toHaveText(/\(paused\)/);
    await expect(client.getByTestId("pause")).toHaveText("Resume");
    await client.getByTestId("pause").click();
    await expect(app.getByTestId("state")).not.toHaveText("paused");
    await panel.goto(panel.url().replace(`tabId=${tabId}`, `tabId=${tabId}&theme=dark`));
    await expect(panel.getByTestId("connection")).toHaveText("Connected");
    await expect(panel.locator("html")).toHaveClass(/theme-dark/);
    expect(await panel.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(32, 33, 36)");
    await panel.getByTestId("tab-timeline").click();
    await expect(panel.getByTestId("timeline")).toContainText("reply");
    await screenshot(panel, "timeline-dark");
  } finally {
    await browser.close();
  }
});

test("dead letters: the server's reply and the error history; retry, retry all, discard", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, demo.url);
    await panel.setViewportSize(PANEL_SIZE);
    const client = panel.getByTestId("client");
    await addTodo(app, "An ordinary todo");
    await app.getByTestId("poison").click(); // a 6 MB title: the server answers 413
    await expect(client.getByTestId("dead")).toHaveText("1", { timeout: 15_000 });
    await client.getByTestId("tab-dead-letters").click();
    const letter = client.getByTestId("dead-letter");
    await expect(letter).toContainText("the server refused it");
    await expect(letter).toContainText("HTTP 413");
    await letter.getByTestId("letter-toggle").click();
    await expect(letter.getByTestId("letter-reply")).toContainText("413");
    await expect(letter.getByTestId("error-history").locator("li")).toHaveCount(1);
    await expect(letter.getByTestId("letter-detail")).toContainText("characters)"); // the 6 MB title, trimmed
    await screenshot(panel, "dead-letters");

    await letter.getByTestId("retry").click();
    await expect(client.getByTestId("reply")).toHaveText(/ retryDeadLetter: done$/);
    await expect(letter.getByTestId("letter-attempts")).toContainText("attempts 2", { timeout: 15_000 });
    await client.getByTestId("retry-all").click();
    await expect(letter.getByTestId("letter-attempts")).toContainText("attempts 3", { timeout: 15_000 });
    await expect(letter.getByTestId("error-history").locator("li")).toHaveCount(3);
    await letter.getByTestId("discard").click();
    await expect(client.getByTestId("dead-letter")).toHaveCount(0);
    await expect(client.getByTestId("retry-all")).toBeDisabled();
    await expect(app.getByTestId("dead")).toHaveText("0");
  } finally {
    await browser.close();
  }
});

test("conflicts: base, local and server side by side; resolved field by field and by edited JSON, validated", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/?conflict=manual`);
    await panel.setViewportSize(PANEL_SIZE);
    const client = panel.getByTestId("client");
    const milk = await addTodo(app, "Buy milk");
    const mom = await addTodo(app, "Call mom");
    const car = await addTodo(app, "Wash the car");
    await expect(app.getByTestId("server-todos")).toContainText("Wash the car (v1)");
    // Another device edits both on the server; this tab edits them too, offline from that change.
    for (const id of [milk, mom, car]) await app.locator(`[data-testid="todos"] li[data-id="${id}"]`).getByRole("button", { name: "Edit elsewhere" }).click();
    // Each click is its own GET and PUT: wait for all three edits, not only the last one started.
    for (const title of ["Buy milk", "Call mom", "Wash the car"]) await expect(app.getByTestId("server-todos")).toContainText(`${title} (edited elsewhere) (v2)`);
    await app.evaluate(async (ids) => {
      const { synclens } = window as unknown as DemoWindow;
      for (const id of ids) {
        const todo = (await synclens.get(id))!;
        await synclens.save({ ...todo, title: `${todo.title} and bread`, done: true });
      }
      await synclens.sync();
    }, [milk, mom, car]);
    await expect(client.getByTestId("tab-conflicts")).toHaveText("Conflicts (3)");
    await client.getByTestId("tab-conflicts").click();
    const milkCard = client.locator(`[data-testid="conflict"][data-id="${milk}"]`);
    await expect(milkCard.locator('[data-field="title"]')).toHaveAttribute("data-state", "both");
    await expect(milkCard.locator('[data-field="done"]')).toHaveAttribute("data-state", "local");
    await expect(milkCard.locator('[data-field="createdAt"]')).toHaveAttribute("data-state", "same");
    await expect(milkCard.locator('[data-field="title"]')).toContainText("Buy milk (edited elsewhere)");
    await screenshot(panel, "conflicts");

    // Keep local: this tab's version wins whole.
    await client.locator(`[data-testid="conflict"][data-id="${car}"]`).getByTestId("keep-local").click();
    await expect(client.getByTestId("tab-conflicts")).toHaveText("Conflicts (2)");
    await expect.poll(() => todoOf(app, car)).toMatchObject({ title: "Wash the car and bread", done: true });

    // Field by field: the server's title, this tab's done.
    await milkCard.getByLabel("title: use server").check();
    await milkCard.getByTestId("apply-merge").click();
    await expect(client.getByTestId("reply")).toHaveText(/ resolveConflict: done$/);
    await expect.poll(() => todoOf(app, milk)).toMatchObject({ title: "Buy milk (edited elsewhere)", done: true });

    // Edited JSON: checked as it is typed, sent only when valid.
    const momCard = client.locator(`[data-testid="conflict"][data-id="${mom}"]`);
    await momCard.getByTestId("edit-json").click();
    const editor = momCard.getByTestId("merged-json");
    await expect(editor).toHaveValue(/"title": "Call mom and bread"/);
    await editor.fill('{ "id": "someone-else", "title": "x" }');
    await expect(momCard.getByTestId("merged-error")).toContainText("id");
    await expect(momCard.getByTestId("apply-json")).toBeDisabled();
    await editor.fill("{ not json");
    await expect(momCard.getByTestId("merged-error")).toContainText("JSON");
    await editor.fill(JSON.stringify({ id: mom, title: "Call mom on Sunday", done: false, createdAt: "2026-01-01T00:00:00.000Z" }));
    await expect(momCard.getByTestId("merged-error")).toHaveText("");
    await momCard.getByTestId("apply-json").click();
    await expect(client.getByTestId("conflict")).toHaveCount(0);
    await expect.poll(() => todoOf(app, mom)).toMatchObject({ title: "Call mom on Sunday", done: false });
    // The resolutions travel on: the server ends with them.
    await expect(app.getByTestId("server-todos")).toContainText("Call mom on Sunday (v3)", { timeout: 15_000 });
    await expect(app.getByTestId("server-todos")).toContainText("Buy milk (edited elsewhere) (v3)");
    await expect(app.getByTestId("server-todos")).toContainText("Wash the car and bread (v3)");
  } finally {
    await browser.close();
  }
});

test("controls: a page with two clients gets a client selector; each client's own data and commands", async ({ demo }) => {
  const browser = await launchWithExtension();
  try {
    const { app, panel } = await openAppWithPanel(browser, `${demo.url}/test-pages/exposed.html?name=notes&second=photos`);
    type Pair = { client: { setOffline(offline: boolean): void; save(item: object): Promise<unknown> }; second: { setOffline(offline: boolean): void; save(item: object): Promise<unknown> } };
    await app.evaluate(async () => {
      const page = window as unknown as Pair;
      page.second.setOffline(true);
      for (const id of ["beach", "forest"]) await page.second.save({ id, title: id });
    });
    const select = panel.getByTestId("client-select");
    await expect(select.locator("option")).toHaveText(["notes", "photos"]);
    await expect(panel.getByTestId("client")).toHaveAttribute("data-name", "notes");
    await expect(panel.getByTestId("pending")).toHaveText("0");
    await select.selectOption({ label: "photos" });
    await expect(panel.getByTestId("client")).toHaveAttribute("data-name", "photos");
    await expect(panel.getByTestId("pending")).toHaveText("2");
    await expect(panel.getByTestId("network")).toHaveText("forced offline");
    // A command goes to the selected client only.
    await panel.getByTestId("offline").click();
    await expect(panel.getByTestId("pending")).toHaveText("0");
    await panel.getByTestId("sync").click();
    await expect(panel.getByTestId("reply")).toHaveText(/ sync: pushed \d+, pulled \d+, 0 remaining$/);
    expect(await app.evaluate(() => fetch("/api/photos").then((reply) => reply.json()).then((body: { items: { id: string }[] }) => body.items.map((item) => item.id).sort()))).toEqual(["beach", "forest"]);
  } finally {
    await browser.close();
  }
});
