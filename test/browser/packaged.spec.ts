import AdmZip from "adm-zip";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageExtension } from "../../scripts/package.mjs";
import { launchWithExtension, openAppWithPanel } from "./extension";
import { expect, test } from "./fixtures";

test("the extension as users install it: the unpacked contents of `npm run package`'s zip load, carry the package's version, and the panel connects", async ({ demo }) => {
  const zip = packageExtension();
  const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  expect(zip).toMatch(new RegExp(`synclens-extension-${version.replace(/\./g, "\\.")}\\.zip$`));
  const unpacked = mkdtempSync(join(tmpdir(), "synclens-zip-"));
  const archive = new AdmZip(zip);
  // The npm package's SDK and server library are built into dist/ too; they are not the extension's.
  expect(archive.getEntries().map((entry) => entry.entryName).filter((name) => /^(sdk|server)\//.test(name))).toEqual([]);
  archive.extractAllTo(unpacked);
  const manifest = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8")) as { version: string };
  expect(manifest.version).toBe(version);
  const browser = await launchWithExtension([], unpacked);
  try {
    const { panel } = await openAppWithPanel(browser, demo.url);
    await expect(panel.getByTestId("connection")).toHaveText("Connected");
    await expect(panel.locator('[data-testid="client"][data-name="demo-todos"]').getByTestId("state")).toHaveText("idle");
  } finally {
    await browser.close();
    rmSync(unpacked, { recursive: true, force: true });
  }
});
