/**
 * Request bodies: gzip inflated with the standard DecompressionStream, bounded after inflation, decoded as
 * strict UTF-8 and parsed as JSON within a depth limit. Failure modes, each a 4xx: another encoding (415),
 * too large before or after inflation (413), corrupt gzip, bad UTF-8, bad JSON, too deep, numbers out of a
 * double's range, a body cut short (400).
 */
import { nestsWithin } from "../sdk/shared/json-depth.js";
import { HttpError, badRequest } from "./errors.js";

/** Deeper bodies are refused: storing them (canonical JSON, fingerprints) recurses once per level. */
export const MAX_JSON_DEPTH = 100;

/** Reads the body, inflating gzip, refusing more than `maxBytes` after inflation. */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "gzip" && encoding !== "identity") {
    throw new HttpError(415, "unsupported_media_type", `Content-Encoding "${encoding}" is not supported; use gzip or identity`);
  }
  if (!request.body) return new Uint8Array();
  const raw = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let failure: HttpError | null = null;
  const keep = (chunk: Uint8Array) => {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
    else failure ??= new HttpError(413, "payload_too_large", `request bodies are limited to ${maxBytes} bytes`);
  };
  const inflate = encoding === "gzip" ? inflater(keep, () => failure !== null) : null;
  try {
    // Past a failure the rest is still read, and dropped, so the client gets to read the reply.
    for (;;) {
      const { done, value } = await raw.read();
      if (done) break;
      if (failure) continue;
      if (inflate) await inflate.write(value);
      else keep(value);
    }
    if (inflate && !failure) await inflate.end();
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw badRequest(inflate ? "the request body could not be read or inflated" : "the request body was cut short");
  }
  if (failure) throw failure;
  return concat(chunks, size);
}

/** Feeds gzip into a DecompressionStream and its output to `keep`, until `stop()`. */
function inflater(keep: (chunk: Uint8Array) => void, stop: () => boolean) {
  const stream = new DecompressionStream("gzip");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  let broken: unknown = null;
  const pumped = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      keep(value);
      if (stop()) {
        await reader.cancel();
        return;
      }
    }
  })().catch((error: unknown) => {
    broken = error;
  });
  return {
    async write(chunk: Uint8Array) {
      if (broken) throw broken;
      await writer.write(chunk as Uint8Array<ArrayBuffer>).catch((error: unknown) => {
        if (!stop()) throw broken ?? error;
      });
    },
    async end() {
      await writer.close().catch((error: unknown) => {
        broken ??= error;
      });
      await pumped;
      if (broken && !stop()) throw broken;
    },
  };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** `wrapperDepth`: levels of envelope above the items (a batch), not counted against the limit. */
export async function readJson(request: Request, maxBytes: number, wrapperDepth = 0): Promise<unknown> {
  const bytes = await readBody(request, maxBytes);
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
