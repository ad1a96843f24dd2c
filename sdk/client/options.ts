import type { BackoffOptions } from "../sync/backoff.js";
import type { EnvironmentSignals } from "../shared/environment.js";
import { InvalidOptionsError } from "../shared/errors.js";
import { isHeaderRecord, type HeadersInput } from "../transport/transport.js";
import type { SyncTransport } from "../transport/seam.js";

/** Options of the core client (`synclens/core`). Only `name` and `endpoint` are required. */
export interface CoreSyncClientOptions {
  /** Names the local database (`synclens:<name>`); a client created again with the same name resumes its queue. */
  name: string;
  /** The collection's URL, e.g. `https://api.example.com/api/todos` (no trailing slash needed). */
  endpoint: string;
  /** Operations per request. Default 50, at most 500 (the protocol's batch limit). */
  batchSize?: number;
  /**
   * How large batches may grow while a long queue drains: after each full batch answered within a quarter
   * of `timeoutMs`, the next one doubles, up to this. Default 200 (or `batchSize`, if larger), at most 500;
   * set it to `batchSize` to keep every request at `batchSize`.
   */
  maxBatchSize?: number;
  /**
   * Failed attempts blamed on the operation itself (a malformed reply, a server error while others of its
   * batch went through) before it is dead-lettered as `max_retries`. Default 5. Outages do not count.
   */
  maxRetries?: number;
  /**
   * How long transient failures (network errors, timeouts, 408, 429, 5xx) are retried, from when the
   * operation was queued, before it is dead-lettered as `expired`. Default 7 days (as Workbox).
   */
  maxRetryAge?: number;
  /** Exponential backoff with full jitter. Default `{ baseMs: 1000, maxMs: 60000 }`. */
  backoff?: Partial<BackoffOptions>;
  /** Per-request timeout. Default 15000 ms. */
  timeoutMs?: number;
  /**
   * How operations reach the backend, and its changes come back: the protocol over HTTP by default
   * (docs/protocol.md), `restTransport(…)` for a conventional REST backend, or your own (docs/backends.md).
   * With a transport of your own, `endpoint` only names the collection (in the DevTools panel, in errors),
   * `fetch` and `headers` are the transport's business, and `pingUrl` defaults to `false`.
   */
  transport?: SyncTransport;
  /** The fetch to use (tests, auth wrappers). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Extra request headers, or a (sync or async) function returning them, called once per batch and per change-feed page: auth tokens. */
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
  /** One `sync()` starts no new batch after this long; the rest continues at once in the background. Default 60000 ms. */
  maxSyncDurationMs?: number;
  /** Which automatic syncs run. All default to on; `intervalMs` defaults to 30000 (0 turns it off). */
  triggers?: Partial<TriggerOptions>;
  /** The IndexedDB factory. Default `globalThis.indexedDB` (in Node, e.g. `fake-indexeddb`). */
  indexedDB?: IDBFactory;
  /** @internal Browser signals; tests replace them. */
  environment?: EnvironmentSignals;
}

/** Which automatic syncs run (see docs/sdk.md for each). */
export interface TriggerOptions {
  /** Sync shortly after each local write while online. */
  onWrite: boolean;
  /** Sync when the browser reports it is back online (after a probe confirms it). */
  onOnline: boolean;
  /** Sync when the page becomes visible again. */
  onVisible: boolean;
  /** On `pagehide`, fire the head of the queue as a keepalive request (best effort; resent on next load). */
  flushOnPageHide: boolean;
  /**
   * Every interval the counters are read again and a sync starts: in the core only while work is pending;
   * in the full client with `pull` on, always (the interval is the pull's period). 0 turns it off.
   */
  intervalMs: number;
}

export interface ResolvedOptions {
  name: string;
  endpoint: string;
  batchSize: number;
  maxBatchSize: number;
  maxRetries: number;
  maxRetryAge: number;
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
  transport: SyncTransport | undefined;
}

export const MAX_BATCH_SIZE = 500;

export const HEADERS_EXPECTED = "expected a plain object of header names and Latin-1 values, or a function returning one";

/** The longest delay setTimeout takes (about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Validates options and fills in defaults; throws {@link InvalidOptionsError} naming the first bad option. */
export function resolveOptions(options: CoreSyncClientOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) throw new InvalidOptionsError("options", "expected an object");
  const { name, endpoint } = options;
  if (typeof name !== "string" || !/^[\w.:-]{1,100}$/.test(name)) {
    throw new InvalidOptionsError("name", "expected 1 to 100 letters, digits, '_', '-', '.' or ':'");
  }
  // Paths are appended to it (`/_batch`, `/<id>`): a query, fragment or credentials would swallow them or make fetch throw.
  if (typeof endpoint !== "string" || !isHttpUrl(endpoint, true)) {
    throw new InvalidOptionsError("endpoint", "expected an absolute http(s) URL without query, fragment or credentials");
  }
  const fetchImpl = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (typeof fetchImpl !== "function") throw new InvalidOptionsError("fetch", "no fetch function is available");
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory || typeof factory.open !== "function") {
    throw new InvalidOptionsError("indexedDB", "no IndexedDB here; pass an IDBFactory (in Node: fake-indexeddb)");
  }
  if (options.headers !== undefined && typeof options.headers !== "function" && !isHeaderRecord(options.headers)) {
    throw new InvalidOptionsError("headers", HEADERS_EXPECTED);
  }
  const base = endpoint.replace(/\/+$/, "");
  const given = group("backoff", options.backoff);
  const backoff = {
    baseMs: integer("backoff.baseMs", given.baseMs, 1000, 1),
    maxMs: integer("backoff.maxMs", given.maxMs, 60_000, 1, MAX_TIMER_MS),
  };
  if (backoff.maxMs < backoff.baseMs) throw new InvalidOptionsError("backoff.maxMs", "must be at least backoff.baseMs");
  const transport = options.transport;
  if (transport !== undefined && (typeof transport !== "object" || transport === null || typeof transport.push !== "function" || (transport.pull !== undefined && typeof transport.pull !== "function"))) {
    throw new InvalidOptionsError("transport", "expected { push(ops, context), pull?(cursor, context) }");
  }
  const pingUrl = options.pingUrl ?? (transport ? false : `${base}/_ping`);
  if (pingUrl !== false && (typeof pingUrl !== "string" || !isHttpUrl(pingUrl))) {
    throw new InvalidOptionsError("pingUrl", "expected an absolute http(s) URL or false");
  }
  const triggers = group("triggers", options.triggers);
  const batchSize = integer("batchSize", options.batchSize, 50, 1, MAX_BATCH_SIZE);
  const maxBatchSize = integer("maxBatchSize", options.maxBatchSize, Math.max(200, batchSize), 1, MAX_BATCH_SIZE);
  if (maxBatchSize < batchSize) throw new InvalidOptionsError("maxBatchSize", "must be at least batchSize");
  return {
    name,
    endpoint: base,
    batchSize,
    maxBatchSize,
    maxRetries: integer("maxRetries", options.maxRetries, 5, 0, 1000),
    maxRetryAge: integer("maxRetryAge", options.maxRetryAge, 7 * 24 * 3_600_000, 1),
    backoff,
    timeoutMs: integer("timeoutMs", options.timeoutMs, 15_000, 1, MAX_TIMER_MS),
    // Called as a plain function: `window.fetch` invoked as a method of another object throws "Illegal invocation".
    fetch: (input, init) => fetchImpl(input, init),
    headers: options.headers,
    transport,
    pingUrl,
    pingTimeoutMs: integer("pingTimeoutMs", options.pingTimeoutMs, 5000, 1, MAX_TIMER_MS),
    maxQueueSize: integer("maxQueueSize", options.maxQueueSize, 100_000, 1),
    maxSyncDurationMs: integer("maxSyncDurationMs", options.maxSyncDurationMs, 60_000, 1),
    triggers: {
      onWrite: flag("triggers.onWrite", triggers.onWrite),
      onOnline: flag("triggers.onOnline", triggers.onOnline),
      onVisible: flag("triggers.onVisible", triggers.onVisible),
      flushOnPageHide: flag("triggers.flushOnPageHide", triggers.flushOnPageHide),
      intervalMs: integer("triggers.intervalMs", triggers.intervalMs, 30_000, 0, MAX_TIMER_MS),
    },
    indexedDB: factory,
  };
}

function isHttpUrl(text: string, bare = false): boolean {
  try {
    const url = new URL(text);
    if (bare && (url.search || url.hash || /[?#]/.test(text) || url.username || url.password)) return false;
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}


export function integer(option: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionsError(option, `expected an integer from ${min} to ${max}`);
  }
  return value;
}

export function flag(option: string, value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== "boolean") throw new InvalidOptionsError(option, "expected a boolean");
  return value;
}

/** An option that groups others (`backoff`, `triggers`): absent, or an object. */
function group<T extends object>(name: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidOptionsError(name, "expected an object");
  return value;
}
