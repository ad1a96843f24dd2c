import { BUCKET_MS, summarize, WINDOW_BUCKETS, type MetricsHistory } from "../metrics-history";
import "./charts.css";

/** Plot height in viewBox units; the top few stay free so a line at the max is not clipped. */
const HEIGHT = 100;
const TOP_GAP = 4;
const WINDOW_TEXT = `last ${(WINDOW_BUCKETS * BUCKET_MS) / 60_000} min`;

export interface SparklineProps {
  /** One value per bucket, oldest first; null is a gap (no data). */
  values: (number | null)[];
  label: string;
  /** Appended to every value shown, e.g. "ms"; empty for none. */
  unit: string;
  format?: (value: number) => string;
  /** The value quoted as current; the newest non-null value by default. */
  current?: number | null;
  variant?: "line" | "bars";
  /** Text under the plot, e.g. the time span. */
  caption?: string;
  testId?: string;
}

/**
 * A small SVG chart that stretches to its container's width, with the current value and the y-axis max as
 * text. `data-points` on the root is the number of non-null values.
 */
export function Sparkline({ values, label, unit, format = integer, variant = "line", caption, testId, ...props }: SparklineProps) {
  const { max, ...summary } = summarize(values);
  const current = props.current !== undefined ? props.current : summary.current;
  const show = (value: number | null) => (value === null ? "–" : unit ? `${format(value)} ${unit}` : format(value));
  const top = max !== null && max > 0 ? max : 1;
  const y = (value: number) => HEIGHT - (value / top) * (HEIGHT - TOP_GAP);
  const path = variant === "bars" ? barsPath(values, y) : linePath(values, y);
  const description = max === null ? "no data" : `current ${show(current)}, max ${show(max)}`;
  return (
    <div
      class={`chart chart-${variant}`}
      data-testid={testId}
      data-points={values.filter((value) => value !== null).length}
      role="img"
      aria-label={`${label}${caption ? `, ${caption}` : ""}: ${description}`}
    >
      <div class="chart-head">
        <span class="chart-label">{label}</span>
        <span class="chart-current">{show(current)}</span>
      </div>
      <div class="chart-plot">
        <span class="chart-max">{show(max)}</span>
        <svg viewBox={`0 0 ${Math.max(values.length, 1)} ${HEIGHT}`} preserveAspectRatio="none" aria-hidden="true">
          {path && <path d={path} />}
        </svg>
      </div>
      {caption && <div class="chart-caption">{caption}</div>}
    </div>
  );
}

/** Queue depth, throughput and latency of one client over the history window ending at `now`. */
export function OverviewCharts({ history, now }: { history: MetricsHistory; now: number }) {
  const { queueDepth, throughput, latencyMs } = history.series(now);
  // A panel opened a moment ago has seconds of data, not minutes: the x axis spans what there is (at
  // least a minute), so a fresh burst is not a sliver at the right edge of five empty minutes.
  const first = queueDepth.values.findIndex((value) => value !== null);
  const from = first < 0 ? 0 : Math.min(first, queueDepth.values.length - MIN_SPAN);
  const span = queueDepth.values.length - from;
  const caption = span >= WINDOW_BUCKETS ? WINDOW_TEXT : `last ${Math.round((span * BUCKET_MS) / 1000)} s`;
  return (
    <div class="charts">
      <Sparkline testId="chart-queue" label="queue depth" unit="ops" values={queueDepth.values.slice(from)} current={queueDepth.current} caption={caption} />
      <Sparkline testId="chart-throughput" label="throughput" unit="ops/s" values={throughput.values.slice(from)} current={throughput.current} variant="bars" caption={caption} />
      <Sparkline testId="chart-latency" label="latency" unit="ms" values={latencyMs.values.slice(from)} current={latencyMs.current} caption={caption} />
    </div>
  );
}

/** Buckets shown at the least. */
const MIN_SPAN = 60;

function integer(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** Bucket `i` spans x = i..i+1; runs of values are joined, and a lone value is a bucket-wide dash. */
function linePath(values: (number | null)[], y: (value: number) => number): string {
  let path = "";
  values.forEach((value, i) => {
    if (value === null) return;
    const joined = i > 0 && values[i - 1] !== null;
    const lone = !joined && (values[i + 1] ?? null) === null;
    path += lone ? `M${i} ${y(value)}h1` : `${joined ? "L" : "M"}${i + 0.5} ${y(value)}`;
  });
  return path;
}

function barsPath(values: (number | null)[], y: (value: number) => number): string {
  return values.map((value, i) => (value ? `M${i} ${HEIGHT}V${y(value)}h1V${HEIGHT}z` : "")).join("");
}
