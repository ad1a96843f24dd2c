import { appReady, openAppTab } from "./app-tab";
import { expect, test } from "./fixtures";

test("a tab closed right after another tab saved over its unsent writes: the server gets the last saves, nothing is dead-lettered", async ({ context, demo }) => {
  const a = await openAppTab(context, demo.url, "closing");
  // Another drain holds the queue: B's writes stay unsent, as queue heads B holds for its pagehide flush.
  await a.evaluate(() => window.app.holdDrainLock());
  const [b] = await Promise.all([context.waitForEvent("page"), a.evaluate(() => window.app.openSecond())]);
  await appReady(b);
  await b.evaluate(async () => {
    for (let i = 0; i < 5; i++) await window.app.save(`x${i}`, "v1 from b");
  });
  const closed = b.waitForEvent("close");
  await a.evaluate(async () => {
    for (let i = 0; i < 5; i++) await window.app.save(`x${i}`, "v2 from a");
    window.app.closeSecond(); // at once: B has not heard of A's saves yet
  });
  await closed;
  // B's pagehide flush reached the server before any drain of A's.
  await expect.poll(async () => demo.requests.filter((line) => line.startsWith("POST /api/todos/_batch 200")).length).toBe(1);

  await a.evaluate(() => window.app.releaseDrainLock());
  await expect.poll(async () => a.evaluate(() => window.app.sync().then(() => window.app.status().pending)), { timeout: 15_000 }).toBe(0);
  const state = await a.evaluate(() => window.app.state());
  expect(state.deadLetters).toEqual([]);
  expect(state.conflicts).toEqual([]);
  const ids = ["x0", "x1", "x2", "x3", "x4"];
  expect(state.items.sort((p, q) => p.id.localeCompare(q.id)).map((item) => item.title)).toEqual(ids.map(() => "v2 from a"));
  expect((await Promise.all(ids.map((id) => demo.store.get("todos", id)))).map((record) => record?.value?.["title"])).toEqual(ids.map(() => "v2 from a"));
});
