import { crx, type ManifestV3Export } from "@crxjs/vite-plugin";
import preact from "@preact/preset-vite";
import { readFileSync, writeFileSync } from "node:fs";
import { defineConfig, type Plugin, type UserConfig } from "vite";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };
// The extension's version is the package's: manifest.json carries none of its own.
const { content_scripts: contentScripts, ...declared } = { ...JSON.parse(readFileSync(new URL("./manifest.json", import.meta.url), "utf8")), version: pkg.version } as {
  content_scripts: { js: string[] }[];
};
const manifest = declared as ManifestV3Export;

/**
 * The content scripts run at document_start and must be one classic script each (the hook before any
 * page script; the relay before the SDK's first message): `--mode content-<name>` builds each as an IIFE
 * of our own (crxjs's IIFE path passes rolldown an option it ignores, and warns on every build). The
 * last one declares them all in dist/manifest.json, as manifest.json lists them.
 */
const CONTENT_SCRIPTS: Record<string, string> = { "content-hook": "extension/hook.iife.ts", "content-relay": "extension/content.iife.ts" };
const builtName = (source: string) => source.replace(/\.iife\.ts$/, ".js");

function declareContentScripts(): Plugin {
  return {
    name: "synclens-declare-content-scripts",
    closeBundle() {
      const file = new URL("./dist/manifest.json", import.meta.url);
      const built = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      built["content_scripts"] = contentScripts.map((script) => ({ ...script, js: script.js.map(builtName) }));
      writeFileSync(file, `${JSON.stringify(built, null, 2)}\n`);
    },
  };
}

const SERVER_BUILD: UserConfig = {
  build: {
    outDir: "dist/server",
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    target: "node20",
    lib: {
      entry: {
        index: "server/index.ts",
        sqlite: "server/sqlite.ts",
        postgres: "server/postgres.ts",
        "conformance/index": "server/conformance/index.ts",
        "conformance/cli": "server/conformance/cli.ts",
      },
      formats: ["es"],
      fileName: (_format, name) => `${name}.js`,
    },
    rolldownOptions: { external: [/^node:/, "pg", "better-sqlite3"] },
  },
};

/**
 * The builds from one config:
 * - `vite build`: the browser extension (crxjs follows manifest.json) into `dist/`.
 * - `vite build --mode sdk`: the SDK as an ESM library into `dist/sdk/` (`index.js`, `core.js`, `devtools.js`; types
 *   come from `tsc -p tsconfig.sdk.json`).
 * - `vite build --mode server`: the server library (`synclens/server`, `/server/sqlite`, `/server/postgres`, `/server/conformance`
 *   and the `synclens-conformance` bin) for Node into
 *   `dist/server/` (types from `tsc -p tsconfig.server.json`); the database drivers stay the app's own imports.
 * - `vite build --mode sdk-bundle` and `--mode sdk-core-bundle`: the SDK (full, or the core alone) with idb inlined,
 *   minified, for pages and workers without a bundler (module workers do not see a page's import map):
 *   `dist/sdk/synclens.bundle.js` and `dist/sdk/synclens-core.bundle.js`.
 */
export default defineConfig(({ mode }) =>
  CONTENT_SCRIPTS[mode]
    ? {
        plugins: mode === "content-relay" ? [declareContentScripts()] : [],
        build: {
          outDir: "dist",
          emptyOutDir: false,
          minify: false,
          lib: { entry: CONTENT_SCRIPTS[mode]!, formats: ["iife"], name: mode.replace("-", "_"), fileName: () => builtName(CONTENT_SCRIPTS[mode]!) },
        },
      }
    : mode === "sdk-bundle" || mode === "sdk-core-bundle"
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
    : mode === "server"
    ? SERVER_BUILD
    : mode === "sdk"
    ? {
        build: {
          outDir: "dist/sdk",
          emptyOutDir: false,
          sourcemap: true,
          minify: false,
          // The DevTools bridge is its own entry: apps that do not import it do not ship it.
          lib: { entry: { index: "sdk/index.ts", core: "sdk/core.ts", devtools: "sdk/bridge/devtools.ts", transports: "sdk/transports.ts" }, formats: ["es"], fileName: (_format, name) => `${name}.js` },
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
