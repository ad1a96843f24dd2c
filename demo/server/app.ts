/** The SyncLens reference server: routing, auth, CORS, fault injection and lifecycle. */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { handleCollection } from "./api";
import type { FaultConfig, FaultKind } from "./faults";
import { createFaultInjector, parseFaultConfig } from "./faults";
import type { Reply } from "./http";
import { HttpError, badRequest, errorReply, jsonReply, methodNotAllowed, notFound, readJson, sendReply } from "./http";
import { errorBody } from "./protocol";
import { serveStatic, staticMounts } from "./static";
import type { Store } from "./store";
import { openStore } from "./store";

export type SyncServerOptions = {
  /** A SQLite file path or ":memory:". */
  db: string;
  /** When set, /api and /_admin need `Authorization: Bearer <token>`. */
  token?: string;
  faults?: FaultConfig;
  /** Enables /_admin/faults and /_admin/stats. */
  admin?: boolean;
  /** URL prefix ("/", "/sdk/") to directory. */
  staticMounts?: Record<string, string>;
  log?: (line: string) => void;
};

export type SyncServer = {
  server: Server;
  listen(port: number, host?: string): Promise<{ port: number; url: string }>;
  close(): Promise<void>;
  store: Store;
  faults: {
    get(): FaultConfig | null;
    set(config: FaultConfig | null): void;
    injected(): Record<FaultKind, number>;
  };
};

const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  // Date: the SDK measures its clock offset from it; a page cannot read it unless it is exposed.
  "Access-Control-Expose-Headers": "ETag, Retry-After, Idempotent-Replayed, Date",
};
const PREFLIGHT_HEADERS = {
  "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
  "Access-Control-Max-Age": "600",
  // The allowed headers echo the preflight's: a cache must not serve one preflight's answer to another.
  Vary: "Access-Control-Request-Headers",
};
const PROTOCOL_REQUEST_HEADERS = ["Content-Type", "Content-Encoding", "Authorization", "Idempotency-Key", "If-Match", "If-None-Match"];
/** An HTTP field name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A route's way of saying: close the connection instead of replying. */
const DROP = Symbol("drop");
type Outcome = Reply | typeof DROP;

export function createSyncServer(options: SyncServerOptions): SyncServer {
  const store = openStore(options.db);
  const faults = createFaultInjector(options.faults ?? null);
  const mounts = staticMounts(options.staticMounts ?? {});
  const closing = new AbortController();
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? "GET";
    const trace: { fault?: FaultKind } = {};
    let outcome: Outcome;
    try {
      outcome = await respond(req, method, trace);
    } catch (error) {
      if (!(error instanceof HttpError)) options.log?.(`error ${method} ${req.url}: ${String(error)}`);
      outcome = errorReply(error);
    }
    if (outcome === DROP) req.socket.destroy();
    else sendReply(res, { ...outcome, headers: { ...CORS_HEADERS, ...outcome.headers } }, method === "HEAD");
    const status = outcome === DROP ? "dropped" : String(outcome.status);
    const fault = trace.fault ? ` [fault ${trace.fault}]` : "";
    options.log?.(`${method} ${req.url} ${status}${fault} ${Math.round(performance.now() - started)}ms`);
  }

  async function respond(req: IncomingMessage, method: string, trace: { fault?: FaultKind }): Promise<Outcome> {
    if (method === "OPTIONS") {
      const allowed = allowedRequestHeaders(req.headers["access-control-request-headers"]);
      return { status: 204, headers: { ...PREFLIGHT_HEADERS, "Access-Control-Allow-Headers": allowed } };
    }
    const target = req.url ?? "/";
    let url: URL;
    try {
      url = new URL(target.startsWith("/") ? `http://localhost${target}` : target); // absolute-form: from proxies
    } catch {
      throw badRequest("the request target is not a valid path");
    }
    // Routed on the path as sent: URL removes dot segments, %2E and %2E%2E included, so the ids "." and ".."
    // would name the collection or a level above it instead of getting their 400.
    const segments = rawPath(target).split("/").slice(1);
    const [top, , item, ...rest] = segments;
    const isPing = (top === "_ping" && segments.length === 1) || (top === "api" && item === "_ping" && rest.length === 0);
    if (isPing) {
      if (method !== "GET" && method !== "HEAD") throw methodNotAllowed("GET");
      return { status: 204 };
    }
    if (top === "_admin" && options.admin) {
      requireToken(req);
      return admin(req, method, segments.slice(1));
    }
    if (top === "api") {
      requireToken(req);
      return withFault(req, trace, () => handleCollection(store, req, method, segments.slice(1), url.searchParams));
    }
    return (await serveStatic(mounts, url.pathname, method)) ?? errorReply(notFound());
  }

  /** Runs an /api request through the fault chosen for it, if any. */
  async function withFault(req: IncomingMessage, trace: { fault?: FaultKind }, handleApi: () => Promise<Reply>): Promise<Outcome> {
    const fault = faults.decide();
    if (fault.kind !== "none") trace.fault = fault.kind;
    switch (fault.kind) {
      case "none":
        return handleApi();
      case "status": {
        const code = fault.status === 429 ? "rate_limited" : "internal";
        const body = errorBody(code, `injected fault: ${fault.status}`, { injected: true });
        return jsonReply(fault.status, body, fault.retryAfterSec === undefined ? {} : { "Retry-After": String(fault.retryAfterSec) });
      }
      case "delay":
        await sleep(fault.delayMs, undefined, { signal: closing.signal });
        // A client that gave up during the delay has closed the connection: apply nothing, whatever the
        // method (a request without a body, as DELETE, would otherwise be applied for no one).
        if (req.destroyed) throw badRequest("the request was cut short");
        return handleApi();
      case "drop-before":
        return DROP;
      case "drop-after":
        await handleApi().catch(() => undefined);
        return DROP;
    }
  }

  function requireToken(req: IncomingMessage): void {
    if (options.token === undefined) return;
    // The scheme name is case-insensitive (RFC 9110 11.1): "bearer x" is the same credentials as "Bearer x".
    const [, scheme, credentials] = /^([^ ]+) +(.*)$/.exec(req.headers.authorization ?? "") ?? [];
    const expected = Buffer.from(options.token);
    const given = Buffer.from(credentials ?? "");
    if (scheme?.toLowerCase() !== "bearer" || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(401, "unauthorized", "a valid bearer token is required", { "WWW-Authenticate": "Bearer" });
    }
  }

  async function admin(req: IncomingMessage, method: string, path: string[]): Promise<Reply> {
    const faultsState = () => ({ faults: faults.get(), injected: faults.injected() });
    if (path.length !== 1) throw notFound();
    if (path[0] === "faults") {
      if (method === "GET") return jsonReply(200, faultsState());
      if (method !== "PUT") throw methodNotAllowed("GET, PUT");
      const parsed = parseFaultConfig(await readJson(req));
      if ("error" in parsed) throw new HttpError(400, "bad_request", parsed.error);
      faults.set(parsed.config);
      return jsonReply(200, faultsState());
    }
    if (path[0] === "stats") {
      if (method !== "GET") throw methodNotAllowed("GET");
      return jsonReply(200, { ...store.stats(), faultsInjected: faults.injected() });
    }
    throw notFound();
  }

  return {
    server,
    store,
    faults: { get: faults.get, set: faults.set, injected: faults.injected },
    listen(port, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const actual = (server.address() as AddressInfo).port;
          const urlHost = host.includes(":") ? `[${host}]` : host;
          resolve({ port: actual, url: `http://${urlHost}:${actual}` });
        });
      });
    },
    async close() {
      closing.abort();
      if (server.listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      }
      store.close();
    },
  };
}

/**
 * The protocol's request headers and those the preflight asks for: an app's own (the SDK's `headers`
 * option, as X-Tenant) would fail the preflight otherwise. A request list that is not a list of header
 * names is not echoed.
 */
function allowedRequestHeaders(requested: string | undefined): string {
  const names = (requested ?? "").split(",").map((name) => name.replace(/^[ \t]+|[ \t]+$/g, "")).filter((name) => name !== "");
  const allowed = new Map(PROTOCOL_REQUEST_HEADERS.map((name) => [name.toLowerCase(), name]));
  if (names.every((name) => HEADER_NAME.test(name))) {
    for (const name of names) if (!allowed.has(name.toLowerCase())) allowed.set(name.toLowerCase(), name);
  }
  return [...allowed.values()].join(", ");
}

/** The path of a request target, up to its query, as sent: dot segments kept; absolute-form loses scheme and host. */
function rawPath(target: string): string {
  const path = target.startsWith("/") ? target : target.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, "");
  const end = path.search(/[?#]/);
  const raw = end === -1 ? path : path.slice(0, end);
  return raw.startsWith("/") ? raw : `/${raw}`;
}
