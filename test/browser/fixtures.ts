import { test as base } from "@playwright/test";
import { fileURLToPath } from "node:url";
import { createSyncServer, type SyncServer } from "../../demo/server/app";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The demo exactly as `npm run demo` serves it, on a free port, with an in-memory database. */
export const test = base.extend<{ demo: SyncServer & { url: string; requests: string[] } }>({
  demo: async ({}, use) => {
    /** The server's log: one line per request once it is answered ("POST /api/todos/_batch 200 3ms"). */
    const requests: string[] = [];
    const server = createSyncServer({
      db: ":memory:",
      admin: true,
      log: (line) => requests.push(line),
      staticMounts: {
        "/": `${root}demo/app`,
        "/sdk/": `${root}dist/sdk`,
        "/vendor/idb/": `${root}node_modules/idb/build`,
        "/test-pages/": `${root}test/browser/pages`,
      },
    });
    const { url } = await server.listen(0, "127.0.0.1");
    await use(Object.assign(server, { url, requests }));
    await server.close();
  },
});

export { expect } from "@playwright/test";
