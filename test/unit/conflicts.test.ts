import { describe, expect, it } from "vitest";
import { latestSide, mergeThreeWay, resolveBuiltIn, type Conflict } from "../../sdk/sync/conflicts";
import { mergePatch } from "../../sdk/sync/delta";

type Note = { id: string; title?: string; body?: string; tags?: string[]; meta?: Record<string, unknown>; n?: number };

function conflict(base: Note | null, local: Note | null, server: Note | null, times: { local?: number; server?: string } = {}): Conflict<Note> {
  return {
    id: "a",
    base,
    local,
    server,
    serverVersion: 3,
    serverUpdatedAt: times.server ?? "2026-11-24T10:00:00.000Z",
    localUpdatedAt: times.local ?? Date.parse("2026-11-24T09:00:00.000Z"),
    detectedAt: 0,
  };
}

describe("three-way merge, field by field", () => {
  const base: Note = { id: "a", title: "t", body: "b", n: 1 };

  it.each([
    ["only local changed a field", { ...base, title: "L" }, base, { ...base, title: "L" }],
    ["only server changed a field", base, { ...base, body: "S" }, { ...base, body: "S" }],
    ["each changed a different field: both kept", { ...base, title: "L" }, { ...base, body: "S" }, { ...base, title: "L", body: "S" }],
    ["both made the same change", { ...base, n: 2 }, { ...base, n: 2 }, { ...base, n: 2 }],
    ["local removed a field the server left alone", { id: "a", title: "t", n: 1 }, base, { id: "a", title: "t", n: 1 }],
    ["local added a field, server changed another", { ...base, tags: ["x"] }, { ...base, n: 5 }, { ...base, tags: ["x"], n: 5 }],
  ])("%s", (_name, local, server, expected) => {
    expect(mergeThreeWay(conflict(base, local, server), "server")).toEqual(expected);
  });

  it("a field both sides changed differently follows the tie rule", () => {
    const both = conflict(base, { ...base, title: "L", body: "L" }, { ...base, title: "S" });
    expect(mergeThreeWay(both, "server")).toEqual({ ...base, title: "S", body: "L" });
    expect(mergeThreeWay(both, "local")).toEqual({ ...base, title: "L", body: "L" });
    expect(mergeThreeWay(both, "latest")).toEqual({ ...base, title: "S", body: "L" }); // server changed later
  });

  it("nested objects merge field by field", () => {
    const nestedBase: Note = { id: "a", meta: { color: "red", size: 1 } };
    const merged = mergeThreeWay(conflict(nestedBase, { id: "a", meta: { color: "blue", size: 1 } }, { id: "a", meta: { color: "red", size: 2 } }), "server");
    expect(merged).toEqual({ id: "a", meta: { color: "blue", size: 2 } });
  });

  it("no field edit made by only one side is lost", () => {
    const local: Note = { ...base, title: "L1", tags: ["l"] };
    const server: Note = { ...base, body: "S1", n: 9 };
    const merged = mergeThreeWay(conflict(base, local, server), "server")!;
    expect(merged).toMatchObject({ title: "L1", tags: ["l"], body: "S1", n: 9 });
  });

  it("a delete against an untouched side wins; against an edit it is a tie", () => {
    expect(mergeThreeWay(conflict(base, null, base), "server")).toBeNull();
    expect(mergeThreeWay(conflict(base, base, null), "local")).toBeNull();
    expect(mergeThreeWay(conflict(base, { ...base, title: "L" }, null), "server")).toBeNull();
    expect(mergeThreeWay(conflict(base, { ...base, title: "L" }, null), "local")).toEqual({ ...base, title: "L" });
  });

  it("without a base (both created the item) every differing field is a tie", () => {
    expect(mergeThreeWay(conflict(null, { id: "a", title: "L", n: 1 }, { id: "a", title: "S", body: "x" }), "server")).toEqual({ id: "a", title: "S", n: 1, body: "x" });
  });
});

describe("latest-wins uses the server's clock", () => {
  it("compares the server record's time with the offset-corrected local time; ties go to the server", () => {
    const at = "2026-11-24T10:00:00.000Z";
    expect(latestSide(conflict(null, null, null, { server: at, local: Date.parse(at) + 1 }))).toBe("local");
    expect(latestSide(conflict(null, null, null, { server: at, local: Date.parse(at) }))).toBe("server");
    expect(latestSide(conflict(null, null, null, { server: at, local: Date.parse(at) - 1 }))).toBe("server");
    expect(latestSide({ ...conflict(null, null, null), serverUpdatedAt: null })).toBe("server");
  });
});

describe("built-in strategies", () => {
  const c = conflict({ id: "a", title: "t" }, { id: "a", title: "L" }, { id: "a", title: "S" });
  it("decide as named; manual parks", () => {
    expect(resolveBuiltIn("server-wins", c, "server")).toBe("server");
    expect(resolveBuiltIn("client-wins", c, "server")).toBe("local");
    expect(resolveBuiltIn("latest-wins", c, "server")).toBe("server");
    expect(resolveBuiltIn("merge", c, "local")).toEqual({ value: { id: "a", title: "L" } });
    expect(resolveBuiltIn("manual", c, "server")).toBeUndefined();
  });
});

describe("mergePatch (delta push)", () => {
  it("sends changed fields only, null for removed ones, nested objects as nested patches", () => {
    expect(mergePatch({ id: "a", t: "x", n: 1, m: { a: 1, b: 2 } }, { id: "a", t: "y", m: { a: 1, b: 3, c: 4 } })).toEqual({ t: "y", n: null, m: { b: 3, c: 4 } });
  });
  it("replaces arrays whole and sends nothing when nothing changed", () => {
    expect(mergePatch({ id: "a", tags: ["x", "y"] }, { id: "a", tags: ["x"] })).toEqual({ tags: ["x"] });
    expect(mergePatch({ id: "a", t: 1 }, { id: "a", t: 1 })).toEqual({});
  });
  it("cannot express a field set to null", () => {
    expect(mergePatch({ id: "a", t: 1 }, { id: "a", t: null })).toBeUndefined();
    expect(mergePatch({ id: "a", m: { x: 1 } }, { id: "a", m: { x: null } })).toBeUndefined();
  });
  it("cannot send an object whole when a null inside it would be merged away; nulls in arrays are values", () => {
    expect(mergePatch({ id: "a" }, { id: "a", meta: { note: null, n: 1 } })).toBeUndefined();
    expect(mergePatch({ id: "a", meta: 1 }, { id: "a", meta: { deep: { note: null } } })).toBeUndefined();
    expect(mergePatch({ id: "a" }, { id: "a", list: [null, { x: null }] })).toEqual({ list: [null, { x: null }] });
  });
  it("sends a field named __proto__ as a field, not as the patch's prototype", () => {
    const next = JSON.parse('{"id":"a","__proto__":{"x":1}}') as Record<string, unknown>;
    const patch = mergePatch({ id: "a" }, next);
    expect(JSON.stringify(patch)).toBe('{"__proto__":{"x":1}}');
  });
});
