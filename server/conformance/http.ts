/**
 * The kit's HTTP layer: fetch, with every request and reply recorded as an exchange cut to a bounded size,
 * so a failing rule can show exactly what was sent and what came back (a 5 MiB body shows as its start
 * and its length). Only Node's built-ins: it runs against a server in any language.
 */

/** A request as sent: the headers the kit set (fetch adds its own, as Content-Length and User-Agent). */
export type RecordedRequest = { method: string; url: string; headers: Record<string, string>; body?: string };

/** A reply as received; `body` is an excerpt. */
export type RecordedReply = { status: number; headers: Record<string, string>; body: string };

/** One request and its reply, or the error that stood for the reply (refused connection, timeout). */
export type Exchange = { request: RecordedRequest; reply?: RecordedReply; error?: string };

/** A reply for a rule to judge: the whole body, parsed when it is JSON, and its recorded exchange. */
export type Reply = {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json: unknown;
  exchange: Exchange;
};

export type RequestOptions = {
  headers?: Record<string, string>;
  /** A string or bytes are sent as they are; anything else as JSON. `application/json` unless headers say otherwise. */
  body?: unknown;
  /** What an exchange shows for a binary body (gzip), in place of its bytes. */
  describeBody?: string;
  /** Send the bearer token (default true); a CORS preflight, as a browser's, carries none. */
  auth?: boolean;
};

export type Http = (method: string, url: string, options?: RequestOptions) => Promise<Reply>;

export type HttpOptions = {
  fetch: typeof fetch;
  token?: string;
  timeoutMs: number;
  /** Told of every exchange once it ended, with the reply when there was one. */
  onExchange: (exchange: Exchange, reply: Reply | null) => void;
};

/** Characters of a body an exchange keeps. */
export const BODY_EXCERPT_CHARS = 1000;
/** Characters of one header value an exchange keeps. */
export const HEADER_EXCERPT_CHARS = 300;

/** A request that got no reply: refused, reset, timed out. Carries its exchange for the report. */
export class RequestFailedError extends Error {
  override readonly name = "RequestFailedError";
  readonly exchange: Exchange;

  constructor(exchange: Exchange, cause: unknown) {
    super(`${exchange.request.method} ${exchange.request.url} failed: ${exchange.error ?? "no reply"}`, { cause });
    this.exchange = exchange;
  }
}

/** An HTTP client that records each exchange. */
export function createHttp(options: HttpOptions): Http {
  return async (method, url, request = {}) => {
    const headers: Record<string, string> = {};
    let body: string | Uint8Array | undefined;
    if (request.body !== undefined) {
      body = typeof request.body === "string" || request.body instanceof Uint8Array ? request.body : JSON.stringify(request.body);
      headers["Content-Type"] = "application/json";
    }
    if (options.token !== undefined && request.auth !== false) headers.Authorization = `Bearer ${options.token}`;
    Object.assign(headers, request.headers);

    const exchange: Exchange = { request: { method, url, headers: recordedHeaders(headers) } };
    if (body !== undefined) exchange.request.body = request.describeBody ?? describeBody(body);
    let response: Response;
    let bytes: Uint8Array;
    try {
      response = await options.fetch(url, {
        method,
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(body !== undefined && { body: typeof body === "string" ? body : Uint8Array.from(body) }),
      });
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      exchange.error = failureText(error, options.timeoutMs);
      options.onExchange(exchange, null);
      throw new RequestFailedError(exchange, error);
    }
    const text = new TextDecoder().decode(bytes);
    exchange.reply = { status: response.status, headers: recordedHeaders(Object.fromEntries(response.headers)), body: excerpt(text) };
    const reply: Reply = { status: response.status, headers: response.headers, text, json: parseJson(text), exchange };
    options.onExchange(exchange, reply);
    return reply;
  };
}

/** `text`, cut to `max` characters with a note of how much was left out. */
export function excerpt(text: string, max = BODY_EXCERPT_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${(text.length - max).toLocaleString("en-US")} more characters)`;
}

function describeBody(body: string | Uint8Array): string {
  if (typeof body === "string") return excerpt(body);
  return `<${body.length.toLocaleString("en-US")} bytes of binary>`;
}

function recordedHeaders(headers: Record<string, string>): Record<string, string> {
  const recorded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    // The token must not end up in a report pasted into an issue.
    recorded[name] = name.toLowerCase() === "authorization" ? value.replace(/^(\S+\s+).*$/, "$1<redacted>") : excerpt(value, HEADER_EXCERPT_CHARS);
  }
  return recorded;
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Node's fetch says "fetch failed" and keeps the reason (ECONNREFUSED, a reset) in `cause`. */
function failureText(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return `no reply within ${timeoutMs} ms`;
  const parts: string[] = [];
  for (let current: unknown = error; current instanceof Error && parts.length < 4; current = current.cause) {
    const code = (current as Error & { code?: unknown }).code;
    parts.push(typeof code === "string" && !current.message.includes(code) ? `${current.message} (${code})` : current.message);
  }
  return parts.length > 0 ? parts.join(": ") : String(error);
}
