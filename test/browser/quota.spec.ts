import { expect, test } from "./fixtures";

test("a full quota is a typed error and leaves neither the item nor its operation behind", async ({ page, demo }) => {
  await page.goto(`${demo.url}/test-pages/`);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: demo.url, quotaSize: 200_000 });
  const outcome = await page.evaluate(async ({ endpoint, bundle }) => {
    const { createSyncClient } = (await import(bundle)) as typeof import("../../sdk");
    const client = createSyncClient<{ id: string; body: string }>({ name: "quota", endpoint, pingUrl: false, triggers: { onWrite: false, intervalMs: 0 } });
    await client.ready;
    await client.save({ id: "small", body: "fits" });
    let error: { name: string; code: string; message: string } | null = null;
    try {
      await client.save({ id: "huge", body: "x".repeat(2_000_000) });
    } catch (caught) {
      const e = caught as { name: string; code: string; message: string };
      error = { name: e.name, code: e.code, message: e.message };
    }
    const result = {
      error,
      items: (await client.list()).map((item) => item.id),
      queue: (await client.queue()).map((op) => op.itemId),
      pending: client.status.pending,
    };
    await client.close();
    return result;
  }, { endpoint: `${demo.url}/api/todos`, bundle: "/sdk/synclens.bundle.js" });
  expect(outcome.error).toMatchObject({ name: "StorageError", code: "quota_exceeded" });
  expect(outcome.error?.message).toMatch(/quota/i);
  expect(outcome).toMatchObject({ items: ["small"], queue: ["small"], pending: 1 });
});
