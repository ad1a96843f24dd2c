/**
 * The SyncLens reference server: the library's handler (server/) on Node's http through @hono/node-server,
 * with what only the demo has around it: a bearer token, fault injection, an admin API, static files.
 */
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import { timingSafeEqual } from "node:crypto";
import type { Server } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { applyWrites } from "../../server/apply";
import { readJson } from "../../server/body";
import { corsHeaders } from "../../server/cors";
import { HttpError, badRequest, errorResponse, jsonResponse, methodNotAllowed, notFound } from "../../server/errors";
import type { WriteEvent } from "../../server/handler";
import { createSyncHandler } from "../../server/handler";
import { postgresStore } from "../../server/postgres";
import type { SyncRecord } from "../../server/protocol";
import { MAX_BODY_BYTES, errorBody } from "../../server/protocol";
import type { WriteReply, WriteRequest } from "../../server/rules";
import { sqliteStore } from "../../server/sqlite";
import type { StoreStats, SyncStore } from "../../server/store";
import { writeCounts } from "./counts";
import type { FaultConfig, FaultKind } from "./faults";
import { createFaultInjector, parseFaultConfig } from "./faults";
import { serveStatic, staticMounts } from "./static";

export type SyncServerOptions = {
  /** A SQLite file path or ":memory:". Ignored when `databaseUrl` or `store` is given. */
  db: string;
  /** A PostgreSQL connection string: the data lives there instead. */
  databaseUrl?: string;
  /** A store of the caller's (closed with the server). */
  store?: SyncStore;
  /** When set, /api and /_admin need `Authorization: Bearer <token>`. */
  token?: string;
  faults?: FaultConfig;
  /** Enables /_admin/faults and /_admin/stats. */
  admin?: boolean;
  /** URL prefix ("/", "/sdk/") to directory. */
  staticMounts?: Record<string, string>;
  log?: (line: string) => void;
};

/** The server's data, for tests and tools on the same process (the one scope the reference server has). */
export type ServerData = {
  get(collection: string, id: string): Promise<SyncRecord | null>;
  list(collection: string): Promise<SyncRecord[]>;
  /** A write from outside the clients (another app's), through the same rules and feed. */
  applyWrite(write: WriteRequest & { collection: string }): Promise<WriteReply>;
  stats(): Promise<StoreStats & { idempotency: { replays: number } }>;
  appliedCount(collection: string, opId: string): number;
  replayedCount(collection: string, opId: string): number;
  /** Calls `listener` with each write once it committed; returns the unsubscribe. */
  onWrite(listener: (event: WriteEvent) => void): () => void;
};

export type SyncServer = {
  server: Server;
  listen(port: number, host?: string): Promise<{ port: number; url: string }>;
  close(): Promise<void>;
  store: ServerData;
  faults: {
    get(): FaultConfig | null;
    set(config: FaultConfig | null): void;
    injected(): Record<FaultKind, number>;
  };
};

/** The reply of a dropped connection: never sent, the socket is gone. */
const DROPPED = 0;

export function createSyncServer(options: SyncServerOptions): SyncServer {
  const store = options.store ?? (options.databaseUrl ? postgresStore({ connectionString: options.databaseUrl }) : sqliteStore(options.db));
  const faults = createFaultInjector(options.faults ?? null);
  const mounts = staticMounts(options.staticMounts ?? {});
  const counts = writeCounts();
  const listeners = new Set<(event: WriteEvent) => void>();
  const told = (event: WriteEvent) => {
    counts.record(event);
    for (const listener of listeners) listener(event);
  };
  const closing = new AbortController();
  const cors = {};
  const handler = createSyncHandler({
    store,
    basePath: "/api",
    onWrite: told,
    onError: (error, request) => options.log?.(`error ${request.method} ${new URL(request.url).pathname}: ${String(error)}`),
    ...(options.token !== undefined && { authenticate: (request: Request) => (hasToken(request, options.token!) ? { scope: "" } : null) }),
  });

  const server = createServer(
    getRequestListener(async (request, env) => {
      const bindings = env as HttpBindings;
      const started = performance.now();
      const trace: { fault?: FaultKind; status?: number } = {};
      let response: Response;
      try {
        response = await route(request, bindings, trace);
      } catch (error) {
        if (!(error instanceof HttpError)) options.log?.(`error ${request.method} ${bindings.incoming.url}: ${String(error)}`);
        response = error instanceof HttpError ? errorResponse(error) : jsonResponse(500, errorBody("internal", "the server failed to handle the request"));
      }
      for (const [name, value] of Object.entries(corsHeaders(cors, request))) if (!response.headers.has(name)) response.headers.set(name, value);
      const status = trace.status === DROPPED ? "dropped" : String(response.status);
      const fault = trace.fault ? ` [fault ${trace.fault}]` : "";
      options.log?.(`${request.method} ${bindings.incoming.url} ${status}${fault} ${Math.round(performance.now() - started)}ms`);
      return response;
    }),
  );

  async function route(request: Request, env: HttpBindings, trace: { fault?: FaultKind; status?: number }): Promise<Response> {
    const { pathname } = new URL(request.url);
    const [top, , item, ...rest] = pathname.split("/").slice(1);
    if (top === "_ping" && item === undefined && pathname === "/_ping") {
      if (request.method !== "GET" && request.method !== "HEAD") throw methodNotAllowed("GET");
      return new Response(null, { status: 204 });
    }
    if (top === "_admin" && options.admin) {
      if (options.token !== undefined && !hasToken(request, options.token)) throw unauthorized();
      return admin(request, pathname.split("/").slice(2));
    }
    if (top === "api") {
      const spared = request.method === "OPTIONS" || (item === "_ping" && rest.length === 0);
      return spared ? handler(request) : withFault(request, env, trace);
    }
    const found = await serveStatic(mounts, pathname, request.method);
    if (!found) throw notFound();
    return found;
  }

  /** Runs an /api request through the fault chosen for it, if any. */
  async function withFault(request: Request, env: HttpBindings, trace: { fault?: FaultKind; status?: number }): Promise<Response> {
    const fault = faults.decide();
    if (fault.kind !== "none") trace.fault = fault.kind;
    const drop = () => {
      trace.status = DROPPED;
      env.incoming.socket.destroy();
      return new Response(null, { status: 500 });
    };
    switch (fault.kind) {
      case "none":
        return handler(request);
      case "status": {
        const code = fault.status === 429 ? "rate_limited" : "internal";
        const body = errorBody(code, `injected fault: ${fault.status}`, { injected: true });
        return jsonResponse(fault.status, body, fault.retryAfterSec === undefined ? {} : { "Retry-After": String(fault.retryAfterSec) });
      }
      case "delay":
        await sleep(fault.delayMs, undefined, { signal: closing.signal });
        // A client that gave up during the delay has closed the connection: apply nothing, whatever the
        // method (a request without a body, as DELETE, would otherwise be applied for no one).
        if (env.incoming.destroyed || request.signal.aborted) throw badRequest("the request was cut short");
        return handler(request);
      case "drop-before":
        return drop();
      case "drop-after":
        await handler(request).catch(() => undefined);
        return drop();
    }
  }

  async function admin(request: Request, path: string[]): Promise<Response> {
    const faultsState = () => ({ faults: faults.get(), injected: faults.injected() });
    if (path.length !== 1) throw notFound();
    if (path[0] === "faults") {
      if (request.method === "GET") return jsonResponse(200, faultsState());
      if (request.method !== "PUT") throw methodNotAllowed("GET, PUT");
      const parsed = parseFaultConfig(await readJson(request, MAX_BODY_BYTES));
      if ("error" in parsed) throw badRequest(parsed.error);
      faults.set(parsed.config);
      return jsonResponse(200, faultsState());
    }
    if (path[0] === "stats") {
      if (request.method !== "GET") throw methodNotAllowed("GET");
      return jsonResponse(200, { ...(await data.stats()), faultsInjected: faults.injected() });
    }
    throw notFound();
  }

  const data: ServerData = {
    get: (collection, id) => store.get("", collection, id),
    list: (collection) => store.list("", collection),
    async applyWrite({ collection, ...write }) {
      const [applied] = await applyWrites(store, "", collection, [write]);
      const { reply, changed } = applied!;
      told({ scope: "", collection, write, status: reply.status, replayed: reply.replayed, changed, record: "version" in reply.body ? (reply.body as SyncRecord) : null });
      return reply;
    },
    async stats() {
      const stats = await store.stats();
      return { ...stats, idempotency: { ...stats.idempotency, replays: counts.replays() } };
    },
    appliedCount: counts.applied,
    replayedCount: counts.replayed,
    onWrite(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  return {
    server,
    store: data,
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
      await store.close();
    },
  };
}

const unauthorized = () => new HttpError(401, "unauthorized", "a valid bearer token is required", { "WWW-Authenticate": "Bearer" });

/** `Authorization: Bearer <token>`; the scheme name is case-insensitive (RFC 9110 11.1), the token compared in constant time. */
function hasToken(request: Request, token: string): boolean {
  const [, scheme, credentials] = /^([^ ]+) +(.*)$/.exec(request.headers.get("authorization") ?? "") ?? [];
  const expected = Buffer.from(token);
  const given = Buffer.from(credentials ?? "");
  return scheme?.toLowerCase() === "bearer" && given.length === expected.length && timingSafeEqual(given, expected);
}
