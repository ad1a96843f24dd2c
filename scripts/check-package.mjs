// After `npm run build`: the package resolves by its own name, as an app would import it, with types.
import "fake-indexeddb/auto";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createSyncClient, SDK_VERSION } from "synclens";
import { createSyncClient as createCoreClient } from "synclens/core";
import { exposeToDevtools } from "synclens/devtools";

const pkg = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")));
const failures = [];
if (typeof createSyncClient !== "function") failures.push("createSyncClient is not exported");
if (typeof createCoreClient !== "function") failures.push('"synclens/core" does not export createSyncClient');
if (typeof exposeToDevtools !== "function") failures.push('"synclens/devtools" does not export exposeToDevtools');
if (SDK_VERSION !== pkg.version) failures.push(`SDK_VERSION ${SDK_VERSION} != ${pkg.version}`);
for (const file of [pkg.exports["."].types, pkg.exports["."].import, pkg.exports["./devtools"].types, pkg.exports["./devtools"].import, pkg.exports["./bundle"].default, pkg.exports["./core"].types, pkg.exports["./core"].import, pkg.exports["./core/bundle"].default]) {
  if (!existsSync(new URL(`../${file}`, import.meta.url))) failures.push(`${file} is missing`);
}
const client = createSyncClient({ name: "package-check", endpoint: "http://127.0.0.1:9/api/x", pingUrl: false, triggers: { onWrite: false, intervalMs: 0 } });
await client.save({ id: "a" });
if ((await client.queue()).length !== 1) failures.push("save() did not queue an operation");
await client.close();
const core = createCoreClient({ name: "package-check-core", endpoint: "http://127.0.0.1:9/api/x", pingUrl: false, triggers: { onWrite: false, intervalMs: 0 } });
await core.save({ id: "a" });
if ((await core.queue()).length !== 1) failures.push("the core client's save() did not queue an operation");
if ("exportSnapshot" in core) failures.push("the core client carries the full client's exportSnapshot");
await core.close();
// The shipped declarations, as an app type-checks them: Node's own ESM resolution and a bundler's.
for (const resolution of ["nodenext", "bundler"]) {
  try {
    execFileSync(process.execPath, [new URL("../node_modules/typescript/bin/tsc", import.meta.url).pathname, "-p", `test/package/tsconfig.${resolution}.json`], { stdio: "pipe" });
  } catch (error) {
    failures.push(`the types do not check under moduleResolution ${resolution}:\n${error.stdout}`);
  }
}
if (failures.length) {
  console.error(`package check failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log(`package check: "synclens" ${SDK_VERSION}, "synclens/core" and "synclens/devtools" resolve to ESM with types that check under nodenext and bundler resolution; 1 passed, 0 failed`);
