import { describe, expect, it } from "vitest";
import { clock, text, total, visible } from "../../devtools-panel/views/common";

describe("the panel's text helpers", () => {
  it("shows direction controls in page strings as escapes, and leaves other text alone", () => {
    expect(visible("invoice\u202Efdp.exe")).toBe("invoice\\u202Efdp.exe");
    expect(visible("\u2066a\u2069 \u200F")).toBe("\\u2066a\\u2069 \\u200F");
    expect(text({ id: "x\u202E" })).toBe('{"id":"x\\u202E"}');
    expect(visible("ordinary ütf-8 עברית")).toBe("ordinary ütf-8 עברית");
  });

  it("gives times to the millisecond, with the date when not today", () => {
    const at = new Date(2026, 10, 25, 8, 5, 3, 7).getTime();
    expect(clock(at, at)).toBe("08:05:03.007");
    expect(clock(at, at + 2 * 86_400_000)).toBe("2026-11-25 08:05:03.007");
    expect(clock("soon")).toBe("–");
  });

  it("counts dead letters and conflicts by the status, which counts those the list left out", () => {
    const client = { deadLetters: [{ opId: "a" }], conflicts: [], status: { deadLetters: 600, conflicts: "forged" } };
    expect(total(client, "deadLetters")).toBe(600);
    expect(total(client, "conflicts")).toBe(0);
    expect(total({ ...client, status: null }, "deadLetters")).toBe(1);
  });
});
