import { expect, test } from "./fixtures";

// Writes made offline, a reload and the way back online: sdk-browsers.spec.ts, in Chromium and Firefox.

test("the demo's offline switch stops all traffic until it is turned off", async ({ page, demo }) => {
  await page.goto(demo.url);
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true");
  // The start-up sync (a pull) must be over first: a request already under way is not "traffic while offline".
  await expect(page.getByTestId("last-sync")).not.toHaveText("never");
  await expect(page.getByTestId("state")).toHaveText("idle");
  const apiRequests: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname !== "/") apiRequests.push(request.url());
  });
  await page.getByTestId("offline").check();
  await expect(page.getByTestId("state")).toHaveText("offline (forced)");
  await page.getByTestId("new-title").fill("Quiet write");
  await page.getByTestId("new-title").press("Enter");
  await page.getByTestId("sync-now").click();
  await expect(page.getByTestId("pending")).toHaveText("1");
  expect(apiRequests).toEqual([]);
  await page.getByTestId("offline").uncheck();
  await expect(page.getByTestId("pending")).toHaveText("0", { timeout: 10_000 });
  expect((await demo.store.list("todos")).map((r) => (r.value as { title: string }).title)).toEqual(["Quiet write"]);
});

test("the demo provokes what the panel shows: server faults, a poison write, an edit from another device", async ({ page, demo }) => {
  await page.goto(demo.url);
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true");

  await page.getByTestId("faults").selectOption("errors");
  await expect.poll(async () => demo.faults.get()).toMatchObject({ rate: 0.2, kinds: ["status"], status: 503 });
  await page.getByTestId("faults").selectOption("off");
  await expect.poll(async () => demo.faults.get()).toBeNull();

  await page.getByTestId("poison").click();
  await expect(page.getByTestId("dead")).toHaveText("1", { timeout: 15_000 });
  await expect(page.getByTestId("dead-letters")).toContainText("rejected");

  await page.getByTestId("new-title").fill("Shared");
  await page.getByTestId("new-title").press("Enter");
  await expect.poll(async () => (await demo.store.list("todos")).some((r) => (r.value as { title: string }).title === "Shared")).toBe(true);
  await page.getByTestId("todos").locator("li", { hasText: "Shared" }).getByRole("button", { name: "Edit elsewhere" }).click();
  await expect.poll(async () => (await demo.store.list("todos")).find((r) => (r.value as { title: string }).title.startsWith("Shared"))?.version).toBe(2);
  await page.getByTestId("sync-now").click();
  await expect(page.getByTestId("todos")).toContainText("Shared (edited elsewhere)");
});

test("a todo written by another client of the API without the demo's fields still shows, and breaks nothing", async ({ page, demo }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await demo.store.applyWrite({ collection: "todos", opId: "bare-1", id: "bare", method: "PUT", body: { id: "bare" } });
  await demo.store.applyWrite({ collection: "todos", opId: "full-1", id: "full", method: "PUT", body: { id: "full", title: "Has every field", done: false, createdAt: new Date().toISOString() } });
  await page.goto(demo.url);
  await expect(page.getByTestId("todos").locator("li")).toHaveCount(2);
  await expect(page.getByTestId("todos")).toContainText("Has every field");
  expect(errors).toEqual([]);
});
