import { describe, expect, it } from "vitest";
import { InvalidItemError } from "../../sdk/shared/errors";
import { assertValidItem } from "../../sdk/sync/validate";

function rejection(item: unknown): InvalidItemError {
  try {
    assertValidItem(item);
  } catch (error) {
    if (error instanceof InvalidItemError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("assertValidItem", () => {
  it("accepts plain JSON data, with undefined fields", () => {
    expect(() => assertValidItem({ id: "a", n: 1.5, tags: ["x"], nested: { ok: true, none: null }, skip: undefined })).not.toThrow();
    expect(() => assertValidItem(Object.assign(Object.create(null) as object, { id: "b" }))).not.toThrow();
  });

  it("names the offending path", () => {
    expect(rejection({ id: "a", when: new Date() }).path).toBe("$.when");
    expect(rejection({ id: "a", list: [1, () => 2] }).path).toBe("$.list[1]");
    expect(rejection({ id: "a", n: Number.NaN }).path).toBe("$.n");
    expect(rejection({ id: "a", big: 10n }).path).toBe("$.big");
    expect(rejection({ id: "a", m: new Map() }).path).toBe("$.m");
    expect(rejection({ id: "a", hole: [undefined] }).path).toBe("$.hole[0]");
  });

  it("rejects bad ids with the invalid_id code", () => {
    for (const bad of [{}, { id: "" }, { id: 7 }, { id: "x".repeat(257) }, { id: "." }, { id: ".." }, { id: "a\uD800" }, { id: "\uDC00b" }, { id: "a\u0000b" }]) {
      expect(rejection(bad).code).toBe("invalid_id");
    }
  });

  it("accepts ids with dots and paired surrogates", () => {
    for (const id of ["a.b", "...", ".hidden", "\u{1F600}"]) expect(() => assertValidItem({ id })).not.toThrow();
  });

  it("rejects non-objects and cycles", () => {
    expect(rejection(null).code).toBe("invalid_item");
    expect(rejection([{ id: "a" }]).code).toBe("invalid_item");
    const cyclic: Record<string, unknown> = { id: "c" };
    cyclic["self"] = cyclic;
    expect(rejection(cyclic).message).toMatch(/Circular/);
  });

  it("accepts shared (non-circular) references", () => {
    const shared = { x: 1 };
    expect(() => assertValidItem({ id: "a", one: shared, two: shared })).not.toThrow();
  });
});
