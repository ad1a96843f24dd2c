/**
 * Run as a child process by test/client/node-exit.test.ts: an open client whose server is unreachable
 * (probing on its backoff schedule, a retry timer set) must not keep Node running.
 */
import "fake-indexeddb/auto";
import { createSyncClient } from "../../sdk/core";

const client = createSyncClient<{ id: string; title: string }>({
  name: "exit",
  endpoint: "http://127.0.0.1:9/api/todos", // port 9 (discard): refused at once
  backoff: { baseMs: 200, maxMs: 2000 },
  pingTimeoutMs: 200,
  timeoutMs: 500,
});
await client.save({ id: "a", title: "1" });
const result = await client.sync();
console.log(`synced: ${result.skipped ?? "no"} ${client.status.state}`);
