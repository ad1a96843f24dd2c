import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../support/client";
import { freePort } from "../support/ports";

/** `npm run demo` as a user starts it (the build skipped: these tests are about starting and stopping). */
const running: ChildProcess[] = [];
// SIGTERM first: the demo then ends its server's process group. SIGKILL would leave that server running.
afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
});

function start(command: string, args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, { cwd: process.cwd(), env: { ...process.env, SYNCLENS_DEMO_SKIP_BUILD: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.push(child);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += String(chunk)));
  child.stderr!.on("data", (chunk) => (output += String(chunk)));
  return { child, output: () => output, exited: new Promise((resolve) => child.on("exit", resolve)) };
}


const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection(port, "127.0.0.1", () => (socket.destroy(), resolve(true)));
    socket.on("error", () => resolve(false));
  });

/** A stand-in for Chromium: records its arguments, then `behaviour` (exit at once with an error, or report it is up and stay). */
function fakeBrowser(behaviour: "fails" | "up"): { path: string; args: () => string } {
  const dir = mkdtempSync(join(tmpdir(), "fake-browser-"));
  const path = join(dir, "chromium");
  const script = behaviour === "fails" ? 'echo "Missing X server or $DISPLAY" >&2; exit 1' : 'echo "DevTools listening on ws://127.0.0.1:1/devtools/browser/x" >&2; exec sleep 60';
  writeFileSync(path, `#!/bin/sh\necho "$@" > "${dir}/args"\n${script}\n`);
  chmodSync(path, 0o755);
  return { path, args: () => readFileSync(join(dir, "args"), "utf8") };
}

describe("npm run demo starts and stops cleanly", () => {
  it("SIGTERM to `npm run demo` ends the demo and its server: the port is free again", async () => {
    const port = await freePort();
    const demo = start("npm", ["run", "demo"], { PORT: String(port), SYNCLENS_DEMO_NO_BROWSER: "1" });
    await waitFor(() => demo.output().includes("SyncLens demo:"), 30_000, "the demo to start");
    expect(await answers(port)).toBe(true);
    demo.child.kill("SIGTERM");
    await waitFor(async () => !(await answers(port)), 10_000, "the port to be free again");
  });

  it("SIGHUP (the terminal closed) ends the demo and its server", async () => {
    const port = await freePort();
    const demo = start(process.execPath, ["scripts/demo.mjs"], { PORT: String(port), SYNCLENS_DEMO_NO_BROWSER: "1" });
    await waitFor(() => demo.output().includes("SyncLens demo:"), 30_000, "the demo to start");
    demo.child.kill("SIGHUP");
    expect(await demo.exited).toBe(0);
    await waitFor(async () => !(await answers(port)), 10_000, "the port to be free again");
  });

  it("a taken port is one clear line, not stack traces", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const demo = start(process.execPath, ["scripts/demo.mjs"], { PORT: String(port), SYNCLENS_DEMO_NO_BROWSER: "1" });
      expect(await demo.exited).toBe(1);
      expect(demo.output().trim()).toBe(`Port ${port} is taken (is another demo still running?): stop it, or start this one on another port: PORT=${port + 1} npm run demo`);
    } finally {
      taken.close();
    }
  });

  it("says 'Opened' only when the browser is up; a browser that exits at once is reported with what it said", async () => {
    const failing = fakeBrowser("fails");
    const port = await freePort();
    const demo = start(process.execPath, ["scripts/demo.mjs"], { PORT: String(port), CHROME_PATH: failing.path, DISPLAY: ":99", SYNCLENS_DEMO_NO_BROWSER: "" });
    await waitFor(() => demo.output().includes("Ctrl+C stops the demo"), 30_000, "the demo to start");
    expect(demo.output()).not.toContain("Opened");
    expect(demo.output()).toContain(`${failing.path} exited at once (code 1):`);
    expect(demo.output()).toContain("Missing X server or :99");
    if (process.getuid?.() === 0) expect(failing.args()).toContain("--no-sandbox");
    demo.child.kill("SIGTERM");
    await demo.exited;

    const working = fakeBrowser("up");
    const again = start(process.execPath, ["scripts/demo.mjs"], { PORT: String(await freePort()), CHROME_PATH: working.path, DISPLAY: ":99", SYNCLENS_DEMO_NO_BROWSER: "" });
    await waitFor(() => again.output().includes("Ctrl+C stops the demo"), 30_000, "the demo to start");
    expect(again.output()).toContain(`Opened ${working.path} with the extension loaded`);
  });

  it("says the true reason no browser was started", async () => {
    const demo = start(process.execPath, ["scripts/demo.mjs"], { PORT: String(await freePort()), CHROME_PATH: fakeBrowser("up").path, DISPLAY: ":99", SYNCLENS_DEMO_NO_BROWSER: "1" });
    await waitFor(() => demo.output().includes("Ctrl+C stops the demo"), 30_000, "the demo to start");
    expect(demo.output()).toContain("SYNCLENS_DEMO_NO_BROWSER is set, so no browser was started.");
    expect(demo.output()).not.toContain("No display found");
  });
});
