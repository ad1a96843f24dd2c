/** The functions the bench page (page/main.js) puts on `window.bench`, and what they return. */
import type { SyncMetrics } from "../../sdk";

export interface SaveSuiteArgs {
  runId: string;
  depth: number;
  warmup: number;
  rounds: number;
  /** Variant keys from `saveVariantKeys`, with the number of timed ops each (a multiple of `rounds`). */
  variants: Array<{ key: string; n: number }>;
}

export interface TimedRun {
  latenciesMs: number[];
  totalMs: number;
}

export interface SaveRun extends TimedRun {
  prefillMs: number;
}

export interface DrainSdkRun {
  count: number;
  pushed: number;
  totalMs: number;
  /** The `_batch` requests the drain made. */
  requests: number;
  /** With a panel connected: what the page sent it during the drain. */
  bridge?: { messages: number; bytes: number };
  prefillMs: number;
  syncCalls: number;
  metrics: SyncMetrics;
  /** Time inside fetch (request sent to reply body read), summed over the drain. */
  fetchMs: number;
  /** With `profile`: IndexedDB transactions and requests made during the drain, by method. */
  idbCalls?: Record<string, number>;
}

export interface DrainFetchRun {
  count: number;
  pushed: number;
  totalMs: number;
  requests: number;
}

export interface PageEnvironment {
  userAgent: string;
  timerResolutionMs: number;
  crossOriginIsolated: boolean;
  secureContext: boolean;
}

export interface BenchApi {
  bridgeSetup(args: { runId: string; count: number }): Promise<{ pending: number }>;
  bridgeRun(args: { phase: BridgePhase["phase"]; seconds: number; rate: number; count: number }): Promise<Omit<BridgePhase, "phase" | "taskMs"> & { pending: number }>;
  saveSuite(args: SaveSuiteArgs): Promise<Record<string, SaveRun>>;
  /** "rawIdb", "rawIdbOutbox", "sdk", "naive", then the breakdown steps in order. */
  saveVariantKeys(args: null): Promise<string[]>;
  drainSdk(args: { runId: string; count: number; collection: string; before?: boolean; base?: string; profile?: boolean; maxBatchSize?: number; panel?: boolean }): Promise<DrainSdkRun>;
  drainFloor(args: { runId: string; count: number; url: string; batchSize: number }): Promise<{ count: number; pushed: number; totalMs: number }>;
  drainFetch(args: { count: number; collection: string; batchSize: number }): Promise<DrainFetchRun>;
  /** Queues `count` writes with save() for memoryDrain(), on the null server. */
  memoryPrefill(args: { runId: string; count: number }): Promise<{ prefillMs: number }>;
  /** Drains what memoryPrefill() queued. */
  memoryDrain(args: null): Promise<{ count: number; pushed: number; totalMs: number; requests: number }>;
  /** `url`: a collection on the null server; the replay's time is taken in the service worker. */
  drainWorkbox(args: { runId: string; count: number; url: string }): Promise<{ count: number; totalMs: number; prefillMs: number }>;
  environment(args: null): Promise<PageEnvironment>;
}

/** Latency distribution of one timed run. */
export interface LatencySummary {
  n: number;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  maxMs: number;
  opsPerSec: number;
}

export interface SizeFigures {
  bytes: number;
  /** gzip level 9. */
  gzipBytes: number;
}

export interface SizeResults {
  /** dist/sdk/synclens-core.bundle.js as built by `npm run build` (the core SDK + idb, minified): the target's subject. */
  core: SizeFigures & { path: string };
  /** dist/sdk/synclens.bundle.js as built by `npm run build` (the full SDK + idb, minified). */
  bundle: SizeFigures & { path: string };
  /** idb alone, bundled and minified the way the shipped bundle is (baseline). */
  idbAlone: SizeFigures;
  /** dist/sdk/index.js raw bytes (idb external, deliberately unminified), for reference. */
  esm: { path: string; bytes: number };
  targetGzipBytes: number;
}

export type SaveVariant = "sdk" | "rawIdb" | "rawIdbOutbox" | "naive";

export interface SaveDepthResult {
  depth: number;
  sdk: LatencySummary;
  /** The item's put alone, one transaction each. */
  rawIdb: LatencySummary;
  /** The same puts as save() (item and outbox record), one transaction each, nothing else. */
  rawIdbOutbox: LatencySummary;
  naive: LatencySummary;
  prefillMs: Record<SaveVariant, number>;
  /**
   * SDK vs raw idb compared round by round (the two ran back to back in each round, so they saw the same
   * machine state), then the median over the rounds: steadier than comparing whole-run figures on a busy
   * machine. `thru` compares the time per op of each round.
   */
  paired: PairedRatios;
  /** The same, SDK vs `rawIdbOutbox`. */
  pairedOutbox: PairedRatios;
}

export interface PairedRatios {
  rounds: number;
  p50: { median: number; min: number; max: number };
  thru: { median: number; min: number; max: number };
}

export interface BreakdownResult {
  depth: number;
  steps: Array<{ variant: string; summary: LatencySummary }>;
  sdk: LatencySummary;
}

export interface DrainResult {
  count: number;
  batchSize: number;
  sdk: { totalMs: number; opsPerSec: number; requests: number; syncCalls: number; prefillMs: number; fetchMs: number };
  fetch: { totalMs: number; opsPerSec: number; requests: number };
}

export interface BridgePhase {
  phase: "none" | "exposed" | "connected";
  saves: number;
  seconds: number;
  messages: number;
  bytes: number;
  /** Main-thread task time in the page during the phase (CDP Performance.getMetrics TaskDuration). */
  taskMs: number;
}

export interface BridgeResult {
  pending: number;
  rate: number;
  phases: BridgePhase[];
}

export interface BenchResults {
  startedAt: string;
  durationMs: number;
  environment: {
    node: string;
    platform: string;
    cpus: number;
    chromium: string;
    timerResolutionMs: number;
    crossOriginIsolated: boolean;
    gitCommit: string | null;
  };
  settings: { saveOps: number; naiveSaveOps: Record<string, number>; warmup: number; rounds: number; depths: number[]; drainCount: number };
  save: SaveDepthResult[];
  breakdown: BreakdownResult[];
  drain: DrainResult;
  bridge: BridgeResult;
  size: SizeResults;
}
