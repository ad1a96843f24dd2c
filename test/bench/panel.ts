/**
 * Section 5 of the benchmark: the DevTools panel's Queue view with 10,000 pending operations, in headless
 * Debian Chromium with the built extension (dist/), on the demo app served by the reference server.
 * The baseline, measured in the same run on the same panel page, is a naive list: the same 10,000 rows
 * (same classes, same 8 cells of text) as ordinary DOM, in a scroll container of the same size.
 *
 * Headless Chromium (software compositing, no real display) paces and reports frames only approximately:
 * the frame times below are meant to be compared with each other, not read as what a user's screen shows.
 *
 * Run with the whole suite (`npm run bench`) or alone after `npm run build`: `BENCH_ONLY=panel npx tsx test/bench/run.ts`.
 */
import type { CDPSession, Page } from "@playwright/test";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { createSyncServer } from "../../demo/server/app";
import { launchWithExtension, openAppWithPanel, type ExtensionBrowser } from "../browser/extension";
import { PANEL_SIZE } from "../browser/screenshots";
import { percentile, ratio } from "./stats";

const QUEUE_SIZE = 10_000;
const SAVE_CHUNK = 500;
/** Times the Queue tab is opened from the Overview tab; the naive list (seconds per build) is built in the first rounds only. */
const OPEN_ROUNDS = 5;
const NAIVE_OPEN_ROUNDS = 3;
/** Top to bottom in this many steps, one per animation frame: the naive list once, then the Queue view twice. */
const SCROLL_STEPS = 200;
/** A brisk mouse-wheel or trackpad scroll, Queue view only: this many pixels per frame. */
const WHEEL_PX = 100;
const WHEEL_FRAMES = 120;
const SETTLE_MS = 200;
const FRAME_BUDGET_MS = 1000 / 60;
/**
 * Frames are produced on vsync, so a frame over budget shows as a gap of two intervals (33 ms) or more;
 * the cut-off at 1.5 intervals ignores the ±0.1 ms jitter of rAF timestamps around 16.7 ms.
 */
const MISSED_FRAME_MS = 1.5 * FRAME_BUDGET_MS;
const LONG_FRAME_MS = 50;

export interface FrameSummary {
  frames: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  meanMs: number;
  /** Frames that missed a vsync (gap over 1.5 × 16.7 ms). */
  missed: number;
  over50Ms: number;
}

/** Main-thread work during the scrolls, from CDP Performance.getMetrics, per frame. */
export interface ScrollWork {
  taskMs: number;
  scriptMs: number;
  styleMs: number;
  layoutMs: number;
}

export interface PanelVariantResult {
  /** Click on the Queue tab (naive: start of the build) until just after the frame showing the rows, per round. */
  firstPaintMs: number[];
  /** The part of it before the rows were in the DOM (naive: building and attaching them). */
  domMs: number[];
  /** Long tasks (PerformanceObserver "longtask") overlapping each first paint, per round. */
  longTasksMs: number[][];
  scroll: FrameSummary;
  /** Every frame-to-frame gap of the scrolls, in order. */
  frameMs: number[];
  scrollWorkPerFrame: ScrollWork;
  /** Frames painted while the rows in the DOM did not cover the visible part of the scroller. */
  incompleteFrames: number;
  /** Long tasks during the scrolls. */
  scrollLongTasksMs: number[];
  /** Nodes (elements and text) under the scroller. */
  domNodes: number;
  /** What the variant adds to the page, after a forced GC (Runtime.getHeapUsage): V8 heap and Blink's (DOM) heap. */
  jsHeapBytes: number;
  domHeapBytes: number;
}

export interface PanelBenchResult {
  startedAt: string;
  durationMs: number;
  queueSize: number;
  openRounds: { synclens: number; naive: number };
  scrollRounds: { synclens: number; naive: number };
  scrollSteps: number;
  viewport: { width: number; height: number };
  scroller: { width: number; height: number; scrollHeight: number };
  /** The whole panel page with the Queue view shown, after a forced GC. */
  panelHeap: { jsBytes: number; domBytes: number };
  /** Panel reload until the Queue view (clicked as soon as the client shows) reads "10,000 of 10,000 shown", and the long tasks meanwhile. */
  load: { ms: number; longTasksMs: number[] };
  /** The Queue view scrolled WHEEL_PX per frame from the top. */
  wheel: { pxPerFrame: number; scroll: FrameSummary; workPerFrame: ScrollWork; incompleteFrames: number };
  synclens: PanelVariantResult;
  naive: PanelVariantResult;
}

interface OpenSample {
  domMs: number;
  paintMs: number;
  longTasksMs: number[];
}

interface ScrollSample {
  frameMs: number[];
  incomplete: number;
  longTasksMs: number[];
}

/** What installPageHelpers() puts on the panel page. */
interface PageHelpers {
  openQueue(): Promise<OpenSample>;
  showOverview(): Promise<void>;
  buildNaive(count: number): Promise<OpenSample>;
  removeNaive(): Promise<void>;
  /** Top to bottom in `steps` frames, or `pxPerFrame` per frame for `steps` frames. */
  scroll(testId: string, steps: number, pxPerFrame?: number): Promise<ScrollSample>;
  longTasksSinceStart(until: number): number[];
  countNodes(testId: string): number;
  scroller(): { width: number; height: number; scrollHeight: number };
}

/** Runs in the panel page: every in-page measurement, so that both variants are timed by the same code. */
function installPageHelpers(): void {
  const ROW = '[data-testid="queue-row"]';
  const client = (): HTMLElement => document.querySelector<HTMLElement>('[data-testid="client"][data-name="demo-todos"]')!;
  const byTestId = (id: string): HTMLElement => document.querySelector<HTMLElement>(`[data-testid="${id}"]`)!;
  // requestAnimationFrame runs just before a frame is produced; a message posted from it is handled right after.
  const afterPaint = (): Promise<number> =>
    new Promise((done) =>
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => done(performance.now());
        channel.port2.postMessage(null);
      }),
    );
  const longTasks: Array<{ start: number; end: number }> = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, end: entry.startTime + entry.duration });
  }).observe({ type: "longtask", buffered: true });
  // Long task entries arrive after their task; wait a little for them.
  const longTasksBetween = async (from: number, to: number): Promise<number[]> => {
    await new Promise((done) => setTimeout(done, 100));
    return longTasks.filter((task) => task.end > from && task.start < to).map((task) => task.end - task.start);
  };
  const nextMutation = (root: HTMLElement, ready: () => boolean): Promise<void> =>
    new Promise((done) => {
      const observer = new MutationObserver(() => {
        if (!ready()) return;
        observer.disconnect();
        done();
      });
      observer.observe(root, { childList: true, subtree: true });
    });
  let naive: HTMLElement | null = null;

  const helpers: PageHelpers = {
    async openQueue() {
      const root = client();
      const started = performance.now();
      root.querySelector<HTMLElement>('[data-testid="tab-queue"]')!.click();
      // Preact renders in a microtask, so the rows cannot be there yet.
      await nextMutation(root, () => root.querySelector(ROW) !== null);
      const inDom = performance.now();
      const painted = await afterPaint();
      return { domMs: inDom - started, paintMs: painted - started, longTasksMs: await longTasksBetween(started, painted) };
    },
    async showOverview() {
      client().querySelector<HTMLElement>('[data-testid="tab-overview"]')!.click();
      await afterPaint();
    },
    async buildNaive(count) {
      const source = byTestId("queue");
      const first = source.querySelector<HTMLElement>(ROW)!;
      const cells = [...first.children].map((cell) => ({ className: cell.className, text: cell.textContent ?? "" }));
      const firstSeq = Number(first.dataset["seq"]);
      const rect = source.getBoundingClientRect();
      const rowHeight = first.style.height;
      const started = performance.now();
      const box = document.createElement("div");
      box.className = "scroller";
      box.dataset["testid"] = "naive-queue";
      Object.assign(box.style, { position: "fixed", left: `${rect.left}px`, top: `${rect.top}px`, width: `${rect.width}px`, height: `${rect.height}px`, zIndex: "1", background: "var(--bg)" });
      for (let i = 0; i < count; i++) {
        const row = document.createElement("div");
        row.className = i % 2 ? "queue-grid row odd" : "queue-grid row";
        row.setAttribute("role", "row");
        row.dataset["seq"] = String(firstSeq + i);
        // In normal flow, one under the other: `.row` is absolutely positioned for the virtualiser.
        row.style.position = "relative";
        row.style.height = rowHeight;
        cells.forEach((cell, c) => {
          const span = document.createElement("span");
          span.className = cell.className;
          span.textContent = c === 0 ? String(firstSeq + i) : c === 2 ? `item-${String(i).padStart(5, "0")}` : cell.text;
          if (c === 2) span.title = span.textContent;
          row.append(span);
        });
        box.append(row);
      }
      source.parentElement!.append(box);
      naive = box;
      const inDom = performance.now();
      const painted = await afterPaint();
      return { domMs: inDom - started, paintMs: painted - started, longTasksMs: await longTasksBetween(started, painted) };
    },
    async removeNaive() {
      naive?.remove();
      naive = null;
      await afterPaint();
    },
    async scroll(testId, steps, pxPerFrame) {
      const element = byTestId(testId);
      element.scrollTop = 0;
      await afterPaint();
      await afterPaint();
      const range = element.scrollHeight - element.clientHeight;
      const visible = element.clientHeight;
      // Whether the rendered rows cover the viewport: virtualised rows sit at (aria-rowindex - 1) × row
      // height. The naive list has every row.
      const virtualised = testId === "queue";
      const covers = (top: number): boolean => {
        const rows = element.querySelectorAll<HTMLElement>(ROW);
        if (rows.length === 0) return false;
        const height = parseFloat(rows[0]!.style.height);
        let from = Infinity;
        let to = -Infinity;
        for (const row of rows) {
          const start = (Number(row.getAttribute("aria-rowindex")) - 1) * height;
          from = Math.min(from, start);
          to = Math.max(to, start + height);
        }
        return from <= top && to >= top + visible;
      };
      const stamps: number[] = [];
      let incomplete = 0;
      const started = performance.now();
      await new Promise<void>((done) => {
        const frame = (time: number): void => {
          stamps.push(time);
          if (stamps.length > steps) return done();
          const top = pxPerFrame === undefined ? Math.round((range * stamps.length) / steps) : Math.min(range, pxPerFrame * stamps.length);
          element.scrollTop = top;
          // What is in the DOM now is what this frame paints: the scroll event that lets the
          // virtualiser render new rows is dispatched in the next frame.
          if (virtualised && !covers(top)) incomplete++;
          requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      });
      const frameMs = stamps.slice(1).map((stamp, i) => stamp - stamps[i]!);
      return { frameMs, incomplete, longTasksMs: await longTasksBetween(started, performance.now()) };
    },
    longTasksSinceStart(until) {
      return longTasks.filter((task) => task.start < until).map((task) => task.end - task.start);
    },
    countNodes(testId) {
      const walker = document.createTreeWalker(byTestId(testId), NodeFilter.SHOW_ALL);
      let nodes = 0;
      while (walker.nextNode()) nodes++;
      return nodes;
    },
    scroller() {
      const element = byTestId("queue");
      return { width: element.clientWidth, height: element.clientHeight, scrollHeight: element.scrollHeight };
    },
  };
  (window as unknown as { panelBench: PageHelpers }).panelBench = helpers;
}

/** tsx compiles with keepNames, which wraps inner functions in `__name(...)`: give the page a stand-in. */
const KEEP_NAMES_SHIM = "globalThis.__name ??= (fn) => fn;";

function summarizeFrames(frameMs: number[]): FrameSummary {
  const sorted = [...frameMs].sort((a, b) => a - b);
  return {
    frames: sorted.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    meanMs: sorted.reduce((sum, x) => sum + x, 0) / sorted.length,
    missed: sorted.filter((x) => x > MISSED_FRAME_MS).length,
    over50Ms: sorted.filter((x) => x > LONG_FRAME_MS).length,
  };
}

async function cdpMetrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = await cdp.send("Performance.getMetrics");
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

async function heapAfterGc(cdp: CDPSession): Promise<{ jsBytes: number; domBytes: number }> {
  await cdp.send("HeapProfiler.collectGarbage");
  const usage = await cdp.send("Runtime.getHeapUsage");
  return { jsBytes: usage.usedSize, domBytes: usage.embedderHeapUsedSize };
}

/** Calls `window.panelBench[name](...args)` in the panel page. */
function call<K extends keyof PageHelpers>(panel: Page, name: K, ...args: Parameters<PageHelpers[K]>): Promise<Awaited<ReturnType<PageHelpers[K]>>> {
  return panel.evaluate(
    ([fn, fnArgs]) => (window as unknown as { panelBench: Record<string, (...a: unknown[]) => unknown> }).panelBench[fn]!(...fnArgs),
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<PageHelpers[K]>>>;
}

/** The demo with 10,000 pending creates and the panel, as a tab, on its Queue view with all of them loaded. */
async function setUp(browser: ExtensionBrowser, url: string, progress: (message: string) => void): Promise<{ panel: Page; load: PanelBenchResult["load"] }> {
  const { app, panel } = await openAppWithPanel(browser, url);
  await app.waitForFunction(() => document.body.dataset["ready"] === "true");
  progress(`panel: queueing ${QUEUE_SIZE.toLocaleString("en-US")} saves offline in the demo`);
  await app.evaluate(KEEP_NAMES_SHIM);
  await app.evaluate(
    async ({ count, chunk }) => {
      const { synclens } = window as unknown as { synclens: { setOffline(offline: boolean): void; save(item: object): Promise<unknown> } };
      synclens.setOffline(true);
      for (let start = 0; start < count; start += chunk) {
        await Promise.all(
          Array.from({ length: Math.min(chunk, count - start) }, (_, i) =>
            synclens.save({ id: `item-${String(start + i).padStart(5, "0")}`, title: `Todo ${start + i}`, done: false, createdAt: new Date().toISOString() }),
          ),
        );
      }
    },
    { count: QUEUE_SIZE, chunk: SAVE_CHUNK },
  );
  progress("panel: reloading the panel so it pages in the whole queue");
  await panel.setViewportSize(PANEL_SIZE);
  await panel.reload();
  await panel.bringToFront();
  await panel.evaluate(KEEP_NAMES_SHIM);
  await panel.evaluate(installPageHelpers);
  await panel.locator('[data-testid="client"][data-name="demo-todos"] [data-testid="tab-queue"]').click();
  const expected = `${QUEUE_SIZE.toLocaleString("en-US")} of ${QUEUE_SIZE.toLocaleString("en-US")} shown`;
  const loaded = await panel.waitForFunction(
    (text) => document.querySelector('[data-testid="queue-count"]')?.textContent?.trim() === text && performance.now(),
    expected,
    { timeout: 30_000 },
  );
  const ms = (await loaded.jsonValue()) as number;
  return { panel, load: { ms, longTasksMs: await call(panel, "longTasksSinceStart", ms) } };
}

async function settle(panel: Page): Promise<void> {
  await panel.waitForTimeout(SETTLE_MS);
}

async function measure(panel: Page, progress: (message: string) => void): Promise<Omit<PanelBenchResult, "startedAt" | "durationMs" | "load">> {
  const cdp = await panel.context().newCDPSession(panel);
  await cdp.send("Performance.enable");
  const visible = await panel.evaluate(() => document.visibilityState);
  if (visible !== "visible") throw new Error(`the panel page is ${visible}: its frames would be throttled`);

  // Its garbage (hundreds of MiB of layout data) is collected here, not during the next measurement.
  const removeNaive = async (): Promise<void> => {
    await call(panel, "removeNaive");
    await cdp.send("HeapProfiler.collectGarbage");
  };

  progress("panel: warm-up (discarded)");
  await call(panel, "showOverview");
  await call(panel, "openQueue");
  await call(panel, "scroll", "queue", 40);
  await call(panel, "buildNaive", 2_000);
  await call(panel, "scroll", "naive-queue", 10);
  await removeNaive();

  const opens: Record<"synclens" | "naive", OpenSample[]> = { synclens: [], naive: [] };
  for (let round = 0; round < OPEN_ROUNDS; round++) {
    const naive = round < NAIVE_OPEN_ROUNDS;
    progress(`panel: first paint, round ${round + 1}/${OPEN_ROUNDS} (Queue tab opened from Overview${naive ? "; naive list built" : ""})`);
    await call(panel, "showOverview");
    await settle(panel);
    opens.synclens.push(await call(panel, "openQueue"));
    await settle(panel);
    if (!naive) continue;
    opens.naive.push(await call(panel, "buildNaive", QUEUE_SIZE));
    await removeNaive();
    await settle(panel);
  }

  progress("panel: DOM nodes and heap after a forced GC (Queue view, Overview, naive list)");
  const scroller = await call(panel, "scroller");
  const synclensNodes = await call(panel, "countNodes", "queue");
  const withQueue = await heapAfterGc(cdp);
  await call(panel, "showOverview");
  await settle(panel);
  const withOverview = await heapAfterGc(cdp);
  await call(panel, "openQueue");
  await settle(panel);
  const beforeNaive = await heapAfterGc(cdp);
  await call(panel, "buildNaive", QUEUE_SIZE);
  const naiveNodes = await call(panel, "countNodes", "naive-queue");
  const withNaive = await heapAfterGc(cdp);

  const scrolls: Record<"synclens" | "naive", ScrollSample[]> = { synclens: [], naive: [] };
  const work: Record<"synclens" | "naive", ScrollWork> = {
    synclens: { taskMs: 0, scriptMs: 0, styleMs: 0, layoutMs: 0 },
    naive: { taskMs: 0, scriptMs: 0, styleMs: 0, layoutMs: 0 },
  };
  const scrollWithWork = async (into: ScrollWork, ...args: Parameters<PageHelpers["scroll"]>): Promise<ScrollSample> => {
    const before = await cdpMetrics(cdp);
    const sample = await call(panel, "scroll", ...args);
    const after = await cdpMetrics(cdp);
    const spent = (name: string): number => ((after[name] ?? 0) - (before[name] ?? 0)) * 1000;
    into.taskMs += spent("TaskDuration");
    into.scriptMs += spent("ScriptDuration");
    into.styleMs += spent("RecalcStyleDuration");
    into.layoutMs += spent("LayoutDuration");
    return sample;
  };
  const scrollOnce = async (variant: "synclens" | "naive", testId: string): Promise<void> => {
    scrolls[variant].push(await scrollWithWork(work[variant], testId, SCROLL_STEPS));
  };
  progress(`panel: scroll top to bottom in ${SCROLL_STEPS} frames: naive list (the one just measured), then the Queue view twice`);
  await settle(panel);
  await scrollOnce("naive", "naive-queue");
  await removeNaive();
  await settle(panel);
  await scrollOnce("synclens", "queue");
  await settle(panel);
  await scrollOnce("synclens", "queue");
  progress(`panel: Queue view scrolled ${WHEEL_PX} px per frame for ${WHEEL_FRAMES} frames`);
  await settle(panel);
  const wheelWork: ScrollWork = { taskMs: 0, scriptMs: 0, styleMs: 0, layoutMs: 0 };
  const wheel = await scrollWithWork(wheelWork, "queue", WHEEL_FRAMES, WHEEL_PX);
  await cdp.detach();

  const perFrame = (w: ScrollWork, frames: number): ScrollWork => ({ taskMs: w.taskMs / frames, scriptMs: w.scriptMs / frames, styleMs: w.styleMs / frames, layoutMs: w.layoutMs / frames });
  const variant = (key: "synclens" | "naive", domNodes: number, heap: { jsBytes: number; domBytes: number }): PanelVariantResult => {
    const frames = scrolls[key].flatMap((s) => s.frameMs);
    return {
      firstPaintMs: opens[key].map((s) => s.paintMs),
      domMs: opens[key].map((s) => s.domMs),
      longTasksMs: opens[key].map((s) => s.longTasksMs),
      scroll: summarizeFrames(frames),
      frameMs: frames,
      scrollWorkPerFrame: perFrame(work[key], frames.length),
      incompleteFrames: scrolls[key].reduce((sum, s) => sum + s.incomplete, 0),
      scrollLongTasksMs: scrolls[key].flatMap((s) => s.longTasksMs),
      domNodes,
      jsHeapBytes: heap.jsBytes,
      domHeapBytes: heap.domBytes,
    };
  };
  return {
    queueSize: QUEUE_SIZE,
    openRounds: { synclens: OPEN_ROUNDS, naive: NAIVE_OPEN_ROUNDS },
    scrollRounds: { synclens: scrolls.synclens.length, naive: scrolls.naive.length },
    scrollSteps: SCROLL_STEPS,
    viewport: PANEL_SIZE,
    scroller,
    panelHeap: withQueue,
    wheel: { pxPerFrame: WHEEL_PX, scroll: summarizeFrames(wheel.frameMs), workPerFrame: perFrame(wheelWork, wheel.frameMs.length), incompleteFrames: wheel.incomplete },
    synclens: variant("synclens", synclensNodes, { jsBytes: withQueue.jsBytes - withOverview.jsBytes, domBytes: withQueue.domBytes - withOverview.domBytes }),
    naive: variant("naive", naiveNodes, { jsBytes: withNaive.jsBytes - beforeNaive.jsBytes, domBytes: withNaive.domBytes - beforeNaive.domBytes }),
  };
}

export async function panelBenchmark(root: string, progress: (message: string) => void): Promise<PanelBenchResult> {
  const started = Date.now();
  const timed = (message: string): void => progress(`${message} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const panelHtml = resolve(root, "dist/devtools-panel/index.html");
  if (!existsSync(panelHtml)) throw new Error(`${panelHtml} is missing: run \`npm run build\` first`);
  // The demo exactly as test/browser/fixtures.ts serves it.
  const server = createSyncServer({
    db: ":memory:",
    staticMounts: {
      "/": resolve(root, "demo/app"),
      "/sdk/": resolve(root, "dist/sdk"),
      "/vendor/idb/": resolve(root, "node_modules/idb/build"),
    },
  });
  let browser: ExtensionBrowser | undefined;
  try {
    const { url } = await server.listen(0, "127.0.0.1");
    progress(`panel: demo on ${url}; launching Chromium with the extension from dist/`);
    browser = await launchWithExtension();
    const { panel, load } = await setUp(browser, url, timed);
    const figures = await measure(panel, timed);
    return { startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, load, ...figures };
  } finally {
    await browser?.close();
    await server.close();
  }
}

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
const int = (x: number): string => Math.round(x).toLocaleString("en-US");
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);

/** `naive / synclens` as "4.1× faster" (or "1.3× slower" when the naive list wins). */
function compared(naive: number, synclens: number, better: string, worse: string): string {
  const r = ratio(naive, synclens);
  if (!Number.isFinite(r)) return "n/a";
  return r >= 1 ? `${r.toFixed(1)}× ${better}` : `${(1 / r).toFixed(1)}× ${worse}`;
}

/** Same layout as report.ts's tables. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

const tasks = (list: number[]): string => (list.length ? `${list.length} (max ${ms(Math.max(...list))} ms)` : "none");

export function formatPanelSection(r: PanelBenchResult): string {
  const { synclens: s, naive: n } = r;
  const row = (label: string, v: PanelVariantResult): string[] => [
    label,
    ms(median(v.firstPaintMs)),
    ms(Math.max(...v.firstPaintMs)),
    ms(median(v.domMs)),
    String(v.scroll.frames),
    ms(v.scroll.p50Ms),
    ms(v.scroll.p95Ms),
    ms(v.scroll.maxMs),
    String(v.scroll.missed),
    String(v.scroll.over50Ms),
    int(v.domNodes),
    mib(v.jsHeapBytes),
    mib(v.domHeapBytes),
  ];
  const work = (w: ScrollWork): string => `${ms(w.taskMs)} ms (script ${ms(w.scriptMs)}, style ${ms(w.styleMs)}, layout ${ms(w.layoutMs)})`;
  const longest = (perRound: number[][]): string => perRound.map((t) => (t.length ? ms(Math.max(...t)) : "none")).join(", ");
  const w = r.wheel;
  return [
    `5. PANEL QUEUE WITH ${int(r.queueSize)} OPERATIONS (panel opened as a tab on the demo, extension from dist/; naive list injected into the same page)`,
    `   first paint: Queue tab clicked from Overview (${r.openRounds.synclens}×) vs naive list built, attached and painted (${r.openRounds.naive}×), interleaved;`,
    `   scroll: top to bottom in ${r.scrollSteps} steps, one per frame (naive ${r.scrollRounds.naive}×, Queue view ${r.scrollRounds.synclens}× after it); viewport ${r.viewport.width}×${r.viewport.height},`,
    `   scroller ${r.scroller.width}×${r.scroller.height} px, ${int(r.scroller.scrollHeight)} px tall. Headless Chromium frame timing is approximate: compare the rows, not absolute figures.`,
    "",
    ...table(
      ["variant", "first paint p50 ms", "max", "rows in DOM ms", "frames", "frame p50", "p95", "max", ">16.7 ms", ">50 ms", "DOM nodes", "JS heap", "DOM heap"],
      [row("SyncLens Queue view (virtualised)", s), row(`naive list (${int(r.queueSize)} DOM rows)`, n)],
    ).map((l) => `   ${l}`),
    `   (>16.7 ms: frames that missed a vsync, i.e. gaps over ${ms(MISSED_FRAME_MS)} ms; heap: what each adds after a forced GC, the Queue view measured against the Overview tab)`,
    "",
    `   Ratios naive / SyncLens: first paint ${compared(median(n.firstPaintMs), median(s.firstPaintMs), "faster", "slower")}, p95 frame ${compared(n.scroll.p95Ms, s.scroll.p95Ms, "shorter", "longer")},` +
      ` DOM nodes ${compared(n.domNodes, s.domNodes, "fewer", "more")}, JS heap ${compared(n.jsHeapBytes, s.jsHeapBytes, "less", "more")}, DOM heap ${compared(n.domHeapBytes, s.domHeapBytes, "less", "more")}`,
    `   Main-thread work per scroll frame (CDP): SyncLens ${work(s.scrollWorkPerFrame)}; naive ${work(n.scrollWorkPerFrame)}`,
    `   SyncLens frames painted before the rows for the new scroll position were rendered (viewport partly blank): ${s.incompleteFrames} of ${s.scroll.frames}`,
    `   SyncLens at ${w.pxPerFrame} px per frame (${w.scroll.frames} frames): frame p50 ${ms(w.scroll.p50Ms)}, p95 ${ms(w.scroll.p95Ms)}, max ${ms(w.scroll.maxMs)} ms, ${w.scroll.missed} missed; partly blank frames: ${w.incompleteFrames};`,
    `   main-thread work per frame ${work(w.workPerFrame)}`,
    `   Long tasks per first paint, longest in ms: SyncLens ${longest(s.longTasksMs)}; naive ${longest(n.longTasksMs)}; while scrolling: SyncLens ${tasks(s.scrollLongTasksMs)}, naive ${tasks(n.scrollLongTasksMs)}`,
    `   Panel reload until the Queue view shows all ${int(r.queueSize)}: ${int(r.load.ms)} ms, long tasks meanwhile: ${tasks(r.load.longTasksMs)}`,
    `   Whole panel page on the Queue view after GC: JS heap ${mib(r.panelHeap.jsBytes)}, DOM heap ${mib(r.panelHeap.domBytes)}`,
    "",
  ].join("\n");
}

/** `BENCH_ONLY=panel`: this section alone; its figures replace the `panel` entry of an existing results.json. */
export async function runPanelOnly(root: string, file: string, progress: (message: string) => void): Promise<void> {
  const panel = await panelBenchmark(root, progress);
  const previous: Record<string, unknown> = existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>) : {};
  await writeFile(file, `${JSON.stringify({ ...previous, panel }, null, 2)}\n`);
  process.stdout.write(formatPanelSection(panel));
  progress(`wrote the panel section to ${file}`);
}
