import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../demo/server/faults";
import { envelope, LIMITS, MESSAGE_TAG } from "../../sdk/bridge/protocol";
import { Router, type Endpoint } from "../../extension/router";

class Recorder implements Endpoint {
  readonly received: unknown[] = [];
  post(data: unknown): void {
    this.received.push(data);
  }
}

describe("the service worker's router", () => {
  it("routes a page's messages to its own tab's panels only, and panel commands to that tab's frames", () => {
    const router = new Router();
    const [pageA, pageB, panelA, panelB] = [new Recorder(), new Recorder(), new Recorder(), new Recorder()];
    router.addPage(1, 0, pageA);
    router.addPage(2, 0, pageB);
    router.addPanel(1, panelA);
    router.addPanel(2, panelB);
    expect(panelA.received).toEqual([{ tag: MESSAGE_TAG, present: true }]);
    router.fromPage(1, 0, envelope({ type: "hello", protocol: 1, sdkVersion: "0.1.0", clients: [{ clientId: "c", name: "a" }] }));
    expect(panelA.received).toHaveLength(2);
    expect(panelB.received).toHaveLength(1); // only its own "present"
    router.fromPanel(2, envelope({ type: "connect", protocol: 1 }));
    expect(pageB.received).toEqual([envelope({ type: "connect", protocol: 1 })]);
    expect(pageA.received).toEqual([]);
    expect(router.tabs().sort()).toEqual([1, 2]);
  });

  it("tells the panels when any frame goes, not only the tab's last one (a removed iframe's clients go with it)", () => {
    const router = new Router();
    const [top, inner, panel] = [new Recorder(), new Recorder(), new Recorder()];
    router.addPage(1, 0, top);
    router.addPage(1, 5, inner);
    router.addPanel(1, panel);
    router.removePage(1, 5, inner);
    expect(panel.received.at(-1)).toEqual({ tag: MESSAGE_TAG, frameId: 5, gone: true });
    expect(router.tabs()).toEqual([1]);
  });

  it("tells a page its last panel left, and a panel its page went away", () => {
    const router = new Router();
    const [page, panel] = [new Recorder(), new Recorder()];
    router.addPage(1, 0, page);
    router.addPanel(1, panel);
    router.removePanel(1, panel);
    expect(page.received).toEqual([envelope({ type: "disconnect" })]);
    router.addPanel(1, panel);
    router.removePage(1, 0, page);
    expect(panel.received.at(-1)).toEqual({ tag: MESSAGE_TAG, frameId: 0, gone: true });
    expect(router.tabs()).toEqual([]);
  });

  it("fuzz: thousands of malformed and oversized messages from a hostile page crash nothing and reach no other tab", () => {
    const router = new Router();
    const hostile = new Recorder();
    const [victimPage, hostilePanel, victimPanel] = [new Recorder(), new Recorder(), new Recorder()];
    router.addPage(1, 0, hostile);
    router.addPage(2, 0, victimPage);
    router.addPanel(1, hostilePanel);
    router.addPanel(2, victimPanel);
    const random = mulberry32(7);
    const junk = [null, 1, "x", [], {}, { tag: MESSAGE_TAG }, { tag: MESSAGE_TAG, from: "page", message: { type: "hello" } }, { tag: MESSAGE_TAG, from: "page", message: { type: "snapshot", clientId: "c", snapshot: { big: "x".repeat(LIMITS.messageBytes) } } }];
    const types = ["hello", "snapshot", "delta", "reply", "goodbye", "announce", "connect", "command", "__proto__", "toString"];
    let delivered = 0;
    for (let i = 0; i < 3000; i++) {
      const message =
        random() < 0.3
          ? junk[Math.floor(random() * junk.length)]
          : { tag: MESSAGE_TAG, from: "page", message: { type: types[Math.floor(random() * types.length)], clientId: random() < 0.5 ? "c" : 7, protocol: random() < 0.5 ? 1 : "1", seq: -1, entries: [{ part: "status", value: {} }], requestId: 1, ok: random() < 0.5, clients: [] } };
      expect(() => router.fromPage(1, 0, message)).not.toThrow();
      expect(() => router.fromPanel(1, message)).not.toThrow();
    }
    delivered = hostilePanel.received.length - 1;
    expect(victimPanel.received).toEqual([{ tag: MESSAGE_TAG, present: true }]);
    expect(victimPage.received).toEqual([]);
    expect(Object.values(router.drops).reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBeGreaterThan(1000);
    expect(delivered).toBeGreaterThan(0); // well-formed ones still go through, to their own tab
  });
});
