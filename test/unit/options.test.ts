import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { InvalidOptionsError } from "../../sdk/shared/errors";
import { resolveFeatureOptions, type SyncClientOptions } from "../../sdk/client/full-options";
import { resolveOptions, type CoreSyncClientOptions } from "../../sdk/client/options";

const base: CoreSyncClientOptions = { name: "todos", endpoint: "http://127.0.0.1:8787/api/todos/" };

/** `attempt` throws an InvalidOptionsError naming `option`. */
function expectRejected(attempt: () => unknown, option: string): void {
  expect(attempt).toThrow(InvalidOptionsError);
  try {
    attempt();
  } catch (error) {
    expect((error as InvalidOptionsError).option).toBe(option);
  }
}

describe("resolveOptions", () => {
  it("fills the documented defaults", () => {
    const resolved = resolveOptions(base);
    expect(resolved).toMatchObject({
      endpoint: "http://127.0.0.1:8787/api/todos",
      batchSize: 50,
      maxBatchSize: 200,
      maxRetries: 5,
      backoff: { baseMs: 1000, maxMs: 60_000 },
      pingUrl: "http://127.0.0.1:8787/api/todos/_ping",
      triggers: { onWrite: true, onOnline: true, onVisible: true, flushOnPageHide: true, intervalMs: 30_000 },
    });
  });

  it.each([
    ["name", { name: "" }],
    ["name", { name: "has space" }],
    ["endpoint", { endpoint: "/relative" }],
    ["endpoint", { endpoint: "ftp://x/y" }],
    ["endpoint", { endpoint: "http://x/api/todos?tenant=1" }],
    ["endpoint", { endpoint: "http://x/api/todos#top" }],
    ["endpoint", { endpoint: "http://x/api/todos?" }],
    ["headers", { headers: { "x-user": "Zoë €" } }],
    ["headers", { headers: { "bad name": "x" } }],
    ["endpoint", { endpoint: "http://user:secret@x/api/todos" }],
    ["timeoutMs", { timeoutMs: 2 ** 31 }],
    ["pingTimeoutMs", { pingTimeoutMs: 2 ** 31 }],
    ["backoff.maxMs", { backoff: { maxMs: 2 ** 31 } }],
    ["backoff", { backoff: "x" }],
    ["triggers", { triggers: 5 }],
    ["triggers", { triggers: [] }],
    ["headers", { headers: new Headers({ Authorization: "Bearer x" }) }],
    ["batchSize", { batchSize: 0 }],
    ["batchSize", { batchSize: 501 }],
    ["batchSize", { batchSize: 2.5 }],
    ["maxBatchSize", { maxBatchSize: 501 }],
    ["maxBatchSize", { batchSize: 100, maxBatchSize: 50 }],
    ["maxRetries", { maxRetries: -1 }],
    ["backoff.baseMs", { backoff: { baseMs: 0 } }],
    ["backoff.maxMs", { backoff: { baseMs: 100, maxMs: 10 } }],
    ["timeoutMs", { timeoutMs: Number.POSITIVE_INFINITY }],
    ["pingUrl", { pingUrl: "nope" }],
    ["headers", { headers: { Authorization: 5 } }],
    ["triggers.intervalMs", { triggers: { intervalMs: -1 } }],
    ["triggers.onWrite", { triggers: { onWrite: "yes" } }],
    ["maxQueueSize", { maxQueueSize: 0 }],
  ])("rejects a bad %s", (option, patch) => {
    expectRejected(() => resolveOptions({ ...base, ...(patch as object) } as CoreSyncClientOptions), option);
  });
});

describe("resolveFeatureOptions", () => {
  it("fills the documented defaults", () => {
    expect(resolveFeatureOptions(base)).toMatchObject({ read: "cache-first", conflict: "merge", mergeTie: "server", pull: true, pullPageSize: 100, eventLogSize: 200, storage: undefined });
  });

  it.each([
    ["conflict", { conflict: "whoever" }],
    ["mergeTie", { mergeTie: "coin" }],
    ["read", { read: "network-only" }],
    ["pull", { pull: "yes" }],
    ["pullPageSize", { pullPageSize: 1001 }],
    ["eventLogSize", { eventLogSize: -1 }],
    ["storage", { storage: { put: () => undefined } }],
    ["redact", { redact: "nope" }],
  ])("rejects a bad %s", (option, patch) => {
    expectRejected(() => resolveFeatureOptions({ ...base, ...(patch as object) } as SyncClientOptions), option);
  });
});
