/** Headless system Chromium with an on-disk profile: incognito contexts keep IndexedDB in memory, which would flatter every IndexedDB figure. */
import { chromium, type BrowserContext, type Page, type Route } from "@playwright/test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROME_ARGS, CHROME_PATH } from "../support/chromium";
import type { BenchApi } from "./types";

export interface BenchBrowser {
  context: BrowserContext;
  page: Page;
  version: string;
  close(): Promise<void>;
}

export async function openBenchPage(url: string): Promise<BenchBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "synclens-bench-"));
  let context: BrowserContext | undefined;
  const close = async (): Promise<void> => {
    await context?.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROME_PATH,
      headless: true,
      // gc() between variants' slices (untimed), so that one variant's garbage is not collected in another's time.
      args: [...CHROME_ARGS, "--js-flags=--expose-gc"],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (error) => console.error(`[page error] ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") console.error(`[page console ${message.type()}] ${message.text()}`);
    });
    // Cross-origin isolation gives performance.now() a 5 µs step instead of 100 µs. The reference server
    // cannot add the headers, so the document alone is routed; the route is removed before any
    // benchmark runs (while a route exists, Playwright intercepts every request, fetches included).
    const isolate = async (route: Route): Promise<void> => {
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: { ...response.headers(), "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" },
      });
    };
    await page.route(url, isolate);
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { benchReady?: boolean }).benchReady === true, null, { timeout: 15_000 });
    await page.unroute(url, isolate);
    const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    return { context, page, version, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Calls `window.bench[name](args)` in the page and returns its (JSON-serialisable) result. */
export async function callBench<K extends keyof BenchApi>(
  page: Page,
  name: K,
  args: Parameters<BenchApi[K]>[0],
): Promise<Awaited<ReturnType<BenchApi[K]>>> {
  const result: unknown = await page.evaluate(
    ([fn, arg]) => (globalThis as unknown as { bench: Record<string, (a: unknown) => Promise<unknown>> }).bench[fn]!(arg),
    [name, args] as const,
  );
  return result as Awaited<ReturnType<BenchApi[K]>>;
}
