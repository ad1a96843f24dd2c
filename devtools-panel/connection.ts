/**
 * The panel's end of the bridge: a runtime port to the service worker for one inspected tab, the state
 * of every SyncLens client on that page as messages arrive, and commands with replies. Reconnects when
 * the service worker restarts and asks for fresh state. Knows nothing of the UI: `subscribe` for changes.
 */
import browser, { type Runtime } from "webextension-polyfill";
import { isAfter, isBefore, markOf, type EventMark } from "./event-order";
import { MetricsHistory } from "./metrics-history";
import { compatibility, envelope, LIMITS, MESSAGE_TAG, parsePageMessage, PROTOCOL_VERSION, type Command, type DeltaEntry } from "../sdk/bridge/protocol";

export type ConnectionState = "connecting" | "connected" | "no-client" | "reconnecting" | "mismatch";

export interface ClientView {
  /** Unique in the panel: the frame and the client id (two frames may each have a client `todos#1`). */
  key: string;
  clientId: string;
  frameId: number;
  /** The frame's origin, as the browser reported the sender ("" when unknown). */
  origin: string;
  name: string;
  /** The SDK version the client's page announced ("" when unknown: an imported snapshot says its own). */
  sdkVersion: string;
  status: Record<string, unknown> | null;
  metrics: Record<string, unknown> | null;
  queue: Map<number, Record<string, unknown>>;
  /** Goes up whenever `queue` changes, so views can memoise what they derive from it. */
  queueVersion: number;
  /** True while the rest of a long queue is still being paged in after a snapshot. */
  queueLoading: boolean;
  deadLetters: Record<string, unknown>[];
  conflicts: Record<string, unknown>[];
  events: Record<string, unknown>[];
  /** The timeline was cleared up to this event: a re-sent state does not bring those events back. */
  clearedThrough: EventMark | null;
  /** Queue depth, throughput and latency over the last minutes, for the Overview's charts. */
  history: MetricsHistory;
  /** Bookkeeping of `#pageQueue`. */
  pagingGeneration: number;
  removedWhilePaging: Set<number>;
}

export interface PanelState {
  connection: ConnectionState;
  /** The page's SDK version when it speaks another protocol (`connection: "mismatch"`); each client has its own. */
  sdkVersion: string | null;
  /** The page's protocol version, when it is not this panel's (`connection: "mismatch"`). */
  pageProtocol: number | null;
  /** By `key`. */
  clients: Map<string, ClientView>;
  /** Messages the page's frames posted over the SDK's rate, which the relay dropped. */
  dropped: number;
}

const MAX_EVENTS = 500;
/**
 * Clients shown for the subframes of one tab, all together: however many frames post hellos, the top
 * frame (the app's own, as a rule) keeps its own LIMITS.clients places.
 */
const MAX_SUBFRAME_CLIENTS = 3 * LIMITS.clients;
/** A burst of announces from one frame within this window costs one connect, so one snapshot. */
const ANNOUNCE_SETTLE_MS = 100;
/** A command the page has not answered by then (it navigated, or its SDK dropped the command) fails. */
const COMMAND_TIMEOUT_MS = 30_000;
const QUEUE_PAGE = 1000;

export class PanelConnection {
  state: PanelState = { connection: "connecting", sdkVersion: null, pageProtocol: null, clients: new Map(), dropped: 0 };
  readonly #tabId: number;
  readonly #listeners = new Set<() => void>();
  /** Commands awaiting a reply, with the frame they went to: only that frame's reply settles one. */
  /** Set while views are to be told of a change: cancels the fallback timer. */
  #notifying: (() => void) | undefined;
  /** Frames whose announce waits to settle before the panel connects to them. */
  readonly #announced = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #pending = new Map<number, { frameId: number; resolve: (value: unknown) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  #port: Runtime.Port | undefined;
  /** Where each client's timeline was cleared, by key: kept when the page announces itself again (a service worker restart). */
  readonly #cleared = new Map<string, EventMark>();
  #requestId = 0;
  #closed = false;

  constructor(tabId: number) {
    this.#tabId = tabId;
    this.#open();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends `command` to the client with `key` (see {@link ClientView.key}). */
  command(key: string, command: Command): Promise<unknown> {
    const client = this.state.clients.get(key);
    if (!client) return Promise.reject(new Error("That client has left the page"));
    const requestId = ++this.#requestId;
    const { frameId, clientId } = client;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#settle(requestId, frameId, new Error(`No answer from the page in ${COMMAND_TIMEOUT_MS / 1000} s`)), COMMAND_TIMEOUT_MS);
      this.#pending.set(requestId, { frameId, resolve, reject, timer });
      this.#port?.postMessage({ ...envelope({ type: "command", requestId, clientId, command }), frameId });
    });
  }

  /** Empties the client's timeline; events from now on show as they come. */
  clearTimeline(key: string): void {
    const client = this.state.clients.get(key);
    if (!client) return;
    const newest = client.events.at(-1);
    if (newest) this.#cleared.set(key, (client.clearedThrough = markOf(newest)));
    client.events = [];
    this.#emit();
  }

  close(): void {
    this.#closed = true;
    this.#port?.disconnect();
  }

  #open(): void {
    const port = browser.runtime.connect({ name: `synclens-panel:${this.#tabId}` });
    this.#port = port;
    port.onMessage.addListener((data: unknown) => this.#receive(data));
    port.onDisconnect.addListener(() => {
      if (this.#closed) return;
      // Replies to commands sent over this port will never come.
      for (const [requestId, { frameId }] of [...this.#pending]) this.#settle(requestId, frameId, new Error("The connection to the page was lost; try again"));
      this.#set({ connection: "reconnecting" });
      setTimeout(() => this.#open(), 100);
    });
    port.postMessage(envelope({ type: "connect", protocol: PROTOCOL_VERSION }));
  }

  #receive(data: unknown): void {
    if (typeof data !== "object" || data === null || (data as { tag?: unknown }).tag !== MESSAGE_TAG) return;
    const routed = data as { frameId?: unknown; origin?: unknown; present?: unknown; gone?: unknown; dropped?: unknown; message?: unknown };
    if (typeof routed.dropped === "number" && Number.isSafeInteger(routed.dropped) && routed.dropped > 0) {
      this.state.dropped += routed.dropped;
      return this.#emit();
    }
    if (typeof routed.present === "boolean") {
      if (!routed.present && this.state.clients.size === 0) this.#set({ connection: "no-client", sdkVersion: null });
      return;
    }
    // Every frame of the tab speaks for itself only: what a message names is looked up in its own frame.
    const frameId = typeof routed.frameId === "number" ? routed.frameId : 0;
    if (routed.gone) {
      this.#dropFrame(frameId);
      if (this.state.clients.size === 0) this.#set({ connection: "no-client", sdkVersion: null });
      else this.#emit();
      return;
    }
    const parsed = parsePageMessage(routed.message);
    if (!parsed.ok) return;
    const message = parsed.message;
    switch (message.type) {
      case "announce":
        // A page (re)appeared (navigation, reload, worker restart): start over with fresh state, from
        // that frame only, and once for a burst of announces.
        this.#dropFrame(frameId);
        if (!this.#announced.has(frameId)) {
          this.#announced.set(
            frameId,
            setTimeout(() => {
              this.#announced.delete(frameId);
              this.#port?.postMessage({ ...envelope({ type: "connect", protocol: PROTOCOL_VERSION }), frameId });
            }, ANNOUNCE_SETTLE_MS),
          );
        }
        break;
      case "hello": {
        if (compatibility(message.protocol) !== "same") {
          this.#set({ connection: "mismatch", sdkVersion: message.sdkVersion, pageProtocol: message.protocol });
          return;
        }
        // However many hellos come, a frame shows at most LIMITS.clients (a page may post its own hellos),
        // and all subframes together MAX_SUBFRAME_CLIENTS: frames cannot crowd out the top frame's clients.
        const shown = [...this.state.clients.values()];
        let inFrame = shown.filter((client) => client.frameId === frameId).length;
        let inSubframes = shown.filter((client) => client.frameId !== 0).length;
        const origin = typeof routed.origin === "string" ? routed.origin.slice(0, 200) : "";
        for (const { clientId, name } of message.clients) {
          const key = clientKey(frameId, clientId);
          if (this.state.clients.has(key) || inFrame >= LIMITS.clients || (frameId !== 0 && inSubframes >= MAX_SUBFRAME_CLIENTS)) continue;
          this.state.clients.set(key, { ...emptyClient(clientId, frameId, name, message.sdkVersion, origin), clearedThrough: this.#cleared.get(key) ?? null });
          inFrame++;
          if (frameId !== 0) inSubframes++;
        }
        this.#set({ connection: "connected", sdkVersion: null, pageProtocol: null });
        return;
      }
      case "snapshot": {
        const client = this.state.clients.get(clientKey(frameId, message.clientId));
        const snapshot = message.snapshot as Record<string, unknown>;
        if (!client) return;
        client.status = asObject(snapshot["status"]);
        client.metrics = asObject(snapshot["metrics"]);
        client.queue = new Map(asList(snapshot["queue"]).map((op) => [Number(op["seq"]), op]));
        client.queueVersion++;
        void this.#pageQueue(client);
        client.deadLetters = asList(snapshot["deadLetters"]);
        client.conflicts = asList(snapshot["conflicts"]);
        client.events = mergeEvents(client.events, asList(snapshot["events"]), client.clearedThrough);
        client.history.record(Date.now(), client.status, client.metrics);
        break;
      }
      case "delta": {
        const client = this.state.clients.get(clientKey(frameId, message.clientId));
        if (!client) return;
        for (const entry of message.entries) applyDelta(client, entry);
        if (message.entries.some((entry) => entry.part === "status" || entry.part === "metrics")) client.history.record(Date.now(), client.status, client.metrics);
        break;
      }
      case "reply":
        if (message.ok) this.#settle(message.requestId, frameId, null, message.result);
        else this.#settle(message.requestId, frameId, Object.assign(new Error(message.error.message), { code: message.error.code }));
        return;
      case "goodbye":
        this.state.clients.delete(clientKey(frameId, message.clientId));
        break;
    }
    this.#emit();
  }

  /**
   * A snapshot carries the head of the queue; the rest comes page by page. Deltas keep arriving meanwhile:
   * an operation removed by one of them must not come back from a page read before the removal.
   */
  async #pageQueue(client: ClientView): Promise<void> {
    const generation = ++client.pagingGeneration;
    client.removedWhilePaging.clear();
    let after = Math.max(0, ...client.queue.keys());
    const pending = () => Number(client.status?.["pending"] ?? 0);
    client.queueLoading = client.queue.size < pending();
    while (client.queueLoading) {
      let page: Record<string, unknown>[];
      try {
        page = asList(await this.command(client.key, { name: "queue", after, limit: QUEUE_PAGE }));
      } catch {
        page = [];
      }
      if (generation !== client.pagingGeneration) return; // a newer snapshot started over
      for (const op of page) {
        const seq = Number(op["seq"]);
        after = Math.max(after, seq);
        if (!client.removedWhilePaging.has(seq) && !client.queue.has(seq)) client.queue.set(seq, op);
      }
      client.queueVersion++;
      client.queueLoading = page.length > 0 && client.queue.size < pending();
      this.#emit();
    }
    client.removedWhilePaging.clear();
  }

  #settle(requestId: number, frameId: number, error: Error | null, result?: unknown): void {
    const waiting = this.#pending.get(requestId);
    if (!waiting || waiting.frameId !== frameId) return; // a reply from another frame than the one asked
    this.#pending.delete(requestId);
    clearTimeout(waiting.timer);
    if (error) waiting.reject(error);
    else waiting.resolve(result);
  }

  #dropFrame(frameId: number): void {
    for (const [key, client] of this.state.clients) if (client.frameId === frameId) this.state.clients.delete(key);
  }

  #set(patch: Partial<PanelState>): void {
    this.state = { ...this.state, ...patch };
    this.#emit();
  }

  /**
   * Tells the views, at most once per animation frame (or 100 ms, for a panel the browser does not paint):
   * a page flooding deltas costs one render a frame, not one per message.
   */
  #emit(): void {
    this.state = { ...this.state };
    if (this.#notifying) return;
    if (typeof requestAnimationFrame !== "function") return this.#notify();
    const timer = setTimeout(() => this.#notify(), 100);
    this.#notifying = () => clearTimeout(timer);
    requestAnimationFrame(() => this.#notify());
  }

  #notify(): void {
    if (!this.#notifying && typeof requestAnimationFrame === "function") return; // already told, this frame
    this.#notifying?.();
    this.#notifying = undefined;
    for (const listener of this.#listeners) listener();
  }
}

function applyDelta(client: ClientView, entry: DeltaEntry): void {
  switch (entry.part) {
    case "status":
      client.status = asObject(entry.value);
      break;
    case "metrics":
      client.metrics = asObject(entry.value);
      break;
    case "queue":
      for (const seq of entry.removed) {
        client.queue.delete(seq);
        if (client.queueLoading) client.removedWhilePaging.add(seq);
      }
      for (const op of [...entry.added, ...entry.changed].map(asObject)) if (op) client.queue.set(Number(op["seq"]), op);
      client.queueVersion++;
      break;
    case "deadLetters":
      client.deadLetters = entry.value.map(asObject).filter((value): value is Record<string, unknown> => value !== null);
      break;
    case "conflicts":
      client.conflicts = entry.value.map(asObject).filter((value): value is Record<string, unknown> => value !== null);
      break;
    case "events": {
      // A delta that arrives twice (re-sent after a reconnect) adds nothing: only events past the newest kept.
      const newest = client.events.at(-1);
      const fresh = entry.value.map(asObject).filter((value): value is Record<string, unknown> => value !== null && (!newest || isAfter(value, markOf(newest))));
      client.events = [...client.events, ...fresh].slice(-MAX_EVENTS);
      break;
    }
  }
}

/**
 * A client's whole state came again (a retry or discard, a reconnect): its timeline holds the SDK's last
 * events, often fewer than the panel kept. The panel keeps its older events and takes the page's from
 * the first of those on, so nothing it showed vanishes and nothing shows twice. Events at or before
 * `clearedThrough` (the user cleared the timeline) stay out.
 */
export function mergeEvents(kept: Record<string, unknown>[], fresh: Record<string, unknown>[], clearedThrough: EventMark | null = null): Record<string, unknown>[] {
  const newer = clearedThrough ? fresh.filter((event) => isAfter(event, clearedThrough)) : fresh;
  const first = newer[0];
  if (!first || !Number.isFinite(markOf(first).at)) return kept.slice(-MAX_EVENTS);
  return [...kept.filter((event) => isBefore(event, markOf(first))), ...newer].slice(-MAX_EVENTS);
}

function clientKey(frameId: number, clientId: string): string {
  return `${frameId}:${clientId}`;
}

export function emptyClient(clientId: string, frameId: number, name: string, sdkVersion = "", origin = ""): ClientView {
  return { key: clientKey(frameId, clientId), clientId, frameId, origin, name, sdkVersion, status: null, metrics: null, queue: new Map(), queueVersion: 0, queueLoading: false, pagingGeneration: 0, removedWhilePaging: new Set(), deadLetters: [], conflicts: [], events: [], clearedThrough: null, history: new MetricsHistory() };
}

/** `value` if it is a plain object (anything from the page may be anything). */
export function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The plain objects in `value` if it is a list. */
export function asList(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(asObject).filter((entry): entry is Record<string, unknown> => entry !== null) : [];
}
