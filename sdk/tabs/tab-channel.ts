/**
 * Tells the other tabs and workers of the origin that share a client's database what changed, so they
 * update their counters and emit `change` without reloading. BroadcastChannel where present; elsewhere
 * a no-op. Messages go out together, at most one postMessage per {@link POST_INTERVAL_MS} (the first at
 * once, on the next tick): a postMessage costs about as much as the IndexedDB write it reports. What is
 * held is posted at once on `pagehide` and on close; a tab that is killed outright loses at most the
 * last {@link POST_INTERVAL_MS} of messages, and the others read their counters again when they become
 * visible and on the interval trigger.
 * Messages are checked on receipt (anything else on the channel is ignored).
 */
export type TabMessage = { type: "write"; id: string; kind: "save" | "delete" } | { type: "queue" };

/** The shortest time between two posts: how late, at worst, another tab hears of a write. */
export const POST_INTERVAL_MS = 50;

export interface TabChannel {
  post(message: TabMessage): void;
  close(): void;
}

export function openTabChannel(databaseName: string, onMessage: (message: TabMessage) => void): TabChannel {
  const Channel = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
  if (typeof Channel !== "function") return { post: () => undefined, close: () => undefined };
  const channel = new Channel(`synclens:${databaseName}`);
  channel.onmessage = ({ data }: MessageEvent<unknown>) => {
    if (Array.isArray(data)) for (const message of data) if (isTabMessage(message)) onMessage(message);
  };
  let pending: TabMessage[] = [];
  let closed = false;
  let postedAt = -Infinity;
  const flush = (): void => {
    if (!closed && pending.length > 0) channel.postMessage(pending);
    pending = [];
    postedAt = Date.now();
  };
  // A page going away posts what it holds at once: its last writes would otherwise never be announced.
  const page = globalThis as { addEventListener?: (type: string, listener: () => void) => void; removeEventListener?: (type: string, listener: () => void) => void };
  page.addEventListener?.("pagehide", flush);
  return {
    post(message) {
      if (pending.push(message) > 1) return;
      setTimeout(flush, Math.max(0, postedAt + POST_INTERVAL_MS - Date.now()));
    },
    close() {
      flush();
      closed = true;
      page.removeEventListener?.("pagehide", flush);
      channel.close();
    },
  };
}

function isTabMessage(data: unknown): data is TabMessage {
  if (typeof data !== "object" || data === null) return false;
  const message = data as Record<string, unknown>;
  if (message["type"] === "queue") return true;
  return message["type"] === "write" && typeof message["id"] === "string" && (message["kind"] === "save" || message["kind"] === "delete");
}
