import { expect, test } from "./fixtures";

test("the SDK runs unchanged in a dedicated worker, with real IndexedDB", async ({ page, demo }) => {
  await page.goto(`${demo.url}/test-pages/`);
  const reply = await page.evaluate(
    (endpoint) =>
      new Promise<unknown>((resolve) => {
        const worker = new Worker("/test-pages/sync-worker.js", { type: "module" });
        worker.onmessage = ({ data }) => resolve(data);
        worker.onerror = (event) => resolve({ ok: false, error: event.message });
        worker.postMessage({ endpoint });
      }),
    `${demo.url}/api/todos`,
  );
  expect(reply).toMatchObject({ ok: true, result: { pushed: 1, remaining: 0 }, status: { state: "idle", pending: 0, online: true } });
  expect((await demo.store.list("todos")).map((record) => record.value)).toEqual([{ id: "w1", title: "written in a worker" }]);
});
