import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("an open client with the server unreachable (probe and retry timers set) lets Node exit", () => {
  const script = fileURLToPath(new URL("../support/open-client-exit.ts", import.meta.url));
  const run = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 20_000 });
  expect(run.stdout).toContain("synced: offline offline");
  expect(run.signal).toBeNull(); // not killed by the timeout: it exited by itself
  expect(run.status).toBe(0);
}, 30_000);
