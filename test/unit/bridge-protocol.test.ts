import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../demo/server/faults";
import { compatibility, envelope, LIMITS, MESSAGE_TAG, parseEnvelope, parsePageMessage, parsePanelMessage, PROTOCOL_VERSION } from "../../sdk/bridge/protocol";

describe("bridge protocol validators", () => {
  it("accept every well-formed message, unchanged", () => {
    const page = [
      { type: "hello", protocol: 1, sdkVersion: "0.1.0", clients: [{ clientId: "c1", name: "todos" }] },
      { type: "snapshot", clientId: "c1", snapshot: { format: "synclens-snapshot" } },
      { type: "delta", clientId: "c1", seq: 3, entries: [{ part: "status", value: { state: "idle" } }, { part: "queue", added: [{}], removed: [4], changed: [] }, { part: "events", value: [] }] },
      { type: "reply", requestId: 7, ok: true, result: { pushed: 1 } },
      { type: "reply", requestId: 8, ok: false, error: { code: "not_found", message: "no such dead letter" } },
      { type: "goodbye", clientId: "c1" },
    ];
    for (const message of page) expect(parsePageMessage(message)).toEqual({ ok: true, message });
    const panel = [
      { type: "connect", protocol: 1 },
      { type: "disconnect" },
      { type: "command", requestId: 1, clientId: "c1", command: { name: "setOffline", offline: true } },
      { type: "command", requestId: 2, clientId: "c1", command: { name: "resolveConflict", id: "a", resolution: { value: { id: "a" } } } },
      { type: "command", requestId: 3, clientId: "c1", command: { name: "expand", path: ["queue", 3, "value"] } },
      { type: "command", requestId: 4, clientId: "c1", command: { name: "discardDeadLetter", opId: "o1" } },
      { type: "command", requestId: 5, clientId: "c1", command: { name: "queue", after: 1000, limit: LIMITS.queuePage } },
      { type: "command", requestId: 6, clientId: "c1", command: { name: "resolveConflict", id: "a", resolution: { value: null, serverVersion: 3 } } },
    ];
    for (const message of panel) expect(parsePanelMessage(message)).toEqual({ ok: true, message });
  });

  it.each([
    ["a string", "hello", "not_an_object"],
    ["an unknown type", { type: "eval", code: "alert(1)" }, "unknown_type"],
    ["a hello without clients", { type: "hello", protocol: 1, sdkVersion: "x" }, "malformed"],
    ["a hello with too many clients", { type: "hello", protocol: 1, sdkVersion: "x", clients: Array.from({ length: LIMITS.clients + 1 }, (_, i) => ({ clientId: `c${i}`, name: "n" })) }, "malformed"],
    ["an overlong client name", { type: "hello", protocol: 1, sdkVersion: "x", clients: [{ clientId: "c", name: "x".repeat(LIMITS.names + 1) }] }, "malformed"],
    ["a delta with a negative seq", { type: "delta", clientId: "c", seq: -1, entries: [] }, "malformed"],
    ["a delta with an unknown part", { type: "delta", clientId: "c", seq: 1, entries: [{ part: "cookies", value: {} }] }, "malformed"],
    ["a reply with a non-string error", { type: "reply", requestId: 1, ok: false, error: { code: 1, message: "m" } }, "malformed"],
  ])("drop %s from the page", (_name, message, reason) => {
    expect(parsePageMessage(message)).toMatchObject({ ok: false, reason });
  });

  it.each([
    ["an unknown command", { type: "command", requestId: 1, clientId: "c", command: { name: "deleteEverything" } }],
    ["setOffline without a boolean", { type: "command", requestId: 1, clientId: "c", command: { name: "setOffline", offline: "yes" } }],
    ["a bad resolution", { type: "command", requestId: 1, clientId: "c", command: { name: "resolveConflict", id: "a", resolution: "both" } }],
    ["a resolution with a bad serverVersion", { type: "command", requestId: 1, clientId: "c", command: { name: "resolveConflict", id: "a", resolution: { value: null, serverVersion: "3" } } }],
    ["a fractional request id", { type: "command", requestId: 1.5, clientId: "c", command: { name: "sync" } }],
    ["a queue page over the limit", { type: "command", requestId: 1, clientId: "c", command: { name: "queue", after: 0, limit: LIMITS.queuePage + 1 } }],
    ["a queue page after a negative seq", { type: "command", requestId: 1, clientId: "c", command: { name: "queue", after: -1, limit: 10 } }],
    ["an expand path of objects", { type: "command", requestId: 1, clientId: "c", command: { name: "expand", path: [{}] } }],
  ])("drop %s from the panel", (_name, message) => {
    expect(parsePanelMessage(message)).toMatchObject({ ok: false, reason: "malformed" });
  });

  it("envelopes: wrong tag and oversized messages are dropped with their reason", () => {
    expect(parseEnvelope(envelope({ type: "connect", protocol: 1 }), "panel")).toMatchObject({ ok: true });
    expect(parseEnvelope({ tag: "react-devtools", message: {} }, "page")).toMatchObject({ ok: false, reason: "wrong_tag" });
    const huge = envelope({ type: "snapshot", clientId: "c", snapshot: { blob: "x".repeat(LIMITS.messageBytes) } });
    expect(parseEnvelope(huge, "page")).toMatchObject({ ok: false, reason: "too_large" });
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(parseEnvelope({ tag: MESSAGE_TAG, message: cyclic }, "page")).toMatchObject({ ok: false, reason: "malformed" });
  });

  it("says when versions differ instead of guessing", () => {
    expect(compatibility(PROTOCOL_VERSION)).toBe("same");
    expect(compatibility(PROTOCOL_VERSION - 1)).toBe("older-sdk");
    expect(compatibility(PROTOCOL_VERSION + 1)).toBe("newer-sdk");
  });

  it("fuzz: 5,000 random and mutated messages never throw and never pass malformed", () => {
    const random = mulberry32(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const atoms = [null, undefined, 0, -1, 1.5, Number.NaN, "", "x", "x".repeat(300), true, [], {}, [1, "a"], { type: "hello" }, Symbol("s"), () => 1, 10n];
    const keys = ["type", "protocol", "clientId", "clients", "seq", "entries", "requestId", "ok", "error", "command", "name", "part", "value", "tag", "message", "__proto__", "constructor"];
    const valid = [
      { type: "hello", protocol: 1, sdkVersion: "0.1.0", clients: [{ clientId: "c1", name: "todos" }] },
      { type: "delta", clientId: "c1", seq: 1, entries: [{ part: "queue", added: [], removed: [], changed: [] }] },
      { type: "command", requestId: 1, clientId: "c1", command: { name: "retryDeadLetter", opId: "o" } },
    ];
    const mutate = (value: unknown, depth: number): unknown => {
      if (depth > 3 || random() < 0.3) return pick(atoms);
      if (Array.isArray(value)) return value.map((entry) => mutate(entry, depth + 1));
      if (typeof value === "object" && value !== null) {
        const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
        const key = pick(keys);
        copy[key] = random() < 0.5 ? pick(atoms) : mutate(copy[key], depth + 1);
        return copy;
      }
      return pick(atoms);
    };
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const message = random() < 0.2 ? pick(atoms) : mutate(pick(valid), 0);
      for (const parse of [parsePageMessage, parsePanelMessage]) {
        const result = parse(message);
        expect(typeof result.ok).toBe("boolean");
        if (result.ok) {
          accepted++;
          expect(() => JSON.stringify(result.message)).not.toThrow();
          expect(parse(JSON.parse(JSON.stringify(result.message)))).toMatchObject({ ok: true });
        }
      }
      expect(() => parseEnvelope({ tag: MESSAGE_TAG, message }, random() < 0.5 ? "page" : "panel")).not.toThrow();
    }
    expect(accepted).toBeGreaterThan(0);
  });
});
