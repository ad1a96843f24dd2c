import type { KeyValueStorage } from "../storage/flush-journal.js";

/**
 * The browser signals the client listens to, each guarded so the SDK runs unchanged in a page, a worker
 * and Node: where a global is missing, its signal simply never fires.
 */
export interface EnvironmentSignals {
  /** `navigator.onLine` where it exists. `false` is trusted; `true` only means "worth a try". */
  browserSaysOnline(): boolean;
  /** Subscribes to the signals that should start a sync or change the online state. */
  subscribe(handlers: {
    online: () => void;
    offline: () => void;
    visible: () => void;
    pagehide: () => void;
  }): () => void;
  /** The origin's synchronous storage (`localStorage`) where a page has one, for the flush journal. */
  localStorage?(): KeyValueStorage | undefined;
}

type Listener = [target: Partial<EventTarget> | undefined, type: string, listener: () => void];

export const browserEnvironment: EnvironmentSignals = {
  browserSaysOnline() {
    const nav = (globalThis as { navigator?: { onLine?: unknown } }).navigator;
    return typeof nav?.onLine === "boolean" ? nav.onLine : true;
  },
  subscribe(handlers) {
    // Node has no global addEventListener, workers no document: optional calls skip what is missing.
    const scope = globalThis as Partial<EventTarget>;
    const doc = (globalThis as { document?: Document }).document;
    const listeners: Listener[] = [
      [scope, "online", handlers.online],
      [scope, "offline", handlers.offline],
      [scope, "pagehide", handlers.pagehide],
      [doc, "visibilitychange", () => doc?.visibilityState === "visible" && handlers.visible()],
    ];
    for (const [target, type, listener] of listeners) target?.addEventListener?.(type, listener);
    return () => {
      for (const [target, type, listener] of listeners) target?.removeEventListener?.(type, listener);
    };
  },
  localStorage() {
    try {
      return (globalThis as { localStorage?: KeyValueStorage }).localStorage;
    } catch {
      return undefined; // reading it throws where storage is disabled (sandboxed frames, some privacy settings)
    }
  },
};

/**
 * A random (v4) UUID: `crypto.randomUUID` where present, else built from `crypto.getRandomValues`, which
 * insecure (plain http) pages still have.
 */
export function newOperationId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Lets Node exit while a client is open (a timer alone keeps it running); browsers have no such thing. */
export function unref(timer: unknown): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer && typeof timer.unref === "function") timer.unref();
}
