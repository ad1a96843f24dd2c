// `npm run package` (after `npm run build`): the unpacked extensions as versioned zips, one per browser:
// `release/synclens-extension-<version>.zip` from dist/ for the Chrome Web Store, and
// `release/synclens-extension-<version>-firefox.zip` from dist-firefox/ for addons.mozilla.org. The npm package's
// files that the build also writes into dist/ (the SDK in dist/sdk/, the server library in dist/server/) stay out.
import AdmZip from "adm-zip";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const BUILDS = { chrome: { dir: "dist", suffix: "" }, firefox: { dir: "dist-firefox", suffix: "-firefox" } };

/** Writes the zip of `browser`'s build and returns its path. */
export function packageExtension(browser = "chrome") {
  const { dir, suffix } = BUILDS[browser];
  const { version } = JSON.parse(readFileSync(`${root}package.json`, "utf8"));
  if (!existsSync(`${root}${dir}/manifest.json`)) throw new Error(`no ${dir}/manifest.json: run npm run build first`);
  const manifest = JSON.parse(readFileSync(`${root}${dir}/manifest.json`, "utf8"));
  if (manifest.version !== version) throw new Error(`${dir}/manifest.json is version ${manifest.version}, package.json ${version}: run npm run build`);
  const zip = new AdmZip();
  zip.addLocalFolder(`${root}${dir}`, "", (path) => !/^(sdk|server)([\\/]|$)/.test(path));
  mkdirSync(`${root}release`, { recursive: true });
  const file = `${root}release/synclens-extension-${version}${suffix}.zip`;
  zip.writeZip(file);
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const browser of Object.keys(BUILDS)) console.log(`wrote ${packageExtension(browser)}`);
}
