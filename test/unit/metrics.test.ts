import { describe, expect, it } from "vitest";
import { MetricsRecorder, percentile } from "../../sdk/observe/metrics";

describe("metrics", () => {
  it("nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.95)).toBe(95);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.5)).toBe(0);
  });

  it("derives rates and keeps a bounded latency window", () => {
    const recorder = new MetricsRecorder();
    for (let i = 0; i < 1500; i++) recorder.request(10, 20, i < 500 ? 1000 : 10);
    recorder.outcome("success");
    recorder.outcome("success");
    recorder.outcome("success");
    recorder.outcome("retry");
    const snapshot = recorder.snapshot(4, 1000, 3000);
    expect(snapshot.latencyMs.samples).toBe(1000);
    expect(snapshot.latencyMs.p95).toBe(10);
    // The cumulative pair still counts the 500 slow requests the window has forgotten.
    expect(snapshot.latencyMs.count).toBe(1500);
    expect(snapshot.latencyMs.sumMs).toBe(500 * 1000 + 1000 * 10);
    expect(snapshot.bytesSent).toBe(15_000);
    expect(snapshot.bytesBeforeCompression).toBe(30_000);
    expect(snapshot.successRate).toBe(0.75);
    expect(snapshot.retries).toBe(1);
    expect(snapshot.oldestPendingAgeMs).toBe(2000);
    expect(snapshot.queueDepth).toBe(4);
  });
});
