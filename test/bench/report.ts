/** Formats BenchResults as the human-readable report printed to stdout. */
import { ratio } from "./stats";
import type { BenchResults, LatencySummary, PairedRatios, SaveDepthResult } from "./types";

/** A 10k-depth p50 within this factor of the empty-queue p50 counts as flat. */
export const FLAT_THRESHOLD = 1.25;

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 10 ? 3 : 1) : "n/a");
const times = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "n/a");
const int = (x: number): string => Math.round(x).toLocaleString("en-US");
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(0)}%`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`;

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

const latencyRow = (label: string, s: LatencySummary): string[] => [label, String(s.n), ms(s.p50Ms), ms(s.p95Ms), ms(s.meanMs), ms(s.maxMs), int(s.opsPerSec)];

/** What sections 1 and 1b are made from. */
type SaveReportInput = Pick<BenchResults, "save" | "breakdown" | "settings" | "environment">;

function saveSection(r: SaveReportInput): string[] {
  const out = [
    "1. save() LATENCY AND THROUGHPUT (sequential awaited writes of new items; variants interleaved per depth)",
    `   ${r.settings.warmup} warm-up + ${r.settings.saveOps} timed ops per variant in ${r.settings.rounds} rotating rounds (naive queue: ${Object.entries(r.settings.naiveSaveOps)
      .map(([d, n]) => `${n} at depth ${int(Number(d))}`)
      .join(", ")}); timer step ${ms(r.environment.timerResolutionMs)} ms${r.environment.crossOriginIsolated ? " (cross-origin isolated)" : ""}`,
    "",
  ];
  const rows: string[][] = [];
  for (const d of r.save) {
    rows.push(latencyRow(`depth ${int(d.depth)}: raw idb, item put`, d.rawIdb));
    rows.push(latencyRow(`depth ${int(d.depth)}: raw idb, item + outbox record`, d.rawIdbOutbox));
    rows.push(latencyRow(`depth ${int(d.depth)}: SDK save()`, d.sdk));
    rows.push(latencyRow(`depth ${int(d.depth)}: naive JSON queue`, d.naive));
  }
  out.push(...table(["variant", "ops", "p50 ms", "p95 ms", "mean ms", "max ms", "ops/s"], rows).map((l) => `   ${l}`), "");
  const ratioRows = r.save.map((d) => [
    int(d.depth),
    times(ratio(d.sdk.p50Ms, d.rawIdb.p50Ms)),
    times(ratio(d.rawIdb.opsPerSec, d.sdk.opsPerSec)),
    times(ratio(d.sdk.p50Ms, d.rawIdbOutbox.p50Ms)),
    times(ratio(d.rawIdbOutbox.opsPerSec, d.sdk.opsPerSec)),
    times(ratio(d.naive.p50Ms, d.sdk.p50Ms)),
    times(ratio(d.sdk.opsPerSec, d.naive.opsPerSec)),
  ]);
  const pairedRows = (pick: (d: SaveDepthResult) => PairedRatios): string[][] =>
    r.save.map((d) => {
      const p = pick(d);
      return [int(d.depth), String(p.rounds), times(p.p50.median), `${times(p.p50.min)}-${times(p.p50.max)}`, times(p.thru.median), `${times(p.thru.min)}-${times(p.thru.max)}`];
    });
  const pairedHeader = ["depth", "rounds", "p50", "p50 range", "thru", "thru range"];
  out.push(
    "   Ratios (>1: the first is slower; throughput as time per op, same sense). \"item\": raw idb's put of the item",
    "   alone; \"same puts\": raw idb making save()'s two puts (item and outbox record) in one transaction, nothing else",
    ...table(["depth", "SDK/item p50", "SDK/item thru", "SDK/same puts p50", "SDK/same puts thru", "naive/SDK p50", "naive/SDK thru"], ratioRows).map((l) => `   ${l}`),
    "",
    "   Paired by round (each round ran all variants back to back; median over rounds, [min-max])",
    "   SDK / raw idb, item put:",
    ...table(pairedHeader, pairedRows((d) => d.paired)).map((l) => `     ${l}`),
    "   SDK / raw idb, same puts:",
    ...table(pairedHeader, pairedRows((d) => d.pairedOutbox)).map((l) => `     ${l}`),
    "",
  );
  const first = r.save[0];
  const last = r.save[r.save.length - 1];
  if (first && last && first !== last) {
    const sdkGrowth = ratio(last.sdk.p50Ms, first.sdk.p50Ms);
    const rawGrowth = ratio(last.rawIdb.p50Ms, first.rawIdb.p50Ms);
    const rawOutboxGrowth = ratio(last.rawIdbOutbox.p50Ms, first.rawIdbOutbox.p50Ms);
    const naiveGrowth = ratio(last.naive.p50Ms, first.naive.p50Ms);
    const verdict = sdkGrowth <= FLAT_THRESHOLD ? "FLAT" : "GROWS";
    out.push(
      `   Depth scaling, p50 at depth ${int(last.depth)} / p50 at depth ${int(first.depth)}: SDK ${times(sdkGrowth)} -> ${verdict} (flat = ≤ ${FLAT_THRESHOLD}×);` +
        ` raw idb item ${times(rawGrowth)}, same puts ${times(rawOutboxGrowth)}; naive ${times(naiveGrowth)}`,
      `   p95 at depth ${int(last.depth)} / depth ${int(first.depth)}: SDK ${times(ratio(last.sdk.p95Ms, first.sdk.p95Ms))}; raw idb ${times(ratio(last.rawIdb.p95Ms, first.rawIdb.p95Ms))}`,
    );
  }
  return out;
}

function breakdownSection(r: SaveReportInput): string[] {
  if (r.breakdown.length === 0) return [];
  const out = [
    "1b. WHERE save() TIME GOES (its IndexedDB pattern rebuilt with idb in the SDK's schema, same depth, timed",
    "    interleaved with the SDK above; each row adds one step to the row before)",
    "",
  ];
  for (const b of r.breakdown) {
    const rows: string[][] = [];
    let previous: LatencySummary | undefined;
    const delta = (now: number, before: number | undefined): string =>
      before === undefined ? "" : `${now - before >= 0 ? "+" : "-"}${ms(Math.abs(now - before))}`;
    for (const { variant, summary } of [...b.steps, { variant: "SDK save() (JS on top of the pattern)", summary: b.sdk }]) {
      rows.push([variant, ms(summary.p50Ms), delta(summary.p50Ms, previous?.p50Ms), ms(summary.p95Ms), ms(summary.meanMs), delta(summary.meanMs, previous?.meanMs)]);
      previous = summary;
    }
    const base = b.steps[0]?.summary;
    const share = base ? ` (SDK p50 = ${times(ratio(b.sdk.p50Ms, base.p50Ms))} the 1-store put in this schema)` : "";
    out.push(
      `   depth ${int(b.depth)}${share}:`,
      ...table(["step", "p50 ms", "Δ p50", "p95 ms", "mean ms", "Δ mean"], rows).map((l) => `     ${l}`),
      "",
    );
  }
  return out;
}

function drainSection(r: BenchResults): string[] {
  const d = r.drain;
  return [
    `2. DRAIN RATE (${int(d.count)} queued creates -> reference server on 127.0.0.1, batches of ${d.batchSize}; push only: the SDK's pull and gzip are off, as the baseline has neither)`,
    "",
    ...table(
      ["variant", "total ms", "ops/s", "requests"],
      [
        ["plain fetch of pre-built _batch bodies", int(d.fetch.totalMs), int(d.fetch.opsPerSec), String(d.fetch.requests)],
        [`SDK await client.sync() (${d.sdk.syncCalls} call${d.sdk.syncCalls === 1 ? "" : "s"})`, int(d.sdk.totalMs), int(d.sdk.opsPerSec), String(d.sdk.requests)],
      ],
    ).map((l) => `   ${l}`),
    "",
    `   Ratio SDK time / fetch time: ${times(ratio(d.sdk.totalMs, d.fetch.totalMs))} (fetch-only ops/s ÷ SDK ops/s)`,
    `   SDK time inside fetch: ${int(d.sdk.fetchMs)} ms (${pct(d.sdk.fetchMs, d.sdk.totalMs)}); outside it (IndexedDB take/settle + SDK JS): ` +
      `${int(d.sdk.totalMs - d.sdk.fetchMs)} ms (${pct(d.sdk.totalMs - d.sdk.fetchMs, d.sdk.totalMs)}), ` +
      `${ms((d.sdk.totalMs - d.sdk.fetchMs) / Math.max(1, d.sdk.requests))} ms per batch`,
    `   SDK queue prefill (untimed, ${int(d.count)} save() calls, 250 in flight): ${int(d.sdk.prefillMs)} ms`,
  ];
}

function sizeSection(r: BenchResults): string[] {
  const s = r.size;
  const target = s.targetGzipBytes;
  const verdict = s.core.gzipBytes <= target ? `PASS (${int(target - s.core.gzipBytes)} B to spare)` : `OVER by ${int(s.core.gzipBytes - target)} B`;
  const targetLabel = target === 10 * 1024 ? "10 KiB = 10,240 B" : `${kib(target)} = ${int(target)} B`;
  return [
    `3. SDK SIZE (what we ship: the bundles as built by npm run build, read from disk; gzip -9)`,
    "",
    ...table(
      ["file", "bytes", "gzip -9 B"],
      [
        [`${s.core.path} (core SDK + idb, minified)`, int(s.core.bytes), int(s.core.gzipBytes)],
        [`${s.bundle.path} (full SDK + idb, minified)`, int(s.bundle.bytes), int(s.bundle.gzipBytes)],
        ["idb alone (baseline, bundled + minified the same way)", int(s.idbAlone.bytes), int(s.idbAlone.gzipBytes)],
      ],
    ).map((l) => `   ${l}`),
    "   (baseline: vite build() lib mode, ESM, rolldown output.minify: true, in this run; the shipped files include their sourceMappingURL comment)",
    "",
    `   Ratio core / idb: ${times(ratio(s.core.gzipBytes, s.idbAlone.gzipBytes))} gzip; full / idb: ${times(ratio(s.bundle.gzipBytes, s.idbAlone.gzipBytes))} gzip`,
    `   idb's approximate share of the core bundle (gzip): ~${int(s.idbAlone.gzipBytes)} B of ${int(s.core.gzipBytes)} B (${pct(s.idbAlone.gzipBytes, s.core.gzipBytes)})` +
      " (idb alone with all its exports; the SDK imports only wrap(), and gzip sizes do not add exactly)",
    `   Target: the core ≤ ${targetLabel} gzipped, idb included: ${verdict} (${int(s.core.gzipBytes)} B = ${kib(s.core.gzipBytes)})`,
    `   For reference: ${s.esm.path} (idb external, deliberately unminified: apps' bundlers minify it; code shared with core.js is in a chunk of its own): ${int(s.esm.bytes)} B raw`,
  ];
}

/** Only the save() sections (section 1 and 1b), for `BENCH_ONLY=save`. */
export function formatSaveReport(r: SaveReportInput): string {
  return [...saveSection(r), "", ...breakdownSection(r)].join("\n");
}

export function formatReport(r: BenchResults): string {
  const e = r.environment;
  const header = [
    "SyncLens benchmark report",
    "=========================",
    `${r.startedAt} | ${e.chromium} headless (on-disk profile) | Node ${e.node} | ${e.platform}, ${e.cpus} CPUs | commit ${e.gitCommit ?? "unknown"}`,
    `whole run ${(r.durationMs / 1000).toFixed(1)} s; every ratio compares figures measured in this same run`,
    "",
  ];
  return [...header, ...saveSection(r), "", ...breakdownSection(r), ...drainSection(r), "", ...bridgeSection(r), "", ...sizeSection(r), ""].join("\n");
}

/** Only the bridge section, for `BENCH_ONLY=bridge`. */
export function formatBridgeReport(r: Pick<BenchResults, "bridge">): string {
  return bridgeSection(r).join("\n");
}

function bridgeSection(r: Pick<BenchResults, "bridge">): string[] {
  const b = r.bridge;
  const none = b.phases.find((p) => p.phase === "none")!;
  const rows = b.phases.map((p) => [
    p.phase === "none" ? "no bridge (baseline)" : p.phase === "exposed" ? "bridge installed, no panel" : "panel connected",
    String(p.saves),
    (p.taskMs / p.seconds / 10).toFixed(1),
    ((p.taskMs - none.taskMs) / p.seconds / 10).toFixed(1),
    (p.messages / p.seconds).toFixed(1),
    (p.bytes / p.seconds / 1024).toFixed(1),
  ]);
  const connected = b.phases.find((p) => p.phase === "connected")!;
  const exposed = b.phases.find((p) => p.phase === "exposed")!;
  return [
    `4. DEVTOOLS BRIDGE (${b.pending.toLocaleString("en-US")} pending operations, ${b.rate} changes/s, main-thread task time from CDP)`,
    "",
    ...table(["phase", "saves", "main thread %", "over baseline, % pts", "messages/s", "KiB/s posted"], rows),
    "",
    `   Ratio connected / baseline main-thread time: ${(connected.taskMs / none.taskMs).toFixed(2)}x; installed without a panel / baseline: ${(exposed.taskMs / none.taskMs).toFixed(2)}x (messages posted without a panel: ${exposed.messages})`,
  ];
}
