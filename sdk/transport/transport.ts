import { parseRetryAfter } from "../sync/backoff.js";
import { unref } from "../shared/environment.js";
import { SyncLensError } from "../shared/errors.js";
import type { SendOutcome } from "../sync/classify.js";
import { parseRecord } from "../sync/replies.js";
import type { ServerVersion } from "../storage/store.js";
import type { PendingOperation } from "../shared/types.js";

/** One write as it goes on the wire (see docs/protocol.md). */
export interface WireOp {
  opId: string;
  id: string;
  method: "PUT" | "PATCH" | "DELETE";
  ifMatch?: number;
  ifNoneMatch?: "*";
  body?: unknown;
}

/** One HTTP exchange of a push as the timeline shows it (as a browser's Network panel would). */
export interface Exchange {
  method: string;
  url: string;
  /** The reply's status, or what stood in for it. */
  status: number | "network" | "timeout";
  ms: number;
  /** The reply's `Retry-After` and `Idempotent-Replayed` headers, when present. */
  retryAfter?: string;
  replayed?: boolean;
  /**
   * The body of a reply that is not 2xx (an error), as text, cut at 2,000 characters; a 2xx body carries
   * items, which the timeline (and so snapshots) must not hold unredacted, so it is left out.
   */
  body?: string;
}

/** Request headers: an object of strings, or a sync or async function returning one (called once per batch). */
export type HeadersInput = Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

export interface TransportOptions {
  endpoint: string;
  fetch: typeof fetch;
  headers: HeadersInput | undefined;
  timeoutMs: number;
  /** Called once per HTTP request that got a reply or failed, for metrics: body bytes before and after gzip. */
  onRequest: (info: { bytes: number; rawBytes: number; latencyMs: number }) => void;
}

/** One HTTP exchange: the reply, or the network fault or timeout that stood in for it. */
export type HttpReply =
  | { kind: "reply"; status: number; body: unknown; retryAfterMs: number | undefined }
  | { kind: "failed"; outcome: Extract<SendOutcome, { kind: "network" | "timeout" }> };

export const BATCH_UNSUPPORTED = new Set([404, 405, 501]);

/**
 * A 4xx answering a whole batch that says nothing of the client as a whole (401/403: credentials; 408/429:
 * come back later; 404/405/501: no batch route): it refused something in the batch, so the batch is split.
 */
function refusedWhole(status: number): boolean {
  return status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status) && !BATCH_UNSUPPORTED.has(status);
}
const PER_ITEM_CONCURRENCY = 4;
/** Browsers refuse keepalive requests whose bodies add up to more than 64 KiB in flight, per page. */
export const KEEPALIVE_BUDGET_BYTES = 60 * 1024;

/** Keepalive body bytes in flight from this page (or worker), over all its clients: the quota is the page's. */
let keepaliveInFlight = 0;

/** What is left of the page's keepalive budget for one more flush. */
export function keepaliveRoom(): number {
  return KEEPALIVE_BUDGET_BYTES - keepaliveInFlight;
}

/**
 * Builds the request for an operation from the item's last synced copy: `If-Match` on its version, or
 * `If-None-Match: *` for an item the server has not got. The base cannot change while the operation is
 * pending, so every retry sends the same request under the same key.
 */
export function toWireOp(op: PendingOperation, base: ServerVersion | undefined): WireOp {
  const wire: WireOp = { opId: op.opId, id: op.itemId, method: op.type === "delete" ? "DELETE" : "PUT" };
  if (base) wire.ifMatch = base.version;
  else if (op.type !== "delete") wire.ifNoneMatch = "*";
  if (op.type !== "delete") wire.body = op.value;
  return wire;
}

/**
 * Sends operations to the server: one `POST {endpoint}/_batch` when the server has it, per-item requests
 * when it answers 404/405/501 to the batch route (remembered for the client's lifetime).
 *
 * Failure modes: never throws for a network or server fault; each operation gets a {@link SendOutcome}.
 * A reply that is not what the protocol promises is `malformed` (retried: the idempotency key makes that
 * safe). Throws only when `signal` aborts (the client is closing or forced offline).
 */
export class HttpTransport {
  #batchSupported = true;
  /** Gzips a request body worth compressing; undefined sends it as it is. Set by the full client. */
  compress?: (body: string) => Promise<Blob> | undefined;
  /** Sees each reply's `Date` header, with when the request left and the reply came. Set by the full client. */
  onReply?: (date: string | null, sentAt: number, receivedAt: number) => void;
  /** Sees each exchange that counts (not pings), while set: the full client's timeline. */
  onExchange?: (exchange: Exchange) => void;
  /** The headers of the last request, for the pagehide flush, which cannot await a headers function. */
  #lastHeaders: Record<string, string> = {};

  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  setHeaders(headers: HeadersInput): void {
    this.#options.headers = headers;
  }

  /**
   * `headers`: from {@link resolveHeaders}, once for the whole batch, so that a failure there sends nothing.
   * An operation refused with 422 `idempotency_key_reused` comes back `reused`, with the item as the server has it.
   */
  async send(ops: readonly WireOp[], signal: AbortSignal, headers: Record<string, string>): Promise<SendOutcome[]> {
    const outcomes = await this.#send(ops, signal, headers);
    return Promise.all(outcomes.map((outcome, i) => (isReusedKey(outcome) ? this.#read(ops[i]!.id, (outcome as { body: unknown }).body, signal, headers) : outcome)));
  }

  /** The server's copy of an item, as a `reused` outcome (null: it has none), or what stood in the way of reading it. */
  async #read(id: string, body: unknown, signal: AbortSignal, headers: Record<string, string>): Promise<SendOutcome> {
    const reply = await this.request(itemUrl(this.#options.endpoint, id), { method: "GET", headers, cache: "no-store" }, signal, this.#options.timeoutMs);
    if (reply.kind !== "reply") return reply.outcome;
    const server = reply.status === 404 ? null : reply.status === 200 ? parseRecord(reply.body) : undefined;
    if (server !== undefined) return { kind: "reused", status: 422, body, server };
    return reply.status === 200 ? malformed(200, "The item's record is not a record", reply.body) : httpOutcome(reply.status, reply.body, reply.retryAfterMs);
  }

  async #send(ops: readonly WireOp[], signal: AbortSignal, headers: Record<string, string>): Promise<SendOutcome[]> {
    if (ops.length === 0) return [];
    if (this.#batchSupported) {
      const batch = await this.#sendBatch(ops, signal, headers);
      if (batch !== "unsupported") return batch;
      this.#batchSupported = false;
    }
    const outcomes: SendOutcome[] = new Array(ops.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ops.length) {
        const index = next++;
        outcomes[index] = await this.#sendOne(ops[index]!, signal, headers);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PER_ITEM_CONCURRENCY, ops.length) }, worker));
    return outcomes;
  }

  /** Any HTTP reply proves the server reachable; only a network error or a timeout does not. */
  /** `superseded`: aborted when a newer probe replaces this one; the ping then ends as unanswered. */
  async ping(url: string, timeoutMs: number, signal: AbortSignal, superseded?: AbortSignal): Promise<boolean> {
    const reply = await this.request(url, { method: "GET", cache: "no-store" }, signal, timeoutMs, false, superseded);
    return reply.kind === "reply";
  }

  /**
   * Best effort at page unload: fires the operations (each a JSON {@link WireOp}) as one keepalive batch. The reply
   * is never read; the operations stay queued and are sent again, under the same keys, on the next load.
   * A server without the batch route gets nothing: a burst of per-item keepalive requests would exceed
   * the browser's 64 KiB keepalive budget quickly and gain little.
   */
  flushKeepalive(wireOps: readonly string[]): void {
    if (!this.#batchSupported) return;
    const body = `{"ops":[${wireOps.join(",")}]}`;
    const bytes = byteLength(body);
    keepaliveInFlight += bytes;
    let held = true;
    const release = () => {
      if (held) keepaliveInFlight -= bytes;
      held = false;
    };
    // A fetch that never settles (an app's wrapper) must not hold the page's budget for good.
    unref(setTimeout(release, this.#options.timeoutMs));
    try {
      // Started here, synchronously: a page going away runs no later task.
      this.#options.fetch(`${this.#options.endpoint}/_batch`, { method: "POST", body, keepalive: true, headers: jsonHeaders(this.#lastHeaders) }).then(release, release);
    } catch {
      release();
    }
  }

  async #sendBatch(ops: readonly WireOp[], signal: AbortSignal, headers: Record<string, string>): Promise<SendOutcome[] | "unsupported"> {
    const body = JSON.stringify({ ops });
    const init = { method: "POST", headers: jsonHeaders(headers), body };
    const reply = await this.request(`${this.#options.endpoint}/_batch`, init, signal, this.#options.timeoutMs);
    if (reply.kind !== "reply") return ops.map(() => reply.outcome);
    const { status, body: payload, retryAfterMs } = reply;
    if (BATCH_UNSUPPORTED.has(status)) return "unsupported";
    // Too large as a whole, or refused whole (a proxy or firewall refusing one poison payload): each half may
    // pass. Only an operation refused when it stands alone is refused for itself, never its neighbours.
    if ((status === 413 || refusedWhole(status)) && ops.length > 1) {
      const half = Math.ceil(ops.length / 2);
      const first = await this.#sendBatch(ops.slice(0, half), signal, headers);
      const second = first === "unsupported" ? first : await this.#sendBatch(ops.slice(half), signal, headers);
      return second === "unsupported" || first === "unsupported" ? "unsupported" : [...first, ...second];
    }
    // One operation too large with the batch's envelope may pass alone; a 413 there dead-letters it.
    if (status === 413) return [await this.#sendOne(ops[0]!, signal, headers)];
    if (status > 200 && status < 300) return ops.map(() => malformed(status, "A batch reply must have status 200", payload));
    if (status !== 200) return ops.map(() => httpOutcome(status, payload, retryAfterMs));
    const results = parseBatchResults(payload, ops);
    if (!results) return ops.map(() => malformed(status, "The batch reply does not list one result per operation", payload));
    return results.map(({ status: opStatus, body: opBody }) => recordOutcome(opStatus, opBody, undefined));
  }

  async #sendOne(op: WireOp, signal: AbortSignal, headers: Record<string, string>): Promise<SendOutcome> {
    const init = oneRequest(op, headers);
    const reply = await this.request(itemUrl(this.#options.endpoint, op.id), init, signal, this.#options.timeoutMs);
    if (reply.kind !== "reply") return reply.outcome;
    return recordOutcome(reply.status, reply.body, reply.retryAfterMs);
  }

  /**
   * @internal The request headers, from the `headers` function when there is one, within `timeoutMs`.
   * Throws `SyncLensError` ("auth") when the function throws, hangs or returns something fetch would refuse.
   */
  async resolveHeaders(signal: AbortSignal): Promise<Record<string, string>> {
    const { headers, timeoutMs } = this.#options;
    if (typeof headers !== "function") return (this.#lastHeaders = headers ?? {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort = (): void => undefined;
    try {
      const value = await Promise.race([
        headers(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no headers within ${timeoutMs} ms`)), timeoutMs);
          onAbort = () => reject(signal.reason);
          signal.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
      if (!isHeaderRecord(value)) throw new Error("it returned something other than an object of Latin-1 strings");
      return (this.#lastHeaders = value);
    } catch (error) {
      if (signal.aborted) throw error;
      throw new SyncLensError("auth", `The headers function failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** @internal One HTTP exchange: never throws for a network fault or timeout, only when `signal` aborts. */
  async request(
    url: string,
    init: RequestInit,
    signal: AbortSignal,
    timeoutMs: number,
    countMetrics = true,
    /** Ends the wait like a timeout (not like `signal`, which throws). */
    giveUp?: AbortSignal,
  ): Promise<HttpReply> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const onAbort = (): void => timeout.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    giveUp?.addEventListener("abort", onAbort, { once: true });
    if (giveUp?.aborted) timeout.abort();
    const started = Date.now();
    const rawBytes = typeof init.body === "string" ? byteLength(init.body) : 0;
    let bytes = rawBytes;
    try {
      signal.throwIfAborted();
      const compressed = typeof init.body === "string" ? this.compress?.(init.body) : undefined;
      if (compressed) {
        const body = await compressed;
        bytes = body.size;
        init = { ...init, body, headers: { ...(init.headers as Record<string, string>), "Content-Encoding": "gzip" } };
      }
      const response = await this.#options.fetch(url, { ...init, signal: timeout.signal });
      const text = await response.text();
      const { headers } = response;
      this.onReply?.(headers.get("Date"), started, Date.now());
      const retryAfter = headers.get("Retry-After");
      if (countMetrics) {
        this.onExchange?.({ method: init.method ?? "GET", url, status: response.status, ms: Date.now() - started, ...(retryAfter ? { retryAfter } : {}), ...(headers.get("Idempotent-Replayed") ? { replayed: true } : {}), ...(response.ok ? {} : { body: text.slice(0, 2000) }) });
      }
      return {
        kind: "reply",
        status: response.status,
        body: parseJson(text),
        retryAfterMs: parseRetryAfter(retryAfter, Date.now()),
      };
    } catch (error) {
      if (signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (countMetrics) this.onExchange?.({ method: init.method ?? "GET", url, status: timeout.signal.aborted ? "timeout" : "network", ms: Date.now() - started, body: message });
      return timeout.signal.aborted
        ? { kind: "failed", outcome: { kind: "timeout", message: `No reply within ${timeoutMs} ms` } }
        : { kind: "failed", outcome: { kind: "network", message } };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      giveUp?.removeEventListener("abort", onAbort);
      if (countMetrics) this.#options.onRequest({ bytes, rawBytes, latencyMs: Date.now() - started });
    }
  }
}

/**
 * What fetch takes as headers without throwing: a plain object (not a `Headers`, whose entries are not
 * own fields) of names that are HTTP tokens and values in Latin-1 without line breaks.
 */
export function isHeaderRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !(typeof Headers === "function" && value instanceof Headers) &&
    Object.entries(value).every(([name, text]) => /^[!#$%&'*+.^\w`|~-]+$/.test(name) && typeof text === "string" && /^[^\r\n\0\u0100-\uffff]*$/.test(text))
  );
}

function jsonHeaders(base: Record<string, string>): Record<string, string> {
  return { ...base, "Content-Type": "application/json" };
}

function oneRequest(op: WireOp, headers: Record<string, string>): RequestInit {
  const all: Record<string, string> = { ...headers, "Idempotency-Key": op.opId };
  if (op.ifMatch !== undefined) all["If-Match"] = `"${op.ifMatch}"`;
  if (op.ifNoneMatch) all["If-None-Match"] = op.ifNoneMatch;
  if (op.body === undefined) return { method: op.method, headers: all };
  all["Content-Type"] = op.method === "PATCH" ? "application/merge-patch+json" : "application/json";
  return { method: op.method, headers: all, body: JSON.stringify(op.body) };
}

/** A leading `_` is escaped: `{endpoint}/_batch`, `/_changes` and `/_ping` are the protocol's own routes. */
function itemUrl(endpoint: string, id: string): string {
  return `${endpoint}/${encodeURIComponent(id).replace(/^_/, "%5F")}`;
}

function recordOutcome(status: number, body: unknown, retryAfterMs: number | undefined): SendOutcome {
  if (status < 200 || status > 299) return httpOutcome(status, body, retryAfterMs);
  const version = isRecord(body) ? body["version"] : undefined;
  if (typeof version !== "number" || !Number.isInteger(version)) {
    return malformed(status, "The reply to a write carries no integer version", body);
  }
  return { kind: "ok", status, version, body };
}

function isReusedKey(outcome: SendOutcome): boolean {
  return outcome.kind === "http" && outcome.status === 422 && isRecord(outcome.body) && outcome.body["error"] === "idempotency_key_reused";
}

export function httpOutcome(status: number, body: unknown, retryAfterMs: number | undefined): SendOutcome {
  return retryAfterMs === undefined ? { kind: "http", status, body } : { kind: "http", status, body, retryAfterMs };
}

export function malformed(status: number, message: string, body: unknown): SendOutcome {
  return { kind: "malformed", status, message, body };
}

function parseBatchResults(payload: unknown, ops: readonly WireOp[]): Array<{ status: number; body: unknown }> | null {
  if (!isRecord(payload) || !Array.isArray(payload["results"])) return null;
  const results: unknown[] = payload["results"];
  if (results.length !== ops.length) return null;
  const parsed: Array<{ status: number; body: unknown }> = [];
  for (const [index, result] of results.entries()) {
    if (!isRecord(result) || result["opId"] !== ops[index]!.opId || typeof result["status"] !== "number") return null;
    parsed.push({ status: result["status"], body: result["body"] });
  }
  return parsed;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const encoder = new TextEncoder();
export function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}
