import { describe, expect, it } from "vitest";
import { blockedLine } from "../../devtools-panel/blocked-text";
import { operationStatus } from "../../devtools-panel/queue-rows";

const at = new Date(2026, 11, 5, 18, 30, 0, 0).getTime();

describe("the Overview's blocked line", () => {
  it.each([
    [{ reason: "forced-offline", by: "panel", since: at }, "Not syncing: forced offline by the panel since 18:30:00.000", "Go online"],
    [{ reason: "paused", by: "app", since: at }, "Not syncing: paused by the app since 18:30:00.000", "Resume"],
    [{ reason: "auth", status: 401, fix: "call setHeaders()" }, "Not syncing: the server refused the credentials (HTTP 401)", "call setHeaders()"],
    [{ reason: "unreachable", url: "http://x/_ping", lastProbeAt: at, nextProbeAt: at + 2000 }, "Not syncing: the server is unreachable (http://x/_ping); last probe 18:30:00.000, next probe 18:30:02.000", undefined],
    [{ reason: "throttled", until: at + 30_000 }, "Not syncing: throttled by the server (Retry-After) until 18:30:30.000", undefined],
    [{ reason: "slow", timeoutMs: 1000, until: at, attempt: 2 }, "Not syncing: the server is slow: requests time out after 1000 ms; next try 18:30:00.000 (attempt 2)", "raise timeoutMs if the server is just slow"],
    [{ reason: "backoff", until: at, attempt: 3 }, "Not syncing: backing off after failures until 18:30:00.000 (attempt 3)", undefined],
    [{ reason: "busy", since: at }, "Not syncing: another tab or worker is draining this database (since 18:30:00.000)", undefined],
    [{ reason: "busy", since: at, holder: { page: "http://app/b", since: at - 1000 } }, "Not syncing: another tab or worker is draining this database (since 18:30:00.000): http://app/b, draining since 18:29:59.000", undefined],
    [{ reason: "dead-letters", count: 2, items: ["a", "b"] }, "Not syncing: waiting on 2 dead letters (a, b)", "retry or discard them in Dead letters"],
    [{ reason: "conflicts", count: 1 }, "Not syncing: waiting on 1 conflict", "resolve them in Conflicts"],
  ])("%o", (blocked, line, fix) => {
    expect(blockedLine(blocked, at)).toEqual({ reason: blocked.reason, line, ...(fix ? { fix } : {}) });
  });

  it("says nothing when nothing holds the client, and stays inert with hostile values", () => {
    expect(blockedLine(null)).toBeNull();
    expect(blockedLine(undefined)).toBeNull();
    const hostile = blockedLine({ reason: "dead-letters", count: { toString: 0 }, items: ["\u202Eevil", { valueOf: 0 }] }, at);
    expect(hostile?.line).toBe('Not syncing: waiting on {"toString":0} dead letters (\\u202Eevil, {"valueOf":0})');
    expect(blockedLine({ reason: "<img src=x>" }, at)?.line).toBe("Not syncing: <img src=x>");
  });

  it("a block of the whole client marks every queue row blocked, except those held by their own item's dead letter", () => {
    const op = { itemId: "a", nextAttemptAt: 0, errors: [] };
    expect(operationStatus(op, at, new Set(), "throttled")).toBe("blocked");
    expect(operationStatus(op, at, new Set(["a"]), "throttled")).toBe("held");
    expect(operationStatus(op, at, new Set())).toBe("due");
  });
});
