/**
 * SyncLens benchmark suite (not a test: no assertions on timings). Runs in one process:
 * 1. save() latency/throughput in headless Chromium at queue depths 0, 1k, 10k vs raw idb (the item's put alone, and
 *    the same puts as save(): item and outbox record) and a naive JSON queue;
 * 2. drain rate of 10k queued writes via sync() vs plain fetch of the same batches;
 * 3. size of the shipped bundle (dist/sdk/synclens.bundle.js, idb included) vs idb alone.
 * 5. the DevTools panel's Queue view with 10,000 operations vs a naive DOM list (panel.ts; alone: BENCH_ONLY=panel).
 * 6. the server library (server/): batch writes and a 100,000-change pull through createSyncHandler over HTTP on SQLite
 *    and PostgreSQL vs bare SQL on the same database (server-lib.ts; alone: BENCH_ONLY=server, needs no build).
 * Prints a report to stdout (progress goes to stderr) and writes test/bench/results.json.
 * Usage: `npm run bench`, or after `npm run build`: `npx tsx test/bench/run.ts`; `BENCH_ONLY=save` runs section 1 alone,
 * `BENCH_ONLY=bridge` section 4 alone; `BENCH_ONLY=flood` the extension's heaps under a 30 s flood (flood.ts);
 * `BENCH_ONLY=drain` section 8 alone: the drain against a raw-idb floor, a null server and Workbox's replay, with a CPU profile
 *   and the heap of a 1,000- and a 100,000-operation drain (drain-profile.ts, drain-memory.ts);
 * `BENCH_ONLY=seam` section 7 alone: save() and the drain now against an earlier build (`BENCH_BEFORE=<git ref>`, seam.ts).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { callBench, openBenchPage, type BenchBrowser } from "./browser";
import { floodBenchmark } from "./flood";
import { formatPanelSection, panelBenchmark, runPanelOnly } from "./panel";
import { formatBridgeReport, formatReport, formatSaveReport } from "./report";
import { drainProfileBenchmark } from "./drain-profile";
import { seamBenchmark } from "./seam";
import { startBenchServer } from "./server";
import { formatServerLibSection, serverLibBenchmark } from "./server-lib";
import { measureSizes } from "./size";
import { pairedRatios, summarize } from "./stats";
import type { BenchResults, BreakdownResult, BridgePhase, BridgeResult, DrainResult, PageEnvironment, SaveDepthResult, SaveRun } from "./types";
import type { Page } from "@playwright/test";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");

const DEPTHS = [0, 1_000, 10_000];
const SAVE_OPS = 1_000;
const WARMUP = 50;
/** Timed ops are split into this many interleaved rounds per variant. */
const ROUNDS = 20;
/** The naive queue rewrites the whole queue per op: fewer ops at 10k keep the run short (still 100 samples). */
const NAIVE_OPS: Record<number, number> = { 0: 500, 1_000: 500, 10_000: 100 };
const DRAIN_COUNT = 10_000;
const DRAIN_BATCH = 50;

const progress = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

const MAIN_VARIANTS = ["rawIdb", "rawIdbOutbox", "sdk", "naive"] as const;

/** Untimed warm-up of every code path (JIT, IndexedDB backend), so the first measured depth is not penalised. */
async function warmUp(page: Page, runId: string, keys: string[]): Promise<void> {
  progress("warm-up (discarded)");
  await callBench(page, "saveSuite", { runId: `${runId}-warm`, depth: 200, warmup: 0, rounds: 1, variants: keys.map((key) => ({ key, n: 100 })) });
}

function pick(runs: Record<string, SaveRun>, key: string): SaveRun {
  const run = runs[key];
  if (!run) throw new Error(`the save suite returned no ${key}`);
  return run;
}

async function saveBenchmarks(page: Page, runId: string, keys: string[]): Promise<{ save: SaveDepthResult[]; breakdown: BreakdownResult[] }> {
  const steps = keys.filter((key) => !(MAIN_VARIANTS as readonly string[]).includes(key));
  const save: SaveDepthResult[] = [];
  const breakdown: BreakdownResult[] = [];
  for (const depth of DEPTHS) {
    progress(`save() at depth ${depth}: raw idb, SDK, naive queue and ${steps.length} breakdown steps, interleaved`);
    const variants = keys.map((key) => ({ key, n: key === "naive" ? (NAIVE_OPS[depth] ?? SAVE_OPS) : SAVE_OPS }));
    const runs = await callBench(page, "saveSuite", { runId, depth, warmup: WARMUP, rounds: ROUNDS, variants });
    const [raw, rawOutbox, sdk, naive] = MAIN_VARIANTS.map((key) => pick(runs, key)) as [SaveRun, SaveRun, SaveRun, SaveRun];
    const sdkSummary = summarize(sdk);
    save.push({
      depth,
      rawIdb: summarize(raw),
      rawIdbOutbox: summarize(rawOutbox),
      sdk: sdkSummary,
      naive: summarize(naive),
      prefillMs: { rawIdb: raw.prefillMs, rawIdbOutbox: rawOutbox.prefillMs, sdk: sdk.prefillMs, naive: naive.prefillMs },
      paired: pairedRatios(sdk, raw, ROUNDS),
      pairedOutbox: pairedRatios(sdk, rawOutbox, ROUNDS),
    });
    breakdown.push({ depth, steps: steps.map((variant) => ({ variant, summary: summarize(pick(runs, variant)) })), sdk: sdkSummary });
  }
  return { save, breakdown };
}

const DEEP = 100_000;

/**
 * Section 1c: save() at 100,000 pending (issue 20: flat from 0 to 100,000) against the item's `put` alone,
 * and against the SDK at depth 0, measured again in the same suite. Only these two variants: the naive queue
 * would rewrite 100,000 records per op.
 */
async function deepSaveSection(page: Page, runId: string): Promise<string> {
  const variants = [{ key: "rawIdb", n: SAVE_OPS }, { key: "sdk", n: SAVE_OPS }];
  progress("save() at depth 0, raw idb and the SDK again, for section 1c");
  const shallow = await callBench(page, "saveSuite", { runId: `${runId}-c0`, depth: 0, warmup: WARMUP, rounds: ROUNDS, variants });
  progress(`save() at depth ${DEEP}: raw idb and the SDK, interleaved (prefilling ${DEEP} saves takes about two minutes)`);
  const deep = await callBench(page, "saveSuite", { runId: `${runId}-c1`, depth: DEEP, warmup: WARMUP, rounds: ROUNDS, variants });
  const line = (depth: number, runs: Record<string, SaveRun>) => {
    const [raw, sdk] = [pick(runs, "rawIdb"), pick(runs, "sdk")];
    const [r, k] = [summarize(raw), summarize(sdk)];
    const paired = pairedRatios(sdk, raw, ROUNDS);
    return `   depth ${depth.toLocaleString("en-US").padStart(7)}: save() p50 ${k.p50Ms.toFixed(3)} ms, mean ${k.meanMs.toFixed(3)} ms; the item's put alone p50 ${r.p50Ms.toFixed(3)} ms, mean ${r.meanMs.toFixed(3)} ms: ${(k.p50Ms / r.p50Ms).toFixed(2)}× p50, ${(k.meanMs / r.meanMs).toFixed(2)}× mean (round by round: p50 ${paired.p50.median.toFixed(2)}×, time per op ${paired.thru.median.toFixed(2)}×)`;
  };
  const [s0, s1] = [summarize(pick(shallow, "sdk")), summarize(pick(deep, "sdk"))];
  return [
    `1c. SAVE() AT ${DEEP.toLocaleString("en-US")} PENDING, ${SAVE_OPS} ops per variant in ${ROUNDS} interleaved rounds (target: at most 1.5× the item's put alone, flat across depth)`,
    line(0, shallow),
    line(DEEP, deep),
    `   save() at ${DEEP.toLocaleString("en-US")} over depth 0: p50 ${(s1.p50Ms / s0.p50Ms).toFixed(2)}×, mean ${(s1.meanMs / s0.meanMs).toFixed(2)}×, p95 ${(s1.p95Ms / s0.p95Ms).toFixed(2)}×`,
  ].join("\n");
}

async function drainBenchmark(page: Page, runId: string): Promise<DrainResult> {
  progress(`drain: plain fetch baseline, ${DRAIN_COUNT} ops`);
  const fetched = await callBench(page, "drainFetch", { count: DRAIN_COUNT, collection: `bench_fetch_${runId}`, batchSize: DRAIN_BATCH });
  progress(`drain: SDK (prefilling ${DRAIN_COUNT} saves, then sync())`);
  const sdk = await callBench(page, "drainSdk", { runId, count: DRAIN_COUNT, collection: `bench_sdk_${runId}` });
  return {
    count: DRAIN_COUNT,
    batchSize: DRAIN_BATCH,
    sdk: { totalMs: sdk.totalMs, opsPerSec: (sdk.pushed / sdk.totalMs) * 1000, requests: sdk.metrics.requests, syncCalls: sdk.syncCalls, prefillMs: sdk.prefillMs, fetchMs: sdk.fetchMs },
    fetch: { totalMs: fetched.totalMs, opsPerSec: (fetched.pushed / fetched.totalMs) * 1000, requests: fetched.requests },
  };
}

const BRIDGE_PENDING = 10_000;
const BRIDGE_RATE = 500;
const BRIDGE_SECONDS = 4;

/** The DevTools bridge's main-thread cost: the same workload with no bridge, bridge but no panel, panel connected. */
async function bridgeBenchmark(page: Page, runId: string): Promise<BridgeResult> {
  progress(`bridge: prefilling ${BRIDGE_PENDING} pending operations`);
  const { pending } = await callBench(page, "bridgeSetup", { runId, count: BRIDGE_PENDING });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const taskSeconds = async () => ((await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration")?.value ?? 0);
  const phases: BridgePhase[] = [];
  progress("bridge: warm-up (discarded)");
  await callBench(page, "bridgeRun", { phase: "none", seconds: 2, rate: BRIDGE_RATE, count: BRIDGE_PENDING });
  for (const phase of ["none", "exposed", "connected"] as const) {
    progress(`bridge: ${BRIDGE_RATE} changes/s for ${BRIDGE_SECONDS} s, ${phase}`);
    const before = await taskSeconds();
    const run = await callBench(page, "bridgeRun", { phase, seconds: BRIDGE_SECONDS, rate: BRIDGE_RATE, count: BRIDGE_PENDING });
    phases.push({ phase, saves: run.saves, seconds: run.seconds, messages: run.messages, bytes: run.bytes, taskMs: ((await taskSeconds()) - before) * 1000 });
  }
  await cdp.detach();
  return { pending, rate: BRIDGE_RATE, phases };
}

function gitCommit(): string | null {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "sdk"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    return dirty ? `${sha} (sdk/ modified)` : sha;
  } catch {
    return null;
  }
}

function environment(chromium: string, page: PageEnvironment): BenchResults["environment"] {
  return {
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    chromium: `Chromium ${chromium}`,
    timerResolutionMs: page.timerResolutionMs,
    crossOriginIsolated: page.crossOriginIsolated,
    gitCommit: gitCommit(),
  };
}

function settings(): BenchResults["settings"] {
  return {
    saveOps: SAVE_OPS,
    naiveSaveOps: Object.fromEntries(DEPTHS.map((d) => [String(d), NAIVE_OPS[d] ?? SAVE_OPS])),
    warmup: WARMUP,
    rounds: ROUNDS,
    depths: DEPTHS,
    drainCount: DRAIN_COUNT,
  };
}

/** Runs one section alone on a fresh bench server and page (`BENCH_ONLY`), then closes both. */
async function alone(section: (browser: BenchBrowser, runId: string) => Promise<string>): Promise<void> {
  const { server, url } = await startBenchServer(ROOT);
  let browser: BenchBrowser | undefined;
  try {
    browser = await openBenchPage(`${url}/`);
    process.stdout.write(`${await section(browser, Date.now().toString(36))}\n`);
  } finally {
    await browser?.close();
    await server.close();
  }
}

/** Section 1 alone (`BENCH_ONLY=save`): printed, not written to results.json. */
async function saveOnly(browser: BenchBrowser, runId: string): Promise<string> {
  const env = await callBench(browser.page, "environment", null);
  const keys = await callBench(browser.page, "saveVariantKeys", null);
  await warmUp(browser.page, runId, keys);
  const { save, breakdown } = await saveBenchmarks(browser.page, runId, keys);
  const deep = await deepSaveSection(browser.page, runId);
  return `${formatSaveReport({ save, breakdown, settings: settings(), environment: environment(browser.version, env) })}\n\n${deep}`;
}

/** Section 4 alone (`BENCH_ONLY=bridge`): printed, not written to results.json. Run it again for its noise (a page connects once). */
async function bridgeOnly(browser: BenchBrowser, runId: string): Promise<string> {
  return formatBridgeReport({ bridge: await bridgeBenchmark(browser.page, runId) });
}

/** Section 6 alone (`BENCH_ONLY=server`): printed, and written under `server` in results.json, the rest kept. */
async function serverOnly(file: string): Promise<void> {
  const server = await serverLibBenchmark(progress);
  const previous: Record<string, unknown> = existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>) : {};
  await writeFile(file, `${JSON.stringify({ ...previous, server }, null, 2)}\n`);
  process.stdout.write(formatServerLibSection(server));
  progress(`wrote the server section to ${file}`);
}

async function main(): Promise<void> {
  if (process.env["BENCH_ONLY"] === "server") return serverOnly(resolve(HERE, "results.json"));
  if (process.env["BENCH_ONLY"] === "panel") return runPanelOnly(ROOT, resolve(HERE, "results.json"), progress);
  if (process.env["BENCH_ONLY"] === "save") return alone(saveOnly);
  if (process.env["BENCH_ONLY"] === "bridge") return alone(bridgeOnly);
  if (process.env["BENCH_ONLY"] === "flood") return void process.stdout.write(await floodBenchmark(ROOT, progress));
  if (process.env["BENCH_ONLY"] === "drain") return void process.stdout.write(`${await drainProfileBenchmark(ROOT, progress)}\n`);
  if (process.env["BENCH_ONLY"] === "seam") return void process.stdout.write(`${await seamBenchmark(ROOT, progress)}\n`);
  const started = Date.now();
  const runId = started.toString(36);

  progress("size: reading dist/sdk/synclens.bundle.js; bundling idb alone with vite");
  const size = await measureSizes(ROOT);

  const { server, url } = await startBenchServer(ROOT);
  let browser: BenchBrowser | undefined;
  let env: PageEnvironment;
  let chromium: string;
  let save: SaveDepthResult[];
  let breakdown: BreakdownResult[];
  let drain: DrainResult;
  let bridge: BridgeResult;
  let deepSave: string;
  try {
    progress(`server on ${url}; launching Chromium`);
    browser = await openBenchPage(`${url}/`);
    chromium = browser.version;
    env = await callBench(browser.page, "environment", null);
    const keys = await callBench(browser.page, "saveVariantKeys", null);
    await warmUp(browser.page, runId, keys);
    ({ save, breakdown } = await saveBenchmarks(browser.page, runId, keys));
    deepSave = await deepSaveSection(browser.page, runId);
    drain = await drainBenchmark(browser.page, runId);
    bridge = await bridgeBenchmark(browser.page, runId);
  } finally {
    await browser?.close();
    await server.close();
  }
  const panel = await panelBenchmark(ROOT, progress);
  const serverLib = await serverLibBenchmark(progress);
  const seam = await seamBenchmark(ROOT, progress);
  const drainTime = await drainProfileBenchmark(ROOT, progress);

  const results: BenchResults & { panel: typeof panel; server: typeof serverLib } = {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    environment: environment(chromium, env),
    settings: settings(),
    save,
    breakdown,
    drain,
    bridge,
    size,
    panel,
    server: serverLib,
  };
  const file = resolve(HERE, "results.json");
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${formatReport(results)}\n${deepSave}\n\n${formatPanelSection(panel)}\n${formatServerLibSection(serverLib)}\n${seam}\n\n${drainTime}\n`);
  progress(`wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
