import { envelope, MESSAGE_TAG, parseEnvelope, type DropReason } from "../sdk/bridge/protocol";

/** Something the router can post to: a runtime port, or a stand-in in tests. */
export interface Endpoint {
  post(data: unknown): void;
}

/**
 * The service worker's routing table: pages (one per tab and frame, via the content script) and the
 * panels inspecting each tab. It keeps nothing it cannot rebuild: after the worker restarts, pages and
 * panels reconnect and the panel asks for fresh state.
 *
 * Everything is validated on the way through, both ways; a page only ever reaches the panels of its own
 * tab. Drops are counted by reason.
 */
export class Router {
  readonly drops: Partial<Record<DropReason, number>> = {};
  readonly #pages = new Map<number, Map<number, Endpoint>>();
  readonly #panels = new Map<number, Set<Endpoint>>();

  addPage(tabId: number, frameId: number, page: Endpoint): void {
    let frames = this.#pages.get(tabId);
    if (!frames) this.#pages.set(tabId, (frames = new Map()));
    frames.set(frameId, page);
  }

  removePage(tabId: number, frameId: number, page: Endpoint): void {
    const frames = this.#pages.get(tabId);
    if (frames?.get(frameId) !== page) return;
    frames.delete(frameId);
    if (frames.size === 0) this.#pages.delete(tabId);
    // A frame gone (navigation, reload, removed iframe, closed tab): its panels drop that frame's clients.
    this.#toPanels(tabId, { tag: MESSAGE_TAG, frameId, gone: true });
  }

  addPanel(tabId: number, panel: Endpoint): void {
    let panels = this.#panels.get(tabId);
    if (!panels) this.#panels.set(tabId, (panels = new Set()));
    panels.add(panel);
    panel.post({ tag: MESSAGE_TAG, present: this.#pages.has(tabId) });
  }

  removePanel(tabId: number, panel: Endpoint): void {
    const panels = this.#panels.get(tabId);
    panels?.delete(panel);
    if (panels && panels.size === 0) {
      this.#panels.delete(tabId);
      for (const page of this.#pages.get(tabId)?.values() ?? []) page.post(envelope({ type: "disconnect" }));
    }
  }

  /** Tabs that have a page with a SyncLens client: for tests, and for the action badge. */
  tabs(): number[] {
    return [...this.#pages.keys()];
  }

  /** `origin`: the frame's, as the browser reports the sender (the panel names it beside the frame's clients). */
  fromPage(tabId: number, frameId: number, data: unknown, origin?: string): void {
    const parsed = parseEnvelope(data, "page");
    if (!parsed.ok) return this.#drop(parsed.reason);
    this.#toPanels(tabId, { tag: MESSAGE_TAG, frameId, ...(origin ? { origin } : {}), message: parsed.message });
  }

  /** The relay of a frame dropped `count` messages over the SDK's rate: its panels say so. */
  droppedInPage(tabId: number, frameId: number, count: number): void {
    if (Number.isSafeInteger(count) && count > 0) this.#toPanels(tabId, { tag: MESSAGE_TAG, frameId, dropped: count });
  }

  fromPanel(tabId: number, data: unknown): void {
    const parsed = parseEnvelope(data, "panel");
    if (!parsed.ok) return this.#drop(parsed.reason);
    const frameId = (data as { frameId?: unknown }).frameId;
    const frames = this.#pages.get(tabId);
    if (!frames) return;
    const wrapped = envelope(parsed.message);
    if (typeof frameId === "number") frames.get(frameId)?.post(wrapped);
    else for (const page of frames.values()) page.post(wrapped);
  }

  #toPanels(tabId: number, data: unknown): void {
    for (const panel of this.#panels.get(tabId) ?? []) panel.post(data);
  }

  #drop(reason: DropReason): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }
}
