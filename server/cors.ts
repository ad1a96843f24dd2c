/** CORS for browser clients on another origin: the protocol's headers allowed, its reply headers exposed. */

export type CorsOptions = {
  /** `"*"` (the default), or the origins allowed, as `"https://app.example"`. */
  origin?: "*" | readonly string[];
};

// Date: the SDK measures its clock offset from it; a page cannot read it unless it is exposed.
const EXPOSED = "ETag, Retry-After, Idempotent-Replayed, Date";
const PROTOCOL_REQUEST_HEADERS = ["Content-Type", "Content-Encoding", "Authorization", "Idempotency-Key", "If-Match", "If-None-Match"];
/** An HTTP field name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The CORS headers for a reply to `request`; none for an origin that is not allowed. */
export function corsHeaders(options: CorsOptions, request: Request): Record<string, string> {
  const allowed = options.origin ?? "*";
  if (allowed === "*") return { "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSED };
  const origin = request.headers.get("origin");
  const headers: Record<string, string> = { Vary: "Origin" };
  if (origin !== null && allowed.includes(origin)) Object.assign(headers, { "Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED });
  return headers;
}

export function preflightHeaders(request: Request): Record<string, string> {
  return {
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": allowedRequestHeaders(request.headers.get("access-control-request-headers")),
    "Access-Control-Max-Age": "600",
    // The allowed headers echo the preflight's: a cache must not serve one preflight's answer to another.
    Vary: "Origin, Access-Control-Request-Headers",
  };
}

/**
 * The protocol's request headers and those the preflight asks for: an app's own (the SDK's `headers`
 * option, as X-Tenant) would fail the preflight otherwise. A request list that is not a list of header
 * names is not echoed.
 */
function allowedRequestHeaders(requested: string | null): string {
  const names = (requested ?? "").split(",").map((name) => name.replace(/^[ \t]+|[ \t]+$/g, "")).filter((name) => name !== "");
  const allowed = new Map(PROTOCOL_REQUEST_HEADERS.map((name) => [name.toLowerCase(), name]));
  if (names.every((name) => HEADER_NAME.test(name))) {
    for (const name of names) if (!allowed.has(name.toLowerCase())) allowed.set(name.toLowerCase(), name);
  }
  return [...allowed.values()].join(", ");
}
