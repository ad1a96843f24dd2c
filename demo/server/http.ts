/** Request and reply plumbing shared by the routes: errors, body reading, sending. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { ErrorCode } from "./protocol";
import { MAX_BODY_BYTES, errorBody } from "./protocol";
import { nestsWithin } from "../../sdk/json-depth";

/** What a route answers; the dispatcher decides whether it is sent (a fault may drop it). */
export type Reply = { status: number; headers?: Record<string, string>; json?: unknown; file?: Buffer };

export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;

  constructor(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const badRequest = (message: string) => new HttpError(400, "bad_request", message);
export const notFound = () => new HttpError(404, "not_found", "no such resource");
export const methodNotAllowed = (allow: string) =>
  new HttpError(405, "method_not_allowed", `use ${allow}`, { Allow: allow });

export function jsonReply(status: number, json: unknown, headers: Record<string, string> = {}): Reply {
  return { status, json, headers };
}

export function errorReply(error: unknown): Reply {
  if (error instanceof HttpError) return jsonReply(error.status, errorBody(error.code, error.message), error.headers);
  return jsonReply(500, errorBody("internal", "the server failed to handle the request"));
}

/** Reads the body, inflating gzip, refusing more than MAX_BODY_BYTES after inflation. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  const encoding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding !== "gzip" && encoding !== "identity") {
    const message = `Content-Encoding "${encoding}" is not supported; use gzip or identity`;
    return Promise.reject(new HttpError(415, "unsupported_media_type", message));
  }
  // The client went away before the body was read (during an injected delay): no event will come again.
  if (req.destroyed) return Promise.reject(badRequest("the request body was cut short"));
  return new Promise((resolve, reject) => {
    const gunzip = encoding === "gzip" ? req.pipe(createGunzip()) : null;
    const decoded: Readable = gunzip ?? req;
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      decoded.off("data", onData);
      if (gunzip) {
        req.unpipe(gunzip);
        gunzip.destroy();
      }
      // Keep draining instead of resetting, so the client gets to read the 413.
      req.resume();
      reject(new HttpError(413, "payload_too_large", `request bodies are limited to ${MAX_BODY_BYTES} bytes`));
    };
    decoded.on("data", onData);
    decoded.once("end", () => resolve(Buffer.concat(chunks)));
    decoded.once("error", () => reject(badRequest("the request body could not be read or inflated")));
    req.once("close", () => {
      if (!req.complete) reject(badRequest("the request body was cut short"));
    });
  });
}

/** `wrapperDepth`: levels of envelope above the items (a batch), not counted against the limit. */
export async function readJson(req: IncomingMessage, wrapperDepth = 0): Promise<unknown> {
  const bytes = await readBody(req);
  let text: string;
  try {
    // Fatal: a lenient decode would store U+FFFD in place of the bad bytes, a value the client never sent.
    text = UTF8.decode(bytes);
  } catch {
    throw badRequest("the body is not valid UTF-8");
  }
  if (text.trim() === "") throw badRequest("a JSON body is required");
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw badRequest("the body is not valid JSON");
  }
  if (!nestsWithin(value, MAX_JSON_DEPTH + wrapperDepth)) throw badRequest(`the body nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (!allFinite(value)) throw badRequest("the body holds a number out of range (as 1e400): it would be stored as null");
  return value;
}

/** ignoreBOM keeps a byte order mark in the text, which JSON.parse refuses, as it did before. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** JSON.parse reads a number too large for a double as ±Infinity, which JSON.stringify writes as null. */
function allFinite(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || value === null) return true;
  return Object.values(value).every(allFinite); // depth is bounded: checked first
}

/** Deeper bodies are refused: storing them (canonical JSON, fingerprints) recurses once per level. */
const MAX_JSON_DEPTH = 100;

export function sendReply(res: ServerResponse, reply: Reply, headOnly: boolean): void {
  if (res.destroyed || res.headersSent) return;
  const payload = reply.file ?? (reply.json === undefined ? undefined : Buffer.from(JSON.stringify(reply.json)));
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.json !== undefined) headers["Content-Type"] = "application/json; charset=utf-8";
  if (payload) headers["Content-Length"] = String(payload.length);
  res.writeHead(reply.status, headers);
  res.end(headOnly ? undefined : payload);
}
