/** Debian's Chromium, never a downloaded build. */
export const CHROME_PATH = process.env["CHROME_PATH"] ?? "/usr/bin/chromium";

/**
 * Flags every launch here uses: no sandbox (root in CI), no GPU, and none of the background traffic that
 * this machine's closed network would refuse.
 */
export const CHROME_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
