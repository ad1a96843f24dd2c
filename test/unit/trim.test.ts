import { describe, expect, it } from "vitest";
import { resolvePath, trim, unescapeKey } from "../../sdk/bridge/trim";

describe("trim (values for the bridge)", () => {
  it("keeps Map, Set, Date, errors and odd numbers as tagged stand-ins, and the result is plain JSON", () => {
    const value = { map: new Map([["k", 1]]), set: new Set(["a"]), when: new Date("2026-11-24T10:00:00Z"), bad: new Date(Number.NaN), error: new TypeError("nope"), nan: Number.NaN, big: 10n, nothing: undefined, fn: function named() {} };
    const trimmed = trim(value);
    expect(JSON.parse(JSON.stringify(trimmed))).toEqual(trimmed);
    expect(trimmed).toEqual({
      map: { $synclens: "map", entries: [["k", 1]], size: 1 },
      set: { $synclens: "set", values: ["a"], size: 1 },
      when: { $synclens: "date", iso: "2026-11-24T10:00:00.000Z" },
      bad: { $synclens: "date", iso: null },
      error: { $synclens: "error", name: "TypeError", message: "nope" },
      nan: { $synclens: "other", kind: "number", text: "NaN" },
      big: { $synclens: "other", kind: "bigint", text: "10n" },
      nothing: { $synclens: "other", kind: "undefined", text: "undefined" },
      fn: { $synclens: "other", kind: "function", text: "function named" },
    });
  });

  it("marks circular references with the path of the ancestor, and keeps shared ones", () => {
    const node: Record<string, unknown> = { name: "root", child: { name: "child" } };
    (node["child"] as Record<string, unknown>)["parent"] = node;
    const shared = { x: 1 };
    expect(trim({ node, a: shared, b: shared })).toEqual({
      node: { name: "root", child: { name: "child", parent: { $synclens: "circular", path: ["node"] } } },
      a: { x: 1 },
      b: { x: 1 },
    });
  });

  it("bounds strings, lists, objects and depth, with markers that say how much and where", () => {
    const limits = { depth: 2, string: 5, list: 3 };
    expect(trim({ s: "abcdefgh", list: [1, 2, 3, 4], deep: { a: { b: 1 } } }, limits)).toEqual({
      s: { $synclens: "more", kind: "string", preview: "abcde", length: 8, path: ["s"] },
      list: { $synclens: "more", kind: "list", items: [1, 2, 3], length: 4, path: ["list"] },
      deep: { a: { $synclens: "more", kind: "object", size: 1, path: ["deep", "a"] } },
    });
    expect(trim({ a: 1, b: 2, c: 3, d: 4 }, limits)).toEqual({ a: 1, b: 2, c: 3, "$synclens:more": { $synclens: "more", kind: "object", size: 4, path: [] } });
  });

  it("resolvePath finds what a marker points at, through Maps and Sets, for expand", () => {
    const value = { deep: { a: { b: "x".repeat(1000) } }, map: new Map([["k", { v: 1 }]]) };
    const marker = (trim(value, { depth: 2, string: 10, list: 10 }) as { deep: { a: { path: (string | number)[] } } }).deep.a;
    expect(resolvePath(value, marker.path)).toEqual({ found: true, value: value.deep.a });
    expect(resolvePath(value, ["map", 0, 1, "v"])).toEqual({ found: true, value: 1 });
    expect(resolvePath(value, ["nope"])).toEqual({ found: false });
    expect(resolvePath(value, ["__proto__"])).toEqual({ found: false });
  });

  it("page data never poses as a marker: its own $synclens keys get one more $, which the panel takes off for display, and expand paths keep the real key", () => {
    const forged = { note: { $synclens: "error", name: { toString: 0 } }, "$$synclens": 1, other: { "$synclens:more": { $synclens: "more", kind: "object", size: 9, path: ["x"] } } };
    const out = trim(forged, { depth: 6, string: 300, list: 50 }, ["queue", 1, "value"]) as Record<string, Record<string, unknown>>;
    expect(Object.keys(out)).toEqual(["note", "$$$synclens", "other"]);
    expect(out["note"]).toEqual({ $$synclens: "error", name: { toString: 0 } });
    expect(Object.keys(out["other"]!)).toEqual(["$$synclens:more"]);
    expect(["$$synclens", "$$$synclens", "$$synclens:more", "note"].map(unescapeKey)).toEqual(["$synclens", "$$synclens", "$synclens:more", "note"]);
    const deep = trim({ $synclens: { a: { b: { c: 1 } } } }, { depth: 2, string: 300, list: 50 }) as Record<string, Record<string, unknown>>;
    expect(deep["$$synclens"]!["a"]).toMatchObject({ $synclens: "more", path: ["$synclens", "a"] });
  });

  it("keeps a field named __proto__ as a field (it used to become the copy's prototype, and vanish)", () => {
    const trimmed = trim(JSON.parse('{"id":"a","__proto__":{"role":"admin"}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(trimmed)).toBe(Object.prototype);
    expect(JSON.stringify(trimmed)).toBe('{"id":"a","__proto__":{"role":"admin"}}');
  });

  it("stays bounded on a huge value", () => {
    const huge = { list: Array.from({ length: 100_000 }, (_, i) => ({ i, text: "y".repeat(10_000) })) };
    expect(JSON.stringify(trim(huge)).length).toBeLessThan(30_000);
  });
});
