/**
 * The SyncLens DevTools bridge protocol: the one definition that the SDK (in the page), the extension's
 * content script and service worker, and the panel all import.
 *
 * Transport: page <-> content script over `window.postMessage`, content script <-> service worker <->
 * panel over runtime ports. Every hop runs `parseMessage` on what it receives: types are not trusted,
 * unknown or malformed messages are dropped and counted, never thrown.
 *
 * Versioning: `PROTOCOL_VERSION` goes up on any incompatible change. A hello carries the sender's
 * version; a panel meeting another version says so instead of guessing (`compatibility`).
 */

export const PROTOCOL_VERSION = 1;
/** Marks SyncLens messages among everything else a page posts to itself. */
export const MESSAGE_TAG = "synclens-devtools";

/**
 * Sent by the service worker to a tab's content scripts (`tabs.sendMessage`) when a panel opens and no
 * page of the tab has a port open (the worker stopped while idle): a frame whose page has a client
 * reconnects and announces it again.
 */
export const RECONNECT = { tag: MESSAGE_TAG, reconnect: true } as const;

/** Bounds on what crosses the bridge. Anything over them is dropped with a counted reason. */
export const LIMITS = {
  /** One message, serialised. */
  messageBytes: 1024 * 1024,
  /** Clients announced by one page. */
  clients: 32,
  /** Entries in one delta. */
  deltaEntries: 500,
  ids: 256,
  names: 100,
  /** Short strings: error codes, event types. */
  shortText: 200,
  /** Longer strings: messages, summaries. */
  text: 2000,
  /** Operations asked for by one `queue` command. */
  queuePage: 1000,
  /**
   * Bytes of trimmed operations per message (state, delta or queue page): under `messageBytes`, so a
   * queue of large items arrives over several messages instead of one that every hop would drop.
   */
  queueBytes: 512 * 1024,
} as const;

export type ClientId = string;

/** Commands the panel may send. Each maps to one public SDK call. */
export type Command =
  | { name: "setOffline"; offline: boolean }
  | { name: "sync" }
  | { name: "pause" }
  | { name: "resume" }
  | { name: "retryDeadLetter"; opId: string }
  | { name: "retryAllDeadLetters" }
  | { name: "discardDeadLetter"; opId: string }
  | { name: "resolveConflict"; id: string; resolution: "local" | "server" | { value: unknown; serverVersion?: number } }
  | { name: "exportSnapshot" }
  /**
   * The next page of the queue: operations with `seq` > `after`, at most `limit` (≤ `LIMITS.queuePage`),
   * fewer when they would not fit `LIMITS.queueBytes`. An empty page means the end.
   */
  | { name: "queue"; after: number; limit: number }
  /**
   * Asks for the full value behind a trim marker. Paths start at a part and an identity, so they stay
   * valid while the lists move: `["queue", seq, ...]`, `["deadLetters", seq, ...]`, `["conflicts", id, ...]`.
   */
  | { name: "expand"; path: readonly (string | number)[] };

export type CommandName = Command["name"];

/** What changed since the last delta, per part of the client's state. */
export type DeltaEntry =
  | { part: "status"; value: unknown }
  | { part: "metrics"; value: unknown }
  | { part: "queue"; added: unknown[]; removed: number[]; changed: unknown[] }
  | { part: "deadLetters"; value: unknown[] }
  | { part: "conflicts"; value: unknown[] }
  | { part: "events"; value: unknown[] };

export type PageMessage =
  /** Posted once, when the page first exposes a client: there is something to inspect here. */
  | { type: "announce"; protocol: number }
  | { type: "hello"; protocol: number; sdkVersion: string; clients: { clientId: ClientId; name: string }[] }
  | { type: "snapshot"; clientId: ClientId; snapshot: unknown }
  | { type: "delta"; clientId: ClientId; seq: number; entries: DeltaEntry[] }
  | { type: "reply"; requestId: number; ok: true; result: unknown }
  | { type: "reply"; requestId: number; ok: false; error: { code: string; message: string } }
  | { type: "goodbye"; clientId: ClientId };

export type PanelMessage =
  | { type: "connect"; protocol: number }
  | { type: "command"; requestId: number; clientId: ClientId; command: Command }
  | { type: "disconnect" };

export type BridgeMessage = PageMessage | PanelMessage;

/** Why a message was dropped: counted per reason by every hop. */
export type DropReason =
  | "not_an_object"
  | "wrong_tag"
  | "too_large"
  | "unknown_type"
  | "malformed"
  /** A panel message that came by `window.postMessage` (any page script or frame can post those), not over the extension's private channel. */
  | "untrusted_source"
  /** A command while the app exposed its client with `commands: false`. */
  | "commands_off";

/**
 * The page's one way to the extension: installed on `window` by the extension's MAIN-world script at
 * `document_start`, before any page script, and neither writable nor configurable. `connect()` returns
 * one end of a private channel to the extension's relay (undefined until the relay has handed over its
 * own); no page script can post into or read a channel another script holds.
 */
export interface DevtoolsHook {
  readonly protocol: number;
  connect(): MessagePort | undefined;
}

/** Where the hook lives: `window[DEVTOOLS_HOOK]`. */
export const DEVTOOLS_HOOK = "__SYNCLENS_DEVTOOLS__";
/**
 * The two content scripts' hand-over of the relay's channel, both at `document_start` (before any page
 * script): the isolated relay dispatches `HANDOFF_EVENT` (a cancelable MessageEvent carrying a port)
 * and the hook takes it by cancelling it, synchronously; whichever script runs second triggers the
 * hand-over (the hook announces itself with `HOOK_READY_EVENT`).
 */
export const HANDOFF_EVENT = "synclens-devtools-handoff";
export const HOOK_READY_EVENT = "synclens-devtools-ready";

export type Parsed<M> = { ok: true; message: M } | { ok: false; reason: DropReason; detail: string };

/** What a panel makes of a hello from another protocol version. */
export function compatibility(theirs: number): "same" | "older-sdk" | "newer-sdk" {
  return theirs === PROTOCOL_VERSION ? "same" : theirs < PROTOCOL_VERSION ? "older-sdk" : "newer-sdk";
}

const PAGE_TYPES: ReadonlySet<string> = new Set(["announce", "hello", "snapshot", "delta", "reply", "goodbye"]);

/** Which way a message goes: from the page (the SDK) or from the panel. */
export type Direction = "page" | "panel";

export interface Envelope {
  tag: typeof MESSAGE_TAG;
  from: Direction;
  message: BridgeMessage;
}

/**
 * Wraps a message for `window.postMessage` and ports. `from` lets each side skip its own echoes (a page
 * receives what it posts to itself) before parsing anything.
 */
export function envelope(message: BridgeMessage): Envelope {
  return { tag: MESSAGE_TAG, from: PAGE_TYPES.has(message.type) ? "page" : "panel", message };
}

/** Whether `data` is one of our envelopes, sent from `from` (cheap: no parsing). */
export function isEnvelopeFrom(data: unknown, from: Direction): boolean {
  return isObject(data) && data["tag"] === MESSAGE_TAG && data["from"] === from;
}

/**
 * Opens an envelope received from `window.postMessage` (or a port): checks the tag, the serialised size,
 * then the message itself. `direction` says who sent it: the page (SDK) or the panel.
 */
export function parseEnvelope(data: unknown, direction: "page" | "panel"): Parsed<BridgeMessage> {
  if (!isObject(data)) return drop("not_an_object", typeof data);
  if (data["tag"] !== MESSAGE_TAG) return drop("wrong_tag", String(data["tag"]).slice(0, 40));
  let size: number;
  try {
    size = JSON.stringify(data["message"])?.length ?? 0;
  } catch {
    return drop("malformed", "not serialisable");
  }
  if (size > LIMITS.messageBytes) return drop("too_large", `${size} bytes`);
  return direction === "page" ? parsePageMessage(data["message"]) : parsePanelMessage(data["message"]);
}

export function parsePageMessage(value: unknown): Parsed<PageMessage> {
  if (!isObject(value)) return drop("not_an_object", typeof value);
  switch (value["type"]) {
    case "announce":
      if (!isVersion(value["protocol"])) return drop("malformed", "announce");
      return ok({ type: "announce", protocol: value["protocol"] as number });
    case "hello": {
      const clients = value["clients"];
      if (!isVersion(value["protocol"]) || !isText(value["sdkVersion"], LIMITS.shortText) || !Array.isArray(clients) || clients.length > LIMITS.clients) {
        return drop("malformed", "hello");
      }
      const parsed: { clientId: ClientId; name: string }[] = [];
      for (const client of clients) {
        if (!isObject(client) || !isText(client["clientId"], LIMITS.ids) || !isText(client["name"], LIMITS.names)) return drop("malformed", "hello client");
        parsed.push({ clientId: client["clientId"], name: client["name"] });
      }
      return ok({ type: "hello", protocol: value["protocol"] as number, sdkVersion: value["sdkVersion"] as string, clients: parsed });
    }
    case "snapshot":
      if (!isText(value["clientId"], LIMITS.ids) || !isObject(value["snapshot"])) return drop("malformed", "snapshot");
      return ok({ type: "snapshot", clientId: value["clientId"], snapshot: value["snapshot"] });
    case "delta": {
      const entries = value["entries"];
      if (!isText(value["clientId"], LIMITS.ids) || !isCount(value["seq"]) || !Array.isArray(entries) || entries.length > LIMITS.deltaEntries) {
        return drop("malformed", "delta");
      }
      const parsed: DeltaEntry[] = [];
      for (const entry of entries) {
        const delta = parseDeltaEntry(entry);
        if (!delta) return drop("malformed", "delta entry");
        parsed.push(delta);
      }
      return ok({ type: "delta", clientId: value["clientId"], seq: value["seq"] as number, entries: parsed });
    }
    case "reply": {
      if (!isCount(value["requestId"])) return drop("malformed", "reply");
      const requestId = value["requestId"] as number;
      if (value["ok"] === true) return ok({ type: "reply", requestId, ok: true, result: value["result"] });
      const error = value["error"];
      if (value["ok"] !== false || !isObject(error) || !isText(error["code"], LIMITS.shortText) || !isText(error["message"], LIMITS.text)) {
        return drop("malformed", "reply error");
      }
      return ok({ type: "reply", requestId, ok: false, error: { code: error["code"], message: error["message"] } });
    }
    case "goodbye":
      if (!isText(value["clientId"], LIMITS.ids)) return drop("malformed", "goodbye");
      return ok({ type: "goodbye", clientId: value["clientId"] });
    default:
      return drop("unknown_type", String(value["type"]).slice(0, 40));
  }
}

export function parsePanelMessage(value: unknown): Parsed<PanelMessage> {
  if (!isObject(value)) return drop("not_an_object", typeof value);
  switch (value["type"]) {
    case "connect":
      if (!isVersion(value["protocol"])) return drop("malformed", "connect");
      return ok({ type: "connect", protocol: value["protocol"] as number });
    case "disconnect":
      return ok({ type: "disconnect" });
    case "command": {
      const command = parseCommand(value["command"]);
      if (!isCount(value["requestId"]) || !isText(value["clientId"], LIMITS.ids) || !command) return drop("malformed", "command");
      return ok({ type: "command", requestId: value["requestId"] as number, clientId: value["clientId"], command });
    }
    default:
      return drop("unknown_type", String(value["type"]).slice(0, 40));
  }
}

function parseCommand(value: unknown): Command | undefined {
  if (!isObject(value)) return undefined;
  switch (value["name"]) {
    case "sync":
    case "pause":
    case "resume":
    case "retryAllDeadLetters":
    case "exportSnapshot":
      return { name: value["name"] };
    case "setOffline":
      return typeof value["offline"] === "boolean" ? { name: "setOffline", offline: value["offline"] } : undefined;
    case "retryDeadLetter":
    case "discardDeadLetter":
      return isText(value["opId"], LIMITS.ids) ? { name: value["name"], opId: value["opId"] } : undefined;
    case "resolveConflict": {
      const resolution = value["resolution"];
      if (!isText(value["id"], LIMITS.ids)) return undefined;
      if (resolution === "local" || resolution === "server") return { name: "resolveConflict", id: value["id"], resolution };
      if (!isObject(resolution) || !("value" in resolution)) return undefined;
      const { serverVersion } = resolution;
      if (serverVersion !== undefined && !isCount(serverVersion)) return undefined;
      return { name: "resolveConflict", id: value["id"], resolution: { value: resolution["value"], ...(serverVersion === undefined ? {} : { serverVersion: serverVersion as number }) } };
    }
    case "queue": {
      const { after, limit } = value;
      return isCount(after) && isCount(limit) && (limit as number) >= 1 && (limit as number) <= LIMITS.queuePage ? { name: "queue", after: after as number, limit: limit as number } : undefined;
    }
    case "expand": {
      const path = value["path"];
      if (!Array.isArray(path) || path.length > 64 || !path.every((step) => isText(step, LIMITS.ids) || Number.isInteger(step))) return undefined;
      return { name: "expand", path: path as (string | number)[] };
    }
    default:
      return undefined;
  }
}

function parseDeltaEntry(value: unknown): DeltaEntry | undefined {
  if (!isObject(value)) return undefined;
  switch (value["part"]) {
    case "status":
    case "metrics":
      return isObject(value["value"]) ? { part: value["part"], value: value["value"] } : undefined;
    case "deadLetters":
    case "conflicts":
    case "events":
      return Array.isArray(value["value"]) && value["value"].length <= LIMITS.deltaEntries ? { part: value["part"], value: value["value"] } : undefined;
    case "queue": {
      const { added, removed, changed } = value as { added?: unknown; removed?: unknown; changed?: unknown };
      if (!Array.isArray(added) || !Array.isArray(changed) || !Array.isArray(removed) || !removed.every(isCount)) return undefined;
      if (added.length + changed.length + removed.length > LIMITS.deltaEntries) return undefined;
      return { part: "queue", added, removed: removed as number[], changed };
    }
    default:
      return undefined;
  }
}

function ok<M>(message: M): Parsed<M> {
  return { ok: true, message };
}

function drop(reason: DropReason, detail: string): { ok: false; reason: DropReason; detail: string } {
  return { ok: false, reason, detail };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isText(value: unknown, max: number): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= max;
}

function isCount(value: unknown): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isVersion(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 1000;
}
