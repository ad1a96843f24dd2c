import type { BackoffOptions } from "./backoff";
import type { ConflictStrategy, TieRule } from "./conflicts";
import { redactSecrets, type Redactor } from "./snapshot";
import { resolveStorage, type ItemStorage, type StorageOption } from "./storage";
import type { SyncItem } from "./types";
import type { EnvironmentSignals } from "./environment";
import { InvalidOptionsError } from "./errors";
import type { HeadersInput } from "./transport";

/** Options of {@link createSyncClient}. Only `name` and `endpoint` are required. */
export interface SyncClientOptions<T extends SyncItem = SyncItem> {
  /** Names the local database (`synclens:<name>`); a client created again with the same name resumes its queue. */
  name: string;
  /** The collection's URL, e.g. `https://api.example.com/api/todos` (no trailing slash needed). */
  endpoint: string;
  /** Operations per request. Default 50, at most 500 (the protocol's batch limit). */
  batchSize?: number;
  /** Failed attempts retried before an operation is dead-lettered. Default 5. */
  maxRetries?: number;
  /** Exponential backoff with full jitter. Default `{ baseMs: 1000, maxMs: 60000 }`. */
  backoff?: Partial<BackoffOptions>;
  /** Per-request timeout. Default 15000 ms. */
  timeoutMs?: number;
  /** The fetch to use (tests, auth wrappers). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Extra request headers, or a (sync or async) function returning them, called per request: auth tokens. */
  headers?: HeadersInput;
  /**
   * Connectivity probe: any HTTP reply within `pingTimeoutMs` means reachable. Default `{endpoint}/_ping`;
   * `false` disables probing (the next sync attempt then serves as the probe).
   */
  pingUrl?: string | false;
  /** Default 5000 ms. */
  pingTimeoutMs?: number;
  /** The outbox refuses writes that would grow it past this, with `QueueFullError`. Default 100000. */
  maxQueueSize?: number;
  /** One `sync()` starts no new batch after this long; the rest waits for the next trigger. Default 60000 ms. */
  maxSyncDurationMs?: number;
  /** Which automatic syncs run. All default to on; `intervalMs` defaults to 30000 (0 turns it off). */
  triggers?: Partial<TriggerOptions>;
  /** The IndexedDB factory. Default `globalThis.indexedDB` (in Node, e.g. `fake-indexeddb`). */
  indexedDB?: IDBFactory;
  /**
   * How conflicts end: `server-wins`, `client-wins`, `latest-wins`, `merge` (three-way, field by field,
   * against the last synced copy), `manual` (parked until `resolveConflict`), or an async function.
   * Default `merge`. `sync({ conflict })` overrides it for one call.
   */
  conflict?: ConflictStrategy<T>;
  /** With `merge`: who wins a field both sides changed differently. Default `server`. */
  mergeTie?: TieRule;
  /**
   * How `get` and `list` read: `cache-first` (the local copy at once, refreshed in the background;
   * default), `network-first` (sync first when reachable, local on failure), `hybrid` (network-first
   * while online, cache-first offline), `cache-only` (never touches the network). Overridable per call.
   */
  read?: ReadPolicy;
  /** Pull the server's change feed after each push. Default true. */
  pull?: boolean;
  /** Changes per feed page. Default 100 (1..1000). */
  pullPageSize?: number;
  /** Send updates as a JSON Merge Patch of the changed fields (`PATCH`) when the server takes it. Default true. */
  deltaPush?: boolean;
  /** Gzip request bodies larger than this many bytes (`Content-Encoding: gzip`); `false` never. Default 1024. */
  compressAboveBytes?: number | false;
  /**
   * Where the app's items live. Default `"indexeddb"`: in the client's database, written in the same
   * transaction as their outbox operation. `"localstorage"`, `"sessionstorage"` or an `ItemStorage`
   * (e.g. `fromI45(context)`) also keep a copy there: the change is recorded in IndexedDB first, copied
   * after, and copied again on start-up if the page died in between.
   */
  storage?: StorageOption<T>;
  /** Timeline entries kept in memory for `timeline()` and snapshots. Default 200 (0..10000). */
  eventLogSize?: number;
  /**
   * Applied to every item payload and server body in `exportSnapshot()`. Default: fields whose names look
   * like secrets (token, password, authorization, secret, cookie, api key, session) become "[redacted]".
   */
  redact?: Redactor;
  /** @internal Browser signals; tests replace them. */
  environment?: EnvironmentSignals;
}

export interface TriggerOptions {
  /** Sync shortly after each local write while online. */
  onWrite: boolean;
  /** Sync when the browser reports it is back online (after a probe confirms it). */
  onOnline: boolean;
  /** Sync when the page becomes visible again. */
  onVisible: boolean;
  /** On `pagehide`, fire the head of the queue as a keepalive request (best effort; resent on next load). */
  flushOnPageHide: boolean;
  /** Periodic sync while there is pending work; 0 turns it off. */
  intervalMs: number;
}

export type ReadPolicy = "cache-first" | "network-first" | "hybrid" | "cache-only";

export interface ResolvedOptions<T extends SyncItem = SyncItem> {
  read: ReadPolicy;
  conflict: ConflictStrategy<T>;
  mergeTie: TieRule;
  pull: boolean;
  pullPageSize: number;
  deltaPush: boolean;
  compressAboveBytes: number;
  eventLogSize: number;
  redact: Redactor;
  storage: ItemStorage<T> | undefined;
  name: string;
  endpoint: string;
  batchSize: number;
  maxRetries: number;
  backoff: BackoffOptions;
  timeoutMs: number;
  fetch: typeof fetch;
  headers: HeadersInput | undefined;
  pingUrl: string | false;
  pingTimeoutMs: number;
  maxQueueSize: number;
  maxSyncDurationMs: number;
  triggers: TriggerOptions;
  indexedDB: IDBFactory;
}

export const MAX_BATCH_SIZE = 500;

/** Validates options and fills in defaults; throws {@link InvalidOptionsError} naming the first bad option. */
const STRATEGIES = ["server-wins", "client-wins", "latest-wins", "merge", "manual"];

export function resolveOptions<T extends SyncItem>(options: SyncClientOptions<T>): ResolvedOptions<T> {
  if (typeof options !== "object" || options === null) throw new InvalidOptionsError("options", "expected an object");
  const { name, endpoint } = options;
  if (typeof name !== "string" || !/^[\w.:-]{1,100}$/.test(name)) {
    throw new InvalidOptionsError("name", "expected 1 to 100 letters, digits, '_', '-', '.' or ':'");
  }
  if (typeof endpoint !== "string" || !isHttpUrl(endpoint)) throw new InvalidOptionsError("endpoint", "expected an absolute http(s) URL");
  const fetchImpl = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (typeof fetchImpl !== "function") throw new InvalidOptionsError("fetch", "no fetch function is available");
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory || typeof factory.open !== "function") {
    throw new InvalidOptionsError("indexedDB", "no IndexedDB here; pass an IDBFactory (in Node: fake-indexeddb)");
  }
  if (options.headers !== undefined && typeof options.headers !== "function" && !isStringRecord(options.headers)) {
    throw new InvalidOptionsError("headers", "expected an object of strings or a function returning one");
  }
  const base = endpoint.replace(/\/+$/, "");
  const backoff = {
    baseMs: integer("backoff.baseMs", options.backoff?.baseMs, 1000, 1),
    maxMs: integer("backoff.maxMs", options.backoff?.maxMs, 60_000, 1),
  };
  if (backoff.maxMs < backoff.baseMs) throw new InvalidOptionsError("backoff.maxMs", "must be at least backoff.baseMs");
  const pingUrl = options.pingUrl ?? `${base}/_ping`;
  if (pingUrl !== false && (typeof pingUrl !== "string" || !isHttpUrl(pingUrl))) {
    throw new InvalidOptionsError("pingUrl", "expected an absolute http(s) URL or false");
  }
  const triggers = options.triggers ?? {};
  const conflict = options.conflict ?? "merge";
  if (typeof conflict !== "function" && !STRATEGIES.includes(conflict)) throw new InvalidOptionsError("conflict", `expected a function or one of ${STRATEGIES.join(", ")}`);
  const mergeTie = options.mergeTie ?? "server";
  if (!["server", "local", "latest"].includes(mergeTie)) throw new InvalidOptionsError("mergeTie", "expected server, local or latest");
  const compress = options.compressAboveBytes ?? 1024;
  const read = options.read ?? "cache-first";
  if (!["cache-first", "network-first", "hybrid", "cache-only"].includes(read)) {
    throw new InvalidOptionsError("read", "expected cache-first, network-first, hybrid or cache-only");
  }
  return {
    read,
    conflict,
    mergeTie,
    pull: flag("pull", options.pull),
    pullPageSize: integer("pullPageSize", options.pullPageSize, 100, 1, 1000),
    deltaPush: flag("deltaPush", options.deltaPush),
    compressAboveBytes: compress === false ? Number.POSITIVE_INFINITY : integer("compressAboveBytes", compress, 1024, 0),
    eventLogSize: integer("eventLogSize", options.eventLogSize, 200, 0, 10_000),
    storage: resolveStorage(options.storage, name),
    redact: typeof options.redact === "function" ? options.redact : redactSecrets,
    name,
    endpoint: base,
    batchSize: integer("batchSize", options.batchSize, 50, 1, MAX_BATCH_SIZE),
    maxRetries: integer("maxRetries", options.maxRetries, 5, 0, 1000),
    backoff,
    timeoutMs: integer("timeoutMs", options.timeoutMs, 15_000, 1),
    // Called as a plain function: `window.fetch` invoked as a method of another object throws "Illegal invocation".
    fetch: (input, init) => fetchImpl(input, init),
    headers: options.headers,
    pingUrl,
    pingTimeoutMs: integer("pingTimeoutMs", options.pingTimeoutMs, 5000, 1),
    maxQueueSize: integer("maxQueueSize", options.maxQueueSize, 100_000, 1),
    maxSyncDurationMs: integer("maxSyncDurationMs", options.maxSyncDurationMs, 60_000, 1),
    triggers: {
      onWrite: flag("triggers.onWrite", triggers.onWrite),
      onOnline: flag("triggers.onOnline", triggers.onOnline),
      onVisible: flag("triggers.onVisible", triggers.onVisible),
      flushOnPageHide: flag("triggers.flushOnPageHide", triggers.flushOnPageHide),
      intervalMs: integer("triggers.intervalMs", triggers.intervalMs, 30_000, 0, 2 ** 31 - 1),
    },
    indexedDB: factory,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function isStringRecord(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.values(value).every((v) => typeof v === "string");
}

function integer(option: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionsError(option, `expected an integer from ${min} to ${max}`);
  }
  return value;
}

function flag(option: string, value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== "boolean") throw new InvalidOptionsError(option, "expected a boolean");
  return value;
}
