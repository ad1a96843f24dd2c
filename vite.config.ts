import { crx, type ManifestV3Export } from "@crxjs/vite-plugin";
import preact from "@preact/preset-vite";
import { readFileSync } from "node:fs";
import { defineConfig } from "vite";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };
// The extension's version is the package's: manifest.json carries none of its own.
const manifest = { ...JSON.parse(readFileSync(new URL("./manifest.json", import.meta.url), "utf8")), version: pkg.version } as ManifestV3Export;

/**
 * The builds from one config:
 * - `vite build`: the browser extension (crxjs follows manifest.json) into `dist/`.
 * - `vite build --mode sdk`: the SDK as an ESM library into `dist/sdk/` (`index.js`, `core.js`, `devtools.js`; types
 *   come from `tsc -p tsconfig.sdk.json`).
 * - `vite build --mode sdk-bundle` and `--mode sdk-core-bundle`: the SDK (full, or the core alone) with idb inlined,
 *   minified, for pages and workers without a bundler (module workers do not see a page's import map):
 *   `dist/sdk/synclens.bundle.js` and `dist/sdk/synclens-core.bundle.js`.
 */
export default defineConfig(({ mode }) =>
  mode === "sdk-bundle" || mode === "sdk-core-bundle"
    ? {
        build: {
          outDir: "dist/sdk",
          emptyOutDir: false,
          sourcemap: true,
          // Lib mode keeps whitespace in ES output for downstream tree-shaking; this file is loaded as is.
          rolldownOptions: { output: { minify: true, comments: false } },
          // One build per bundle: a lib build with two entries would share idb as a chunk, and each bundle must stand alone.
          lib:
            mode === "sdk-bundle"
              ? { entry: "sdk/index.ts", formats: ["es"], fileName: () => "synclens.bundle.js" }
              : { entry: "sdk/core.ts", formats: ["es"], fileName: () => "synclens-core.bundle.js" },
        },
      }
    : mode === "sdk"
    ? {
        build: {
          outDir: "dist/sdk",
          emptyOutDir: false,
          sourcemap: true,
          minify: false,
          // The DevTools bridge is its own entry: apps that do not import it do not ship it.
          lib: { entry: { index: "sdk/index.ts", core: "sdk/core.ts", devtools: "sdk/bridge/devtools.ts" }, formats: ["es"], fileName: (_format, name) => `${name}.js` },
          rolldownOptions: { external: ["idb"] },
        },
      }
    : {
        plugins: [preact(), crx({ manifest })],
        build: {
          outDir: "dist",
          emptyOutDir: true,
          // crxjs only follows pages named in the manifest; the panel is opened from code.
          rolldownOptions: { input: { panel: "devtools-panel/index.html" } },
        },
      },
);
