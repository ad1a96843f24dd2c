import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter, RETRY_AFTER_CAP_MS, retryDelay } from "../../sdk/sync/backoff";

describe("backoffDelay (full jitter)", () => {
  const options = { baseMs: 1000, maxMs: 60_000 };

  it("stays within [0, base * 2^(n-1)) and grows exponentially", () => {
    expect(backoffDelay(1, options, () => 0.999999)).toBe(999);
    expect(backoffDelay(2, options, () => 0.999999)).toBe(1999);
    expect(backoffDelay(4, options, () => 0.999999)).toBe(7999);
    expect(backoffDelay(3, options, () => 0)).toBe(0);
  });

  it("never exceeds maxMs, even for huge failure counts", () => {
    for (const failures of [7, 10, 50, 1000]) {
      expect(backoffDelay(failures, options, () => 0.999999)).toBeLessThan(60_000);
    }
  });

  it("spreads delays across the whole window", () => {
    const samples = Array.from({ length: 2000 }, () => backoffDelay(3, options));
    expect(Math.min(...samples)).toBeLessThan(400);
    expect(Math.max(...samples)).toBeGreaterThan(3600);
    expect(samples.every((d) => d >= 0 && d < 4000)).toBe(true);
  });
});

describe("retryDelay", () => {
  const options = { baseMs: 1000, maxMs: 60_000 };

  it("is the backoff when the server names no delay, or a shorter one (0, a date in the past)", () => {
    expect(retryDelay(2, options, undefined, () => 0.5)).toBe(1000);
    expect(retryDelay(2, options, 0, () => 0.5)).toBe(1000);
    expect(retryDelay(2, options, 300, () => 0.5)).toBe(1000);
  });

  it("obeys a longer Retry-After, up to an hour", () => {
    expect(retryDelay(1, options, 30_000, () => 0.5)).toBe(30_000);
    expect(retryDelay(1, options, 365 * 86_400_000, () => 0.5)).toBe(RETRY_AFTER_CAP_MS);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-24T10:00:00Z");
  it("reads seconds", () => {
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 0.5 ", now)).toBe(500);
  });
  it("reads an HTTP date, never negative", () => {
    expect(parseRetryAfter("Tue, 24 Nov 2026 10:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Tue, 24 Nov 2026 09:00:00 GMT", now)).toBe(0);
  });
  it("ignores absent or garbage values", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
  });
});
