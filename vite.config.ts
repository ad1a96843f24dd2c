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

/** The add-on's id in Firefox (it keeps storage and the panel's `moz-extension://` origin across installs). */
export const GECKO_ID = "synclens@synclens.dev";

/**
 * Firefox's variant of the same manifest: MV3 there has no extension service worker, so the worker's
 * code runs as an event page (background scripts, an ES module like the worker), and AMO wants an id, a
 * minimum version and the data the add-on collects (none). 142 is the first Firefox that knows
 * `data_collection_permissions`; `world: "MAIN"` content scripts need 128.
 */
function firefoxManifest(): ManifestV3Export {
  const { minimum_chrome_version: _chrome, background, ...rest } = declared as Record<string, unknown> & { background: { service_worker: string } };
  return {
    ...rest,
    background: { scripts: [background.service_worker], type: "module" },
    browser_specific_settings: { gecko: { id: GECKO_ID, strict_min_version: "142.0", data_collection_permissions: { required: ["none"] } } },
  } as unknown as ManifestV3Export;
}

/**
 * The content scripts run at document_start and must be one classic script each (the hook before any
 * page script; the relay before the SDK's first message): `--mode content-<name>` builds each as an IIFE
 * of our own (crxjs's IIFE path passes rolldown an option it ignores, and warns on every build). The
 * last one declares them all in dist/manifest.json, as manifest.json lists them.
 */
const CONTENT_SCRIPTS: Record<string, string> = { "content-hook": "extension/hook.iife.ts", "content-relay": "extension/content.iife.ts" };
const builtName = (source: string) => source.replace(/\.iife\.ts$/, ".js");

function declareContentScripts(outDir: string): Plugin {
  return {
    name: "synclens-declare-content-scripts",
    closeBundle() {
      const file = new URL(`./${outDir}/manifest.json`, import.meta.url);
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
 * - `vite build`: the browser extension (crxjs follows manifest.json) into `dist/`, for Chrome; `--mode firefox` the same
 *   for Firefox into `dist-firefox/` (its manifest: `firefoxManifest()`). Each then needs its two content-script builds.
 * - `vite build --mode sdk`: the SDK as an ESM library into `dist/sdk/` (`index.js`, `core.js`, `devtools.js`; types
 *   come from `tsc -p tsconfig.sdk.json`).
 * - `vite build --mode server`: the server library (`synclens/server`, `/server/sqlite`, `/server/postgres`, `/server/conformance`
 *   and the `synclens-conformance` bin) for Node into
 *   `dist/server/` (types from `tsc -p tsconfig.server.json`); the database drivers stay the app's own imports.
 * - `vite build --mode sdk-bundle` and `--mode sdk-core-bundle`: the SDK (full, or the core alone) with idb inlined,
 *   minified, for pages and workers without a bundler (module workers do not see a page's import map):
 *   `dist/sdk/synclens.bundle.js` and `dist/sdk/synclens-core.bundle.js`.
 */
export default defineConfig(({ mode }) => {
  // `--mode firefox`, `--mode firefox-content-hook`, `--mode firefox-content-relay`: the same extension for Firefox, into dist-firefox/.
  const firefox = mode === "firefox" || mode.startsWith("firefox-");
  const outDir = firefox ? "dist-firefox" : "dist";
  const part = firefox ? mode.replace(/^firefox-?/, "") : mode;
  if (firefox && part === "") return extensionBuild(outDir, crx({ manifest: firefoxManifest(), browser: "firefox" }));
  return CONTENT_SCRIPTS[part]
    ? {
        plugins: part === "content-relay" ? [declareContentScripts(outDir)] : [],
        build: {
          outDir,
          emptyOutDir: false,
          minify: false,
          lib: { entry: CONTENT_SCRIPTS[part]!, formats: ["iife"], name: part.replace("-", "_"), fileName: () => builtName(CONTENT_SCRIPTS[part]!) },
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
    : extensionBuild(outDir, crx({ manifest }));
});

/** The extension (crxjs follows the manifest) into `outDir`. */
function extensionBuild(outDir: string, crxPlugins: ReturnType<typeof crx>): UserConfig {
  return {
    plugins: [preact(), crxPlugins],
    build: {
      outDir,
      emptyOutDir: true,
      // crxjs only follows pages named in the manifest; the panel is opened from code.
      rolldownOptions: { input: { panel: "devtools-panel/index.html" } },
    },
  };
}
