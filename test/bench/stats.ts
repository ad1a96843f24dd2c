import type { LatencySummary, PairedRatios, TimedRun } from "./types";

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

/** The median of a list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Compares two runs made in the same interleaved rounds (`rounds` equal slices of their latencies, in
 * order): the ratio a/b of each round's p50 and of each round's time per op, summarised over the rounds.
 */
export function pairedRatios(a: TimedRun, b: TimedRun, rounds: number): PairedRatios {
  const slices = (run: TimedRun): number[][] => {
    const size = run.latenciesMs.length / rounds;
    return Array.from({ length: rounds }, (_, r) => run.latenciesMs.slice(r * size, (r + 1) * size));
  };
  const [as, bs] = [slices(a), slices(b)];
  const summary = (ratios: number[]) => ({ median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) });
  const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  return {
    rounds,
    p50: summary(as.map((slice, r) => median(slice) / median(bs[r]!))),
    thru: summary(as.map((slice, r) => mean(slice) / mean(bs[r]!))),
  };
}
