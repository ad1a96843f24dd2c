import { test as base } from "@playwright/test";
import { fileURLToPath } from "node:url";
import { createSyncServer, type SyncServer } from "../../demo/server/app";
import type { BrowserName } from "./browsers";
import { launchExtension, type ExtensionSession } from "./drivers";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface ExtensionOptions {
  /** The browser the `extension` fixture launches (`test.use({ extensionBrowser })`). */
  extensionBrowser: BrowserName;
}

export const test = base.extend<{ demo: SyncServer & { url: string; requests: string[] }; extension: ExtensionSession } & ExtensionOptions>({
  /** The demo exactly as `npm run demo` serves it, on a free port, with an in-memory database. */
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
  extensionBrowser: ["chromium", { option: true }],
  /** The project's browser with the built extension, closed after the test. */
  extension: async ({ extensionBrowser }, use) => {
    const session = await launchExtension(extensionBrowser);
    try {
      await use(session);
    } finally {
      await session.close();
    }
  },
});

export { expect } from "@playwright/test";
