import { readFileSync } from "node:fs";
import { join } from "node:path";
import puppeteer, { type Browser, type LaunchOptions } from "puppeteer-core";

/** Debian's Firefox ESR, never a downloaded build. */
export const FIREFOX_PATH = process.env["FIREFOX_PATH"] ?? "/usr/bin/firefox-esr";

/** Debian's Firefox, headless, driven over WebDriver BiDi; `options` add to that (prefs, args). */
export function launchHeadlessFirefox(options: LaunchOptions = {}): Promise<Browser> {
  return puppeteer.launch({ browser: "firefox", protocol: "webDriverBiDi", executablePath: FIREFOX_PATH, headless: true, ...options });
}

/** Fixes the add-on's `moz-extension://` host, which Firefox otherwise draws at random on each install. */
export const EXTENSION_UUID = "5f1e2c3d-0021-4f1a-9e21-5b1e2c3d4e5f";

export interface FirefoxWithExtension {
  browser: Browser;
  /** The add-on's id, as its built manifest names it. */
  addonId: string;
  /** `moz-extension://<uuid>/`. */
  base: string;
  /** Runs `expression` in the browser window's privileged (chrome) scope; what it evaluates to must be JSON. */
  evaluateInChrome<T>(expression: string): Promise<T>;
}

/** The subset of puppeteer's WebDriver BiDi connection used to reach the chrome scope, which puppeteer has no API for. */
interface BidiConnection {
  send(method: string, params: object): Promise<{ result: unknown }>;
}
type EvaluateResult = { type: "success"; result: { type: string; value?: unknown } } | { type: "exception"; exceptionDetails: { text: string } };

/**
 * Headless Firefox over WebDriver BiDi (puppeteer-core) with `extension` (an unpacked build) installed as a
 * temporary add-on. `--remote-allow-system-access` lets the driver open extension pages and evaluate in
 * the browser's own scope (where the toolbox is opened and the event page is stopped).
 */
export async function launchFirefox(extension: string): Promise<FirefoxWithExtension> {
  const manifest = JSON.parse(readFileSync(join(extension, "manifest.json"), "utf8")) as { browser_specific_settings: { gecko: { id: string } } };
  const addonId = manifest.browser_specific_settings.gecko.id;
  const browser = await launchHeadlessFirefox({
    // Pages take the window's size (puppeteer's 800x600 emulation would paint the page over a docked toolbox).
    defaultViewport: null,
    args: ["--remote-allow-system-access", "-width", "1280", "-height", "900"],
    extraPrefsFirefox: {
      "extensions.webextensions.uuids": JSON.stringify({ [addonId]: EXTENSION_UUID }),
      // Background tabs keep their timers (else clamped to 1 s), as Playwright's Chromium has it
      // (--disable-background-timer-throttling): the app's tab is in the background whenever its panel, opened as
      // a tab, is in front.
      "dom.min_background_timeout_value": 4,
      "dom.min_background_timeout_value_without_budget_throttling": 4,
      "dom.timeout.enable_budget_timer_throttling": false,
    },
  });
  try {
    await browser.installExtension(extension);
    const connection = (browser as unknown as { connection: BidiConnection }).connection;
    let chromeContext: string | undefined;
    return {
      browser,
      addonId,
      base: `moz-extension://${EXTENSION_UUID}/`,
      async evaluateInChrome<T>(expression: string): Promise<T> {
        if (!chromeContext) {
          const { contexts } = (await connection.send("browsingContext.getTree", { "moz:scope": "chrome" })).result as { contexts: { context: string; url: string }[] };
          chromeContext = contexts.find((context) => context.url === "chrome://browser/content/browser.xhtml")?.context;
          if (!chromeContext) throw new Error("no browser window in the chrome scope");
        }
        const { result } = await connection.send("script.evaluate", {
          expression: `(async () => JSON.stringify(await (${expression})))()`,
          target: { context: chromeContext },
          awaitPromise: true,
        });
        const outcome = result as EvaluateResult;
        if (outcome.type === "exception") throw new Error(`in the chrome scope: ${outcome.exceptionDetails.text}`);
        const json = outcome.result.value;
        return (typeof json === "string" ? JSON.parse(json) : undefined) as T;
      },
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
