// `npm run demo`: installs what is missing and builds, then serves the demo app on http://127.0.0.1:8787
// and, where a Chromium and a display are at hand, starts that Chromium with the SyncLens extension
// loaded and DevTools open on the app. Elsewhere it prints how to load dist/ as an unpacked extension.
// Ctrl+C, SIGTERM or SIGHUP (and the end of the process that started it) stop everything it started.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const port = process.env.PORT ?? "8787";
/** How long a started browser has to say it is up (its DevTools endpoint) before the demo stops waiting. */
const BROWSER_UP_MS = 15_000;
const children = [];
let stopping = false;

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  // Each child leads a process group of its own (tsx runs the server in a grandchild): end the groups.
  for (const child of children) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
  }
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => stop(0));
// `kill <pid of npm run demo>` ends npm, which may not pass the signal on: this process is then orphaned.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && stop(0), 1000).unref();

if (!process.env.SYNCLENS_DEMO_SKIP_BUILD) {
  for (const [command, args] of [[process.execPath, [join(root, "scripts/setup.mjs")]], ["npm", ["run", "build"]]]) {
    if (spawnSync(command, args, { cwd: root, stdio: "inherit" }).status !== 0) process.exit(1);
  }
}

if (!(await portFree(port))) {
  console.error(`Port ${port} is taken (is another demo still running?): stop it, or start this one on another port: PORT=${Number(port) + 1} npm run demo`);
  process.exit(1);
}

const server = spawn(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "demo/server/main.ts", "--port", port, "--db", "data/demo.sqlite", "--admin"], {
  cwd: root,
  stdio: ["ignore", "pipe", "inherit"],
  detached: true,
});
children.push(server);

const url = await new Promise((resolveUrl) => {
  server.on("exit", (code) => {
    console.error(`The demo server exited (${code}).`);
    stop(1);
  });
  server.stdout.on("data", (chunk) => {
    const match = /listening on (http:\/\/\S+)/.exec(String(chunk));
    if (match) resolveUrl(match[1]);
  });
});

console.log(`\nSyncLens demo: ${url}\n`);
const browser = findChromium();
const display = process.platform !== "linux" || process.env.DISPLAY || process.env.WAYLAND_DISPLAY;
const why = process.env.SYNCLENS_DEMO_NO_BROWSER
  ? "SYNCLENS_DEMO_NO_BROWSER is set, so no browser was started."
  : !browser
    ? "No Chromium found; set CHROME_PATH to start one automatically."
    : !display
      ? "No display found (DISPLAY and WAYLAND_DISPLAY are unset), so no browser was started."
      : null;
const started = why ? { up: false, reason: why } : await startBrowser(browser, url);
if (started.up) {
  console.log(`Opened ${browser} with the extension loaded and DevTools open: pick the "SyncLens" panel.`);
} else {
  console.log(
    [
      "To inspect it with the SyncLens panel:",
      "  1. Open chrome://extensions in Chromium, turn on Developer mode, Load unpacked: " + join(root, "dist"),
      `  2. Open ${url}, then DevTools (F12), and pick the "SyncLens" panel.`,
      `  (${started.reason})`,
    ].join("\n"),
  );
}
console.log("\nCtrl+C stops the demo.");

/** Starts Chromium with the extension; resolves once it reports its DevTools endpoint (it is up), or with why not. */
function startBrowser(path, appUrl) {
  const profile = mkdtempSync(join(tmpdir(), "synclens-demo-"));
  const dist = join(root, "dist");
  const args = [`--user-data-dir=${profile}`, `--disable-extensions-except=${dist}`, `--load-extension=${dist}`, "--auto-open-devtools-for-tabs", "--no-first-run", "--remote-debugging-port=0"];
  // Chromium refuses to run as root with its sandbox on.
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  const child = spawn(path, [...args, appUrl], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  children.push(child);
  let output = "";
  return new Promise((resolveStart) => {
    const timer = setTimeout(() => resolveStart({ up: false, reason: `${path} did not report that it was up within ${BROWSER_UP_MS / 1000} s; it may still open` }), BROWSER_UP_MS);
    child.stderr.on("data", (chunk) => {
      output += String(chunk);
      if (/DevTools listening on ws:\/\//.test(output)) {
        clearTimeout(timer);
        resolveStart({ up: true });
      }
    });
    const failed = (detail) => {
      clearTimeout(timer);
      const said = output.trim().split("\n").slice(-5).join("\n     ");
      resolveStart({ up: false, reason: `${path} ${detail}${said ? `:\n     ${said}` : ""}` });
    };
    child.on("error", (error) => failed(`could not start (${error.message})`));
    child.on("close", (code, signal) => failed(`exited at once (${signal ?? `code ${code}`})`)); // "close": after its output is read
  });
}

function portFree(number) {
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once("error", () => resolveFree(false));
    probe.listen(Number(number), "127.0.0.1", () => probe.close(() => resolveFree(true)));
  });
}

function findChromium() {
  const candidates = [
    process.env.CHROME_PATH,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
  ];
  return candidates.find((path) => path && existsSync(path));
}
