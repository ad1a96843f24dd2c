import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { createSyncClient } from "../../sdk";

describe("smoke", () => {
  it("saves and queues", async () => {
    const client = createSyncClient<{ id: string; title: string }>({ name: "smoke", endpoint: "http://127.0.0.1:9/api/x", pingUrl: false, triggers: { onWrite: false } });
    await client.ready;
    await client.save({ id: "a", title: "one" });
    await client.save({ id: "a", title: "two" });
    await client.save({ id: "b", title: "b" });
    await client.delete("b");
    const queue = await client.queue();
    expect(queue.map((op) => [op.itemId, op.type, op.value])).toEqual([["a", "create", { id: "a", title: "two" }]]);
    expect(client.status.pending).toBe(1);
    await client.close();
  });
});
