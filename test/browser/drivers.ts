/**
 * The extension's scenarios in either browser: Chromium through Playwright (extension.ts), Firefox through
 * puppeteer-core over WebDriver BiDi (test/support/firefox.ts), behind one small interface, so a scenario
 * reads the same in both. Every wait polls a state; none sleeps. (The SDK's own scenarios, which need no
 * extension, have browsers.ts.)
 */
import { expect, type Page } from "@playwright/test";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page as PuppeteerPage } from "puppeteer-core";
import { launchFirefox } from "../support/firefox";
import type { BrowserName } from "./browsers";
import { launchWithExtension, type ExtensionBrowser } from "./extension";

const FIREFOX_BUILD = fileURLToPath(new URL("../../dist-firefox", import.meta.url));
const PANEL_PATH = "devtools-panel/index.html";

/** A CSS selector for the element with `data-testid="id"`, inside the panel's client named `client` when given. */
export function testId(id: string, client?: string): string {
  const element = `[data-testid="${id}"]`;
  return client === undefined ? element : `[data-testid="client"][data-name="${client}"] ${element}`;
}

/** A tab (the app, or the panel opened as a tab) and the few things the scenarios do in it. */
export interface ExtensionTab {
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** A real click on the first element `selector` matches, once it can be clicked. */
  click(selector: string): Promise<void>;
  /** The text of the first element `selector` matches, whitespace collapsed; null when none matches. */
  text(selector: string): Promise<string | null>;
  count(selector: string): Promise<number>;
  /** Polls until the text of `selector` is `expected` (a string) or matches it (a RegExp). */
  waitForText(selector: string, expected: string | RegExp, timeoutMs?: number): Promise<void>;
  waitForCount(selector: string, expected: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ExtensionSession {
  readonly browserName: BrowserName;
  /** Opens `url` in a new tab and resolves once its SyncLens client has reached the extension's background. */
  openApp(url: string): Promise<{ app: ExtensionTab; tabId: number }>;
  /** The panel for `tabId`, opened as a plain tab (`?tabId=`), once it says "Connected". */
  openPanel(tabId: number): Promise<ExtensionTab>;
  /**
   * Stops the extension's background (Chromium's service worker, Firefox's event page) the way an idle
   * shutdown does, and checks that it did stop.
   */
  suspendBackground(): Promise<void>;
  close(): Promise<void>;
}

export function launchExtension(browserName: BrowserName): Promise<ExtensionSession> {
  return browserName === "firefox" ? launchFirefoxExtension() : launchChromiumExtension();
}

/** The `ExtensionTab` operations all come from `evaluate`, `click` and `close`, which each driver has its own way of doing. */
function tab(page: Pick<ExtensionTab, "evaluate" | "click" | "close">): ExtensionTab {
  const text = (selector: string) =>
    page.evaluate((s) => {
      const element = document.querySelector(s);
      return element ? (element.textContent ?? "").replace(/\s+/g, " ").trim() : null;
    }, selector);
  const count = (selector: string) => page.evaluate((s) => document.querySelectorAll(s).length, selector);
  return {
    ...page,
    text,
    count,
    async waitForText(selector, expected, timeout = 10_000) {
      const poll = expect.poll(() => text(selector), { timeout, message: `text of ${selector}` });
      await (typeof expected === "string" ? poll.toBe(expected) : poll.toMatch(expected));
    },
    async waitForCount(selector, expected, timeout = 10_000) {
      await expect.poll(() => count(selector), { timeout, message: `count of ${selector}` }).toBe(expected);
    },
  };
}

async function connectedPanel(panel: ExtensionTab): Promise<ExtensionTab> {
  await panel.waitForText(testId("connection"), "Connected");
  return panel;
}

/** Polls `tabs` until it names a tab not in `known`. */
async function newTab(tabs: () => Promise<number[]>, known: Set<number>): Promise<number> {
  let tabId = 0;
  await expect.poll(async () => ((tabId = (await tabs()).find((id) => !known.has(id)) ?? 0), tabId), { message: "the app's client reaching the background" }).toBeGreaterThan(0);
  return tabId;
}

// ---- Chromium ----

function playwrightTab(page: Page): ExtensionTab {
  return tab({
    evaluate: (fn, arg) => page.evaluate(fn as (arg: unknown) => never, arg),
    click: (selector) => page.locator(selector).first().click(),
    close: () => page.close(),
  });
}

async function launchChromiumExtension(): Promise<ExtensionSession> {
  const launched: ExtensionBrowser = await launchWithExtension();
  const { context, extensionId } = launched;
  const ours = (url: string) => url.startsWith(`chrome-extension://${extensionId}/`);
  const worker = async () => context.serviceWorkers().find((running) => ours(running.url())) ?? (await context.waitForEvent("serviceworker", (started) => ours(started.url())));
  // The service worker's test hook.
  const routedTabs = async () => (await worker()).evaluate(() => (globalThis as unknown as { synclensRouter: { tabs(): number[] } }).synclensRouter.tabs());
  return {
    browserName: "chromium",
    async openApp(url) {
      const known = new Set(await routedTabs());
      const page = await context.newPage();
      await page.goto(url);
      return { app: playwrightTab(page), tabId: await newTab(routedTabs, known) };
    },
    async openPanel(tabId) {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/${PANEL_PATH}?tabId=${tabId}`);
      return connectedPanel(playwrightTab(page));
    },
    async suspendBackground() {
      // What an idle shutdown does to the worker: its target goes, and every port with it. The target keeps its
      // id across a restart and Playwright reports no close, so the stop shows as the marked global going away.
      const running = await worker();
      await running.evaluate(() => Object.assign(globalThis, { synclensBeforeSuspend: true }));
      const cdp = await context.browser()!.newBrowserCDPSession();
      try {
        const { targetInfos } = (await cdp.send("Target.getTargets")) as { targetInfos: { targetId: string; type: string; url: string }[] };
        const target = targetInfos.find((info) => info.type === "service_worker" && ours(info.url));
        if (!target) throw new Error("the extension's service worker is not running");
        await cdp.send("Target.closeTarget", { targetId: target.targetId });
      } finally {
        await cdp.detach();
      }
      const instance = () =>
        running.evaluate(() => ("synclensBeforeSuspend" in globalThis ? "the same worker" : "a new worker")).catch(() => "stopped");
      await expect.poll(instance, { message: "the service worker stopping" }).not.toBe("the same worker");
    },
    close: () => launched.close(),
  };
}

// ---- Firefox ----

function puppeteerTab(page: PuppeteerPage): ExtensionTab {
  return tab({
    evaluate: (fn, arg) => page.evaluate(fn as (arg: unknown) => never, arg),
    click: (selector) => page.locator(selector).click(),
    close: () => page.close(),
  });
}

/** The panel's page inside Firefox's real toolbox, read from the browser's side. */
export interface ToolboxPanel {
  /** The text of the first element `selector` matches in the panel, whitespace collapsed; null when none matches. */
  text(selector: string): Promise<string | null>;
  /** A PNG of the whole browser window: the page, and the toolbox docked under it. */
  screenshot(path: string): Promise<void>;
}

export interface FirefoxSession extends ExtensionSession {
  /** Opens Firefox's toolbox for `tabId`, as F12 does, and selects the SyncLens panel in it. */
  openToolbox(tabId: number): Promise<ToolboxPanel>;
}

let frameReplies = 0;

/**
 * Chrome-scope code that evaluates `source` in the content of the `<browser>` that `browser` evaluates to
 * (in whichever process that content runs) through a frame script, and evaluates to the JSON-able result,
 * or to null when that content does not answer within 2 s.
 */
function inContent(browser: string, source: string): string {
  const reply = JSON.stringify(`synclens-test:${++frameReplies}`);
  const script = `(async () => sendAsyncMessage(${reply}, await (${source})))();`;
  return `new Promise((resolve) => {
    const manager = (${browser})?.messageManager;
    if (!manager) return resolve(null);
    const answer = ({ data }) => {
      manager.removeMessageListener(${reply}, answer);
      resolve(data);
    };
    manager.addMessageListener(${reply}, answer);
    setTimeout(() => answer({ data: null }), 2000);
    manager.loadFrameScript(${JSON.stringify(`data:,${encodeURIComponent(script)}`)}, false);
  })`;
}

export async function launchFirefoxExtension(): Promise<FirefoxSession> {
  const firefox = await launchFirefox(FIREFOX_BUILD);
  const { browser, base, addonId } = firefox;
  try {
    /**
     * Opens an extension page. The driver does not see extension pages' navigation events, so `goto` never
     * resolves: the page is ready once it says so itself.
     */
    const openExtensionPage = async (url: string) => {
      const page = await browser.newPage();
      void page.goto(url, { timeout: 30_000 }).catch(() => undefined);
      await expect
        .poll(() => page.evaluate((expected) => location.href === expected && document.readyState === "complete", url).catch(() => false), { message: `${url} loading` })
        .toBe(true);
      return page;
    };
    // The router's test hook lives in the event page, which only an extension page can reach: a panel for a
    // tab that does not exist serves.
    const hook = await openExtensionPage(`${base}${PANEL_PATH}?tabId=987654`);
    const routedTabs = () =>
      hook.evaluate(async () => {
        const { runtime } = (globalThis as unknown as { browser: { runtime: { getBackgroundPage(): Promise<Window> } } }).browser;
        return ((await runtime.getBackgroundPage()) as unknown as { synclensRouter: { tabs(): number[] } }).synclensRouter.tabs();
      });
    const chrome = firefox.evaluateInChrome.bind(firefox);
    const extension = `WebExtensionPolicy.getByID(${JSON.stringify(addonId)}).extension`;
    return {
      browserName: "firefox",
      async openApp(url) {
        const known = new Set(await routedTabs());
        const page = await browser.newPage();
        await page.goto(url);
        return { app: puppeteerTab(page), tabId: await newTab(routedTabs, known) };
      },
      async openPanel(tabId) {
        return connectedPanel(puppeteerTab(await openExtensionPage(`${base}${PANEL_PATH}?tabId=${tabId}`)));
      },
      async suspendBackground() {
        // What the idle timer calls (extensions.background.idle.timeout, ext-backgroundPage.js): stop the event
        // page now, open ports or not. It declines while a listener's promise is pending, so until it stops.
        await expect.poll(() => chrome<string>(`${extension}.backgroundState`), { message: "the event page running" }).toBe("running");
        await expect
          .poll(() => chrome<string>(`(async () => { const extension = ${extension}; await extension.terminateBackground(); return extension.backgroundState; })()`), { message: "the event page stopping" })
          .toBe("stopped");
      },
      async openToolbox(tabId) {
        const tab = `ChromeUtils.importESModule("resource://gre/modules/ExtensionParent.sys.mjs").ExtensionParent.apiManager.global.tabTracker.getTab(${tabId})`;
        const gDevTools = `ChromeUtils.importESModule("resource://devtools/shared/loader/Loader.sys.mjs").require("devtools/client/framework/devtools").gDevTools`;
        await chrome(`(async () => {
          const tab = ${tab};
          tab.ownerDocument.defaultView.gBrowser.selectedTab = tab;
          Services.prefs.setIntPref("devtools.toolbox.footer.height", 555);
          await ${gDevTools}.showToolboxForTab(tab);
        })()`);
        const toolbox = `${gDevTools}.getToolboxForTab(${tab})`;
        const tool = `${toolbox}?.getAdditionalTools().find((definition) => definition.label === "SyncLens")`;
        // The extension's DevTools page adds the panel once the toolbox has loaded it.
        await expect.poll(() => chrome<boolean>(`${tool} !== undefined`), { message: "the SyncLens panel in the toolbox" }).toBe(true);
        await chrome(`${toolbox}.selectTool(${tool}.id).then(() => true)`);
        const panelBrowser = `${toolbox}.doc.getElementById("toolbox-panel-iframe-" + ${tool}.id)?.contentDocument?.querySelector("browser")`;
        return {
          text: (selector) =>
            chrome<string | null>(
              inContent(panelBrowser, `(() => {
                const element = content.document.querySelector(${JSON.stringify(selector)});
                return element ? (element.textContent ?? "").replace(/\\s+/g, " ").trim() : null;
              })()`),
            ),
          async screenshot(path) {
            const png = await chrome<string>(`(async () => {
              const window = ${tab}.ownerDocument.defaultView;
              const bitmap = await window.browsingContext.currentWindowGlobal.drawSnapshot(null, 1, "white");
              const canvas = window.document.createElementNS("http://www.w3.org/1999/xhtml", "canvas");
              canvas.width = bitmap.width;
              canvas.height = bitmap.height;
              canvas.getContext("2d").drawImage(bitmap, 0, 0);
              return canvas.toDataURL("image/png");
            })()`);
            writeFileSync(path, Buffer.from(png.slice(png.indexOf(",") + 1), "base64"));
          },
        };
      },
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
