import { expect, test } from "./fixtures";

test('storage: "localstorage" keeps a copy of every item in localStorage, one key each', async ({ page, demo }) => {
  await page.goto(`${demo.url}/test-pages/`);
  const keys = await page.evaluate(async ({ endpoint, bundle }) => {
    const { createSyncClient } = (await import(bundle)) as typeof import("../../sdk");
    const client = createSyncClient<{ id: string; title: string }>({ name: "ls", endpoint, storage: "localstorage", triggers: { intervalMs: 0 } });
    await client.save({ id: "a", title: "one" });
    await client.save({ id: "b", title: "two" });
    await client.delete("a");
    await client.sync();
    await client.close();
    return Object.keys(localStorage).filter((key) => key.startsWith("synclens:")).map((key) => [key, localStorage.getItem(key)]);
  }, { endpoint: `${demo.url}/api/todos`, bundle: "/sdk/synclens.bundle.js" });
  expect(keys).toEqual([["synclens:ls:b", JSON.stringify({ id: "b", title: "two" })]]);
  expect((await demo.store.list("todos")).map((record) => record.id)).toEqual(["b"]);
});
