// `npm run lint:firefox` (after `npm run build`): Mozilla's add-on linter (`web-ext lint`) on the Firefox build in
// dist-firefox/. Fails on any error, and on any warning that is not explained below.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Warnings we keep, each with where it comes from and why it is safe. */
const EXPLAINED = [
  {
    code: "UNSAFE_VAR_ASSIGNMENT",
    file: /^assets\/panel-[\w-]+\.js$/,
    // Preact's renderer assigns `innerHTML` only for `dangerouslySetInnerHTML`, which the panel never uses
    // (it renders everything the page sends as text: test/unit/panel-text.test.ts). The line is Preact's own.
    why: "Preact's dangerouslySetInnerHTML path, unused by the panel",
  },
];

if (!existsSync(`${root}dist-firefox/manifest.json`)) throw new Error("no dist-firefox/manifest.json: run npm run build first");
let output;
try {
  output = execFileSync("npx", ["web-ext", "lint", "--source-dir", "dist-firefox", "--output", "json"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
} catch (error) {
  // web-ext exits 1 when it finds errors; the JSON report is still on stdout.
  output = error.stdout;
}
const report = JSON.parse(output);
const unexplained = report.warnings.filter((warning) => !EXPLAINED.some((known) => known.code === warning.code && known.file.test(warning.file ?? "")));
for (const problem of [...report.errors, ...unexplained]) console.error(`${problem.code} ${problem.file ?? ""}:${problem.line ?? ""} ${problem.message}`);
const explained = report.warnings.length - unexplained.length;
console.log(`web-ext lint dist-firefox: ${report.errors.length} errors, ${unexplained.length} unexplained warnings, ${explained} explained (scripts/lint-firefox.mjs), ${report.notices.length} notices`);
if (report.errors.length > 0 || unexplained.length > 0) process.exitCode = 1;
