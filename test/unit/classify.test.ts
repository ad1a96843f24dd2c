import { describe, expect, it } from "vitest";
import { classify, type SendOutcome } from "../../sdk/sync/classify";

const http = (status: number, retryAfterMs?: number): SendOutcome =>
  retryAfterMs === undefined ? { kind: "http", status, body: null } : { kind: "http", status, body: null, retryAfterMs };

describe("classify", () => {
  it.each([
    ["2xx with a version", { kind: "ok", status: 200, version: 2, body: {} } as SendOutcome, { action: "ack" }],
    ["network error", { kind: "network", message: "reset" } as SendOutcome, { action: "retry", unreachable: true }],
    ["timeout", { kind: "timeout", message: "late" } as SendOutcome, { action: "retry", unreachable: false }],
    ["malformed reply", { kind: "malformed", status: 200, message: "?", body: "x" } as SendOutcome, { action: "retry", unreachable: false }],
    ["500", http(500), { action: "retry", unreachable: false }],
    ["503", http(503), { action: "retry", unreachable: false }],
    ["408", http(408), { action: "retry", unreachable: false }],
    ["429 with Retry-After", http(429, 2000), { action: "retry", delayMs: 2000, unreachable: false }],
    ["503 with Retry-After", http(503, 5000), { action: "retry", delayMs: 5000, unreachable: false }],
    ["401", http(401), { action: "pause" }],
    ["403", http(403), { action: "pause" }],
    ["409", http(409), { action: "conflict" }],
    ["400", http(400), { action: "dead" }],
    ["404", http(404), { action: "dead" }],
    ["413", http(413), { action: "dead" }],
    ["422", http(422), { action: "dead" }],
    ["a key spent on an earlier body, the server's copy read", { kind: "reused", server: null } as SendOutcome, { action: "rekey" }],
  ])("%s", (_name, outcome, verdict) => {
    expect(classify(outcome)).toEqual(verdict);
  });
});
