import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { createSyncClient, type SyncClient, type SyncClientOptions } from "../../sdk";
import type { CoreSyncClientOptions } from "../../sdk/core";

export interface Todo {
  id: string;
  title: string;
  done?: boolean;
  n?: number;
}

let counter = 0;

/** A client with fast backoff, no interval trigger, reads that stay local, and a database of its own. */
export function testClient(
  endpoint: string,
  options: Partial<SyncClientOptions<Todo>> = {},
): SyncClient<Todo> & { factory: IDBFactory; createdWith: SyncClientOptions<Todo> } {
  const factory = (options.indexedDB as IDBFactory | undefined) ?? new IDBFactory();
  const full: SyncClientOptions<Todo> = {
    name: `test-${++counter}`,
    endpoint,
    backoff: { baseMs: 5, maxMs: 40 },
    timeoutMs: 2000,
    pingTimeoutMs: 500,
    // Reads never start syncs unless a test asks: tests decide who syncs when.
    read: "cache-only",
    ...options,
    triggers: { intervalMs: 0, ...options.triggers },
    indexedDB: factory,
  };
  return Object.assign(createSyncClient<Todo>(full), { factory, createdWith: full });
}

/** Options of a core client (`synclens/core`) with the same fast backoff, and no trigger but explicit syncs. */
export function coreTestOptions(endpoint: string, options: Partial<CoreSyncClientOptions> = {}): CoreSyncClientOptions {
  return {
    name: `core-${++counter}`,
    endpoint,
    backoff: { baseMs: 5, maxMs: 40 },
    indexedDB: new IDBFactory(),
    ...options,
    triggers: { onWrite: false, intervalMs: 0, ...options.triggers },
  };
}

/** Polls `condition` until it holds (or throws after `timeoutMs`): waiting for a state, never a fixed sleep. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A fetch whose `_batch` replies refuse every operation with 422 (the server validated and refused them)
 * when the batch holds an item `isRefused` names; every other request goes to the real server.
 */
export function refusingBatches(isRefused: (itemId: string) => boolean, body: unknown = { error: "bad", message: "no" }): typeof fetch {
  return async (input, init) => {
    if (String(input).endsWith("/_batch")) {
      const { ops } = JSON.parse(String(init?.body)) as { ops: { opId: string; id: string }[] };
      if (ops.some((op) => isRefused(op.id))) return new Response(JSON.stringify({ results: ops.map((op) => ({ opId: op.opId, status: 422, body })) }), { status: 200 });
    }
    return fetch(input, init);
  };
}
