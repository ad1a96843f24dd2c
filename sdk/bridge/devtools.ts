/**
 * The page side of the DevTools bridge (`import { exposeToDevtools } from "synclens/devtools"`).
 *
 * It talks to the extension only over a private channel: a MessagePort from the hook the extension
 * installs before any page script runs (`window.__SYNCLENS_DEVTOOLS__`, see protocol.ts). Without the
 * extension there is no hook, and it opens nothing at all. No page script can post into the channel
 * or read from it, so none can drive the client through it; panel messages posted to `window` are
 * dropped and counted (`untrusted_source`).
 *
 * Until the panel connects it costs one `message` listener and nothing else: no serialisation, no
 * timers, no client subscriptions. Once connected, each exposed client announces itself, sends its
 * state, then batched deltas at most `updatesPerSecond` times a second, every payload passed through
 * the client's `redact` and trimmed for the wire (see trim.ts). Commands from the panel act through the
 * client's public API only, and only if the app allows them (`commands`).
 *
 * Failure modes: a malformed or unknown message is dropped and counted (`droppedMessages()`), never
 * thrown into the page; a failing command is answered with its error code and message.
 */
import type { SyncClient } from "../client/full-client.js";
import type { SyncLogEvent } from "../observe/event-log.js";
import type { Conflict } from "../sync/conflicts.js";
import type { DeadLetter, PendingOperation, SyncItem } from "../shared/types.js";
import { SDK_VERSION } from "../shared/version.js";
import { redactPayloads } from "../observe/snapshot.js";
import { DEVTOOLS_HOOK, envelope, isEnvelopeFrom, LIMITS, MESSAGE_TAG, parseEnvelope, PROTOCOL_VERSION, type Command, type DeltaEntry, type DevtoolsHook, type DropReason, type PageMessage } from "./protocol.js";
import { DEFAULT_TRIM, resolvePath, trim, type TrimLimits } from "./trim.js";

/** What the bridge needs of `window` (a worker's `self` or a test stand-in will do). */
export interface BridgeTarget {
  postMessage(message: unknown, targetOrigin: string): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

/** Options of {@link exposeToDevtools}: the first call on a target sets them for every client exposed there. */
export interface DevtoolsOptions {
  /**
   * Whether the panel may act on the client (force offline, sync, pause, retry, discard, resolve), or
   * only watch (reading the queue, expanding values and exporting a snapshot still work). Default true:
   * only the extension can reach the channel, and acting is what a developer opens the panel for. An app
   * that exposes clients in production should pass false.
   */
  commands?: boolean;
  /**
   * @internal A window-like target to talk over instead of the extension's private channel (tests):
   * every script that can post to it can drive the client.
   */
  target?: BridgeTarget;
  /** Deltas per second per client at most, while a panel is connected: 1 to 60, default 10. */
  updatesPerSecond?: number;
  /** How much of each value (items, replies) crosses the bridge; the panel asks for the rest by path. Default `{ depth: 6, string: 300, list: 50 }`. */
  trim?: TrimLimits;
}

export type { TrimLimits } from "./trim.js";

/** Commands that only read: allowed when the app exposes its clients with `commands: false`. */
const READ_ONLY_COMMANDS: ReadonlySet<Command["name"]> = new Set(["queue", "expand", "exportSnapshot"]);

/** Operations sent in a client's initial state; the panel learns the total from `status.pending`. */
const INITIAL_QUEUE = 1000;
/** What a reply's result may take of one message, leaving room for its envelope. */
const MESSAGE_ROOM = LIMITS.messageBytes - 1024;

type AnyClient = SyncClient<SyncItem>;

/**
 * Makes a client visible to the SyncLens DevTools panel, when the extension is installed (else it does
 * nothing). Returns a function that hides it again.
 */
export function exposeToDevtools<T extends SyncItem>(client: SyncClient<T>, options: DevtoolsOptions = {}): () => void {
  const page = (globalThis as unknown as { window?: BridgeTarget & Record<string, unknown> }).window;
  const target = options.target ?? page;
  if (!target) return () => undefined; // a worker or Node: no panel can reach it
  let bridge = bridges.get(target);
  if (!bridge) {
    const hook = options.target ? undefined : (page?.[DEVTOOLS_HOOK] as DevtoolsHook | undefined);
    const port = typeof hook?.connect === "function" ? hook.connect() : undefined;
    if (!options.target && !port) return () => undefined; // no extension: nothing at all
    bridges.set(target, (bridge = new Bridge(target, options, port)));
  }
  return bridge.add(client as unknown as AnyClient);
}

/** Messages dropped by the bridge on `target`, by reason. */
export function droppedMessages(target: BridgeTarget = (globalThis as { window: BridgeTarget }).window): Partial<Record<DropReason, number>> {
  return { ...bridges.get(target)?.drops };
}

const bridges = new WeakMap<BridgeTarget, Bridge>();

interface Exposed {
  id: string;
  client: AnyClient;
  detach?: () => void;
  dirty: Set<"status" | "deadLetters" | "conflicts">;
  queue: Map<number, PendingOperation>;
  removed: Set<number>;
  events: SyncLogEvent[];
  resend: boolean;
  seq: number;
}

class Bridge {
  readonly drops: Partial<Record<DropReason, number>> = {};
  readonly #target: BridgeTarget;
  /** The extension's private channel; absent for a test target. */
  readonly #port: MessagePort | undefined;
  readonly #commands: boolean;
  readonly #interval: number;
  readonly #limits: TrimLimits;
  readonly #exposed = new Map<string, Exposed>();
  #connected = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastFlush = 0;
  #counter = 0;

  constructor(target: BridgeTarget, options: DevtoolsOptions, port?: MessagePort) {
    this.#target = target;
    this.#port = port;
    this.#commands = options.commands ?? true;
    this.#interval = 1000 / Math.min(60, Math.max(1, options.updatesPerSecond ?? 10));
    this.#limits = options.trim ?? DEFAULT_TRIM;
    target.addEventListener("message", this.#onMessage);
    if (port) port.onmessage = ({ data }: MessageEvent) => this.#receive(data);
    this.#post({ type: "announce", protocol: PROTOCOL_VERSION });
  }

  add(client: AnyClient): () => void {
    const id = `${client.name}#${++this.#counter}`;
    const exposed: Exposed = { id, client, dirty: new Set(), queue: new Map(), removed: new Set(), events: [], resend: false, seq: 0 };
    this.#exposed.set(id, exposed);
    if (this.#connected) {
      this.#hello();
      this.#attach(exposed);
    }
    return () => this.#remove(id);
  }

  #remove(id: string): void {
    const exposed = this.#exposed.get(id);
    if (!exposed) return;
    exposed.detach?.();
    this.#exposed.delete(id);
    if (this.#connected) this.#post({ type: "goodbye", clientId: id });
  }

  readonly #onMessage = (event: MessageEvent): void => {
    const data: unknown = event.data;
    // Other tools' messages and our own echoes are none of our business: only the panel's are parsed.
    if (typeof data !== "object" || data === null || (data as { tag?: unknown }).tag !== MESSAGE_TAG || isEnvelopeFrom(data, "page")) return;
    // A panel message from another window (a frame, a popup), or any on `window` once the extension's
    // channel is in use (some page script posted it): refused, and counted.
    if (this.#port || event.source !== this.#target) this.#drop("untrusted_source");
    else this.#receive(data);
  };

  #drop(reason: DropReason): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  #receive(data: unknown): void {
    const parsed = parseEnvelope(data, "panel");
    if (!parsed.ok) return this.#drop(parsed.reason);
    const message = parsed.message;
    if (message.type === "connect") this.#connect();
    else if (message.type === "disconnect") this.#disconnect();
    else if (message.type === "command") void this.#command(message.requestId, message.clientId, message.command);
  }

  #connect(): void {
    if (this.#connected) this.#disconnect(); // a panel reopened: start over
    for (const { id, client } of [...this.#exposed.values()]) if (client.status.closed) this.#exposed.delete(id);
    this.#connected = true;
    this.#hello();
    for (const exposed of this.#exposed.values()) this.#attach(exposed);
  }

  #disconnect(): void {
    this.#connected = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const exposed of this.#exposed.values()) {
      exposed.detach?.();
      delete exposed.detach;
    }
  }

  #hello(): void {
    // The panel takes at most LIMITS.clients per hello (it refuses a longer one whole): the first ones show.
    const clients = [...this.#exposed.values()].slice(0, LIMITS.clients).map(({ id, client }) => ({ clientId: id, name: client.name }));
    this.#post({ type: "hello", protocol: PROTOCOL_VERSION, sdkVersion: SDK_VERSION, clients });
  }

  #attach(exposed: Exposed): void {
    const { client } = exposed;
    const mark = (part: "status" | "deadLetters" | "conflicts") => () => {
      exposed.dirty.add(part);
      this.#schedule();
    };
    // Lists are re-read when their count moves (a retry, a discard, a resolution), not only when one is added.
    let counts = { deadLetters: client.status.deadLetters, conflicts: client.status.conflicts };
    const unsubscribe = [
      client.on("status", (status) => {
        if (status.closed) return this.#remove(exposed.id); // a closed client leaves the panel
        if (status.deadLetters !== counts.deadLetters) exposed.dirty.add("deadLetters");
        if (status.conflicts !== counts.conflicts) exposed.dirty.add("conflicts");
        counts = { deadLetters: status.deadLetters, conflicts: status.conflicts };
        mark("status")();
      }),
      client.on("deadletter", mark("deadLetters")),
      client.on("conflict", mark("conflicts")),
      client.on("log", (event) => {
        exposed.events.push(event);
        this.#schedule();
      }),
      client.on("queue", (change) => {
        if ("reset" in change) exposed.resend = true;
        else {
          for (const op of [...change.added, ...change.changed]) exposed.queue.set(op.seq, op);
          for (const seq of change.removed) {
            exposed.queue.delete(seq);
            exposed.removed.add(seq);
          }
        }
        this.#schedule();
      }),
    ];
    exposed.detach = () => unsubscribe.forEach((stop) => stop());
    exposed.resend = true;
    this.#schedule(true);
  }

  #schedule(now = false): void {
    if (!this.#connected || this.#timer !== undefined) return;
    const wait = now ? 0 : Math.max(0, this.#lastFlush + this.#interval - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#lastFlush = Date.now();
      void this.#flush();
    }, wait);
  }

  async #flush(): Promise<void> {
    for (const exposed of this.#exposed.values()) {
      if (!this.#connected) return;
      if (exposed.resend) await this.#sendState(exposed);
      else await this.#sendDelta(exposed);
    }
  }

  /** The client's whole state: on connect, and when its queue changed in ways a delta cannot say. */
  async #sendState(exposed: Exposed): Promise<void> {
    const { client } = exposed;
    exposed.resend = false;
    exposed.queue.clear();
    exposed.removed.clear();
    exposed.events = [];
    exposed.dirty.clear();
    try {
      const { queue, deadLetters, conflicts } = redacted(client, await Promise.all([client.queue({ limit: INITIAL_QUEUE }), client.deadLetters(), client.conflicts()]));
      const head = {
        name: client.name,
        status: this.#trim(statusOf(client)),
        metrics: this.#trim(client.metrics()),
        // The panel pages the rest of the queue in with `queue` commands.
        queue: fitBytes(queue.map((op) => this.#trimOp(op)), LIMITS.queueBytes),
      };
      const lists = this.#lists(MESSAGE_ROOM - JSON.stringify(head).length, { events: client.timeline(), deadLetters, conflicts });
      this.#post({ type: "snapshot", clientId: exposed.id, snapshot: { ...head, deadLetters: lists.deadLetters ?? [], conflicts: lists.conflicts ?? [], events: lists.events ?? [] } });
    } catch {
      // The client closed meanwhile: its goodbye follows.
    }
  }

  async #sendDelta(exposed: Exposed): Promise<void> {
    const { client } = exposed;
    const entries: DeltaEntry[] = [{ part: "status", value: this.#trim(statusOf(client)) }, { part: "metrics", value: this.#trim(client.metrics()) }];
    const changed = redacted(client, [[...exposed.queue.values()]]).queue.map((op) => this.#trimOp(op));
    const removed = [...exposed.removed];
    exposed.queue.clear();
    exposed.removed.clear();
    const events = exposed.events.length > 0 ? exposed.events : undefined;
    exposed.events = [];
    let deadLetters: DeadLetter[] | undefined;
    let conflicts: Conflict[] | undefined;
    try {
      if (exposed.dirty.delete("deadLetters")) deadLetters = redacted(client, [[], await client.deadLetters()]).deadLetters;
      if (exposed.dirty.delete("conflicts")) conflicts = redacted(client, [[], [], await client.conflicts()]).conflicts;
    } catch {
      return;
    }
    exposed.dirty.clear();
    // A burst of writes can change more operations than one message may carry: the queue part goes in
    // as many deltas as it takes, the first one with everything else.
    const [first, ...rest] = queueEntries(removed, changed);
    const lists = this.#lists(MESSAGE_ROOM - JSON.stringify([...entries, first ?? null]).length, { events, deadLetters, conflicts });
    if (lists.events) entries.push({ part: "events", value: lists.events });
    if (lists.deadLetters) entries.push({ part: "deadLetters", value: lists.deadLetters });
    if (lists.conflicts) entries.push({ part: "conflicts", value: lists.conflicts });
    for (const part of [[...entries, ...(first ? [first] : [])], ...rest.map((entry) => [entry])]) {
      exposed.seq++;
      this.#post({ type: "delta", clientId: exposed.id, seq: exposed.seq, entries: part });
    }
  }

  async #command(requestId: number, clientId: string, command: Command): Promise<void> {
    if (!this.#commands && !READ_ONLY_COMMANDS.has(command.name)) {
      this.#drop("commands_off");
      this.#post({ type: "reply", requestId, ok: false, error: { code: "commands_off", message: "This page exposes its clients to watch only (exposeToDevtools(client, { commands: false }))" } });
      return;
    }
    const exposed = this.#exposed.get(clientId);
    if (!exposed) {
      this.#post({ type: "reply", requestId, ok: false, error: { code: "not_found", message: `No client ${clientId} on this page` } });
      return;
    }
    try {
      const result = command.name === "exportSnapshot" ? await this.#fittingSnapshot(exposed.client) : await run(exposed.client, command);
      // An expanded value keeps absolute paths in its own markers, so they can be expanded in turn; an
      // exported snapshot is already redacted JSON, sized to fit one message.
      const trimmed =
        command.name === "expand"
          ? trim(result, expandLimits(this.#limits), [...command.path])
          : command.name === "exportSnapshot"
            ? result
            : command.name === "queue"
              ? fitBytes(redacted(exposed.client, [result as PendingOperation[]]).queue.map((op) => this.#trimOp(op)), LIMITS.queueBytes)
              : this.#trim(command.name === "setOffline" || command.name === "pause" || command.name === "resume" ? statusOf(exposed.client) : result);
      const size = command.name === "expand" ? JSON.stringify(trimmed).length : 0;
      if (size > MESSAGE_ROOM) {
        const message = `That value is ${size} bytes as JSON, over the bridge's ${LIMITS.messageBytes}: read it in the page`;
        this.#post({ type: "reply", requestId, ok: false, error: { code: "too_large", message } });
        return;
      }
      this.#post({ type: "reply", requestId, ok: true, result: trimmed });
    } catch (error) {
      const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "failed";
      const message = error instanceof Error ? error.message : String(error);
      this.#post({ type: "reply", requestId, ok: false, error: { code: code.slice(0, 200) || "failed", message: message.slice(0, 2000) || code } });
    }
    this.#schedule();
  }

  #trim(value: unknown): unknown {
    return trim(value, this.#limits);
  }

  /**
   * The snapshot as it fits one message: whole if it can; else with fewer operations (`queueTruncated`
   * says how many were left out); else with long values trimmed as the panel's views trim them
   * (`trimmedForBridge`). The page's own `exportSnapshot()` always has everything.
   */
  async #fittingSnapshot(client: AnyClient): Promise<unknown> {
    const size = (value: unknown) => JSON.stringify(value).length;
    let snapshot = await client.exportSnapshot();
    for (let limit = 500; size(snapshot) > MESSAGE_ROOM; limit = Math.floor(limit / 2)) {
      if (limit >= 1) {
        snapshot = await client.exportSnapshot({ queueLimit: limit });
        continue;
      }
      const trimmed = {
        ...snapshot,
        queue: snapshot.queue.map((op) => this.#trimOp(op)),
        deadLetters: snapshot.deadLetters.map((letter) => this.#trimLetter(letter)),
        conflicts: snapshot.conflicts.map((conflict) => this.#trimConflict(conflict)),
        trimmedForBridge: true,
      };
      const bytes = size(trimmed);
      if (bytes <= MESSAGE_ROOM) return trimmed;
      const message = `The snapshot is ${bytes} bytes even with its values trimmed, over the bridge's ${LIMITS.messageBytes}: call client.exportSnapshot() in the page`;
      throw Object.assign(new Error(message), { code: "too_large" });
    }
    return snapshot;
  }

  /**
   * The last events (up to a third of `room`), then the first dead letters and conflicts (sharing the
   * rest) that fit the `room` bytes a message has left beside status, metrics and the queue; at most
   * `deltaEntries` of each. The status counts every letter and conflict, so the panel says how many it
   * does not show.
   */
  #lists(room: number, lists: { events?: SyncLogEvent[] | undefined; deadLetters?: DeadLetter[] | undefined; conflicts?: Conflict[] | undefined }) {
    const size = (value: unknown[] | undefined) => (value ? JSON.stringify(value).length : 0);
    const events = lists.events && fitBytes(lists.events.slice(-LIMITS.deltaEntries).reverse().map((event) => this.#trim(event)), room / 3).reverse();
    let left = room - size(events);
    const deadLetters = lists.deadLetters && fitBytes(lists.deadLetters.slice(0, LIMITS.deltaEntries).map((letter) => this.#trimLetter(letter)), lists.conflicts ? left / 2 : left);
    left -= size(deadLetters);
    const conflicts = lists.conflicts && fitBytes(lists.conflicts.slice(0, LIMITS.deltaEntries).map((conflict) => this.#trimConflict(conflict)), left);
    return { events, deadLetters, conflicts };
  }

  // Markers inside list entries carry paths by identity (seq, item id), not by index: see `expand`.
  #trimOp(op: PendingOperation): unknown {
    return trim(op, this.#limits, ["queue", op.seq]);
  }

  #trimLetter(letter: DeadLetter): unknown {
    return trim(letter, this.#limits, ["deadLetters", letter.seq]);
  }

  #trimConflict(conflict: Conflict): unknown {
    return trim(conflict, this.#limits, ["conflicts", conflict.id]);
  }

  #post(message: PageMessage): void {
    if (this.#port) this.#port.postMessage(envelope(message));
    else this.#target.postMessage(envelope(message), "*");
  }
}

/**
 * What an `expand` answers with: strings and lists far longer than in a state message (the developer asked
 * for this one value), the same depth, so nested values come back as markers of their own.
 */
function expandLimits(limits: TrimLimits): TrimLimits {
  return { depth: limits.depth, string: Math.max(limits.string, 100_000), list: Math.max(limits.list, 1000) };
}

/** Queue changes split into entries within the delta limits: removals first (they are small), then changes by count and bytes. */
function queueEntries(removed: number[], changed: unknown[]): DeltaEntry[] {
  const entries: DeltaEntry[] = [];
  let r = 0;
  let c = 0;
  while (r < removed.length || c < changed.length) {
    const ids = removed.slice(r, (r += LIMITS.deltaEntries));
    const room = LIMITS.deltaEntries - ids.length;
    const ops = room > 0 ? fitBytes(changed.slice(c, c + room), LIMITS.queueBytes) : [];
    c += ops.length;
    entries.push({ part: "queue", added: [], changed: ops, removed: ids });
  }
  return entries;
}

/** The longest prefix of `values` whose JSON fits `maxBytes` (at least one value, so paging moves on). */
function fitBytes(values: unknown[], maxBytes: number): unknown[] {
  let bytes = 0;
  for (let index = 0; index < values.length; index++) {
    bytes += JSON.stringify(values[index]).length + 1;
    if (bytes > maxBytes && index > 0) return values.slice(0, index);
  }
  return values;
}

/** What the bridge shows of a client's payloads: each through the client's `redact`, as in a snapshot. */
function redacted(client: AnyClient, [queue = [], deadLetters = [], conflicts = []]: [PendingOperation[]?, DeadLetter[]?, Conflict[]?]) {
  return redactPayloads((value) => client.redact(value), { queue, deadLetters, conflicts });
}

/** The status, with the server's reply body in `lastError` redacted (a 409's body carries the item). */
function statusOf(client: AnyClient): unknown {
  const { lastError, ...status } = client.status;
  if (!lastError) return { ...status, lastError };
  const body = (lastError as { body?: unknown }).body;
  return { ...status, lastError: { code: lastError.code, message: lastError.message, ...(body === undefined ? {} : { body: client.redact(body) }) } };
}

/** One command, through the client's public API only. */
async function run(client: AnyClient, command: Command): Promise<unknown> {
  switch (command.name) {
    case "setOffline":
      client.setOffline(command.offline, "panel");
      return client.status;
    case "sync":
      return client.sync();
    case "pause":
      client.pause("panel");
      return client.status;
    case "resume":
      client.resume("panel");
      return client.status;
    case "retryDeadLetter":
      return client.retryDeadLetter(command.opId);
    case "retryAllDeadLetters":
      return client.retryAllDeadLetters();
    case "discardDeadLetter":
      return client.discardDeadLetter(command.opId);
    case "resolveConflict":
      return client.resolveConflict(command.id, command.resolution as Parameters<AnyClient["resolveConflict"]>[1]);
    case "exportSnapshot":
      return client.exportSnapshot();
    case "queue":
      return client.queue({ after: command.after, limit: command.limit });
    case "expand": {
      const [part, key, ...rest] = command.path;
      const source =
        part === "queue" && typeof key === "number"
          ? redacted(client, [(await client.queue({ after: key - 1, limit: 1 })).filter((op) => op.seq === key)]).queue[0]
          : part === "deadLetters"
            ? redacted(client, [[], (await client.deadLetters()).filter((letter) => letter.seq === key)]).deadLetters[0]
            : part === "conflicts"
              ? redacted(client, [[], [], (await client.conflicts()).filter((conflict) => conflict.id === key)]).conflicts[0]
              : undefined;
      const found = source === undefined ? { found: false as const } : resolvePath(source, rest);
      if (!found.found) throw Object.assign(new Error("Nothing at that path"), { code: "not_found" });
      return found.value;
    }
  }
}
