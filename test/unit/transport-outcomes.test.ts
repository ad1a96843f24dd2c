import { describe, expect, it } from "vitest";
import { classify } from "../../sdk/sync/classify";
import { pushOutcomeOf, sendOutcomeOf, sendOutcomesOf } from "../../sdk/transport/outcomes";
import type { PushOperation } from "../../sdk/transport/seam";

type Todo = { id: string; title: string };
const save: PushOperation<Todo> = { opId: "op1", type: "save", id: "a", value: { id: "a", title: "t" }, baseVersion: 3 };
const base = { id: "a", version: 3 };

describe("the transport seam's outcomes", () => {
  it("reads each kind of outcome into what the drain does with it", () => {
    const verdict = (answer: unknown) => classify(sendOutcomeOf(answer, save, base));
    expect(verdict({ kind: "applied" })).toEqual({ action: "ack" });
    expect(sendOutcomeOf({ kind: "applied" }, save, base)).toMatchObject({ kind: "ok", version: 4, body: { id: "a", version: 4, value: { id: "a", title: "t" } } });
    expect(sendOutcomeOf({ kind: "applied", record: { version: 9, updatedAt: "2026-12-05T00:00:00.000Z" } }, save, base)).toMatchObject({ version: 9, body: { updatedAt: "2026-12-05T00:00:00.000Z" } });
    expect(verdict({ kind: "conflict", current: { id: "a", version: 5, value: { id: "a", title: "theirs" } } })).toEqual({ action: "conflict" });
    expect(verdict({ kind: "conflict", current: null })).toEqual({ action: "conflict" });
    expect(verdict({ kind: "retry", reason: "unreachable", message: "down" })).toEqual({ action: "retry", unreachable: true });
    expect(verdict({ kind: "retry", reason: "timeout", message: "slow" })).toEqual({ action: "retry", unreachable: false });
    expect(verdict({ kind: "retry", reason: "server", message: "busy", afterMs: 2000 })).toEqual({ action: "retry", delayMs: 2000, unreachable: false });
    expect(sendOutcomeOf({ kind: "retry", reason: "malformed", message: "??" }, save, base).kind).toBe("malformed");
    expect(verdict({ kind: "rejected", message: "too long", reply: { status: 400, body: { error: "x" } } })).toEqual({ action: "dead" });
    expect(sendOutcomeOf({ kind: "rejected", message: "no", reply: { status: 400, body: "b" } }, save, base)).toMatchObject({ status: 400, body: "b" });
    expect(verdict({ kind: "auth", message: "expired" })).toEqual({ action: "pause" });
  });

  it("takes anything that is not an outcome, or a wrong count of them, as malformed for every operation: retried, never lost", () => {
    for (const answer of [null, 7, "applied", { kind: "done" }, { kind: "retry" }, { kind: "conflict" }, []]) {
      expect([answer, sendOutcomeOf(answer, save, base).kind]).toEqual([answer, "malformed"]);
    }
    expect(sendOutcomesOf([{ kind: "applied" }], [save, save], [base, base]).map((outcome) => outcome.kind)).toEqual(["malformed", "malformed"]);
    expect(sendOutcomesOf(undefined, [save], [base]).map((outcome) => outcome.kind)).toEqual(["malformed"]);
  });

  it("reads the HTTP transport's outcomes back into public ones", () => {
    expect(pushOutcomeOf({ kind: "ok", status: 201, version: 1, body: { id: "a", version: 1, deleted: false, value: { id: "a" }, updatedAt: "t" } })).toEqual({
      kind: "applied", record: { version: 1, deleted: false, value: { id: "a" }, updatedAt: "t" }, reply: { status: 201, body: expect.any(Object) },
    });
    expect(pushOutcomeOf({ kind: "http", status: 409, body: { current: { id: "a", version: 2, deleted: false, value: { id: "a" } } } })).toMatchObject({ kind: "conflict", current: { id: "a", version: 2 } });
    expect(pushOutcomeOf({ kind: "http", status: 503, body: null, retryAfterMs: 1000 })).toMatchObject({ kind: "retry", reason: "server", afterMs: 1000 });
    expect(pushOutcomeOf({ kind: "http", status: 401, body: null })).toMatchObject({ kind: "auth" });
    expect(pushOutcomeOf({ kind: "http", status: 400, body: null })).toMatchObject({ kind: "rejected" });
    expect(pushOutcomeOf({ kind: "network", message: "m" })).toEqual({ kind: "retry", reason: "unreachable", message: "m" });
  });
});
