import { afterEach, beforeEach } from "vitest";
import type { SyncServer } from "../../demo/server/app";
import { createSyncClient, type CoreSyncClient, type CoreSyncClientOptions } from "../../sdk/core";
import { coreTestOptions, testClient, type Todo } from "./client";
import { startReferenceServer } from "./servers";

type ReferenceServer = Awaited<ReturnType<typeof startReferenceServer>>;

/**
 * Per test: a fresh reference server on 127.0.0.1 and a `client()` factory for its `todos` collection.
 * Clients, anything passed to `onCleanup`, and the server are closed after each test.
 */
export function useReferenceServer() {
  let current: ReferenceServer | undefined;
  let running = false;
  const cleanup: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    current = await startReferenceServer();
    running = true;
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    if (running) await current?.close();
    running = false;
  });

  const harness = {
    get server(): ReferenceServer {
      if (!current) throw new Error("no server: useReferenceServer() runs per test");
      return current;
    },
    get endpoint(): string {
      return `${harness.server.url}/api/todos`;
    },
    client(options: Parameters<typeof testClient>[1] = {}) {
      const created = testClient(harness.endpoint, options);
      cleanup.push(() => created.close());
      return created;
    },
    /** A core client (`synclens/core`) of the server's `todos`, with a database of its own unless given one. */
    coreClient(options: Partial<CoreSyncClientOptions> = {}): CoreSyncClient<Todo> {
      const created = createSyncClient<Todo>(harness.coreOptions(options));
      cleanup.push(() => created.close());
      return created;
    },
    coreOptions(options: Partial<CoreSyncClientOptions> = {}): CoreSyncClientOptions {
      return coreTestOptions(harness.endpoint, options);
    },
    onCleanup(step: () => Promise<void>): void {
      cleanup.push(step);
    },
    /** Stops the server (its port then refuses connections); `server` still describes it. */
    async stopServer(): Promise<void> {
      running = false;
      await harness.server.close();
    },
    /** Makes `next` the test's server (closed after the test), e.g. one revived on the old port. */
    adoptServer(next: SyncServer): void {
      current = Object.assign(next, { url: harness.server.url });
      running = true;
    },
  };
  return harness;
}
