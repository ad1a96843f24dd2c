import type { Locator, Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Where the tests' pictures go: `docs/images/` when `UPDATE_SCREENSHOTS=1` (`npm run screenshots`, so the
 * README shows what the tests saw), else `test-output/screenshots/` (Playwright empties `test-results/` on every run), so a plain test run leaves the
 * repository untouched.
 */
const folder = fileURLToPath(new URL(process.env["UPDATE_SCREENSHOTS"] === "1" ? "../../docs/images/" : "../../test-output/screenshots/", import.meta.url));

/** A docked DevTools pane on a laptop screen. */
export const PANEL_SIZE = { width: 1100, height: 620 };

/** Where the picture `name` goes (the folder exists once this returns). */
export function screenshotPath(name: string): string {
  mkdirSync(folder, { recursive: true });
  return `${folder}${name}.png`;
}

export async function screenshot(target: Page | Locator, name: string): Promise<void> {
  // Countdowns and carets change between runs; the picture is of the layout and the data.
  await target.screenshot({ path: screenshotPath(name), animations: "disabled", caret: "hide" });
}
