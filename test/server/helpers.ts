import { request } from "node:http";
import type { SyncServer, SyncServerOptions } from "../../demo/server/app";
import { createSyncServer } from "../../demo/server/app";
import { openTestStore } from "../support/stores";

export type TestServer = { app: SyncServer; url: string; api: string };

/**
 * A real server on 127.0.0.1, a free port and an empty store of the run's kind (SQLite in memory, or a
 * fresh schema of the run's PostgreSQL); `api` is the "todos" endpoint.
 */
export async function startServer(options: Partial<SyncServerOptions> = {}): Promise<TestServer> {
  const app = createSyncServer({ db: ":memory:", store: await openTestStore(), ...options });
  const { url } = await app.listen(0);
  return { app, url, api: `${url}/api/todos` };
}

export type Answer<T> = { status: number; headers: Headers; body: T };

/** fetch with a JSON body (objects are serialized, strings sent as is) and the JSON reply parsed. */
export async function call<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer<T>> {
  const { body } = init;
  const payload =
    body === undefined || typeof body === "string"
      ? body
      : body instanceof Uint8Array
        ? Uint8Array.from(body)
        : JSON.stringify(body);
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers: { ...(payload !== undefined && { "Content-Type": "application/json" }), ...init.headers },
    ...(payload !== undefined && { body: payload }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === "" ? null : JSON.parse(text)) as T };
}

export type Preconditions = { ifMatch?: number; create?: boolean };

/** A per-item write as the SDK sends it. */
export function write<T = Record<string, unknown>>(
  api: string,
  method: "PUT" | "PATCH" | "DELETE",
  id: string,
  opId: string,
  preconditions: Preconditions = {},
  body?: unknown,
): Promise<Answer<T>> {
  const headers: Record<string, string> = { "Idempotency-Key": opId };
  if (preconditions.create) headers["If-None-Match"] = "*";
  if (preconditions.ifMatch !== undefined) headers["If-Match"] = `"${preconditions.ifMatch}"`;
  if (method === "PATCH") headers["Content-Type"] = "application/merge-patch+json";
  return call<T>(`${api}/${encodeURIComponent(id)}`, { method, headers, body });
}

/** Sends the request target byte for byte (fetch would remove dot segments) and a header given as a list once per value. */
export function rawCall<T = Record<string, unknown>>(
  url: string,
  target: string,
  init: { method: string; headers?: Record<string, string | string[]>; body?: string },
): Promise<{ status: number; body: T }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const headers = { ...(init.body !== undefined && { "Content-Type": "application/json" }), ...init.headers };
    const req = request({ host: hostname, port, path: target, method: init.method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: (text === "" ? null : JSON.parse(text)) as T }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}
