/** Exponential backoff settings: the n-th retry waits a random time in [0, min(maxMs, baseMs * 2^(n-1))). */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/**
 * Full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog): spreads retries of many clients
 * evenly instead of letting them stampede in waves. `failures` counts from 1.
 */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/** The longest a server's `Retry-After` is obeyed: beyond it, an operation would sit parked for days. */
export const RETRY_AFTER_CAP_MS = 60 * 60_000;

/**
 * How long to wait before retry number `failures`: the backoff, or the server's `Retry-After` when longer
 * (up to an hour). A `Retry-After` of 0 or a date in the past still backs off.
 */
export function retryDelay(failures: number, options: BackoffOptions, retryAfterMs?: number, random?: () => number): number {
  return Math.max(backoffDelay(failures, options, random), Math.min(retryAfterMs ?? 0, RETRY_AFTER_CAP_MS));
}

/**
 * Parses a `Retry-After` header (delay in seconds or an HTTP date) into milliseconds from `now`.
 * Returns undefined when absent or unparseable; never negative.
 */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (header == null) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined; // an HTTP date names its day and month
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
