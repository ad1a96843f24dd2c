/** The collection routes under `{basePath}/<collection>`: reads, writes, batch and the change feed. */
import type { AppliedWrite } from "./apply.js";
import { applyWrites } from "./apply.js";
import { readJson } from "./body.js";
import { HttpError, badRequest, jsonResponse, methodNotAllowed, notFound } from "./errors.js";
import { readChanges } from "./feed.js";
import type { Limits } from "./limits.js";
import { COLLECTION_NAME, DEFAULT_CHANGES_LIMIT, isJsonObject } from "./protocol.js";
import type { WriteMethod, WriteReply, WriteRequest } from "./rules.js";
import type { SyncStore } from "./store.js";

/** `{"ops":[{"body": …}]}`: the levels above an op's body, which the body's own depth limit does not count. */
const BATCH_WRAPPER_DEPTH = 3;

export type RouteContext = {
  store: SyncStore;
  scope: string;
  limits: Limits;
  /** Told of each write once its transaction committed. */
  onWrites: (collection: string, applied: AppliedWrite[]) => void;
};

/** A request for a collection: its name and what follows it (still URL-encoded), split on "/". */
export type CollectionTarget = { collection: string; item: string | undefined };

/** Parses the path below the base path; null when it names no collection route. */
export function collectionTarget(segments: string[]): CollectionTarget | null {
  const [collection, item, ...rest] = segments;
  if (collection === undefined || collection === "" || rest.length > 0) return null;
  return { collection, item };
}

export async function handleCollection(context: RouteContext, request: Request, { collection, item }: CollectionTarget, query: URLSearchParams): Promise<Response> {
  const { store, scope, limits } = context;
  const method = request.method;
  if (!COLLECTION_NAME.test(collection)) throw badRequest("collection names match [A-Za-z0-9_-]{1,64}");
  const isRead = method === "GET" || method === "HEAD";
  const apply = async (writes: WriteRequest[]) => {
    const applied = await applyWrites(store, scope, collection, writes, { maxItemBytes: limits.maxBodyBytes });
    context.onWrites(collection, applied);
    return applied.map(({ reply }) => reply);
  };

  if (item === undefined) {
    if (!isRead) throw methodNotAllowed("GET");
    return jsonResponse(200, { items: await store.list(scope, collection) });
  }
  if (item === "_changes") {
    if (!isRead) throw methodNotAllowed("GET");
    const since = query.get("since") || null;
    const limit = Math.min(Math.max(integerParam(query, "limit", DEFAULT_CHANGES_LIMIT), 1), limits.maxChangesPage);
    const page = await readChanges(store, scope, collection, since, limit);
    if (!page) throw new HttpError(410, "cursor_expired", "the cursor is not from this database (reset or replaced): pull again from the start");
    return jsonResponse(200, page);
  }
  if (item === "_batch") {
    if (method !== "POST") throw methodNotAllowed("POST");
    const ops = parseBatch(await readJson(request, limits.maxBodyBytes, BATCH_WRAPPER_DEPTH), limits.maxBatchOps);
    const replies = await apply(ops);
    return jsonResponse(200, { results: ops.map((op, index) => ({ opId: op.opId, status: replies[index]!.status, body: replies[index]!.body })) });
  }
  // A Fetch runtime removes "." and ".." segments before the handler sees them: "/todos/." arrives as "/todos/".
  if (item === "") {
    if (isRead) throw notFound();
    throw badRequest('an item id is required ("." and ".." are not ids: no URL can name them)');
  }

  const id = decodeSegment(item);
  if (isRead) {
    // Never written (refused with 400), and no store need be asked about it.
    if (id.includes("\u0000")) throw notFound();
    const record = await store.get(scope, collection, id);
    if (!record || record.deleted) throw notFound();
    return jsonResponse(200, record, { ETag: `"${record.version}"` });
  }
  if (method !== "PUT" && method !== "PATCH" && method !== "DELETE") throw methodNotAllowed("GET, PUT, PATCH, DELETE");
  const keys = idempotencyKeys(request.headers);
  if (keys.length > 1) throw badRequest("send one Idempotency-Key header, not several");
  const body = method === "DELETE" ? undefined : await readJson(request, limits.maxBodyBytes);
  const [reply] = await apply([{ opId: keys[0] ?? "", id, method, ...preconditionHeaders(request.headers), body }]);
  return writeResponse(reply!);
}

function writeResponse({ status, body, replayed }: WriteReply): Response {
  const headers: Record<string, string> = {};
  if (status < 300 && "version" in body) headers.ETag = `"${body.version}"`;
  if (replayed) headers["Idempotent-Replayed"] = "true";
  return jsonResponse(status, body, headers);
}

/**
 * Fetch joins a repeated header into one value ("a, b"), so two keys cannot be told from one key with a
 * comma in it: a key holding ", " is taken as two and refused. The SDK's keys never hold one.
 */
function idempotencyKeys(headers: Headers): string[] {
  const value = headers.get("idempotency-key");
  return value === null ? [] : value.split(", ");
}

function preconditionHeaders(headers: Headers): Pick<WriteRequest, "ifMatch" | "ifNoneMatch"> {
  const ifMatch = headers.get("if-match");
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null && ifNoneMatch !== "*") throw badRequest('If-None-Match must be "*"');
  return {
    ...(ifMatch !== null && { ifMatch: parseVersionTag(ifMatch) }),
    ...(ifNoneMatch !== null && { ifNoneMatch: "*" as const }),
  };
}

/** Accepts `"3"` (the ETag form), `W/"3"` and a bare `3`. */
function parseVersionTag(tag: string): number {
  const match = /^(?:W\/)?"(\d{1,15})"$|^(\d{1,15})$/.exec(tag.trim());
  const digits = match?.[1] ?? match?.[2];
  if (digits === undefined) throw badRequest('If-Match must be a quoted version like "3"');
  return Number(digits);
}

function parseBatch(input: unknown, maxOps: number): WriteRequest[] {
  if (!isJsonObject(input) || !Array.isArray(input.ops)) throw badRequest('the body must be { "ops": [...] }');
  if (input.ops.length > maxOps) throw badRequest(`a batch holds at most ${maxOps} ops`);
  const ids = new Set<string>();
  const opIds = new Set<string>();
  return input.ops.map((op: unknown, index): WriteRequest => {
    if (!isJsonObject(op) || typeof op.opId !== "string" || typeof op.id !== "string" || !isWriteMethod(op.method)) {
      throw badRequest(`ops[${index}] needs a string opId, a string id and a method PUT, PATCH or DELETE`);
    }
    if (ids.has(op.id)) throw badRequest(`ops[${index}]: the id "${op.id}" appears twice in the batch`);
    // One key for two writes would make a retry of the batch get another reply than the first time.
    if (opIds.has(op.opId)) throw badRequest(`ops[${index}]: the opId "${op.opId}" appears twice in the batch`);
    ids.add(op.id);
    opIds.add(op.opId);
    const { ifMatch, ifNoneMatch } = op;
    if (ifNoneMatch !== undefined && ifNoneMatch !== null && ifNoneMatch !== "*") {
      throw badRequest(`ops[${index}].ifNoneMatch must be "*"`);
    }
    const version = ifMatch === undefined || ifMatch === null ? undefined : batchVersion(ifMatch, index);
    return {
      opId: op.opId,
      id: op.id,
      method: op.method,
      ...(version !== undefined && { ifMatch: version }),
      ...(ifNoneMatch === "*" && { ifNoneMatch }),
      body: op.body,
    };
  });
}

function batchVersion(ifMatch: unknown, index: number): number {
  if (typeof ifMatch === "number" && Number.isSafeInteger(ifMatch) && ifMatch >= 0) return ifMatch;
  if (typeof ifMatch === "string") return parseVersionTag(ifMatch);
  throw badRequest(`ops[${index}].ifMatch must be a version number`);
}

function isWriteMethod(value: unknown): value is WriteMethod {
  return value === "PUT" || value === "PATCH" || value === "DELETE";
}

function integerParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d{1,15}$/.test(raw)) throw badRequest(`${name} must be a non-negative integer`);
  return Number(raw);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest("the id is not validly URL-encoded");
  }
}
