// `npm run demo`: the reference server with the demo app on http://127.0.0.1:8787 and, where a Chromium
// and a display are at hand, that Chromium with the SyncLens extension loaded and DevTools open on the
// app. Elsewhere it prints how to load dist/ as an unpacked extension. Ctrl+C stops everything.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const port = process.env.PORT ?? "8787";
const children = [];

const server = spawn(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "demo/server/main.ts", "--port", port, "--db", "data/demo.sqlite", "--admin"], {
  cwd: root,
  stdio: ["ignore", "pipe", "inherit"],
});
children.push(server);

const url = await new Promise((resolveUrl, reject) => {
  server.on("exit", (code) => reject(new Error(`the server exited (${code}); is port ${port} taken? PORT=8788 npm run demo`)));
  server.stdout.on("data", (chunk) => {
    const match = /listening on (http:\/\/\S+)/.exec(String(chunk));
    if (match) resolveUrl(match[1]);
  });
});

console.log(`\nSyncLens demo: ${url}\n`);
const browser = findChromium();
const display = process.platform !== "linux" || process.env.DISPLAY || process.env.WAYLAND_DISPLAY;
if (browser && display && !process.env.SYNCLENS_DEMO_NO_BROWSER) {
  const profile = mkdtempSync(join(tmpdir(), "synclens-demo-"));
  const dist = join(root, "dist");
  children.push(
    spawn(browser, [`--user-data-dir=${profile}`, `--disable-extensions-except=${dist}`, `--load-extension=${dist}`, "--auto-open-devtools-for-tabs", "--no-first-run", url], { stdio: "ignore" }),
  );
  console.log(`Opened ${browser} with the extension loaded and DevTools open: pick the "SyncLens" panel.`);
} else {
  console.log(
    [
      "To inspect it with the SyncLens panel:",
      "  1. Open chrome://extensions in Chromium, turn on Developer mode, Load unpacked: " + join(root, "dist"),
      `  2. Open ${url}, then DevTools (F12), and pick the "SyncLens" panel.`,
      browser ? "  (No display found, so no browser was started.)" : "  (No Chromium found; set CHROME_PATH to start one automatically.)",
    ].join("\n"),
  );
}
console.log("\nCtrl+C stops the demo.");

const stop = () => {
  for (const child of children) child.kill();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

function findChromium() {
  const candidates = [
    process.env.CHROME_PATH,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
  ];
  return candidates.find((path) => path && existsSync(path));
}
