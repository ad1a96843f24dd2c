import type { SyncMetrics } from "../shared/types.js";

const LATENCY_SAMPLES = 1000;

/** Counters and a bounded window of request latencies; `snapshot()` derives the rest. */
export class MetricsRecorder {
  #successes = 0;
  #failures = 0;
  #retries = 0;
  #deadLettered = 0;
  #requests = 0;
  #bytesSent = 0;
  #bytesBeforeCompression = 0;
  #drains = 0;
  refusedWrites = 0;
  readonly #latencies: number[] = [];
  #latencyCursor = 0;
  #latencySumMs = 0;

  /** HTTP requests that got a reply or failed (pings and the unload flush are not counted). */
  get requests(): number {
    return this.#requests;
  }

  request(bytes: number, rawBytes: number, latencyMs: number): void {
    this.#requests++;
    this.#bytesSent += bytes;
    this.#bytesBeforeCompression += rawBytes;
    this.#latencySumMs += latencyMs;
    if (this.#latencies.length < LATENCY_SAMPLES) this.#latencies.push(latencyMs);
    else this.#latencies[this.#latencyCursor] = latencyMs;
    this.#latencyCursor = (this.#latencyCursor + 1) % LATENCY_SAMPLES;
  }

  outcome(kind: "success" | "retry" | "dead" | "failure"): void {
    if (kind === "success") this.#successes++;
    else this.#failures++;
    if (kind === "retry") this.#retries++;
    if (kind === "dead") this.#deadLettered++;
  }

  drain(): void {
    this.#drains++;
  }

  snapshot(queueDepth: number, oldestPendingAt: number | null, now: number): SyncMetrics {
    const totalAttempts = this.#successes + this.#failures;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const sum = sorted.reduce((total, value) => total + value, 0);
    return {
      totalAttempts,
      successes: this.#successes,
      failures: this.#failures,
      successRate: totalAttempts === 0 ? 1 : this.#successes / totalAttempts,
      retries: this.#retries,
      deadLettered: this.#deadLettered,
      requests: this.#requests,
      latencyMs: {
        average: sorted.length ? sum / sorted.length : 0,
        p50: percentile(sorted, 0.5),
        p95: percentile(sorted, 0.95),
        samples: sorted.length,
        count: this.#requests,
        sumMs: this.#latencySumMs,
      },
      queueDepth,
      oldestPendingAgeMs: oldestPendingAt === null ? null : Math.max(0, now - oldestPendingAt),
      bytesSent: this.#bytesSent,
      bytesBeforeCompression: this.#bytesBeforeCompression,
      drains: this.#drains,
      refusedWrites: this.refusedWrites,
    };
  }
}

/** Nearest-rank percentile of an ascending array; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
