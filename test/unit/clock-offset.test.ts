import { describe, expect, it } from "vitest";
import { ClockOffset } from "../../sdk/sync/clock-offset";

const transport = () => new ClockOffset();

describe("clock offset (for latest-wins)", () => {
  it("is the server time minus the request's midpoint when the skew is larger than the measurement's uncertainty", () => {
    const t = transport();
    t.note(1_000_000 + 10_000, 1_000_000 - 4, 1_000_000 + 4); // server 10 s ahead, RTT 8 ms
    expect(t.ms).toBe(10_000);
  });

  it("is zero when the clocks agree within the uncertainty (same machine)", () => {
    const t = transport();
    t.note(1_000_002, 1_000_000, 1_000_008);
    expect(t.ms).toBe(0);
  });

  it("a whole-second Date header never overrides a precise estimate", () => {
    const t = transport();
    t.note(1_000_000 + 5000, 999_998, 1_000_002);
    t.note(1_000_000 + 500, 1_000_000 - 500, 1_000_000 + 500); // what a Date header gives
    expect(t.ms).toBe(5000);
  });
});
