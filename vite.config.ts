import { crx, type ManifestV3Export } from "@crxjs/vite-plugin";
import preact from "@preact/preset-vite";
import { readFileSync } from "node:fs";
import { defineConfig } from "vite";

const manifest = JSON.parse(readFileSync(new URL("./manifest.json", import.meta.url), "utf8")) as ManifestV3Export;

/**
 * Two builds from one config:
 * - `vite build`: the browser extension (crxjs follows manifest.json) into `dist/`.
 * - `vite build --mode sdk`: the SDK as an ESM library into `dist/sdk/` (types come from `tsc -p tsconfig.sdk.json`).
 */
export default defineConfig(({ mode }) =>
  mode === "sdk"
    ? {
        build: {
          outDir: "dist/sdk",
          emptyOutDir: false,
          sourcemap: true,
          minify: false,
          lib: { entry: "sdk/index.ts", formats: ["es"], fileName: () => "index.js" },
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
