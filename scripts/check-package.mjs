// After `npm run build`: the package resolves by its own name, as an app would import it, with types.
import "fake-indexeddb/auto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSyncClient, SDK_VERSION } from "synclens";
import { createSyncClient as createCoreClient } from "synclens/core";
import { exposeToDevtools } from "synclens/devtools";

const pkg = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")));
const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => join(root, "node_modules", ".bin", name);
const devVersion = (name) => pkg.devDependencies[name].replace(/^\^/, "");

/** What an app does with the installed package: every entry, in Node (IndexedDB from fake-indexeddb). */
const CONSUMER = `
import "fake-indexeddb/auto";
import { createSyncClient, SDK_VERSION } from "synclens";
import { createSyncClient as createCore } from "synclens/core";
import { exposeToDevtools } from "synclens/devtools";
import { restTransport } from "synclens/transports";
const options = (name) => ({ name, endpoint: "http://127.0.0.1:9/api/todos", pingUrl: false, triggers: { onWrite: false, intervalMs: 0 } });
const full = createSyncClient(options("full"));
await full.save({ id: "a", title: "x" });
const core = createCore(options("core"));
await core.save({ id: "b" });
const hide = exposeToDevtools(full); // Node: no window, no extension: nothing at all
const rest = createSyncClient({ ...options("rest"), transport: restTransport({ url: "http://127.0.0.1:9/todos" }) });
await rest.save({ id: "r" });
const restQueued = (await rest.queue()).length === 1;
await rest.close();
const ok = restQueued && SDK_VERSION && (await full.queue()).length === 1 && (await core.queue()).length === 1 && typeof hide === "function" && full.status.blocked === null;
await full.close();
await core.close();

// The server library on its embedded store, as an app's backend would use it.
const { createSyncHandler } = await import("synclens/server");
const { sqliteStore } = await import("synclens/server/sqlite");
const { postgresStore } = await import("synclens/server/postgres");
const { runConformance } = await import("synclens/server/conformance");
const handler = createSyncHandler({ store: sqliteStore(":memory:"), basePath: "/api" });
const put = await handler(new Request("http://app/api/todos/a", { method: "PUT", headers: { "Content-Type": "application/json", "Idempotency-Key": "k1", "If-None-Match": "*" }, body: JSON.stringify({ id: "a" }) }));
const feed = await (await handler(new Request("http://app/api/todos/_changes"))).json();
const served = put.status === 201 && feed.changes.length === 1 && typeof postgresStore === "function" && typeof runConformance === "function";
console.log(ok && served ? "ok" : "wrong");
`;
const failures = [];
if (typeof createSyncClient !== "function") failures.push("createSyncClient is not exported");
if (typeof createCoreClient !== "function") failures.push('"synclens/core" does not export createSyncClient');
if (typeof exposeToDevtools !== "function") failures.push('"synclens/devtools" does not export exposeToDevtools');
if (SDK_VERSION !== pkg.version) failures.push(`SDK_VERSION ${SDK_VERSION} != ${pkg.version}`);
for (const file of [pkg.exports["."].types, pkg.exports["."].import, pkg.exports["./devtools"].types, pkg.exports["./devtools"].import, pkg.exports["./bundle"].default, pkg.exports["./core"].types, pkg.exports["./core"].import, pkg.exports["./core/bundle"].default, pkg.exports["./transports"].types, pkg.exports["./transports"].import, ...["./server", "./server/sqlite", "./server/postgres", "./server/conformance"].flatMap((entry) => [pkg.exports[entry].types, pkg.exports[entry].import])]) {
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

// The tarball as npm would publish it: publint, arethetypeswrong, and an app that installs it.
const scratch = mkdtempSync(join(tmpdir(), "synclens-package-"));
const run = (command, args, cwd = root) => execFileSync(command, args, { cwd, encoding: "utf8", stdio: "pipe" });
try {
  const tarball = join(scratch, run("npm", ["pack", "--silent", "--pack-destination", scratch]).trim().split("\n").at(-1));
  const lint = run(process.execPath, [bin("publint"), "run", tarball, "--strict"]);
  if (!lint.includes("All good")) failures.push(`publint:\n${lint}`);
  // .attw.json: profile "esm-only". The package is ESM only ("type": "module", no CommonJS build), so
  // node10 resolution (no "exports") and require() from CommonJS are not ours to pass; ESM and bundlers are.
  try {
    run(process.execPath, [bin("attw"), tarball, "--format", "table-flipped", "--no-color"]);
  } catch (error) {
    failures.push(`arethetypeswrong:\n${error.stdout}`);
  }
  // An app installs the tarball and uses every entry, as a user would.
  const app = join(scratch, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  // The database drivers are the app's (optional peers); better-sqlite3 from this checkout, whose native build is there.
  const drivers = [join(root, "node_modules", "better-sqlite3"), `pg@${devVersion("pg")}`];
  // --ignore-scripts: npm would otherwise rebuild the linked better-sqlite3 in this checkout's node_modules.
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", tarball, `fake-indexeddb@${devVersion("fake-indexeddb")}`, ...drivers], app);
  writeFileSync(join(app, "use.mjs"), CONSUMER);
  const used = run(process.execPath, ["use.mjs"], app).trim();
  if (used !== "ok") failures.push(`the installed package did not work in an app: ${used}`);
  const help = run(join(app, "node_modules", ".bin", "synclens-conformance"), ["--help"], app);
  if (!help.includes("synclens-conformance")) failures.push(`the synclens-conformance bin did not answer --help:\n${help}`);
} catch (error) {
  failures.push(`packing and installing the package failed: ${error.stderr || error.message}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

if (failures.length) {
  console.error(`package check failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log(`package check: "synclens" ${SDK_VERSION}, "synclens/core", "synclens/devtools", "synclens/transports" and "synclens/server" (with /sqlite, /postgres, /conformance and the synclens-conformance bin) resolve to ESM with types that check under nodenext and bundler resolution; the packed tarball passes publint (strict) and arethetypeswrong (esm-only), and an app that installs it uses every entry; 1 passed, 0 failed`);
