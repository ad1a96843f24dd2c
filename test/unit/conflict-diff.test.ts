import { describe, expect, it } from "vitest";
import { ABSENT, diffConflict, findTrimMarker, hasTrimMarker, MAX_MERGED_JSON, mergeFields, parseMergedJson, type ConflictData } from "../../devtools-panel/conflict-diff";

type Item = Record<string, unknown> | null;

function conflict(base: Item, local: Item, server: Item): ConflictData {
  return { id: "a", base, local, server };
}

const base = { id: "a", title: "t", body: "b", n: 1 };
const longMarker = (side: string) => ({ $synclens: "more", kind: "string", preview: "xxx", length: 5000, path: [side, "body"] });

describe("diffConflict", () => {
  it.each([
    ["unchanged", { ...base }, { ...base }, "title", { localChanged: false, serverChanged: false, conflicting: false, differs: false, state: "same", defaultChoice: "local" }],
    ["changed here only", { ...base, title: "L" }, base, "title", { localChanged: true, serverChanged: false, conflicting: false, differs: true, state: "local", defaultChoice: "local" }],
    ["changed on the server only", base, { ...base, title: "S" }, "title", { localChanged: false, serverChanged: true, conflicting: false, differs: true, state: "server", defaultChoice: "server" }],
    ["both changed alike", { ...base, title: "X" }, { ...base, title: "X" }, "title", { localChanged: true, serverChanged: true, conflicting: false, differs: false, state: "same", defaultChoice: "local" }],
    ["both changed differently", { ...base, title: "L" }, { ...base, title: "S" }, "title", { localChanged: true, serverChanged: true, conflicting: true, differs: true, state: "both", defaultChoice: "local" }],
    ["removed here", { id: "a", body: "b", n: 1 }, base, "title", { local: ABSENT, localChanged: true, state: "local", defaultChoice: "local" }],
    ["added on the server", base, { ...base, tags: ["x"] }, "tags", { base: ABSENT, local: ABSENT, server: ["x"], state: "server", defaultChoice: "server" }],
    ["deep equality, key order ignored", { ...base, meta: { a: 1, b: [1, { c: 2 }] } }, { ...base, meta: { b: [1, { c: 2 }], a: 1 } }, "meta", { differs: false, state: "same" }],
    ["deep difference", { ...base, meta: { a: [1, 2] } }, { ...base, meta: { a: [1, 3] } }, "meta", { conflicting: true, state: "both" }],
    ["an array is not an object", { ...base, meta: [] }, { ...base, meta: {} }, "meta", { differs: true }],
  ])("%s", (_name, local, server, field, expected) => {
    const row = diffConflict(conflict(base, local, server)).rows.find((r) => r.field === field);
    expect(row).toMatchObject(expected);
  });

  it("lists base's fields first, then new local ones, then new server ones", () => {
    const diff = diffConflict(conflict({ id: "a", b: 1 }, { z: 1, id: "a", l: 1 }, { s: 1, id: "a", b: 2, l: 2 }));
    expect(diff.rows.map((row) => row.field)).toEqual(["id", "b", "z", "l", "s"]);
  });

  it.each([
    ["deleted on the server", base, { ...base, title: "L" }, null, { base: false, local: false, server: true }, "local"],
    ["deleted here", base, null, { ...base, title: "S" }, { base: false, local: true, server: false }, "server"],
    ["created on both sides", null, { ...base, title: "L" }, { ...base, title: "S" }, { base: true, local: false, server: false }, "local"],
  ])("a null side: %s", (_name, b, local, server, deleted, choice) => {
    const diff = diffConflict(conflict(b, local, server));
    expect(diff.deleted).toEqual(deleted);
    expect(diff.blocked).toBeNull();
    expect(diff.rows.every((row) => row.defaultChoice === choice)).toBe(true);
  });

  it("flags sides holding trim markers, per field, with the path", () => {
    const diff = diffConflict(conflict({ ...base, body: longMarker("base") }, { ...base, body: longMarker("local"), tags: [1, { $synclens: "date", iso: null }] }, base));
    expect(diff.rows.find((row) => row.field === "body")!.truncated).toEqual({ base: "base.body", local: "local.body" });
    expect(diff.rows.find((row) => row.field === "tags")!.truncated).toEqual({ local: "local.tags[1]" });
    expect(diff.rows.find((row) => row.field === "title")!.truncated).toEqual({});
    // Markers for the same data differ only in their path: not a change.
    expect(diff.rows.find((row) => row.field === "body")!.localChanged).toBe(false);
  });

  it.each([
    ["a side with more fields than were sent", { ...base, "$synclens:more": { $synclens: "more", kind: "object", size: 80, path: ["local"] } }, /local copy has more fields/],
    ["a side that is not an object", "oops", /local copy is not an item/],
    ["a side that is itself a marker", { $synclens: "more", kind: "object", size: 3, path: ["local"] }, /local copy is not an item/],
  ])("blocks field merge for %s", (_name, local, reason) => {
    expect(diffConflict({ id: "a", base, local, server: base }).blocked).toMatch(reason);
  });

  it("survives a conflict with missing or wrong fields", () => {
    expect(diffConflict({})).toEqual({ id: "", rows: [], deleted: { base: true, local: true, server: true }, blocked: null });
    expect(diffConflict({ id: 7, local: [1] }).id).toBe("");
  });
});

describe("mergeFields", () => {
  it("gives the page's own $synclens keys back as they were (the bridge added a $ to them)", () => {
    const c = { id: "a", base: null, local: { id: "a", $$synclens: { $$synclens: 1, b: 2 } }, server: null };
    expect(mergeFields(c)).toEqual({ id: "a", $synclens: { $synclens: 1, b: 2 } });
  });

  it("by default takes the side that changed a field, and local where both did", () => {
    const c = conflict(base, { ...base, title: "L", body: "L" }, { ...base, title: "S", n: 2, tags: ["s"] });
    expect(mergeFields(c)).toEqual({ id: "a", title: "L", body: "L", n: 2, tags: ["s"] });
  });

  it("follows the choices, leaving out fields the chosen side lacks", () => {
    const c = conflict(base, { ...base, title: "L", extra: 1 }, { ...base, title: "S" });
    expect(mergeFields(c, { title: "server", n: "base", extra: "server" })).toEqual({ id: "a", title: "S", body: "b", n: 1 });
    expect(mergeFields(c, { title: "base" })).toEqual({ id: "a", title: "t", body: "b", n: 1, extra: 1 });
  });

  it("always keeps the conflict's id", () => {
    const c = conflict({ id: "a" }, { id: "b" }, { id: "c" });
    expect(mergeFields(c, { id: "server" })).toEqual({ id: "a" });
    expect(mergeFields(conflict(null, { x: 1 }, { y: 1 }))).toEqual({ id: "a", x: 1, y: 1 });
  });

  it("keeps the surviving copy on a delete/edit conflict", () => {
    expect(mergeFields(conflict(base, { ...base, title: "L" }, null))).toEqual({ ...base, title: "L" });
    expect(mergeFields(conflict(base, null, { ...base, title: "S" }))).toEqual({ ...base, title: "S" });
  });

  it("keeps a field named __proto__ a field, and ignores inherited choices", () => {
    const local = JSON.parse('{"id":"a","__proto__":{"x":1}}') as Record<string, unknown>;
    const merged = mergeFields(conflict({ id: "a" }, local, { id: "a" }));
    expect(Object.hasOwn(merged, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(mergeFields(conflict(base, base, { ...base, toString: 1 }), {})).toHaveProperty("toString", 1);
  });
});

describe("parseMergedJson", () => {
  it.each([
    ["invalid JSON", '{"id": "a",', /Not valid JSON/],
    ["an array", '[{"id": "a"}]', /must be an object .*not an array/],
    ["a string", '"a"', /not string/],
    ["no id", '{"title": "x"}', /needs "id": "a"/],
    ["another id", '{"id": "b"}', /"id" must stay .*"a"/],
    ["a numeric id", '{"id": 1}', /"id" must stay/],
    ["a truncated string", JSON.stringify({ id: "a", body: longMarker("local") }), /\$\.body was truncated for the panel/],
    ["a marker deep inside", JSON.stringify({ id: "a", meta: { list: [0, { $synclens: "map", entries: [], size: 9 }] } }), /\$\.meta\.list\[1\] was truncated/],
    ["an object with keys left out", JSON.stringify({ id: "a", meta: { a: 1, "$synclens:more": {} } }), /\$\.meta was truncated/],
    ["an odd key", JSON.stringify({ id: "a", "a b": { $synclens: "other" } }), /\$\["a b"\] was truncated/],
    ["too large", JSON.stringify({ id: "a", body: "x".repeat(MAX_MERGED_JSON) }), /at most 1,000,000/],
  ])("rejects %s", (_name, text, error) => {
    const result = parseMergedJson(text, "a");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(error);
  });

  it.each([
    ["an object with the id", '{ "id": "a", "title": "x", "meta": { "$other": 1 } }', { id: "a", title: "x", meta: { $other: 1 } }],
    ["null, deleting the item", " null ", null],
    ["just the id", '{"id":"a"}', { id: "a" }],
  ])("accepts %s", (_name, text, value) => {
    expect(parseMergedJson(text, "a")).toEqual({ ok: true, value });
  });

  it("survives nesting deeper than the call stack", () => {
    const deep = `{"id":"a","x":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
    expect(parseMergedJson(deep, "a").ok).toBe(true);
  });
});

describe("trim markers in a conflict", () => {
  it.each([
    ["none", conflict(base, base, base), false],
    ["in base", conflict({ ...base, body: longMarker("base") }, base, base), true],
    ["in a nested list on the server", conflict(base, base, { ...base, tags: [[{ $synclens: "circular", path: [] }]] }), true],
    ["too many keys here", conflict(base, { ...base, "$synclens:more": {} }, base), true],
  ])("%s", (_name, c, expected) => {
    expect(hasTrimMarker(c)).toBe(expected);
  });

  it("findTrimMarker names the first marker's path", () => {
    expect(findTrimMarker({ a: [1, { b: { $synclens: "set" } }], c: { $synclens: "date" } })).toBe("$.a[1].b");
    expect(findTrimMarker({ a: [1, 2] }, "local")).toBeNull();
    expect(findTrimMarker("$synclens")).toBeNull();
  });
});
