import { describe, expect, it } from "vitest";
import { detailFor } from "../../devtools-panel/request-detail";

const detail = { requests: [{ method: "POST", url: "/api/todos/_batch", status: 503, ms: 4 }], ops: [], opsTotal: 2 };

describe("which push's requests a timeline entry shows", () => {
  const log = [
    { type: "write", summary: "save a" },
    { type: "send", summary: "batch of 2" },
    { type: "status", summary: "idle -> syncing" },
    { type: "reply", summary: "2 retry (503)", detail },
    { type: "retry", summary: "a again" },
    { type: "retry", summary: "b again" },
    { type: "send", summary: "batch of 1" },
    { type: "retry", summary: "stray" },
  ];

  it("a reply shows its own; its send (before) and its retries (after) borrow it", () => {
    expect(detailFor(log, 3)).toBe(detail);
    expect(detailFor(log, 1)).toBe(detail);
    expect(detailFor(log, 4)).toBe(detail);
    expect(detailFor(log, 5)).toBe(detail);
  });

  it("others show none: a write, a send whose reply has not come, a retry after another send", () => {
    expect(detailFor(log, 0)).toBeUndefined();
    expect(detailFor(log, 6)).toBeUndefined();
    expect(detailFor(log, 7)).toBeUndefined();
    expect(detailFor([{ type: "reply", detail: "not an object" }], 0)).toBeUndefined();
  });
});
