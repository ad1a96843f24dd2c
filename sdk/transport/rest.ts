/**
 * `restTransport`: the outbox over a conventional REST backend (`POST /todos`, `PUT /todos/:id`,
 * `DELETE /todos/:id`), one request per operation, as json-server, Rails or Django REST framework serve them.
 *
 * What holds depends on what the backend has (docs/backends.md has the table):
 * - Without an idempotency header a write may arrive twice (a lost reply, then the retry): client-made ids
 *   make that safe. A create that meets its own earlier arrival ("already exists") goes again as an update,
 *   and a delete that meets "already gone" is done.
 * - Without versions there is no conflict detection: the last write wins.
 *
 * Failure modes: never throws for a network or backend fault; each operation gets an outcome. No reply is
 * `retry` (unreachable or timeout); 408, 429 and 5xx are `retry` (Retry-After obeyed); 401 and 403 are `auth`;
 * any other 4xx is `rejected`. Throws only when the client's signal aborts.
 */
import { parseRetryAfter } from "../sync/backoff.js";
import type { SyncItem } from "../shared/types.js";
import type { BackendRecord, PullResult, PushOperation, PushOutcome, SyncTransport, TransportContext } from "./seam.js";

/** Where a backend keeps an item's version. */
export type RestVersion = "none" | { header: string } | { field: string };

export interface RestTransportOptions {
  /** The collection's URL; an item is at `${url}/${encodeURIComponent(id)}`. */
  url: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Request headers (as `Authorization`), or a function giving them, called once per push. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Per request. Default 10,000 ms. */
  timeoutMs?: number;
  /** A create: `"post"` the item to the collection's URL (default), or `"put"` it to the item's URL. */
  create?: "post" | "put";
  /** An update: `"put"` the whole item (default), or `"patch"` a merge patch when there is one. */
  update?: "put" | "patch";
  /**
   * Where the version is: `"none"` (default), `{ header: "ETag" }` (an entity tag holding the version, as
   * `"3"`; updates then send `If-Match`, and a 412 is a conflict) or `{ field: "version" }` (in the item).
   */
  version?: RestVersion;
  /** The header the backend takes an idempotency key in (as `"Idempotency-Key"`); none by default. */
  idempotencyHeader?: string;
  /** A create refused because the id exists. Default: 409, or a body saying "duplicate" or "already exists". */
  alreadyExists?: (reply: { status: number; text: string }) => boolean;
  /** An update or delete of an item the backend does not have. Default: 404 or 410. */
  alreadyGone?: (reply: { status: number; text: string }) => boolean;
  /** The item in a reply's JSON body, for backends that wrap it (as `{ data: {…} }`). Default: the body itself. */
  unwrap?: (body: Record<string, unknown>) => unknown;
  /**
   * Opt in to refresh by listing: each pull GETs the whole collection (`url`, or `list.url`) and the client
   * compares it with what it last synced. For backends without a change feed; its cost grows with the
   * collection. `list.items` finds the items in the reply (default: the body, an array). Default off: push only.
   */
  list?: boolean | { url?: string; items?: (body: unknown) => unknown };
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
}

type Reply = { status: number; text: string; headers: Headers } | { failed: "unreachable" | "timeout"; message: string };

const DEFAULT_TIMEOUT_MS = 10_000;

/** A transport for a REST backend. See {@link RestTransportOptions} for what it asks of the backend. */
export function restTransport<T extends SyncItem = SyncItem>(options: RestTransportOptions): SyncTransport<T> {
  const base = options.url.replace(/\/+$/, "");
  const itemUrl = (id: string) => `${base}/${encodeURIComponent(id)}`;
  const version = options.version ?? "none";
  const alreadyExists = options.alreadyExists ?? ((reply) => reply.status === 409 || /duplicate|already exists/i.test(reply.text));
  const alreadyGone = options.alreadyGone ?? ((reply) => reply.status === 404 || reply.status === 410);
  const concurrency = Math.max(1, options.concurrency ?? 4);

  async function request(method: string, url: string, headers: Record<string, string>, body: unknown, signal: AbortSignal): Promise<Reply> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const init: RequestInit = { method, headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers }, signal: AbortSignal.any([signal, timeout]) };
    if (body !== undefined) init.body = JSON.stringify(body);
    try {
      const response = await (options.fetch ?? fetch)(url, init);
      return { status: response.status, text: await response.text(), headers: response.headers };
    } catch (error) {
      signal.throwIfAborted();
      if (timeout.aborted) return { failed: "timeout", message: `No reply from ${method} ${url} within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` };
      return { failed: "unreachable", message: `${method} ${url} failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  function versionOf(reply: { text: string; headers: Headers }): number | undefined {
    if (version === "none") return undefined;
    if ("header" in version) {
      const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(reply.headers.get(version.header)?.trim() ?? "");
      return match ? Number(match[1]) : undefined;
    }
    const field = parseJson(reply.text)?.[version.field];
    return typeof field === "number" && Number.isSafeInteger(field) ? field : undefined;
  }

  function stored(reply: { text: string; headers: Headers }): Omit<BackendRecord<T>, "id"> {
    const body = parseJson(reply.text);
    const item = body && options.unwrap ? options.unwrap(body) : body;
    const found = versionOf(reply);
    const value = typeof item === "object" && item !== null && !Array.isArray(item) ? (item as T) : undefined;
    return { ...(found !== undefined && { version: found }), ...(value && { value }) };
  }

  /** The outcome of a reply that is neither a success nor a case the operation handles itself. */
  function failure(reply: Reply, what: string): PushOutcome<T> {
    if ("failed" in reply) return { kind: "retry", reason: reply.failed, message: reply.message };
    const kept = { status: reply.status, body: parseJson(reply.text) ?? reply.text.slice(0, 2000) };
    const message = `${what}: HTTP ${reply.status}`;
    if (reply.status === 401 || reply.status === 403) return { kind: "auth", message, reply: kept };
    if (reply.status === 408 || reply.status === 429 || reply.status >= 500) {
      const afterMs = parseRetryAfter(reply.headers.get("retry-after"), Date.now());
      return { kind: "retry", reason: "server", message, reply: kept, ...(afterMs !== undefined && { afterMs }) };
    }
    return { kind: "rejected", message, reply: kept };
  }

  async function current(id: string, headers: Record<string, string>, signal: AbortSignal): Promise<BackendRecord<T> | null | PushOutcome<T>> {
    const reply = await request("GET", itemUrl(id), headers, undefined, signal);
    if (!("failed" in reply) && alreadyGone(reply)) return null;
    if ("failed" in reply || reply.status !== 200) return failure(reply, `GET ${id} after a conflict`);
    return { id, ...stored(reply) };
  }

  async function update(op: PushOperation<T>, headers: Record<string, string>, signal: AbortSignal): Promise<PushOutcome<T>> {
    const patch = options.update === "patch" && op.patch !== undefined;
    const precondition: Record<string, string> = version !== "none" && "header" in version && op.baseVersion !== undefined ? { "If-Match": `"${op.baseVersion}"` } : {};
    const reply = await request(patch ? "PATCH" : "PUT", itemUrl(op.id), { ...headers, ...precondition }, patch ? op.patch : op.value, signal);
    if ("failed" in reply) return failure(reply, `update of ${op.id}`);
    if (reply.status >= 200 && reply.status < 300) return { kind: "applied", record: stored(reply) };
    if (reply.status === 412 || reply.status === 409 || alreadyGone(reply)) {
      const copy = await current(op.id, headers, signal);
      if (copy !== null && "kind" in copy) return copy;
      return { kind: "conflict", current: copy, reply: { status: reply.status, body: parseJson(reply.text) ?? reply.text.slice(0, 2000) } };
    }
    return failure(reply, `update of ${op.id}`);
  }

  async function create(op: PushOperation<T>, headers: Record<string, string>, signal: AbortSignal): Promise<PushOutcome<T>> {
    const reply = options.create === "put"
      ? await request("PUT", itemUrl(op.id), headers, op.value, signal)
      : await request("POST", base, headers, op.value, signal);
    if ("failed" in reply) return failure(reply, `create of ${op.id}`);
    if (reply.status >= 200 && reply.status < 300) return { kind: "applied", record: stored(reply) };
    // Ids are the client's: the item that exists is this write's own earlier arrival (its reply lost), or,
    // on a backend with versions, someone's copy the conflict strategy decides on.
    if (alreadyExists(reply)) {
      if (version === "none") return update({ ...op, type: "save" }, headers, signal);
      const copy = await current(op.id, headers, signal);
      if (copy !== null && "kind" in copy) return copy;
      return { kind: "conflict", current: copy };
    }
    return failure(reply, `create of ${op.id}`);
  }

  async function remove(op: PushOperation<T>, headers: Record<string, string>, signal: AbortSignal): Promise<PushOutcome<T>> {
    const reply = await request("DELETE", itemUrl(op.id), headers, undefined, signal);
    if ("failed" in reply) return failure(reply, `delete of ${op.id}`);
    if ((reply.status >= 200 && reply.status < 300) || alreadyGone(reply)) return { kind: "applied", record: { deleted: true, value: null } };
    return failure(reply, `delete of ${op.id}`);
  }

  const listing = options.list === true ? {} : options.list || undefined;
  async function pull(_cursor: string | null, { signal }: TransportContext): Promise<PullResult<T>> {
    const headers = typeof options.headers === "function" ? await options.headers() : (options.headers ?? {});
    const reply = await request("GET", listing?.url ?? base, headers, undefined, signal);
    if ("failed" in reply || reply.status !== 200) {
      const outcome = failure(reply, "listing");
      return outcome.kind === "retry" || outcome.kind === "rejected" || outcome.kind === "auth" ? outcome : { kind: "retry", reason: "malformed", message: "the listing failed" };
    }
    let body: unknown;
    try {
      body = JSON.parse(reply.text);
    } catch {
      return { kind: "retry", reason: "malformed", message: "The listing is not JSON", reply: { status: reply.status, body: reply.text.slice(0, 2000) } };
    }
    const items = listing?.items ? listing.items(body) : body;
    if (!Array.isArray(items)) return { kind: "retry", reason: "malformed", message: "The listing is not a list of items", reply: { status: reply.status, body } };
    return { kind: "snapshot", items: items as T[] };
  }

  return {
    ...(listing && { pull }),
    async push(ops, { signal }: TransportContext) {
      const shared = typeof options.headers === "function" ? await options.headers() : (options.headers ?? {});
      const outcomes: PushOutcome<T>[] = new Array(ops.length);
      let next = 0;
      const worker = async () => {
        while (next < ops.length) {
          const index = next++;
          const op = ops[index]!;
          const headers = options.idempotencyHeader ? { ...shared, [options.idempotencyHeader]: op.opId } : shared;
          outcomes[index] = op.type === "delete" ? await remove(op, headers, signal) : op.baseVersion === undefined ? await create(op, headers, signal) : await update(op, headers, signal);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, ops.length) }, worker));
      return outcomes;
    },
  };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
