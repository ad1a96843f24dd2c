import { describe, expect, it } from "vitest";
import { MetricsHistory, WINDOW_BUCKETS } from "../../devtools-panel/metrics-history";

const T0 = 1_700_000_000_000; // a whole second
const at = (seconds: number) => T0 + seconds * 1000;
const status = (pending: number) => ({ pending });
const metrics = (successes: number, latency: Record<string, unknown> = {}, requests = 0) => ({ successes, requests, latencyMs: latency });
/** The last `n` values of a series, newest last. */
const tail = <T>(values: T[], n: number) => values.slice(-n);

describe("MetricsHistory", () => {
  it("is all nulls before the first sample, over a window of 300 one-second buckets", () => {
    const history = new MetricsHistory();
    history.record(at(10), status(3), metrics(0));
    const series = history.series(at(10.5));
    expect(series.queueDepth.values).toHaveLength(WINDOW_BUCKETS);
    expect(series.start).toBe(at(10 - WINDOW_BUCKETS + 1));
    expect(series.queueDepth.values.filter((v) => v === null)).toHaveLength(WINDOW_BUCKETS - 1);
    expect(tail(series.queueDepth.values, 2)).toEqual([null, 3]);
    expect(tail(series.throughput.values, 2)).toEqual([null, 0]);
    expect(series.latencyMs.values.every((v) => v === null)).toBe(true);
    expect(new MetricsHistory().series(at(10)).queueDepth).toEqual({ values: Array(WINDOW_BUCKETS).fill(null), current: null, max: null });
  });

  it("plots each second's peak depth, carries the last depth forward across seconds without updates", () => {
    const history = new MetricsHistory();
    history.record(at(0), status(5), null);
    history.record(at(0.9), status(8), null);
    history.record(at(3.2), status(2), null);
    history.record(at(3.4), null, metrics(0)); // metrics alone leave the depth as it was
    const series = history.series(at(5));
    // Second 3 starts at 8 and ends at 2: its peak is 8.
    expect(tail(series.queueDepth.values, 7)).toEqual([null, 8, 8, 8, 8, 2, 2]);
    expect(series.queueDepth.current).toBe(2);
    expect(series.queueDepth.max).toBe(8);
  });

  it("a queue that fills and drains within one second still shows its peak", () => {
    const history = new MetricsHistory();
    history.record(at(0), status(0), null);
    history.record(at(1.1), status(1000), null);
    history.record(at(1.8), status(0), null);
    const series = history.series(at(3));
    expect(tail(series.queueDepth.values, 4)).toEqual([0, 1000, 0, 0]);
    expect(series.queueDepth.current).toBe(0);
  });

  it("carries a depth recorded before the window into it", () => {
    const history = new MetricsHistory();
    history.record(at(0), status(4), null);
    history.record(at(WINDOW_BUCKETS), status(9), null); // overwrites bucket 0's ring slot
    const values = history.series(at(WINDOW_BUCKETS)).queueDepth.values;
    expect(values.slice(0, 3)).toEqual([4, 4, 4]);
    expect(tail(values, 1)).toEqual([9]);
    expect(history.series(at(3000)).queueDepth.values.every((v) => v === 9)).toBe(true);
  });

  it("charts acknowledged operations per second from the successes counter, never negative", () => {
    const history = new MetricsHistory();
    history.record(at(0), null, metrics(1000)); // baseline: the client's whole life, not one second
    history.record(at(1.1), null, metrics(1004));
    history.record(at(1.8), null, metrics(1010));
    history.record(at(3), null, metrics(1012));
    history.record(at(4), null, metrics(3)); // the page reloaded: 3 since the restart
    history.record(at(5), null, metrics(7));
    const throughput = history.series(at(6)).throughput;
    expect(tail(throughput.values, 8)).toEqual([null, 0, 10, 0, 2, 3, 4, 0]);
    expect(throughput.max).toBe(10);
    expect(throughput.current).toBe(4); // the last complete second, not the one in progress
  });

  it("charts mean latency per bucket from the cumulative count and sum", () => {
    const history = new MetricsHistory();
    history.record(at(0), null, metrics(0, { p50: 50, count: 10, sumMs: 1000 }));
    history.record(at(1.2), null, metrics(0, { p50: 50, count: 12, sumMs: 1040 }));
    history.record(at(1.7), null, metrics(0, { p50: 50, count: 14, sumMs: 1120 }));
    history.record(at(2.5), null, metrics(0, { p50: 50, count: 14, sumMs: 1120 })); // no requests
    history.record(at(3.5), null, metrics(0, { p50: 50, count: 2, sumMs: 300 })); // restarted
    const latency = history.series(at(4)).latencyMs;
    expect(tail(latency.values, 5)).toEqual([null, 30, null, 150, null]);
    expect(latency.current).toBe(150);
    expect(latency.max).toBe(150);
  });

  it("falls back to p50 in buckets with requests when the cumulative latency fields are absent", () => {
    const history = new MetricsHistory();
    history.record(at(0), null, metrics(0, { p50: 40 }, 5));
    history.record(at(1), null, metrics(0, { p50: 42 }, 7));
    history.record(at(2), null, metrics(0, { p50: 42 }, 7));
    history.record(at(3), null, metrics(0, { p50: 45 }, 9));
    expect(tail(history.series(at(3)).latencyMs.values, 4)).toEqual([null, 42, null, 45]);
  });

  it("drops buckets older than the window and ignores ones after `now`", () => {
    const history = new MetricsHistory();
    history.record(at(0), null, metrics(0));
    history.record(at(1), null, metrics(6));
    history.record(at(400), null, metrics(9));
    expect(history.series(at(1)).throughput.values.at(-1)).toBe(6);
    const later = history.series(at(400)).throughput;
    expect(later.max).toBe(3);
    expect(later.values.filter((v) => v !== 0)).toEqual([3]);
  });

  it("keeps at most 300 buckets whatever the update rate", () => {
    const history = new MetricsHistory();
    const updates = 10_000;
    const span = 20 * 60 * 1000;
    for (let i = 0; i < updates; i++) history.record(T0 + (i * span) / updates, status(i % 50), metrics(i));
    expect(history.size).toBeLessThanOrEqual(WINDOW_BUCKETS);
    const series = history.series(T0 + span - 1);
    expect(series.throughput.values.every((v) => v !== null && v >= 8 && v <= 9)).toBe(true);
    expect(series.queueDepth.current).toBe((updates - 1) % 50);
  });

  it("reads untrusted values defensively and survives a clock stepping back", () => {
    const history = new MetricsHistory();
    history.record(at(5), { pending: "7" }, { successes: Number.NaN, latencyMs: "fast" });
    history.record(at(6), status(2), metrics(10));
    history.record(at(2), status(4), metrics(12)); // counted in the newest bucket
    const series = history.series(at(6));
    expect(tail(series.queueDepth.values, 3)).toEqual([null, null, 4]);
    expect(tail(series.throughput.values, 3)).toEqual([null, 0, 2]);
    expect(history.size).toBe(2);
  });
});
