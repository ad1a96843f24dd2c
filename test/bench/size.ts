/**
 * SDK size: measures what we ship, dist/sdk/synclens-core.bundle.js and dist/sdk/synclens.bundle.js as
 * `npm run build` wrote them (the core or the full SDK, idb inlined, minified), against a baseline built in
 * the same run: idb alone, bundled and minified the way the shipped bundles are (vite build() lib mode, ESM,
 * rolldown `output.minify: true`), in memory. The target applies to the core.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "vite";
import type { SizeFigures, SizeResults } from "./types";

/** The target: the core SDK's bundle (idb included), minified and gzipped. 10 KiB = 10,240 B. */
export const TARGET_GZIP_BYTES = 10 * 1024;

const CORE_BUNDLE_PATH = "dist/sdk/synclens-core.bundle.js";
const BUNDLE_PATH = "dist/sdk/synclens.bundle.js";
const ESM_PATH = "dist/sdk/index.js";
const IDB_ENTRY = "node_modules/idb/build/index.js";

const gzip = (code: string | Buffer): number => gzipSync(code, { level: 9 }).byteLength;

const figures = (code: string | Buffer): SizeFigures => ({ bytes: Buffer.byteLength(code), gzipBytes: gzip(code) });

async function readBuilt(root: string, path: string): Promise<Buffer> {
  const file = resolve(root, path);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return readFile(file);
}

/** idb bundled like the shipped bundle (vite.config.ts, mode "sdk-bundle"), minus writing to disk. */
async function bundleIdb(root: string): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: "silent",
    root,
    publicDir: false,
    build: {
      write: false,
      copyPublicDir: false,
      reportCompressedSize: false,
      lib: { entry: resolve(root, IDB_ENTRY), formats: ["es"], fileName: () => "idb.bundle.js" },
      rolldownOptions: { output: { minify: true } },
    },
  });
  const outputs = Array.isArray(result) ? result : [result];
  let code = "";
  for (const output of outputs) {
    if (!("output" in output)) throw new Error("vite build returned a watcher");
    for (const chunk of output.output) if (chunk.type === "chunk") code += chunk.code;
  }
  if (code === "") throw new Error(`empty bundle for ${IDB_ENTRY}`);
  return code;
}

export async function measureSizes(root: string): Promise<SizeResults> {
  const core = await readBuilt(root, CORE_BUNDLE_PATH);
  const bundle = await readBuilt(root, BUNDLE_PATH);
  const esm = await readBuilt(root, ESM_PATH);
  return {
    core: { path: CORE_BUNDLE_PATH, ...figures(core) },
    bundle: { path: BUNDLE_PATH, ...figures(bundle) },
    idbAlone: figures(await bundleIdb(root)),
    esm: { path: ESM_PATH, bytes: esm.byteLength },
    targetGzipBytes: TARGET_GZIP_BYTES,
  };
}
