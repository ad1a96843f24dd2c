// Type-checked against the built package (dist/sdk/*.d.ts) as an app would see it, under each module
// resolution an app may use (tsconfig.nodenext.json, tsconfig.bundler.json). Compiled, never run.
import {
  createSyncClient,
  SyncLensError,
  QueueFullError,
  type DeadLetter,
  type SyncClient,
  type SyncStatus,
  type SyncResult,
  type Conflict,
} from "synclens";
import { createSyncClient as createCoreClient, type CoreSyncClient } from "synclens/core";
import { exposeToDevtools } from "synclens/devtools";
import { restTransport } from "synclens/transports";
import type { SyncTransport, PushOutcome } from "synclens";
import { createSyncHandler, StoreUnavailableError, type Principal, type SyncHandler, type SyncStore, type WriteEvent } from "synclens/server";
import { sqliteStore } from "synclens/server/sqlite";
import { postgresStore } from "synclens/server/postgres";
import { runConformance, type ConformanceResult } from "synclens/server/conformance";

interface Todo {
  id: string;
  title: string;
  done: boolean;
}

const todos: SyncClient<Todo> = createSyncClient<Todo>({ name: "todos", endpoint: "http://127.0.0.1:8787/api/todos", conflict: "latest-wins" });
const core: CoreSyncClient<Todo> = createCoreClient<Todo>({ name: "core", endpoint: "http://127.0.0.1:8787/api/core" });
const asCore: CoreSyncClient<Todo> = todos;

export async function use(): Promise<void> {
  const saved: Todo = await todos.save({ id: "a", title: "t", done: false });
  const title: string = saved.title;
  const status: SyncStatus = todos.status;
  const state: "idle" | "syncing" | "offline" | "error" | "conflict" = status.state;
  const stop: () => void = todos.on("status", (next) => void next.pending.toFixed());
  todos.on("deadletter", (letter: DeadLetter<Todo>) => void letter.value?.title.toUpperCase());
  todos.on("conflict", (conflict: Conflict<Todo>) => void conflict.id);
  const result: SyncResult = await core.sync();
  const letters: DeadLetter<Todo>[] = await asCore.deadLetters();
  try {
    await core.save({ id: "b", title: "u", done: true });
  } catch (error) {
    if (error instanceof QueueFullError) void error.code;
    else if (error instanceof SyncLensError) void error.message;
  }
  const detach: () => void = exposeToDevtools(todos);
  // @ts-expect-error a Todo needs its fields: the item type is checked
  await todos.save({ id: "c" });
  void [title, state, stop, result, letters, detach];
}

const rest: SyncTransport<Todo> = restTransport<Todo>({ url: "https://api.example/todos", version: { header: "ETag" }, idempotencyHeader: "Idempotency-Key" });
const own: SyncTransport<Todo> = {
  async push(ops) {
    return ops.map((op): PushOutcome<Todo> => (op.type === "delete" ? { kind: "applied" } : { kind: "retry", reason: "server", message: "later", afterMs: 1000 }));
  },
};
export const overRest = createSyncClient<Todo>({ name: "rest", endpoint: "https://api.example/todos", transport: rest });
export const overOwn = createCoreClient<Todo>({ name: "own", endpoint: "https://api.example/todos", transport: own });

type Tenant = Principal & { user: string };

export async function serve(request: Request): Promise<Response> {
  const store: SyncStore = process.env["DATABASE_URL"] ? postgresStore({ connectionString: process.env["DATABASE_URL"] }) : sqliteStore(":memory:");
  const handler: SyncHandler = createSyncHandler<Tenant>({
    store,
    basePath: "/api",
    authenticate: (req) => (req.headers.get("authorization") === "Bearer t" ? { scope: "t1", user: "ann" } : null),
    authorize: (tenant, access) => tenant.user === "ann" || !access.write,
    limits: { maxBatchOps: 100 },
    onWrite: (event: WriteEvent) => void event.record?.version,
    onError: (error) => void (error instanceof StoreUnavailableError),
  });
  // @ts-expect-error a principal needs its scope
  createSyncHandler({ store, authenticate: () => ({ user: "x" }) });
  return handler(request);
}

export async function conforms(baseUrl: string): Promise<boolean> {
  const results: ConformanceResult[] = await runConformance({ baseUrl, token: "t" });
  return results.every((result) => result.pass);
}

declare const process: { env: Record<string, string | undefined> };
