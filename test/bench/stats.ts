import type { LatencySummary, TimedRun } from "./types";

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(run: TimedRun): LatencySummary {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    meanMs: sorted.reduce((sum, x) => sum + x, 0) / n,
    maxMs: sorted[n - 1] ?? Number.NaN,
    opsPerSec: (n / run.totalMs) * 1000,
  };
}

export function ratio(a: number, b: number): number {
  return b > 0 ? a / b : Number.NaN;
}
