import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { SDK_VERSION } from "../../sdk";

it("SDK_VERSION matches package.json, and manifest.json has no version of its own (the build takes package.json's)", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  const manifest = JSON.parse(readFileSync(new URL("../../manifest.json", import.meta.url), "utf8")) as { version?: string };
  expect(SDK_VERSION).toBe(pkg.version);
  expect(manifest.version).toBeUndefined();
});
