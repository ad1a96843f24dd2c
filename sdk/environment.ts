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
}

interface EventSourceLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

export const browserEnvironment: EnvironmentSignals = {
  browserSaysOnline() {
    const nav = (globalThis as { navigator?: { onLine?: unknown } }).navigator;
    return typeof nav?.onLine === "boolean" ? nav.onLine : true;
  },
  subscribe(handlers) {
    const scope = eventSource(globalThis);
    const doc = eventSource((globalThis as { document?: unknown }).document);
    const onVisibility = (): void => {
      if ((globalThis as { document?: { visibilityState?: string } }).document?.visibilityState === "visible") handlers.visible();
    };
    scope?.addEventListener("online", handlers.online);
    scope?.addEventListener("offline", handlers.offline);
    scope?.addEventListener("pagehide", handlers.pagehide);
    doc?.addEventListener("visibilitychange", onVisibility);
    return () => {
      scope?.removeEventListener("online", handlers.online);
      scope?.removeEventListener("offline", handlers.offline);
      scope?.removeEventListener("pagehide", handlers.pagehide);
      doc?.removeEventListener("visibilitychange", onVisibility);
    };
  },
};

function eventSource(candidate: unknown): EventSourceLike | undefined {
  if (typeof candidate !== "object" || candidate === null) return undefined;
  const source = candidate as Partial<EventSourceLike>;
  return typeof source.addEventListener === "function" && typeof source.removeEventListener === "function"
    ? (source as EventSourceLike)
    : undefined;
}

/**
 * A random (v4) UUID. Built from `crypto.getRandomValues`, which pages, workers and Node all have, unlike
 * `crypto.randomUUID`, which insecure (plain http) pages lack.
 */
export function newOperationId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
