import { chromium, type Browser as PlaywrightBrowser, type BrowserContext, type Page as PlaywrightPage } from "@playwright/test";
import type { Browser as PuppeteerBrowser, Page as PuppeteerPage } from "puppeteer-core";
import { CHROME_ARGS, CHROME_PATH } from "../support/chromium";
import { launchHeadlessFirefox } from "../support/firefox";

/**
 * The SDK's own browser tests in Chromium (Playwright) and in Firefox (puppeteer-core over WebDriver BiDi:
 * Playwright's Firefox needs a build of its own, and Debian's firefox-esr is what we test). A scenario
 * written against `TestBrowser` and `Tab` runs unchanged in both; the rest of each library stays out.
 */
export const BROWSERS = ["chromium", "firefox"] as const;
export type BrowserName = (typeof BROWSERS)[number];

export interface Tab {
  /** The page's uncaught errors so far. */
  readonly errors: string[];
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Runs `fn` in the page; its argument and result cross as JSON. */
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /** The text of the first element `selector` matches ("" when none does). */
  text(selector: string): Promise<string>;
  count(selector: string): Promise<number>;
  /** Types `value` into the field `selector` names, as a user would, then presses Enter. */
  submit(selector: string, value: string): Promise<void>;
  click(selector: string): Promise<void>;
  /** Makes the requests whose URL `pattern` matches fail as a lost connection would (null: none). */
  blockRequests(pattern: RegExp | null): Promise<void>;
  close(): Promise<void>;
}

export interface TestBrowser {
  readonly name: BrowserName;
  newTab(): Promise<Tab>;
  /** Cuts every tab off the network, as a lost connection does (`offline`, then `online` events), or reconnects them. */
  setOffline(offline: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** The storage quota of every origin, in bytes (Chromium: set per origin as a tab opens it; Firefox: for the whole profile). */
  quotaBytes?: number;
}

/** `selector` for the element with `data-testid` `id`. */
export const byTestId = (id: string) => `[data-testid="${id}"]`;

export async function launchBrowser(name: BrowserName, options: LaunchOptions = {}): Promise<TestBrowser> {
  return name === "chromium" ? launchChromium(options) : launchFirefox(options);
}

async function launchChromium({ quotaBytes }: LaunchOptions): Promise<TestBrowser> {
  const browser: PlaywrightBrowser = await chromium.launch({ headless: true, executablePath: CHROME_PATH, args: CHROME_ARGS });
  const context: BrowserContext = await browser.newContext();
  return {
    name: "chromium",
    async newTab() {
      const page = await context.newPage();
      return chromiumTab(page, quotaBytes);
    },
    setOffline: (offline) => context.setOffline(offline),
    close: () => browser.close(),
  };
}

function chromiumTab(page: PlaywrightPage, quotaBytes: number | undefined): Tab {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  return {
    errors,
    async goto(url) {
      await page.goto(url);
      if (quotaBytes !== undefined) {
        // The override lasts as long as the session: it is left open with the page.
        const cdp = await page.context().newCDPSession(page);
        await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(url).origin, quotaSize: quotaBytes });
      }
    },
    reload: async () => void (await page.reload()),
    evaluate: <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) => page.evaluate(fn as (arg: unknown) => R | Promise<R>, arg as unknown) as Promise<R>,
    text: async (selector) => (await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null)) ?? "",
    count: (selector) => page.locator(selector).count(),
    async submit(selector, value) {
      await page.locator(selector).fill(value);
      await page.locator(selector).press("Enter");
    },
    click: (selector) => page.locator(selector).first().click(),
    async blockRequests(pattern) {
      await page.unrouteAll();
      if (pattern) await page.route((url) => pattern.test(url.href), (route) => route.abort("internetdisconnected"));
    },
    close: () => page.close(),
  };
}

async function launchFirefox({ quotaBytes }: LaunchOptions): Promise<TestBrowser> {
  const browser: PuppeteerBrowser = await launchHeadlessFirefox({
    // The quota manager's limit, in KiB: Firefox has no way to set one per origin from outside.
    ...(quotaBytes !== undefined && { extraPrefsFirefox: { "dom.quotaManager.temporaryStorage.fixedLimit": Math.ceil(quotaBytes / 1024) } }),
  });
  const tabs = new Set<PuppeteerPage>();
  let offline = false;
  return {
    name: "firefox",
    async newTab() {
      const page = await browser.newPage();
      tabs.add(page);
      page.once("close", () => tabs.delete(page));
      if (offline) await page.setOfflineMode(true);
      return firefoxTab(page);
    },
    async setOffline(value) {
      offline = value;
      for (const page of tabs) await page.setOfflineMode(value);
    },
    close: () => browser.close(),
  };
}

function firefoxTab(page: PuppeteerPage): Tab {
  let blocked: RegExp | null = null;
  let intercepting = false;
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error instanceof Error ? error.message : String(error)));
  return {
    errors,
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    evaluate: <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) => page.evaluate(fn as (arg: unknown) => R | Promise<R>, arg) as Promise<R>,
    text: (selector) => page.evaluate((s: string) => document.querySelector(s)?.textContent ?? "", selector),
    count: (selector) => page.evaluate((s: string) => document.querySelectorAll(s).length, selector),
    async submit(selector, value) {
      await page.locator(selector).fill(value);
      await page.focus(selector);
      await page.keyboard.press("Enter");
    },
    click: (selector) => page.locator(selector).click(),
    async blockRequests(pattern) {
      blocked = pattern;
      if (intercepting) return;
      intercepting = true;
      await page.setRequestInterception(true);
      // A request the page dropped meanwhile (a reload) is gone before it is answered: nothing to do then.
      page.on("request", (request) => void (blocked?.test(request.url()) ? request.abort("internetdisconnected") : request.continue()).catch(() => undefined));
    },
    close: () => page.close(),
  };
}
