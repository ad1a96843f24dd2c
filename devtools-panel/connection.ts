/**
 * The panel's end of the bridge: a runtime port to the service worker for one inspected tab, the state
 * of every SyncLens client on that page as messages arrive, and commands with replies. Reconnects when
 * the service worker restarts and asks for fresh state. Knows nothing of the UI: `subscribe` for changes.
 */
import browser, { type Runtime } from "webextension-polyfill";
import { compatibility, envelope, MESSAGE_TAG, parsePageMessage, PROTOCOL_VERSION, type Command, type DeltaEntry } from "../sdk/bridge/protocol";

export type ConnectionState = "connecting" | "connected" | "no-client" | "reconnecting" | "mismatch";

export interface ClientView {
  clientId: string;
  frameId: number;
  name: string;
  status: Record<string, unknown> | null;
  metrics: Record<string, unknown> | null;
  queue: Map<number, Record<string, unknown>>;
  deadLetters: Record<string, unknown>[];
  conflicts: Record<string, unknown>[];
  events: Record<string, unknown>[];
}

export interface PanelState {
  connection: ConnectionState;
  sdkVersion: string | null;
  clients: Map<string, ClientView>;
}

const MAX_EVENTS = 500;

export class PanelConnection {
  state: PanelState = { connection: "connecting", sdkVersion: null, clients: new Map() };
  readonly #tabId: number;
  readonly #listeners = new Set<() => void>();
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #port: Runtime.Port | undefined;
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

  command(clientId: string, command: Command): Promise<unknown> {
    const client = this.state.clients.get(clientId);
    const requestId = ++this.#requestId;
    return new Promise((resolve, reject) => {
      this.#pending.set(requestId, { resolve, reject });
      this.#port?.postMessage({ ...envelope({ type: "command", requestId, clientId, command }), frameId: client?.frameId });
    });
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
      this.#set({ connection: "reconnecting" });
      setTimeout(() => this.#open(), 100);
    });
    port.postMessage(envelope({ type: "connect", protocol: PROTOCOL_VERSION }));
  }

  #receive(data: unknown): void {
    if (typeof data !== "object" || data === null || (data as { tag?: unknown }).tag !== MESSAGE_TAG) return;
    const routed = data as { frameId?: unknown; present?: unknown; gone?: unknown; message?: unknown };
    if (typeof routed.present === "boolean") {
      if (!routed.present && this.state.clients.size === 0) this.#set({ connection: "no-client" });
      return;
    }
    if (routed.gone) {
      this.state.clients.clear();
      this.#set({ connection: "no-client" });
      return;
    }
    const parsed = parsePageMessage(routed.message);
    if (!parsed.ok) return;
    const message = parsed.message;
    const frameId = typeof routed.frameId === "number" ? routed.frameId : 0;
    switch (message.type) {
      case "announce":
        // A page (re)appeared (navigation, reload, worker restart): start over with fresh state.
        this.state.clients.clear();
        this.#port?.postMessage(envelope({ type: "connect", protocol: PROTOCOL_VERSION }));
        break;
      case "hello": {
        if (compatibility(message.protocol) !== "same") {
          this.#set({ connection: "mismatch", sdkVersion: message.sdkVersion });
          return;
        }
        for (const { clientId, name } of message.clients) {
          if (!this.state.clients.has(clientId)) this.state.clients.set(clientId, emptyClient(clientId, frameId, name));
        }
        this.#set({ connection: "connected", sdkVersion: message.sdkVersion });
        return;
      }
      case "snapshot": {
        const client = this.state.clients.get(message.clientId);
        const snapshot = message.snapshot as Record<string, unknown>;
        if (!client) return;
        client.status = asObject(snapshot["status"]);
        client.metrics = asObject(snapshot["metrics"]);
        client.queue = new Map(asList(snapshot["queue"]).map((op) => [Number(op["seq"]), op]));
        client.deadLetters = asList(snapshot["deadLetters"]);
        client.conflicts = asList(snapshot["conflicts"]);
        client.events = asList(snapshot["events"]).slice(-MAX_EVENTS);
        break;
      }
      case "delta": {
        const client = this.state.clients.get(message.clientId);
        if (client) for (const entry of message.entries) applyDelta(client, entry);
        break;
      }
      case "reply": {
        const waiting = this.#pending.get(message.requestId);
        this.#pending.delete(message.requestId);
        if (message.ok) waiting?.resolve(message.result);
        else waiting?.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
        return;
      }
      case "goodbye":
        this.state.clients.delete(message.clientId);
        break;
    }
    this.#emit();
  }

  #set(patch: Partial<PanelState>): void {
    this.state = { ...this.state, ...patch };
    this.#emit();
  }

  #emit(): void {
    this.state = { ...this.state };
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
      for (const seq of entry.removed) client.queue.delete(seq);
      for (const op of [...entry.added, ...entry.changed].map(asObject)) if (op) client.queue.set(Number(op["seq"]), op);
      break;
    case "deadLetters":
      client.deadLetters = entry.value.map(asObject).filter((value): value is Record<string, unknown> => value !== null);
      break;
    case "conflicts":
      client.conflicts = entry.value.map(asObject).filter((value): value is Record<string, unknown> => value !== null);
      break;
    case "events":
      client.events = [...client.events, ...entry.value.map(asObject).filter((value): value is Record<string, unknown> => value !== null)].slice(-MAX_EVENTS);
      break;
  }
}

function emptyClient(clientId: string, frameId: number, name: string): ClientView {
  return { clientId, frameId, name, status: null, metrics: null, queue: new Map(), deadLetters: [], conflicts: [], events: [] };
}

function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function asList(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(asObject).filter((entry): entry is Record<string, unknown> => entry !== null) : [];
}
