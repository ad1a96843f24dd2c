/** The collection routes under /api/<collection>: reads, writes, batch and the change feed. */
import type { IncomingMessage } from "node:http";
import type { Reply } from "./http";
import { HttpError, badRequest, jsonReply, methodNotAllowed, notFound, readJson } from "./http";
import { COLLECTION_NAME, DEFAULT_CHANGES_LIMIT, MAX_BATCH_OPS, MAX_CHANGES_LIMIT, isJsonObject } from "./protocol";
import type { Store, WriteMethod, WriteReply, WriteRequest } from "./store";

type BatchOp = Omit<WriteRequest, "collection">;

/** `{"ops":[{"body": …}]}`: the levels above an op's body, which the body's own depth limit does not count. */
const BATCH_WRAPPER_DEPTH = 3;

/** `path` is what follows /api/, split on "/" and still URL-encoded. */
export async function handleCollection(
  store: Store,
  req: IncomingMessage,
  method: string,
  path: string[],
  query: URLSearchParams,
): Promise<Reply> {
  const [collection, item, ...rest] = path;
  if (collection === undefined || rest.length > 0 || item === "") throw notFound();
  if (!COLLECTION_NAME.test(collection)) throw badRequest("collection names match [A-Za-z0-9_-]{1,64}");
  const isRead = method === "GET" || method === "HEAD";

  if (item === undefined) {
    if (!isRead) throw methodNotAllowed("GET");
    return jsonReply(200, { items: store.list(collection) });
  }
  if (item === "_changes") {
    if (!isRead) throw methodNotAllowed("GET");
    const since = query.get("since") || null;
    const limit = Math.min(Math.max(integerParam(query, "limit", DEFAULT_CHANGES_LIMIT), 1), MAX_CHANGES_LIMIT);
    const page = store.changes(collection, since, limit);
    if (!page) throw new HttpError(410, "cursor_expired", "the cursor is not from this database (reset or replaced): pull again from the start");
    return jsonReply(200, page);
  }
  if (item === "_batch") {
    if (method !== "POST") throw methodNotAllowed("POST");
    const ops = parseBatch(await readJson(req, BATCH_WRAPPER_DEPTH));
    const results = ops.map((op) => {
      const { status, body } = store.applyWrite({ collection, ...op });
      return { opId: op.opId, status, body };
    });
    return jsonReply(200, { results });
  }

  const id = decodeSegment(item);
  if (isRead) {
    const record = store.get(collection, id);
    if (!record || record.deleted) throw notFound();
    return jsonReply(200, record, { ETag: `"${record.version}"` });
  }
  if (method !== "PUT" && method !== "PATCH" && method !== "DELETE") throw methodNotAllowed("GET, PUT, PATCH, DELETE");
  const body = method === "DELETE" ? undefined : await readJson(req);
  // Node joins repeated headers into one value: two keys would be taken as the one key "a, b".
  const keys = req.headersDistinct["idempotency-key"] ?? [];
  if (keys.length > 1) throw badRequest("send one Idempotency-Key header, not several");
  const opId = keys[0] ?? "";
  return writeReply(store.applyWrite({ collection, opId, id, method, ...preconditionHeaders(req), body }));
}

function writeReply({ status, body, replayed }: WriteReply): Reply {
  const headers: Record<string, string> = {};
  if (status < 300 && "version" in body) headers.ETag = `"${body.version}"`;
  if (replayed) headers["Idempotent-Replayed"] = "true";
  return jsonReply(status, body, headers);
}

function preconditionHeaders(req: IncomingMessage): Pick<WriteRequest, "ifMatch" | "ifNoneMatch"> {
  const ifMatch = headerValue(req, "if-match");
  const ifNoneMatch = headerValue(req, "if-none-match");
  if (ifNoneMatch !== undefined && ifNoneMatch !== "*") throw badRequest('If-None-Match must be "*"');
  return {
    ...(ifMatch !== undefined && { ifMatch: parseVersionTag(ifMatch) }),
    ...(ifNoneMatch !== undefined && { ifNoneMatch: "*" as const }),
  };
}

/** Accepts `"3"` (the ETag form), `W/"3"` and a bare `3`. */
function parseVersionTag(tag: string): number {
  const match = /^(?:W\/)?"(\d{1,15})"$|^(\d{1,15})$/.exec(tag.trim());
  const digits = match?.[1] ?? match?.[2];
  if (digits === undefined) throw badRequest('If-Match must be a quoted version like "3"');
  return Number(digits);
}

function parseBatch(input: unknown): BatchOp[] {
  if (!isJsonObject(input) || !Array.isArray(input.ops)) throw badRequest('the body must be { "ops": [...] }');
  if (input.ops.length > MAX_BATCH_OPS) throw badRequest(`a batch holds at most ${MAX_BATCH_OPS} ops`);
  const ids = new Set<string>();
  const opIds = new Set<string>();
  return input.ops.map((op: unknown, index): BatchOp => {
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

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest("the id is not validly URL-encoded");
  }
}
