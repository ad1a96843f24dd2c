import { describe, expect, it, vi } from "vitest";
import { LIMITS, MESSAGE_TAG, type PageMessage } from "../../sdk/bridge/protocol";

/** Stands in for the panel's runtime port: what the panel posts, and delivery of what the router sends it. */
const ports: { posted: unknown[]; deliver: (data: unknown) => void }[] = [];
vi.mock("webextension-polyfill", () => ({
  default: {
    runtime: {
      connect: () => {
        const listeners: ((data: unknown) => void)[] = [];
        const port = { posted: [] as unknown[], deliver: (data: unknown) => listeners.forEach((listener) => listener(data)) };
        ports.push(port);
        return {
          postMessage: (data: unknown) => port.posted.push(data),
          onMessage: { addListener: (listener: (data: unknown) => void) => listeners.push(listener) },
          onDisconnect: { addListener: () => undefined },
          disconnect: () => undefined,
        };
      },
    },
  },
}));
const { PanelConnection, mergeEvents } = await import("../../devtools-panel/connection");

/** What the router hands a panel for a message from frame `frameId` of its tab. */
const routed = (frameId: number, message: PageMessage) => ({ tag: MESSAGE_TAG, frameId, message });
const hello = (...clientIds: string[]): PageMessage => ({ type: "hello", protocol: 1, sdkVersion: "0.1.0", clients: clientIds.map((clientId) => ({ clientId, name: clientId })) });

function panelWithTopClient() {
  const panel = new PanelConnection(1);
  const port = ports.at(-1)!;
  port.deliver(routed(0, hello("app#1")));
  port.deliver(routed(0, { type: "snapshot", clientId: "app#1", snapshot: { status: { state: "idle", pending: 0 } } }));
  return { panel, port };
}

describe("the panel's connection: each frame of the inspected tab speaks for itself only", () => {
  it("another frame cannot overwrite, remove or wipe the top frame's client by naming its id", () => {
    const { panel, port } = panelWithTopClient();
    port.deliver(routed(7, { type: "snapshot", clientId: "app#1", snapshot: { status: { state: "forged", pending: 0 } } }));
    port.deliver(routed(7, { type: "goodbye", clientId: "app#1" }));
    port.deliver(routed(7, { type: "announce", protocol: 1 }));
    expect([...panel.state.clients.values()].map((client) => [client.frameId, client.clientId, client.status])).toEqual([[0, "app#1", { state: "idle", pending: 0 }]]);
  });

  it("two frames with a client of the same id are two clients, and commands go to the right frame", () => {
    const { panel, port } = panelWithTopClient();
    port.deliver(routed(7, hello("app#1")));
    const keys = [...panel.state.clients.keys()];
    expect(keys).toHaveLength(2);
    void panel.command(keys[1]!, { name: "sync" });
    expect(port.posted.at(-1)).toMatchObject({ frameId: 7, message: { type: "command", clientId: "app#1" } });
  });

  it("a reply settles a command only when it comes from the frame the command went to", async () => {
    const { panel, port } = panelWithTopClient();
    const result = panel.command([...panel.state.clients.keys()][0]!, { name: "exportSnapshot" });
    const sent = port.posted.at(-1) as { message: { requestId: number } };
    port.deliver(routed(7, { type: "reply", requestId: sent.message.requestId, ok: true, result: "forged" }));
    port.deliver(routed(0, { type: "reply", requestId: sent.message.requestId, ok: true, result: "real" }));
    expect(await result).toBe("real");
  });

  it("a frame that goes away takes only its own clients with it", () => {
    const { panel, port } = panelWithTopClient();
    port.deliver(routed(5, hello("inner#1")));
    port.deliver({ tag: MESSAGE_TAG, frameId: 5, gone: true });
    expect([...panel.state.clients.values()].map((client) => client.clientId)).toEqual(["app#1"]);
    expect(panel.state.connection).toBe("connected");
  });

  it("holds at most LIMITS.clients clients per frame and 3 × LIMITS.clients for all subframes: frames posting hellos first never crowd out the top frame", () => {
    const panel = new PanelConnection(1);
    const port = ports.at(-1)!;
    for (let round = 0; round < 50; round++) port.deliver(routed(7, hello(...Array.from({ length: LIMITS.clients }, (_, i) => `c${round}-${i}`))));
    for (let frame = 1; frame < 20; frame++) port.deliver(routed(frame, hello(...Array.from({ length: LIMITS.clients }, (_, i) => `f${i}`))));
    port.deliver(routed(0, hello("app#1")));
    const clients = [...panel.state.clients.values()];
    expect(clients.filter((client) => client.frameId === 7)).toHaveLength(LIMITS.clients);
    expect(clients.filter((client) => client.frameId !== 0)).toHaveLength(3 * LIMITS.clients);
    expect(clients.filter((client) => client.frameId === 0).map((client) => client.clientId)).toEqual(["app#1"]);
  });

  it("connects only to the frame that announced, once for a burst of announces", async () => {
    vi.useFakeTimers();
    try {
      const { port } = panelWithTopClient();
      const before = port.posted.length;
      for (let i = 0; i < 300; i++) port.deliver(routed(7, { type: "announce", protocol: 1 }));
      await vi.advanceTimersByTimeAsync(500);
      expect(port.posted.slice(before)).toEqual([expect.objectContaining({ frameId: 7, message: { type: "connect", protocol: 1 } })]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("names the frame's origin, as the browser reported the sender, beside a subframe's client", () => {
    const { panel, port } = panelWithTopClient();
    port.deliver({ ...routed(5, hello("inner#1")), origin: "https://ads.example" });
    expect([...panel.state.clients.values()].map((client) => client.origin)).toEqual(["", "https://ads.example"]);
  });

  it("shows no SDK version once the last client has gone (a navigation to a page without the SDK)", () => {
    const { panel, port } = panelWithTopClient();
    expect([...panel.state.clients.values()].map((client) => client.sdkVersion)).toEqual(["0.1.0"]);
    port.deliver(routed(5, { ...hello("inner#1"), sdkVersion: "0.2.0" } as PageMessage));
    expect([...panel.state.clients.values()].map((client) => client.sdkVersion)).toEqual(["0.1.0", "0.2.0"]); // each frame its own
    port.deliver({ tag: MESSAGE_TAG, frameId: 5, gone: true });
    port.deliver({ tag: MESSAGE_TAG, frameId: 0, gone: true });
    expect(panel.state).toMatchObject({ connection: "no-client", sdkVersion: null, clients: new Map() });
  });

  it("a command for a client that has left fails at once instead of going to no one", async () => {
    const panel = new PanelConnection(1);
    await expect(panel.command("0:ghost", { name: "sync" })).rejects.toThrow("left the page");
  });
});

describe("the panel's timeline when a client's whole state comes again", () => {
  const event = (at: number, summary: string) => ({ at, type: "write", summary });

  it("keeps the events older than the page's, takes the page's from there, and shows none twice", () => {
    const kept = [event(1, "a"), event(2, "b"), event(3, "c"), event(4, "d")];
    const fresh = [event(3, "c"), event(4, "d"), event(5, "e")]; // the SDK's log holds fewer
    expect(mergeEvents(kept, fresh).map((e) => e.summary)).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("a cleared timeline stays cleared when the page sends its whole state again, or announces itself again, and new events still come", () => {
    const { panel, port } = panelWithTopClient();
    const key = [...panel.state.clients.keys()][0]!;
    const counted = (seq: number, at: number, summary: string) => ({ ...event(at, summary), seq });
    const log = [counted(1, 10, "old"), counted(2, 20, "cleared")];
    port.deliver(routed(0, { type: "snapshot", clientId: "app#1", snapshot: { status: {}, events: log } }));
    panel.clearTimeline(key);
    expect(panel.state.clients.get(key)!.events).toEqual([]);
    // An event of the same millisecond as the last one cleared, but after it, is new.
    port.deliver(routed(0, { type: "snapshot", clientId: "app#1", snapshot: { status: {}, events: [...log, counted(3, 20, "same ms"), counted(4, 30, "new")] } }));
    port.deliver(routed(0, { type: "delta", clientId: "app#1", seq: 1, entries: [{ part: "events", value: [counted(5, 40, "newer")] }] }));
    expect(panel.state.clients.get(key)!.events.map((e) => e["summary"])).toEqual(["same ms", "new", "newer"]);
    // The service worker restarted: the page announces itself, and its client comes back with its whole log.
    panel.clearTimeline(key);
    port.deliver(routed(0, { type: "announce", protocol: 1 }));
    port.deliver(routed(0, hello("app#1")));
    port.deliver(routed(0, { type: "snapshot", clientId: "app#1", snapshot: { status: {}, events: [...log, counted(3, 20, "same ms"), counted(6, 50, "after")] } }));
    expect(panel.state.clients.get(key)!.events.map((e) => e["summary"])).toEqual(["after"]);
  });

  it("a delta of events delivered twice adds them once", () => {
    const { panel, port } = panelWithTopClient();
    const key = [...panel.state.clients.keys()][0]!;
    const counted = (seq: number, at: number, summary: string) => ({ ...event(at, summary), seq });
    port.deliver(routed(0, { type: "snapshot", clientId: "app#1", snapshot: { status: {}, events: [counted(1, 10, "a")] } }));
    const delta = { type: "delta" as const, clientId: "app#1", seq: 1, entries: [{ part: "events" as const, value: [counted(2, 10, "b"), counted(3, 11, "c")] }] };
    port.deliver(routed(0, delta));
    port.deliver(routed(0, delta));
    expect(panel.state.clients.get(key)!.events.map((e) => e["summary"])).toEqual(["a", "b", "c"]);
  });

  it("keeps what it had when the page sends no events, and at most 500", () => {
    const many = Array.from({ length: 600 }, (_, i) => event(i, `e${i}`));
    expect(mergeEvents(many, [])).toHaveLength(500);
    expect(mergeEvents([], [event(1, "a")]).map((e) => e.summary)).toEqual(["a"]);
  });
});
