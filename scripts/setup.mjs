// Makes a fresh clone runnable: installs npm dependencies when they are missing or stale; with
// --browser, Debian's chromium and firefox-esr when missing; with --postgres, Debian's postgresql when it is
// missing (the tests start a private cluster of their own). Never downloads a browser build of its own.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";

const run = (command) => execSync(command, { stdio: "inherit" });

function dependenciesStale() {
  const marker = "node_modules/.package-lock.json";
  if (!existsSync(marker)) return true;
  return statSync("package-lock.json").mtimeMs > statSync(marker).mtimeMs;
}

if (dependenciesStale()) {
  console.log("setup: installing npm dependencies (npm ci)");
  run("npm ci --no-audit --no-fund");
}

const sudo = process.getuid?.() === 0 ? "" : "sudo ";
const aptInstall = (name) => run(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${name}`);

if (process.argv.includes("--postgres")) {
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql") : [];
  if (!versions.some((version) => existsSync(`/usr/lib/postgresql/${version}/bin/initdb`))) {
    console.log("setup: installing Debian's postgresql (the tests run a private cluster of it)");
    aptInstall("postgresql");
  }
}

if (process.argv.includes("--browser")) {
  const chrome = process.env.CHROME_PATH ?? "/usr/bin/chromium";
  if (!existsSync(chrome)) {
    if (process.env.CHROME_PATH) throw new Error(`CHROME_PATH=${chrome} does not exist`);
    console.log("setup: installing Debian's chromium");
    aptInstall("chromium");
  }
  const firefox = process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr";
  if (!existsSync(firefox)) {
    if (process.env.FIREFOX_PATH) throw new Error(`FIREFOX_PATH=${firefox} does not exist`);
    console.log("setup: installing Debian's firefox-esr (the extension's Firefox build is tested in it)");
    aptInstall("firefox-esr");
  }
}
