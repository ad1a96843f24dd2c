/**
 * The protocol's write rules as pure functions: what is a valid write, what a write does to the record it
 * finds, and what makes two requests "the same" for an Idempotency-Key. Every store applies them alike.
 */
import type { ErrorBody, JsonObject, SyncRecord } from "./protocol.js";
import { MAX_BODY_BYTES, MAX_ID_LENGTH, MAX_OP_ID_LENGTH, errorBody, isJsonObject } from "./protocol.js";

export type WriteMethod = "PUT" | "PATCH" | "DELETE";

/** One write, as a per-item request or a batch op carries it. */
export type WriteRequest = {
  opId: string;
  id: string;
  method: WriteMethod;
  /** The version the client last saw (`If-Match`). */
  ifMatch?: number;
  /** `If-None-Match: *`: create only. */
  ifNoneMatch?: "*";
  /** The item (PUT) or merge patch (PATCH); none for DELETE. */
  body?: unknown;
};

/** What a write answers: the record, or an error body. `replayed`: the stored reply of an earlier request. */
export type WriteReply = { status: number; body: SyncRecord | ErrorBody; replayed: boolean };

export type WriteDecision =
  | { status: number; error: ErrorBody }
  | { status: 200 | 201; record: SyncRecord; changed: boolean };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Null when the write is well-formed; the 400 body otherwise. */
export function validateWrite(write: WriteRequest): ErrorBody | null {
  const bad = (message: string) => errorBody("bad_request", message);
  if (write.opId.length === 0 || write.opId.length > MAX_OP_ID_LENGTH) {
    return bad(`an Idempotency-Key (opId) of 1 to ${MAX_OP_ID_LENGTH} characters is required`);
  }
  if (write.id.length === 0 || write.id.length > MAX_ID_LENGTH) return bad(`ids are 1 to ${MAX_ID_LENGTH} characters`);
  // Stored as UTF-8, a lone surrogate would become U+FFFD: two ids would share one record.
  if (LONE_SURROGATE.test(write.id) || LONE_SURROGATE.test(write.opId)) return bad("ids and opIds must be well-formed Unicode (no lone surrogates)");
  // No database text type takes it alike (PostgreSQL refuses it): one store would keep what another cannot.
  if (write.id.includes("\u0000") || write.opId.includes("\u0000")) return bad("ids and opIds must not hold U+0000");
  if (write.id === "." || write.id === "..") return bad('"." and ".." are not ids: no URL can name them');
  if (write.ifMatch !== undefined && write.ifNoneMatch !== undefined) return bad("send either If-Match or If-None-Match, not both");
  if (write.ifNoneMatch !== undefined && write.method !== "PUT") return bad("If-None-Match: * only applies to PUT");
  if (write.method === "PATCH") {
    if (write.ifMatch === undefined) return bad("PATCH needs If-Match");
    if (!isJsonObject(write.body)) return bad("a merge patch must be a JSON object");
  }
  if (write.method === "PUT") {
    if (!isJsonObject(write.body)) return bad("the body must be a JSON object");
    if (write.body.id !== write.id) return bad("value.id must equal the id in the path");
  }
  return null;
}

/**
 * What `write` does to `current` (the stored record, a tombstone, or null): the next record, or the error.
 * `maxItemBytes` bounds a PATCH's result, as a PUT's body is bounded.
 */
export function decideWrite(current: SyncRecord | null, write: WriteRequest, updatedAt: string, maxItemBytes = MAX_BODY_BYTES): WriteDecision {
  const live = current !== null && !current.deleted;
  const conflict = (): WriteDecision => ({
    status: 409,
    error: errorBody("version_mismatch", `the precondition failed for "${write.id}"`, { current }),
  });
  const next = (value: JsonObject | null, status: 200 | 201 = 200): WriteDecision => ({
    status,
    changed: true,
    record: { id: write.id, version: (current?.version ?? 0) + 1, updatedAt, deleted: value === null, value },
  });

  if (write.ifNoneMatch === "*" && live) return conflict();
  if (write.ifMatch !== undefined) {
    if (current?.version !== write.ifMatch) return conflict();
    if (!live && write.method !== "DELETE") return conflict();
  }
  switch (write.method) {
    case "PUT":
      return next(write.body as JsonObject, live ? 200 : 201);
    case "PATCH": {
      if (!live) return conflict();
      const merged = mergePatch(current.value, write.body);
      if (!isJsonObject(merged) || merged.id !== write.id) {
        return { status: 400, error: errorBody("bad_request", "the patched item must keep its id") };
      }
      // A record a PUT could not carry could never be written whole again: every later PUT of it would be a 413.
      if (utf8Length(JSON.stringify(merged)) > maxItemBytes) {
        const message = `the patched item would be over ${maxItemBytes} bytes as JSON, more than a PUT may carry`;
        return { status: 413, error: errorBody("payload_too_large", message) };
      }
      return next(merged);
    }
    case "DELETE":
      return current?.deleted ? { status: 200, record: current, changed: false } : next(null);
  }
}

/** RFC 7396. Builds objects with Object.fromEntries so a "__proto__" key stays a plain property. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const merged = new Map(Object.entries(isJsonObject(target) ? target : {}));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) merged.delete(key);
    else merged.set(key, mergePatch(merged.get(key), value));
  }
  return Object.fromEntries(merged);
}

/** Identifies "the same request" for an Idempotency-Key: method, id and body, key order ignored (SHA-256, hex). */
export async function fingerprintOf(write: WriteRequest): Promise<string> {
  const body = write.method === "DELETE" ? null : write.body;
  const text = canonicalJson([write.method, write.id, body]);
  if (nodeHash) return nodeHash("sha256").update(text).digest("hex");
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

type CreateHash = (algorithm: string) => { update(text: string): { digest(encoding: "hex"): string } };
/**
 * node:crypto's hash where the runtime has it (Node, Deno, Bun): a WebCrypto digest is a job of its own per
 * call, about 6 times the cost per write (test/bench, server section). Other runtimes use WebCrypto.
 */
const nodeHash: CreateHash | undefined = (
  globalThis as { process?: { getBuiltinModule?: (name: string) => { createHash?: CreateHash } | undefined } }
).process?.getBuiltinModule?.("node:crypto")?.createHash;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

const encoder = new TextEncoder();
function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
