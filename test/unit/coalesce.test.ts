import { describe, expect, it } from "vitest";
import { coalesce } from "../../sdk/sync/coalesce";

const pending = (type: "create" | "update" | "delete") => ({ type, frozen: false });
const sent = (type: "create" | "update" | "delete") => ({ type, frozen: true });

describe("coalesce", () => {
  it("with nothing pending, a save is a create or an update depending on what the server has", () => {
    expect(coalesce(undefined, "save", false)).toEqual({ action: "append", type: "create" });
    expect(coalesce(undefined, "save", true)).toEqual({ action: "append", type: "update" });
    expect(coalesce(undefined, "delete", true)).toEqual({ action: "append", type: "delete" });
  });

  it("merges pending operations per the table", () => {
    expect(coalesce(pending("update"), "save", true)).toEqual({ action: "replace", type: "update" });
    expect(coalesce(pending("create"), "save", false)).toEqual({ action: "replace", type: "create" });
    expect(coalesce(pending("create"), "delete", false)).toEqual({ action: "drop" });
    expect(coalesce(pending("update"), "delete", true)).toEqual({ action: "replace", type: "delete" });
    expect(coalesce(pending("delete"), "save", true)).toEqual({ action: "replace", type: "update" });
    expect(coalesce(pending("delete"), "delete", true)).toEqual({ action: "replace", type: "delete" });
  });

  it("never rewrites an operation that was sent: the new write goes after it", () => {
    expect(coalesce(sent("create"), "save", false)).toEqual({ action: "append", type: "update" });
    expect(coalesce(sent("create"), "delete", false)).toEqual({ action: "append", type: "delete" });
    expect(coalesce(sent("update"), "save", true)).toEqual({ action: "append", type: "update" });
    expect(coalesce(sent("delete"), "save", true)).toEqual({ action: "append", type: "create" });
  });
});
