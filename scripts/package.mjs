// `npm run package` (after `npm run build`): the unpacked extension in dist/ as a versioned zip for the
// Chrome Web Store, `release/synclens-extension-<version>.zip`. The SDK's files (dist/sdk/) are the npm
// package's, not the extension's, and stay out.
import AdmZip from "adm-zip";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Writes the zip and returns its path. */
export function packageExtension() {
  const { version } = JSON.parse(readFileSync(`${root}package.json`, "utf8"));
  const manifest = JSON.parse(readFileSync(`${root}dist/manifest.json`, "utf8"));
  if (manifest.version !== version) throw new Error(`dist/manifest.json is version ${manifest.version}, package.json ${version}: run npm run build`);
  const zip = new AdmZip();
  zip.addLocalFolder(`${root}dist`, "", (path) => !/^sdk([\\/]|$)/.test(path));
  mkdirSync(`${root}release`, { recursive: true });
  const file = `${root}release/synclens-extension-${version}.zip`;
  zip.writeZip(file);
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!existsSync(`${root}dist/manifest.json`)) throw new Error("no dist/manifest.json: run npm run build first");
  console.log(`wrote ${packageExtension()}`);
}
