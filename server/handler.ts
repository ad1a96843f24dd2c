/**
 * `createSyncHandler`: the sync protocol (docs/protocol.md) as one WHATWG Fetch handler,
 * `(request) => Promise<Response>`, for any runtime and framework that speaks Fetch.
 */
import type { AppliedWrite } from "./apply.js";
import type { CorsOptions } from "./cors.js";
import { corsHeaders, preflightHeaders } from "./cors.js";
import { HttpError, errorResponse, jsonResponse, methodNotAllowed, notFound } from "./errors.js";
import type { Limits } from "./limits.js";
import { limitsOf } from "./limits.js";
import type { SyncRecord } from "./protocol.js";
import { errorBody } from "./protocol.js";
import { collectionTarget, handleCollection } from "./routes.js";
import type { WriteRequest } from "./rules.js";
import type { SyncStore } from "./store.js";
import { StoreUnavailableError } from "./store.js";

/** Who a request acts for. `scope` partitions the data: records, change feeds and idempotency keys. */
export type Principal = { scope: string };

/** What a request asks of a collection, for `authorize`. */
export type Access = { collection: string; write: boolean };

/** A write the handler applied, replayed or refused, told once its transaction committed. */
export type WriteEvent = {
  scope: string;
  collection: string;
  write: WriteRequest;
  status: number;
  /** The stored reply of an earlier request with the same Idempotency-Key was served again. */
  replayed: boolean;
  /** The record took a new version. */
  changed: boolean;
  /** The record as the reply carries it (null for an error reply). */
  record: SyncRecord | null;
};

export type SyncHandlerOptions<P extends Principal = Principal> = {
  store: SyncStore;
  /**
   * Who sends the request: a principal, or null for 401. Without it every request acts in the scope `""`:
   * one shared set of collections.
   */
  authenticate?: (request: Request) => P | null | Promise<P | null>;
  /** Whether the principal may read or write the collection; false answers 403. Default: allowed. */
  authorize?: (principal: P, access: Access) => boolean | Promise<boolean>;
  /** The path the handler serves, as the request URL shows it (`"/api"`: `/api/<collection>`). Default `""`. */
  basePath?: string;
  /** CORS headers for browser clients on other origins; false sends none. Default `{ origin: "*" }`. */
  cors?: false | CorsOptions;
  limits?: Partial<Limits>;
  /** Told of every write after it committed (or was refused): for metrics, logs and tests. */
  onWrite?: (event: WriteEvent) => void;
  /**
   * Told of errors that are not the client's: a failing store (the reply is 503 with Retry-After) or a bug
   * (500). The default writes them to console.error.
   */
  onError?: (error: unknown, request: Request) => void;
};

export type SyncHandler = (request: Request) => Promise<Response>;

/** Seconds a client waits before retrying a request the store could not serve. */
const UNAVAILABLE_RETRY_AFTER_SEC = 1;

export function createSyncHandler<P extends Principal = Principal>(options: SyncHandlerOptions<P>): SyncHandler {
  const { store } = options;
  const limits = limitsOf(options.limits);
  const basePath = (options.basePath ?? "").replace(/\/+$/, "");
  const cors = options.cors === false ? null : (options.cors ?? {});
  const onError = options.onError ?? ((error: unknown) => console.error("synclens: request failed", error));

  const onWrites = (scope: string) => (collection: string, applied: AppliedWrite[]) => {
    if (!options.onWrite) return;
    for (const { write, reply, changed } of applied) {
      const record = "version" in reply.body ? (reply.body as SyncRecord) : null;
      options.onWrite({ scope, collection, write, status: reply.status, replayed: reply.replayed, changed, record });
    }
  };

  async function respond(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path !== basePath && !path.startsWith(`${basePath}/`)) throw notFound();
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors ? preflightHeaders(request) : { Allow: "GET, HEAD, POST, PUT, PATCH, DELETE" } });
    const target = collectionTarget(path.slice(basePath.length + 1).split("/"));
    if (!target) throw notFound();
    if (target.item === "_ping") {
      if (request.method !== "GET" && request.method !== "HEAD") throw methodNotAllowed("GET");
      return new Response(null, { status: 204 });
    }
    const principal = await authenticate(request);
    const write = request.method !== "GET" && request.method !== "HEAD";
    if (options.authorize && !(await options.authorize(principal, { collection: target.collection, write }))) {
      throw new HttpError(403, "forbidden", `no ${write ? "write" : "read"} access to this collection`);
    }
    const context = { store, scope: principal.scope, limits, onWrites: onWrites(principal.scope) };
    return handleCollection(context, request, target, url.searchParams);
  }

  async function authenticate(request: Request): Promise<P> {
    if (!options.authenticate) return { scope: "" } as P;
    const principal = await options.authenticate(request);
    if (principal === null) throw new HttpError(401, "unauthorized", "valid credentials are required", { "WWW-Authenticate": "Bearer" });
    if (typeof principal.scope !== "string" || principal.scope.includes("\u0000")) {
      throw new TypeError("authenticate() returned a principal without a string scope (free of U+0000)");
    }
    return principal;
  }

  return async (request) => {
    let response: Response;
    try {
      response = await respond(request);
    } catch (error) {
      response = failure(error, request, onError);
    }
    if (cors) {
      for (const [name, value] of Object.entries(corsHeaders(cors, request))) {
        const vary = name === "Vary" ? response.headers.get("Vary") : null;
        response.headers.set(name, vary && !vary.split(/,\s*/).includes(value) ? `${value}, ${vary}` : vary ?? value);
      }
    }
    return request.method === "HEAD" && response.body ? new Response(null, response) : response;
  };
}

function failure(error: unknown, request: Request, onError: (error: unknown, request: Request) => void): Response {
  if (error instanceof HttpError) return errorResponse(error);
  onError(error, request);
  if (error instanceof StoreUnavailableError) {
    const body = errorBody("unavailable", "the database is unavailable: retry later");
    return jsonResponse(503, body, { "Retry-After": String(UNAVAILABLE_RETRY_AFTER_SEC) });
  }
  return jsonResponse(500, errorBody("internal", "the server failed to handle the request"));
}
