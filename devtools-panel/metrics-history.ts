/**
 * A short history of one client's status and metrics for the Overview charts: 1-second buckets over the
 * last 5 minutes in a ring buffer, so memory stays bounded whatever the update rate. Pure logic.
 */

/** Width of one bucket. */
export const BUCKET_MS = 1000;
/** Buckets in the charted window (5 minutes), and the most a history keeps. */
export const WINDOW_BUCKETS = 300;

/** The values of one chart, oldest bucket first; null where there is no data. */
export interface Series {
  values: (number | null)[];
  /** The newest non-null value. */
  current: number | null;
  max: number | null;
}

/** Three aligned series over the window; the last bucket is the one in progress at `now`. */
export interface HistorySeries {
  /** Start time (ms) of the first bucket. */
  start: number;
  queueDepth: Series;
  /** Operations acknowledged per second; `current` is the last complete second. */
  throughput: Series;
  /** Mean request latency (ms) per bucket; null for buckets without requests. */
  latencyMs: Series;
}

interface Bucket {
  index: number;
  /** Queue depth at the end of the bucket, or null while none is known. */
  depth: number | null;
  /** The highest depth seen in the bucket: a queue that filled and drained within a second still shows. */
  peak: number | null;
  acknowledged: number;
  latencySumMs: number;
  latencyCount: number;
  /** p50 reported in the bucket, for metrics without the cumulative latency fields. */
  latencyP50: number | null;
}

interface Counters {
  successes: number | null;
  requests: number | null;
  latencyCount: number | null;
  latencySumMs: number | null;
}

/**
 * History of one client. Call `record` on every status or metrics update, `series` to draw.
 * No update means no change: the queue depth carries forward and throughput is 0.
 */
export class MetricsHistory {
  readonly #slots: (Bucket | null)[] = Array.from({ length: WINDOW_BUCKETS }, () => null);
  /** The newest bucket overwritten in the ring: the queue depth before the oldest kept bucket. */
  #evicted: { index: number; depth: number } | null = null;
  #lastIndex: number | null = null;
  #lastDepth: number | null = null;
  #firstMetricsIndex: number | null = null;
  #counters: Counters | null = null;

  /** Buckets held: at most `WINDOW_BUCKETS`. */
  get size(): number {
    return this.#slots.filter((slot) => slot !== null).length;
  }

  /** Records the client's current status and metrics (untrusted objects from the page) at `now` (ms). */
  record(now: number, status: Record<string, unknown> | null, metrics: Record<string, unknown> | null): void {
    if (!status && !metrics) return;
    // A clock that steps back must not reopen an old bucket or corrupt the ring: count it as the newest.
    const index = Math.max(Math.floor(now / BUCKET_MS), this.#lastIndex ?? -Infinity);
    const bucket = this.#bucket(index);
    const depth = finite(status?.["pending"]);
    if (depth !== null) {
      bucket.depth = this.#lastDepth = depth;
      bucket.peak = Math.max(bucket.peak ?? depth, depth);
    }
    if (metrics) this.#recordMetrics(index, bucket, metrics);
  }

  /** The window of `WINDOW_BUCKETS` buckets ending with the one that holds `now`. */
  series(now: number): HistorySeries {
    const end = Math.floor(now / BUCKET_MS);
    const first = end - WINDOW_BUCKETS + 1;
    const queueDepth: (number | null)[] = [];
    const throughput: (number | null)[] = [];
    const latencyMs: (number | null)[] = [];
    let depth = this.#depthBefore(first);
    for (let index = first; index <= end; index++) {
      const slot = this.#slots[slotOf(index)];
      const bucket = slot?.index === index ? slot : null;
      queueDepth.push(bucket?.peak ?? bucket?.depth ?? depth);
      depth = bucket?.depth ?? depth;
      throughput.push(this.#firstMetricsIndex !== null && index >= this.#firstMetricsIndex ? (bucket?.acknowledged ?? 0) : null);
      latencyMs.push(!bucket ? null : bucket.latencyCount > 0 ? bucket.latencySumMs / bucket.latencyCount : bucket.latencyP50);
    }
    // The bucket in progress undercounts a rate: quote the last complete second while there is one.
    const rate = { ...summarize(throughput), current: throughput.at(-2) ?? throughput.at(-1) ?? null };
    // The chart plots each second's peak; "current" is the depth now.
    return { start: first * BUCKET_MS, queueDepth: { ...summarize(queueDepth), current: depth }, throughput: rate, latencyMs: summarize(latencyMs) };
  }

  #bucket(index: number): Bucket {
    const slot = slotOf(index);
    const old = this.#slots[slot];
    if (old?.index === index) return old;
    if (old && old.depth !== null && (!this.#evicted || old.index > this.#evicted.index)) this.#evicted = { index: old.index, depth: old.depth };
    const bucket: Bucket = { index, depth: this.#lastDepth, peak: this.#lastDepth, acknowledged: 0, latencySumMs: 0, latencyCount: 0, latencyP50: null };
    this.#slots[slot] = bucket;
    this.#lastIndex = index;
    return bucket;
  }

  #recordMetrics(index: number, bucket: Bucket, metrics: Record<string, unknown>): void {
    const latency = typeof metrics["latencyMs"] === "object" && metrics["latencyMs"] !== null ? (metrics["latencyMs"] as Record<string, unknown>) : {};
    const counters: Counters = {
      successes: finite(metrics["successes"]),
      requests: finite(metrics["requests"]),
      latencyCount: finite(latency["count"]),
      latencySumMs: finite(latency["sumMs"]),
    };
    const previous = this.#counters;
    this.#counters = counters;
    this.#firstMetricsIndex ??= index;
    if (!previous) return; // the first sample is the baseline: its counters span the client's whole life
    bucket.acknowledged += increase(previous.successes, counters.successes) ?? 0;
    const timed = increase(previous.latencyCount, counters.latencyCount);
    const timedMs = increase(previous.latencySumMs, counters.latencySumMs);
    if (timed !== null && timedMs !== null) {
      bucket.latencySumMs += timedMs;
      bucket.latencyCount += timed;
    } else if (counters.latencyCount === null && (increase(previous.requests, counters.requests) ?? 0) > 0) {
      bucket.latencyP50 = finite(latency["p50"]) ?? bucket.latencyP50;
    }
  }

  #depthBefore(index: number): number | null {
    let latest = this.#evicted && this.#evicted.index < index ? this.#evicted : null;
    for (const slot of this.#slots) {
      if (slot && slot.depth !== null && slot.index < index && (!latest || slot.index > latest.index)) latest = { index: slot.index, depth: slot.depth };
    }
    return latest?.depth ?? null;
  }
}

/** Current (newest non-null) and max of a series. */
export function summarize(values: (number | null)[]): Series {
  let current: number | null = null;
  let max: number | null = null;
  for (const value of values) {
    if (value === null) continue;
    current = value;
    max = max === null ? value : Math.max(max, value);
  }
  return { values, current, max };
}

/**
 * How much a cumulative counter grew; null when either reading is missing. A counter below the previous
 * reading restarted (the page reloaded), so everything it counts now is new.
 */
function increase(previous: number | null, current: number | null): number | null {
  if (previous === null || current === null) return null;
  return current < previous ? current : current - previous;
}

function finite(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}

function slotOf(index: number): number {
  return ((index % WINDOW_BUCKETS) + WINDOW_BUCKETS) % WINDOW_BUCKETS;
}
